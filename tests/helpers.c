/* SPDX-License-Identifier: MIT */
/*
 * helpers.c: fixture loading, temp files and readable text comparisons
 * for the unit tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

#define TH_MAX_TEMPS 64

static char temp_paths[TH_MAX_TEMPS][64];
static int n_temps;

static void remove_temps(void)
{
    for (int i = 0; i < n_temps; i++) {
        unlink(temp_paths[i]);
    }
}

const char *th_fixture_path(const char *rel)
{
    static char path[1024];

    snprintf(path, sizeof(path), "%s/%s", FIXTURES_DIR, rel);
    return path;
}

char *th_read_fixture(const char *rel, size_t *len)
{
    const char *path = th_fixture_path(rel);
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long size;

    if (f == NULL) {
        fail_msg("cannot open fixture %s", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fclose(f);
        free(buf);
        fail_msg("cannot read fixture %s", path);
        return NULL;
    }
    fclose(f);
    buf[size] = '\0';
    if (len != NULL) {
        *len = (size_t)size;
    }
    return buf;
}

const char *th_temp_file(const void *data, size_t len)
{
    char *path;
    int fd;

    assert_true(n_temps < TH_MAX_TEMPS);
    path = temp_paths[n_temps];
    snprintf(path, sizeof(temp_paths[0]), "/tmp/n1digest-test-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    if (n_temps == 0) {
        atexit(remove_temps);
    }
    n_temps++;
    assert_true(write(fd, data, len) == (ssize_t)len);
    close(fd);
    return path;
}

void th_assert_text(const char *input, const char *expected, const char *actual)
{
    if (strcmp(expected, actual) != 0) {
        print_error("input:    %s\nexpected: %s\nactual:   %s\n", input,
                    expected, actual);
        fail();
    }
}

void th_assert_contains(const char *text, const char *const *needles)
{
    assert_non_null(text);
    for (size_t i = 0; needles[i] != NULL; i++) {
        if (strstr(text, needles[i]) == NULL) {
            print_error("missing:  %s\ntext:\n%s\n", needles[i], text);
            fail();
        }
    }
}
