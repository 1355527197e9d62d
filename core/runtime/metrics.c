#include "runtime/metrics.h"

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/pool.h"
#include "util/clock.h"

#define CG_METRICS_MAX_LABELS 8
#define CG_METRICS_MAX_COLLECTORS 16
#define CG_METRICS_MAX_POOLS 32

enum { T_COUNTER, T_GAUGE, T_HISTOGRAM };

struct cg_series {
	struct cg_series *next;
	uint32_t hash;
	char **values;
	double value;		/* counter, gauge; histogram sum */
	uint64_t count;		/* histogram */
	uint64_t *buckets;	/* histogram, not cumulative */
};

struct cg_metric {
	struct cg_metric *next;
	struct cg_metrics *reg;
	int type;
	char *name, *help;
	char *labels[CG_METRICS_MAX_LABELS];
	size_t nlabels;
	double *bounds;
	size_t nbounds;
	struct cg_series *series, **tail;
};

struct cg_collector {
	cg_metrics_collect_fn fn;
	void *ud;
};

struct cg_metrics {
	pthread_mutex_t mtx;
	struct cg_metric *families, **tail;
	struct cg_collector collectors[CG_METRICS_MAX_COLLECTORS];
	size_t ncollectors;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static struct cg_metrics *global_reg;
static int64_t start_time_s;

static pthread_mutex_t pools_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct cg_pool *pools[CG_METRICS_MAX_POOLS];
static size_t npools;

static void collect_process(struct cg_metrics *reg, void *ud);
static void collect_pools(struct cg_metrics *reg, void *ud);

static void
global_init(void)
{
	start_time_s = cg_now_s();
	global_reg = cg_metrics_new();
	if (!global_reg)
		return;
	cg_metrics_on_collect(global_reg, collect_process, NULL);
	cg_metrics_on_collect(global_reg, collect_pools, NULL);
}

struct cg_metrics *
cg_metrics_global(void)
{
	pthread_once(&global_once, global_init);
	return global_reg;
}

static struct cg_metrics *
reg_or_global(struct cg_metrics *reg)
{
	return reg ? reg : cg_metrics_global();
}

struct cg_metrics *
cg_metrics_new(void)
{
	struct cg_metrics *reg = calloc(1, sizeof(*reg));

	if (!reg)
		return NULL;
	pthread_mutex_init(&reg->mtx, NULL);
	reg->tail = &reg->families;
	return reg;
}

static void
series_free(struct cg_series *s, size_t nlabels)
{
	for (size_t i = 0; i < nlabels; i++)
		free(s->values[i]);
	free(s->values);
	free(s->buckets);
	free(s);
}

static void
family_free(struct cg_metric *m)
{
	struct cg_series *s, *next;

	for (s = m->series; s; s = next) {
		next = s->next;
		series_free(s, m->nlabels);
	}
	for (size_t i = 0; i < m->nlabels; i++)
		free(m->labels[i]);
	free(m->bounds);
	free(m->name);
	free(m->help);
	free(m);
}

void
cg_metrics_free(struct cg_metrics *reg)
{
	struct cg_metric *m, *next;

	if (!reg || reg == global_reg)
		return;
	for (m = reg->families; m; m = next) {
		next = m->next;
		family_free(m);
	}
	pthread_mutex_destroy(&reg->mtx);
	free(reg);
}

/* Prometheus names: [a-zA-Z_:][a-zA-Z0-9_:]*, labels without ':'. */
static int
valid_name(const char *s, size_t n, int colon_ok)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    c == '_' || (colon_ok && c == ':') ||
		    (i > 0 && c >= '0' && c <= '9');
		if (!ok)
			return 0;
	}
	return 1;
}

