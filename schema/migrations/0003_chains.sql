-- Networks, currencies (coins, tokens, fiat) and exchange-rate history.

CREATE TABLE IF NOT EXISTS networks (
	id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	-- The value an invoice's "network" takes, and the YAML instance name.
	code VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	name VARCHAR(100) NOT NULL,
	kind VARCHAR(8) CHARACTER SET ascii NOT NULL,
	plugin VARCHAR(64) CHARACTER SET ascii NOT NULL,
	chain_id BIGINT UNSIGNED NULL,
	native_symbol VARCHAR(16) CHARACTER SET ascii NOT NULL,
	native_decimals TINYINT UNSIGNED NOT NULL,
	confirmations INT UNSIGNED NOT NULL,
	block_time_s INT UNSIGNED NULL,
	is_testnet TINYINT(1) NOT NULL DEFAULT 0,
	-- Local development chains (devnet): never served outside development mode.
	is_development TINYINT(1) NOT NULL DEFAULT 0,
	status VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'ACTIVE',
	-- Informational: the YAML configuration is the authority for endpoints.
	rpc_endpoint VARCHAR(2048) NULL,
	explorer_tx_url VARCHAR(2048) NULL,
	explorer_address_url VARCHAR(2048) NULL,
	-- Account-level path the merchant's xpub is expected at, e.g. m/84'/0'/0'.
	account_path VARCHAR(64) CHARACTER SET ascii NULL,
	health_status VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'UNKNOWN',
	health_checked_at DATETIME(3) NULL,
	health_error VARCHAR(512) NULL,
	tip_height BIGINT UNSIGNED NULL,
	display_order INT NOT NULL DEFAULT 0,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (id),
	UNIQUE KEY uq_networks_code (code),
	KEY idx_networks_status (status, display_order),
	CONSTRAINT ck_networks_kind CHECK (kind IN ('UTXO', 'EVM', 'TRON')),
	CONSTRAINT ck_networks_status CHECK (status IN ('ACTIVE', 'DISABLED', 'MAINTENANCE')),
	CONSTRAINT ck_networks_health CHECK (health_status IN ('UNKNOWN', 'HEALTHY', 'DEGRADED', 'DOWN')),
	CONSTRAINT ck_networks_chain_id CHECK (kind <> 'EVM' OR chain_id IS NOT NULL),
	CONSTRAINT ck_networks_decimals CHECK (native_decimals <= 18),
	CONSTRAINT ck_networks_code CHECK (code REGEXP '^[a-z0-9][a-z0-9_-]*$')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS currencies (
	id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	-- Unique public code: BTC, ETH, USDT-ERC20, USD ...
	code VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	symbol VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	name VARCHAR(100) NOT NULL,
	kind VARCHAR(8) CHARACTER SET ascii NOT NULL,
	network_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NULL,
	-- Tokens only; compared byte-exact (Base58 is case-sensitive).
	contract_address VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
	token_standard VARCHAR(16) CHARACTER SET ascii NULL,
	decimals TINYINT UNSIGNED NOT NULL,
	coingecko_id VARCHAR(100) CHARACTER SET ascii NULL,
	coinmarketcap_id BIGINT UNSIGNED NULL,
	icon_url VARCHAR(2048) NULL,
	is_stablecoin TINYINT(1) NOT NULL DEFAULT 0,
	display_priority INT NOT NULL DEFAULT 0,
	status VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'ACTIVE',
	min_amount DECIMAL(36,18) NULL,
	max_amount DECIMAL(36,18) NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (id),
	UNIQUE KEY uq_currencies_code (code),
	UNIQUE KEY uq_currencies_network_symbol (network_id, symbol),
	UNIQUE KEY uq_currencies_network_contract (network_id, contract_address),
	KEY idx_currencies_symbol (symbol),
	KEY idx_currencies_status (status, display_priority),
	CONSTRAINT ck_currencies_kind CHECK (kind IN ('COIN', 'TOKEN', 'FIAT')),
	CONSTRAINT ck_currencies_fiat CHECK ((kind = 'FIAT') = (network_id IS NULL)),
	CONSTRAINT ck_currencies_contract CHECK (kind = 'TOKEN' OR contract_address IS NULL),
	CONSTRAINT ck_currencies_decimals CHECK (decimals <= 18),
	CONSTRAINT ck_currencies_status CHECK (status IN ('ACTIVE', 'DISABLED', 'DEPRECATED')),
	CONSTRAINT ck_currencies_range CHECK (min_amount IS NULL OR max_amount IS NULL OR min_amount <= max_amount),
	CONSTRAINT fk_currencies_network FOREIGN KEY (network_id)
		REFERENCES networks (id) ON DELETE RESTRICT ON UPDATE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Price of one unit of currency_id in quote_currency_id (USD for the
-- spec's USD prices), rounded half-even to 8 decimals when stored.
CREATE TABLE IF NOT EXISTS price_history (
	id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	currency_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	quote_currency_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	price DECIMAL(18,8) NOT NULL,
	volume_24h DECIMAL(36,18) NULL,
	market_cap DECIMAL(36,18) NULL,
	change_24h_pct DECIMAL(18,8) NULL,
	source VARCHAR(32) CHARACTER SET ascii NOT NULL,
	-- The time the source says the price is from (the spec's "timestamp").
	observed_at DATETIME(3) NOT NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (id),
	UNIQUE KEY uq_price_history_point (currency_id, quote_currency_id, observed_at, source),
	KEY idx_price_history_currency_time_source (currency_id, observed_at, source),
	KEY idx_price_history_observed (observed_at),
	CONSTRAINT ck_price_history_price CHECK (price > 0),
	CONSTRAINT ck_price_history_pair CHECK (currency_id <> quote_currency_id),
	CONSTRAINT fk_price_history_currency FOREIGN KEY (currency_id)
		REFERENCES currencies (id) ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_price_history_quote FOREIGN KEY (quote_currency_id)
		REFERENCES currencies (id) ON DELETE RESTRICT ON UPDATE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
