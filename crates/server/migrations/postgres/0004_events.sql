-- DingTalk's events, append-only (the same tables as SQLite's 0004, with data as JSONB): one row per `event_id`
-- whichever channel brought it first. The event's own columns
-- are written once and never rewritten; only the applier's bookkeeping (applied_at, attempts, last_error,
-- retry_at, parked) changes.
CREATE TABLE events (
    event_id    TEXT PRIMARY KEY,          -- DingTalk's id: the same on every redelivery and on both channels
    event_type  TEXT NOT NULL,             -- bpms_instance_change, bpms_task_change, user_leave_org, ...
    channel     TEXT NOT NULL,             -- stream or http: where it came from first
    corp_id     TEXT NOT NULL,
    born_at     BIGINT NOT NULL,          -- when it happened, Unix milliseconds
    received_at BIGINT NOT NULL,          -- when it was stored, Unix milliseconds
    data        JSONB NOT NULL,            -- the business fields
    applied_at  BIGINT,                   -- when the index took it, Unix milliseconds; NULL until then
    attempts    BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT,
    retry_at    BIGINT NOT NULL DEFAULT 0,  -- not tried again before this, Unix milliseconds
    parked      BOOLEAN NOT NULL DEFAULT FALSE  -- true once its attempts ran out: kept with its error, no longer tried
);

CREATE INDEX events_unapplied ON events (born_at) WHERE applied_at IS NULL;

-- Nonces of HTTP callbacks seen recently, with the signature and event they came with (events.rs: the replay rule).
CREATE TABLE callback_nonces (
    nonce      TEXT PRIMARY KEY,
    signature  TEXT NOT NULL,
    event_id   TEXT NOT NULL,              -- empty for check_url
    seen_at    BIGINT NOT NULL            -- Unix milliseconds
);

CREATE INDEX callback_nonces_seen ON callback_nonces (seen_at);
