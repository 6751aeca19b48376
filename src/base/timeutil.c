/* SPDX-License-Identifier: MIT */
/*
 * timeutil.c: civil dates, ISO-8601 timestamps and the monotonic clock.
 *
 * Dates use the proleptic Gregorian calendar counted in 400-year eras,
 * so no table and no time zone database is involved; formatting goes
 * through gmtime_r(), which never reads TZ. Local times (the old
 * "YYMMDD" log stamps) are the reader's business: it applies its own
 * offset before calling in here.
 */
#include <stdio.h>
#include <time.h>

#include "base/timeutil.h"

int64_t n1_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe; /* year of the 400-year era */
    unsigned doy; /* day of the year, counted from March 1st */
    unsigned doe; /* day of the era */

    /* Counting years from March puts the leap day last. */
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    /* 719468 days from 0000-03-01 to 1970-01-01. */
    return era * 146097 + (int64_t)doe - 719468;
}

/* Reads n decimal digits at s into *out. Returns 1, or 0 on a non-digit. */
static int digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 1;
}

/* Microseconds of a civil date and time, UTC. */
static int64_t civil_us(int64_t y, unsigned mo, unsigned d, unsigned h,
                        unsigned mi, unsigned s)
{
    return ((n1_days_from_civil(y, mo, d) * 86400) + (int64_t)h * 3600 +
            (int64_t)mi * 60 + s) *
           1000000;
}

/* ".digits" at s[*i]: the microseconds (more digits are skipped). */
static unsigned parse_frac(const char *s, size_t len, size_t *i)
{
    unsigned frac = 0;
    unsigned fd = 0;

    if (*i >= len || s[*i] != '.') {
        return 0;
    }
    for ((*i)++; *i < len && s[*i] >= '0' && s[*i] <= '9'; (*i)++) {
        if (fd < 6) {
            frac = frac * 10 + (unsigned)(s[*i] - '0');
            fd++;
        }
    }
    for (; fd < 6; fd++) {
        frac *= 10;
    }
    return frac;
}

size_t n1_ts_parse_iso(const char *s, size_t len, unsigned flags, int64_t *us)
{
    unsigned y, mo, d, h, mi, sec;
    size_t i = 19;
    int64_t v;

    if (len < 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) ||
        !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) || mo < 1 || mo > 12 ||
        d < 1 || d > 31) {
        return 0;
    }
    if (len < 19 ||
        !(s[10] == 'T' || (s[10] == ' ' && (flags & N1_TS_ISO_SPACE_SEP))) ||
        s[13] != ':' || s[16] != ':' || !digits(s + 11, 2, &h) ||
        !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec) || h > 23 ||
        mi > 59 || sec > 60) {
        if (flags & N1_TS_ISO_DATE_ONLY) {
            *us = civil_us(y, mo, d, 0, 0, 0);
            return 10;
        }
        return 0;
    }
    v = civil_us(y, mo, d, h, mi, sec) + parse_frac(s, len, &i);
    if (i < len && s[i] == 'Z') {
        i++;
    } else if (i + 6 <= len && (s[i] == '+' || s[i] == '-') &&
               s[i + 3] == ':') {
        unsigned oh, om;
        int64_t off;

        if (!digits(s + i + 1, 2, &oh) || !digits(s + i + 4, 2, &om)) {
            return 0;
        }
        off = ((int64_t)oh * 3600 + om * 60) * 1000000;
        v = s[i] == '+' ? v - off : v + off;
        i += 6;
    }
    *us = v;
    return i;
}

size_t n1_ts_parse_yymmdd(const char *s, size_t len, long tz_offset_s,
                          int64_t *us)
{
    unsigned yy, mo, d, h, mi, sec;

    if (len < 15 || s[6] != ' ' || s[9] != ':' || s[12] != ':' ||
        !digits(s, 2, &yy) || !digits(s + 2, 2, &mo) || !digits(s + 4, 2, &d) ||
        !digits(s + 10, 2, &mi) || !digits(s + 13, 2, &sec)) {
        return 0;
    }
    if (s[7] == ' ') {
        if (!digits(s + 8, 1, &h)) {
            return 0;
        }
    } else if (!digits(s + 7, 2, &h)) {
        return 0;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) {
        return 0;
    }
    *us = civil_us(yy < 70 ? 2000 + yy : 1900 + yy, mo, d, h, mi, sec) -
          (int64_t)tz_offset_s * 1000000;
    return 15;
}

/* Splits us into broken-down UTC time and microseconds, the second
   rounded down so that 1969-12-31T23:59:59.500000Z stays in 1969.
   Returns 0, or -1 when gmtime_r() cannot represent it. */
static int split_utc(int64_t us, struct tm *tm, long *frac)
{
    int64_t s = us / 1000000;
    int64_t f = us % 1000000;
    time_t t;

    if (f < 0) {
        f += 1000000;
        s--;
    }
    t = (time_t)s;
    if (gmtime_r(&t, tm) == NULL) {
        return -1;
    }
    *frac = (long)f;
    return 0;
}

int n1_ts_format_iso(int64_t us, enum n1_ts_frac frac, char buf[N1_TS_ISO_MAX])
{
    struct tm tm;
    long f;

    if (split_utc(us, &tm, &f) != 0) {
        return -1;
    }
    if (frac == N1_TS_FRAC_ALWAYS || (frac == N1_TS_FRAC_AUTO && f != 0)) {
        snprintf(buf, N1_TS_ISO_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, f);
    } else {
        snprintf(buf, N1_TS_ISO_MAX, "%04d-%02d-%02dT%02d:%02d:%02dZ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec);
    }
    return 0;
}

int n1_ts_format_datetime(int64_t us, char buf[N1_TS_ISO_MAX])
{
    struct tm tm;
    long f;

    if (split_utc(us, &tm, &f) != 0) {
        return -1;
    }
    snprintf(buf, N1_TS_ISO_MAX, "%04d-%02d-%02d %02d:%02d:%02d",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec);
    return 0;
}

double n1_mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double n1_eta_remain(uint64_t done, uint64_t total, uint64_t worked,
                     double elapsed)
{
    if (total == 0) {
        return -1;
    }
    if (done >= total) {
        return 0;
    }
    if (worked == 0 || !(elapsed > 0)) {
        return -1;
    }
    return (double)(total - done) * elapsed / (double)worked;
}

char *n1_eta_format(double s, char buf[N1_ETA_MAX])
{
    const unsigned long most = 999UL * 3600 + 3599;
    unsigned long t = most;

    if (!(s > 0)) {
        t = 0;
    } else if (s < (double)most) {
        /* Rounded up: "00:00 remain" only once nothing is left. */
        t = (unsigned long)s;
        t += (double)t < s ? 1 : 0;
    }

    if (t < 3600) {
        snprintf(buf, N1_ETA_MAX, "%02lu:%02lu", t / 60, t % 60);
    } else {
        snprintf(buf, N1_ETA_MAX, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60,
                 t % 60);
    }
    return buf;
}
