/* cmd_consistency.c - (being written) */
#include "cli.h"

int cmd_consistency(int argc, char **argv, struct rb_err *e)
{
	(void)argc;
	(void)argv;
	return RB_ERR(e, RB_EX_SOFTWARE, "not yet built");
}

int cmd_verify_consistency(int argc, char **argv, struct rb_err *e)
{
	(void)argc;
	(void)argv;
	return RB_ERR(e, RB_EX_SOFTWARE, "not yet built");
}
