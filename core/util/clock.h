/*
 * The one time source of the daemon. Every clock the code reads goes through
 * here so tests can move time (expiry, sessions, webhook backoff) by setting
 * an offset. SQL must never use NOW(): pass cg_now_ms() as a parameter.
 */
#ifndef CG_UTIL_CLOCK_H
#define CG_UTIL_CLOCK_H

#include <stdint.h>

/* Wall-clock milliseconds since the Unix epoch, plus the test offset. */
int64_t cg_now_ms(void);
/* Wall-clock seconds since the Unix epoch, plus the test offset. */
int64_t cg_now_s(void);
/* Monotonic milliseconds, for timeouts and durations; not offset. */
int64_t cg_mono_ms(void);
/* Monotonic microseconds, for latency measurements. */
int64_t cg_mono_us(void);

/* Test time: the offset added to the wall clock. */
void cg_clock_set_offset_ms(int64_t offset);
int64_t cg_clock_offset_ms(void);

/* Formats ms since the epoch as "YYYY-MM-DDTHH:MM:SS.mmmZ" (25 bytes). */
void cg_time_format_iso(int64_t ms, char out[32]);
/* Formats ms since the epoch as a MariaDB DATETIME(3) literal. */
void cg_time_format_sql(int64_t ms, char out[32]);

#endif
