-- a6auth SQLite schema, migration 0004: the outbox (messages to other systems, written in the
-- same transaction as the events that cause them), its delivery attempts, and the consistency
-- findings the UNFCCC side reports. Same rules as 0001 (one statement per ';', no ';' elsewhere).

-- One row per message to one destination. The id is the message's stable id: it is sent with
-- every attempt so that the receiver can drop duplicates. Messages with the same ordering_key are
-- delivered one after the other in seq order: a message waits while an earlier one with its key is
-- not delivered (pending or dead). status: pending, delivered, dead.
CREATE TABLE outbox (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  id              TEXT    NOT NULL UNIQUE,
  destination     TEXT    NOT NULL,
  ordering_key    TEXT    NOT NULL,
  stream_id       TEXT,
  party           TEXT    NOT NULL,
  ref             TEXT,
  cause           TEXT    NOT NULL,
  content_type    TEXT    NOT NULL,
  payload         TEXT    NOT NULL,
  summary         TEXT    NOT NULL,
  status          TEXT    NOT NULL,
  attempts        INTEGER NOT NULL,
  next_attempt_at TEXT    NOT NULL,
  lease_until     TEXT,
  last_error      TEXT,
  last_http_status INTEGER,
  outcome         TEXT,
  outcome_detail  TEXT,
  created_at      TEXT    NOT NULL,
  updated_at      TEXT    NOT NULL,
  delivered_at    TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_key ON outbox (ordering_key, seq);
CREATE INDEX outbox_ref ON outbox (ref, seq);

-- Every attempt, with what the other side answered (a short excerpt).
CREATE TABLE outbox_attempts (
  outbox_id   TEXT    NOT NULL REFERENCES outbox (id),
  attempt     INTEGER NOT NULL,
  at          TEXT    NOT NULL,
  ok          INTEGER NOT NULL,
  http_status INTEGER,
  detail      TEXT    NOT NULL,
  duration_ms INTEGER NOT NULL,
  PRIMARY KEY (outbox_id, attempt)
);

-- Consistency findings received from the UNFCCC side, each message once (by message_id). A
-- finding keeps its finding_id from open to resolved: every message about it is a row.
CREATE TABLE unfccc_findings (
  message_id     TEXT    NOT NULL PRIMARY KEY,
  finding_id     TEXT    NOT NULL,
  ref            TEXT,
  version        INTEGER,
  submission_message_id TEXT,
  status         TEXT    NOT NULL,
  severity       TEXT    NOT NULL,
  code           TEXT,
  text           TEXT    NOT NULL,
  sender         TEXT    NOT NULL,
  created_at     TEXT    NOT NULL,
  received_at    TEXT    NOT NULL,
  xml            TEXT    NOT NULL
);
CREATE INDEX unfccc_findings_ref ON unfccc_findings (ref, received_at)
