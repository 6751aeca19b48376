/* SPDX-License-Identifier: MIT */
/*
 * hist.c: sparse log-bucketed histograms.
 *
 * Bucket i >= 1 covers [MIN * g^(i-1), MIN * g^i) with g = N1_HIST_GAMMA.
 * A histogram is a sorted array of 64-bit words, each the bucket index in
 * the top 12 bits and its count in the low 52, so sorting the words sorts
 * the buckets and a lookup is a binary search on the index. Adding a value
 * of a new magnitude inserts a word (memmove); the array stays small
 * because past N1_HIST_MAX_BUCKETS words the histogram moves up a level:
 * bucket j >= 1 at level L holds level-0 buckets (j-1)*2^L+1 .. j*2^L, so
 * going up a level maps j to (j-1)/2+1 and merges equal neighbours. That
 * map is monotone, which keeps the words sorted without a re-sort.
 *
 * The encoding is for SQLite BLOBs: version byte 1, level byte, a varint
 * bucket count, then per bucket a varint index (the first absolute, later
 * ones the positive step from the previous index) and a varint count.
 * Decoding treats the bytes as hostile. Nothing here knows about metrics
 * or units.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "stats/hist.h"

#define IDX_SHIFT        52
#define COUNT_MASK       N1_HIST_MAX_COUNT
#define ENCODING_VERSION 1

static unsigned word_idx(uint64_t w)
{
    return (unsigned)(w >> IDX_SHIFT);
}

static uint64_t word_count(uint64_t w)
{
    return w & COUNT_MASK;
}

static uint64_t make_word(unsigned idx, uint64_t count)
{
    return ((uint64_t)idx << IDX_SHIFT) | (count & COUNT_MASK);
}

static uint64_t sat_add(uint64_t a, uint64_t b, uint64_t max)
{
    return (a > max - b || b > max) ? max : a + b;
}

void n1_hist_init(struct n1_hist *h)
{
    static const struct n1_hist empty = {NULL, 0, 0, 0, 0, 0};

    *h = empty;
}

/* Level-0 bucket i as a bucket of level L. */
static unsigned at_level(unsigned i, unsigned level)
{
    return i == 0 ? 0 : ((i - 1) >> level) + 1;
}

/* Bucket of word w of a histogram at level `from` at level `to` (>=). */
static unsigned idx_up(uint64_t w, unsigned from, unsigned to)
{
    unsigned j = word_idx(w);

    return j == 0 ? 0 : ((j - 1) >> (to - from)) + 1;
}

/* Number of buckets at a level (the zero bucket included). */
static unsigned buckets_at(unsigned level)
{
    return at_level(N1_HIST_NBUCKETS - 1, level) + 1;
}

void n1_hist_cleanup(struct n1_hist *h)
{
    if (h == NULL) {
        return;
    }
    free(h->b);
    n1_hist_init(h);
}

/*
 * The definition of the bucket of a value: the formula the bounds and the
 * error bound are derived from. It costs two log() calls, so
 * n1_hist_bucket() answers from tables built from it instead and gives
 * exactly the same result for every double.
 */
static unsigned bucket_by_log(double v)
{
    double x;

    /* !(v > 0) also catches NaN. */
    if (!(v > 0.0)) {
        return 0;
    }
    if (v <= N1_HIST_MIN_VALUE) {
        return 1;
    }
    x = log(v / N1_HIST_MIN_VALUE) / log(N1_HIST_GAMMA);
    if (!(x < (double)(N1_HIST_NBUCKETS - 2))) {
        return N1_HIST_NBUCKETS - 1;
    }
    return 1 + (unsigned)floor(x);
}

/*
 * Table lookup. bucket_by_log() never decreases as v grows (log, the
 * division and floor are all monotone), so bucket i >= 2 starts at one
 * double, lower[i]: the smallest v with bucket_by_log(v) >= i, found once
 * by bisecting the bit patterns of positive doubles, which sort like the
 * values. A positive double's top bits (exponent and SLICE_BITS of
 * mantissa) cut the line into slices narrower than one bucket
 * (2^(1/64) < 1.02), so each slice holds at most one bucket start: the
 * bucket of v is its slice's first bucket, plus one when v reaches the
 * next start.
 */
#define SLICE_BITS  6
#define SLICE_SHIFT (52 - SLICE_BITS)

static double lower[N1_HIST_NBUCKETS + 1]; /* bucket starts; [NB]: +Inf */
static uint16_t *slice_first;              /* first bucket of each slice */
static uint64_t slice_lo;                  /* slice of N1_HIST_MIN_VALUE */
static uint64_t slice_hi;                  /* slice of lower[NB - 1] */
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;
/* 1 once the tables are built: a load every add costs less than
   pthread_once(), which is a call and a barrier. */
