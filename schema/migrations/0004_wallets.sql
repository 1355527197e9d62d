-- Merchant wallets, the per-network derivation counters and address pools.

CREATE TABLE IF NOT EXISTS wallets (
	id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	merchant_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	currency_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	network_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	-- Account-level extended public key (watch-only); the same for every
	-- wallet of a merchant on one network (see address_counters).
	xpub VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
	account_path VARCHAR(64) CHARACTER SET ascii NULL,
	tatum_account_id VARCHAR(64) CHARACTER SET ascii NULL,
	tatum_customer_id VARCHAR(64) CHARACTER SET ascii NULL,
	confirmed_balance DECIMAL(36,18) NOT NULL DEFAULT 0,
	pending_balance DECIMAL(36,18) NOT NULL DEFAULT 0,
	locked_balance DECIMAL(36,18) NOT NULL DEFAULT 0,
	auto_withdraw_enabled TINYINT(1) NOT NULL DEFAULT 0,
	auto_withdraw_address VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
	auto_withdraw_threshold DECIMAL(36,18) NULL,
	low_balance_threshold DECIMAL(36,18) NULL,
	-- Grows with every balance posting; balance_history.wallet_version orders them.
	version BIGINT UNSIGNED NOT NULL DEFAULT 0,
	is_active TINYINT(1) NOT NULL DEFAULT 1,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (id),
	UNIQUE KEY uq_wallets_merchant_currency (merchant_id, currency_id),
	KEY idx_wallets_network (network_id),
	KEY idx_wallets_currency (currency_id),
	CONSTRAINT ck_wallets_buckets CHECK (pending_balance >= 0 AND locked_balance >= 0),
	CONSTRAINT ck_wallets_withdraw CHECK (auto_withdraw_enabled = 0 OR
		(auto_withdraw_address IS NOT NULL AND auto_withdraw_threshold IS NOT NULL)),
	CONSTRAINT fk_wallets_merchant FOREIGN KEY (merchant_id)
		REFERENCES merchants (id) ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_wallets_currency FOREIGN KEY (currency_id)
		REFERENCES currencies (id) ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_wallets_network FOREIGN KEY (network_id)
		REFERENCES networks (id) ON DELETE RESTRICT ON UPDATE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One derivation counter (and key) per merchant and network, shared by the
-- network's coin and its tokens, so an address never serves two invoices.
CREATE TABLE IF NOT EXISTS address_counters (
	id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	merchant_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	network_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	xpub VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	account_path VARCHAR(64) CHARACTER SET ascii NULL,
	-- Next unused child index on the receive chain (…/0/index).
	next_index BIGINT UNSIGNED NOT NULL DEFAULT 0,
	-- Lower bound the pool refill keeps AVAILABLE addresses at.
	pool_target INT UNSIGNED NOT NULL DEFAULT 20,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (id),
	UNIQUE KEY uq_address_counters_merchant_network (merchant_id, network_id),
	KEY idx_address_counters_network (network_id),
	CONSTRAINT ck_address_counters_index CHECK (next_index <= 2147483648),
	CONSTRAINT fk_address_counters_merchant FOREIGN KEY (merchant_id)
		REFERENCES merchants (id) ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_address_counters_network FOREIGN KEY (network_id)
		REFERENCES networks (id) ON DELETE RESTRICT ON UPDATE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS address_pools (
	id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	merchant_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	network_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	counter_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	address VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	memo VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
	derivation_path VARCHAR(64) CHARACTER SET ascii NOT NULL,
	derivation_index BIGINT UNSIGNED NOT NULL,
	status VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'AVAILABLE',
	-- The invoice the address was handed to (FK added in 0005).
	invoice_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NULL,
	balance DECIMAL(36,18) NOT NULL DEFAULT 0,
	tx_count INT UNSIGNED NOT NULL DEFAULT 0,
	last_tx_at DATETIME(3) NULL,
	-- NULL while the gateway is watch-only; AES-256-GCM when a feature needs it.
	encrypted_private_key VARBINARY(256) NULL,
	private_key_key_id VARCHAR(32) CHARACTER SET ascii NULL,
	assigned_at DATETIME(3) NULL,
	used_at DATETIME(3) NULL,
	expired_at DATETIME(3) NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (id),
	UNIQUE KEY uq_address_pools_network_address (network_id, address),
	UNIQUE KEY uq_address_pools_counter_index (counter_id, derivation_index),
	KEY idx_address_pools_address (address),
	KEY idx_address_pools_merchant_status (merchant_id, status),
	KEY idx_address_pools_take (merchant_id, network_id, status, derivation_index),
	KEY idx_address_pools_invoice (invoice_id),
	CONSTRAINT ck_address_pools_status CHECK (status IN ('AVAILABLE', 'ASSIGNED', 'USED', 'EXPIRED')),
	CONSTRAINT ck_address_pools_assigned CHECK (status = 'AVAILABLE' OR invoice_id IS NOT NULL OR status = 'EXPIRED'),
	CONSTRAINT ck_address_pools_index CHECK (derivation_index < 2147483648),
	CONSTRAINT fk_address_pools_merchant FOREIGN KEY (merchant_id)
		REFERENCES merchants (id) ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_address_pools_network FOREIGN KEY (network_id)
		REFERENCES networks (id) ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_address_pools_counter FOREIGN KEY (counter_id)
		REFERENCES address_counters (id) ON DELETE RESTRICT ON UPDATE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
