-- a6auth SQLite schema, migration 0005: webhook subscriptions and the inbound deliveries seen
-- (replay protection). Same rules as 0001 (one statement per ';', no ';' elsewhere).

-- One row per subscription, never removed: a deleted or disabled subscription keeps its delivery
-- history (outbox rows with destination "webhook:<id>"). The secret signs deliveries, so it is
-- kept; the API shows it once. consecutive_failures is operational state, changed without an
-- event; everything else changes through a commit with an event on the stream "webhook:<id>".
CREATE TABLE webhook_subscriptions (
  id                   TEXT    NOT NULL PRIMARY KEY,
  url                  TEXT    NOT NULL,
  active               INTEGER NOT NULL,
  deleted              INTEGER NOT NULL,
  secret               TEXT    NOT NULL,
  description          TEXT    NOT NULL,
  created_by           TEXT    NOT NULL,
  created_at           TEXT    NOT NULL,
  updated_at           TEXT    NOT NULL,
  consecutive_failures INTEGER NOT NULL,
  disabled_reason      TEXT,
  disabled_at          TEXT
);

-- The event types a subscription takes, in the order given; "*" takes every type.
CREATE TABLE webhook_event_types (
  subscription_id TEXT    NOT NULL REFERENCES webhook_subscriptions (id),
  ordinal         INTEGER NOT NULL,
  event_type      TEXT    NOT NULL,
  PRIMARY KEY (subscription_id, ordinal)
);
CREATE INDEX webhook_event_types_type ON webhook_event_types (event_type, subscription_id);

-- Every delivery accepted on an inbound hook, by its source and webhook-id: inserting one that is
-- there already is a replay, refused in the same transaction as what the delivery records.
CREATE TABLE inbound_hooks (
  source      TEXT NOT NULL,
  webhook_id  TEXT NOT NULL,
  received_at TEXT NOT NULL,
  PRIMARY KEY (source, webhook_id)
)
