-- Users, their sessions and the audit log.
-- Conventions for every migration: InnoDB, utf8mb4, ids are 25-character
-- collision-resistant random strings (core/util/id.c) in ascii_bin, times
-- are DATETIME(3) in UTC written by the daemon (never NOW() for business
-- time; the column defaults are a fallback for manual rows only).

CREATE TABLE users (
	id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	email VARCHAR(254) NOT NULL,
	-- NULL once soft-deleted, so the address can register again.
	email_live VARCHAR(254) AS (IF(deleted_at IS NULL, email, NULL)) PERSISTENT,
	password_hash VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	role VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'MERCHANT',
	name VARCHAR(200) NULL,
	is_active TINYINT(1) NOT NULL DEFAULT 1,
	email_verified_at DATETIME(3) NULL,
	email_verify_token_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
	email_verify_expires_at DATETIME(3) NULL,
	password_reset_token_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
	password_reset_expires_at DATETIME(3) NULL,
	failed_login_count INT UNSIGNED NOT NULL DEFAULT 0,
	locked_until DATETIME(3) NULL,
	last_login_at DATETIME(3) NULL,
	last_login_ip VARCHAR(45) CHARACTER SET ascii NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	deleted_at DATETIME(3) NULL,
	PRIMARY KEY (id),
	UNIQUE KEY uq_users_email_live (email_live),
	UNIQUE KEY uq_users_email_verify_token (email_verify_token_hash),
	UNIQUE KEY uq_users_password_reset_token (password_reset_token_hash),
	KEY idx_users_email (email),
	KEY idx_users_role (role),
	CONSTRAINT ck_users_role CHECK (role IN ('ADMIN', 'MERCHANT', 'OPERATOR')),
	CONSTRAINT ck_users_email CHECK (email LIKE '%_@_%')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE user_sessions (
	id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	user_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	-- SHA-256 (hex) of the bearer token; the token itself is never stored.
	session_token_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	ip_address VARCHAR(45) CHARACTER SET ascii NULL,
	user_agent VARCHAR(512) NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	last_seen_at DATETIME(3) NULL,
	expires_at DATETIME(3) NOT NULL,
	revoked_at DATETIME(3) NULL,
	PRIMARY KEY (id),
	UNIQUE KEY uq_user_sessions_token (session_token_hash),
	KEY idx_user_sessions_user (user_id, revoked_at, expires_at),
	KEY idx_user_sessions_expires (expires_at),
	CONSTRAINT fk_user_sessions_user FOREIGN KEY (user_id)
		REFERENCES users (id) ON DELETE CASCADE ON UPDATE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Foreign keys to merchants and api_keys are added in 0002, once they exist.
CREATE TABLE audit_logs (
	id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	user_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NULL,
	merchant_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NULL,
	api_key_id VARCHAR(25) CHARACTER SET ascii COLLATE ascii_bin NULL,
	actor_type VARCHAR(16) CHARACTER SET ascii NOT NULL,
	action VARCHAR(32) CHARACTER SET ascii NOT NULL,
	entity_type VARCHAR(64) CHARACTER SET ascii NOT NULL,
	entity_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
	old_values LONGTEXT NULL,
	new_values LONGTEXT NULL,
	ip_address VARCHAR(45) CHARACTER SET ascii NULL,
	user_agent VARCHAR(512) NULL,
	endpoint VARCHAR(255) NULL,
	http_method VARCHAR(8) CHARACTER SET ascii NULL,
	request_id VARCHAR(64) CHARACTER SET ascii NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (id),
	KEY idx_audit_logs_created (created_at),
	KEY idx_audit_logs_user (user_id, created_at),
	KEY idx_audit_logs_merchant (merchant_id, created_at),
	KEY idx_audit_logs_entity (entity_type, entity_id),
	KEY idx_audit_logs_action (action, created_at),
	CONSTRAINT ck_audit_logs_actor CHECK (actor_type IN ('USER', 'API_KEY', 'SYSTEM', 'CONTROL')),
	CONSTRAINT ck_audit_logs_old_json CHECK (old_values IS NULL OR JSON_VALID(old_values)),
	CONSTRAINT ck_audit_logs_new_json CHECK (new_values IS NULL OR JSON_VALID(new_values)),
	CONSTRAINT fk_audit_logs_user FOREIGN KEY (user_id)
		REFERENCES users (id) ON DELETE RESTRICT ON UPDATE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

DELIMITER $$
CREATE TRIGGER trg_audit_logs_no_update BEFORE UPDATE ON audit_logs
FOR EACH ROW
BEGIN
	SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_logs is append-only: UPDATE refused';
END$$
CREATE TRIGGER trg_audit_logs_no_delete BEFORE DELETE ON audit_logs
FOR EACH ROW
BEGIN
	SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_logs is append-only: DELETE refused';
END$$
DELIMITER ;
