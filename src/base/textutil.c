/* SPDX-License-Identifier: MIT */
/*
 * textutil.c: UTF-8 checks and repair, JSON strings of log text.
 *
 * Log text is untrusted bytes, but JSON (jansson) and the SARIF, JUnit
 * and baseline files need valid UTF-8. Every renderer repairs text the
 * same way, here: each byte that does not start a valid sequence becomes
 * U+FFFD and the scan goes on with the next byte, so one bad byte never
 * swallows the valid text after it. The validity rules are jansson's
 * own (no overlong forms, no surrogates, nothing past U+10FFFF), so a
 * repaired string is always accepted. Nothing here escapes for a format;
 * that stays with each renderer.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/textutil.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD in UTF-8 */

size_t n1_utf8_seq(const unsigned char *s, size_t n)
{
    size_t len;
    uint32_t cp;

    if (s[0] < 0x80) {
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        cp = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        cp = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (n < len) {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    /* Overlong forms, surrogates and values past U+10FFFF. */
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
        return 0;
    }
    return len;
}

char *n1_utf8_lossy(const char *s, size_t len, int keep_nul, size_t *out_len)
{
    const unsigned char *u = (const unsigned char *)s;
    char *out = NULL;
    size_t o = 0;

    /* Each input byte becomes at most three output bytes. */
    if (len > (SIZE_MAX - 1) / 3) {
        return NULL;
    }
    out = malloc(len * 3 + 1);
    if (out == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < len;) {
        size_t n = u[i] == 0 && !keep_nul ? 0 : n1_utf8_seq(u + i, len - i);

        if (n == 0) {
            memcpy(out + o, REPLACEMENT, 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        }
    }
    out[o] = '\0';
    if (out_len != NULL) {
        *out_len = o;
    }
    return out;
}

json_t *n1_json_text(const char *s, size_t len)
{
    json_t *j = NULL;
    char *fixed = NULL;
    size_t n = 0;

    if (s == NULL) {
        return json_null();
    }
    /* Valid text, the common case, needs no copy. */
    j = json_stringn(s, len);
    if (j != NULL) {
        return j;
    }
    fixed = n1_utf8_lossy(s, len, 1, &n);
    if (fixed == NULL) {
        return NULL;
    }
    j = json_stringn(fixed, n);
    free(fixed);
    return j;
}
