#include "payments/invoice_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "util/clock.h"
#include "util/str.h"
#include "util/id.h"

/* Direct-mapped: a colliding invoice replaces the other. A few MiB at
 * most (an Invoice object is about 1 KiB). */
#define SLOTS 4096

struct entry {
	char merchant[CG_ID_SIZE];
	char id[CG_ID_SIZE];
	int64_t until_mono;
	size_t len;
	char *text;
};

static struct {
	pthread_mutex_t lock;
	int64_t ttl_ms;
	uint64_t gen[SLOTS];	/* grows with every change to a slot's ids */
	struct entry e[SLOTS];
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

static size_t
slot_of(const char *id)
{
	return cg_str_hash(id) % SLOTS;
}

static void
drop(struct entry *e)
{
	free(e->text);
	e->text = NULL;
	e->id[0] = '\0';
}

void
cg_invoice_cache_configure(int64_t ttl_ms)
{
	pthread_mutex_lock(&cache.lock);
	cache.ttl_ms = ttl_ms > 0 ? ttl_ms : 0;
	if (cache.ttl_ms == 0)
		for (size_t i = 0; i < SLOTS; i++)
			drop(&cache.e[i]);
	pthread_mutex_unlock(&cache.lock);
}

void
cg_invoice_cache_clear(void)
{
	cg_invoice_cache_configure(0);
}

int
cg_invoice_cache_get(const char *merchant_id, const char *invoice_id,
    char **text, size_t *len)
{
	struct entry *e = &cache.e[slot_of(invoice_id)];
	int found = 0;

	pthread_mutex_lock(&cache.lock);
	if (e->text && strcmp(e->id, invoice_id) == 0 &&
	    strcmp(e->merchant, merchant_id) == 0 &&
	    e->until_mono > cg_mono_ms() && (*text = malloc(e->len + 1))) {
		memcpy(*text, e->text, e->len + 1);
		*len = e->len;
		found = 1;
	}
	pthread_mutex_unlock(&cache.lock);
	return found;
}

uint64_t
cg_invoice_cache_gen(const char *invoice_id)
{
	uint64_t g;

	pthread_mutex_lock(&cache.lock);
	g = cache.gen[slot_of(invoice_id)];
	pthread_mutex_unlock(&cache.lock);
	return g;
}

void
cg_invoice_cache_put(const char *merchant_id, const char *invoice_id,
    const char *text, size_t len, uint64_t gen)
{
	size_t s = slot_of(invoice_id);
	struct entry *e = &cache.e[s];
	char *copy;

	if (strlen(merchant_id) >= CG_ID_SIZE || strlen(invoice_id) >= CG_ID_SIZE ||
	    (copy = malloc(len + 1)) == NULL)
		return;
	memcpy(copy, text, len);
	copy[len] = '\0';
	pthread_mutex_lock(&cache.lock);
	if (cache.ttl_ms > 0 && cache.gen[s] == gen) {
		drop(e);
		strcpy(e->merchant, merchant_id);
		strcpy(e->id, invoice_id);
		e->until_mono = cg_mono_ms() + cache.ttl_ms;
		e->text = copy;
		e->len = len;
		copy = NULL;
	}
	pthread_mutex_unlock(&cache.lock);
	free(copy);
}

static void
forget(const char *invoice_id)
{
	size_t s = slot_of(invoice_id);

	pthread_mutex_lock(&cache.lock);
	cache.gen[s]++;
	drop(&cache.e[s]);
	pthread_mutex_unlock(&cache.lock);
}

void
cg_invoice_changed(struct cg_db *db, const char *invoice_id)
{
	cg_db_after_tx(db, forget, invoice_id);
}
