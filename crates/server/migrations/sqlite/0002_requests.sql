-- Approval requests and their outbox: a request, its idempotency key and its outbox row commit in one transaction;
-- the outbox worker claims a row by setting `locked_until`, and deletes it once the request's fate is known.
CREATE TABLE requests (
    id               TEXT PRIMARY KEY NOT NULL,
    user_id          TEXT NOT NULL REFERENCES users (user_id),
    idempotency_key  TEXT NOT NULL,
    body_hash        TEXT NOT NULL,          -- hex SHA-256 of the canonical request body
    payload          TEXT NOT NULL,          -- JSON: what the worker sends to DingTalk
    process_code     TEXT NOT NULL,
    state            TEXT NOT NULL,          -- queued, submitted, running, approved, refused, revoked, failed
    instance_id      TEXT,
    failure_code     TEXT,
    failure_message  TEXT,
    created_at       INTEGER NOT NULL,       -- Unix milliseconds
    updated_at       INTEGER NOT NULL,
    UNIQUE (user_id, idempotency_key)
);

CREATE UNIQUE INDEX requests_instance ON requests (instance_id);

CREATE TABLE outbox (
    request_id      TEXT PRIMARY KEY NOT NULL REFERENCES requests (id),
    due_at          INTEGER NOT NULL,        -- Unix milliseconds
    locked_until    INTEGER,                 -- a worker's lease, Unix milliseconds
    attempts        INTEGER NOT NULL DEFAULT 0,
    unknown_outcome INTEGER NOT NULL DEFAULT 0  -- 1 when a send may have reached DingTalk without an answer
);

CREATE INDEX outbox_due ON outbox (due_at);
