-- Development and demo data (never installed in a production package):
-- the spec's "Test Data". Apply after the migrations with
-- `cryptic-gatewayd --seed` / tools/run, or `mariadb DB < dev.sql`.
-- Re-running it changes nothing (fixed ids, ON DUPLICATE KEY UPDATE).
--
-- Users: admin@crypticgateway.com / admin123 (ADMIN),
--        test@merchant.com / merchant123 (MERCHANT, owns the test merchant).
-- Password hashes: Argon2id (m=19456 KiB, t=2, p=1) PHC strings.
--
-- Wallet keys are account-level xpubs of the PUBLIC BIP39 test mnemonic
-- "abandon abandon abandon abandon abandon abandon abandon abandon abandon
-- abandon abandon about": anyone can spend from these addresses. The daemon
-- refuses to serve a mainnet network from them outside development mode
-- (core/db/testkeys.c). First addresses, checked against published vectors:
--   m/84'/0'/0'/0/0   bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu (BIP84)
--   m/44'/60'/0'/0/0  0x9858EfFD232B4033E47d90003D41EC34EcaEda94
--   m/44'/195'/0'/0/0 TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH
-- Token contracts and decimals: shared/reference/chains-and-providers.md.

SET time_zone = '+00:00';

-- Users and the test merchant
INSERT INTO users (id, email, password_hash, role, name, is_active, email_verified_at)
VALUES ('cseeduseradmin00000000000', 'admin@crypticgateway.com', '$argon2id$v=19$m=19456,t=2,p=1$OXUySeWtqUvXquHLCPlmjQ$iqkp2CdiZylCXMJumm+Y01U0pufggx99SjyIYAsAkiQ', 'ADMIN', 'Administrator', 1, '2024-01-01 00:00:00.000'),
       ('cseedusermerchant00000000', 'test@merchant.com', '$argon2id$v=19$m=19456,t=2,p=1$Aih/5cOve13iWXd8Cazx+g$JjMnB5JzRQSc4ulBfJxXSSMnXHxNNOIzDbitHPRRCyU', 'MERCHANT', 'Test Merchant', 1, '2024-01-01 00:00:00.000')
ON DUPLICATE KEY UPDATE id = id;

INSERT INTO merchants (id, user_id, business_name, legal_name, business_email,
	business_phone, website_url, address_line1, city, region, postal_code,
	country_code, tax_id, webhook_url, verification_status, verified_at,
	rate_limit_per_minute, rate_limit_burst)
VALUES ('cseedmerchant000000000000', 'cseedusermerchant00000000', 'Test Merchant Store', 'Test Merchant LLC',
	'billing@merchant.com', '+1-555-0100', 'https://shop.merchant.com',
	'1 Commerce Street', 'Springfield', 'IL', '62701', 'US', 'US-12-3456789',
	'http://127.0.0.1:8081/webhooks/cryptic', 'VERIFIED', '2024-01-01 00:00:00.000',
	600, 100)
ON DUPLICATE KEY UPDATE id = id;

INSERT INTO merchant_settings (id, merchant_id, notify_email, notify_webhook,
	notify_sms, notification_email, webhook_events, default_currency,
	invoice_expiry_minutes, payment_tolerance, paid_late_window_minutes,
	redirect_url, cancel_url, brand_name, brand_primary_color,
	brand_secondary_color, checkout_theme, require_webhook_signature,
	business_category, business_description, tax_rate, tax_included, tax_region)
VALUES ('cseedmerchantsettings0000', 'cseedmerchant000000000000', 1, 1, 0, 'orders@merchant.com',
	'["invoice.created","invoice.payment_detected","invoice.partially_paid","invoice.processing","invoice.settled","invoice.expired","invoice.invalid","invoice.cancelled","invoice.paid_late"]',
	'USD', 30, 0.0050, 1440,
	'https://shop.merchant.com/checkout/complete', 'https://shop.merchant.com/cart',
	'Test Merchant Store', '#1F6FEB', '#0D1117', 'light', 1,
	'retail', 'An online shop selling electronics and accessories.',
	0.0825, 0, 'US-IL')
