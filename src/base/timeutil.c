/* SPDX-License-Identifier: MIT */
/*
 * timeutil.c: civil dates, ISO-8601 timestamps and the monotonic clock.
 *
 * Dates use the proleptic Gregorian calendar counted in 400-year eras,
 * so no table is involved; formatting goes through gmtime_r(), which
 * never reads TZ. Local times (MariaDB's and the old "YYMMDD" log
 * stamps) are parsed as if they were UTC and converted with a struct
 * n1_tz: a fixed offset, or a zone of the tzdata that n1_tz_use_named()
 * makes the process's zone, asked through localtime_r() (whose broken-
 * down result gives the offset without tm_gmtoff, outside POSIX).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

size_t n1_ts_parse_iso_zone(const char *s, size_t len, unsigned flags,
                            int64_t *us, int *zoned)
{
    int z = 0;
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
            *zoned = 0;
            return 10;
        }
        return 0;
    }
    v = civil_us(y, mo, d, h, mi, sec) + parse_frac(s, len, &i);
    if (i < len && s[i] == 'Z') {
        i++;
        z = 1;
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
        z = 1;
    }
    *us = v;
    *zoned = z;
    return i;
}

size_t n1_ts_parse_iso(const char *s, size_t len, unsigned flags, int64_t *us)
{
    int zoned;

    return n1_ts_parse_iso_zone(s, len, flags, us, &zoned);
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

/* Largest UTC offset a zone has (Kiribati's +14:00). */
#define MAX_OFFSET_S (14L * 3600)

/*
 * A clock offset: "[+-]HH:MM" (the sign may be left out here only), or
 * with a sign "+H", "+HH" and "+HHMM". Returns 0 with *off set, or -1
 * when s is not one.
 */
static int parse_clock_offset(const char *s, long *off)
{
    int neg = s[0] == '-';
    int sign = neg || s[0] == '+';
    const char *p = s + sign;
    size_t n = strlen(p);
    unsigned h = 0;
    unsigned m = 0;
    int ok;

    if (n == 5 && p[2] == ':') {
        ok = digits(p, 2, &h) && digits(p + 3, 2, &m);
    } else if (sign && (n == 1 || n == 2)) {
        ok = digits(p, n, &h);
    } else if (sign && n == 4) {
        ok = digits(p, 2, &h) && digits(p + 2, 2, &m);
    } else {
        ok = 0;
    }
    if (!ok || m > 59 || h > 14) {
        return -1;
    }
    *off = (long)(h * 3600 + m * 60) * (neg ? -1 : 1);
    return 0;
}

int n1_tz_parse_offset(const char *s, long *offset_s)
{
    char *end = NULL;
    double v;
    long off;

    if (parse_clock_offset(s, &off) == 0) {
        *offset_s = off;
        return 0;
    }
    if (!(s[0] == '-' || s[0] == '+' || (s[0] >= '0' && s[0] <= '9'))) {
        return -1;
    }
    v = strtod(s, &end);
    if (end == s) {
        return -1;
    }
    if (end[0] != '\0' && end[1] != '\0') {
        return -1;
    }
    switch (end[0]) {
    case 'h':
        v *= 3600;
        break;
    case 'm':
        v *= 60;
        break;
    case 's':
    case '\0':
        break;
    default:
        return -1;
    }
    if (!(v >= -MAX_OFFSET_S && v <= MAX_OFFSET_S)) {
        return -1;
    }
    *offset_s = (long)(v < 0 ? v - 0.5 : v + 0.5);
    return 0;
}

void n1_tz_init(struct n1_tz *tz, enum n1_tz_kind kind, long offset_s)
{
    memset(tz, 0, sizeof(*tz));
    tz->kind = kind;
    tz->offset_s = kind == N1_TZ_OFFSET ? offset_s : 0;
    tz->cache_slot = INT64_MIN;
}

/* Where the tzdata package installs the zone files. */
#define ZONEINFO_DIR "/usr/share/zoneinfo/"

/* 1 when name is a zone file of the tzdata: a relative path of letters,
   digits, "_", "-", "+" and "/" (no "..") to a file starting "TZif". */
static int is_zone_file(const char *name)
{
    char path[sizeof(ZONEINFO_DIR) + N1_TZ_NAME_MAX];
    char magic[4];
    FILE *f;
    size_t got;

    if (name[0] == '\0' || name[0] == '/' || strlen(name) >= N1_TZ_NAME_MAX ||
        strstr(name, "..") != NULL ||
        strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789_-+/") != strlen(name)) {
        return 0;
    }
    snprintf(path, sizeof(path), "%s%s", ZONEINFO_DIR, name);
    f = fopen(path, "rb");
    if (f == NULL) {
        return 0;
    }
    got = fread(magic, 1, sizeof(magic), f);
    fclose(f);
    return got == sizeof(magic) && memcmp(magic, "TZif", 4) == 0;
}

