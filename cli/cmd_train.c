/* skelact train: placeholder until the nn part lands (issue 3). */
#include <stdio.h>

#include "cli.h"

int sk_cmd_train(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "skelact train: not available in this build yet\n");
    return 1;
}
