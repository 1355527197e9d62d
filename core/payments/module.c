#include "payments/module.h"

#include "payments/invoice_cache.h"
#include "payments/rates.h"
#include "runtime/daemon.h"
#include "util/log.h"

int
cg_payments_start(struct cg_daemon *d)
{
	d->rates = cg_rates_start(d);
	if (d->rates == NULL)
		return -1;
	if (cg_api_invoices_register(d) != 0 ||
	    cg_api_wallets_register(d) != 0 ||
	    cg_api_catalog_register(d) != 0 || cg_pool_admin_register(d) != 0) {
		cg_error("payments", "cannot register the payment routes");
		return -1;
	}
	return 0;
}

void
cg_payments_stop(struct cg_daemon *d)
{
	cg_rates_stop(d->rates);
	cg_pool_refill_stop();
}

void
cg_payments_free(struct cg_daemon *d)
{
	cg_rates_free(d->rates);
	d->rates = NULL;
	cg_pool_refill_free();
	cg_invoice_cache_clear();
}
