/* SPDX-License-Identifier: MIT */
/*
 * verify_run.c: the server part of `n1digest verify` (verify.h).
 *
 * One connection, never with multi-statements, a statement time limit
 * set once for the session (max_statement_time on MariaDB,
 * max_execution_time on MySQL). For a SELECT target every statement runs
 * inside START TRANSACTION READ ONLY, which is rolled back; for a write,
 * only with --allow-writes, inside a read-write transaction that is
 * always rolled back. Every statement is classified first
 * (n1_verify_refusal()); values are quoted with the client library's
 * escaping for the connection's character set and SQL mode.
 */
#include <ctype.h>
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/verify.h"

#define DEFAULT_MAX_KEYS 1000
#define MAX_ROWS         1000000 /* rows one side may return before giving up */
#define MAX_STMT         (1u << 20)

struct n1_verifier {
    MYSQL *my;
    struct n1_verify_opts o;
    int mariadb;
    char server[160];
    struct n1_normalizer *norm_sample; /* the sample's literals */
    struct n1_normalizer *norm_key;    /* one key's literals */
};

const char *n1_verdict_name(enum n1_verdict v)
{
    switch (v) {
    case N1_VERDICT_VERIFIED:
        return "verified";
    case N1_VERDICT_DIFFERS:
        return "differs";
    case N1_VERDICT_FAILED:
        return "failed";
    case N1_VERDICT_SKIPPED:
        return "skipped";
    }
    return "skipped";
}

const char *n1_verifier_server(const struct n1_verifier *v)
{
    return v->server;
}

/* Runs sql; 0, or -1 with the server's error in err. */
static int exec(MYSQL *my, const char *sql, struct n1_error *err)
{
    if (mysql_real_query(my, sql, (unsigned long)strlen(sql)) != 0) {
        n1_err_set(err, N1_ESYS, NULL, 0, "%s (%u)", mysql_error(my),
                   mysql_errno(my));
        return -1;
    }
    return 0;
}

/* Reads VERSION() and sets the statement time limit. */
static int session_setup(struct n1_verifier *v, struct n1_error *err)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    char sql[128];

    if (exec(v->my, "SELECT VERSION()", err) < 0) {
        return -1;
    }
    res = mysql_store_result(v->my);
    row = res != NULL ? mysql_fetch_row(res) : NULL;
    if (row == NULL || row[0] == NULL) {
        mysql_free_result(res);
        n1_err_set(err, N1_ESYS, NULL, 0, "SELECT VERSION() gave no row");
        return -1;
    }
    v->mariadb = strstr(row[0], "MariaDB") != NULL;
    if (v->o.database != NULL && mysql_select_db(v->my, v->o.database) != 0) {
        mysql_free_result(res);
        n1_err_set(err, N1_ESYS, NULL, 0, "%s (%u)", mysql_error(v->my),
                   mysql_errno(v->my));
        return -1;
    }
    snprintf(v->server, sizeof(v->server), "%s %.*s",
             v->mariadb ? "MariaDB" : "MySQL", (int)strcspn(row[0], "-"),
             row[0]);
    mysql_free_result(res);
    if (v->mariadb) {
        snprintf(sql, sizeof(sql), "SET SESSION max_statement_time = %.3f",
                 v->o.timeout_s);
    } else {
        snprintf(sql, sizeof(sql), "SET SESSION max_execution_time = %lu",
                 (unsigned long)(v->o.timeout_s * 1000.0 + 0.5));
    }
    return exec(v->my, sql, err);
}

struct n1_verifier *n1_verifier_open(const struct n1_server_opts *so,
                                     const struct n1_verify_opts *o,
                                     enum n1_server_fail *fail,
                                     struct n1_error *err)
{
    struct n1_verifier *v = calloc(1, sizeof(*v));
    char where[256];

    if (v == NULL) {
        n1_err_oom(err, "opening the verifier");
        return NULL;
    }
    v->o = *o;
    if (v->o.max_keys == 0) {
        v->o.max_keys = DEFAULT_MAX_KEYS;
    }
    v->norm_sample = n1_normalizer_new(err);
    v->norm_key = v->norm_sample != NULL ? n1_normalizer_new(err) : NULL;
    if (v->norm_key == NULL) {
        n1_verifier_free(v);
        return NULL;
    }
    v->my = n1_conn_open(so, fail, err);
    if (v->my == NULL) {
        n1_verifier_free(v);
        return NULL;
    }
    if (session_setup(v, err) < 0) {
        n1_conn_where(so, where, sizeof(where));
        n1_err_set(err, N1_ESYS, NULL, 0, "setting up the session on %s: %s",
                   where, err->message);
        if (fail != NULL) {
            *fail = n1_conn_lost(mysql_errno(v->my)) ? N1_SERVER_FAIL_CONNECT
                                                     : N1_SERVER_FAIL_QUERY;
        }
        n1_verifier_free(v);
        return NULL;
    }
    return v;
}

