/* skelact recognize: placeholder until the streaming part lands (issue 2). */
#include <stdio.h>

#include "cli.h"

int sk_cmd_recognize(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "skelact recognize: not available in this build yet\n");
    return 1;
}
