/*
 * Reference data the payment code reads: networks and currencies by their
 * public code, and the mapping from a network to the plugin instance that
 * serves it.
 *
 * Network → plugin: the network plugin instance named after networks.code
 * serves that network (plugins.instances.<code> in the YAML, e.g.
 * "ethereum: {plugin: evm, settings: …}"); networks.plugin names the
 * plugin file expected there and is only informative. A network with no
 * such instance takes no invoices (503) and registers no wallets.
 */
#ifndef CG_PAYMENTS_CATALOG_H
#define CG_PAYMENTS_CATALOG_H

#include <stdint.h>

#include "util/id.h"

struct cg_db;
struct cg_plugins;
struct cg_plugin_instance;

struct cg_network_row {
	char id[CG_ID_SIZE];
	char code[33];
	char name[101];
	char kind[9];
	char plugin[65];
	int64_t chain_id;            /* -1: none */
	int64_t confirmations;
	int testnet;
	int development;
	char status[17];
	char account_path[65];
};

struct cg_currency_row {
	char id[CG_ID_SIZE];
	char code[33];
	char symbol[17];
	char kind[9];                /* COIN, TOKEN, FIAT */
	char network_id[CG_ID_SIZE]; /* "" for fiat */
	char contract[129];          /* "" unless a token */
	unsigned decimals;
	char status[17];
	char min_amount[48];         /* "" when unset */
	char max_amount[48];
};

/* 1 found, 0 none, -1 error. */
int cg_catalog_network(struct cg_db *db, const char *code,
    struct cg_network_row *out);
int cg_catalog_network_by_id(struct cg_db *db, const char *id,
    struct cg_network_row *out);
int cg_catalog_currency(struct cg_db *db, const char *code,
    struct cg_currency_row *out);

/* The network plugin instance serving network code, or NULL. */
struct cg_plugin_instance *cg_network_plugin(struct cg_plugins *plugins,
    const char *code);

/* Whether a network may be used by this daemon: ACTIVE, and development
 * networks only in development mode. */
int cg_network_usable(const struct cg_network_row *n, int development);

#endif