/* Splits "a,b,c" into m->labels; returns -1 on a bad name. */
static int
parse_labels(struct cg_metric *m, const char *labels)
{
	const char *p = labels, *comma;
	size_t n;

	if (!labels || !*labels)
		return 0;
	for (;;) {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (!valid_name(p, n, 0) || m->nlabels == CG_METRICS_MAX_LABELS)
			return -1;
		if (n == 2 && strncmp(p, "le", 2) == 0)
			return -1;
		m->labels[m->nlabels] = strndup(p, n);
		if (!m->labels[m->nlabels])
			return -1;
		m->nlabels++;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static int
same_labels(const struct cg_metric *a, const struct cg_metric *b)
{
	if (a->nlabels != b->nlabels || a->type != b->type)
		return 0;
	for (size_t i = 0; i < a->nlabels; i++)
		if (strcmp(a->labels[i], b->labels[i]) != 0)
			return 0;
	return 1;
}

static struct cg_metric *
family_create(struct cg_metrics *reg, int type, const char *name,
    const char *help, const char *labels, const double *bounds,
    size_t nbounds)
{
	struct cg_metric *m, *old;

	reg = reg_or_global(reg);
	if (!reg || !name || !valid_name(name, strlen(name), 1))
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->reg = reg;
	m->type = type;
	m->tail = &m->series;
	m->name = strdup(name);
	m->help = strdup(help ? help : "");
	if (!m->name || !m->help || parse_labels(m, labels) < 0)
		goto fail;
	if (type == T_HISTOGRAM) {
		if (nbounds == 0)
			goto fail;
		m->bounds = calloc(nbounds, sizeof(*bounds));
		if (!m->bounds)
			goto fail;
		for (size_t i = 0; i < nbounds; i++) {
			if (i > 0 && !(bounds[i] > bounds[i - 1]))
				goto fail;
			m->bounds[i] = bounds[i];
		}
		m->nbounds = nbounds;
	}
	pthread_mutex_lock(&reg->mtx);
	for (old = reg->families; old; old = old->next)
		if (strcmp(old->name, name) == 0)
			break;
	if (old) {
		pthread_mutex_unlock(&reg->mtx);
		if (!same_labels(old, m))
			old = NULL;
		family_free(m);
		return old;
	}
	*reg->tail = m;
	reg->tail = &m->next;
	pthread_mutex_unlock(&reg->mtx);
	return m;
fail:
	family_free(m);
	return NULL;
}

struct cg_metric *
cg_metrics_counter(struct cg_metrics *reg, const char *name, const char *help,
    const char *labels)
{
	return family_create(reg, T_COUNTER, name, help, labels, NULL, 0);
}

struct cg_metric *
cg_metrics_gauge(struct cg_metrics *reg, const char *name, const char *help,
    const char *labels)
{
	return family_create(reg, T_GAUGE, name, help, labels, NULL, 0);
}

struct cg_metric *
cg_metrics_histogram(struct cg_metrics *reg, const char *name,
    const char *help, const char *labels, const double *bounds, size_t nbounds)
{
	return family_create(reg, T_HISTOGRAM, name, help, labels, bounds,
	    nbounds);
}

static uint32_t
hash_values(const struct cg_metric *m, const char *const *values)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < m->nlabels; i++) {
		for (const char *p = values[i] ? values[i] : ""; *p; p++)
			h = (h ^ (unsigned char)*p) * 16777619u;
		h = (h ^ 0xff) * 16777619u;
	}
	return h;
}

static int
series_match(const struct cg_metric *m, const struct cg_series *s,
    uint32_t h, const char *const *values)
{
	if (s->hash != h)
		return 0;
	for (size_t i = 0; i < m->nlabels; i++)
		if (strcmp(s->values[i], values[i] ? values[i] : "") != 0)
			return 0;
	return 1;
}

/* Under the registry lock. create: add the series when missing. */
static struct cg_series *
series_get(struct cg_metric *m, const char *const *values, int create)
{
	struct cg_series *s;
	uint32_t h = hash_values(m, values);

	for (s = m->series; s; s = s->next)
		if (series_match(m, s, h, values))
			return s;
	if (!create)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->hash = h;
	s->values = calloc(m->nlabels ? m->nlabels : 1, sizeof(char *));
	if (!s->values)
		goto fail;
	for (size_t i = 0; i < m->nlabels; i++) {
		s->values[i] = strdup(values[i] ? values[i] : "");
		if (!s->values[i])
			goto fail;
	}
	if (m->type == T_HISTOGRAM) {
		s->buckets = calloc(m->nbounds + 1, sizeof(*s->buckets));
		if (!s->buckets)
			goto fail;
	}
	*m->tail = s;
	m->tail = &s->next;
	return s;
fail:
	series_free(s, m->nlabels);
	return NULL;
}

enum { OP_ADD, OP_SET, OP_OBSERVE };

static void
update(struct cg_metric *m, const char *const *values, double v, int op)
{
	struct cg_series *s;
	size_t i;

	if (!m || (m->nlabels && !values))
		return;
	pthread_mutex_lock(&m->reg->mtx);
	s = series_get(m, values, 1);
	if (s) {
		switch (op) {
		case OP_ADD:
			s->value += v;
			break;
		case OP_SET:
			s->value = v;
			break;
		case OP_OBSERVE:
			for (i = 0; i < m->nbounds && v > m->bounds[i]; i++)
				;
			s->buckets[i]++;
			s->count++;
			s->value += v;
			break;
		}
	}
	pthread_mutex_unlock(&m->reg->mtx);
}

void
cg_metric_inc(struct cg_metric *m, const char *const *values)
{
	cg_metric_add(m, values, 1);
}

