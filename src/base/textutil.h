/* SPDX-License-Identifier: MIT */
/*
 * textutil.h: UTF-8 checks and repair, JSON strings of log text, civil
 * dates and ISO-8601 timestamps, shared by the reports and the CLI.
 */
#ifndef N1_TEXTUTIL_H
#define N1_TEXTUTIL_H

#include <stddef.h>
#include <stdint.h>

struct json_t;

/* Size of a buffer that holds any n1_ts_format_iso() result. */
#define N1_TS_ISO_MAX 80

/* Whether n1_ts_format_iso() writes the microseconds. */
enum n1_ts_frac {
    N1_TS_FRAC_AUTO = 0, /* ".ffffff" only when they are not zero */
    N1_TS_FRAC_ALWAYS    /* ".ffffff" every time */
};

/*
 * Length of the valid UTF-8 sequence at the start of the n bytes at s
 * (overlong forms, surrogates and values past U+10FFFF are invalid), or
 * 0. n must be at least 1.
 */
size_t n1_utf8_seq(const unsigned char *s, size_t n);

/*
 * Copies len bytes of s into a new NUL-terminated string in which every
 * byte that is not part of valid UTF-8 is replaced by U+FFFD; NUL bytes
 * are replaced too unless keep_nul is set. When out_len is not NULL it
 * receives the length of the copy (without the terminating NUL). Returns
 * the copy, which the caller frees with free(), or NULL when memory ran
 * out. s may be NULL only when len is 0.
 */
char *n1_utf8_lossy(const char *s, size_t len, int keep_nul, size_t *out_len);

/*
 * A new jansson string of len bytes of s (NUL bytes included), with the
 * bytes that are not valid UTF-8 replaced by U+FFFD, since jansson
 * refuses them; json null when s is NULL. Returns a new reference the
 * caller releases with json_decref(), or NULL when memory ran out.
 */
struct json_t *n1_json_text(const char *s, size_t len);

/*
 * Days from 1970-01-01 to the proleptic Gregorian date y-m-d (m 1..12,
 * d 1..31; no check that the day exists), negative before 1970.
 */
int64_t n1_days_from_civil(int64_t y, unsigned m, unsigned d);

/*
 * Writes us (UTC microseconds since the epoch, rounded down to the
 * second before the fraction) as "2026-11-20T09:14:03Z", with
 * ".ffffff" before the Z as frac says, into buf. Returns 0, or -1 when
 * the time cannot be represented (buf is then left unchanged).
 */
int n1_ts_format_iso(int64_t us, enum n1_ts_frac frac, char buf[N1_TS_ISO_MAX]);

#endif /* N1_TEXTUTIL_H */