void n1_verifier_free(struct n1_verifier *v)
{
    if (v == NULL) {
        return;
    }
    if (v->my != NULL) {
        mysql_close(v->my);
    }
    n1_normalizer_free(v->norm_sample);
    n1_normalizer_free(v->norm_key);
    free(v);
}

/* ---- quoting ---------------------------------------------------------- */

/* 1 when every byte of s (n bytes) is in set. */
static int only_of(const char *s, size_t n, const char *set)
{
    if (n == 0) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\0' || strchr(set, s[i]) == NULL) {
            return 0;
        }
    }
    return 1;
}

static int quote_string(MYSQL *my, struct n1_strbuf *sb, const char *s,
                        size_t n)
{
    char *buf = malloc(n * 2 + 1);
    unsigned long len;
    int rc;

    if (buf == NULL) {
        return -1;
    }
#if defined(MARIADB_PACKAGE_VERSION)
    len = mysql_real_escape_string(my, buf, s, (unsigned long)n);
#else
    /* MySQL's client refuses the plain escape under NO_BACKSLASH_ESCAPES;
       this one doubles the quote there instead. */
    len = mysql_real_escape_string_quote(my, buf, s, (unsigned long)n, '\'');
#endif
    rc = (len == (unsigned long)-1 || n1_strbuf_putc(sb, '\'') < 0 ||
          n1_strbuf_append(sb, buf, len) < 0 || n1_strbuf_putc(sb, '\'') < 0)
             ? -1
             : 0;
    free(buf);
    return rc;
}

/* The n1_verify_quote_fn of a connection (ud is the MYSQL). */
static int quote_lit(void *ud, struct n1_strbuf *sb,
                     const struct n1_literal *lit)
{
    MYSQL *my = ud;

    switch (lit->type) {
    case N1_LIT_NULL:
        return n1_strbuf_puts(sb, "NULL");
    case N1_LIT_BOOL:
        return n1_strbuf_puts(sb, lit->value[0] == '1' ? "TRUE" : "FALSE");
    case N1_LIT_NUMBER:
        if (only_of(lit->value, lit->len, "0123456789+-.eE")) {
            return n1_strbuf_append(sb, lit->value, lit->len);
        }
        break;
    case N1_LIT_HEX:
        if (only_of(lit->value, lit->len, "0123456789abcdefABCDEF")) {
            return n1_strbuf_puts(sb, "X'") < 0 ||
                           n1_strbuf_append(sb, lit->value, lit->len) < 0 ||
                           n1_strbuf_putc(sb, '\'') < 0
                       ? -1
                       : 0;
        }
        break;
    case N1_LIT_BIT:
        if (only_of(lit->value, lit->len, "01")) {
            return n1_strbuf_puts(sb, "b'") < 0 ||
                           n1_strbuf_append(sb, lit->value, lit->len) < 0 ||
                           n1_strbuf_putc(sb, '\'') < 0
                       ? -1
                       : 0;
        }
        break;
    case N1_LIT_STRING:
        break;
    }
    return quote_string(my, sb, lit->value, lit->len);
}

/* ---- the loop's statements -------------------------------------------- */

/* One key of the loop: its statement and its values (lower-cased, for
   the check that the rewrite stays within the loop's keys). */
struct loop_key {
    const char *text; /* as the report lists it; borrowed */
    char *sql;        /* the loop's statement for this key; owned */
    char *enc;        /* its values, encoded as a row; owned */
    size_t enc_len;
};

struct loop {
    struct loop_key *k;
    size_t n;
};

static void loop_free(struct loop *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->k[i].sql);
        free(l->k[i].enc);
    }
    free(l->k);
    memset(l, 0, sizeof(*l));
}

/* Encodes the key's literals lower-cased into k->enc. */
static int key_values(const struct n1_norm *nk, struct loop_key *k)
{
    struct n1_strbuf sb;
    int rc = 0;

    n1_strbuf_init(&sb, 0);
    for (size_t i = 0; rc == 0 && i < nk->n_lits; i++) {
        const struct n1_literal *l = &nk->lits[i];
        char *low = malloc(l->len + 1);

        if (low == NULL) {
            rc = -1;
            break;
        }
        for (size_t j = 0; j < l->len; j++) {
            low[j] = (char)tolower((unsigned char)l->value[j]);
        }
        rc = n1_verify_row_field(&sb, l->type == N1_LIT_NULL ? NULL : low,
                                 l->len);
        free(low);
    }
    k->enc_len = sb.len;
    k->enc = rc == 0 ? malloc(sb.len + 1) : NULL;
    if (k->enc != NULL) {
        memcpy(k->enc, sb.buf != NULL ? sb.buf : "", sb.len);
        k->enc[sb.len] = '\0';
    }
    n1_strbuf_cleanup(&sb);
    return k->enc != NULL ? 0 : -1;
}

