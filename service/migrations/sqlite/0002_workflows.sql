-- a6auth SQLite schema, migration 0002: workflow definitions, timers, pending effects,
-- authorisations with their versions, and first transfers reported by registries.
-- Same rules as 0001 (one statement per ';', no ';' elsewhere).

-- Every definition version a request may be pinned to; the source is kept so that a request
-- keeps running on its version after the file changed or went away.
CREATE TABLE workflow_definitions (
  name          TEXT    NOT NULL,
  version       INTEGER NOT NULL,
  sha256        TEXT    NOT NULL,
  source        TEXT    NOT NULL,
  file          TEXT    NOT NULL,
  registered_at TEXT    NOT NULL,
  PRIMARY KEY (name, version)
);

-- SLA reminders and breaches, and timeout decisions; fired by the timer worker as ordinary
-- events. state: pending, fired or cancelled.
CREATE TABLE timers (
  id         TEXT    NOT NULL PRIMARY KEY,
  stream_id  TEXT    NOT NULL,
  party      TEXT    NOT NULL,
  kind       TEXT    NOT NULL,
  stage      TEXT    NOT NULL,
  entry      INTEGER NOT NULL,
  decision   TEXT    NOT NULL,
  due_at     TEXT    NOT NULL,
  state      TEXT    NOT NULL,
  created_at TEXT    NOT NULL
);
CREATE INDEX timers_due ON timers (state, due_at);
CREATE INDEX timers_stream ON timers (stream_id, state);

-- Effects of transitions (letters, UNFCCC messages, emails, webhooks), written in the same
-- transaction as the events that cause them, for their executors to carry out.
CREATE TABLE pending_effects (
  id         TEXT    NOT NULL PRIMARY KEY,
  stream_id  TEXT    NOT NULL,
  party      TEXT    NOT NULL,
  event_seq  INTEGER NOT NULL,
  kind       TEXT    NOT NULL,
  cause      TEXT    NOT NULL,
  payload    TEXT    NOT NULL,
  status     TEXT    NOT NULL,
  created_at TEXT    NOT NULL
);
CREATE INDEX pending_effects_status ON pending_effects (status, created_at);
CREATE INDEX pending_effects_stream ON pending_effects (stream_id);

CREATE TABLE authorisations (
  ref             TEXT    NOT NULL PRIMARY KEY,
  request_id      TEXT    NOT NULL UNIQUE REFERENCES requests (id),
  party           TEXT    NOT NULL,
  current_version INTEGER NOT NULL,
  status          TEXT    NOT NULL,
  created_at      TEXT    NOT NULL,
  updated_at      TEXT    NOT NULL
);

-- Every version ever authorised; never updated.
CREATE TABLE authorisation_versions (
  ref           TEXT    NOT NULL REFERENCES authorisations (ref),
  version       INTEGER NOT NULL,
  fields_json   TEXT    NOT NULL,
  authorised_at TEXT    NOT NULL,
  authorised_by TEXT    NOT NULL,
  changes_json  TEXT    NOT NULL,
  PRIMARY KEY (ref, version)
);

CREATE TABLE first_transfers (
  id            TEXT    NOT NULL PRIMARY KEY,
  ref           TEXT    NOT NULL REFERENCES authorisations (ref),
  quantity      INTEGER NOT NULL,
  serial_first  TEXT    NOT NULL,
  serial_last   TEXT    NOT NULL,
  transfer_date TEXT    NOT NULL,
  recorded_by   TEXT    NOT NULL,
  recorded_at   TEXT    NOT NULL
);
CREATE INDEX first_transfers_ref ON first_transfers (ref);

-- Counters for human-readable numbers (authorisation references); gaps are possible when a
-- write fails after taking a number.
CREATE TABLE sequences (
  name  TEXT    NOT NULL PRIMARY KEY,
  value INTEGER NOT NULL
);
CREATE INDEX requests_workflow ON requests (workflow_name, workflow_version)
