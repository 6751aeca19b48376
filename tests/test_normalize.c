/* SPDX-License-Identifier: MIT */
/*
 * test_normalize.c: the normaliser against the fixtures/normalize files.
 *
 * Each fixture block gives a statement, its expected fingerprint text and
 * optionally its literals and tags (format in fixtures/normalize/README).
 * Every case is also checked for the invariants the analyzer relies on:
 * each literal's pos points at a ? of its slot, slots are below n_slots,
 * and the id is the hash of the text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/strbuf.h"
#include "helpers.h"
#include "norm_same.h"
#include "sql/fingerprint.h"
#include "sql/normalize.h"
#include "sql/sqlword.h"

static const char *const type_names[] = {"string", "number", "hex",
                                         "bit",    "null",   "bool"};

static int setup(void **state)
{
    struct n1_error err;
    struct n1_normalizer *n = n1_normalizer_new(&err);

    if (n == NULL) {
        print_error("%s\n", err.message);
        return -1;
    }
    *state = n;
    return 0;
}

static int teardown(void **state)
{
    n1_normalizer_free(*state);
    return 0;
}

/* Unescapes s[0..len) (\n \t \r \0 \s \\ \xHH) into sb. */
static void unescape(struct n1_strbuf *sb, const char *s, size_t len)
{
    n1_strbuf_reset(sb);
    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (c == '\\' && i + 1 < len) {
            char d = s[++i];

            switch (d) {
            case 'n':
                c = '\n';
                break;
            case 't':
                c = '\t';
                break;
            case 'r':
                c = '\r';
                break;
            case '0':
                c = '\0';
                break;
            case 's':
                c = ' ';
                break;
            case 'x':
                assert_true(i + 2 < len);
                c = (char)(n1_sqlword_hex(s[i + 1]) * 16 +
                           n1_sqlword_hex(s[i + 2]));
                i += 2;
                break;
            default:
                c = d;
                break;
            }
        }
        assert_int_equal(n1_strbuf_putc(sb, c), 0);
    }
    if (sb->buf == NULL) {
        assert_int_equal(n1_strbuf_append(sb, "", 0), 0);
    }
}

/* Escapes len bytes for messages (inverse of unescape, \s excepted). */
static void show(struct n1_strbuf *sb, const char *s, size_t len)
{
    n1_strbuf_reset(sb);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char tmp[8];

        if (c == '\\') {
            n1_strbuf_puts(sb, "\\\\");
        } else if (c == ' ') {
            n1_strbuf_puts(sb, "\\s");
        } else if (c == '\n') {
            n1_strbuf_puts(sb, "\\n");
        } else if (c == '\t') {
            n1_strbuf_puts(sb, "\\t");
        } else if (c == '\0') {
            n1_strbuf_puts(sb, "\\0");
        } else if (c < 0x20 || c >= 0x7f) {
            snprintf(tmp, sizeof(tmp), "\\x%02x", c);
            n1_strbuf_puts(sb, tmp);
        } else {
            n1_strbuf_putc(sb, (char)c);
        }
    }
    n1_strbuf_append(sb, "", 0);
}

/* Renders the literals the way "# lits:" writes them (always with item
   and pos) into sb. */
static void render_lits(struct n1_strbuf *sb, const struct n1_norm *o)
{
    struct n1_strbuf v;

    n1_strbuf_init(&v, 0);
    n1_strbuf_reset(sb);
    if (o->n_lits == 0) {
        n1_strbuf_puts(sb, "-");
    }
    for (size_t i = 0; i < o->n_lits; i++) {
        const struct n1_literal *l = &o->lits[i];
        char tail[64];

        show(&v, l->value, l->len);
        snprintf(tail, sizeof(tail), "@%u.%u/%zu", l->slot, l->item, l->pos);
        if (i > 0) {
            n1_strbuf_putc(sb, ' ');
        }
        n1_strbuf_puts(sb, type_names[l->type]);
        n1_strbuf_putc(sb, ':');
        n1_strbuf_puts(sb, n1_strbuf_str(&v));
        n1_strbuf_puts(sb, tail);
    }
    n1_strbuf_append(sb, "", 0);
    n1_strbuf_cleanup(&v);
}

