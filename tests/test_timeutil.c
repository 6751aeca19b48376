/* SPDX-License-Identifier: MIT */
/*
 * test_timeutil.c: civil dates, ISO-8601 and "YYMMDD" stamps read,
 * timestamps written, the monotonic clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/timeutil.h"

#define DAY_US (86400LL * 1000000)

static void test_timeutil_days_from_civil(void **state)
{
    (void)state;
    assert_int_equal(n1_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(n1_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(n1_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(n1_days_from_civil(2000, 2, 29), 11016);
    assert_int_equal(n1_days_from_civil(2024, 2, 29), 19782);
    assert_int_equal(n1_days_from_civil(2024, 3, 1), 19783);
    assert_int_equal(n1_days_from_civil(2026, 11, 26), 20783);
    assert_int_equal(n1_days_from_civil(2026, 12, 3), 20790);
    assert_int_equal(n1_days_from_civil(9999, 12, 31), 2932896);
    assert_int_equal(n1_days_from_civil(1600, 3, 1), -135080);
}

/* Parses the whole of s with flags; expects want, or failure when
   want_len is 0. */
static void parse_ok(const char *s, unsigned flags, size_t want_len,
                     int64_t want)
{
    int64_t us = 42;
    size_t n = n1_ts_parse_iso(s, strlen(s), flags, &us);

    if (n != want_len || (want_len > 0 && us != want)) {
        print_error("input %s: got %zu bytes, %lld us\n", s, n, (long long)us);
    }
    assert_int_equal(n, want_len);
    assert_int_equal(us, want_len > 0 ? want : 42);
}

static void test_timeutil_parse_iso(void **state)
{
    (void)state;
    parse_ok("1970-01-01T00:00:00Z", 0, 20, 0);
    parse_ok("1970-01-01T00:00:00", 0, 19, 0);
    parse_ok("2000-03-01T00:00:00Z", 0, 20, 11017 * DAY_US);
    parse_ok("2024-02-29T12:00:00.5Z", 0, 22,
             19782 * DAY_US + 12 * 3600000000LL + 500000);
    parse_ok("2026-12-03T09:14:03.123456789Z", 0, 30,
             20790 * DAY_US + (9 * 3600 + 14 * 60 + 3) * 1000000LL + 123456);
    parse_ok("9999-12-31T23:59:59Z", 0, 20, 2932897 * DAY_US - 1000000);
    /* A zone east of UTC is earlier in UTC. */
    parse_ok("2026-12-03T02:00:00+02:00", 0, 25, 20790 * DAY_US);
    parse_ok("2026-12-02T22:00:00-02:00", 0, 25, 20790 * DAY_US);
    /* The caller judges what follows. */
    parse_ok("2026-12-03T00:00:00 x", 0, 19, 20790 * DAY_US);
    parse_ok("2026-12-03T00:00:00+0", 0, 19, 20790 * DAY_US);
    /* Not timestamps. */
    parse_ok("2026-13-03T00:00:00Z", 0, 0, 0);
    parse_ok("2026-12-00T00:00:00Z", 0, 0, 0);
    parse_ok("2026-12-03T24:00:00Z", 0, 0, 0);
    parse_ok("2026-12-03 00:00:00Z", 0, 0, 0);
    parse_ok("2026-12-03", 0, 0, 0);
    parse_ok("2026-12-03T00:00:00+xx:00", 0, 0, 0);
    parse_ok("", 0, 0, 0);
    /* The widening flags. */
    parse_ok("2026-12-03 00:00:01", N1_TS_ISO_SPACE_SEP, 19,
             20790 * DAY_US + 1000000);
    parse_ok("2026-12-03", N1_TS_ISO_DATE_ONLY, 10, 20790 * DAY_US);
    parse_ok("2026-12-03 9:00:00", N1_TS_ISO_DATE_ONLY | N1_TS_ISO_SPACE_SEP,
             10, 20790 * DAY_US);
}

static void test_timeutil_parse_yymmdd(void **state)
{
    int64_t us = 0;

    (void)state;
    assert_int_equal(n1_ts_parse_yymmdd("261203  9:14:03", 15, 0, &us), 15);
    assert_int_equal(us, 20790 * DAY_US + (9 * 3600 + 14 * 60 + 3) * 1000000LL);
    assert_int_equal(n1_ts_parse_yymmdd("700101 01:00:00", 15, 3600, &us), 15);
    assert_int_equal(us, 0);
    assert_int_equal(n1_ts_parse_yymmdd("240229 00:00:00", 15, 0, &us), 15);
    assert_int_equal(us, 19782 * DAY_US);
    assert_int_equal(n1_ts_parse_yymmdd("261303 00:00:00", 15, 0, &us), 0);
    assert_int_equal(n1_ts_parse_yymmdd("261203 00:00", 12, 0, &us), 0);
}

