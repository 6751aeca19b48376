/* SPDX-License-Identifier: MIT */
/*
 * replay.c: runs a fuzz target's body over files, without libFuzzer.
 *
 * Linked with fuzz_reader.c or fuzz_normalize.c, it lets the ordinary test
 * builds (release and AddressSanitizer + UBSan, compiled by gcc) replay
 * every input that ever crashed us and the seed corpus, so a regression
 * fails ctest and not only the clang fuzz run. Each argument is a file or
 * a directory of files. A target signals a broken invariant by aborting.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Feeds one file to the target. Returns 0, or -1 if it cannot be read. */
static int replay_file(const char *path)
{
    FILE *f = NULL;
    uint8_t *buf = NULL;
    long n;
    int rc = -1;

    f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0) {
        goto out;
    }
    n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0) {
        goto out;
    }
    /* One spare byte so that an empty file still gets a valid pointer. */
    buf = malloc((size_t)n + 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        goto out;
    }
    LLVMFuzzerTestOneInput(buf, (size_t)n);
    rc = 0;
out:
    free(buf);
    if (f != NULL) {
        fclose(f);
    }
    if (rc != 0) {
        fprintf(stderr, "replay: cannot read %s\n", path);
    }
    return rc;
}

/* Replays a file, or every regular file of a directory. Returns the
 * number of inputs run, or -1. */
static long replay_path(const char *path)
{
    struct stat st;
    DIR *d = NULL;
    struct dirent *de;
    char sub[4096];
    long n = 0;

    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: cannot stat %s\n", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        return replay_file(path) == 0 ? 1 : -1;
    }
    d = opendir(path);
    if (d == NULL) {
        return -1;
    }
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') {
            continue;
        }
        snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
        if (replay_file(sub) != 0) {
            n = -1;
            break;
        }
        n++;
    }
    closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    long total = 0;

    for (int i = 1; i < argc; i++) {
        long n = replay_path(argv[i]);

        if (n < 0) {
            return 1;
        }
        total += n;
    }
    printf("replayed %ld inputs\n", total);
    return total > 0 ? 0 : 1;
}