/* Checks one expected literal "TYPE:VALUE@SLOT[.ITEM][/POS]" against l. */
static int lit_matches(const char *want, size_t wlen,
                       const struct n1_literal *l)
{
    const char *colon = memchr(want, ':', wlen);
    const char *at = NULL;
    struct n1_strbuf v;
    unsigned slot;
    unsigned item = 0;
    long pos = -1;
    int ok;

    if (colon == NULL) {
        return 0;
    }
    for (const char *p = want + wlen; p > colon; p--) {
        if (*(p - 1) == '@') {
            at = p - 1;
            break;
        }
    }
    if (at == NULL) {
        return 0;
    }
    {
        char num[64];
        size_t nl = (size_t)(want + wlen - at - 1);
        char *end = NULL;

        assert_true(nl < sizeof(num));
        memcpy(num, at + 1, nl);
        num[nl] = '\0';
        slot = (unsigned)strtoul(num, &end, 10);
        if (*end == '.') {
            item = (unsigned)strtoul(end + 1, &end, 10);
        }
        if (*end == '/') {
            pos = strtol(end + 1, &end, 10);
        }
        assert_true(*end == '\0');
    }
    n1_strbuf_init(&v, 0);
    unescape(&v, colon + 1, (size_t)(at - colon - 1));
    ok = strlen(type_names[l->type]) == (size_t)(colon - want) &&
         memcmp(type_names[l->type], want, (size_t)(colon - want)) == 0 &&
         v.len == l->len && memcmp(v.buf, l->value, v.len) == 0 &&
         l->value[l->len] == '\0' && l->slot == slot && l->item == item &&
         (pos < 0 || (size_t)pos == l->pos);
    n1_strbuf_cleanup(&v);
    return ok;
}

/* Compares the "# lits:" list with o's literals. */
static int lits_match(const char *spec, const struct n1_norm *o)
{
    size_t i = 0;
    const char *p = spec;

    if (strcmp(spec, "-") == 0) {
        return o->n_lits == 0;
    }
    while (*p != '\0') {
        size_t wlen = strcspn(p, " ");

        if (i >= o->n_lits || !lit_matches(p, wlen, &o->lits[i])) {
            return 0;
        }
        i++;
        p += wlen;
        while (*p == ' ') {
            p++;
        }
    }
    return i == o->n_lits;
}

/* Compares the "# tags:" list with o's tags. */
static int tags_match(const char *spec, const struct n1_norm *o)
{
    struct n1_strbuf k;
    struct n1_strbuf v;
    size_t i = 0;
    const char *p = spec;
    int ok = 1;

    if (strcmp(spec, "-") == 0) {
        return o->n_tags == 0;
    }
    n1_strbuf_init(&k, 0);
    n1_strbuf_init(&v, 0);
    while (*p != '\0' && ok) {
        size_t wlen = strcspn(p, " ");
        const char *eq = memchr(p, '=', wlen);

        if (eq == NULL || i >= o->n_tags) {
            ok = 0;
            break;
        }
        unescape(&k, p, (size_t)(eq - p));
        unescape(&v, eq + 1, (size_t)(p + wlen - eq - 1));
        ok = strcmp(k.buf, o->tags[i].key) == 0 &&
             strcmp(v.buf, o->tags[i].value) == 0;
        i++;
        p += wlen;
        while (*p == ' ') {
            p++;
        }
    }
    n1_strbuf_cleanup(&k);
    n1_strbuf_cleanup(&v);
    return ok && i == o->n_tags;
}

