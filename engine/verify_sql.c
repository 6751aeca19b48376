/* SPDX-License-Identifier: MIT */
/*
 * verify_sql.c: rows as comparable text, the multiset containment of the
 * loop's rows in the rewrite's, the judgement of an EXPLAIN FORMAT=JSON
 * plan, the CREATE INDEX advice and the loop's statement rebuilt for one
 * key (verify.h). No server here.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyzer/shape.h"
#include "engine/verify.h"
#include "sql/sqlword.h"

/* ---- rows -------------------------------------------------------------- */

int n1_verify_row_field(struct n1_strbuf *sb, const char *v, size_t len)
{
    char head[24];

    if (v == NULL) {
        return n1_strbuf_putc(sb, 'N');
    }
    snprintf(head, sizeof(head), "V%zx:", len);
    if (n1_strbuf_puts(sb, head) < 0) {
        return -1;
    }
    return n1_strbuf_append(sb, v, len);
}

/* Appends s (n bytes) to buf at *used, cut at cap - 1. */
static void show_put(char *buf, size_t cap, size_t *used, const char *s,
                     size_t n)
{
    for (size_t i = 0; i < n && *used + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];

        buf[(*used)++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    buf[*used] = '\0';
}

char *n1_verify_row_show(const char *row, size_t len, char *buf, size_t cap)
{
    size_t used = 0;
    size_t i = 0;

    if (cap == 0) {
        return buf;
    }
    buf[0] = '\0';
    show_put(buf, cap, &used, "(", 1);
    while (i < len) {
        char *end = NULL;
        size_t n;

        if (i > 0) {
            show_put(buf, cap, &used, ", ", 2);
        }
        if (row[i] == 'N') {
            show_put(buf, cap, &used, "NULL", 4);
            i++;
            continue;
        }
        n = (size_t)strtoull(row + i + 1, &end, 16);
        if (row[i] != 'V' || end == NULL || *end != ':' ||
            n > len - (size_t)(end + 1 - row)) {
            break; /* not an encoded row: stop showing */
        }
        i = (size_t)(end + 1 - row);
        show_put(buf, cap, &used, "'", 1);
        show_put(buf, cap, &used, row + i, n);
        show_put(buf, cap, &used, "'", 1);
        i += n;
    }
    show_put(buf, cap, &used, ")", 1);
    if (used + 1 >= cap && cap > 4) {
        memcpy(buf + cap - 4, "...", 4);
    }
    return buf;
}

struct row_ref {
    const char *p;
    size_t len;
    size_t index; /* position in the caller's array */
};

static int row_cmp(const void *a, const void *b)
{
    const struct row_ref *x = a;
    const struct row_ref *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, n);

    if (c != 0) {
        return c;
    }
    if (x->len != y->len) {
        return x->len < y->len ? -1 : 1;
    }
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Equal bytes, whatever the index. */
static int row_eq_cmp(const struct row_ref *x, const struct row_ref *y)
{
    struct row_ref a = *x;
    struct row_ref b = *y;

    a.index = 0;
    b.index = 0;
    return row_cmp(&a, &b);
}

static struct row_ref *refs(const char *const *v, const size_t *len, size_t n)
{
    struct row_ref *r = calloc(n > 0 ? n : 1, sizeof(*r));

    for (size_t i = 0; r != NULL && i < n; i++) {
        r[i].p = v[i];
        r[i].len = len[i];
        r[i].index = i;
    }
    if (r != NULL) {
        qsort(r, n, sizeof(*r), row_cmp);
    }
    return r;
}

long n1_verify_contains(const char *const *need, const size_t *need_len,
                        size_t n_need, const char *const *have,
                        const size_t *have_len, size_t n_have)
{
    struct row_ref *a = refs(need, need_len, n_need);
    struct row_ref *b = refs(have, have_len, n_have);
    size_t j = 0;
    long missing = -1;

    if (a == NULL || b == NULL) {
        free(a);
        free(b);
        return -2;
    }
    /* Both sorted: a merge consumes one row of have per row of need. */
    for (size_t i = 0; i < n_need; i++) {
        int c = 1;

        while (j < n_have && (c = row_eq_cmp(&b[j], &a[i])) < 0) {
            j++;
        }
        if (j < n_have && c == 0) {
            j++;
            continue;
        }
        if (missing < 0 || a[i].index < (size_t)missing) {
            missing = (long)a[i].index;
        }
    }
    free(a);
    free(b);
    return missing;
}

/* ---- EXPLAIN ----------------------------------------------------------- */

/* The bare table name of a name as written: "db.`t`" gives "t". */
static void bare_name(const char *name, char *buf, size_t cap)
{
    const char *dot = strrchr(name, '.');
    const char *s = dot != NULL ? dot + 1 : name;
    size_t n = 0;

    for (; *s != '\0' && n + 1 < cap; s++) {
        if (*s != '`' && *s != '"') {
            buf[n++] = *s;
        }
    }
    buf[n] = '\0';
}

/* Judges one "table" object of a plan. */
static void judge_table(const json_t *t, const char *table,
                        struct n1_verify_plan *out)
{
    const char *name = json_string_value(json_object_get(t, "table_name"));
    const char *access = json_string_value(json_object_get(t, "access_type"));
    const char *key = json_string_value(json_object_get(t, "key"));
    const json_t *possible = json_object_get(t, "possible_keys");

    if (name == NULL || strcasecmp(name, table) != 0) {
        return;
    }
    /* The worst access of the table counts (it may appear twice). */
    if (out->found && !(access != NULL && strcmp(access, "ALL") == 0)) {
        return;
    }
    out->found = 1;
    snprintf(out->access, sizeof(out->access), "%s",
             access != NULL ? access : "");
    snprintf(out->key, sizeof(out->key), "%s", key != NULL ? key : "");
    out->full_scan = access != NULL && strcmp(access, "ALL") == 0;
    out->no_key = key == NULL && json_array_size(possible) == 0;
}

static void walk_plan(json_t *v, const char *table, struct n1_verify_plan *out,
                      int depth)
{
    const char *k;
    json_t *m;

    if (depth > 64) {
        return;
    }
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            walk_plan(json_array_get(v, i), table, out, depth + 1);
        }
        return;
    }
    if (!json_is_object(v)) {
        return;
    }
    json_object_foreach(v, k, m)
    {
        if (strcmp(k, "table") == 0 && json_is_object(m)) {
            judge_table(m, table, out);
        }
        walk_plan(m, table, out, depth + 1);
    }
}

