/*
 * Fuzz target: request-body validation (api/validate.h and the field
 * tables of api/fields.h) over arbitrary bytes, with the merchant PATCH
 * table and a schema of every other kind of check.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "api/fields.h"
#include "api/resources.h"
#include "api/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const kinds[] = { "a", "bb", "ccc", NULL };

static const struct cg_api_field extra[] = {
	{ "tolerance", CG_F_FRACTION, CG_VLD_NULLABLE, 0, 0, NULL },
	{ "color", CG_F_COLOR, 0, 0, 0, NULL },
	{ "n", CG_F_INT, 0, -5, 5, NULL },
	{ "flag", CG_F_BOOL, 0, 0, 0, NULL },
	{ "kind", CG_F_ENUM, 0, 0, 0, kinds },
	{ "meta", CG_F_OBJECT, CG_VLD_NULLABLE, 0, 256, NULL },
	{ "list", CG_F_ARRAY, 0, 0, 256, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cg_vld v;
	json_t *changes;
	cg_i128 u;
	const char *s;

	if (cg_vld_begin(&v, (const char *)data, size, size == 0) != 0)
		return 0;
	changes = json_object();
	cg_api_fields_parse(&v, cg_api_merchant_fields, changes);
	cg_api_fields_parse(&v, extra, changes);
	cg_vld_decimal(&v, "amount", CG_VLD_REQUIRED, 8, 26, true, &u);
	cg_vld_decimal(&v, "fee", 0, 0, 18, false, &u);
	if (cg_vld_email(&v, "email", 0, &s) == CG_VLD_SET && !strchr(s, '@'))
		__builtin_trap();
	cg_vld_str(&v, "note", CG_VLD_NULLABLE, 0, 3, NULL);
	cg_vld_end(&v);
	/* every recorded error names a field and says something */
	for (size_t i = 0; i < v.nerrors; i++)
		if (!v.errors[i].field || !v.errors[i].message[0])
			__builtin_trap();
	json_decref(changes);
	cg_vld_free(&v);
	return 0;
}
