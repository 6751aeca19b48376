/* SPDX-License-Identifier: MIT */
/*
 * fuzz_secret.c: libFuzzer target for the password masker.
 *
 * Every statement of every log and server source passes through
 * n1_secret_mask(), so its bytes are hostile. It must answer 0 (and
 * leave the buffer empty) or 1 (with a text holding the mask), and
 * masking its own output must change nothing more: a masked statement
 * masked again is the same text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether the n bytes at s (NUL bytes allowed) hold the mask. */
static int has_mask(const char *s, size_t n)
{
    size_t m = sizeof(N1_SECRET_MASK) - 1;

    for (size_t i = 0; i + m <= n; i++) {
        if (memcmp(s + i, N1_SECRET_MASK, m) == 0) {
            return 1;
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct n1_strbuf a;
    struct n1_strbuf b;
    int rc;

    n1_strbuf_init(&a, 0);
    n1_strbuf_init(&b, 0);
    rc = n1_secret_mask((const char *)data, size, &a);
    if (rc == 0 && a.len != 0) {
        abort();
    }
    if (rc == 1) {
        if (!has_mask(a.buf, a.len)) {
            abort();
        }
        if (n1_secret_mask(a.buf, a.len, &b) != 1 || b.len != a.len ||
            memcmp(a.buf, b.buf, a.len) != 0) {
            abort();
        }
    } else if (rc != 0) {
        abort();
    }
    n1_strbuf_cleanup(&a);
    n1_strbuf_cleanup(&b);
    return 0;
}
