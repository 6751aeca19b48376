/* SPDX-License-Identifier: MIT */
/*
 * test_hist.c: bucket error bound, quantiles of known distributions,
 * merging, the BLOB encoding and its rejection of corrupt bytes.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats/hist.h"

/* Largest relative error the bucket layout promises. */
#define BOUND ((N1_HIST_GAMMA - 1.0) / (N1_HIST_GAMMA + 1.0))

/* Deterministic generator so failures reproduce. */
static uint64_t rng_state = 88172645463325252ull;

static uint64_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static double rng_unit(void)
{
    return (double)(rng_next() >> 11) / 9007199254740992.0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

/* The exact nearest-rank quantile of sorted v[0..n). */
static double exact_quantile(const double *v, size_t n, double q)
{
    size_t rank = (size_t)ceil(q * (double)n);

    if (rank < 1) {
        rank = 1;
    }
    return v[rank - 1];
}

/* Adds v[0..n) to a histogram and checks each quantile against the exact
   one, within the bound of the level the histogram ended at, which must
   be `level`. */
static void check_quantiles(double *v, size_t n, const double *qs, size_t nq,
                            unsigned level)
{
    struct n1_hist h;
    double bound;

    n1_hist_init(&h);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(n1_hist_add(&h, v[i], 1), 0);
    }
    qsort(v, n, sizeof(v[0]), cmp_double);
    assert_int_equal(n1_hist_count(&h), n);
    assert_int_equal(h.level, level);
    bound = n1_hist_error_bound(&h);
    for (size_t i = 0; i < nq; i++) {
        double want = exact_quantile(v, n, qs[i]);
        double got = n1_hist_quantile(&h, qs[i]);
        double rel = want == 0.0 ? fabs(got) : fabs(got - want) / want;

        if (rel > bound + 1e-12) {
            fail_msg("q=%g: want %.9g got %.9g (rel %.5f > %.5f)", qs[i], want,
                     got, rel, bound);
        }
    }
    assert_true(n1_hist_buckets(&h) <= N1_HIST_MAX_BUCKETS);
    n1_hist_cleanup(&h);
}

static void test_hist_bucket_bound(void **state)
{
    (void)state;
    assert_int_equal(n1_hist_bucket(0.0), 0);
    assert_int_equal(n1_hist_bucket(-5.0), 0);
    assert_int_equal(n1_hist_bucket(NAN), 0);
    assert_int_equal(n1_hist_bucket(1e-30), 1);
    assert_int_equal(n1_hist_bucket(INFINITY), N1_HIST_NBUCKETS - 1);
    assert_int_equal(n1_hist_bucket(1e300), N1_HIST_NBUCKETS - 1);
    assert_true(n1_hist_bucket_value(0, 0) == 0.0);
    assert_true(n1_hist_bucket_value(0, 3) == 0.0);
    assert_true(BOUND < 0.01);
    /* Sweep the whole range, including values on bucket edges. */
    for (double v = N1_HIST_MIN_VALUE; v < 9e14; v *= 1.0037) {
        double r = n1_hist_bucket_value(n1_hist_bucket(v), 0);

        if (fabs(r - v) / v > BOUND + 1e-12) {
            fail_msg("v=%.17g rep=%.17g", v, r);
        }
    }
    for (unsigned i = 1; i + 1 < N1_HIST_NBUCKETS; i++) {
        /* Buckets are monotone and each representative maps home. */
        assert_int_equal(n1_hist_bucket(n1_hist_bucket_value(i, 0)), i);
    }
}

static void test_hist_quantiles_uniform(void **state)
{
    static const double qs[] = {0.01, 0.05, 0.25, 0.5,   0.75,
                                0.9,  0.95, 0.99, 0.999, 1.0};
    size_t n = 100000;
    double *v = malloc(n * sizeof(*v));

    (void)state;
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) {
        v[i] = 1.0 + floor(rng_unit() * 10000.0);
    }
    check_quantiles(v, n, qs, sizeof(qs) / sizeof(qs[0]), 1);
    free(v);
}

