-- Merchants, their settings, API keys, usage statistics, idempotency records.

CREATE TABLE IF NOT EXISTS merchants (
	id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	user_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	user_id_live VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin
		AS (IF(deleted_at IS NULL, user_id, NULL)) PERSISTENT,
	business_name VARCHAR(200) NOT NULL,
	legal_name VARCHAR(200) NULL,
	business_email VARCHAR(254) NULL,
	business_phone VARCHAR(32) NULL,
	website_url VARCHAR(2048) NULL,
	address_line1 VARCHAR(200) NULL,
	address_line2 VARCHAR(200) NULL,
	city VARCHAR(100) NULL,
	region VARCHAR(100) NULL,
	postal_code VARCHAR(32) NULL,
	country_code CHAR(2) CHARACTER SET ascii NULL,
	tax_id VARCHAR(64) NULL,
	webhook_url VARCHAR(2048) NULL,
	-- AES-256-GCM (nonce | ciphertext | tag) under the master key named by
	-- the key id, with the merchant id as associated data.
	webhook_secret_enc VARBINARY(256) NULL,
	webhook_secret_key_id VARCHAR(32) CHARACTER SET ascii NULL,
	webhook_secret_prev_enc VARBINARY(256) NULL,
	webhook_secret_prev_key_id VARCHAR(32) CHARACTER SET ascii NULL,
	webhook_secret_prev_expires_at DATETIME(3) NULL,
	webhook_secret_rotated_at DATETIME(3) NULL,
	webhooks_paused TINYINT(1) NOT NULL DEFAULT 0,
	webhook_max_attempts INT UNSIGNED NOT NULL DEFAULT 20,
	webhook_retry_base_s INT UNSIGNED NOT NULL DEFAULT 10,
	webhook_retry_max_s INT UNSIGNED NOT NULL DEFAULT 21600,
	webhook_retry_window_s INT UNSIGNED NOT NULL DEFAULT 259200,
	webhook_timeout_ms INT UNSIGNED NOT NULL DEFAULT 10000,
	rate_limit_per_minute INT UNSIGNED NOT NULL DEFAULT 600,
	rate_limit_burst INT UNSIGNED NOT NULL DEFAULT 100,
	verification_status VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'PENDING',
	verified_at DATETIME(3) NULL,
	is_active TINYINT(1) NOT NULL DEFAULT 1,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	deleted_at DATETIME(3) NULL,
	PRIMARY KEY (id),
	UNIQUE KEY uq_merchants_user_live (user_id_live),
	KEY idx_merchants_user (user_id),
	KEY idx_merchants_created (created_at, id),
	CONSTRAINT ck_merchants_verification CHECK (verification_status IN
		('PENDING', 'VERIFIED', 'REJECTED', 'SUSPENDED')),
	CONSTRAINT ck_merchants_retry CHECK (webhook_retry_base_s > 0 AND
		webhook_retry_max_s >= webhook_retry_base_s AND webhook_max_attempts > 0),
	CONSTRAINT fk_merchants_user FOREIGN KEY (user_id)
		REFERENCES users (id) ON DELETE RESTRICT ON UPDATE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS merchant_settings (
	id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	merchant_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	notify_email TINYINT(1) NOT NULL DEFAULT 1,
	notify_webhook TINYINT(1) NOT NULL DEFAULT 1,
	notify_sms TINYINT(1) NOT NULL DEFAULT 0,
	notification_email VARCHAR(254) NULL,
	notification_phone VARCHAR(32) NULL,
	-- JSON array of event types the merchant receives; NULL: all.
	webhook_events LONGTEXT NULL,
	default_currency VARCHAR(32) CHARACTER SET ascii NOT NULL DEFAULT 'USD',
	invoice_expiry_minutes INT UNSIGNED NOT NULL DEFAULT 60,
	-- Fraction of the amount due that may be missing and still count as paid.
	payment_tolerance DECIMAL(5,4) NOT NULL DEFAULT 0.0000,
	paid_late_window_minutes INT UNSIGNED NOT NULL DEFAULT 1440,
	-- JSON object network code -> confirmations; may only raise the network's.
	confirmations_override LONGTEXT NULL,
	redirect_url VARCHAR(2048) NULL,
	cancel_url VARCHAR(2048) NULL,
	brand_name VARCHAR(200) NULL,
	brand_primary_color CHAR(7) CHARACTER SET ascii NULL,
	brand_secondary_color CHAR(7) CHARACTER SET ascii NULL,
	brand_logo_url VARCHAR(2048) NULL,
	checkout_theme VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'light',
	-- JSON array of addresses/CIDRs allowed to use the API keys; NULL: any.
	ip_whitelist LONGTEXT NULL,
	require_webhook_signature TINYINT(1) NOT NULL DEFAULT 1,
	business_category VARCHAR(64) NULL,
	business_description VARCHAR(1000) NULL,
	tax_rate DECIMAL(5,4) NULL,
	tax_included TINYINT(1) NOT NULL DEFAULT 0,
	tax_region VARCHAR(64) NULL,
	metadata LONGTEXT NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (id),
	UNIQUE KEY uq_merchant_settings_merchant (merchant_id),
	CONSTRAINT ck_merchant_settings_tolerance CHECK (payment_tolerance >= 0 AND payment_tolerance < 1),
	CONSTRAINT ck_merchant_settings_tax CHECK (tax_rate IS NULL OR (tax_rate >= 0 AND tax_rate < 1)),
	CONSTRAINT ck_merchant_settings_colors CHECK (
		(brand_primary_color IS NULL OR brand_primary_color REGEXP '^#[0-9A-Fa-f]{6}$') AND
		(brand_secondary_color IS NULL OR brand_secondary_color REGEXP '^#[0-9A-Fa-f]{6}$')),
	CONSTRAINT ck_merchant_settings_events_json CHECK (webhook_events IS NULL OR JSON_VALID(webhook_events)),
	CONSTRAINT ck_merchant_settings_conf_json CHECK (confirmations_override IS NULL OR JSON_VALID(confirmations_override)),
	CONSTRAINT ck_merchant_settings_ip_json CHECK (ip_whitelist IS NULL OR JSON_VALID(ip_whitelist)),
	CONSTRAINT ck_merchant_settings_meta_json CHECK (metadata IS NULL OR JSON_VALID(metadata)),
	CONSTRAINT fk_merchant_settings_merchant FOREIGN KEY (merchant_id)
		REFERENCES merchants (id) ON DELETE CASCADE ON UPDATE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS api_keys (
	id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	merchant_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	name VARCHAR(100) NOT NULL,
	-- Public part of the key, shown in lists and used to find the row.
	prefix VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	prefix_live VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin
		AS (IF(deleted_at IS NULL, prefix, NULL)) PERSISTENT,
	-- SHA-256 (hex) of the whole key; the key is shown once, never stored.
	key_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	scopes LONGTEXT NULL,
	last_used_at DATETIME(3) NULL,
	last_used_ip VARCHAR(45) CHARACTER SET ascii NULL,
	usage_count BIGINT UNSIGNED NOT NULL DEFAULT 0,
	expires_at DATETIME(3) NULL,
	revoked_at DATETIME(3) NULL,
	created_by_user_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	deleted_at DATETIME(3) NULL,
	PRIMARY KEY (id),
	UNIQUE KEY uq_api_keys_prefix_live (prefix_live),
	UNIQUE KEY uq_api_keys_hash (key_hash),
	KEY idx_api_keys_merchant (merchant_id, revoked_at),
	KEY idx_api_keys_prefix (prefix),
	CONSTRAINT ck_api_keys_scopes_json CHECK (scopes IS NULL OR JSON_VALID(scopes)),
	CONSTRAINT fk_api_keys_merchant FOREIGN KEY (merchant_id)
		REFERENCES merchants (id) ON DELETE CASCADE ON UPDATE RESTRICT,
	CONSTRAINT fk_api_keys_created_by FOREIGN KEY (created_by_user_id)
		REFERENCES users (id) ON DELETE SET NULL ON UPDATE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

ALTER TABLE audit_logs
	ADD CONSTRAINT fk_audit_logs_merchant FOREIGN KEY IF NOT EXISTS (merchant_id)
		REFERENCES merchants (id) ON DELETE RESTRICT ON UPDATE RESTRICT,
	ADD CONSTRAINT fk_audit_logs_api_key FOREIGN KEY IF NOT EXISTS (api_key_id)
		REFERENCES api_keys (id) ON DELETE RESTRICT ON UPDATE RESTRICT;

-- One row per merchant, endpoint, method and hour; days are summed from
-- daily_bucket. Rows are written in batches from in-memory counters.
CREATE TABLE IF NOT EXISTS api_usage_stats (
	id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	merchant_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	endpoint VARCHAR(191) CHARACTER SET ascii NOT NULL,
	http_method VARCHAR(8) CHARACTER SET ascii NOT NULL,
	hourly_bucket DATETIME NOT NULL,
	daily_bucket DATE NOT NULL,
	request_count BIGINT UNSIGNED NOT NULL DEFAULT 0,
	error_count BIGINT UNSIGNED NOT NULL DEFAULT 0,
	client_error_count BIGINT UNSIGNED NOT NULL DEFAULT 0,
	server_error_count BIGINT UNSIGNED NOT NULL DEFAULT 0,
	rate_limited_count BIGINT UNSIGNED NOT NULL DEFAULT 0,
	total_response_ms BIGINT UNSIGNED NOT NULL DEFAULT 0,
	max_response_ms INT UNSIGNED NOT NULL DEFAULT 0,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (id),
	UNIQUE KEY uq_api_usage_stats_bucket (merchant_id, endpoint, http_method, hourly_bucket),
	KEY idx_api_usage_stats_hourly (hourly_bucket),
	KEY idx_api_usage_stats_daily (daily_bucket),
	CONSTRAINT ck_api_usage_stats_day CHECK (daily_bucket = CAST(hourly_bucket AS DATE)),
	CONSTRAINT fk_api_usage_stats_merchant FOREIGN KEY (merchant_id)
		REFERENCES merchants (id) ON DELETE CASCADE ON UPDATE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Stored first responses of POST requests carrying an Idempotency-Key,
-- per merchant (API keys) or per user (sessions).
CREATE TABLE IF NOT EXISTS idempotency_keys (
	id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	merchant_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NULL,
	user_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NULL,
	scope_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin
		AS (COALESCE(merchant_id, user_id)) PERSISTENT,
	idem_key VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	http_method VARCHAR(8) CHARACTER SET ascii NOT NULL,
	request_path VARCHAR(512) NOT NULL,
	request_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	status VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'PROCESSING',
	response_status SMALLINT UNSIGNED NULL,
	response_headers LONGTEXT NULL,
	response_body LONGTEXT NULL,
	resource_type VARCHAR(64) CHARACTER SET ascii NULL,
	resource_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	completed_at DATETIME(3) NULL,
	expires_at DATETIME(3) NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY uq_idempotency_keys_scope_key (scope_id, idem_key),
	KEY idx_idempotency_keys_expires (expires_at),
	CONSTRAINT ck_idempotency_keys_owner CHECK (merchant_id IS NOT NULL OR user_id IS NOT NULL),
	CONSTRAINT ck_idempotency_keys_status CHECK (status IN ('PROCESSING', 'COMPLETED')),
	CONSTRAINT ck_idempotency_keys_headers_json CHECK (response_headers IS NULL OR JSON_VALID(response_headers)),
	CONSTRAINT fk_idempotency_keys_merchant FOREIGN KEY (merchant_id)
		REFERENCES merchants (id) ON DELETE CASCADE ON UPDATE RESTRICT,
	CONSTRAINT fk_idempotency_keys_user FOREIGN KEY (user_id)
		REFERENCES users (id) ON DELETE CASCADE ON UPDATE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