static atomic_int tables_ready;

static uint64_t dbits(double v)
{
    uint64_t u;

    memcpy(&u, &v, sizeof(u));
    return u;
}

static double bitsd(uint64_t u)
{
    double v;

    memcpy(&v, &u, sizeof(v));
    return v;
}

static void build_tables(void)
{
    uint16_t *first = NULL;
    uint64_t n;

    lower[0] = 0.0;
    lower[1] = 0.0; /* everything positive is at least bucket 1 */
    for (unsigned i = 2; i < N1_HIST_NBUCKETS; i++) {
        /* Bisect [lo, hi): bucket_by_log(lo) < i <= bucket_by_log(hi). */
        uint64_t lo = dbits(lower[i - 1]);
        uint64_t hi = dbits(INFINITY);
        double est = N1_HIST_MIN_VALUE * pow(N1_HIST_GAMMA, (double)(i - 1));
        double a = est * (1.0 - 1e-13);
        double z = est * (1.0 + 1e-13);

        /* The start is within rounding of MIN * G^(i-1) (1e-14 apart at
           most, measured): bisect the thousand doubles around it rather
           than the whole line, when the guess brackets it. The tables
           are built on the first add, so this is paid by every run. */
        if (a > lower[i - 1] && bucket_by_log(a) < i && bucket_by_log(z) >= i) {
            lo = dbits(a);
            hi = dbits(z);
        }

        while (hi - lo > 1) {
            uint64_t mid = lo + (hi - lo) / 2;

            if (bucket_by_log(bitsd(mid)) >= i) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        lower[i] = bitsd(hi);
    }
    lower[N1_HIST_NBUCKETS] = INFINITY;
    slice_lo = dbits(N1_HIST_MIN_VALUE) >> SLICE_SHIFT;
    slice_hi = dbits(lower[N1_HIST_NBUCKETS - 1]) >> SLICE_SHIFT;
    n = slice_hi - slice_lo + 1;
    first = malloc(n * sizeof(*first));
    if (first != NULL) {
        unsigned b = 1;

        for (uint64_t k = 0; k < n; k++) {
            double start = bitsd((slice_lo + k) << SLICE_SHIFT);

            while (b + 1 < N1_HIST_NBUCKETS && lower[b + 1] <= start) {
                b++;
            }
            first[k] = (uint16_t)b;
        }
    }
    /* Without the slice table every lookup takes the log() path. */
    slice_first = first;
    atomic_store_explicit(&tables_ready, 1, memory_order_release);
}

/* n1_hist_bucket(), inlined into the add. */
static inline unsigned bucket_of(double v)
{
    uint64_t k;
    unsigned b;

    /* !(v > 0) also catches NaN. */
    if (!(v > N1_HIST_MIN_VALUE)) {
        return v > 0.0 ? 1 : 0;
    }
    if (!atomic_load_explicit(&tables_ready, memory_order_acquire)) {
        pthread_once(&tables_once, build_tables);
    }
    k = dbits(v) >> SLICE_SHIFT;
    if (slice_first == NULL || k >= slice_hi) {
        return bucket_by_log(v);
    }
    b = slice_first[k - slice_lo];
    return v >= lower[b + 1] ? b + 1 : b;
}

unsigned n1_hist_bucket(double v)
{
    return bucket_of(v);
}

double n1_hist_bucket_value(unsigned i, unsigned level)
{
    double lo;
    double g;

    if (i == 0) {
        return 0.0;
    }
    if (level > N1_HIST_MAX_LEVEL) {
        level = N1_HIST_MAX_LEVEL;
    }
    if (i >= buckets_at(level)) {
        i = buckets_at(level) - 1;
    }
    g = pow(N1_HIST_GAMMA, (double)(1u << level));
    lo = N1_HIST_MIN_VALUE *
         pow(N1_HIST_GAMMA, (double)((uint64_t)(i - 1) << level));
    /* Equal relative distance to both bounds: 2*lo*hi / (lo + hi). */
    return lo * 2.0 * g / (1.0 + g);
}

double n1_hist_error_bound(const struct n1_hist *h)
{
    double g = pow(N1_HIST_GAMMA, (double)(1u << h->level));

    return (g - 1.0) / (g + 1.0);
}

/* Index of the first word whose bucket is >= idx (h->n when none). */
static uint32_t lower_bound(const struct n1_hist *h, unsigned idx)
{
    /* A word is below every word of bucket idx exactly when its bucket
       is: compare whole words, and halve without branches. */
    const uint64_t key = (uint64_t)idx << IDX_SHIFT;
    const uint64_t *base = h->b;
    uint32_t n = h->n;

    if (n == 0) {
        return 0;
    }
    while (n > 1) {
        uint32_t half = n / 2;

        base = base[half - 1] < key ? base + half : base;
        n -= half;
    }
    return (uint32_t)(base - h->b) + (*base < key);
}

static int reserve(struct n1_hist *h, uint32_t need)
{
    uint32_t ncap;
    uint64_t *nb;

    if (need <= h->cap) {
        return 0;
    }
    /* Just enough, made odd since malloc's chunks hold an odd number of
       words: a class has one histogram per metric, most of them small,
       and with many classes the words left unused by doubling (a third
       on average) were a tenth of the memory. New buckets are rare once
       a histogram has seen its range, so the extra reallocs cost little. */
    ncap = need | 1u;
    /* The cap plus one word for the add that triggers coarsening. */
    if (ncap > N1_HIST_MAX_BUCKETS + 1) {
        ncap = need > N1_HIST_MAX_BUCKETS + 1 ? need : N1_HIST_MAX_BUCKETS + 1;
    }
    nb = realloc(h->b, (size_t)ncap * sizeof(*nb));
    if (nb == NULL) {
        return -1;
    }
    h->b = nb;
    h->cap = (uint16_t)ncap;
    return 0;
}

/* Rewrites the n words of b from level `from` to level `to` (>= from) in
   place, merging buckets that become equal. Returns the new word count. */
static uint32_t relevel(uint64_t *b, uint32_t n, unsigned from, unsigned to)
{
    uint32_t k = 0;

    for (uint32_t i = 0; i < n; i++) {
        unsigned idx = idx_up(b[i], from, to);

        if (k > 0 && word_idx(b[k - 1]) == idx) {
            b[k - 1] = make_word(idx, sat_add(word_count(b[k - 1]),
                                              word_count(b[i]), COUNT_MASK));
        } else {
            b[k++] = make_word(idx, word_count(b[i]));
        }
    }
    return k;
}

/* Coarsens h one level at a time until it is within the cap. */
static void enforce_cap(struct n1_hist *h)
{
    while (h->n > N1_HIST_MAX_BUCKETS && h->level < N1_HIST_MAX_LEVEL) {
        h->n = (uint16_t)relevel(h->b, h->n, h->level, h->level + 1u);
        h->level++;
    }
}

/* Adds count to bucket idx. Returns 0, or -1 when a new bucket found no
   memory (h unchanged). */
static int add_bucket(struct n1_hist *h, unsigned idx, uint64_t count)
{
    uint32_t pos;

    /* Metrics often repeat a magnitude (0 rows, the same length): try the
       word of the last add before a binary search, whose probes are
       mostly cache misses. */
    if (h->hint < h->n && word_idx(h->b[h->hint]) == idx) {
        pos = h->hint;
    } else {
        pos = lower_bound(h, idx);
        h->hint = (uint16_t)pos;
    }

    if (pos < h->n && word_idx(h->b[pos]) == idx) {
        h->b[pos] =
            make_word(idx, sat_add(word_count(h->b[pos]), count, COUNT_MASK));
    } else {
        if (reserve(h, (uint32_t)h->n + 1) < 0) {
            return -1;
        }
        memmove(&h->b[pos + 1], &h->b[pos], (h->n - pos) * sizeof(h->b[0]));
        h->b[pos] = make_word(idx, count > COUNT_MASK ? COUNT_MASK : count);
        h->n++;
    }
    h->total = sat_add(h->total, count, UINT64_MAX);
    return 0;
}

int n1_hist_add(struct n1_hist *h, double v, uint64_t count)
{
    if (count == 0) {
        return 0;
    }
    if (add_bucket(h, at_level(bucket_of(v), h->level), count) < 0) {
        return -1;
    }
    enforce_cap(h);
    return 0;
}

/* First position in b[from..n) whose bucket is >= idx (n when none),
   galloping from `from`, since a merge's lookups move forward. */
static uint32_t seek(const uint64_t *b, uint32_t from, uint32_t n, unsigned idx)
{
    uint32_t lo = from; /* every word before lo is below idx */
    uint32_t hi = from; /* at or above idx, or n */
    uint32_t step = 1;

    while (hi < n && word_idx(b[hi]) < idx) {
        lo = hi + 1;
        hi = n - hi > step ? hi + step : n;
        step <<= 1;
    }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;

        if (word_idx(b[mid]) < idx) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/*
 * Adds src's counts into dst without allocating when dst's level is at
 * least src's and dst already has every bucket of src: the usual case
 * when a total absorbs class after class. Returns 1 when done, 0 (dst
 * unchanged) otherwise.
 */
static int merge_in_place(struct n1_hist *dst, const struct n1_hist *src)
{
    uint16_t at[N1_HIST_MAX_BUCKETS];
    uint32_t p = 0;

    if (dst->level < src->level || src->n > N1_HIST_MAX_BUCKETS) {
        return 0;
    }
    for (uint32_t j = 0; j < src->n; j++) {
        unsigned idx = idx_up(src->b[j], src->level, dst->level);

        p = seek(dst->b, p, dst->n, idx);
        if (p == dst->n || word_idx(dst->b[p]) != idx) {
            return 0;
        }
        at[j] = (uint16_t)p;
    }
    for (uint32_t j = 0; j < src->n; j++) {
        uint64_t w = dst->b[at[j]];

        dst->b[at[j]] =
            make_word(word_idx(w), sat_add(word_count(w), word_count(src->b[j]),
                                           COUNT_MASK));
    }
    dst->total = sat_add(dst->total, src->total, UINT64_MAX);
    return 1;
}

int n1_hist_merge(struct n1_hist *dst, const struct n1_hist *src)
{
    uint64_t *out = NULL;
    uint64_t *shrunk = NULL;
    uint32_t i = 0;
    uint32_t j = 0;
    uint32_t k = 0;
    unsigned level = dst->level > src->level ? dst->level : src->level;

    if (src->n == 0 || merge_in_place(dst, src)) {
        return 0;
    }
    /* Merge into a new array, bringing both to the common level on the
       way, so that dst is intact when the allocation fails. */
    out = malloc(((size_t)dst->n + src->n) * sizeof(*out));
    if (out == NULL) {
        return -1;
    }
    while (i < dst->n || j < src->n) {
        uint64_t w;
        unsigned idx;

        if (j == src->n ||
            (i < dst->n && idx_up(dst->b[i], dst->level, level) <=
                               idx_up(src->b[j], src->level, level))) {
            w = dst->b[i++];
            idx = idx_up(w, dst->level, level);
        } else {
            w = src->b[j++];
            idx = idx_up(w, src->level, level);
        }
        if (k > 0 && word_idx(out[k - 1]) == idx) {
            out[k - 1] = make_word(idx, sat_add(word_count(out[k - 1]),
                                                word_count(w), COUNT_MASK));
        } else {
            out[k++] = make_word(idx, word_count(w));
        }
    }
    while (k > N1_HIST_MAX_BUCKETS && level < N1_HIST_MAX_LEVEL) {
        k = relevel(out, k, level, level + 1);
        level++;
    }
    if (k < (uint32_t)dst->n + src->n) {
        /* Give back what equal buckets left unused; failing to shrink is
           harmless. */
        shrunk = realloc(out, k * sizeof(*out));
        if (shrunk != NULL) {
            out = shrunk;
        }
    }
    free(dst->b);
    dst->b = out;
    dst->n = (uint16_t)k;
    dst->cap = (uint16_t)k;
    dst->level = (uint8_t)level;
    dst->total = sat_add(dst->total, src->total, UINT64_MAX);
    return 0;
}

uint64_t n1_hist_count(const struct n1_hist *h)
{
    return h->total;
}

size_t n1_hist_buckets(const struct n1_hist *h)
{
    return h->n;
}

size_t n1_hist_memory(const struct n1_hist *h)
{
    return (size_t)h->cap * sizeof(h->b[0]);
}

double n1_hist_quantile(const struct n1_hist *h, double q)
{
    uint64_t rank;
    uint64_t seen = 0;

    if (h->n == 0 || h->total == 0) {
        return 0.0;
    }
    if (!(q > 0.0)) {
        q = 0.0;
    } else if (q > 1.0) {
        q = 1.0;
    }
    rank = (uint64_t)ceil(q * (double)h->total);
    if (rank < 1) {
        rank = 1;
    } else if (rank > h->total) {
        rank = h->total;
    }
    for (uint32_t i = 0; i < h->n; i++) {
        seen += word_count(h->b[i]);
        if (seen >= rank) {
            return n1_hist_bucket_value(word_idx(h->b[i]), h->level);
        }
    }
    /* Saturated counts can leave total above the sum: use the top. */
    return n1_hist_bucket_value(word_idx(h->b[h->n - 1]), h->level);
}

static int put_varint(struct n1_strbuf *out, uint64_t v)
{
    unsigned char tmp[10];
    size_t n = 0;

    do {
        tmp[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v != 0) {
            tmp[n] |= 0x80;
        }
        n++;
    } while (v != 0);
    return n1_strbuf_append(out, tmp, n);
}

int n1_hist_encode(const struct n1_hist *h, struct n1_strbuf *out)
{
    size_t start = out->len;
    unsigned prev = 0;
    unsigned char head[2] = {ENCODING_VERSION, h->level};

    if (n1_strbuf_append(out, head, 2) < 0 || put_varint(out, h->n) < 0) {
        goto fail;
    }
    for (uint32_t i = 0; i < h->n; i++) {
        unsigned idx = word_idx(h->b[i]);

        if (put_varint(out, i == 0 ? idx : idx - prev) < 0 ||
            put_varint(out, word_count(h->b[i])) < 0) {
            goto fail;
        }
        prev = idx;
    }
    return 0;

fail:
    if (out->buf != NULL) {
        out->len = start;
        out->buf[start] = '\0';
    }
    return -1;
}

/* Reads one LEB128 varint of at most 10 bytes that fits in 64 bits and has
   no redundant trailing zero groups. Returns 0, or -1 on bad bytes. */
static int get_varint(const unsigned char **p, const unsigned char *end,
                      uint64_t *v)
{
    uint64_t r = 0;
    unsigned shift = 0;

    for (;;) {
        unsigned char c;

        if (*p >= end || shift > 63) {
            return -1;
        }
        c = *(*p)++;
        if (shift == 63 && (c & 0x7e) != 0) {
            return -1;
        }
        r |= (uint64_t)(c & 0x7f) << shift;
        if ((c & 0x80) == 0) {
            if (c == 0 && shift > 0) {
                return -1;
            }
            break;
        }
        shift += 7;
    }
    *v = r;
    return 0;
}

int n1_hist_decode(struct n1_hist *h, const void *data, size_t len,
                   struct n1_error *err)
{
    const unsigned char *p = data;
    const unsigned char *end = p + len;
    struct n1_hist tmp;
    uint64_t nb;
    uint64_t prev = 0;
    unsigned level;
    const char *why = NULL;

    n1_hist_init(&tmp);
    if (len == 0 || p == NULL) {
        why = "empty";
        goto bad;
    }
    if (*p++ != ENCODING_VERSION) {
        why = "unknown encoding version";
        goto bad;
    }
    if (p == end || *p > N1_HIST_MAX_LEVEL) {
        why = "bad level";
        goto bad;
    }
    level = *p++;
    if (get_varint(&p, end, &nb) < 0) {
        why = "bad bucket count";
        goto bad;
    }
    if (nb > buckets_at(level)) {
        why = "too many buckets";
        goto bad;
    }
    /* Each bucket takes at least two bytes: refuse before allocating. */
    if (nb > (uint64_t)(end - p) / 2 || (nb == 0 && p != end)) {
        why = "truncated";
        goto bad;
    }
    if (nb > 0 && reserve(&tmp, (uint32_t)nb) < 0) {
        n1_err_oom(err, "decoding histogram");
        return -1;
    }
    for (uint64_t i = 0; i < nb; i++) {
        uint64_t step;
        uint64_t count;
        uint64_t idx;

        if (get_varint(&p, end, &step) < 0 || get_varint(&p, end, &count) < 0) {
            why = "truncated or overlong varint";
            goto bad;
        }
        if (i > 0 && step == 0) {
            why = "bucket indexes not increasing";
            goto bad;
        }
        if (step >= N1_HIST_NBUCKETS) {
            why = "bucket index out of range";
            goto bad;
        }
        idx = (i == 0) ? step : prev + step;
        if (idx >= buckets_at(level)) {
            why = "bucket index out of range";
            goto bad;
        }
        if (count == 0 || count > COUNT_MASK) {
            why = "bad bucket count value";
            goto bad;
        }
        tmp.b[tmp.n++] = make_word((unsigned)idx, count);
        tmp.total += count;
        prev = idx;
    }
    if (p != end) {
        why = "trailing bytes";
        goto bad;
    }
    tmp.level = (uint8_t)level;
    enforce_cap(&tmp);
    n1_hist_cleanup(h);
    *h = tmp;
    return 0;

bad:
    n1_hist_cleanup(&tmp);
    n1_err_set(err, N1_EPARSE, NULL, 0, "bad histogram blob: %s", why);
    return -1;
}
