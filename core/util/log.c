#include "util/log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static atomic_int log_level = CG_LOG_INFO;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void
cg_log_set_level(int level)
{
	if (level >= CG_LOG_ERROR && level <= CG_LOG_DEBUG)
		atomic_store(&log_level, level);
}

int
cg_log_get_level(void)
{
	return atomic_load(&log_level);
}

int
cg_log_level_parse(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return i;
	if (strcasecmp(name, "warning") == 0)
		return CG_LOG_WARN;
	return -1;
}

const char *
cg_log_level_name(int level)
{
	if (level < CG_LOG_ERROR || level > CG_LOG_DEBUG)
		return "unknown";
	return level_names[level];
}

void
cg_logv(int level, const char *mod, const char *fmt, va_list ap)
{
	char line[2048], ts[32];
	struct timespec now;
	struct tm tm;
	int n;

	if (level > atomic_load(&log_level))
		return;
	/* Real time on purpose: log lines stay true even when tests move the
	 * injectable clock. */
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "ts=%s.%03ldZ level=%s mod=%s ", ts,
	    now.tv_nsec / 1000000L, cg_log_level_name(level), mod ? mod : "-");
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	/* One write per line keeps lines whole when threads log at once. */
	n = (int)strlen(line);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	fwrite(line, 1, (size_t)n, stderr);
}

void
cg_log(int level, const char *mod, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cg_logv(level, mod, fmt, ap);
	va_end(ap);
}
