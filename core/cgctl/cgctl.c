#include <stdio.h>

int
main(void)
{
	fprintf(stderr, "cgctl: not built yet\n");
	return 1;
}