int n1_verify_explain_judge(const char *json, size_t len, const char *table,
                            struct n1_verify_plan *out)
{
    json_t *root = json_loadb(json, len, 0, NULL);
    char bare[128];

    memset(out, 0, sizeof(*out));
    if (!json_is_object(root) || json_object_get(root, "query_block") == NULL) {
        json_decref(root);
        return -1;
    }
    bare_name(table, bare, sizeof(bare));
    walk_plan(root, bare, out, 0);
    json_decref(root);
    return 0;
}

/* ---- CREATE INDEX ------------------------------------------------------ */

/* Appends name backquoted (a reserved word like order is a table name
   too), backquotes in it doubled. */
static int put_name(struct n1_strbuf *sb, const char *name)
{
    if (n1_strbuf_putc(sb, '`') < 0) {
        return -1;
    }
    for (; *name != '\0'; name++) {
        if ((*name == '`' && n1_strbuf_putc(sb, '`') < 0) ||
            n1_strbuf_putc(sb, *name) < 0) {
            return -1;
        }
    }
    return n1_strbuf_putc(sb, '`');
}

int n1_verify_index_sql(const char *table, const char *const *cols,
                        size_t n_cols, char *buf, size_t cap)
{
    struct n1_strbuf sb;
    char t[128];
    char c[128];
    char idx[65];
    size_t used;
    int rc = -1;

    bare_name(table, t, sizeof(t));
    if (t[0] == '\0' || n_cols == 0 || cap == 0) {
        return -1;
    }
    used = (size_t)snprintf(idx, sizeof(idx), "n1_%s", t);
    for (size_t i = 0; i < n_cols && used < sizeof(idx); i++) {
        bare_name(cols[i], c, sizeof(c));
        if (c[0] == '\0') {
            return -1;
        }
        used += (size_t)snprintf(idx + used, sizeof(idx) - used, "_%s", c);
    }
    n1_strbuf_init(&sb, cap - 1);
    if (n1_strbuf_puts(&sb, "CREATE INDEX ") < 0 || put_name(&sb, idx) < 0 ||
        n1_strbuf_puts(&sb, " ON ") < 0 || put_name(&sb, t) < 0 ||
        n1_strbuf_puts(&sb, " (") < 0) {
        goto out;
    }
    for (size_t i = 0; i < n_cols; i++) {
        bare_name(cols[i], c, sizeof(c));
        if ((i > 0 && n1_strbuf_puts(&sb, ", ") < 0) || put_name(&sb, c) < 0) {
            goto out;
        }
    }
    if (n1_strbuf_putc(&sb, ')') < 0) {
        goto out;
    }
    snprintf(buf, cap, "%s", n1_strbuf_str(&sb));
    rc = 0;
out:
    n1_strbuf_cleanup(&sb);
    return rc;
}

