/*
 * Users and sessions: login (Argon2id on the hash pool), logout, session
 * lists and revocation, e-mail verification, password reset, and the
 * failed-login throttles (per user in the database, per client address in
 * memory).
 */
#include "api/internal.h"
#include "api/resources.h"

#include <stdlib.h>
#include <string.h>

struct login_fail {
	char ip[46];
	int64_t window_start_ms;
	int64_t count;
	struct login_fail *next;
};

void
cg_api_login_free(struct cg_api *api)
{
	struct login_fail *f, *n;

	for (f = api->login_fails; f; f = n) {
		n = f->next;
		free(f);
	}
	api->login_fails = NULL;
}
