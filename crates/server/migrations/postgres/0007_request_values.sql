-- What the person submitted, as they sent it, so that the app can show a request and copy it into a new one:
-- the form values (JSON `FormValues`), department, approvers, cc and picks of the `SubmitRequest` body. Rows from
-- before this migration have `submitted_values` NULL: their body is not known.
ALTER TABLE requests ADD COLUMN submitted_values TEXT;      -- JSON FormValues; NULL for older rows
ALTER TABLE requests ADD COLUMN submitted_dept_id BIGINT;   -- the dept id as sent, NULL when absent
ALTER TABLE requests ADD COLUMN submitted_approvers TEXT;   -- JSON [ApprovalStep], NULL when absent
ALTER TABLE requests ADD COLUMN submitted_cc TEXT;          -- JSON [userid], NULL when absent
ALTER TABLE requests ADD COLUMN submitted_picks TEXT;       -- JSON [ApproverPick], NULL when absent

-- The caller's own requests, newest first (`GET /api/requests`, keyset on created_at then id).
CREATE INDEX requests_user_created ON requests (user_id, created_at, id);
