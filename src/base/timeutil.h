/* SPDX-License-Identifier: MIT */
/*
 * timeutil.h: civil dates, ISO-8601 timestamps read and written, and the
 * monotonic clock: one definition of each for the whole tree. Times are
 * UTC microseconds since 1970-01-01 in an int64_t, as in struct n1_event.
 */
#ifndef N1_TIMEUTIL_H
#define N1_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* Size of a buffer that holds any n1_ts_format_*() result. */
#define N1_TS_ISO_MAX 80

/* Whether n1_ts_format_iso() writes the microseconds. */
enum n1_ts_frac {
    N1_TS_FRAC_AUTO = 0, /* ".ffffff" only when they are not zero */
    N1_TS_FRAC_ALWAYS,   /* ".ffffff" every time */
    N1_TS_FRAC_NEVER     /* whole seconds, the fraction dropped */
};

/* What n1_ts_parse_iso() accepts beyond "YYYY-MM-DDTHH:MM:SS". */
enum n1_ts_iso_flags {
    N1_TS_ISO_STRICT = 0,     /* date, "T" and time are required */
    N1_TS_ISO_DATE_ONLY = 1u, /* "YYYY-MM-DD" alone is its midnight */
    N1_TS_ISO_SPACE_SEP = 2u  /* a space may stand for the "T" */
};

/*
 * Days from 1970-01-01 to the proleptic Gregorian date y-m-d (m 1..12,
 * d 1..31; no check that the day exists), negative before 1970.
 */
int64_t n1_days_from_civil(int64_t y, unsigned m, unsigned d);

/*
 * Parses an ISO-8601 timestamp at the start of the len bytes at s (no
 * NUL needed): "YYYY-MM-DDTHH:MM:SS", then an optional ".fraction" (any
 * number of digits, microseconds kept) and an optional zone "Z",
 * "+HH:MM" or "-HH:MM"; without a zone the time is UTC. flags (a set of
 * enum n1_ts_iso_flags) widen what is accepted. Fields are range-checked
 * (month 1..12, day 1..31, hour 0..23, minute 0..59, second 0..60).
 * Returns the number of bytes used and sets *us to UTC microseconds, or
 * returns 0 and leaves *us alone when s does not start with a timestamp.
 * The caller checks that the bytes after the timestamp are what it
 * expects (for example that the whole string was used).
 */
size_t n1_ts_parse_iso(const char *s, size_t len, unsigned flags, int64_t *us);

/*
 * n1_ts_parse_iso(), and *zoned set to 1 when the timestamp named its
 * zone ("Z" or an offset), 0 when it did not (a local time, then read
 * as UTC). *zoned is set only when the result is not 0.
 */
size_t n1_ts_parse_iso_zone(const char *s, size_t len, unsigned flags,
                            int64_t *us, int *zoned);

/*
 * Parses the stamp of old MySQL and MariaDB logs, "YYMMDD HH:MM:SS"
 * (the hour may be padded with a space; years 70..99 are 19xx, the rest
 * 20xx), at the start of the len bytes at s. The stamp is local time:
 * tz_offset_s (seconds east of UTC) is subtracted. Returns 15, the bytes
 * used, and sets *us, or returns 0 and leaves *us alone.
 */
size_t n1_ts_parse_yymmdd(const char *s, size_t len, long tz_offset_s,
                          int64_t *us);

/* How a log's local times become UTC. */
enum n1_tz_kind {
    N1_TZ_NONE = 0, /* nothing said: local times are read as UTC */
    N1_TZ_OFFSET,   /* a fixed offset east of UTC (--tz-offset) */
    N1_TZ_NAMED     /* the process's zone, set by n1_tz_use_named() (--tz) */
};

/* Size of n1_tz.name with its NUL. */
#define N1_TZ_NAME_MAX 64

/*
 * A zone for local times, and the last conversion it made (a zone with
 * DST rules is only asked again when the local quarter hour changes).
 * Copy it, don't share it, between threads: the cache is written by
 * n1_tz_to_utc().
 */
