-- Users as last seen at login, and login sessions (token stored only as its SHA-256). The same tables as SQLite's
-- 0001, in PostgreSQL's own types: department ids as an array, times as Unix seconds in BIGINT.
CREATE TABLE users (
    user_id     TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    avatar      TEXT,
    title       TEXT,
    dept_ids    BIGINT[] NOT NULL,
    updated_at  BIGINT NOT NULL         -- Unix seconds
);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,          -- hex SHA-256 of the bearer token
    user_id      TEXT NOT NULL REFERENCES users (user_id),
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL            -- absolute end, Unix seconds
);

CREATE INDEX sessions_user ON sessions (user_id);