static void test_timeutil_format(void **state)
{
    char buf[N1_TS_ISO_MAX];

    (void)state;
    assert_int_equal(n1_ts_format_iso(0, N1_TS_FRAC_AUTO, buf), 0);
    assert_string_equal(buf, "1970-01-01T00:00:00Z");
    assert_int_equal(n1_ts_format_iso(0, N1_TS_FRAC_ALWAYS, buf), 0);
    assert_string_equal(buf, "1970-01-01T00:00:00.000000Z");
    assert_int_equal(n1_ts_format_iso(1795684443000042LL, N1_TS_FRAC_AUTO, buf),
                     0);
    assert_string_equal(buf, "2026-11-26T09:14:03.000042Z");
    assert_int_equal(
        n1_ts_format_iso(1795684443000042LL, N1_TS_FRAC_NEVER, buf), 0);
    assert_string_equal(buf, "2026-11-26T09:14:03Z");
    assert_int_equal(n1_ts_format_iso(1795684443000000LL, N1_TS_FRAC_AUTO, buf),
                     0);
    assert_string_equal(buf, "2026-11-26T09:14:03Z");
    assert_int_equal(n1_ts_format_iso(19782 * DAY_US, N1_TS_FRAC_AUTO, buf), 0);
    assert_string_equal(buf, "2024-02-29T00:00:00Z");
    assert_int_equal(
        n1_ts_format_iso(2932897 * DAY_US - 1, N1_TS_FRAC_AUTO, buf), 0);
    assert_string_equal(buf, "9999-12-31T23:59:59.999999Z");
    /* Before the epoch the second is rounded down, not toward zero. */
    assert_int_equal(n1_ts_format_iso(-500000, N1_TS_FRAC_AUTO, buf), 0);
    assert_string_equal(buf, "1969-12-31T23:59:59.500000Z");
    assert_int_equal(n1_ts_format_iso(-1000000, N1_TS_FRAC_ALWAYS, buf), 0);
    assert_string_equal(buf, "1969-12-31T23:59:59.000000Z");
    assert_int_equal(n1_ts_format_datetime(20790 * DAY_US + 999999, buf), 0);
    assert_string_equal(buf, "2026-12-03 00:00:00");
    assert_int_equal(n1_ts_format_datetime(-1, buf), 0);
    assert_string_equal(buf, "1969-12-31 23:59:59");
    /* Years of three digits are zero-padded, of five printed whole. */
    assert_int_equal(
        n1_ts_format_iso(-354588 * DAY_US + 3723000001LL, N1_TS_FRAC_AUTO, buf),
        0);
    assert_string_equal(buf, "0999-03-04T01:02:03.000001Z");
    assert_int_equal(n1_ts_format_datetime(-354588 * DAY_US, buf), 0);
    assert_string_equal(buf, "0999-03-04 00:00:00");
    assert_int_equal(n1_ts_format_iso(2932897 * DAY_US, N1_TS_FRAC_ALWAYS, buf),
                     0);
    assert_string_equal(buf, "10000-01-01T00:00:00.000000Z");
    assert_int_equal(n1_ts_format_datetime(2932897 * DAY_US + 59000000, buf),
                     0);
    assert_string_equal(buf, "10000-01-01 00:00:59");
}

static void test_timeutil_round_trip(void **state)
{
    static const int64_t cases[] = {0, 1, 11017 * DAY_US + 7,
                                    19782 * DAY_US + 86399999999LL,
                                    2932897 * DAY_US - 1};
    char buf[N1_TS_ISO_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t back = -1;

        assert_int_equal(n1_ts_format_iso(cases[i], N1_TS_FRAC_AUTO, buf), 0);
        assert_int_equal(n1_ts_parse_iso(buf, strlen(buf), 0, &back),
                         strlen(buf));
        assert_int_equal(back, cases[i]);
    }
}

static void test_timeutil_mono(void **state)
{
    double a = n1_mono_now();
    double b = n1_mono_now();

    (void)state;
    assert_true(a > 0);
    assert_true(b >= a);
}