/* Rebuilds one key's statement into k. Returns 0, 1 (why set), -1. */
static int build_key(struct n1_verifier *v, const struct n1_verify_target *t,
                     const struct n1_norm *ns, const char *key,
                     struct loop_key *k, const char **why, struct n1_error *err)
{
    struct n1_strbuf sb;
    struct n1_norm nk;
    char *wrapped = NULL;
    size_t n = strlen(key);
    int rc;

    wrapped = malloc(n + 8);
    if (wrapped == NULL) {
        n1_err_oom(err, "rebuilding the loop");
        return -1;
    }
    snprintf(wrapped, n + 8, "SELECT %s", key);
    rc = n1_normalize(v->norm_key, wrapped, n + 7, &nk, err);
    free(wrapped);
    if (rc < 0) {
        return -1;
    }
    k->text = key;
    n1_strbuf_init(&sb, MAX_STMT);
    rc = n1_verify_rebuild(t->fp_text, t->key_columns, t->n_key_columns,
                           nk.lits, nk.n_lits, ns->lits, ns->n_lits, quote_lit,
                           v->my, &sb, why, err);
    if (rc == 0) {
        k->sql = malloc(sb.len + 1);
        if (k->sql == NULL || key_values(&nk, k) < 0) {
            rc = -1;
            n1_err_oom(err, "rebuilding the loop");
        } else {
            memcpy(k->sql, sb.buf, sb.len + 1);
        }
    }
    n1_strbuf_cleanup(&sb);
    return rc;
}

/* Rebuilds the loop, one statement per key. Returns 0, 1 with res
   skipped, -1 with err set. */
static int build_loop(struct n1_verifier *v, const struct n1_verify_target *t,
                      struct loop *l, struct n1_verify_result *res,
                      struct n1_error *err)
{
    struct n1_norm ns;
    const char *why = NULL;
    size_t n = t->n_keys < v->o.max_keys ? t->n_keys : v->o.max_keys;

    if (t->fp_text == NULL || t->sample == NULL || t->n_keys == 0) {
        snprintf(res->detail, sizeof(res->detail),
                 "the report gives no keys, sample or fingerprint to "
                 "rebuild the loop from");
        return 1;
    }
    if (n1_normalize(v->norm_sample, t->sample, strlen(t->sample), &ns, err) <
        0) {
        return -1;
    }
    if (ns.n_slots != 0 && strcmp(ns.text, t->fp_text) != 0) {
        snprintf(res->detail, sizeof(res->detail),
                 "the sample does not have the finding's fingerprint");
        return 1;
    }
    l->k = calloc(n, sizeof(*l->k));
    if (l->k == NULL) {
        n1_err_oom(err, "rebuilding the loop");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        int rc = build_key(v, t, &ns, t->keys[i], &l->k[i], &why, err);

        if (rc != 0) {
            if (rc > 0) {
                snprintf(res->detail, sizeof(res->detail),
                         "cannot rebuild the loop for key %.80s: %s",
                         t->keys[i], why);
            }
            l->n = i + 1;
            return rc;
        }
        l->n = i + 1;
    }
    return 0;
}

/* ---- running ---------------------------------------------------------- */

/* Runs sql. Returns 0; 1 with res failed (the server's error); -1 with
   err and *fail set when the connection is gone. */
static int run(struct n1_verifier *v, const char *sql,
               struct n1_verify_result *res, enum n1_server_fail *fail,
               struct n1_error *err)
{
    unsigned code;

    if (mysql_real_query(v->my, sql, (unsigned long)strlen(sql)) == 0) {
        return 0;
    }
    code = mysql_errno(v->my);
    if (n1_conn_lost(code)) {
        *fail = N1_SERVER_FAIL_CONNECT;
        n1_err_set(err, N1_ESYS, NULL, 0, "lost the server: %s",
                   mysql_error(v->my));
        return -1;
    }
    res->verdict = N1_VERDICT_FAILED;
    snprintf(res->detail, sizeof(res->detail), "%s (%u) in: %.200s",
             mysql_error(v->my), code, sql);
    return 1;
}

/* The rows of one side, encoded. */
struct rows {
    char **row;
    size_t *len;
    char **key; /* rewrite: its key fields, lower-cased, encoded */
    size_t *key_len;
    size_t *of; /* loop: the key index of each row */
    size_t n, cap;
    char names[64][64]; /* the loop's column names (first result) */
    unsigned n_names;
};

static void rows_free(struct rows *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->row[i]);
        free(r->key != NULL ? r->key[i] : NULL);
    }
    free(r->row);
    free(r->len);
    free(r->key);
    free(r->key_len);
    free(r->of);
    memset(r, 0, sizeof(*r));
}

