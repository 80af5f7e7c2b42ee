-- a6auth SQLite schema, migration 0001: the event store, the request read model, attachments,
-- users, API keys and idempotency records. Embedded in the binary at build time and applied once
-- by SqliteStore::migrate(), which records it in schema_migrations. A shipped migration is never
-- edited: change the schema with a new numbered file.
--
-- Rules for every migration file, because the runner splits the text itself (Poco's SQLite
-- session runs one statement per call):
--   * comments start with two dashes and run to the end of the line; they are removed first;
--   * outside comments a semicolon ends a statement and appears nowhere else (no string
--     literal, no trigger body);
--   * two dashes never appear inside a string literal.
-- Column types stay within TEXT, INTEGER and BLOB, timestamps are RFC 3339 TEXT, so that the
-- PostgreSQL schema can keep the same table shapes.

-- The source of truth: one row per event, chained per stream by prev_hash and hash (see
-- audit/Chain.h). global_seq orders every event of the store; AUTOINCREMENT keeps it from ever
-- reusing a number, even after rows are deleted.
CREATE TABLE events (
  global_seq INTEGER PRIMARY KEY AUTOINCREMENT,
  stream_id  TEXT    NOT NULL,
  seq        INTEGER NOT NULL,
  party      TEXT    NOT NULL,
  type       TEXT    NOT NULL,
  actor      TEXT    NOT NULL,
  at         TEXT    NOT NULL,
  payload    TEXT    NOT NULL,
  prev_hash  TEXT    NOT NULL,
  hash       TEXT    NOT NULL,
  UNIQUE (stream_id, seq)
);

-- The read model of a request; version is the seq of its stream's last event.
CREATE TABLE requests (
  id                      TEXT    NOT NULL PRIMARY KEY,
  party                   TEXT    NOT NULL,
  organisation            TEXT    NOT NULL,
  state                   TEXT    NOT NULL,
  stage                   TEXT    NOT NULL,
  workflow_name           TEXT    NOT NULL,
  workflow_version        INTEGER NOT NULL,
  version                 INTEGER NOT NULL,
  title                   TEXT    NOT NULL,
  cooperative_approach_id TEXT    NOT NULL,
  fields_json             TEXT    NOT NULL,
  authorisation_ref       TEXT,
  created_at              TEXT    NOT NULL,
  updated_at              TEXT    NOT NULL,
  created_by              TEXT    NOT NULL
);
CREATE INDEX requests_organisation_id ON requests (organisation, id);
CREATE INDEX requests_state_id ON requests (state, id);

-- Attachment bytes, stored once per distinct content. bytes is NULL for an empty file (Poco
-- binds an empty BLOB as NULL) and size says how long the content is either way.
CREATE TABLE attachment_contents (
  sha256 TEXT    NOT NULL PRIMARY KEY,
  size   INTEGER NOT NULL,
  bytes  BLOB
);

CREATE TABLE attachments (
  request_id TEXT    NOT NULL REFERENCES requests (id),
  id         TEXT    NOT NULL,
  name       TEXT    NOT NULL,
  media_type TEXT    NOT NULL,
  size       INTEGER NOT NULL,
  sha256     TEXT    NOT NULL REFERENCES attachment_contents (sha256),
  created_at TEXT    NOT NULL,
  created_by TEXT    NOT NULL,
  PRIMARY KEY (request_id, id)
);

CREATE TABLE users (
  name          TEXT    NOT NULL PRIMARY KEY,
  organisation  TEXT    NOT NULL,
  display_name  TEXT    NOT NULL,
  email         TEXT    NOT NULL,
  active        INTEGER NOT NULL,
  created_at    TEXT    NOT NULL,
  password_hash TEXT
);

-- A side table rather than a JSON column: "who holds role X" stays a plain indexed query, and
-- ordinal keeps the roles in the order they were given.
CREATE TABLE user_roles (
  user_name TEXT    NOT NULL REFERENCES users (name) ON DELETE CASCADE,
  ordinal   INTEGER NOT NULL,
  role      TEXT    NOT NULL,
  PRIMARY KEY (user_name, ordinal)
);
CREATE INDEX user_roles_role ON user_roles (role);

-- Only the SHA-256 of a key's secret is stored; a request authenticates by looking the hash up.
CREATE TABLE api_keys (
  id         TEXT    NOT NULL PRIMARY KEY,
  user_name  TEXT    NOT NULL REFERENCES users (name),
  key_hash   TEXT    NOT NULL UNIQUE,
  label      TEXT    NOT NULL,
  created_at TEXT    NOT NULL,
  revoked    INTEGER NOT NULL
);

-- What an earlier write with the same Idempotency-Key answered. The primary key is what turns a
-- concurrent retry of the same write into a conflict instead of a second effect.
CREATE TABLE idempotency_keys (
  principal     TEXT    NOT NULL,
  key           TEXT    NOT NULL,
  fingerprint   TEXT    NOT NULL,
  status        INTEGER NOT NULL,
  response_body TEXT    NOT NULL,
  location      TEXT    NOT NULL,
  etag          TEXT    NOT NULL,
  created_at    TEXT    NOT NULL,
  PRIMARY KEY (principal, key)
);
