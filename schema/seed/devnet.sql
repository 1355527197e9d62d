-- Local development chain (anvil, chain id 31337) and a test token: not
-- among the spec's 8 networks and 13 currencies, and never served outside
-- development mode (networks.is_development). Apply after dev.sql.
-- The TEST token's contract is filled in once tools/run has deployed it:
--   UPDATE currencies SET contract_address = '0x…', status = 'ACTIVE'
--   WHERE code = 'TEST-DEVNET';

SET time_zone = '+00:00';

INSERT INTO networks (id, code, name, kind, plugin, chain_id, native_symbol,
	native_decimals, confirmations, block_time_s, is_testnet, is_development,
	rpc_endpoint, account_path, display_order)
VALUES ('cseednetdevnet00000000000', 'devnet', 'Local devnet (anvil)', 'EVM', 'evm', 31337, 'ETH',
	18, 2, 1, 1, 1, 'http://127.0.0.1:8545', 'm/44''/60''/0''', 100)
ON DUPLICATE KEY UPDATE id = id;

INSERT INTO currencies (id, code, symbol, name, kind, network_id, contract_address,
	token_standard, decimals, status, display_priority)
VALUES ('cseedcurethdevnet00000000', 'ETH-DEVNET', 'ETH', 'Ether (devnet)', 'COIN', 'cseednetdevnet00000000000', NULL, NULL, 18, 'ACTIVE', 100),
       ('cseedcurtestdevnet0000000', 'TEST-DEVNET', 'TEST', 'Test token (devnet)', 'TOKEN', 'cseednetdevnet00000000000', NULL, 'ERC20', 18, 'DISABLED', 101)
ON DUPLICATE KEY UPDATE id = id;

INSERT INTO address_counters (id, merchant_id, network_id, xpub, account_path, next_index)
VALUES ('cseedctrdevnet00000000000', 'cseedmerchant000000000000', 'cseednetdevnet00000000000', 'xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt', 'm/44''/60''/0''', 0)
ON DUPLICATE KEY UPDATE id = id;

INSERT INTO wallets (id, merchant_id, currency_id, network_id, xpub, account_path)
VALUES ('cseedwalethdevnet00000000', 'cseedmerchant000000000000', 'cseedcurethdevnet00000000', 'cseednetdevnet00000000000', 'xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt', 'm/44''/60''/0'''),
       ('cseedwaltestdevnet0000000', 'cseedmerchant000000000000', 'cseedcurtestdevnet0000000', 'cseednetdevnet00000000000', 'xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt', 'm/44''/60''/0''')
ON DUPLICATE KEY UPDATE id = id;
