/* SPDX-License-Identifier: MIT */
/*
 * hist.h: sparse log-bucketed histograms for quantiles in bounded memory.
 *
 * Values fall into buckets whose bounds grow by N1_HIST_GAMMA (1.02), so
 * a bucket's representative value is within 1% of every value in it (see
 * docs/store.md for the derivation). Bucket 0 holds exact zeros. Only
 * non-empty buckets are stored, as one packed 64-bit word each, so a class
 * whose values take few distinct magnitudes costs a few words.
 *
 * A histogram keeps at most N1_HIST_MAX_BUCKETS words. When values spread
 * wider than that, it coarsens: each level pairs neighbouring buckets, so
 * the growth factor squares and the bound becomes (G - 1) / (G + 1) with
 * G = 1.02^(2^level): 1% at level 0, 2% at 1, 4% at 2, 7.9% at 3. Level 1
 * already spans values over a factor of 25000 in 256 buckets. The bucket
 * of a value at a level does not depend on the order of adds, so merging
 * histograms always gives exactly the histogram of all the values.
 *
 * The struct is public so that the aggregate can embed one per metric
 * without a separate allocation; treat its fields as private and use the
 * functions below.
 */
#ifndef N1_HIST_H
#define N1_HIST_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"

/* Growth factor between consecutive bucket bounds. */
#define N1_HIST_GAMMA 1.02

/* Smallest positive value with a bucket of its own; smaller positive values
   share bucket 1 and lose the error bound. */
#define N1_HIST_MIN_VALUE 1e-9

/* Buckets in all: 0 for zero, then 1 .. N1_HIST_NBUCKETS - 1 up to about
   1e15 (values beyond share the last bucket and lose the error bound). */
#define N1_HIST_NBUCKETS 2792

/* Most non-empty buckets one histogram keeps (2 KiB of words); past it
   the histogram coarsens one level. */
#define N1_HIST_MAX_BUCKETS 256

/* Highest level: 2791 >> 4 buckets fit under the cap. */
#define N1_HIST_MAX_LEVEL 4

/* Largest count one bucket holds; adds past it saturate. */
#define N1_HIST_MAX_COUNT ((UINT64_C(1) << 52) - 1)

struct n1_hist {
    uint64_t *b;    /* sorted words: bucket index << 52 | count; heap */
    uint64_t total; /* sum of the counts (saturating) */
    uint16_t n;     /* words in use */
    uint16_t cap;   /* words allocated */
    uint16_t hint;  /* word the last add hit (checked before use) */
    uint8_t level;  /* coarsening level, 0 .. N1_HIST_MAX_LEVEL */
};

/* Makes *h an empty histogram. It owns no memory until the first add. */
void n1_hist_init(struct n1_hist *h);

/* Frees what *h owns and leaves it empty (reusable without init). NULL
   allowed. */
void n1_hist_cleanup(struct n1_hist *h);

/*
 * Returns the level-0 bucket of v. Negative values and NaN count as zero
 * (bucket 0), +Inf and values past the range go to the last bucket.
 */
unsigned n1_hist_bucket(double v);

/*
 * Returns the representative value of bucket i at a level: 0 for bucket
 * 0, otherwise the point whose largest relative distance to the bucket's
 * bounds is smallest. i past the end is clamped.
 */
double n1_hist_bucket_value(unsigned i, unsigned level);

/* Relative error bound of h's quantiles at its current level (0.0099 at
   level 0) for values in [N1_HIST_MIN_VALUE, 1e15). */
double n1_hist_error_bound(const struct n1_hist *h);

/*
 * Counts v count times. Returns 0, or -1 when memory ran out (h is then
 * unchanged).
 */
int n1_hist_add(struct n1_hist *h, double v, uint64_t count);

/*
 * Hints that h is about to be added to: starts loading the words the next
 * add reads first, so that callers adding to several histograms in a row
 * wait for their cache misses together rather than one after another.
 * Changes nothing. Inline, as the aggregate calls it for every metric of
 * every event.
 */
static inline void n1_hist_prefetch(const struct n1_hist *h)
{
    if (h->n > 0) {
        __builtin_prefetch(&h->b[h->hint < h->n ? h->hint : 0]);
        __builtin_prefetch(&h->b[h->n / 2]);
    }
}

/*
 * Adds every count of src into dst (dst and src may not be the same
 * object); the result is the histogram of all the values of both. Returns
 * 0, or -1 when memory ran out (dst is then unchanged).
 */
int n1_hist_merge(struct n1_hist *dst, const struct n1_hist *src);

/* Number of values counted. */
uint64_t n1_hist_count(const struct n1_hist *h);

/* Number of non-empty buckets (the words h keeps). */
size_t n1_hist_buckets(const struct n1_hist *h);

/* Heap bytes h owns (for memory accounting). */
size_t n1_hist_memory(const struct n1_hist *h);

/*
 * Nearest-rank quantile: for q in [0, 1] (NaN counts as 0, values outside
 * are clamped), the representative value of the bucket holding the value
 * of rank max(1, ceil(q * count)) in sorted order. Returns 0 for an empty
 * histogram.
 */
double n1_hist_quantile(const struct n1_hist *h, double q);

/*
 * Appends h's compact encoding (a version byte, the level, the bucket
 * count, then per bucket the index step and the count, all but the first
 * as LEB128 varints) to out. Returns
 * 0, or -1 when out cannot grow (out is then as it was).
 */
int n1_hist_encode(const struct n1_hist *h, struct n1_strbuf *out);

/*
 * Replaces *h (initialised) with the histogram encoded in len bytes of
 * data, which may come from anywhere: every varint, index and count is
 * checked. Returns 0, or -1 with err set (N1_EPARSE for bad bytes, N1_ESYS
 * for memory); on failure *h is unchanged.
 */
int n1_hist_decode(struct n1_hist *h, const void *data, size_t len,
                   struct n1_error *err);

#endif /* N1_HIST_H */
