/* skelact replay: placeholder until the streaming part lands (issue 2). */
#include <stdio.h>

#include "cli.h"

int sk_cmd_replay(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "skelact replay: not available in this build yet\n");
    return 1;
}
