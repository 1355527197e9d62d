-- Invoices, on-chain payments (transactions) and the balance ledger.

CREATE TABLE IF NOT EXISTS invoices (
	id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	merchant_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	order_id VARCHAR(255) NULL,
	description VARCHAR(1000) NULL,
	-- What the merchant asked for, in the invoice currency (fiat or crypto).
	amount DECIMAL(36,18) NOT NULL,
	currency_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	-- What the customer pays, in the pay currency, rounded up to its decimals.
	pay_amount DECIMAL(36,18) NOT NULL,
	pay_currency_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	network_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	wallet_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	address_pool_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	-- The exact rate used (invoice currency per pay currency unit); NULL
	-- when no conversion was needed.
	exchange_rate DECIMAL(36,18) NULL,
	rate_source VARCHAR(32) CHARACTER SET ascii NULL,
	rate_at DATETIME(3) NULL,
	tax_rate DECIMAL(5,4) NULL,
	tax_amount DECIMAL(36,18) NULL,
	deposit_address VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	deposit_memo VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
	payment_uri VARCHAR(2048) NOT NULL,
	status VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'new',
	paid_over TINYINT(1) NOT NULL DEFAULT 0,
	paid_late TINYINT(1) NOT NULL DEFAULT 0,
	paid_partial TINYINT(1) NOT NULL DEFAULT 0,
	-- Totals computed from the invoice's counted payments, in the pay currency.
	amount_received DECIMAL(36,18) NOT NULL DEFAULT 0,
	amount_confirmed DECIMAL(36,18) NOT NULL DEFAULT 0,
	payment_count INT UNSIGNED NOT NULL DEFAULT 0,
	payment_tolerance DECIMAL(5,4) NOT NULL DEFAULT 0,
	confirmations_required INT UNSIGNED NOT NULL,
	-- Grows with every change; merchant events carry it.
	version INT UNSIGNED NOT NULL DEFAULT 1,
	webhook_url VARCHAR(2048) NULL,
	webhook_events LONGTEXT NULL,
	redirect_url VARCHAR(2048) NULL,
	cancel_url VARCHAR(2048) NULL,
	customer_email VARCHAR(254) NULL,
	metadata LONGTEXT NULL,
	created_by_api_key_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NULL,
	expires_at DATETIME(3) NOT NULL,
	-- Monitoring for late payments stops after this.
	monitor_until DATETIME(3) NULL,
	first_seen_at DATETIME(3) NULL,
	paid_at DATETIME(3) NULL,
	settled_at DATETIME(3) NULL,
	expired_at DATETIME(3) NULL,
	cancelled_at DATETIME(3) NULL,
	invalid_at DATETIME(3) NULL,
	invalid_reason VARCHAR(255) NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	deleted_at DATETIME(3) NULL,
	PRIMARY KEY (id),
	UNIQUE KEY uq_invoices_address_pool (address_pool_id),
	KEY idx_invoices_deposit_address (deposit_address),
	KEY idx_invoices_merchant_status (merchant_id, status),
	KEY idx_invoices_merchant_created (merchant_id, created_at, id),
	KEY idx_invoices_merchant_order (merchant_id, order_id),
	KEY idx_invoices_expires (expires_at),
	KEY idx_invoices_paid (paid_at),
	KEY idx_invoices_status_expires (status, expires_at),
	KEY idx_invoices_network (network_id, status),
	CONSTRAINT ck_invoices_status CHECK (status IN ('new', 'partially_paid', 'processing',
		'settled', 'expired', 'invalid', 'cancelled')),
	CONSTRAINT ck_invoices_amounts CHECK (amount > 0 AND pay_amount > 0 AND
		amount_received >= 0 AND amount_confirmed >= 0 AND amount_confirmed <= amount_received),
	CONSTRAINT ck_invoices_tolerance CHECK (payment_tolerance >= 0 AND payment_tolerance < 1),
	CONSTRAINT ck_invoices_tax CHECK (tax_rate IS NULL OR (tax_rate >= 0 AND tax_rate < 1)),
	CONSTRAINT ck_invoices_rate CHECK (exchange_rate IS NULL OR exchange_rate > 0),
	CONSTRAINT ck_invoices_events_json CHECK (webhook_events IS NULL OR JSON_VALID(webhook_events)),
	CONSTRAINT ck_invoices_meta_json CHECK (metadata IS NULL OR JSON_VALID(metadata)),
	CONSTRAINT fk_invoices_merchant FOREIGN KEY (merchant_id)
		REFERENCES merchants (id) ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_invoices_currency FOREIGN KEY (currency_id)
		REFERENCES currencies (id) ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_invoices_pay_currency FOREIGN KEY (pay_currency_id)
		REFERENCES currencies (id) ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_invoices_network FOREIGN KEY (network_id)
		REFERENCES networks (id) ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_invoices_wallet FOREIGN KEY (wallet_id)
		REFERENCES wallets (id) ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_invoices_address_pool FOREIGN KEY (address_pool_id)
		REFERENCES address_pools (id) ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_invoices_api_key FOREIGN KEY (created_by_api_key_id)
		REFERENCES api_keys (id) ON DELETE RESTRICT ON UPDATE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

ALTER TABLE address_pools
	ADD CONSTRAINT fk_address_pools_invoice FOREIGN KEY IF NOT EXISTS (invoice_id)
		REFERENCES invoices (id) ON DELETE RESTRICT ON UPDATE RESTRICT;

-- One row per payment: (network, tx hash, position in the transaction).
-- Position: the output index (UTXO), the log's position within its receipt
-- (EVM tokens), -1 for a transaction's native value (EVM, TRON).
CREATE TABLE IF NOT EXISTS transactions (
	id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	network_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	tx_hash VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	tx_position INT NOT NULL,
	from_address VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
	to_address VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	currency_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	contract_address VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
	-- Base units as reported by the chain (decimal text, up to uint256).
	amount_raw VARCHAR(80) CHARACTER SET ascii NOT NULL,
	-- In currency units; NULL only when the amount does not fit (REJECTED).
	amount DECIMAL(36,18) NULL,
	block_height BIGINT UNSIGNED NULL,
	block_hash VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
	block_time DATETIME(3) NULL,
	confirmations INT UNSIGNED NOT NULL DEFAULT 0,
	gas_used BIGINT UNSIGNED NULL,
	gas_price BIGINT UNSIGNED NULL,
	fee DECIMAL(36,18) NULL,
	status VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'PENDING',
	failure_reason VARCHAR(255) NULL,
	-- MATCHED, or why it was recorded without counting towards an invoice.
	match_status VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'UNMATCHED',
	merchant_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NULL,
	address_pool_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NULL,
	-- NULL for a payment that matches no invoice.
	invoice_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NULL,
	source VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'SCANNER',
	tatum_subscription_id VARCHAR(64) CHARACTER SET ascii NULL,
	resolved_by_user_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NULL,
	resolved_at DATETIME(3) NULL,
	resolution_note VARCHAR(500) NULL,
	first_seen_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	-- Block time of the first block it was seen in (decides paid_late).
	first_seen_block_time DATETIME(3) NULL,
	last_seen_at DATETIME(3) NULL,
	confirmed_at DATETIME(3) NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (id),
	UNIQUE KEY uq_transactions_identity (network_id, tx_hash, tx_position),
	KEY idx_transactions_tx_hash (tx_hash),
	KEY idx_transactions_invoice (invoice_id),
	KEY idx_transactions_to_address (to_address),
	KEY idx_transactions_merchant_created (merchant_id, created_at),
	KEY idx_transactions_status (network_id, status, block_height),
	KEY idx_transactions_match (match_status, created_at),
	CONSTRAINT ck_transactions_status CHECK (status IN ('PENDING', 'CONFIRMED', 'ORPHANED',
		'INVALID', 'FAILED', 'REJECTED')),
	CONSTRAINT ck_transactions_match CHECK (match_status IN ('MATCHED', 'UNMATCHED', 'LATE',
		'WRONG_ASSET', 'INVOICE_CLOSED', 'RESOLVED')),
	CONSTRAINT ck_transactions_source CHECK (source IN ('SCANNER', 'TATUM', 'MANUAL')),
	CONSTRAINT ck_transactions_amount CHECK ((amount IS NOT NULL AND amount >= 0) OR status = 'REJECTED'),
	CONSTRAINT ck_transactions_raw CHECK (amount_raw REGEXP '^[0-9]+$'),
	CONSTRAINT ck_transactions_position CHECK (tx_position >= -1),
	CONSTRAINT fk_transactions_network FOREIGN KEY (network_id)
		REFERENCES networks (id) ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_transactions_currency FOREIGN KEY (currency_id)
		REFERENCES currencies (id) ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_transactions_merchant FOREIGN KEY (merchant_id)
		REFERENCES merchants (id) ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_transactions_address_pool FOREIGN KEY (address_pool_id)
		REFERENCES address_pools (id) ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_transactions_invoice FOREIGN KEY (invoice_id)
		REFERENCES invoices (id) ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_transactions_resolved_by FOREIGN KEY (resolved_by_user_id)
		REFERENCES users (id) ON DELETE RESTRICT ON UPDATE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

DELIMITER $$
CREATE TRIGGER IF NOT EXISTS trg_transactions_immutable BEFORE UPDATE ON transactions
FOR EACH ROW
BEGIN
	IF NOT (OLD.id <=> NEW.id AND OLD.network_id <=> NEW.network_id AND
	    OLD.tx_hash <=> NEW.tx_hash AND OLD.tx_position <=> NEW.tx_position AND
	    OLD.from_address <=> NEW.from_address AND OLD.to_address <=> NEW.to_address AND
	    OLD.currency_id <=> NEW.currency_id AND
	    OLD.contract_address <=> NEW.contract_address AND
	    OLD.amount_raw <=> NEW.amount_raw AND OLD.amount <=> NEW.amount) THEN
		SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
		    'transactions: identity and amount columns are immutable';
	END IF;
END$$
CREATE TRIGGER IF NOT EXISTS trg_transactions_no_delete BEFORE DELETE ON transactions
FOR EACH ROW
BEGIN
	SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'transactions is append-only: DELETE refused';
END$$
DELIMITER ;

-- The ledger: one row per balance posting, unique per (wallet, payment,
-- bucket, kind of move); balance_after = balance_before + amount.
CREATE TABLE IF NOT EXISTS balance_history (
	id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	wallet_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	merchant_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	-- wallets.version after this posting: orders a wallet's rows.
	wallet_version BIGINT UNSIGNED NOT NULL,
	bucket VARCHAR(16) CHARACTER SET ascii NOT NULL,
	change_type VARCHAR(16) CHARACTER SET ascii NOT NULL,
	move_kind VARCHAR(16) CHARACTER SET ascii NOT NULL,
	amount DECIMAL(36,18) NOT NULL,
	balance_before DECIMAL(36,18) NOT NULL,
	balance_after DECIMAL(36,18) NOT NULL,
	transaction_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NULL,
	invoice_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NULL,
	created_by_user_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NULL,
	description VARCHAR(255) NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (id),
	UNIQUE KEY uq_balance_history_posting (wallet_id, transaction_id, bucket, move_kind),
	UNIQUE KEY uq_balance_history_wallet_version (wallet_id, wallet_version, bucket),
	KEY idx_balance_history_created (created_at),
	KEY idx_balance_history_wallet_created (wallet_id, created_at),
	KEY idx_balance_history_merchant_created (merchant_id, created_at),
	KEY idx_balance_history_transaction (transaction_id),
	KEY idx_balance_history_invoice (invoice_id),
	CONSTRAINT ck_balance_history_bucket CHECK (bucket IN ('PENDING', 'CONFIRMED', 'LOCKED')),
	CONSTRAINT ck_balance_history_type CHECK (change_type IN ('DEPOSIT', 'WITHDRAWAL', 'FEE', 'ADJUSTMENT')),
	CONSTRAINT ck_balance_history_move CHECK (move_kind IN ('SEEN', 'CONFIRMED', 'UNCONFIRMED',
		'REVERSED', 'LOCKED', 'UNLOCKED', 'WITHDRAWN', 'FEE', 'MANUAL')),
	CONSTRAINT ck_balance_history_sum CHECK (balance_after = balance_before + amount),
	CONSTRAINT ck_balance_history_nonzero CHECK (amount <> 0),
	CONSTRAINT fk_balance_history_wallet FOREIGN KEY (wallet_id)
		REFERENCES wallets (id) ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_balance_history_merchant FOREIGN KEY (merchant_id)
		REFERENCES merchants (id) ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_balance_history_transaction FOREIGN KEY (transaction_id)
		REFERENCES transactions (id) ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_balance_history_invoice FOREIGN KEY (invoice_id)
		REFERENCES invoices (id) ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_balance_history_user FOREIGN KEY (created_by_user_id)
		REFERENCES users (id) ON DELETE RESTRICT ON UPDATE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

DELIMITER $$
CREATE TRIGGER IF NOT EXISTS trg_balance_history_no_update BEFORE UPDATE ON balance_history
FOR EACH ROW
BEGIN
	SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'balance_history is append-only: UPDATE refused';
END$$
CREATE TRIGGER IF NOT EXISTS trg_balance_history_no_delete BEFORE DELETE ON balance_history
FOR EACH ROW
BEGIN
	SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'balance_history is append-only: DELETE refused';
END$$
DELIMITER ;