int n1_tz_use_named(const char *name, struct n1_tz *tz, struct n1_error *err)
{
    if (!is_zone_file(name)) {
        n1_err_set(err, N1_EUSAGE, NULL, 0,
                   "--tz: '%s' is no time zone of the tzdata under %s "
                   "(an IANA name such as Europe/Berlin)",
                   name, ZONEINFO_DIR);
        return -1;
    }
    if (setenv("TZ", name, 1) != 0) {
        n1_err_set(err, N1_ESYS, NULL, 0, "--tz: cannot set the zone");
        return -1;
    }
    tzset();
    n1_tz_init(tz, N1_TZ_NAMED, 0);
    snprintf(tz->name, sizeof(tz->name), "%s", name);
    return 0;
}

/* The process zone's offset east of UTC at the instant t (seconds),
   from the local time localtime_r() gives, without tm_gmtoff. */
static long offset_at(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    int64_t local;

    if (localtime_r(&tt, &tm) == NULL) {
        return 0;
    }
    local = n1_days_from_civil((int64_t)tm.tm_year + 1900,
                               (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday) *
                86400 +
            tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
    return (long)(local - t);
}

/*
 * The offset of the process zone for the local time secs (seconds of
 * the wall clock read as UTC): the offsets a day before and a day after
 * are the only candidates (zones change rules months apart); one that
 * maps back to secs is valid. Both valid: the repeated hour, take the
 * earlier; neither: the skipped hour, take the one before the switch.
 */
static long named_offset(int64_t secs)
{
    long before = offset_at(secs - 86400);
    long after = offset_at(secs + 86400);

    if (before == after || offset_at(secs - before) == before) {
        return before;
    }
    if (offset_at(secs - after) == after) {
        return after;
    }
    return before;
}

int64_t n1_tz_to_utc(struct n1_tz *tz, int64_t local_us)
{
    int64_t secs;
    int64_t slot;

    switch (tz->kind) {
    case N1_TZ_NONE:
        return local_us;
    case N1_TZ_OFFSET:
        return local_us - (int64_t)tz->offset_s * 1000000;
    case N1_TZ_NAMED:
        break;
    }
    secs = local_us / 1000000 - (local_us % 1000000 < 0);
    slot = secs / 900 - (secs % 900 < 0);
    if (slot != tz->cache_slot) {
        tz->cache_off = named_offset(secs);
        tz->cache_slot = slot;
    }
    return local_us - (int64_t)tz->cache_off * 1000000;
}

const char *n1_tz_label(const struct n1_tz *tz, char *buf, size_t cap)
{
    long a = tz->offset_s < 0 ? -tz->offset_s : tz->offset_s;

    if (tz->kind == N1_TZ_NAMED) {
        snprintf(buf, cap, "%s", tz->name);
    } else if (tz->kind == N1_TZ_OFFSET && tz->offset_s != 0) {
        snprintf(buf, cap, "UTC%c%02ld:%02ld", tz->offset_s < 0 ? '-' : '+',
                 a / 3600, a % 3600 / 60);
    } else {
        snprintf(buf, cap, "UTC");
    }
    return buf;
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

/* Writes v (0 <= v < 10^width) in width digits, zero-padded; returns
   the end. */
static char *put_digits(char *p, long v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

/*
 * Writes "YYYY-MM-DD" sep "hh:mm:ss" at buf and returns the end, or NULL
 * when the year has not four digits (the callers then use snprintf(),
 * whose %04d prints it whole). Reports write a time per finding, and
 * snprintf() costs several times these few divisions.
 */
static char *put_datetime(char *buf, const struct tm *tm, char sep)
{
    char *p = buf;

    if (tm->tm_year + 1900 < 0 || tm->tm_year + 1900 > 9999) {
        return NULL;
    }
    p = put_digits(p, tm->tm_year + 1900, 4);
    *p++ = '-';
    p = put_digits(p, tm->tm_mon + 1, 2);
    *p++ = '-';
    p = put_digits(p, tm->tm_mday, 2);
    *p++ = sep;
    p = put_digits(p, tm->tm_hour, 2);
    *p++ = ':';
    p = put_digits(p, tm->tm_min, 2);
    *p++ = ':';
    return put_digits(p, tm->tm_sec, 2);
}

int n1_ts_format_iso(int64_t us, enum n1_ts_frac frac, char buf[N1_TS_ISO_MAX])
{
    struct tm tm;
    long f;
    int with_frac;
    char *p;

    if (split_utc(us, &tm, &f) != 0) {
        return -1;
    }
    with_frac =
        frac == N1_TS_FRAC_ALWAYS || (frac == N1_TS_FRAC_AUTO && f != 0);
    p = put_datetime(buf, &tm, 'T');
    if (p != NULL && f >= 0 && f < 1000000) {
        if (with_frac) {
            *p++ = '.';
            p = put_digits(p, f, 6);
        }
        *p++ = 'Z';
        *p = '\0';
    } else if (with_frac) {
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
    char *p;

    if (split_utc(us, &tm, &f) != 0) {
        return -1;
    }
    p = put_datetime(buf, &tm, ' ');
    if (p != NULL) {
        *p = '\0';
    } else {
        snprintf(buf, N1_TS_ISO_MAX, "%04d-%02d-%02d %02d:%02d:%02d",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec);
    }
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
