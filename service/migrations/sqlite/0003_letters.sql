-- a6auth SQLite schema, migration 0003: signed letters. Same rules as 0001.

-- Every letter ever issued, with its exact bytes and their SHA-256: a letter presented years later
-- is matched by hash. Never updated.
CREATE TABLE letters (
  id            TEXT    NOT NULL PRIMARY KEY,
  reference     TEXT    NOT NULL UNIQUE,
  request_id    TEXT    NOT NULL REFERENCES requests (id),
  party         TEXT    NOT NULL,
  ref           TEXT,
  auth_version  INTEGER NOT NULL,
  template      TEXT    NOT NULL,
  language      TEXT    NOT NULL,
  sha256        TEXT    NOT NULL UNIQUE,
  size          INTEGER NOT NULL,
  pdf           BLOB    NOT NULL,
  signer        TEXT    NOT NULL,
  issued_at     TEXT    NOT NULL
);
CREATE INDEX letters_ref ON letters (ref, auth_version);
CREATE INDEX letters_request ON letters (request_id)
