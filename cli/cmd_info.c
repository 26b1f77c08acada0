/* skelact info: placeholder until the nn part lands (issue 3). */
#include <stdio.h>

#include "cli.h"

int sk_cmd_info(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "skelact info: not available in this build yet\n");
    return 1;
}