void
cg_metric_add(struct cg_metric *m, const char *const *values, double v)
{
	/* Counters only go up. */
	if (m && m->type == T_COUNTER && !(v >= 0))
		return;
	if (m && m->type != T_HISTOGRAM)
		update(m, values, v, OP_ADD);
}

void
cg_metric_set(struct cg_metric *m, const char *const *values, double v)
{
	if (m && m->type != T_HISTOGRAM)
		update(m, values, v, OP_SET);
}

void
cg_metric_observe(struct cg_metric *m, const char *const *values, double v)
{
	if (m && m->type == T_HISTOGRAM)
		update(m, values, v, OP_OBSERVE);
}

double
cg_metric_value(struct cg_metric *m, const char *const *values)
{
	struct cg_series *s;
	double v = 0;

	if (!m || (m->nlabels && !values))
		return 0;
	pthread_mutex_lock(&m->reg->mtx);
	s = series_get(m, values, 0);
	if (s)
		v = m->type == T_HISTOGRAM ? (double)s->count : s->value;
	pthread_mutex_unlock(&m->reg->mtx);
	return v;
}

int
cg_metrics_on_collect(struct cg_metrics *reg, cg_metrics_collect_fn fn,
    void *ud)
{
	int rc = -1;

	reg = reg_or_global(reg);
	if (!reg)
		return -1;
	pthread_mutex_lock(&reg->mtx);
	if (reg->ncollectors < CG_METRICS_MAX_COLLECTORS) {
		reg->collectors[reg->ncollectors].fn = fn;
		reg->collectors[reg->ncollectors].ud = ud;
		reg->ncollectors++;
		rc = 0;
	}
	pthread_mutex_unlock(&reg->mtx);
	return rc;
}

/* Integers print without exponent; others with full precision. */
static void
put_num(FILE *f, double v)
{
	if (isnan(v))
		fputs("NaN", f);
	else if (isinf(v))
		fputs(v > 0 ? "+Inf" : "-Inf", f);
	else if (v == floor(v) && fabs(v) < 9007199254740992.0)
		fprintf(f, "%.0f", v);
	else
		fprintf(f, "%.17g", v);
}

static void
put_escaped(FILE *f, const char *s, int quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '"' && quote)
			fputs("\\\"", f);
		else
			fputc(*s, f);
	}
}

/* Writes {a="x",b="y"[,le="…"]}; nothing for no labels and no le. */
static void
put_labels(FILE *f, const struct cg_metric *m, const struct cg_series *s,
    const char *le)
{
	size_t i;

	if (m->nlabels == 0 && !le)
		return;
	fputc('{', f);
	for (i = 0; i < m->nlabels; i++) {
		fprintf(f, "%s%s=\"", i ? "," : "", m->labels[i]);
		put_escaped(f, s->values[i], 1);
		fputc('"', f);
	}
	if (le)
		fprintf(f, "%sle=\"%s\"", i ? "," : "", le);
	fputc('}', f);
}

static void
render_family(FILE *f, const struct cg_metric *m)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };
	const struct cg_series *s;
	char le[64];
	uint64_t cum;

	fprintf(f, "# HELP %s ", m->name);
	put_escaped(f, m->help, 0);
	fprintf(f, "\n# TYPE %s %s\n", m->name, types[m->type]);
	if (m->type != T_HISTOGRAM && m->nlabels == 0 && !m->series) {
		fprintf(f, "%s 0\n", m->name);
		return;
	}
	for (s = m->series; s; s = s->next) {
		if (m->type != T_HISTOGRAM) {
			fputs(m->name, f);
			put_labels(f, m, s, NULL);
			fputc(' ', f);
			put_num(f, s->value);
			fputc('\n', f);
			continue;
		}
		cum = 0;
		for (size_t i = 0; i <= m->nbounds; i++) {
			cum += s->buckets[i];
			if (i < m->nbounds)
				snprintf(le, sizeof(le), "%.17g", m->bounds[i]);
			else
				snprintf(le, sizeof(le), "+Inf");
			fprintf(f, "%s_bucket", m->name);
			put_labels(f, m, s, le);
			fprintf(f, " %llu\n", (unsigned long long)cum);
		}
		fprintf(f, "%s_sum", m->name);
		put_labels(f, m, s, NULL);
		fputc(' ', f);
		put_num(f, s->value);
		fprintf(f, "\n%s_count", m->name);
		put_labels(f, m, s, NULL);
		fprintf(f, " %llu\n", (unsigned long long)s->count);
	}
}

