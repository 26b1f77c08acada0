/* skelact: real-time action recognition from 3D skeleton streams. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"demo", sk_cmd_demo, "the main job on the bundled recordings and model"},
    {"replay", sk_cmd_replay, "send recorded takes to a recognizer over the network"},
    {"recognize", sk_cmd_recognize, "receive a live stream, classify, emit events"},
    {"record", sk_cmd_record, "receive a live stream and write it to a file"},
    {"train", sk_cmd_train, "train a model on recorded data"},
    {"eval", sk_cmd_eval, "evaluate a model on recorded data"},
    {"info", sk_cmd_info, "print a model file's header"},
    {"bench", sk_cmd_bench, "measure inference speed"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: skelact COMMAND [ARGS...]   (skelact COMMAND --help)\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "skelact: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
