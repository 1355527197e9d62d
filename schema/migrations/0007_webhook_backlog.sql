-- The dispatcher's claim, with a backlog (a merchant's endpoint down for
-- hours): which merchants have due deliveries, and a merchant's oldest due
-- ones. On (status, next_attempt_at) alone the first reads every due row
-- on each poll; grouped on (status, merchant_id) it jumps from merchant to
-- merchant, and a merchant's due rows are one range.

-- Re-runnable (IF NOT EXISTS), like every migration: a runner that died
-- after the statement resumes.
ALTER TABLE webhook_deliveries
	ADD KEY IF NOT EXISTS idx_webhook_deliveries_due_merchant (status,
		merchant_id, next_attempt_at);