static int rows_grow(struct rows *r)
{
    size_t nc = r->cap ? r->cap * 2 : 64;
    char **row = realloc(r->row, nc * sizeof(*row));
    size_t *len = row != NULL ? realloc(r->len, nc * sizeof(*len)) : NULL;
    char **key = len != NULL ? realloc(r->key, nc * sizeof(*key)) : NULL;
    size_t *kl = key != NULL ? realloc(r->key_len, nc * sizeof(*kl)) : NULL;
    size_t *of = kl != NULL ? realloc(r->of, nc * sizeof(*of)) : NULL;

    if (row != NULL) {
        r->row = row;
    }
    if (len != NULL) {
        r->len = len;
    }
    if (key != NULL) {
        r->key = key;
    }
    if (kl != NULL) {
        r->key_len = kl;
    }
    if (of == NULL) {
        return -1;
    }
    r->of = of;
    r->cap = nc;
    return 0;
}

/* Takes sb's bytes as a new string. */
static char *take(struct n1_strbuf *sb, size_t *len)
{
    char *s = malloc(sb->len + 1);

    if (s != NULL) {
        memcpy(s, sb->buf != NULL ? sb->buf : "", sb->len);
        s[sb->len] = '\0';
        *len = sb->len;
    }
    n1_strbuf_reset(sb);
    return s;
}

/* Encodes fields map[0..n-1] of row (lower-cased when low). */
static int encode(struct n1_strbuf *sb, MYSQL_ROW row,
                  const unsigned long *lens, const int *map, size_t n, int low)
{
    for (size_t i = 0; i < n; i++) {
        const char *f = row[map[i]];
        size_t len = lens[map[i]];
        int rc;

        if (f == NULL || !low) {
            rc = n1_verify_row_field(sb, f, len);
        } else {
            char *c = malloc(len + 1);

            if (c == NULL) {
                return -1;
            }
            for (size_t j = 0; j < len; j++) {
                c[j] = (char)tolower((unsigned char)f[j]);
            }
            rc = n1_verify_row_field(sb, c, len);
            free(c);
        }
        if (rc < 0) {
            return -1;
        }
    }
    return 0;
}

/* How a result's fields map to what is compared. */
struct fieldmap {
    int map[64]; /* fields compared, in the loop's column order */
    size_t n;
    int keys[16]; /* the rewrite's key fields */
    size_t n_keys;
    size_t of; /* loop: the key index */
};

/* Appends one row of a result to r through m. Returns 0 or -1. */
static int add_row(struct rows *r, struct n1_strbuf *sb, MYSQL_ROW row,
                   const unsigned long *lens, const struct fieldmap *m)
{
    size_t i = r->n;

    if (r->n == r->cap && rows_grow(r) < 0) {
        return -1;
    }
    if (encode(sb, row, lens, m->map, m->n, 0) < 0) {
        return -1;
    }
    r->row[i] = take(sb, &r->len[i]);
    if (r->row[i] == NULL) {
        return -1;
    }
    r->key[i] = NULL;
    r->key_len[i] = 0;
    r->of[i] = m->of;
    r->n++;
    if (m->n_keys == 0) {
        return 0;
    }
    if (encode(sb, row, lens, m->keys, m->n_keys, 1) < 0) {
        return -1;
    }
    r->key[i] = take(sb, &r->key_len[i]);
    return r->key[i] != NULL ? 0 : -1;
}

/* Appends the rows of the stored result to r. Returns 0, 1 when there
   are too many, -1 when memory ran out. */
static int read_result(MYSQL_RES *mr, struct rows *r, const struct fieldmap *m)
{
    struct n1_strbuf sb;
    MYSQL_ROW row;
    int rc = 0;

    n1_strbuf_init(&sb, 0);
    for (row = mysql_fetch_row(mr); rc == 0 && row != NULL;
         row = mysql_fetch_row(mr)) {
        rc = r->n >= MAX_ROWS
                 ? 1
                 : add_row(r, &sb, row, mysql_fetch_lengths(mr), m);
    }
    n1_strbuf_cleanup(&sb);
    return rc;
}

/* The bare column name of a key column as written ("t.c" gives "c"). */
static const char *bare_col(const char *c)
{
    const char *dot = strrchr(c, '.');

    return dot != NULL ? dot + 1 : c;
}

/* The rewrite's fields for the loop's columns and the key columns.
   Returns 0, or 1 with res set to differs. */
static int rewrite_map(const struct rows *loop, MYSQL_FIELD *fields,
                       unsigned nf, const struct n1_verify_target *t,
                       struct fieldmap *m, struct n1_verify_result *res)
{
    char used[64] = {0};

    for (unsigned i = 0; i < loop->n_names; i++) {
        unsigned j = 0;

        while (j < nf && j < 64 &&
               (used[j] || strcasecmp(fields[j].name, loop->names[i]) != 0)) {
            j++;
        }
        if (j >= nf || j >= 64) {
            res->verdict = N1_VERDICT_DIFFERS;
            snprintf(res->detail, sizeof(res->detail),
                     "the rewrite does not return the loop's column %s",
                     loop->names[i]);
            return 1;
        }
        used[j] = 1;
        m->map[m->n++] = (int)j;
    }
    for (size_t k = 0; k < t->n_key_columns && k < 16; k++) {
        unsigned j = 0;

        while (j < nf &&
               strcasecmp(fields[j].name, bare_col(t->key_columns[k])) != 0) {
            j++;
        }
        if (j >= nf) {
            m->n_keys = 0; /* keys outside the loop cannot be told */
            break;
        }
        m->keys[m->n_keys++] = (int)j;
    }
    return 0;
}