char *
cg_metrics_render(struct cg_metrics *reg, size_t *len)
{
	struct cg_collector cols[CG_METRICS_MAX_COLLECTORS];
	const struct cg_metric *m;
	size_t ncols, size = 0;
	char *buf = NULL;
	FILE *f;

	reg = reg_or_global(reg);
	if (!reg)
		return NULL;
	pthread_mutex_lock(&reg->mtx);
	ncols = reg->ncollectors;
	memcpy(cols, reg->collectors, ncols * sizeof(cols[0]));
	pthread_mutex_unlock(&reg->mtx);
	for (size_t i = 0; i < ncols; i++)
		cols[i].fn(reg, cols[i].ud);

	f = open_memstream(&buf, &size);
	if (!f)
		return NULL;
	pthread_mutex_lock(&reg->mtx);
	for (m = reg->families; m; m = m->next)
		render_family(f, m);
	pthread_mutex_unlock(&reg->mtx);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	if (len)
		*len = size;
	return buf;
}

/* RSS from statm (pages) and the number of open descriptors. */
static void
collect_process(struct cg_metrics *reg, void *ud)
{
	unsigned long long vsz, rss;
	struct dirent *de;
	long nfds = 0;
	FILE *f;
	DIR *d;

	(void)ud;
	f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%llu %llu", &vsz, &rss) == 2)
			cg_metric_set(cg_metrics_gauge(reg,
			    "process_resident_memory_bytes",
			    "Resident memory size in bytes.", NULL), NULL,
			    (double)rss * (double)sysconf(_SC_PAGESIZE));
		fclose(f);
	}
	d = opendir("/proc/self/fd");
	if (d) {
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				nfds++;
		closedir(d);
		cg_metric_set(cg_metrics_gauge(reg, "process_open_fds",
		    "Number of open file descriptors.", NULL), NULL,
		    (double)(nfds - 1));
	}
	cg_metric_set(cg_metrics_gauge(reg, "process_start_time_seconds",
	    "Start time of the process since the Unix epoch in seconds.", NULL),
	    NULL, (double)start_time_s);
}

static void
collect_one_pool(struct cg_pool *pool, void *ud)
{
	struct cg_metrics *reg = ud;
	struct cg_pool_stats st;
	const char *v[1];

	cg_pool_get_stats(pool, &st);
	v[0] = st.name;
	cg_metric_set(cg_metrics_gauge(reg, "cg_pool_threads",
	    "Worker threads of a pool.", "pool"), v, st.threads);
	cg_metric_set(cg_metrics_gauge(reg, "cg_pool_queue_depth",
	    "Tasks waiting for a worker.", "pool"), v, (double)st.queued);
	cg_metric_set(cg_metrics_gauge(reg, "cg_pool_running",
	    "Tasks running on a worker.", "pool"), v, (double)st.running);
	cg_metric_set(cg_metrics_gauge(reg, "cg_pool_queue_limit",
	    "Maximum waiting tasks (0: unbounded).", "pool"), v,
	    (double)st.max_queue);
	/* Mirrors of the pool's own monotonic totals. */
	cg_metric_set(cg_metrics_counter(reg, "cg_pool_completed_total",
	    "Tasks completed since start.", "pool"), v, (double)st.completed);
	cg_metric_set(cg_metrics_counter(reg, "cg_pool_rejected_total",
	    "Tasks refused because the queue was full.", "pool"), v,
	    (double)st.rejected);
}

static void
collect_pools(struct cg_metrics *reg, void *ud)
{
	(void)ud;
	cg_metrics_each_pool(collect_one_pool, reg);
}

void
cg_metrics_watch_pool(struct cg_pool *pool)
{
	cg_metrics_global();
	pthread_mutex_lock(&pools_mtx);
	if (npools < CG_METRICS_MAX_POOLS)
		pools[npools++] = pool;
	pthread_mutex_unlock(&pools_mtx);
}

void
cg_metrics_unwatch_pool(struct cg_pool *pool)
{
	pthread_mutex_lock(&pools_mtx);
	for (size_t i = 0; i < npools; i++) {
		if (pools[i] == pool) {
			memmove(&pools[i], &pools[i + 1],
			    (npools - i - 1) * sizeof(pools[0]));
			npools--;
			break;
		}
	}
	pthread_mutex_unlock(&pools_mtx);
}

void
cg_metrics_each_pool(cg_metrics_pool_fn fn, void *ud)
{
	struct cg_pool *copy[CG_METRICS_MAX_POOLS];
	size_t n;

	pthread_mutex_lock(&pools_mtx);
	n = npools;
	memcpy(copy, pools, n * sizeof(copy[0]));
	pthread_mutex_unlock(&pools_mtx);
	for (size_t i = 0; i < n; i++)
		fn(copy[i], ud);
}
