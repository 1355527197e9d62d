#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/metrics.h"

Test(metrics, counter_text)
{
	struct cg_metrics *reg = cg_metrics_new();
	struct cg_metric *m = cg_metrics_counter(reg, "cg_test_total",
	    "Test counter.", "route,status");
	char *text;

	cr_assert_not_null(m);
	cg_metric_inc(m, (const char *[]){ "a", "200" });
	cg_metric_inc(m, (const char *[]){ "a", "200" });
	cg_metric_add(m, (const char *[]){ "b\"\\\n", "500" }, 3);
	cg_metric_add(m, (const char *[]){ "a", "200" }, -1);	/* ignored */
	text = cg_metrics_render(reg, NULL);
	cr_assert_str_eq(text,
	    "# HELP cg_test_total Test counter.\n"
	    "# TYPE cg_test_total counter\n"
	    "cg_test_total{route=\"a\",status=\"200\"} 2\n"
	    "cg_test_total{route=\"b\\\"\\\\\\n\",status=\"500\"} 3\n");
	free(text);
	cr_assert_eq(cg_metric_value(m, (const char *[]){ "a", "200" }), 2);
	cr_assert_eq(cg_metric_value(m, (const char *[]){ "c", "200" }), 0);
	cg_metrics_free(reg);
}

Test(metrics, gauge_unlabelled_and_same_name)
{
	struct cg_metrics *reg = cg_metrics_new();
	struct cg_metric *g = cg_metrics_gauge(reg, "cg_depth", "Depth.", NULL);
	char *text;

	cr_assert_eq(cg_metrics_gauge(reg, "cg_depth", "again", NULL), g);
	cr_assert_null(cg_metrics_counter(reg, "cg_depth", "other type", NULL));
	cr_assert_null(cg_metrics_gauge(reg, "cg_depth", "labels", "x"));
	cr_assert_null(cg_metrics_gauge(reg, "bad-name", "", NULL));
	cr_assert_null(cg_metrics_gauge(reg, "cg_x", "", "le"));
	text = cg_metrics_render(reg, NULL);
	cr_assert_str_eq(text, "# HELP cg_depth Depth.\n# TYPE cg_depth gauge\n"
	    "cg_depth 0\n");
	free(text);
	cg_metric_set(g, NULL, 2.5);
	text = cg_metrics_render(reg, NULL);
	cr_assert_str_eq(text, "# HELP cg_depth Depth.\n# TYPE cg_depth gauge\n"
	    "cg_depth 2.5\n");
	free(text);
	cg_metrics_free(reg);
}

Test(metrics, histogram_text)
{
	static const double b[] = { 0.1, 1 };
	struct cg_metrics *reg = cg_metrics_new();
	struct cg_metric *h = cg_metrics_histogram(reg, "cg_lat_seconds", "L.",
	    "route", b, 2);
	char *text;

	cg_metric_observe(h, (const char *[]){ "x" }, 0.05);
	cg_metric_observe(h, (const char *[]){ "x" }, 0.1);
	cg_metric_observe(h, (const char *[]){ "x" }, 0.5);
	cg_metric_observe(h, (const char *[]){ "x" }, 7);
	text = cg_metrics_render(reg, NULL);
	cr_assert_str_eq(text,
	    "# HELP cg_lat_seconds L.\n# TYPE cg_lat_seconds histogram\n"
	    "cg_lat_seconds_bucket{route=\"x\",le=\"0.10000000000000001\"} 2\n"
	    "cg_lat_seconds_bucket{route=\"x\",le=\"1\"} 3\n"
	    "cg_lat_seconds_bucket{route=\"x\",le=\"+Inf\"} 4\n"
	    "cg_lat_seconds_sum{route=\"x\"} 7.6500000000000004\n"
	    "cg_lat_seconds_count{route=\"x\"} 4\n");
	free(text);
	cr_assert_eq(cg_metric_value(h, (const char *[]){ "x" }), 4);
	cr_assert_null(cg_metrics_histogram(reg, "cg_bad", "", NULL,
	    (const double[]){ 1, 1 }, 2));
	cg_metrics_free(reg);
}

static struct cg_metric *shared;

static void *
bump(void *arg)
{
	(void)arg;
	for (int i = 0; i < 10000; i++)
		cg_metric_inc(shared, (const char *[]){ i % 2 ? "odd" : "even" });
	return NULL;
}

Test(metrics, threads)
{
	struct cg_metrics *reg = cg_metrics_new();
	pthread_t t[4];

	shared = cg_metrics_counter(reg, "cg_par_total", "", "k");
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, bump, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(cg_metric_value(shared, (const char *[]){ "odd" }), 20000);
	cr_assert_eq(cg_metric_value(shared, (const char *[]){ "even" }), 20000);
	cg_metrics_free(reg);
}

Test(metrics, null_metric_is_ignored)
{
	cg_metric_inc(NULL, NULL);
	cg_metric_observe(NULL, NULL, 1);
	cr_assert_eq(cg_metric_value(NULL, NULL), 0);
}
