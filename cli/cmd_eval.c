/* skelact eval: placeholder until the nn part lands (issue 3). */
#include <stdio.h>

#include "cli.h"

int sk_cmd_eval(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "skelact eval: not available in this build yet\n");
    return 1;
}