ON DUPLICATE KEY UPDATE id = id;

-- The 8 networks (5 mainnets of the spec, Litecoin, two testnets)
INSERT INTO networks (id, code, name, kind, plugin, chain_id, native_symbol,
	native_decimals, confirmations, block_time_s, is_testnet, account_path,
	explorer_tx_url, explorer_address_url, display_order)
VALUES ('cseednetbitcoin0000000000', 'bitcoin', 'Bitcoin', 'UTXO', 'bitcoin', NULL, 'BTC', 8, 2, 600, 0, 'm/84''/0''/0''', 'https://mempool.space/tx/{tx}', 'https://mempool.space/address/{address}', 10),
       ('cseednetethereum000000000', 'ethereum', 'Ethereum', 'EVM', 'evm', 1, 'ETH', 18, 12, 12, 0, 'm/44''/60''/0''', 'https://etherscan.io/tx/{tx}', 'https://etherscan.io/address/{address}', 20),
       ('cseednetbsc00000000000000', 'bsc', 'BNB Smart Chain', 'EVM', 'evm', 56, 'BNB', 18, 15, 3, 0, 'm/44''/60''/0''', 'https://bscscan.com/tx/{tx}', 'https://bscscan.com/address/{address}', 30),
       ('cseednettron0000000000000', 'tron', 'TRON', 'TRON', 'tron', NULL, 'TRX', 6, 19, 3, 0, 'm/44''/195''/0''', 'https://tronscan.org/#/transaction/{tx}', 'https://tronscan.org/#/address/{address}', 40),
       ('cseednetpolygon0000000000', 'polygon', 'Polygon PoS', 'EVM', 'evm', 137, 'POL', 18, 128, 2, 0, 'm/44''/60''/0''', 'https://polygonscan.com/tx/{tx}', 'https://polygonscan.com/address/{address}', 50),
       ('cseednetlitecoin000000000', 'litecoin', 'Litecoin', 'UTXO', 'bitcoin', NULL, 'LTC', 8, 6, 150, 0, 'm/84''/2''/0''', 'https://litecoinspace.org/tx/{tx}', 'https://litecoinspace.org/address/{address}', 60),
       ('cseednetbitcointestnet000', 'bitcoin-testnet', 'Bitcoin Testnet', 'UTXO', 'bitcoin', NULL, 'tBTC', 8, 2, 600, 1, 'm/84''/1''/0''', 'https://mempool.space/testnet/tx/{tx}', 'https://mempool.space/testnet/address/{address}', 70),
       ('cseednetsepolia0000000000', 'sepolia', 'Ethereum Sepolia', 'EVM', 'evm', 11155111, 'ETH', 18, 12, 12, 1, 'm/44''/60''/0''', 'https://sepolia.etherscan.io/tx/{tx}', 'https://sepolia.etherscan.io/address/{address}', 80)
ON DUPLICATE KEY UPDATE id = id;

-- The 13 currencies (8 coins, 5 tokens) and fiat
INSERT INTO currencies (id, code, symbol, name, kind, network_id,
	contract_address, token_standard, decimals, coingecko_id, coinmarketcap_id,
	is_stablecoin, display_priority)