static void test_hist_quantiles_lognormal(void **state)
{
    static const double qs[] = {0.05, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0};
    size_t n = 50000;
    double *v = malloc(n * sizeof(*v));

    (void)state;
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) {
        /* Box-Muller: query times around 2 ms spread over decades. */
        double u1 = rng_unit() + 1e-12;
        double u2 = rng_unit();
        double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);

        v[i] = 0.002 * exp(1.2 * z);
    }
    check_quantiles(v, n, qs, sizeof(qs) / sizeof(qs[0]), 1);
    free(v);
}

static void test_hist_quantiles_narrow(void **state)
{
    static const double qs[] = {0.0, 0.01, 0.25, 0.5, 0.75,
                                0.9, 0.95, 0.99, 1.0};
    size_t n = 20000;
    double *v = malloc(n * sizeof(*v));

    (void)state;
    assert_non_null(v);
    /* A typical class: 0.5 ms to 50 ms, full 1% resolution. */
    for (size_t i = 0; i < n; i++) {
        v[i] = 0.0005 * pow(100.0, rng_unit());
    }
    check_quantiles(v, n, qs, sizeof(qs) / sizeof(qs[0]), 0);
    assert_true(BOUND < 0.01);
    free(v);
}

static void test_hist_quantiles_small_exact(void **state)
{
    double v[] = {0, 0, 0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89};
    size_t n = sizeof(v) / sizeof(v[0]);
    double qs[101];

    (void)state;
    for (int i = 0; i <= 100; i++) {
        qs[i] = i / 100.0;
    }
    check_quantiles(v, n, qs, 101, 0);
}

static void test_hist_quantile_edges(void **state)
{
    struct n1_hist h;

    (void)state;
    n1_hist_init(&h);
    assert_true(n1_hist_quantile(&h, 0.5) == 0.0);
    assert_int_equal(n1_hist_add(&h, 7.0, 3), 0);
    assert_int_equal(n1_hist_add(&h, 0.0, 1), 0);
    assert_int_equal(n1_hist_count(&h), 4);
    assert_int_equal(n1_hist_buckets(&h), 2);
    assert_true(n1_hist_quantile(&h, NAN) == 0.0);
    assert_true(n1_hist_quantile(&h, -1.0) == 0.0);
    assert_true(fabs(n1_hist_quantile(&h, 2.0) - 7.0) / 7.0 <= BOUND);
    assert_true(fabs(n1_hist_quantile(&h, 0.26) - 7.0) / 7.0 <= BOUND);
    assert_true(n1_hist_quantile(&h, 0.25) == 0.0);
    assert_int_equal(n1_hist_add(&h, 1.0, 0), 0);
    assert_int_equal(n1_hist_count(&h), 4);
    n1_hist_cleanup(&h);
    n1_hist_cleanup(&h);
    n1_hist_cleanup(NULL);
}

static void assert_hist_equal(const struct n1_hist *a, const struct n1_hist *b)
{
    assert_int_equal(a->level, b->level);
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->total, b->total);
    for (uint32_t i = 0; i < a->n; i++) {
        assert_int_equal(a->b[i], b->b[i]);
    }
}

static void test_hist_merge_equals_adding(void **state)
{
    struct n1_hist all;
    struct n1_hist left;
    struct n1_hist right;
    struct n1_hist empty;

    (void)state;
    n1_hist_init(&all);
    n1_hist_init(&left);
    n1_hist_init(&right);
    n1_hist_init(&empty);
    for (int i = 0; i < 5000; i++) {
        /* Three decades: about 350 candidate buckets, fewer used. */
        double v = (i % 7 == 0) ? 0.0 : 1e-4 * pow(10.0, (i % 97) / 32.0);

        assert_int_equal(n1_hist_add(&all, v, 1), 0);
        assert_int_equal(n1_hist_add(i % 3 == 0 ? &left : &right, v, 1), 0);
    }
    assert_true(n1_hist_buckets(&all) <= N1_HIST_MAX_BUCKETS);
    assert_int_equal(n1_hist_merge(&left, &right), 0);
    assert_hist_equal(&left, &all);
    assert_int_equal(n1_hist_merge(&left, &empty), 0);
    assert_hist_equal(&left, &all);
    assert_int_equal(n1_hist_merge(&empty, &all), 0);
    assert_hist_equal(&empty, &all);
    n1_hist_cleanup(&all);
    n1_hist_cleanup(&left);
    n1_hist_cleanup(&right);
    n1_hist_cleanup(&empty);
}