/* Runs sql and keeps its rows in r. loop NULL: sql is one of the loop's
   (every field kept, names recorded in r on the first); else the
   rewrite's, its fields mapped to loop's columns. Returns 0, 1 (res
   set), -1 (err set). */
static int run_rows(struct n1_verifier *v, const char *sql, struct rows *r,
                    size_t of, const struct rows *loop,
                    const struct n1_verify_target *t,
                    struct n1_verify_result *res, enum n1_server_fail *fail,
                    struct n1_error *err)
{
    int rc = run(v, sql, res, fail, err);
    struct fieldmap m;
    MYSQL_RES *mr = NULL;
    MYSQL_FIELD *fields;
    unsigned nf;

    if (rc != 0) {
        return rc;
    }
    mr = mysql_store_result(v->my);
    if (mr == NULL) {
        return 0; /* no result set */
    }
    memset(&m, 0, sizeof(m));
    m.of = of;
    nf = mysql_num_fields(mr);
    fields = mysql_fetch_fields(mr);
    if (loop == NULL) {
        for (unsigned i = 0; i < nf && i < 64; i++) {
            snprintf(r->names[i], sizeof(r->names[i]), "%s", fields[i].name);
            m.map[i] = (int)i;
        }
        r->n_names = nf < 64 ? nf : 64;
        m.n = r->n_names;
        rc = 0;
    } else {
        rc = rewrite_map(loop, fields, nf, t, &m, res);
    }
    rc = rc == 0 ? read_result(mr, r, &m) : rc;
    mysql_free_result(mr);
    if (rc < 0) {
        n1_err_oom(err, "keeping the rows");
        return -1;
    }
    if (rc > 0 && res->verdict != N1_VERDICT_DIFFERS) {
        res->verdict = N1_VERDICT_SKIPPED;
        snprintf(res->detail, sizeof(res->detail),
                 "more than %d rows on one side", MAX_ROWS);
    }
    return rc;
}

/* EXPLAIN FORMAT=JSON of sql, judged for the target's table into *p.
   Returns 0 (p->found 0 when the plan could not be read), -1 when the
   connection is gone. */
static int explain(struct n1_verifier *v, const char *sql,
                   const struct n1_verify_target *t, struct n1_verify_plan *p,
                   enum n1_server_fail *fail, struct n1_error *err)
{
    struct n1_verify_result scratch;
    char *q = malloc(strlen(sql) + 22);
    MYSQL_RES *mr = NULL;
    MYSQL_ROW row;
    int rc;

    memset(p, 0, sizeof(*p));
    memset(&scratch, 0, sizeof(scratch));
    if (q == NULL) {
        n1_err_oom(err, "asking for a plan");
        return -1;
    }
    snprintf(q, strlen(sql) + 22, "EXPLAIN FORMAT=JSON %s", sql);
    rc = run(v, q, &scratch, fail, err);
    free(q);
    if (rc != 0) {
        return rc < 0 ? -1 : 0;
    }
    mr = mysql_store_result(v->my);
    row = mr != NULL ? mysql_fetch_row(mr) : NULL;
    if (row != NULL && row[0] != NULL) {
        unsigned long *lens = mysql_fetch_lengths(mr);

        (void)n1_verify_explain_judge(row[0], lens[0], t->table, p);
    }
    mysql_free_result(mr);
    return 0;
}

/* What EXPLAIN says of the loop and of the rewrite, and the index that
   would serve the batched query when neither uses one. */
static int plans(struct n1_verifier *v, const struct n1_verify_target *t,
                 const struct loop *l, const char *rewrite,
                 struct n1_verify_result *res, enum n1_server_fail *fail,
                 struct n1_error *err)
{
    struct n1_verify_plan lp;
    struct n1_verify_plan rp;

    if (explain(v, l->k[0].sql, t, &lp, fail, err) < 0 ||
        explain(v, rewrite, t, &rp, fail, err) < 0) {
        return -1;
    }
    if (!lp.found && !rp.found) {
        return 0;
    }
    snprintf(res->plan, sizeof(res->plan),
             "loop: %s%s%.60s; rewrite: %s%s%.60s", lp.found ? lp.access : "?",
             lp.key[0] ? " on " : "", lp.key, rp.found ? rp.access : "?",
             rp.key[0] ? " on " : "", rp.key);
    if ((rp.found && rp.no_key) || (!rp.found && lp.found && lp.no_key)) {
        (void)n1_verify_index_sql(t->table, t->key_columns, t->n_key_columns,
                                  res->index_sql, sizeof(res->index_sql));
    }
    return 0;
}

