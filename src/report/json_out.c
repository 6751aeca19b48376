/* SPDX-License-Identifier: MIT */
/*
 * json_out.c: the JSON building blocks the reports share (json_int.h).
 *
 * One definition of "a string from a log as JSON" and of "write the
 * document or say why not", so the findings, check, SARIF and baseline
 * documents cannot drift apart in how they repair text or report a
 * failure. Nothing here decides what goes into a document.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/textutil.h"
#include "report/json_int.h"
#include "sql/fingerprint.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD in UTF-8 */

json_t *n1_rj_str(const char *s)
{
    return n1_json_text(s, s != NULL ? strlen(s) : 0);
}

json_t *n1_rj_str0(const char *s)
{
    return n1_rj_str(s != NULL ? s : "");
}

json_t *n1_rj_hex(uint64_t v)
{
    char hex[17];

    n1_fingerprint_hex(v, hex);
    return json_string(hex);
}

void n1_rj_put(json_t *o, const char *key, json_t *v, int *bad)
{
    if (v == NULL || json_object_set_new(o, key, v) != 0) {
        *bad = 1;
    }
}

void n1_rj_push(json_t *a, json_t *v, int *bad)
{
    if (v == NULL || json_array_append_new(a, v) != 0) {
        *bad = 1;
    }
}

int n1_rj_write(const json_t *root, FILE *out, int bad, const char *what,
                struct n1_error *err)
{
    if (bad) {
        char doing[96];

        snprintf(doing, sizeof(doing), "building %s", what);
        n1_err_oom(err, doing);
        return -1;
    }
    if (json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
        fputc('\n', out) == EOF || fflush(out) != 0) {
        n1_err_set(err, N1_ESYS, NULL, 0, "writing %s: output failed", what);
        return -1;
    }
    return 0;
}

/* ---- n1_rj_dumps() ---------------------------------------------------- */

#define DUMP_INDENT(f)    ((f)&0x1F)
#define DUMP_PRECISION(f) (((f) >> 11) & 0x1F)

int n1_rj_buf_grow(struct n1_rj_buf *b, size_t n)
{
    size_t nc = b->cap ? b->cap : 1024;
    char *np;

    while (nc < b->len + n + 1) {
        nc *= 2;
    }
    np = b->oom ? NULL : realloc(b->p, nc);
    if (np == NULL) {
        b->oom = 1;
        return -1;
    }
    b->p = np;
    b->cap = nc;
    return 0;
}

static void jb_str(struct n1_rj_buf *b, const char *s)
{
    n1_rj_buf_add(b, s, strlen(s));
}

/* Bytes of the UTF-8 sequence at s (n bytes left) that json_dumps()
   accepts: shortest form, no surrogate, at most U+10FFFF; 0 if none. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t k;
    uint32_t cp;

    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        k = 2;
        cp = s[0] & 0x1Fu;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        k = 3;
        cp = s[0] & 0x0Fu;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        k = 4;
        cp = s[0] & 0x07u;
    } else {
        return 0;
    }
    if (k > n) {
        return 0;
    }
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if ((k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
        return 0;
    }
    return k;
}

/* The escape of an ASCII byte that needs one (quote, backslash, control
   byte) into esc (7 bytes). */
static void escape_byte(unsigned char c, char *esc)
{
    static const char hex[] = "0123456789ABCDEF";
    static const char named[] = "btn\0fr"; /* \b \t \n (\v) \f \r */

    esc[0] = '\\';
    esc[2] = '\0';
    if (c == '"' || c == '\\') {
        esc[1] = (char)c;
    } else if (c >= '\b' && c <= '\r' && c != '\v') {
        esc[1] = named[c - '\b'];
    } else {
        memcpy(esc + 1, "u00", 3);
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 15];
        esc[6] = '\0';
    }
}

/* 1 when none of the 8 bytes at p needs a look: no control byte, quote,
   backslash or byte past ASCII (the usual bit tricks: a byte below n
   borrows into its top bit in w - n, one equal to c gives a zero in
   w ^ c). A false 0 only sends the bytes to the slow path. */
static inline int plain8(const unsigned char *p)
{
    const uint64_t ones = 0x0101010101010101ULL;
    uint64_t w;
    uint64_t q;
    uint64_t bs;

    memcpy(&w, p, 8);
    q = w ^ (ones * '"');
    bs = w ^ (ones * '\\');
    return ((((w - ones * 0x20) & ~w) | ((q - ones) & ~q) |
             ((bs - ones) & ~bs) | w) &
            (ones * 0x80)) == 0;
}