/* The invariants every normalisation must keep. */
static void check_invariants(const char *input, const struct n1_norm *o)
{
    unsigned q = 0;

    assert_int_equal(strlen(o->text) <= o->len, 1);
    assert_true(o->id == n1_fingerprint_id(o->text, o->len));
    for (size_t i = 0; i < o->len; i++) {
        if (o->text[i] == '?') {
            q++;
        }
    }
    for (size_t i = 0; i < o->n_lits; i++) {
        const struct n1_literal *l = &o->lits[i];

        if (l->slot >= o->n_slots || l->pos >= o->len ||
            o->text[l->pos] != '?') {
            print_error("input: %s\nliteral %zu: slot %u pos %zu in '%s'\n",
                        input, i, l->slot, l->pos, o->text);
            fail();
        }
    }
    /* ? inside backtick names are not slots, so only "at most" holds in
       general; the fixtures contain none of those */
    assert_true(o->n_slots <= q);
}

/* Takes one line from *p (without its newline); NULL at the end. */
static char *next_line(char **p)
{
    char *s = *p;
    char *nl;

    if (*s == '\0') {
        return NULL;
    }
    nl = strchr(s, '\n');
    if (nl != NULL) {
        *nl = '\0';
        *p = nl + 1;
    } else {
        *p = s + strlen(s);
    }
    return s;
}

/* Loads a line as SQL, honouring the %%ESC prefix. */
static void load_sql(struct n1_strbuf *sb, const char *line)
{
    if (strncmp(line, "%%ESC ", 6) == 0) {
        unescape(sb, line + 6, strlen(line + 6));
    } else {
        n1_strbuf_reset(sb);
        assert_int_equal(n1_strbuf_append(sb, line, strlen(line)), 0);
    }
}

static void run_fixture(struct n1_normalizer *n, const char *name)
{
    char *data = th_read_fixture(name, NULL);
    char *p = data;
    char *line;
    struct n1_strbuf sql;
    struct n1_strbuf want;
    struct n1_strbuf shown;
    struct n1_strbuf got;
    int cases = 0;

    n1_strbuf_init(&sql, 0);
    n1_strbuf_init(&want, 0);
    n1_strbuf_init(&shown, 0);
    n1_strbuf_init(&got, 0);
    while ((line = next_line(&p)) != NULL) {
        struct n1_norm o;
        struct n1_error err;
        const char *exp;

        if (line[0] == '\0' || strncmp(line, "##", 2) == 0) {
            continue;
        }
        load_sql(&sql, line);
        exp = next_line(&p);
        assert_non_null(exp);
        load_sql(&want, exp);
        show(&shown, sql.buf, sql.len);
        if (n1_normalize(n, sql.buf, sql.len, &o, &err) != 0) {
            print_error("%s: input %s: %s\n", name, shown.buf, err.message);
            fail();
        }
        check_invariants(shown.buf, &o);
        if (o.len != want.len || memcmp(o.text, want.buf, o.len) != 0) {
            struct n1_strbuf a;

            n1_strbuf_init(&a, 0);
            show(&a, o.text, o.len);
            show(&got, want.buf, want.len);
            print_error("%s:\ninput:    %s\nexpected: %s\nactual:   %s\n", name,
                        shown.buf, got.buf, a.buf);
            n1_strbuf_cleanup(&a);
            fail();
        }
        while (*p == '#' && p[1] == ' ') {
            line = next_line(&p);
            if (strncmp(line, "# lits: ", 8) == 0) {
                if (!lits_match(line + 8, &o)) {
                    render_lits(&got, &o);
                    print_error("%s:\ninput:    %s\nexpected: %s\n"
                                "actual:   %s\n",
                                name, shown.buf, line + 8, got.buf);
                    fail();
                }
            } else if (strncmp(line, "# tags: ", 8) == 0) {
                if (!tags_match(line + 8, &o)) {
                    print_error("%s:\ninput:    %s\nexpected tags: %s\n"
                                "actual: %zu tag(s)%s%s%s\n",
                                name, shown.buf, line + 8, o.n_tags,
                                o.n_tags > 0 ? ", first " : "",
                                o.n_tags > 0 ? o.tags[0].key : "",
                                o.n_tags > 0 ? o.tags[0].value : "");
                    fail();
                }
            } else {
                fail_msg("%s: unknown line '%s'", name, line);
            }
        }
        cases++;
    }
    assert_true(cases > 0);
    n1_strbuf_cleanup(&sql);
    n1_strbuf_cleanup(&want);
    n1_strbuf_cleanup(&shown);
    n1_strbuf_cleanup(&got);
    free(data);
}