/* Sorted encodings of one column of a result, lower-cased. */
struct column_set {
    char **v;
    size_t *len;
    size_t n;
};

static int cmp_enc(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void column_set_free(struct column_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i]);
    }
    free(s->v);
    memset(s, 0, sizeof(*s));
}

/* The encodings of column c of every row of mr. Returns 0 or -1. */
static int column_set(MYSQL_RES *mr, unsigned c, struct column_set *s)
{
    struct n1_strbuf sb;
    size_t rows = (size_t)mysql_num_rows(mr);
    MYSQL_ROW row;
    int map = (int)c;
    size_t len;

    memset(s, 0, sizeof(*s));
    s->v = calloc(rows > 0 ? rows : 1, sizeof(*s->v));
    if (s->v == NULL) {
        return -1;
    }
    n1_strbuf_init(&sb, 0);
    mysql_data_seek(mr, 0);
    for (row = mysql_fetch_row(mr); row != NULL && s->n < rows;
         row = mysql_fetch_row(mr)) {
        char *e = NULL;

        if (encode(&sb, row, mysql_fetch_lengths(mr), &map, 1, 1) == 0) {
            e = take(&sb, &len);
        }
        if (e == NULL) {
            n1_strbuf_cleanup(&sb);
            return -1;
        }
        s->v[s->n++] = e;
    }
    n1_strbuf_cleanup(&sb);
    qsort(s->v, s->n, sizeof(*s->v), cmp_enc);
    return 0;
}

/* How many of the loop's keys column c of mr holds; -1 out of memory. */
static long keys_in_column(MYSQL_RES *mr, unsigned c, const struct loop *l)
{
    struct column_set s;
    long found = 0;

    if (column_set(mr, c, &s) < 0) {
        column_set_free(&s);
        return -1;
    }
    for (size_t i = 0; i < l->n; i++) {
        const char *k = l->k[i].enc;

        found += bsearch(&k, s.v, s.n, sizeof(*s.v), cmp_enc) != NULL;
    }
    column_set_free(&s);
    return found;
}

/* Writes the parent proof line from the parent's stored result. */
static int prove_from(MYSQL_RES *mr, const struct n1_verify_target *t,
                      const struct loop *l, struct n1_verify_result *res)
{
    MYSQL_FIELD *fields = mysql_fetch_fields(mr);
    unsigned nf = mysql_num_fields(mr);
    long best = 0;
    unsigned at = 0;

    for (unsigned c = 0; c < nf; c++) {
        long n = keys_in_column(mr, c, l);

        if (n < 0) {
            return -1;
        }
        if (n > best) {
            best = n;
            at = c;
        }
    }
    if (nf == 0) {
        return 0;
    }
    snprintf(res->parent, sizeof(res->parent),
             "parent %s: %ld/%zu keys from %s.%s",
             (size_t)best == l->n ? "proven" : "not proven", best, l->n,
             fields[at].org_table != NULL && fields[at].org_table[0] != '\0'
                 ? fields[at].org_table
             : t->parent_table != NULL ? t->parent_table
                                       : "?",
             fields[at].org_name != NULL && fields[at].org_name[0] != '\0'
                 ? fields[at].org_name
                 : fields[at].name);
    return 0;
}

/*
 * Parent proof: runs the parent SELECT again (in the open READ ONLY
 * transaction) and counts the loop's keys in each of its columns. Sets
 * res->parent; a parent that cannot run only says so there. Returns 0,
 * or -1 with err set (connection lost, memory).
 */
static int parent_proof(struct n1_verifier *v, const struct n1_verify_target *t,
                        const struct loop *l, struct n1_verify_result *res,
                        enum n1_server_fail *fail, struct n1_error *err)
{
    struct n1_verify_result scratch;
    const char *why;
    MYSQL_RES *mr = NULL;
    int rc;

    if (t->parent_sql == NULL || t->n_key_columns != 1) {
        return 0;
    }
    why = n1_verify_refusal(t->parent_sql, 0);
    if (why != NULL) {
        snprintf(res->parent, sizeof(res->parent), "parent not run: %s", why);
        return 0;
    }
    memset(&scratch, 0, sizeof(scratch));
    rc = run(v, t->parent_sql, &scratch, fail, err);
    if (rc != 0) {
        snprintf(res->parent, sizeof(res->parent), "parent not run: %.200s",
                 scratch.detail);
        return rc < 0 ? -1 : 0;
    }
    mr = mysql_store_result(v->my);
    if (mr != NULL && prove_from(mr, t, l, res) < 0) {
        mysql_free_result(mr);
        n1_err_oom(err, "proving the parent");
        return -1;
    }
    mysql_free_result(mr);
    return 0;
}

