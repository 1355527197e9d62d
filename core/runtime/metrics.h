/*
 * A small Prometheus metrics registry, usable from any thread: counters,
 * gauges and histograms, each a family with fixed label names, rendered in
 * the Prometheus text exposition format (version 0.0.4).
 *
 * Families are looked up by name: creating one that exists returns it (same
 * type and labels) so two modules may both declare "cg_db_errors_total".
 * Label values are passed as an array with one value per label name, in the
 * order the family declared them:
 *
 *	m = cg_metrics_counter(NULL, "cg_http_requests_total", "HTTP requests",
 *	    "route,method,status");
 *	cg_metric_inc(m, (const char *[]){ "healthz", "GET", "200" });
 *
 * Worker pools registered with cg_metrics_watch_pool() are reported as
 * cg_pool_* gauges and counters at every scrape, and listed for the
 * control socket's status command.
 */
#ifndef CG_RUNTIME_METRICS_H
#define CG_RUNTIME_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct cg_metrics;
struct cg_metric;
struct cg_pool;

/* The process-wide registry; every function taking a registry accepts NULL
 * for it. */
struct cg_metrics *cg_metrics_global(void);
/* A private registry (tests). */
struct cg_metrics *cg_metrics_new(void);
void cg_metrics_free(struct cg_metrics *reg);

/* labels: comma-separated label names ("route,method,status") or NULL.
 * Returns NULL when the name or a label name is not a valid Prometheus
 * name, or the name exists with another type or other labels. */
struct cg_metric *cg_metrics_counter(struct cg_metrics *reg, const char *name,
    const char *help, const char *labels);
struct cg_metric *cg_metrics_gauge(struct cg_metrics *reg, const char *name,
    const char *help, const char *labels);
/* bounds: ascending upper bounds, without +Inf (added on output). */
struct cg_metric *cg_metrics_histogram(struct cg_metrics *reg,
    const char *name, const char *help, const char *labels,
    const double *bounds, size_t nbounds);

/* values: one per label name (NULL when the family has no labels). A NULL
 * metric is ignored, so a failed registration never crashes a hot path. */
void cg_metric_inc(struct cg_metric *m, const char *const *values);
void cg_metric_add(struct cg_metric *m, const char *const *values, double v);
/* Gauges; also counters that mirror a monotonic total kept elsewhere. */
void cg_metric_set(struct cg_metric *m, const char *const *values, double v);
void cg_metric_observe(struct cg_metric *m, const char *const *values,
    double v);
/* Current value of a counter or gauge series (0 when absent); for a
 * histogram, its observation count. For tests and status reports. */
double cg_metric_value(struct cg_metric *m, const char *const *values);

/* Called at the start of every render, outside the registry lock, to
 * refresh gauges that mirror state owned elsewhere. */
typedef void (*cg_metrics_collect_fn)(struct cg_metrics *reg, void *ud);
int cg_metrics_on_collect(struct cg_metrics *reg, cg_metrics_collect_fn fn,
    void *ud);

/* Renders every family; returns a malloc'd NUL-terminated text (free()),
 * *len set when len is not NULL; NULL on allocation failure. */
char *cg_metrics_render(struct cg_metrics *reg, size_t *len);

/* Worker pools reported at every scrape (cg_pool_queue_depth, …) and by the
 * control socket's status command. Unwatch before cg_pool_destroy. */
void cg_metrics_watch_pool(struct cg_pool *pool);
void cg_metrics_unwatch_pool(struct cg_pool *pool);
typedef void (*cg_metrics_pool_fn)(struct cg_pool *pool, void *ud);
void cg_metrics_each_pool(cg_metrics_pool_fn fn, void *ud);

#endif