static void test_hist_merge_in_place(void **state)
{
    /* A total that has every bucket of what it absorbs, at that level or
       a coarser one, takes the counts in place (the report's totals, class
       after class); a saturated count stays saturated; a bucket the total
       lacks makes a new array. Each equals adding the values. */
    struct n1_hist total;
    struct n1_hist direct;
    struct n1_hist part;
    const uint64_t *words;

    (void)state;
    n1_hist_init(&total);
    n1_hist_init(&direct);
    n1_hist_init(&part);
    for (int i = 0; i < 600; i++) {
        double v = pow(N1_HIST_GAMMA, i) * 1.001;

        assert_int_equal(n1_hist_add(&total, v, 1), 0);
        assert_int_equal(n1_hist_add(&direct, v, 1), 0);
    }
    assert_int_equal(n1_hist_add(&total, 0.0, 1), 0);
    assert_int_equal(n1_hist_add(&direct, 0.0, 1), 0);
    assert_int_equal(total.level, 2);
    for (int i = 0; i < 40; i++) {
        double v = pow(N1_HIST_GAMMA, (i * 7) % 600) * 1.001;

        assert_int_equal(n1_hist_add(&part, v, (uint64_t)i + 1), 0);
        assert_int_equal(n1_hist_add(&direct, v, (uint64_t)i + 1), 0);
    }
    assert_int_equal(n1_hist_add(&part, 0.0, 3), 0);
    assert_int_equal(n1_hist_add(&direct, 0.0, 3), 0);
    assert_int_equal(part.level, 0);
    words = total.b;
    assert_int_equal(n1_hist_merge(&total, &part), 0);
    assert_ptr_equal(total.b, words);
    assert_hist_equal(&total, &direct);

    n1_hist_cleanup(&part);
    assert_int_equal(n1_hist_add(&part, 1.001, N1_HIST_MAX_COUNT), 0);
    assert_int_equal(n1_hist_add(&direct, 1.001, N1_HIST_MAX_COUNT), 0);
    assert_int_equal(n1_hist_merge(&total, &part), 0);
    assert_ptr_equal(total.b, words);
    assert_hist_equal(&total, &direct);
    assert_int_equal(total.b[1] & N1_HIST_MAX_COUNT, N1_HIST_MAX_COUNT);

    n1_hist_cleanup(&part);
    assert_int_equal(n1_hist_add(&part, 1e6, 2), 0);
    assert_int_equal(n1_hist_add(&direct, 1e6, 2), 0);
    assert_int_equal(n1_hist_merge(&total, &part), 0);
    assert_hist_equal(&total, &direct);
    n1_hist_cleanup(&total);
    n1_hist_cleanup(&direct);
    n1_hist_cleanup(&part);
}

/* The bucket of v by its definition (hist.h): 1 + floor(log_G(v / MIN))
   up to the last bucket, 1 for positive values up to MIN, 0 for zero,
   negative values and NaN. x must be computed as hist.c computes it. */
static unsigned bucket_by_formula(double v)
{
    double x;

    if (v > N1_HIST_MIN_VALUE) {
        x = log(v / N1_HIST_MIN_VALUE) / log(N1_HIST_GAMMA);
        return x < (double)(N1_HIST_NBUCKETS - 2) ? 1 + (unsigned)floor(x)
                                                  : N1_HIST_NBUCKETS - 1;
    }
    return v > 0.0 ? 1 : 0;
}

static void check_bucket(double v)
{
    if (n1_hist_bucket(v) != bucket_by_formula(v)) {
        fail_msg("v=%.17g: bucket %u, formula %u", v, n1_hist_bucket(v),
                 bucket_by_formula(v));
    }
}