static void test_normalize_basic(void **state)
{
    run_fixture(*state, "normalize/basic.txt");
}

static void test_normalize_literals(void **state)
{
    run_fixture(*state, "normalize/literals.txt");
}

static void test_normalize_comments(void **state)
{
    run_fixture(*state, "normalize/comments.txt");
}

static void test_normalize_collapse(void **state)
{
    run_fixture(*state, "normalize/collapse.txt");
}

static void test_normalize_pt_defects(void **state)
{
    run_fixture(*state, "normalize/pt-defects.txt");
}

static void test_normalize_robust(void **state)
{
    run_fixture(*state, "normalize/robust.txt");
}

static void test_normalize_grouping(void **state)
{
    run_fixture(*state, "normalize/grouping.txt");
}

/*
 * Copies s into sb with every letter outside '..', ".." and `..` turned
 * to upper case (up != 0) or lower case.
 */
static void recase(struct n1_strbuf *sb, const char *s, int up)
{
    char q = 0;

    n1_strbuf_reset(sb);
    for (size_t i = 0; s[i] != '\0'; i++) {
        char c = s[i];

        if (q != 0) {
            if (c == '\\' && q != '`' && s[i + 1] != '\0') {
                assert_int_equal(n1_strbuf_putc(sb, c), 0);
                c = s[++i];
            } else if (c == q) {
                q = 0;
            }
        } else if (c == '\'' || c == '"' || c == '`') {
            q = c;
        } else if (up && c >= 'a' && c <= 'z') {
            c = (char)(c - 'a' + 'A');
        } else if (!up && c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
        }
        assert_int_equal(n1_strbuf_putc(sb, c), 0);
    }
}

/*
 * keyword-case.sql: statements whose bare words are all keywords,
 * functions or variables keep their fingerprint when every word outside
 * quotes and backquotes is upper-cased, or lower-cased.
 */
