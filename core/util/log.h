/*
 * Logging to stderr in logfmt style: "ts=… level=… mod=… message key=value".
 * The level is a process-wide atomic so it can change at run time (SIGHUP,
 * cgctl log-level) without locks on the hot path.
 */
#ifndef CG_UTIL_LOG_H
#define CG_UTIL_LOG_H

#include <stdarg.h>

enum cg_log_level {
	CG_LOG_ERROR = 0,
	CG_LOG_WARN = 1,
	CG_LOG_INFO = 2,
	CG_LOG_DEBUG = 3,
};

void cg_log_set_level(int level);
int cg_log_get_level(void);
/* Returns the level for "error", "warn", "info", "debug", or -1. */
int cg_log_level_parse(const char *name);
const char *cg_log_level_name(int level);

void cg_log(int level, const char *mod, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cg_logv(int level, const char *mod, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#define cg_error(mod, ...) cg_log(CG_LOG_ERROR, mod, __VA_ARGS__)
#define cg_warn(mod, ...) cg_log(CG_LOG_WARN, mod, __VA_ARGS__)
#define cg_info(mod, ...) cg_log(CG_LOG_INFO, mod, __VA_ARGS__)
#define cg_debug(mod, ...) cg_log(CG_LOG_DEBUG, mod, __VA_ARGS__)

#endif