/* The verdict of a SELECT from the rows of both sides. */
static void judge_rows(const struct n1_verify_target *t, const struct loop *l,
                       const struct rows *lr, const struct rows *rr,
                       struct n1_verify_result *res)
{
    long miss =
        n1_verify_contains((const char *const *)lr->row, lr->len, lr->n,
                           (const char *const *)rr->row, rr->len, rr->n);
    char shown[200];

    res->loop_rows = lr->n;
    res->rw_rows = rr->n;
    res->verdict = N1_VERDICT_DIFFERS;
    if (miss == -2) {
        res->verdict = N1_VERDICT_SKIPPED;
        snprintf(res->detail, sizeof(res->detail), "out of memory");
        return;
    }
    if (miss >= 0) {
        snprintf(res->detail, sizeof(res->detail),
                 "the loop's row %s for key %.60s is not in the rewrite's "
                 "result",
                 n1_verify_row_show(lr->row[miss], lr->len[miss], shown,
                                    sizeof(shown)),
                 l->k[lr->of[miss]].text);
        return;
    }
    for (size_t i = 0; i < rr->n; i++) {
        size_t j = 0;

        if (rr->key[i] == NULL) {
            break; /* the key columns are not in the result */
        }
        while (j < l->n && (l->k[j].enc_len != rr->key_len[i] ||
                            memcmp(l->k[j].enc, rr->key[i], rr->key_len[i]))) {
            j++;
        }
        if (j == l->n && l->n == t->n_keys) {
            snprintf(res->detail, sizeof(res->detail),
                     "the rewrite returns the row %s, whose key is none of "
                     "the loop's",
                     n1_verify_row_show(rr->row[i], rr->len[i], shown,
                                        sizeof(shown)));
            return;
        }
    }
    res->verdict = N1_VERDICT_VERIFIED;
    snprintf(res->detail, sizeof(res->detail),
             "%zu keys: the loop's %llu rows are all in the rewrite's %llu",
             l->n, (unsigned long long)lr->n, (unsigned long long)rr->n);
}

/*
 * Leaves out the locking clause (FOR UPDATE, ...) of the loop's
 * statements and returns a copy of the rewrite without it (caller frees),
 * or NULL when memory ran out. *cut is set when a clause was left out.
 */
static char *unlocked(const struct n1_verify_target *t, const struct loop *l,
                      int *cut)
{
    size_t n = n1_verify_locking_clause(t->rewrite);
    char *rw = malloc(n + 1);

    *cut = t->rewrite[n] != '\0';
    if (rw != NULL) {
        memcpy(rw, t->rewrite, n);
        rw[n] = '\0';
    }
    for (size_t i = 0; i < l->n; i++) {
        size_t k = n1_verify_locking_clause(l->k[i].sql);

        *cut |= l->k[i].sql[k] != '\0';
        l->k[i].sql[k] = '\0';
    }
    return rw;
}

/* SELECT: both sides in one READ ONLY transaction, rolled back. */
static int check_select(struct n1_verifier *v, const struct n1_verify_target *t,
                        const struct loop *l, struct n1_verify_result *res,
                        enum n1_server_fail *fail, struct n1_error *err)
{
    struct rows lr;
    struct rows rr;
    int cut = 0;
    char *rw = unlocked(t, l, &cut);
    int rc;

    if (rw == NULL) {
        n1_err_oom(err, "checking a SELECT");
        return -1;
    }
    memset(&lr, 0, sizeof(lr));
    memset(&rr, 0, sizeof(rr));
    rc = run(v, "START TRANSACTION READ ONLY", res, fail, err);
    if (rc == 0) {
        rc = plans(v, t, l, rw, res, fail, err);
    }
    for (size_t i = 0; rc == 0 && i < l->n; i++) {
        rc = run_rows(v, l->k[i].sql, &lr, i, NULL, t, res, fail, err);
        res->statements = i + 1;
    }
    if (rc == 0) {
        rc = parent_proof(v, t, l, res, fail, err);
    }
    if (rc == 0) {
        rc = run_rows(v, rw, &rr, 0, &lr, t, res, fail, err);
    }
    if (rc >= 0) {
        struct n1_verify_result scratch;

        memset(&scratch, 0, sizeof(scratch));
        if (run(v, "ROLLBACK", &scratch, fail, err) < 0) {
            rc = -1;
        }
    }
    if (rc == 0) {
        judge_rows(t, l, &lr, &rr, res);
        if (cut) {
            size_t used = strlen(res->detail);

            snprintf(res->detail + used, sizeof(res->detail) - used,
                     " (run without the locking clause)");
        }
    }
    free(rw);
    rows_free(&lr);
    rows_free(&rr);
    return rc < 0 ? -1 : 0;
}

/* The rows the last statement touched: an UPDATE's matched rows (from
   mysql_info(): an UPDATE that sets a value already there changes no
   row but matches it), else the affected rows. */