static void test_normalize_keyword_case(void **state)
{
    struct n1_normalizer *n = *state;
    char *data = th_read_fixture("normalize/keyword-case.sql", NULL);
    struct n1_strbuf want;
    struct n1_strbuf other;
    int bad = 0;
    char *save = NULL;

    n1_strbuf_init(&want, 1 << 20);
    n1_strbuf_init(&other, 1 << 20);
    for (char *line = strtok_r(data, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        struct n1_norm o;

        if (strncmp(line, "##", 2) == 0) {
            continue;
        }
        assert_int_equal(n1_normalize(n, line, strlen(line), &o, NULL), 0);
        n1_strbuf_reset(&want);
        assert_int_equal(n1_strbuf_append(&want, o.text, o.len), 0);
        for (int up = 0; up <= 1; up++) {
            recase(&other, line, up);
            assert_int_equal(
                n1_normalize(n, n1_strbuf_str(&other), other.len, &o, NULL), 0);
            if (o.len != want.len || memcmp(o.text, want.buf, o.len) != 0) {
                print_error("keyword-case.sql:\ninput:    %s\n"
                            "expected: %s\nactual:   %s\n",
                            n1_strbuf_str(&other), n1_strbuf_str(&want),
                            o.text);
                bad++;
            }
        }
    }
    n1_strbuf_cleanup(&want);
    n1_strbuf_cleanup(&other);
    free(data);
    assert_int_equal(bad, 0);
}

/* Returns the location n1_norm_location() gives for sql, or "" for none. */
static const char *location_of(struct n1_normalizer *n, const char *sql,
                               char *buf, size_t cap)
{
    struct n1_norm o;
    size_t need;

    assert_int_equal(n1_normalize(n, sql, strlen(sql), &o, NULL), 0);
    need = n1_norm_location(&o, buf, cap);
    assert_true(need == strlen(buf) || need >= cap);
    return buf;
}

/* The location comes from sqlcommenter, Rails and Marginalia tags. */
static void test_normalize_location(void **state)
{
    struct n1_normalizer *n = *state;
    char buf[64];

    assert_string_equal(
        location_of(n, "select 1 /*file='a.py',line='3'*/", buf, sizeof(buf)),
        "a.py:3");
    assert_string_equal(
        location_of(n, "select 1 /*file='a.py'*/", buf, sizeof(buf)), "a.py");
    assert_string_equal(
        location_of(n, "select 1 /*line='3'*/", buf, sizeof(buf)), "");
    assert_string_equal(
        location_of(n,
                    "/*application:Shop,controller:users,action:show,"
                    "source_location:app/models/user.rb:12*/ select 1",
                    buf, sizeof(buf)),
        "app/models/user.rb:12");
    assert_string_equal(location_of(n,
                                    "select 1 /*application:Shop,"
                                    "line:/app/models/user.rb:12:in `find'*/",
                                    buf, sizeof(buf)),
                        "/app/models/user.rb:12");
    assert_string_equal(location_of(n, "select 1", buf, sizeof(buf)), "");
    /* truncated like snprintf, the full length returned */
    assert_string_equal(location_of(n, "select 1 /*file='abcdef.py'*/", buf, 4),
                        "abc");
}

/* equivalent.txt: same id within a group, different ids across groups. */
static void test_normalize_equivalent(void **state)
{
    struct n1_normalizer *n = *state;
    char *data = th_read_fixture("normalize/equivalent.txt", NULL);
    char *p = data;
    char *line;
    uint64_t ids[256];
    char texts[256][200];
    size_t n_groups = 0;
    int in_group = 0;

    while ((line = next_line(&p)) != NULL) {
        struct n1_norm o;
        struct n1_error err;

        if (strncmp(line, "##", 2) == 0) {
            continue;
        }
        if (line[0] == '\0') {
            in_group = 0;
            continue;
        }
        assert_int_equal(n1_normalize(n, line, strlen(line), &o, &err), 0);
        if (!in_group) {
            assert_true(n_groups < 256);
            for (size_t g = 0; g < n_groups; g++) {
                if (ids[g] == o.id) {
                    print_error("input: %s\nshares id with group %zu: %s\n",
                                line, g, texts[g]);
                    fail();
                }
            }
            ids[n_groups] = o.id;
            snprintf(texts[n_groups], sizeof(texts[0]), "%s", o.text);
            n_groups++;
            in_group = 1;
        } else if (ids[n_groups - 1] != o.id) {
            print_error("input:    %s\nexpected: %s\nactual:   %s\n", line,
                        texts[n_groups - 1], o.text);
            fail();
        }
    }
    assert_true(n_groups > 5);
    free(data);
}

/* The buffers are reused: a long statement then a short one. */
static void test_normalize_reuse(void **state)
{
    struct n1_normalizer *n = *state;
    struct n1_norm o;
    struct n1_error err;
    size_t len = 100000;
    char *big = malloc(len + 1);

    assert_non_null(big);
    memset(big, ' ', len);
    memcpy(big, "select 'x", 9);
    big[len - 1] = '\'';
    big[len] = '\0';
    assert_int_equal(n1_normalize(n, big, len, &o, &err), 0);
    assert_string_equal(o.text, "select ?");
    assert_int_equal(o.lits[0].len, len - 9);
    assert_int_equal(n1_normalize(n, "SELECT 1", 8, &o, &err), 0);
    assert_string_equal(o.text, "select ?");
    assert_string_equal(o.lits[0].value, "1");
    assert_int_equal(n1_normalize(n, NULL, 0, &o, &err), 0);
    assert_string_equal(o.text, "");
    assert_int_equal(o.n_lits, 0);
    free(big);
}

/* 16 MiB statements of the worst shapes finish, in linear time. */
static void test_normalize_huge(void **state)
{
    struct n1_normalizer *n = *state;
    struct n1_norm o;
    struct n1_error err;
    size_t len = (size_t)16 << 20;
    char *b = malloc(len);
    size_t i;

    assert_non_null(b);
    /* a string made of escapes */
    b[0] = '\'';
    for (i = 1; i + 1 < len; i += 2) {
        b[i] = '\\';
        b[i + 1] = '\'';
    }
    b[len - 1] = '\'';
    assert_int_equal(n1_normalize(n, b, len, &o, &err), 0);
    assert_string_equal(o.text, "?");
    assert_int_equal(o.lits[0].len, (len - 2) / 2);
    /* an unterminated comment full of stars */
    memset(b, '*', len);
    b[0] = '/';
    assert_int_equal(n1_normalize(n, b, len, &o, &err), 0);
    assert_int_equal(o.len, 0);
    /* one IN list of 16 MiB */
    memcpy(b, "select 1 in (", 13);
    for (i = 13; i + 3 < len; i += 2) {
        b[i] = '1';
        b[i + 1] = ',';
    }
    b[i] = '1';
    b[i + 1] = ')';
    assert_int_equal(n1_normalize(n, b, i + 2, &o, &err), 0);
    assert_string_equal(o.text, "select ? in(?+)");
    assert_int_equal(o.n_slots, 2);
    /* 1 + (i - 13) / 2 + 1 literals: only the first N1_NORM_MAX_LITERALS
       are listed, the rest are counted, so memory stays bounded. */
    assert_int_equal(o.n_lits, N1_NORM_MAX_LITERALS);
    assert_int_equal(o.n_lits + o.n_lits_dropped, 1 + (i - 13) / 2 + 1);
    assert_string_equal(o.lits[N1_NORM_MAX_LITERALS - 1].value, "1");
    assert_int_equal(o.lits[N1_NORM_MAX_LITERALS - 1].slot, 1);
    /* NUL bytes and dashes */
    memset(b, 0, len / 2);
    memset(b + len / 2, '-', len / 2);
    assert_int_equal(n1_normalize(n, b, len, &o, &err), 0);
    check_invariants("NUL and dashes", &o);
    free(b);
}

/*
 * Normalises sql[0..len) with n (C reading of plain tokens on) and with
 * plain (off: the pattern reads every token) and fails unless the two
 * agree in every field.
 */
static void same_both_ways(struct n1_normalizer *n, struct n1_normalizer *plain,
                           const char *sql, size_t len)
{
    struct n1_norm a;
    struct n1_norm b;
    struct n1_error err;
    const char *what;
    struct n1_strbuf shown;

    assert_int_equal(n1_normalize(n, sql, len, &a, &err), 0);
    assert_int_equal(n1_normalize(plain, sql, len, &b, &err), 0);
    what = norm_differs(&a, &b);
    if (what != NULL) {
        n1_strbuf_init(&shown, 0);
        show(&shown, sql, len);
        print_error("input: %s\n%s differs: '%s' (C) vs '%s' (pattern)\n",
                    n1_strbuf_str(&shown), what, a.text, b.text);
        n1_strbuf_cleanup(&shown);
        fail();
    }
}

/*
 * Every string of up to `places` bytes over alpha[0..alen) and \x80 (so
 * alen may count a NUL), read both ways bare, before a string (s " 'q'")
 * and between words ("a " s "1a"), so that each is also read in the
 * middle of a statement and where its end meets another token.
 */
static void every_string(struct n1_normalizer *n, struct n1_normalizer *plain,
                         const char *alpha, size_t alen, unsigned places)
{
    size_t base = alen + 2; /* digit 0 is "no byte", the last one \x80 */
    size_t count = 1;
    char buf[32];

    for (unsigned p = 0; p < places; p++) {
        count *= base;
    }
    for (size_t i = 0; i < count; i++) {
        size_t len = 0;

        for (size_t v = i; v > 0; v /= base) {
            size_t d = v % base;

            if (d == base - 1) {
                buf[len++] = '\x80';
            } else if (d > 0) {
                buf[len++] = alpha[d - 1];
            }
        }
        same_both_ways(n, plain, buf, len);
        memcpy(buf + len, " 'q'", 4);
        same_both_ways(n, plain, buf, len + 4);
        memmove(buf + 2, buf, len);
        memcpy(buf, "a ", 2);
        memcpy(buf + 2 + len, "1a", 2);
        same_both_ways(n, plain, buf, len + 4);
    }
}

/*
 * The C reading of plain tokens, strings and `names` gives what the
 * pattern alone gives: on every line of the normaliser fixtures
 * (statements and expected texts alike), on statements whose strings
 * hold escapes, doubled quotes and introducers or run to the end, on
 * every string of up to three bytes over the bytes where one token class
 * meets another, and of up to four bytes over the bytes that open, close
 * or escape a string or name.
 */
static void test_normalize_fast_path(void **state)
{
    static const char *const files[] = {
        "normalize/basic.txt",          "normalize/literals.txt",
        "normalize/comments.txt",       "normalize/collapse.txt",
        "normalize/pt-defects.txt",     "normalize/robust.txt",
        "normalize/grouping.txt",       "normalize/equivalent.txt",
        "normalize/keyword-case.sql",   "normalize/grouping-corpus.sql",
        "normalize/pt-differences.txt",
    };
    static const char *const stmts[] = {
        "SELECT * FROM users WHERE name = 'O''Reilly' AND note = "
        "\"say \"\"hi\"\"\"",
        "select id from t where a = 'it\\'s' and b = \"a\\\"b\" and "
        "c = 'x\\\\' and d = '\\\\\\''",
        "INSERT INTO t (a, b, c) VALUES (_utf8mb4'caf\xc3\xa9', N'x', "
        "_latin1 \"q\"), (_binary'\\0', n'', _utf8mb4\t\n'y'), "
        "(_utf8mb4 \"\", N'''', _a_1'z')",
        "select `t`.`id`, `we``ird`, `order`, `a\\`, `` from `db`.`t` "
        "where `a b` = '1' and `x`.y = \"2\"",
        "update t set s = concat(s, '\\n\\t\\\\'), u = _utf8 0x41, "
        "v = _utf8 X'41', w = _id, x = _utf8 b'1' where k in ('a', \"b\")",
        "select 'a' 'b' \"c\" _x'd' N'e'n'f'",
        "call p('x', @v, @'q', @`r`, _a'b'c'd', 'u'@'h')",
        "select 'a'/* c */, \"-- not a comment\", '/* nor this */', `#`",
        "select '\\'', '''', \"\\\"\", \"\"\"\", ````, '\\\"', \"\\'\"",
        "select _\xc3\xa9'x', _a$'x', __'x', _0 \"y\", _ 'z', _a\v\f\r'w'",
        "select \"\x80\xff\", '\x7f', _a\x7f'b'",
        "select 'unterminated",
        "select * from t where a = 'ends in a backslash\\",
        "select \"ends after a doubled quote \"\"",
        "select 'ends in an escaped quote\\'",
        "select `unterminated name",
        "select `ends after a doubled backtick ``",
        "select _utf8mb4 '",
        "select _utf8mb4 \"",
        "select _utf8mb4 ",
        "select N'",
        "select n",
    };
    /* NUL bytes inside a string, a name and after an introducer */
    static const char nuls[] = "select 'a\0b', \"\0\", `\0`, _a\0'x', '\\\0'";
    /* word bytes of each kind, digits, e, the prefixes of quoted
       literals, quotes, comment and operator bytes, blanks, DEL (which
       ends "--" as a blank does), NUL, a UTF-8 lead byte */
    static const char alphabet[] = "aZ$nNxXbB_0 19eE.+-'\"`*/()=,;?@#\\<>!"
                                   "\t\n\v\r\x7f";
    /* the bytes of strings, names and introducers, and ones after them */
    static const char quoting[] = "'\"`\\_nNaX1 \t@";
    struct n1_normalizer *n = *state;
    struct n1_normalizer *plain = n1_normalizer_new(NULL);
    struct n1_strbuf sql;

    assert_non_null(plain);
    n1_normalizer_fast_path(plain, 0);
    n1_strbuf_init(&sql, 0);
    for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        char *data = th_read_fixture(files[f], NULL);
        char *p = data;
        char *line;

        while ((line = next_line(&p)) != NULL) {
            load_sql(&sql, line);
            same_both_ways(n, plain, sql.buf, sql.len);
        }
        free(data);
    }
    for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
        same_both_ways(n, plain, stmts[i], strlen(stmts[i]));
    }
    same_both_ways(n, plain, nuls, sizeof(nuls) - 1);
    /* with the NUL at the end of alphabet */
    every_string(n, plain, alphabet, sizeof(alphabet), 3);
    every_string(n, plain, quoting, sizeof(quoting) - 1, 4);
    n1_strbuf_cleanup(&sql);
    n1_normalizer_free(plain);
}

