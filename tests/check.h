/* A minimal test harness: CHECK counts, TEST_MAIN prints
 * "N passed, N failed" and fails the process on any failure. */
#ifndef SKELACT_TESTS_CHECK_H
#define SKELACT_TESTS_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (cond) {                                                          \
            check_passed++;                                                  \
        } else {                                                             \
            check_failed++;                                                  \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
        }                                                                    \
    } while (0)

#define CHECK_MSG(cond, ...)                                                 \
    do {                                                                     \
        if (cond) {                                                          \
            check_passed++;                                                  \
        } else {                                                             \
            check_failed++;                                                  \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, \
                    #cond);                                                  \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                    \
    do {                                                                      \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);       \
        CHECK_MSG(check_a_ == check_b_, "%lld != %lld", check_a_, check_b_);  \
    } while (0)

/* Run one test function and print its name. */
#define RUN(fn)                                  \
    do {                                         \
        int before_ = check_failed;              \
        fn();                                    \
        printf("%s %s\n", check_failed == before_ ? "ok  " : "FAIL", #fn); \
    } while (0)

static inline int check_report(void)
{
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}

/* Path to ../shared/data (or $SK_DATA_DIR); exits 77 (skip) with a visible
 * message when the folder is missing. */
static inline const char *check_data_dir(void)
{
    const char *d = getenv("SK_DATA_DIR");
    if (!d)
        d = "../shared/data";
    FILE *fp;
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/README.md", d);
    if (!(fp = fopen(probe, "r"))) {
        printf("SKIP: dataset folder %s not found (set SK_DATA_DIR)\n", d);
        exit(77);
    }
    fclose(fp);
    return d;
}

#endif
