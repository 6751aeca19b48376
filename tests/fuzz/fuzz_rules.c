/* SPDX-License-Identifier: MIT */
/*
 * fuzz_rules.c: libFuzzer target for the rule-file loader.
 *
 * Loads the input as a rule file over the compiled-in defaults. A load
 * either succeeds or fails with a one-line message. After a success the
 * rules are written out in rule-file syntax, which walks every setting,
 * entry and origin the load left behind (after a failure the rules are
 * only promised to be freeable, rules.h).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* rules_write's output in a malloc'd string; NULL when memory runs
   out. */
static char *written(const struct n1_rules *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (f == NULL) {
        return NULL;
    }
    if (n1_rules_write(r, f) != 0) {
        abort();
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct n1_rules *r = NULL;
    struct n1_error err;
    char *text = NULL;
    char *out = NULL;
    int rc;

    if (memchr(data, '\0', size) != NULL) {
        return 0; /* the loader takes NUL-terminated text */
    }
    text = malloc(size + 1);
    if (text == NULL) {
        abort();
    }
    memcpy(text, data, size);
    text[size] = '\0';
    r = n1_rules_new(&err);
    if (r == NULL) {
        abort();
    }
    rc = n1_rules_load_string(r, "fuzz.rules", text, &err);
    if (rc != 0 && (rc != -1 || err.message[0] == '\0' ||
                    strchr(err.message, '\n') != NULL)) {
        abort();
    }
    if (rc == 0) {
        out = written(r);
        if (out == NULL) {
            abort();
        }
        free(out);
    }
    n1_rules_free(r);
    free(text);
    return 0;
}