struct n1_tz {
    enum n1_tz_kind kind;      /* see enum n1_tz_kind */
    long offset_s;             /* N1_TZ_OFFSET: seconds east of UTC */
    char name[N1_TZ_NAME_MAX]; /* N1_TZ_NAMED: the IANA name; else "" */
    int64_t cache_slot;        /* local quarter hour of cache_off, or
                                  INT64_MIN for none */
    long cache_off;            /* offset chosen for cache_slot */
};

/*
 * Parses a UTC offset as people and logs write it: seconds ("3600",
 * "-18000"), hours with a unit ("-5h", "+5.5h", "90m"), or a clock
 * offset ("+05:30", "-0500", "+5", "-05"). The result is seconds east
 * of UTC, within +-14 hours. Returns 0 with *offset_s set, or -1 with
 * *offset_s unchanged.
 */
int n1_tz_parse_offset(const char *s, long *offset_s);

/*
 * Makes the zone named name ("Europe/Berlin", an IANA name of the tzdata
 * installed under /usr/share/zoneinfo, or "UTC") the process's zone
 * (TZ, then tzset()) and fills *tz with it. It changes the process
 * environment: call it while one thread runs, before any other starts.
 * Returns 0, or -1 with err set (N1_EUSAGE) for a name that is no zone
 * file, *tz then unchanged.
 */
int n1_tz_use_named(const char *name, struct n1_tz *tz, struct n1_error *err);

/* Sets *tz to a fixed offset (seconds east of UTC; 0 with kind
   N1_TZ_NONE when nothing was said). */
void n1_tz_init(struct n1_tz *tz, enum n1_tz_kind kind, long offset_s);

/*
 * Converts a local time, given as the microseconds the same wall clock
 * reading would be in UTC (what n1_ts_parse_yymmdd() returns with offset
 * 0), to UTC with tz. A named zone uses the offset in force at that
 * local time; a local time that occurs twice (the hour repeated when
 * DST ends) takes the offset in force before the switch (its first
 * occurrence), and one that does not exist (skipped when DST starts)
 * takes the offset before the switch too, so that it lands just after
 * it. Writes tz's cache.
 */
int64_t n1_tz_to_utc(struct n1_tz *tz, int64_t local_us);

/*
 * Writes a label of tz into buf: "UTC" for N1_TZ_NONE, "UTC-05:00" for
 * an offset, the name of a named zone. Returns buf.
 */
const char *n1_tz_label(const struct n1_tz *tz, char *buf, size_t cap);

/*
 * Writes us (UTC microseconds since the epoch, rounded down to the
 * second before the fraction) as "2026-11-20T09:14:03Z", with
 * ".ffffff" before the Z as frac says, into buf. Returns 0, or -1 when
 * the time cannot be represented (buf is then left unchanged).
 */
int n1_ts_format_iso(int64_t us, enum n1_ts_frac frac, char buf[N1_TS_ISO_MAX]);

/*
 * Writes us like n1_ts_format_iso() with N1_TS_FRAC_NEVER but in the SQL
 * DATETIME form, "2026-11-20 09:14:03" (a space, no zone letter), into
 * buf. Returns 0, or -1 when the time cannot be represented (buf is then
 * left unchanged).
 */
int n1_ts_format_datetime(int64_t us, char buf[N1_TS_ISO_MAX]);

/*
 * Seconds on the monotonic clock, from an arbitrary origin: for
 * measuring intervals that setting the system time cannot stretch.
 */
double n1_mono_now(void);

/*
 * Seconds left of a job of total units, done of which are behind it,
 * at the rate of the worked units that took elapsed seconds (worked may
 * be less than done: units passed over without work, such as a resumed
 * file's first part, count as done but not in the rate). Returns 0 when
 * done reaches total, or -1 when it cannot be told (total 0, nothing
 * worked yet, elapsed not positive).
 */
double n1_eta_remain(uint64_t done, uint64_t total, uint64_t worked,
                     double elapsed);

/* Size of a buffer that holds any n1_eta_format() result. */
#define N1_ETA_MAX 32

/*
 * Writes s seconds (rounded up; negative counts as 0) as pt-query-digest
 * shows a time remaining: "MM:SS", or "H:MM:SS" from an hour on (hours
 * capped at 999), into buf. Returns buf.
 */
char *n1_eta_format(double s, char buf[N1_ETA_MAX]);

#endif /* N1_TIMEUTIL_H */
