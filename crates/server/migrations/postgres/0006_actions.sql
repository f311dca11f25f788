-- Actions on approval instances (approve, refuse, transfer, revoke, comment), recorded before they are sent so that
-- each reaches DingTalk exactly once: one row per (user, Idempotency-Key), and at most one live task action per task
-- (`task_claim`, cleared when DingTalk refused the action so that the task can be acted on again).
CREATE TABLE actions (
    user_id          TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    body_hash        TEXT NOT NULL,          -- hex SHA-256 of the canonical action body
    instance_id      TEXT NOT NULL,
    task_claim       BIGINT,                 -- the task a live task action holds
    body             TEXT NOT NULL,          -- JSON: the action as the client sent it
    state            TEXT NOT NULL,          -- pending, done, refused
    unknown_outcome  BIGINT  NOT NULL DEFAULT 0,  -- 1 when a send may have reached DingTalk without an answer
    locked_until     BIGINT  NOT NULL,       -- the sender's lease, Unix milliseconds
    failure_code     TEXT,
    failure_message  TEXT,
    created_at       BIGINT  NOT NULL,       -- Unix milliseconds
    done_at          BIGINT,
    PRIMARY KEY (user_id, idempotency_key)
);

CREATE UNIQUE INDEX actions_task_claim ON actions (task_claim) WHERE task_claim IS NOT NULL;