static void test_hist_bucket_matches_formula(void **state)
{
    /* The lookup tables give the formula's bucket for the values logs
       hold: whole numbers (rows, bytes, lengths) and microseconds, and
       for the 300 doubles around every bucket start (the tables place
       each start within about 130 doubles of MIN * G^(i-1)). */
    (void)state;
    for (uint64_t k = 0; k < 1000000; k++) {
        check_bucket((double)k);
    }
    for (uint64_t k = 1000000; k < 10000000000ull; k += 9973) {
        check_bucket((double)k);
    }
    for (uint64_t k = 0; k <= 2000000; k++) {
        check_bucket((double)k / 1e6);
    }
    for (unsigned i = 2; i < N1_HIST_NBUCKETS; i++) {
        double v = N1_HIST_MIN_VALUE * pow(N1_HIST_GAMMA, (double)(i - 1));

        for (int d = 0; d < 150; d++) {
            v = nextafter(v, 0.0);
        }
        for (int d = 0; d < 300; d++) {
            check_bucket(v);
            v = nextafter(v, INFINITY);
        }
    }
    for (int i = 0; i < 1000000; i++) {
        uint64_t u = rng_next();
        double v;

        memcpy(&v, &u, sizeof(v));
        check_bucket(v);
    }
}

static void test_hist_cap_coarsens(void **state)
{
    struct n1_hist h;
    struct n1_hist lo;
    struct n1_hist hi;

    (void)state;
    n1_hist_init(&h);
    n1_hist_init(&lo);
    n1_hist_init(&hi);
    assert_int_equal(n1_hist_add(&h, 0.0, 5), 0);
    /* 1000 distinct level-0 buckets, one value each: level 2 fits. */
    for (int i = 0; i < 1000; i++) {
        double v = pow(N1_HIST_GAMMA, i) * 1.001;

        assert_int_equal(n1_hist_add(&h, v, 1), 0);
        assert_int_equal(n1_hist_add(i < 200 ? &lo : &hi, v, 1), 0);
    }
    assert_int_equal(h.level, 2);
    assert_true(n1_hist_buckets(&h) <= N1_HIST_MAX_BUCKETS);
    assert_int_equal(n1_hist_count(&h), 1005);
    assert_true(fabs(n1_hist_error_bound(&h) - 0.0396) < 0.0005);
    /* The zero bucket survives coarsening; the top keeps the bound. */
    assert_true(n1_hist_quantile(&h, 0.0) == 0.0);
    for (int i = 0; i < 1000; i += 37) {
        double want = pow(N1_HIST_GAMMA, i) * 1.001;
        double got = n1_hist_quantile(&h, (5.0 + i + 1) / 1005.0);

        assert_true(fabs(got - want) / want <= n1_hist_error_bound(&h));
    }
    /* Level 0 (200 buckets) merged with level 2 equals adding all. */
    assert_int_equal(lo.level, 0);
    assert_int_equal(n1_hist_add(&lo, 0.0, 5), 0);
    assert_int_equal(n1_hist_merge(&lo, &hi), 0);
    assert_int_equal(lo.level, 2);
    assert_int_equal(lo.n, h.n);
    assert_memory_equal(lo.b, h.b, h.n * sizeof(h.b[0]));
    n1_hist_cleanup(&h);
    n1_hist_cleanup(&lo);
    n1_hist_cleanup(&hi);
}

static void test_hist_encode_roundtrip(void **state)
{
    struct n1_hist h;
    struct n1_hist d;
    struct n1_strbuf sb;
    struct n1_error err;

    (void)state;
    n1_hist_init(&h);
    n1_hist_init(&d);
    n1_strbuf_init(&sb, 0);
    /* Empty histogram. */
    assert_int_equal(n1_hist_encode(&h, &sb), 0);
    assert_int_equal(sb.len, 3);
    assert_int_equal(n1_hist_decode(&d, sb.buf, sb.len, &err), 0);
    assert_int_equal(n1_hist_count(&d), 0);
    /* Zeros, huge counts and the last bucket. */
    assert_int_equal(n1_hist_add(&h, 0.0, 12345678901ull), 0);
    assert_int_equal(n1_hist_add(&h, 1e300, 1), 0);
    for (int i = 0; i < 200; i++) {
        assert_int_equal(n1_hist_add(&h, 0.001 * (i + 1), (uint64_t)i + 1), 0);
    }
    n1_strbuf_reset(&sb);
    assert_int_equal(n1_hist_encode(&h, &sb), 0);
    /* Compact: a few bytes per bucket. */
    assert_true(sb.len < 4 * n1_hist_buckets(&h) + 16);
    assert_int_equal(n1_hist_decode(&d, sb.buf, sb.len, &err), 0);
    assert_hist_equal(&d, &h);
    n1_hist_cleanup(&h);
    n1_hist_cleanup(&d);
    n1_strbuf_cleanup(&sb);
}

