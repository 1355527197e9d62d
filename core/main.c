#include <stdio.h>

#include "cg_build_config.h"

int
main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("cryptic-gatewayd %s\n", CG_VERSION);
	return 0;
}