/* 1 when w is in one of the sqlword.c lists. */
static int listed(const char *w)
{
    for (int kind = N1_SQLWORD_RESERVED; kind <= N1_SQLWORD_FUNCTION; kind++) {
        const char *const *words;
        size_t nw = n1_sqlword_list((enum n1_sqlword_kind)kind, &words);

        for (size_t i = 0; i < nw; i++) {
            if (strcmp(words[i], w) == 0) {
                return 1;
            }
        }
    }
    return 0;
}

/*
 * Every word of the sqlword.c lists is found in any case: "select WORD"
 * and "select word" normalise alike. A word one or two bytes longer that
 * no list has (WORDZ, WORD_Q) keeps its case, as a name does.
 */
static void test_normalize_keyword_table(void **state)
{
    static const char *const tails[] = {"Z", "_Q"};
    struct n1_normalizer *n = *state;
    char lower[64];
    char upper[64];
    char text[96];
    struct n1_norm o;

    for (int kind = N1_SQLWORD_RESERVED; kind <= N1_SQLWORD_FUNCTION; kind++) {
        const char *const *words;
        size_t nw = n1_sqlword_list((enum n1_sqlword_kind)kind, &words);

        for (size_t i = 0; i < nw; i++) {
            size_t len = strlen(words[i]);

            assert_true(len + 10 < sizeof(lower));
            snprintf(lower, sizeof(lower), "select %s", words[i]);
            snprintf(upper, sizeof(upper), "SELECT %s", words[i]);
            for (size_t j = 7; j < 7 + len; j++) {
                if (upper[j] >= 'a' && upper[j] <= 'z') {
                    upper[j] = (char)(upper[j] - 'a' + 'A');
                }
            }
            assert_int_equal(n1_normalize(n, lower, strlen(lower), &o, NULL),
                             0);
            snprintf(text, sizeof(text), "%s", o.text);
            assert_int_equal(n1_normalize(n, upper, strlen(upper), &o, NULL),
                             0);
            if (strcmp(text, o.text) != 0) {
                fail_msg("'%s' gives '%s' but '%s' gives '%s'", lower, text,
                         upper, o.text);
            }
            for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
                snprintf(lower, sizeof(lower), "%s%s", words[i], tails[t]);
                for (size_t j = 0; lower[j] != '\0'; j++) {
                    if (lower[j] >= 'A' && lower[j] <= 'Z') {
                        lower[j] = (char)(lower[j] - 'A' + 'a');
                    }
                }
                snprintf(text, sizeof(text), "%s%s", upper, tails[t]);
                if (listed(lower)) {
                    continue;
                }
                assert_int_equal(n1_normalize(n, text, strlen(text), &o, NULL),
                                 0);
                assert_string_equal(o.text + 7, text + 7);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_normalize_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normalize_literals, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_normalize_comments, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_normalize_collapse, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_normalize_pt_defects, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_normalize_robust, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normalize_grouping, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_normalize_location, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_normalize_keyword_case, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_normalize_equivalent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_normalize_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normalize_huge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normalize_fast_path, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_normalize_keyword_table, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