/* ---- locking reads ---------------------------------------------------- */

/* The lower-cased words of sql's end, outside quotes: the last max words
   into w (w[n - 1] the last) with where each starts. Returns n. */
static size_t last_words(const char *sql, char w[][16], size_t *at, size_t max)
{
    size_t n = 0;
    size_t i = 0;

    while (sql[i] != '\0') {
        if (sql[i] == '\'' || sql[i] == '"' || sql[i] == '`') {
            i = n1_sqlword_skip_quoted(sql, i);
            n = 0; /* a quoted run: the clause must come after it */
            continue;
        }
        if (!n1_sqlword_byte((unsigned char)sql[i])) {
            i++;
            continue;
        }
        if (n == max) {
            memmove(w, w + 1, (max - 1) * sizeof(*w));
            memmove(at, at + 1, (max - 1) * sizeof(*at));
            n--;
        }
        at[n] = i;
        for (size_t k = 0; n1_sqlword_byte((unsigned char)sql[i]); i++, k++) {
            if (k < 15) {
                w[n][k] = (char)tolower((unsigned char)sql[i]);
                w[n][k + 1] = '\0';
            }
        }
        n++;
    }
    return n;
}

size_t n1_verify_locking_clause(const char *sql)
{
    static const char *const tails[][5] = {
        {"for", "update", NULL},
        {"for", "update", "nowait", NULL},
        {"for", "update", "skip", "locked", NULL},
        {"for", "share", NULL},
        {"lock", "in", "share", "mode", NULL},
    };
    char w[4][16];
    size_t at[4];
    size_t n = last_words(sql, w, at, 4);

    for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
        size_t k = 0;

        while (tails[t][k] != NULL) {
            k++;
        }
        if (k > n) {
            continue;
        }
        for (size_t j = 0; j < k; j++) {
            if (strcmp(w[n - k + j], tails[t][j]) != 0) {
                break;
            }
            if (j + 1 == k) {
                return at[n - k];
            }
        }
    }
    return strlen(sql);
}

/* ---- the loop's statement ---------------------------------------------- */

/* 1 when the slot's column is one of the key columns (as written, or
   without its qualifier on either side). */
/* name without its quotes: "`order`.`key`" gives "order.key". */
static void unquoted(const char *name, char *buf, size_t cap)
{
    size_t n = 0;

    for (; *name != '\0' && n + 1 < cap; name++) {
        if (*name != '`' && *name != '"') {
            buf[n++] = *name;
        }
    }
    buf[n] = '\0';
}

static int is_key_column(const struct n1_shape *sh,
                         const struct n1_shape_slot *s, const char *const *kc,
                         size_t n_kc)
{
    char col[128];
    char a[128];
    char b[128];
    char ua[128];
    char ub[128];

    if (s->column.len == 0 || s->column.len >= sizeof(col)) {
        return 0;
    }
    n1_shape_str(sh, s->column, col, sizeof(col));
    bare_name(col, a, sizeof(a));
    unquoted(col, ua, sizeof(ua));
    for (size_t i = 0; i < n_kc; i++) {
        bare_name(kc[i], b, sizeof(b));
        unquoted(kc[i], ub, sizeof(ub));
        if (strcasecmp(ua, ub) == 0 ||
            ((strchr(ua, '.') == NULL || strchr(ub, '.') == NULL) &&
             strcasecmp(a, b) == 0)) {
            return 1;
        }
    }
    return 0;
}

