-- Users as last seen at login, and login sessions (token stored only as its SHA-256).
CREATE TABLE users (
    user_id     TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    avatar      TEXT,
    title       TEXT,
    dept_ids    TEXT NOT NULL,          -- JSON array of department ids
    updated_at  INTEGER NOT NULL        -- Unix seconds
);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY NOT NULL,  -- hex SHA-256 of the bearer token
    user_id      TEXT NOT NULL REFERENCES users (user_id),
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL            -- absolute end, Unix seconds
);

CREATE INDEX sessions_user ON sessions (user_id);
