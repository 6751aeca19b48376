/* SPDX-License-Identifier: MIT */
/*
 * strbuf.c: capped growable byte buffer.
 *
 * Growth doubles the allocation so that appends are amortised O(1). The
 * cap is checked before any allocation, which keeps the buffer unchanged
 * on failure; callers decide whether an over-long input is an error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"

void n1_strbuf_init(struct n1_strbuf *sb, size_t max)
{
    sb->buf = NULL;
    sb->len = 0;
    sb->cap = 0;
    sb->max = max;
}

void n1_strbuf_cleanup(struct n1_strbuf *sb)
{
    free(sb->buf);
    sb->buf = NULL;
    sb->len = 0;
    sb->cap = 0;
}

void n1_strbuf_reset(struct n1_strbuf *sb)
{
    sb->len = 0;
    if (sb->buf != NULL) {
        sb->buf[0] = '\0';
    }
}

void n1_strbuf_truncate(struct n1_strbuf *sb, size_t len)
{
    if (len < sb->len) {
        sb->len = len;
        sb->buf[len] = '\0';
    }
}

int n1_strbuf_append(struct n1_strbuf *sb, const void *data, size_t n)
{
    size_t need;

    if (n > SIZE_MAX - sb->len - 1) {
        return -1;
    }
    need = sb->len + n;
    if (sb->max != 0 && need > sb->max) {
        return -1;
    }
    if (need + 1 > sb->cap) {
        size_t ncap = sb->cap != 0 ? sb->cap : 64;
        char *nbuf;

        while (ncap < need + 1) {
            ncap = ncap > SIZE_MAX / 2 ? need + 1 : ncap * 2;
        }
        nbuf = realloc(sb->buf, ncap);
        if (nbuf == NULL) {
            return -1;
        }
        sb->buf = nbuf;
        sb->cap = ncap;
    }
    if (n > 0) {
        memcpy(sb->buf + sb->len, data, n);
    }
    sb->len = need;
    sb->buf[sb->len] = '\0';
    return 0;
}

int n1_strbuf_putc(struct n1_strbuf *sb, char c)
{
    return n1_strbuf_append(sb, &c, 1);
}

int n1_strbuf_puts(struct n1_strbuf *sb, const char *s)
{
    return n1_strbuf_append(sb, s, strlen(s));
}

const char *n1_strbuf_str(const struct n1_strbuf *sb)
{
    return sb->buf != NULL ? sb->buf : "";
}