/* 60 of 100 MB read in 30 s: 40 MB left at 2 MB/s is 20 s. */
static void test_timeutil_eta(void **state)
{
    char buf[N1_ETA_MAX];

    (void)state;
    assert_true(n1_eta_remain(60, 100, 60, 30.0) == 20.0);
    /* A resumed file: 50 bytes passed over, 10 read in 5 s, 40 left at
       2 a second. */
    assert_true(n1_eta_remain(60, 100, 10, 5.0) == 20.0);
    assert_true(n1_eta_remain(100, 100, 100, 3.0) == 0.0);
    assert_true(n1_eta_remain(120, 100, 120, 3.0) == 0.0); /* grew */
    assert_true(n1_eta_remain(10, 0, 10, 3.0) < 0);        /* total unknown */
    assert_true(n1_eta_remain(10, 100, 0, 3.0) < 0);       /* nothing read */
    assert_true(n1_eta_remain(10, 100, 10, 0.0) < 0);
    assert_string_equal(n1_eta_format(19.0, buf), "00:19");
    assert_string_equal(n1_eta_format(18.2, buf), "00:19"); /* rounded up */
    assert_string_equal(n1_eta_format(0.0, buf), "00:00");
    assert_string_equal(n1_eta_format(-4.0, buf), "00:00");
    assert_string_equal(n1_eta_format(59 * 60 + 59, buf), "59:59");
    assert_string_equal(n1_eta_format(3600, buf), "1:00:00");
    assert_string_equal(n1_eta_format(2 * 3600 + 3 * 60 + 4, buf), "2:03:04");
    assert_string_equal(n1_eta_format(1e12, buf), "999:59:59");
}

static void test_timeutil_tz_offset(void **state)
{
    static const struct {
        const char *s;
        long want;
    } good[] = {
        {"3600", 3600},     {"-18000", -18000}, {"0", 0},
        {"-5h", -18000},    {"+5.5h", 19800},   {"90m", 5400},
        {"-300s", -300},    {"+05:30", 19800},  {"05:30", 19800},
        {"-05:00", -18000}, {"-0500", -18000},  {"+0545", 20700},
        {"+5", 18000},      {"-05", -18000},    {"+14:00", 50400},
    };
    static const char *const bad[] = {
        "",       "abc",  "-5x", "5hh", "+24h", "1e9", "+15:00",
        "-05:60", "5:30", "h",   " 5",  "+",    "nan", "50401",
    };
    long v;

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        v = 12345;
        if (n1_tz_parse_offset(good[i].s, &v) != 0 || v != good[i].want) {
            fail_msg("'%s': got %ld, expected %ld", good[i].s, v, good[i].want);
        }
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v = 12345;
        if (n1_tz_parse_offset(bad[i], &v) != -1 || v != 12345) {
            fail_msg("'%s' taken as %ld", bad[i], v);
        }
    }
}

/* Microseconds of the wall clock y-m-d h:mi read as UTC. */
static int64_t wall(int y, unsigned m, unsigned d, unsigned h, unsigned mi)
{
    return (n1_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60) *
           INT64_C(1000000);
}

