-- Background work shared through the database: the webhook outbox, the
-- scanners' state, provider hints, and leases for jobs.

CREATE TABLE IF NOT EXISTS webhook_deliveries (
	id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	-- Stable id the receiver deduplicates on; a redelivery keeps it.
	event_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	-- The producer's idempotency key (e.g. invoice id, version and event
	-- type): a retried settlement transaction cannot enqueue an event twice.
	event_key VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	event_type VARCHAR(64) CHARACTER SET ascii NOT NULL,
	merchant_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	invoice_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NULL,
	invoice_version INT UNSIGNED NULL,
	api_version VARCHAR(16) CHARACTER SET ascii NOT NULL,
	payload LONGTEXT NOT NULL,
	url VARCHAR(2048) NOT NULL,
	status VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'PENDING',
	attempt_count INT UNSIGNED NOT NULL DEFAULT 0,
	max_attempts INT UNSIGNED NOT NULL DEFAULT 20,
	next_attempt_at DATETIME(3) NOT NULL,
	last_attempt_at DATETIME(3) NULL,
	last_status_code SMALLINT UNSIGNED NULL,
	last_response_excerpt VARCHAR(1024) NULL,
	last_duration_ms INT UNSIGNED NULL,
	last_error VARCHAR(512) NULL,
	lease_owner VARCHAR(128) CHARACTER SET ascii NULL,
	lease_until DATETIME(3) NULL,
	lease_epoch BIGINT UNSIGNED NOT NULL DEFAULT 0,
	delivered_at DATETIME(3) NULL,
	failed_at DATETIME(3) NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (id),
	UNIQUE KEY uq_webhook_deliveries_event (event_id),
	UNIQUE KEY uq_webhook_deliveries_event_key (event_key),
	KEY idx_webhook_deliveries_due (status, next_attempt_at),
	KEY idx_webhook_deliveries_merchant (merchant_id, created_at),
	KEY idx_webhook_deliveries_invoice (invoice_id),
	KEY idx_webhook_deliveries_type (event_type, created_at),
	CONSTRAINT ck_webhook_deliveries_status CHECK (status IN ('PENDING', 'SENDING',
		'SUCCEEDED', 'FAILED', 'CANCELLED')),
	CONSTRAINT ck_webhook_deliveries_payload_json CHECK (JSON_VALID(payload)),
	CONSTRAINT fk_webhook_deliveries_merchant FOREIGN KEY (merchant_id)
		REFERENCES merchants (id) ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_webhook_deliveries_invoice FOREIGN KEY (invoice_id)
		REFERENCES invoices (id) ON DELETE RESTRICT ON UPDATE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every attempt of a delivery, for the merchant's delivery log.
CREATE TABLE IF NOT EXISTS webhook_attempts (
	id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	delivery_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	attempt_no INT UNSIGNED NOT NULL,
	started_at DATETIME(3) NOT NULL,
	status_code SMALLINT UNSIGNED NULL,
	duration_ms INT UNSIGNED NULL,
	response_excerpt VARCHAR(1024) NULL,
	error VARCHAR(512) NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (id),
	UNIQUE KEY uq_webhook_attempts_no (delivery_id, attempt_no),
	CONSTRAINT fk_webhook_attempts_delivery FOREIGN KEY (delivery_id)
		REFERENCES webhook_deliveries (id) ON DELETE CASCADE ON UPDATE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A scanner per network instance (YAML block name); its lease is the
-- leases row 'scan:<instance>'. The host owns cursor and recent blocks.
CREATE TABLE IF NOT EXISTS scanner_state (
	id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	instance VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	network_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	-- Opaque to the host, given back to the plugin's scan.
	cursor_text VARCHAR(1024) CHARACTER SET ascii COLLATE ascii_bin NULL,
	cursor_height BIGINT UNSIGNED NULL,
	tip_height BIGINT UNSIGNED NULL,
	last_scan_at DATETIME(3) NULL,
	last_success_at DATETIME(3) NULL,
	last_error VARCHAR(512) NULL,
	-- Set on a reorg deeper than the confirmations: an admin must act.
	stopped TINYINT(1) NOT NULL DEFAULT 0,
	stop_reason VARCHAR(512) NULL,
	reorg_count INT UNSIGNED NOT NULL DEFAULT 0,
	version BIGINT UNSIGNED NOT NULL DEFAULT 0,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (id),
	UNIQUE KEY uq_scanner_state_instance (instance),
	KEY idx_scanner_state_network (network_id),
	CONSTRAINT fk_scanner_state_network FOREIGN KEY (network_id)
		REFERENCES networks (id) ON DELETE RESTRICT ON UPDATE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Recent block hashes of a scanner, to detect reorgs (pruned behind the tip).
CREATE TABLE IF NOT EXISTS scanner_blocks (
	scanner_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	height BIGINT UNSIGNED NOT NULL,
	block_hash VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	parent_hash VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	block_time DATETIME(3) NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (scanner_id, height),
	KEY idx_scanner_blocks_hash (block_hash),
	CONSTRAINT fk_scanner_blocks_scanner FOREIGN KEY (scanner_id)
		REFERENCES scanner_state (id) ON DELETE CASCADE ON UPDATE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Leases of background jobs (core/db/lease.c): claimed with SELECT … FOR
-- UPDATE SKIP LOCKED, results written only WHERE epoch = the claimed one.
CREATE TABLE IF NOT EXISTS leases (
	job_name VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	owner VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
	epoch BIGINT UNSIGNED NOT NULL DEFAULT 0,
	lease_until DATETIME(3) NOT NULL DEFAULT '1970-01-01 00:00:00.000',
	claimed_at DATETIME(3) NULL,
	renewed_at DATETIME(3) NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (job_name),
	KEY idx_leases_until (lease_until)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Hints from providers (Tatum webhooks …): verified, deduplicated here,
-- then confirmed through the provider's API before they feed detection.
CREATE TABLE IF NOT EXISTS provider_events (
	id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	provider VARCHAR(32) CHARACTER SET ascii NOT NULL,
	-- The provider's event id, or a hash of what identifies the event.
	event_key VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	network_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NULL,
	tx_hash VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
	address VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
	payload LONGTEXT NOT NULL,
	status VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'RECEIVED',
	error VARCHAR(512) NULL,
	attempt_count INT UNSIGNED NOT NULL DEFAULT 0,
	received_at DATETIME(3) NOT NULL,
	processed_at DATETIME(3) NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (id),
	UNIQUE KEY uq_provider_events_key (provider, event_key),
	KEY idx_provider_events_status (status, received_at),
	KEY idx_provider_events_tx (network_id, tx_hash),
	CONSTRAINT ck_provider_events_status CHECK (status IN ('RECEIVED', 'CONFIRMED',
		'IGNORED', 'FAILED')),
	CONSTRAINT ck_provider_events_payload_json CHECK (JSON_VALID(payload)),
	CONSTRAINT fk_provider_events_network FOREIGN KEY (network_id)
		REFERENCES networks (id) ON DELETE RESTRICT ON UPDATE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
