-- Drafts: forms a user started and has not submitted, one row per (user, the app's draft id), so that a draft saved
-- on one device opens on another. Depends only on 0001's users.
CREATE TABLE drafts (
    user_id      TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    draft_id     TEXT NOT NULL,            -- made by the app: 8 to 64 of [A-Za-z0-9_-]
    process_code TEXT NOT NULL,
    form_values  TEXT NOT NULL,            -- JSON object of the values by field id
    updated_at   INTEGER NOT NULL,         -- Unix milliseconds
    version      INTEGER NOT NULL,         -- 1 on creation, +1 on every save
    PRIMARY KEY (user_id, draft_id)
);

CREATE INDEX drafts_user_updated ON drafts (user_id, updated_at DESC);