int n1_rj_buf_str(struct n1_rj_buf *b, const char *str, size_t len, int repair)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t from = 0;
    size_t i = 0;

    n1_rj_buf_add(b, "\"", 1);
    while (i < len) {
        unsigned char c;
        char esc[8];
        size_t k;

        if (len - i >= 8 && plain8(s + i)) {
            i += 8;
            continue;
        }
        c = s[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        if (c >= 0x80) {
            k = utf8_seq(s + i, len - i);
            if (k > 0) {
                i += k;
                continue;
            }
            if (!repair) {
                return -1;
            }
            n1_rj_buf_add(b, s + from, i - from);
            n1_rj_buf_add(b, REPLACEMENT, 3);
            from = ++i;
            continue;
        }
        n1_rj_buf_add(b, s + from, i - from);
        escape_byte(c, esc);
        jb_str(b, esc);
        from = ++i;
    }
    n1_rj_buf_add(b, s + from, i - from);
    n1_rj_buf_add(b, "\"", 1);
    return 0;
}

/* Appends the n digits of k, zero-padded to n (k < 10^n). */
static void put_digits(struct n1_rj_buf *b, uint64_t k, int n)
{
    char d[20];

    for (int i = n - 1; i >= 0; i--) {
        d[i] = (char)('0' + k % 10);
        k /= 10;
    }
    n1_rj_buf_add(b, d, (size_t)n);
}

/* Decimal digits of k (at least one). */
static int n_digits(uint64_t k)
{
    int n = 1;

    while (k >= 10) {
        k /= 10;
        n++;
    }
    return n;
}

/*
 * v as n1_rj_buf_real(b, v, 15) writes it, without snprintf(), when v is
 * the double nearest a whole number k of millionths, |k| < 10^15 (times,
 * spans and row counts are): such a decimal has at most 15 significant
 * digits, which %.15g gives back exactly (DBL_DIG), so the text is k's
 * digits around the point, trailing zeros dropped; below 1e-4, %g's
 * exponent form. Returns 0, writing nothing, for any other v.
 */
static int real_millionths(struct n1_rj_buf *b, double v)
{
    double r = round(v * 1e6);
    uint64_t k;
    uint64_t frac;
    int n;

    if (!(fabs(r) < 1e15) || r / 1e6 != v || (r == 0 && signbit(v))) {
        return 0;
    }
    k = (uint64_t)fabs(r);
    if (r < 0) {
        n1_rj_buf_add(b, "-", 1);
    }
    if (k > 0 && k < 100) { /* "5e-6", "2.5e-5" */
        put_digits(b, k >= 10 ? k / 10 : k, 1);
        if (k >= 10 && k % 10 != 0) {
            n1_rj_buf_add(b, ".", 1);
            put_digits(b, k % 10, 1);
        }
        n1_rj_buf_add(b, k >= 10 ? "e-5" : "e-6", 3);
        return 1;
    }
    put_digits(b, k / 1000000, n_digits(k / 1000000));
    frac = k % 1000000;
    n = 6;
    if (frac == 0) {
        n1_rj_buf_add(b, ".0", 2);
        return 1;
    }
    while (frac % 10 == 0) {
        frac /= 10;
        n--;
    }
    n1_rj_buf_add(b, ".", 1);
    put_digits(b, frac, n);
    return 1;
}

void n1_rj_buf_real(struct n1_rj_buf *b, double v, int prec)
{
    char buf[100];
    char *e;
    int n;

    if (prec == 15 && real_millionths(b, v)) {
        return;
    }
    n = snprintf(buf, sizeof(buf) - 3, "%.*g", prec == 0 ? 17 : prec, v);
    if (n < 0 || (size_t)n >= sizeof(buf) - 3) {
        b->oom = 1;
        return;
    }
    if (strchr(buf, '.') == NULL && strchr(buf, 'e') == NULL) {
        memcpy(buf + n, ".0", 3);
    }
    e = strchr(buf, 'e');
    if (e != NULL) {
        char *from = e + 1;
        char *to = e + 1;

        if (*from == '-') {
            *to++ = *from++;
        } else if (*from == '+') {
            from++;
        }
        while (*from == '0') {
            from++;
        }
        memmove(to, from, strlen(from) + 1);
    }
    jb_str(b, buf);
}

