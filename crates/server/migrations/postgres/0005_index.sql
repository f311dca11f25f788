-- The per-user index the inbox is served from: instances as DingTalk's events, our submissions and the backfill's
-- get-instance calls describe them, each approver's tasks, and the people copied. Every write merges forward only:
-- an ended instance or task is never set running again.
CREATE TABLE index_instances (
    instance_id      TEXT PRIMARY KEY NOT NULL,
    process_code     TEXT NOT NULL DEFAULT '',
    title            TEXT NOT NULL DEFAULT '',
    originator_id    TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL,           -- running, completed, terminated
    result           TEXT,                    -- agree, refuse (completed only)
    created_at       BIGINT NOT NULL DEFAULT 0,  -- Unix milliseconds; 0 until known
    created_rank     BIGINT NOT NULL DEFAULT 0,  -- how exact created_at is: 1 get-instance (minutes), 2 ours, 3 event (ms)
    finished_at      BIGINT,
    finished_rank    BIGINT NOT NULL DEFAULT 0,  -- the same for finished_at
    search_text      TEXT NOT NULL DEFAULT '', -- lower-cased title and form values, for keyword search
    refreshed_at     BIGINT,                    -- the last get-instance, Unix milliseconds
    refreshed_final  BIGINT NOT NULL DEFAULT 0,  -- 1 once a get-instance saw it ended
    touched_at       BIGINT NOT NULL            -- the last event or refresh, Unix milliseconds
);

CREATE INDEX index_instances_originator ON index_instances (originator_id, created_at);
CREATE INDEX index_instances_quiet ON index_instances (status, touched_at);

CREATE TABLE index_tasks (
    instance_id  TEXT NOT NULL,
    task_id      BIGINT NOT NULL,
    user_id      TEXT NOT NULL,
    status       TEXT NOT NULL,               -- running, completed, canceled
    result       TEXT,                        -- agree, refuse, redirect (completed only)
    created_at   BIGINT,
    finished_at  BIGINT,
    finished_rank BIGINT NOT NULL DEFAULT 0,   -- how exact finished_at is, as for instances
    PRIMARY KEY (instance_id, task_id)
);

CREATE INDEX index_tasks_user ON index_tasks (user_id, status);

CREATE TABLE index_cc (
    instance_id  TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    PRIMARY KEY (instance_id, user_id)
);

CREATE INDEX index_cc_user ON index_cc (user_id);
