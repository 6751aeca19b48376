/* SPDX-License-Identifier: MIT */
/*
 * strbuf.h: a growable byte buffer with a size cap.
 *
 * The buffer is a struct the caller owns (init/cleanup); its bytes are on
 * the heap and always NUL-terminated so they can be used as a C string.
 * Appends that would pass the cap fail instead of growing, so a hostile
 * input cannot make us allocate without bound.
 */
#ifndef N1_STRBUF_H
#define N1_STRBUF_H

#include <stddef.h>

struct n1_strbuf {
    char *buf;  /* bytes, NUL-terminated; NULL until the first append */
    size_t len; /* bytes used, not counting the NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* largest len allowed; 0 means no cap */
};

/* Prepares an empty buffer that may hold at most max bytes (0: no cap). */
void n1_strbuf_init(struct n1_strbuf *sb, size_t max);

/* Frees the bytes; the struct may be reused after n1_strbuf_init(). */
void n1_strbuf_cleanup(struct n1_strbuf *sb);

/* Empties the buffer, keeping its allocation. */
void n1_strbuf_reset(struct n1_strbuf *sb);

/* Shortens the buffer to len bytes (no-op when it is not longer). */
void n1_strbuf_truncate(struct n1_strbuf *sb, size_t len);

/*
 * Appends n bytes. Returns 0, or -1 when the cap would be passed or
 * memory ran out; on failure the buffer is unchanged.
 */
int n1_strbuf_append(struct n1_strbuf *sb, const void *data, size_t n);

/* Appends one byte. Same result as n1_strbuf_append(). */
int n1_strbuf_putc(struct n1_strbuf *sb, char c);

/* Appends a NUL-terminated string. Same result as n1_strbuf_append(). */
int n1_strbuf_puts(struct n1_strbuf *sb, const char *s);

/* Returns the bytes as a C string ("" when empty); borrowed. */
const char *n1_strbuf_str(const struct n1_strbuf *sb);

#endif /* N1_STRBUF_H */