static void test_timeutil_tz_named(void **state)
{
    struct n1_tz tz;
    struct n1_error err;
    char buf[64];

    (void)state;
    if (access("/usr/share/zoneinfo/America/New_York", R_OK) != 0) {
        skip(); /* tzdata missing (scripts/deps.sh installs it) */
    }
    n1_tz_init(&tz, N1_TZ_NONE, 0);
    assert_int_equal(n1_tz_use_named("America/New_York", &tz, &err), 0);
    assert_string_equal(n1_tz_label(&tz, buf, sizeof(buf)), "America/New_York");
    /* Winter: EST, UTC-5; summer: EDT, UTC-4. */
    assert_true(n1_tz_to_utc(&tz, wall(2026, 1, 15, 12, 0)) ==
                wall(2026, 1, 15, 17, 0));
    assert_true(n1_tz_to_utc(&tz, wall(2026, 7, 1, 12, 0)) ==
                wall(2026, 7, 1, 16, 0));
    /* DST ends 2026-11-01 02:00 EDT: 01:30 happens twice, the first
       (EDT) is taken; 02:30 is EST again. */
    assert_true(n1_tz_to_utc(&tz, wall(2026, 11, 1, 1, 30)) ==
                wall(2026, 11, 1, 5, 30));
    assert_true(n1_tz_to_utc(&tz, wall(2026, 11, 1, 2, 30)) ==
                wall(2026, 11, 1, 7, 30));
    /* DST starts 2026-03-08 02:00 EST: 02:30 does not exist and is read
       with the offset before the switch (EST), as 03:30 EDT is. */
    assert_true(n1_tz_to_utc(&tz, wall(2026, 3, 8, 1, 59)) ==
                wall(2026, 3, 8, 6, 59));
    assert_true(n1_tz_to_utc(&tz, wall(2026, 3, 8, 2, 30)) ==
                wall(2026, 3, 8, 7, 30));
    assert_true(n1_tz_to_utc(&tz, wall(2026, 3, 8, 3, 30)) ==
                wall(2026, 3, 8, 7, 30));
    /* Back in time again: the cache follows. */
    assert_true(n1_tz_to_utc(&tz, wall(2026, 1, 15, 12, 0) + 500000) ==
                wall(2026, 1, 15, 17, 0) + 500000);
    assert_int_equal(n1_tz_use_named("Europe/Berlin", &tz, &err), 0);
    assert_true(n1_tz_to_utc(&tz, wall(2026, 7, 1, 12, 0)) ==
                wall(2026, 7, 1, 10, 0));
    assert_true(n1_tz_to_utc(&tz, wall(2026, 12, 3, 9, 16)) ==
                wall(2026, 12, 3, 8, 16));
    /* Not zones: refused, tz left as it was. */
    assert_int_equal(n1_tz_use_named("Nowhere/Atlantis", &tz, &err), -1);
    assert_int_equal(err.code, N1_EUSAGE);
    assert_int_equal(n1_tz_use_named("America", &tz, &err), -1);
    assert_int_equal(n1_tz_use_named("../../etc/passwd", &tz, &err), -1);
    assert_int_equal(n1_tz_use_named("/etc/localtime", &tz, &err), -1);
    assert_string_equal(tz.name, "Europe/Berlin");
}

static void test_timeutil_tz_fixed(void **state)
{
    struct n1_tz tz;
    char buf[64];
    int64_t us;
    int zoned = -1;

    (void)state;
    n1_tz_init(&tz, N1_TZ_NONE, 0);
    assert_string_equal(n1_tz_label(&tz, buf, sizeof(buf)), "UTC");
    assert_true(n1_tz_to_utc(&tz, wall(2026, 1, 1, 0, 0)) ==
                wall(2026, 1, 1, 0, 0));
    n1_tz_init(&tz, N1_TZ_OFFSET, -18000);
    assert_string_equal(n1_tz_label(&tz, buf, sizeof(buf)), "UTC-05:00");
    assert_true(n1_tz_to_utc(&tz, wall(2026, 1, 1, 0, 0)) ==
                wall(2026, 1, 1, 5, 0));
    n1_tz_init(&tz, N1_TZ_OFFSET, 19800);
    assert_string_equal(n1_tz_label(&tz, buf, sizeof(buf)), "UTC+05:30");
    /* Whether an ISO stamp named its zone. */
    assert_int_equal(
        n1_ts_parse_iso_zone("2026-12-03T08:16:10", 19, 0, &us, &zoned), 19);
    assert_int_equal(zoned, 0);
    assert_int_equal(
        n1_ts_parse_iso_zone("2026-12-03T08:16:10Z", 20, 0, &us, &zoned), 20);
    assert_int_equal(zoned, 1);
    assert_int_equal(
        n1_ts_parse_iso_zone("2026-12-03T08:16:10.5-05:00", 27, 0, &us, &zoned),
        27);
    assert_int_equal(zoned, 1);
    assert_true(us == wall(2026, 12, 3, 13, 16) + 10500000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timeutil_days_from_civil),
        cmocka_unit_test(test_timeutil_parse_iso),
        cmocka_unit_test(test_timeutil_parse_yymmdd),
        cmocka_unit_test(test_timeutil_format),
        cmocka_unit_test(test_timeutil_round_trip),
        cmocka_unit_test(test_timeutil_mono),
        cmocka_unit_test(test_timeutil_eta),
        cmocka_unit_test(test_timeutil_tz_offset),
        cmocka_unit_test(test_timeutil_tz_named),
        cmocka_unit_test(test_timeutil_tz_fixed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