void n1_rj_buf_int(struct n1_rj_buf *b, json_int_t v)
{
    char buf[24];
    char *p = buf + sizeof(buf);
    unsigned long long u =
        v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0) {
        *--p = '-';
    }
    n1_rj_buf_add(b, p, (size_t)(buf + sizeof(buf) - p));
}

void n1_rj_buf_break(struct n1_rj_buf *b, size_t n)
{
    static const char spaces[] = "                                ";

    n1_rj_buf_add(b, "\n", 1);
    while (n > 0) {
        size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;

        n1_rj_buf_add(b, spaces, k);
        n -= k;
    }
}

/* A line break and depth levels of indentation; without indentation
   nothing, or a space after a comma unless compact. */
static void dump_break(struct n1_rj_buf *b, size_t flags, int depth,
                       int after_comma)
{
    if (DUMP_INDENT(flags) == 0) {
        if (after_comma && !(flags & JSON_COMPACT)) {
            n1_rj_buf_add(b, " ", 1);
        }
        return;
    }
    n1_rj_buf_break(b, (size_t)depth * DUMP_INDENT(flags));
}

static int dump_value(struct n1_rj_buf *b, const json_t *j, size_t flags,
                      int depth);

/* The members of an object or the items of an array, with brackets. */
static int dump_container(struct n1_rj_buf *b, const json_t *j, size_t flags,
                          int depth)
{
    int is_obj = json_is_object(j);
    const char *sep = (flags & JSON_COMPACT) ? ":" : ": ";
    void *it = is_obj ? json_object_iter((json_t *)(uintptr_t)j) : NULL;
    size_t n = is_obj ? json_object_size(j) : json_array_size(j);

    n1_rj_buf_add(b, is_obj ? "{" : "[", 1);
    for (size_t i = 0; i < n; i++) {
        const json_t *v = NULL;

        if (i > 0) {
            n1_rj_buf_add(b, ",", 1);
        }
        dump_break(b, flags, depth + 1, i > 0);
        if (is_obj) {
            if (it == NULL ||
                n1_rj_buf_str(b, json_object_iter_key(it),
                              json_object_iter_key_len(it), 0) < 0) {
                return -1;
            }
            jb_str(b, sep);
            v = json_object_iter_value(it);
            it = json_object_iter_next((json_t *)(uintptr_t)j, it);
        } else {
            v = json_array_get(j, i);
        }
        if (dump_value(b, v, flags, depth + 1) < 0) {
            return -1;
        }
    }
    if (n > 0) {
        dump_break(b, flags, depth, 0);
    }
    n1_rj_buf_add(b, is_obj ? "}" : "]", 1);
    return 0;
}

static int dump_value(struct n1_rj_buf *b, const json_t *j, size_t flags,
                      int depth)
{
    if (j == NULL || depth > 1000) {
        return -1;
    }
    switch (json_typeof(j)) {
    case JSON_NULL:
        jb_str(b, "null");
        return 0;
    case JSON_TRUE:
        jb_str(b, "true");
        return 0;
    case JSON_FALSE:
        jb_str(b, "false");
        return 0;
    case JSON_INTEGER:
        n1_rj_buf_int(b, json_integer_value(j));
        return 0;
    case JSON_REAL:
        n1_rj_buf_real(b, json_real_value(j), (int)DUMP_PRECISION(flags));
        return 0;
    case JSON_STRING:
        return n1_rj_buf_str(b, json_string_value(j), json_string_length(j), 0);
    case JSON_ARRAY:
    case JSON_OBJECT:
        return dump_container(b, j, flags, depth);
    }
    return -1;
}

char *n1_rj_dumps(const json_t *root, size_t flags)
{
    size_t known = JSON_COMPACT | JSON_INDENT(31) | JSON_REAL_PRECISION(31) |
                   JSON_PRESERVE_ORDER;
    struct n1_rj_buf b = {NULL, 0, 0, 0};

    if ((flags & ~known) != 0 || root == NULL ||
        (!json_is_object(root) && !json_is_array(root))) {
        return json_dumps(root, flags);
    }
    if (dump_value(&b, root, flags, 0) < 0 || b.oom) {
        free(b.p);
        return NULL;
    }
    b.p[b.len] = '\0';
    return b.p;
}