/* The key slots of sh, in text order, into keys; returns how many. */
static size_t key_slots(const struct n1_shape *sh, const char *const *kc,
                        size_t n_kc, unsigned *keys, size_t cap)
{
    size_t n = 0;

    for (unsigned s = 0; s < sh->n_slots && n < cap; s++) {
        const struct n1_shape_slot *sl = &sh->slots[s];

        if ((sl->role == N1_SLOT_EQ || sl->role == N1_SLOT_IN) &&
            sl->in_where && is_key_column(sh, sl, kc, n_kc)) {
            keys[n++] = s;
        }
    }
    return n;
}

/* Appends the sample's literals of slot s ("a, b" for a list). Returns
   0, 1 when the sample has none, -1 at the cap. */
static int put_sample(const struct n1_literal *lits, size_t n, unsigned s,
                      n1_verify_quote_fn quote, void *ud, struct n1_strbuf *sb)
{
    int any = 0;

    for (size_t i = 0; i < n; i++) {
        if (lits[i].slot != s) {
            continue;
        }
        if ((any && n1_strbuf_puts(sb, ", ") < 0) ||
            quote(ud, sb, &lits[i]) < 0) {
            return -1;
        }
        any = 1;
    }
    return any ? 0 : 1;
}

/* Where in the key's literals slot s is, or -1 when s is no key slot. */
static long key_index(const unsigned *keys, size_t n_keys, unsigned s)
{
    for (size_t k = 0; k < n_keys; k++) {
        if (keys[k] == s) {
            return (long)k;
        }
    }
    return -1;
}

/* Writes sh->text with every slot filled; returns as n1_verify_rebuild. */
static int splice(const struct n1_shape *sh, const unsigned *keys,
                  size_t n_keys, const struct n1_literal *key_lits,
                  const struct n1_literal *sample_lits, size_t n_sample_lits,
                  n1_verify_quote_fn quote, void *ud, struct n1_strbuf *sb,
                  const char **why)
{
    size_t at = 0;

    for (unsigned s = 0; s < sh->n_slots; s++) {
        const struct n1_shape_slot *sl = &sh->slots[s];
        long k = key_index(keys, n_keys, s);
        int rc;

        if (sl->pos < at || sl->pos + sl->width > sh->len ||
            n1_strbuf_append(sb, sh->text + at, sl->pos - at) < 0) {
            *why = "the statement does not fit the buffer";
            return 1;
        }
        rc = k >= 0 ? quote(ud, sb, &key_lits[k])
                    : put_sample(sample_lits, n_sample_lits, s, quote, ud, sb);
        if (rc != 0) {
            *why = rc > 0 ? "the sample lacks a value of the statement"
                          : "the statement does not fit the buffer";
            return 1;
        }
        at = sl->pos + sl->width;
    }
    if (n1_strbuf_append(sb, sh->text + at, sh->len - at) < 0) {
        *why = "the statement does not fit the buffer";
        return 1;
    }
    return 0;
}

int n1_verify_rebuild(const char *fp, const char *const *key_columns,
                      size_t n_key_columns, const struct n1_literal *key_lits,
                      size_t n_key_lits, const struct n1_literal *sample_lits,
                      size_t n_sample_lits, n1_verify_quote_fn quote, void *ud,
                      struct n1_strbuf *sb, const char **why,
                      struct n1_error *err)
{
    struct n1_shape *sh = n1_shape_parse(0, fp, strlen(fp), err);
    unsigned keys[N1_SHAPE_MAX_SLOTS];
    size_t n_keys;
    int rc = 1;

    if (sh == NULL) {
        return -1;
    }
    n_keys =
        key_slots(sh, key_columns, n_key_columns, keys, N1_SHAPE_MAX_SLOTS);
    if (n_keys == 0) {
        *why = "no key column of the finding is compared in its WHERE";
    } else if (n_keys != n_key_lits) {
        *why = "the key has another number of values than the statement "
               "has key columns";
    } else if (sh->slots[keys[0]].width > 1) {
        *why = "the loop's key is an IN list";
    } else {
        rc = splice(sh, keys, n_keys, key_lits, sample_lits, n_sample_lits,
                    quote, ud, sb, why);
    }
    n1_shape_free(sh);
    return rc;
}
