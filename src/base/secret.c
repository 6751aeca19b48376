/* SPDX-License-Identifier: MIT */
/*
 * secret.c: passwords masked out of statements (secret.h).
 *
 * A small scanner, not a parser: it walks the statement token by token
 * (words, quoted strings, comments, punctuation), keeping two flags.
 * IDENTIFIED arms BY, AS and USING, which make the next string literal a
 * secret. PASSWORD and MASTER_PASSWORD arm '=', and a string or a '('
 * right after them ("PASSWORD 'x'", "PASSWORD('x')"), which do the same;
 * a '(' after another word ("password INT(5)", a column) disarms them.
 * Backquoted names never hold a secret and never change the state;
 * a comma or a semicolon ends what IDENTIFIED or PASSWORD armed. The
 * scanner errs on the side of masking: a hash after IDENTIFIED BY
 * PASSWORD is masked too. Comments and quotes are honoured so that a
 * keyword inside a string does not arm anything.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "base/secret.h"

enum arm {
    ARM_NONE = 0, /* nothing pending */
    ARM_PW,       /* after PASSWORD: '=' or '(' makes the next string one */
    ARM_NEXT      /* the next string literal is a secret */
};

static int word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '$';
}

/* Bytes of the comment at s[i..n), or 0 when none starts there. */
static size_t comment_len(const char *s, size_t i, size_t n)
{
    size_t j;

    if (s[i] == '#' || (s[i] == '-' && i + 2 < n && s[i + 1] == '-' &&
                        isspace((unsigned char)s[i + 2]))) {
        for (j = i; j < n && s[j] != '\n'; j++) {
        }
        return j - i;
    }
    if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
        for (j = i + 2; j + 1 < n; j++) {
            if (s[j] == '*' && s[j + 1] == '/') {
                return j + 2 - i;
            }
        }
        return n - i;
    }
    return 0;
}

/* Bytes of the quoted token at s[i..n) (backslash escapes and doubled
   quotes honoured; an unclosed one runs to the end). */
static size_t quoted_len(const char *s, size_t i, size_t n)
{
    char q = s[i];
    size_t j = i + 1;

    while (j < n) {
        if (s[j] == '\\' && q != '`' && j + 1 < n) {
            j += 2;
        } else if (s[j] == q && j + 1 < n && s[j + 1] == q) {
            j += 2;
        } else if (s[j] == q) {
            return j + 1 - i;
        } else {
            j++;
        }
    }
    return n - i;
}

/* Whether the statement has a quote and its first word (after spaces
   and comments) is one of those that can carry a password. */
static int may_hold(const char *s, size_t n)
{
    static const struct {
        const char *word;
        size_t len;
    } first[] = {
        {"CREATE", 6}, {"ALTER", 5}, {"SET", 3}, {"GRANT", 5}, {"CHANGE", 6}};
    size_t i = 0;
    size_t w;

    /* Only a quoted literal is ever masked: a statement without a quote
       holds nothing to mask, whatever its first word. */
    if (memchr(s, '\'', n) == NULL && memchr(s, '"', n) == NULL) {
        return 0;
    }

    for (;;) {
        size_t c;

        while (i < n && isspace((unsigned char)s[i])) {
            i++;
        }
        c = i < n ? comment_len(s, i, n) : 0;
        if (c == 0) {
            break;
        }
        i += c;
    }
    for (w = i; w < n && word_char(s[w]); w++) {
    }
    for (size_t k = 0; k < sizeof(first) / sizeof(first[0]); k++) {
        if (w - i == first[k].len &&
            strncasecmp(s + i, first[k].word, w - i) == 0) {
            return 1;
        }
    }
    return 0;
}

static int word_is(const char *s, size_t len, const char *kw)
{
    return len == strlen(kw) && strncasecmp(s, kw, len) == 0;
}

/* The state after the word s (len bytes). */
static enum arm after_word(const char *s, size_t len, enum arm a, int *ident)
{
    if (word_is(s, len, "IDENTIFIED")) {
        *ident = 1;
    } else if (*ident && (word_is(s, len, "BY") || word_is(s, len, "AS") ||
                          word_is(s, len, "USING"))) {
        return ARM_NEXT;
    } else if (a != ARM_NEXT && (word_is(s, len, "PASSWORD") ||
                                 word_is(s, len, "MASTER_PASSWORD"))) {
        return ARM_PW;
    }
    return a;
}

/*
 * One pass over the statement: 1 when it masks something, 0 when not,
 * -1 when out of memory. With out NULL it only tells, copying nothing:
 * most statements have nothing to mask and are never rebuilt.
 */
static int mask_pass(const char *sql, size_t n, struct n1_strbuf *out)
{
    enum arm a = ARM_NONE;
    int ident = 0;
    int masked = 0;
    int pw_last = 0; /* the token before was PASSWORD */
    size_t i = 0;

    while (i < n) {
        size_t t = comment_len(sql, i, n);

        if (t == 0 && (sql[i] == '\'' || sql[i] == '"' || sql[i] == '`')) {
            t = quoted_len(sql, i, n);
            if (sql[i] != '`' && (a == ARM_NEXT || (a == ARM_PW && pw_last))) {
                /* The quote, the mask, the quote again. */
                if (out == NULL) {
                    return 1;
                }
                if (n1_strbuf_putc(out, sql[i]) != 0 ||
                    n1_strbuf_puts(out, N1_SECRET_MASK) != 0 ||
                    n1_strbuf_putc(out, sql[i]) != 0) {
                    return -1;
                }
                a = ARM_NONE;
                masked = 1;
                pw_last = 0;
                i += t;
                continue;
            }
        } else if (t == 0 && word_char(sql[i])) {
            for (t = 1; i + t < n && word_char(sql[i + t]); t++) {
            }
            a = after_word(sql + i, t, a, &ident);
        } else if (t == 0) {
            t = 1;
            if (a == ARM_PW && (sql[i] == '=' || (sql[i] == '(' && pw_last))) {
                a = ARM_NEXT;
            } else if (a == ARM_PW && sql[i] == '(') {
                a = ARM_NONE; /* a column named password: "password INT(" */
            } else if (sql[i] == ',' || sql[i] == ';') {
                a = ARM_NONE;
                ident = 0;
            }
        }
        if (!isspace((unsigned char)sql[i]) && comment_len(sql, i, n) == 0) {
            pw_last = word_is(sql + i, t, "PASSWORD") ||
                      word_is(sql + i, t, "MASTER_PASSWORD");
        }
        if (out != NULL && n1_strbuf_append(out, sql + i, t) != 0) {
            return -1;
        }
        i += t;
    }
    return masked;
}

int n1_secret_mask(const char *sql, size_t n, struct n1_strbuf *out)
{
    n1_strbuf_reset(out);
    if (!may_hold(sql, n) || mask_pass(sql, n, NULL) == 0) {
        return 0;
    }
    return mask_pass(sql, n, out);
}
