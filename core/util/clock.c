#include "util/clock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

static _Atomic int64_t clock_offset_ms;

int64_t
cg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
	    atomic_load(&clock_offset_ms);
}

int64_t
cg_now_s(void)
{
	int64_t ms = cg_now_ms();

	return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

int64_t
cg_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
cg_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
cg_clock_set_offset_ms(int64_t offset)
{
	atomic_store(&clock_offset_ms, offset);
}

int64_t
cg_clock_offset_ms(void)
{
	return atomic_load(&clock_offset_ms);
}

static void
format_time(int64_t ms, char out[32], const char *fmt)
{
	time_t secs = (time_t)(ms / 1000);
	int msec = (int)(ms % 1000);
	struct tm tm;
	char base[24];

	if (msec < 0) {
		msec += 1000;
		secs -= 1;
	}
	gmtime_r(&secs, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	if (fmt[0] == 's')
		base[10] = ' ';
	snprintf(out, 32, fmt[0] == 's' ? "%s.%03d" : "%s.%03dZ", base, msec);
}

void
cg_time_format_iso(int64_t ms, char out[32])
{
	format_time(ms, out, "iso");
}

void
cg_time_format_sql(int64_t ms, char out[32])
{
	format_time(ms, out, "sql");
}