static uint64_t touched(MYSQL *my)
{
    const char *info = mysql_info(my);
    const char *m = info != NULL ? strstr(info, "Rows matched: ") : NULL;
    my_ulonglong a;

    if (m != NULL) {
        return strtoull(m + 14, NULL, 10);
    }
    a = mysql_affected_rows(my);
    return a == (my_ulonglong)-1 ? 0 : (uint64_t)a;
}

/* Runs the statements in one transaction that is always rolled back;
 *affected gets the sum of their affected rows. Returns as run(). */
static int rolled_back(struct n1_verifier *v, const char *const *sql, size_t n,
                       uint64_t *affected, struct n1_verify_result *res,
                       enum n1_server_fail *fail, struct n1_error *err)
{
    struct n1_verify_result scratch;
    int rc = run(v, "START TRANSACTION", res, fail, err);

    *affected = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = run(v, sql[i], res, fail, err);
        if (rc == 0) {
            *affected += touched(v->my);
        }
    }
    memset(&scratch, 0, sizeof(scratch));
    if (rc >= 0 && run(v, "ROLLBACK", &scratch, fail, err) < 0) {
        return -1;
    }
    return rc;
}

/* INSERT, UPDATE, DELETE (--allow-writes): the affected rows of the loop
   and of the rewrite, each in a transaction rolled back. */
static int check_write(struct n1_verifier *v, const struct n1_verify_target *t,
                       const struct loop *l, struct n1_verify_result *res,
                       enum n1_server_fail *fail, struct n1_error *err)
{
    const char **sql = calloc(l->n, sizeof(*sql));
    uint64_t a = 0;
    uint64_t b = 0;
    int rc;

    if (sql == NULL) {
        n1_err_oom(err, "checking a write");
        return -1;
    }
    for (size_t i = 0; i < l->n; i++) {
        sql[i] = l->k[i].sql;
    }
    rc = rolled_back(v, sql, l->n, &a, res, fail, err);
    res->statements = l->n;
    if (rc == 0) {
        rc = rolled_back(v, &t->rewrite, 1, &b, res, fail, err);
    }
    free(sql);
    if (rc != 0) {
        return rc < 0 ? -1 : 0;
    }
    res->loop_rows = a;
    res->rw_rows = b;
    res->verdict = a == b ? N1_VERDICT_VERIFIED : N1_VERDICT_DIFFERS;
    snprintf(
        res->detail, sizeof(res->detail),
        a == b ? "%llu rows matched or affected by the loop and by the rewrite "
                 "(both rolled back)"
               : "the loop touches %llu rows, the rewrite %llu (both "
                 "rolled back)",
        (unsigned long long)a, (unsigned long long)b);
    return 0;
}

/* Why t is not checked, or NULL. */
static const char *skip_reason(const struct n1_verifier *v,
                               const struct n1_verify_target *t,
                               const struct loop *l)
{
    const char *why = n1_verify_refusal(t->rewrite, v->o.allow_writes);

    if (why != NULL) {
        return why;
    }
    for (size_t i = 0; l != NULL && i < l->n; i++) {
        why = n1_verify_refusal(l->k[i].sql, v->o.allow_writes);
        if (why != NULL) {
            return why;
        }
    }
    return NULL;
}

/* Control characters (a newline in a logged statement or a value) become
   spaces: each text stays one line. */
static void one_line(char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            *s = ' ';
        }
    }
}

int n1_verifier_check(struct n1_verifier *v, const struct n1_verify_target *t,
                      struct n1_verify_result *res, enum n1_server_fail *fail,
                      struct n1_error *err)
{
    struct loop l;
    const char *why;
    int rc = 0;

    memset(res, 0, sizeof(*res));
    memset(&l, 0, sizeof(l));
    res->verdict = N1_VERDICT_SKIPPED;
    if (t->rewrite == NULL) {
        snprintf(res->detail, sizeof(res->detail), "no rewrite to check (%s)",
                 t->rewrite_kind != NULL ? t->rewrite_kind : "none offered");
        return 0;
    }
    if (t->rewrite_kind != NULL &&
        strcmp(t->rewrite_kind, "case_update") == 0) {
        snprintf(res->detail, sizeof(res->detail),
                 "a CASE update: the report keeps each key, not the value "
                 "each iteration set");
        return 0;
    }
    why = skip_reason(v, t, NULL);
    if (why == NULL) {
        rc = build_loop(v, t, &l, res, err);
        why = rc == 0 ? skip_reason(v, t, &l) : NULL;
    }
    if (why != NULL) {
        snprintf(res->detail, sizeof(res->detail), "refused: %s", why);
    } else if (rc == 0) {
        rc = strcmp(t->statement, "select") == 0
                 ? check_select(v, t, &l, res, fail, err)
                 : check_write(v, t, &l, res, fail, err);
    }
    loop_free(&l);
    one_line(res->detail);
    one_line(res->parent);
    one_line(res->plan);
    return rc < 0 ? -1 : 0;
}
