#include "db/sqlsplit.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define DELIM_MAX 16

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	    c == '\v';
}

/* At the start of a line: "DELIMITER <token>"? Fills delim, returns the
 * length of the line (without its newline), 0 if not such a line, -1 bad. */
static long
delimiter_line(const char *p, const char *end, char delim[DELIM_MAX + 1])
{
	const char *q = p, *t;
	size_t n, i;

	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	if ((size_t)(end - q) < 10 || strncasecmp(q, "DELIMITER", 9) != 0 ||
	    !(q[9] == ' ' || q[9] == '\t'))
		return 0;
	q += 9;
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	t = q;
	while (q < end && !is_space(*q))
		q++;
	n = (size_t)(q - t);
	if (n == 0 || n > DELIM_MAX)
		return -1;
	/* Printable, and no quote or backslash: it must match as written. */
	for (i = 0; i < n; i++) {
		if (t[i] < 0x21 || t[i] > 0x7e || t[i] == '\'' || t[i] == '"' ||
		    t[i] == '`' || t[i] == '\\')
			return -1;
	}
	memcpy(delim, t, n);
	delim[n] = '\0';
	while (q < end && *q != '\n') {
		if (!is_space(*q))
			return -1;
		q++;
	}
	return (long)(q - p);
}

static int
emit(const char *s, const char *e, unsigned int line, cg_sql_stmt_fn fn,
    void *arg)
{
	while (s < e && is_space(*s)) {
		if (*s == '\n')
			line++;
		s++;
	}
	while (e > s && is_space(e[-1]))
		e--;
	if (s == e)
		return 0;
	return fn(s, (size_t)(e - s), line, arg);
}

int
cg_sql_split(const char *text, size_t len, cg_sql_stmt_fn fn, void *arg,
    char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *start = text;
	char delim[DELIM_MAX + 1] = ";";
	unsigned int line = 1, start_line = 1, quote_line = 0;
	bool content = false, at_bol = true;
	char quote = 0;
	int rc;

	while (p < end) {
		char c = *p;

		if (quote != 0) {
			if (c == '\\' && quote != '`' && p + 1 < end) {
				if (p[1] == '\n')
					line++;
				p += 2;
				continue;
			}
			if (c == quote)
				quote = 0;
			else if (c == '\n')
				line++;
			p++;
			continue;
		}
		if (at_bol && !content) {
			long n = delimiter_line(p, end, delim);

			if (n < 0) {
				snprintf(err, errlen, "line %u: bad DELIMITER line", line);
				return -1;
			}
			if (n > 0) {
				p += n;
				start = p;
				start_line = line;
				continue;
			}
		}
		at_bol = false;
		if (c == '\n') {
			line++;
			at_bol = true;
			p++;
			continue;
		}
		if (c == '#' || (c == '-' && p + 1 < end && p[1] == '-' &&
		    (p + 2 == end || is_space(p[2])))) {
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		if (c == '/' && p + 1 < end && p[1] == '*') {
			const char *q = p + 2;

			/* Executable comments (/ *! … * /) are statement text. */
			if (q < end && *q == '!')
				content = true;
			for (; q + 1 < end && !(q[0] == '*' && q[1] == '/'); q++) {
				if (*q == '\n')
					line++;
			}
			if (q + 1 >= end) {
				snprintf(err, errlen, "line %u: unterminated comment", line);
				return -1;
			}
			p = q + 2;
			continue;
		}
		if ((size_t)(end - p) >= strlen(delim) &&
		    memcmp(p, delim, strlen(delim)) == 0) {
			if (content && (rc = emit(start, p, start_line, fn, arg)) != 0)
				return rc;
			p += strlen(delim);
			start = p;
			start_line = line;
			content = false;
			continue;
		}
		if (c == '\'' || c == '"' || c == '`') {
			quote = c;
			quote_line = line;
		}
		if (!is_space(c))
			content = true;
		p++;
	}
	if (quote != 0) {
		snprintf(err, errlen, "line %u: unterminated quote %c", quote_line, quote);
		return -1;
	}
	if (content)
		return emit(start, end, start_line, fn, arg);
	return 0;
}
