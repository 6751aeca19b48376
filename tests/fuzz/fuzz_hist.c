/* SPDX-License-Identifier: MIT */
/*
 * fuzz_hist.c: libFuzzer target for the histogram decoder.
 *
 * The store keeps each metric's histogram as a BLOB, and a store file can
 * come from anywhere, so n1_hist_decode() treats its bytes as hostile. A
 * blob it refuses must leave the histogram as it was and say why. A blob
 * it accepts must give a histogram the rest of n1digest can trust: the
 * counts add up to the total, the bucket count is within the cap,
 * quantiles are finite and do not decrease with q, it merges into another
 * histogram, and its encoding decodes to the same encoding again.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "stats/hist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_quantiles(const struct n1_hist *h)
{
    double last = -INFINITY;

    for (int i = 0; i <= 20; i++) {
        double v = n1_hist_quantile(h, i / 20.0);

        if (n1_hist_count(h) == 0) {
            continue;
        }
        if (isnan(v) || v < last) {
            abort();
        }
        last = v;
    }
}

/* Encodes h, decodes that, encodes again: the two encodings must match. */
static void check_round_trip(const struct n1_hist *h)
{
    struct n1_strbuf a;
    struct n1_strbuf b;
    struct n1_hist back;

    n1_strbuf_init(&a, 0);
    n1_strbuf_init(&b, 0);
    n1_hist_init(&back);
    if (n1_hist_encode(h, &a) != 0) {
        goto out;
    }
    if (n1_hist_decode(&back, a.buf, a.len, NULL) != 0 ||
        n1_hist_count(&back) != n1_hist_count(h) ||
        n1_hist_encode(&back, &b) != 0 || a.len != b.len ||
        memcmp(a.buf, b.buf, a.len) != 0) {
        abort();
    }

out:
    n1_hist_cleanup(&back);
    n1_strbuf_cleanup(&a);
    n1_strbuf_cleanup(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct n1_hist h;
    struct n1_hist sum;
    struct n1_error err;

    n1_hist_init(&h);
    n1_hist_init(&sum);
    n1_hist_add(&h, 0.25, 3);
    memset(&err, 0, sizeof(err));
    if (n1_hist_decode(&h, data, size, &err) != 0) {
        /* Refused: untouched, and a reason in prose. */
        if (n1_hist_count(&h) != 3 || err.code == N1_OK ||
            err.message[0] == '\0') {
            abort();
        }
        goto out;
    }
    if (n1_hist_buckets(&h) > N1_HIST_MAX_BUCKETS) {
        abort(); /* the cap holds for decoded histograms too */
    }
    check_quantiles(&h);
    check_round_trip(&h);
    n1_hist_add(&sum, 1.0, 1);
    if (n1_hist_merge(&sum, &h) == 0 &&
        n1_hist_count(&sum) < n1_hist_count(&h)) {
        abort();
    }

out:
    n1_hist_cleanup(&h);
    n1_hist_cleanup(&sum);
    return 0;
}
