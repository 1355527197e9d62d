-- The daemon's least-privilege database user: SELECT/INSERT/UPDATE where
-- the product writes, DELETE only where it must (expired sessions and
-- idempotency records; usage statistics, delivery attempts and provider
-- events past their retention; pruned scanner blocks), never on
-- balance_history, audit_logs or transactions, no UPDATE on the
-- append-only tables, no DDL, no GRANT.
-- Migrations run as an admin user; the daemon runs as this one.
--
-- Run as an admin connected to the gateway's database, after the
-- migrations, with these session variables set (tools/provision-db and
-- cg_db_provision_app_user() do that):
--   @cg_app_user      user name
--   @cg_app_host      host part ('localhost' for the UNIX socket)
--   @cg_app_password  password, or NULL to keep an existing user's
-- Re-running it resets the user's privileges to exactly these.

SET @cg_app = CONCAT(QUOTE(@cg_app_user), '@', QUOTE(COALESCE(@cg_app_host, 'localhost')));
SET @cg_db = CONCAT('`', REPLACE(DATABASE(), '`', '``'), '`');

SET @s = CONCAT('CREATE USER IF NOT EXISTS ', @cg_app,
	IF(@cg_app_password IS NULL, '', CONCAT(' IDENTIFIED BY ', QUOTE(@cg_app_password))));
PREPARE cg_s FROM @s;
EXECUTE cg_s;
SET @s = IF(@cg_app_password IS NULL, 'DO 0',
	CONCAT('ALTER USER ', @cg_app, ' IDENTIFIED BY ', QUOTE(@cg_app_password)));
PREPARE cg_s FROM @s;
EXECUTE cg_s;
SET @s = CONCAT('REVOKE ALL PRIVILEGES, GRANT OPTION FROM ', @cg_app);
PREPARE cg_s FROM @s;
EXECUTE cg_s;

SET @s = CONCAT('GRANT SELECT, INSERT, UPDATE ON ', @cg_db, '.users TO ', @cg_app);
PREPARE cg_s FROM @s;
EXECUTE cg_s;
SET @s = CONCAT('GRANT SELECT, INSERT, UPDATE, DELETE ON ', @cg_db, '.user_sessions TO ', @cg_app);
PREPARE cg_s FROM @s;
EXECUTE cg_s;
SET @s = CONCAT('GRANT SELECT, INSERT ON ', @cg_db, '.audit_logs TO ', @cg_app);
PREPARE cg_s FROM @s;
EXECUTE cg_s;
SET @s = CONCAT('GRANT SELECT, INSERT, UPDATE ON ', @cg_db, '.merchants TO ', @cg_app);
PREPARE cg_s FROM @s;
EXECUTE cg_s;
SET @s = CONCAT('GRANT SELECT, INSERT, UPDATE ON ', @cg_db, '.merchant_settings TO ', @cg_app);
PREPARE cg_s FROM @s;
EXECUTE cg_s;
SET @s = CONCAT('GRANT SELECT, INSERT, UPDATE ON ', @cg_db, '.api_keys TO ', @cg_app);
PREPARE cg_s FROM @s;
EXECUTE cg_s;
SET @s = CONCAT('GRANT SELECT, INSERT, UPDATE, DELETE ON ', @cg_db, '.api_usage_stats TO ', @cg_app);
PREPARE cg_s FROM @s;
EXECUTE cg_s;
SET @s = CONCAT('GRANT SELECT, INSERT, UPDATE, DELETE ON ', @cg_db, '.idempotency_keys TO ', @cg_app);
PREPARE cg_s FROM @s;
EXECUTE cg_s;
SET @s = CONCAT('GRANT SELECT, INSERT, UPDATE ON ', @cg_db, '.networks TO ', @cg_app);
PREPARE cg_s FROM @s;
EXECUTE cg_s;
SET @s = CONCAT('GRANT SELECT, INSERT, UPDATE ON ', @cg_db, '.currencies TO ', @cg_app);
PREPARE cg_s FROM @s;
EXECUTE cg_s;
SET @s = CONCAT('GRANT SELECT, INSERT ON ', @cg_db, '.price_history TO ', @cg_app);
PREPARE cg_s FROM @s;
EXECUTE cg_s;
SET @s = CONCAT('GRANT SELECT, INSERT, UPDATE ON ', @cg_db, '.wallets TO ', @cg_app);
PREPARE cg_s FROM @s;
EXECUTE cg_s;
SET @s = CONCAT('GRANT SELECT, INSERT, UPDATE ON ', @cg_db, '.address_counters TO ', @cg_app);
PREPARE cg_s FROM @s;
EXECUTE cg_s;
SET @s = CONCAT('GRANT SELECT, INSERT, UPDATE ON ', @cg_db, '.address_pools TO ', @cg_app);
PREPARE cg_s FROM @s;
EXECUTE cg_s;
SET @s = CONCAT('GRANT SELECT, INSERT, UPDATE ON ', @cg_db, '.invoices TO ', @cg_app);
PREPARE cg_s FROM @s;
EXECUTE cg_s;
SET @s = CONCAT('GRANT SELECT, INSERT, UPDATE ON ', @cg_db, '.transactions TO ', @cg_app);
PREPARE cg_s FROM @s;
EXECUTE cg_s;
SET @s = CONCAT('GRANT SELECT, INSERT ON ', @cg_db, '.balance_history TO ', @cg_app);
PREPARE cg_s FROM @s;
EXECUTE cg_s;
SET @s = CONCAT('GRANT SELECT, INSERT, UPDATE ON ', @cg_db, '.webhook_deliveries TO ', @cg_app);
PREPARE cg_s FROM @s;
EXECUTE cg_s;
SET @s = CONCAT('GRANT SELECT, INSERT, DELETE ON ', @cg_db, '.webhook_attempts TO ', @cg_app);
PREPARE cg_s FROM @s;
EXECUTE cg_s;
SET @s = CONCAT('GRANT SELECT, INSERT, UPDATE ON ', @cg_db, '.scanner_state TO ', @cg_app);
PREPARE cg_s FROM @s;
EXECUTE cg_s;
SET @s = CONCAT('GRANT SELECT, INSERT, UPDATE, DELETE ON ', @cg_db, '.scanner_blocks TO ', @cg_app);
PREPARE cg_s FROM @s;
EXECUTE cg_s;
SET @s = CONCAT('GRANT SELECT, INSERT, UPDATE ON ', @cg_db, '.leases TO ', @cg_app);
PREPARE cg_s FROM @s;
EXECUTE cg_s;
SET @s = CONCAT('GRANT SELECT ON ', @cg_db, '.schema_migrations TO ', @cg_app);
PREPARE cg_s FROM @s;
EXECUTE cg_s;
SET @s = CONCAT('GRANT SELECT, INSERT, UPDATE, DELETE ON ', @cg_db, '.provider_events TO ', @cg_app);
PREPARE cg_s FROM @s;
EXECUTE cg_s;
DEALLOCATE PREPARE cg_s;