struct bad_blob {
    const char *name;        /* what is wrong */
    unsigned char bytes[16]; /* the blob */
    size_t len;              /* its length */
};

static void test_hist_decode_rejects_corrupt(void **state)
{
    static const struct bad_blob bad[] = {
        {"empty", {0}, 0},
        {"version", {2, 0, 0}, 3},
        {"no level", {1}, 1},
        {"bad level", {1, 5, 0}, 3},
        {"no count", {1, 0}, 2},
        {"truncated bucket", {1, 0, 1, 5}, 4},
        {"zero count", {1, 0, 1, 5, 0}, 5},
        {"index not increasing", {1, 0, 2, 5, 1, 0, 1}, 7},
        {"index out of range", {1, 0, 1, 0xe8, 0x15, 1}, 6}, /* 2792 */
        {"index out of range at level 4", {1, 4, 1, 0xb0, 0x01, 1}, 6},
        {"trailing", {1, 0, 1, 5, 1, 9}, 6},
        {"trailing after empty", {1, 0, 0, 0}, 4},
        {"overlong varint", {1, 0, 1, 0x85, 0x00, 1}, 6},
        {"varint past 64 bits",
         {1, 0, 1, 5, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
          0x7f},
         14},
        {"count too large",
         {1, 0, 1, 5, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10},
         12},
        {"too many buckets", {1, 0, 0xe9, 0x15}, 4},
        {"claims more buckets than bytes", {1, 0, 100, 1, 1}, 5},
    };
    struct n1_hist h;
    struct n1_hist good;
    struct n1_strbuf sb;
    struct n1_error err;

    (void)state;
    n1_hist_init(&h);
    n1_hist_init(&good);
    n1_strbuf_init(&sb, 0);
    assert_int_equal(n1_hist_add(&h, 3.0, 2), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        n1_err_clear(&err);
        if (n1_hist_decode(&h, bad[i].bytes, bad[i].len, &err) == 0) {
            fail_msg("blob '%s' was accepted", bad[i].name);
        }
        assert_int_equal(err.code, N1_EPARSE);
        assert_non_null(strstr(err.message, "bad histogram blob"));
        /* h keeps its content on failure. */
        assert_int_equal(n1_hist_count(&h), 2);
    }
    /* Every strict prefix of a valid blob is refused. */
    for (int i = 1; i < 50; i++) {
        assert_int_equal(n1_hist_add(&good, i * 1.7, (uint64_t)i * 300), 0);
    }
    assert_int_equal(n1_hist_encode(&good, &sb), 0);
    for (size_t len = 0; len < sb.len; len++) {
        assert_int_equal(n1_hist_decode(&h, sb.buf, len, NULL), -1);
    }
    /* Random mutations never crash; accepted ones are well-formed. */
    for (int round = 0; round < 20000; round++) {
        unsigned char buf[64];
        size_t len = sb.len < sizeof(buf) ? sb.len : sizeof(buf);

        memcpy(buf, sb.buf, len);
        buf[rng_next() % len] ^= (unsigned char)(1u << (rng_next() % 8));
        if (n1_hist_decode(&h, buf, len, NULL) == 0) {
            for (uint32_t i = 1; i < h.n; i++) {
                assert_true(h.b[i - 1] >> 52 < h.b[i] >> 52);
            }
        }
    }
    n1_hist_cleanup(&h);
    n1_hist_cleanup(&good);
    n1_strbuf_cleanup(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hist_bucket_bound),
        cmocka_unit_test(test_hist_bucket_matches_formula),
        cmocka_unit_test(test_hist_quantiles_uniform),
        cmocka_unit_test(test_hist_quantiles_lognormal),
        cmocka_unit_test(test_hist_quantiles_narrow),
        cmocka_unit_test(test_hist_quantiles_small_exact),
        cmocka_unit_test(test_hist_quantile_edges),
        cmocka_unit_test(test_hist_merge_equals_adding),
        cmocka_unit_test(test_hist_merge_in_place),
        cmocka_unit_test(test_hist_cap_coarsens),
        cmocka_unit_test(test_hist_encode_roundtrip),
        cmocka_unit_test(test_hist_decode_rejects_corrupt),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