VALUES ('cseedcurbtc00000000000000', 'BTC', 'BTC', 'Bitcoin', 'COIN', 'cseednetbitcoin0000000000', NULL, NULL, 8, 'bitcoin', 1, 0, 10),
       ('cseedcureth00000000000000', 'ETH', 'ETH', 'Ether', 'COIN', 'cseednetethereum000000000', NULL, NULL, 18, 'ethereum', 1027, 0, 20),
       ('cseedcurbnb00000000000000', 'BNB', 'BNB', 'BNB', 'COIN', 'cseednetbsc00000000000000', NULL, NULL, 18, 'binancecoin', 1839, 0, 30),
       ('cseedcurtrx00000000000000', 'TRX', 'TRX', 'TRON', 'COIN', 'cseednettron0000000000000', NULL, NULL, 6, 'tron', 1958, 0, 40),
       ('cseedcurpol00000000000000', 'POL', 'POL', 'Polygon Ecosystem Token', 'COIN', 'cseednetpolygon0000000000', NULL, NULL, 18, 'polygon-ecosystem-token', 28321, 0, 50),
       ('cseedcurltc00000000000000', 'LTC', 'LTC', 'Litecoin', 'COIN', 'cseednetlitecoin000000000', NULL, NULL, 8, 'litecoin', 2, 0, 60),
       ('cseedcurusdterc2000000000', 'USDT-ERC20', 'USDT', 'Tether USD (Ethereum)', 'TOKEN', 'cseednetethereum000000000', '0xdAC17F958D2ee523a2206206994597C13D831ec7', 'ERC20', 6, 'tether', 825, 1, 11),
       ('cseedcurusdcerc2000000000', 'USDC-ERC20', 'USDC', 'USD Coin (Ethereum)', 'TOKEN', 'cseednetethereum000000000', '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48', 'ERC20', 6, 'usd-coin', 3408, 1, 12),
       ('cseedcurusdtbep2000000000', 'USDT-BEP20', 'USDT', 'Tether USD (BNB Smart Chain)', 'TOKEN', 'cseednetbsc00000000000000', '0x55d398326f99059fF775485246999027B3197955', 'BEP20', 18, 'tether', 825, 1, 13),
       ('cseedcurusdttrc2000000000', 'USDT-TRC20', 'USDT', 'Tether USD (TRON)', 'TOKEN', 'cseednettron0000000000000', 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t', 'TRC20', 6, 'tether', 825, 1, 14),
       ('cseedcurusdcpolygon000000', 'USDC-POLYGON', 'USDC', 'USD Coin (Polygon)', 'TOKEN', 'cseednetpolygon0000000000', '0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359', 'ERC20', 6, 'usd-coin', 3408, 1, 15),
       ('cseedcurtbtc0000000000000', 'TBTC', 'tBTC', 'Bitcoin (testnet)', 'COIN', 'cseednetbitcointestnet000', NULL, NULL, 8, NULL, NULL, 0, 90),
       ('cseedcurethsepolia0000000', 'ETH-SEPOLIA', 'ETH', 'Ether (Sepolia testnet)', 'COIN', 'cseednetsepolia0000000000', NULL, NULL, 18, NULL, NULL, 0, 91)
ON DUPLICATE KEY UPDATE id = id;

INSERT INTO currencies (id, code, symbol, name, kind, network_id, decimals, display_priority)
VALUES ('cseedcurusd00000000000000', 'USD', 'USD', 'US Dollar', 'FIAT', NULL, 2, 1),
       ('cseedcureur00000000000000', 'EUR', 'EUR', 'Euro', 'FIAT', NULL, 2, 2)
ON DUPLICATE KEY UPDATE id = id;

-- One derivation counter (and key) per network for the test merchant
INSERT INTO address_counters (id, merchant_id, network_id, xpub, account_path, next_index)
VALUES ('cseedctrbitcoin0000000000', 'cseedmerchant000000000000', 'cseednetbitcoin0000000000', 'zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs', 'm/84''/0''/0''', 5),
       ('cseedctrethereum000000000', 'cseedmerchant000000000000', 'cseednetethereum000000000', 'xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt', 'm/44''/60''/0''', 5),
       ('cseedctrbsc00000000000000', 'cseedmerchant000000000000', 'cseednetbsc00000000000000', 'xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt', 'm/44''/60''/0''', 0),
       ('cseedctrtron0000000000000', 'cseedmerchant000000000000', 'cseednettron0000000000000', 'xpub6D1AabNHCupeiLM65ZR9UStMhJ1vCpyV4XbZdyhMZBiJXALQtmn9p42VTQckoHVn8WNqS7dqnJokZHAHcHGoaQgmv8D45oNUKx6DZMNZBCd', 'm/44''/195''/0''', 0),
       ('cseedctrpolygon0000000000', 'cseedmerchant000000000000', 'cseednetpolygon0000000000', 'xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt', 'm/44''/60''/0''', 0),
       ('cseedctrlitecoin000000000', 'cseedmerchant000000000000', 'cseednetlitecoin000000000', 'zpub6rPo5mF47z5coVm5rvWv7fv181awb7Vckn5Cf3xQXBVKu18kuBHDhNi1Jrb4br6vVD3ZbrnXemEsWJoR18mZwkUdzwD8TQnHDUCGxqZ6swA', 'm/84''/2''/0''', 0),
       ('cseedctrbitcointestnet000', 'cseedmerchant000000000000', 'cseednetbitcointestnet000', 'vpub5Y6cjg78GGuNLsaPhmYsiw4gYX3HoQiRBiSwDaBXKUafCt9bNwWQiitDk5VZ5BVxYnQdwoTyXSs2JHRPAgjAvtbBrf8ZhDYe2jWAqvZVnsc', 'm/84''/1''/0''', 0),
       ('cseedctrsepolia0000000000', 'cseedmerchant000000000000', 'cseednetsepolia0000000000', 'xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt', 'm/44''/60''/0''', 0)
ON DUPLICATE KEY UPDATE id = id;

-- Wallets of the major currencies (the network's key on each)
INSERT INTO wallets (id, merchant_id, currency_id, network_id, xpub, account_path)
VALUES ('cseedwalbtc00000000000000', 'cseedmerchant000000000000', 'cseedcurbtc00000000000000', 'cseednetbitcoin0000000000', 'zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs', 'm/84''/0''/0'''),
       ('cseedwaleth00000000000000', 'cseedmerchant000000000000', 'cseedcureth00000000000000', 'cseednetethereum000000000', 'xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt', 'm/44''/60''/0'''),
       ('cseedwalbnb00000000000000', 'cseedmerchant000000000000', 'cseedcurbnb00000000000000', 'cseednetbsc00000000000000', 'xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt', 'm/44''/60''/0'''),
       ('cseedwaltrx00000000000000', 'cseedmerchant000000000000', 'cseedcurtrx00000000000000', 'cseednettron0000000000000', 'xpub6D1AabNHCupeiLM65ZR9UStMhJ1vCpyV4XbZdyhMZBiJXALQtmn9p42VTQckoHVn8WNqS7dqnJokZHAHcHGoaQgmv8D45oNUKx6DZMNZBCd', 'm/44''/195''/0'''),
       ('cseedwalpol00000000000000', 'cseedmerchant000000000000', 'cseedcurpol00000000000000', 'cseednetpolygon0000000000', 'xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt', 'm/44''/60''/0'''),
       ('cseedwalltc00000000000000', 'cseedmerchant000000000000', 'cseedcurltc00000000000000', 'cseednetlitecoin000000000', 'zpub6rPo5mF47z5coVm5rvWv7fv181awb7Vckn5Cf3xQXBVKu18kuBHDhNi1Jrb4br6vVD3ZbrnXemEsWJoR18mZwkUdzwD8TQnHDUCGxqZ6swA', 'm/84''/2''/0'''),
       ('cseedwalusdterc2000000000', 'cseedmerchant000000000000', 'cseedcurusdterc2000000000', 'cseednetethereum000000000', 'xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt', 'm/44''/60''/0'''),
       ('cseedwalusdcerc2000000000', 'cseedmerchant000000000000', 'cseedcurusdcerc2000000000', 'cseednetethereum000000000', 'xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt', 'm/44''/60''/0'''),
       ('cseedwalusdtbep2000000000', 'cseedmerchant000000000000', 'cseedcurusdtbep2000000000', 'cseednetbsc00000000000000', 'xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt', 'm/44''/60''/0'''),
       ('cseedwalusdttrc2000000000', 'cseedmerchant000000000000', 'cseedcurusdttrc2000000000', 'cseednettron0000000000000', 'xpub6D1AabNHCupeiLM65ZR9UStMhJ1vCpyV4XbZdyhMZBiJXALQtmn9p42VTQckoHVn8WNqS7dqnJokZHAHcHGoaQgmv8D45oNUKx6DZMNZBCd', 'm/44''/195''/0'''),
       ('cseedwalusdcpolygon000000', 'cseedmerchant000000000000', 'cseedcurusdcpolygon000000', 'cseednetpolygon0000000000', 'xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt', 'm/44''/60''/0'''),
       ('cseedwaltbtc0000000000000', 'cseedmerchant000000000000', 'cseedcurtbtc0000000000000', 'cseednetbitcointestnet000', 'vpub5Y6cjg78GGuNLsaPhmYsiw4gYX3HoQiRBiSwDaBXKUafCt9bNwWQiitDk5VZ5BVxYnQdwoTyXSs2JHRPAgjAvtbBrf8ZhDYe2jWAqvZVnsc', 'm/84''/1''/0'''),
       ('cseedwalethsepolia0000000', 'cseedmerchant000000000000', 'cseedcurethsepolia0000000', 'cseednetsepolia0000000000', 'xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt', 'm/44''/60''/0''')
ON DUPLICATE KEY UPDATE id = id;

-- Pre-generated address pools for Bitcoin and Ethereum (indexes 0-4)
INSERT INTO address_pools (id, merchant_id, network_id, counter_id, address,
	derivation_path, derivation_index)
VALUES ('cseedpoolbtc0000000000000', 'cseedmerchant000000000000', 'cseednetbitcoin0000000000', 'cseedctrbitcoin0000000000', 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu', 'm/84''/0''/0''/0/0', 0),
       ('cseedpoolbtc1000000000000', 'cseedmerchant000000000000', 'cseednetbitcoin0000000000', 'cseedctrbitcoin0000000000', 'bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g', 'm/84''/0''/0''/0/1', 1),
       ('cseedpoolbtc2000000000000', 'cseedmerchant000000000000', 'cseednetbitcoin0000000000', 'cseedctrbitcoin0000000000', 'bc1qp59yckz4ae5c4efgw2s5wfyvrz0ala7rgvuz8z', 'm/84''/0''/0''/0/2', 2),
       ('cseedpoolbtc3000000000000', 'cseedmerchant000000000000', 'cseednetbitcoin0000000000', 'cseedctrbitcoin0000000000', 'bc1qgl5vlg0zdl7yvprgxj9fevsc6q6x5dmcyk3cn3', 'm/84''/0''/0''/0/3', 3),
       ('cseedpoolbtc4000000000000', 'cseedmerchant000000000000', 'cseednetbitcoin0000000000', 'cseedctrbitcoin0000000000', 'bc1qm97vqzgj934vnaq9s53ynkyf9dgr05rargr04n', 'm/84''/0''/0''/0/4', 4),
       ('cseedpooleth0000000000000', 'cseedmerchant000000000000', 'cseednetethereum000000000', 'cseedctrethereum000000000', '0x9858EfFD232B4033E47d90003D41EC34EcaEda94', 'm/44''/60''/0''/0/0', 0),
       ('cseedpooleth1000000000000', 'cseedmerchant000000000000', 'cseednetethereum000000000', 'cseedctrethereum000000000', '0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0', 'm/44''/60''/0''/0/1', 1),
       ('cseedpooleth2000000000000', 'cseedmerchant000000000000', 'cseednetethereum000000000', 'cseedctrethereum000000000', '0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A', 'm/44''/60''/0''/0/2', 2),
       ('cseedpooleth3000000000000', 'cseedmerchant000000000000', 'cseednetethereum000000000', 'cseedctrethereum000000000', '0xF3f50213C1d2e255e4B2bAD430F8A38EEF8D718E', 'm/44''/60''/0''/0/3', 3),
       ('cseedpooleth4000000000000', 'cseedmerchant000000000000', 'cseednetethereum000000000', 'cseedctrethereum000000000', '0x51cA8ff9f1C0a99f88E86B8112eA3237F55374cA', 'm/44''/60''/0''/0/4', 4)
ON DUPLICATE KEY UPDATE id = id;
