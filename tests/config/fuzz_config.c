/* libFuzzer target: the YAML loader and the whole configuration validator,
 * from a buffer. Secrets named by *_file / *_env are resolved as usual, so
 * inputs may probe those paths too. */
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cg_config *cfg = NULL, *other = NULL;
	char err[1024], a[256], b[256];

	if (cg_config_load_buffer("fuzz.yaml", (const char *)data, size, &cfg,
	    err, sizeof(err)) == 0) {
		/* Comparing with itself walks every value. */
		if (cg_config_load_buffer("fuzz.yaml", (const char *)data, size,
		    &other, err, sizeof(err)) == 0)
			cg_config_compare(cfg, other, a, sizeof(a), b,
			    sizeof(b));
		cg_config_free(other);
	}
	cg_config_free(cfg);
	return 0;
}
