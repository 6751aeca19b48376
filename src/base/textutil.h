/* SPDX-License-Identifier: MIT */
/*
 * textutil.h: UTF-8 checks and repair and JSON strings of log text,
 * shared by the reports and the CLI. Times are in base/timeutil.h.
 */
#ifndef N1_TEXTUTIL_H
#define N1_TEXTUTIL_H

#include <stddef.h>
#include <stdint.h>

struct json_t;

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

#endif /* N1_TEXTUTIL_H */
