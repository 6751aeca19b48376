/* SPDX-License-Identifier: MIT */
/*
 * explain.c: EXPLAIN of a sample statement on a server (explain.h).
 *
 * The plan comes from the classic tabular EXPLAIN, whose columns MariaDB
 * and MySQL share (id, select_type, table, type, possible_keys, key,
 * key_len, ref, rows, Extra; MySQL adds partitions and filtered): the
 * columns are found by name, so either layout reads the same. Each row
 * becomes one line of the six columns a reader acts on.
 */
#include <ctype.h>
#include <mysql.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/strbuf.h"
#include "engine/explain.h"
#include "stats/aggregate.h"

#define TAG       "/* n1digest explain */ "
#define MAX_LINES 64 /* plan rows shown; a longer plan is cut */
#define LINE_MAX  512

struct n1_explain {
    struct st_mysql *my;
    char where[128];
    char *lines[MAX_LINES + 1]; /* the last answer; owned */
    const char *view[MAX_LINES + 1];
    size_t n;
};

struct n1_explain *n1_explain_open(const struct n1_server_opts *o,
                                   double limit_s, enum n1_server_fail *fail,
                                   struct n1_error *err)
{
    struct n1_explain *x = calloc(1, sizeof(*x));
    char sql[128];
    int maria;

    if (x == NULL) {
        n1_err_oom(err, "the explainer");
        return NULL;
    }
    n1_conn_where(o, x->where, sizeof(x->where));
    x->my = n1_conn_open(o, fail, err);
    if (x->my == NULL) {
        free(x);
        return NULL;
    }
    maria = strstr(mysql_get_server_info(x->my), "MariaDB") != NULL;
    if (maria) {
        snprintf(sql, sizeof(sql), TAG "SET SESSION max_statement_time = %.3f",
                 limit_s);
    } else {
        snprintf(sql, sizeof(sql), TAG "SET SESSION MAX_EXECUTION_TIME = %lu",
                 (unsigned long)(limit_s * 1000));
    }
    if (mysql_query(x->my, sql) != 0) {
        if (fail != NULL) {
            *fail = n1_conn_lost(mysql_errno(x->my)) ? N1_SERVER_FAIL_CONNECT
                                                     : N1_SERVER_FAIL_SETUP;
        }
        n1_err_set(err, N1_ESYS, NULL, 0, "setting the time limit on %s: %s",
                   x->where, mysql_error(x->my));
        n1_explain_close(x);
        return NULL;
    }
    return x;
}

/* Frees the last answer. */
static void clear(struct n1_explain *x)
{
    for (size_t i = 0; i < x->n; i++) {
        free(x->lines[i]);
        x->lines[i] = NULL;
    }
    x->n = 0;
}

/* Adds one line (printf-style); a line that cannot be kept is dropped
   once memory runs out, and the answer says so. */
static void add_line(struct n1_explain *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add_line(struct n1_explain *x, const char *fmt, ...)
{
    char buf[LINE_MAX];
    va_list ap;

    if (x->n >= MAX_LINES) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    x->lines[x->n] = strdup(buf);
    if (x->lines[x->n] != NULL) {
        x->n++;
    }
}

/* Whether sql (after spaces, comments and opening parentheses) starts
   with the word SELECT. */
static int is_select(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        if (isspace((unsigned char)s[i]) || s[i] == '(') {
            i++;
        } else if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
            const char *e = NULL;

            for (size_t j = i + 2; j + 1 < n; j++) {
                if (s[j] == '*' && s[j + 1] == '/') {
                    e = s + j + 2;
                    break;
                }
            }
            if (e == NULL) {
                return 0;
            }
            i = (size_t)(e - s);
        } else {
            break;
        }
    }
    return n - i >= 6 && strncasecmp(s + i, "select", 6) == 0 &&
           (n - i == 6 || !isalnum((unsigned char)s[i + 6]));
}

/* One line per row of the plan: the six columns, found by name. */
static void plan_lines(struct n1_explain *x, MYSQL_RES *res)
{
    static const char *const want[] = {"table", "type", "possible_keys",
                                       "key",   "rows", "Extra"};
    enum {
        N_WANT = sizeof(want) / sizeof(want[0])
    };
    MYSQL_FIELD *f = mysql_fetch_fields(res);
    unsigned nf = mysql_num_fields(res);
    int at[N_WANT];
    MYSQL_ROW row;

    for (size_t k = 0; k < N_WANT; k++) {
        at[k] = -1;
        for (unsigned i = 0; i < nf; i++) {
            if (strcasecmp(f[i].name, want[k]) == 0) {
                at[k] = (int)i;
            }
        }
    }
    while ((row = mysql_fetch_row(res)) != NULL) {
        char buf[LINE_MAX];
        size_t len = 0;

        buf[0] = '\0';
        for (size_t k = 0; k < N_WANT; k++) {
            const char *v =
                at[k] >= 0 && row[at[k]] != NULL ? row[at[k]] : "NULL";
            int w = snprintf(buf + len, sizeof(buf) - len, "%s%s: %s",
                             k > 0 ? ", " : "", want[k], v);

            if (w < 0 || (size_t)w >= sizeof(buf) - len) {
                break;
            }
            len += (size_t)w;
        }
        add_line(x, "%s", buf);
    }
}

/* Explains sql in db inside a READ ONLY transaction, rolled back. */
static void run_explain(struct n1_explain *x, const char *sql, size_t len,
                        const char *db)
{
    static const char head[] = TAG "EXPLAIN ";
    struct n1_strbuf q;
    MYSQL_RES *res;

    n1_strbuf_init(&q, 0);
    if (db != NULL && db[0] != '\0' && mysql_select_db(x->my, db) != 0) {
        add_line(x, "not explained: %s", mysql_error(x->my));
        return;
    }
    if (mysql_query(x->my, TAG "START TRANSACTION READ ONLY") != 0) {
        add_line(x, "not explained: %s", mysql_error(x->my));
        return;
    }
    if (n1_strbuf_append(&q, head, sizeof(head) - 1) != 0 ||
        n1_strbuf_append(&q, sql, len) != 0) {
        add_line(x, "not explained: out of memory");
    } else if (mysql_real_query(x->my, q.buf, q.len) != 0) {
        add_line(x, "not explained: %s", mysql_error(x->my));
    } else if ((res = mysql_store_result(x->my)) != NULL) {
        plan_lines(x, res);
        mysql_free_result(res);
    }
    n1_strbuf_cleanup(&q);
    mysql_query(x->my, TAG "ROLLBACK");
}

/*
 * The first word of sql that names a side effect a SELECT can have
 * (writing a file, taking a lock), or NULL. EXPLAIN does not run the
 * statement, but the optimiser may evaluate parts of it: such a sample
 * is refused rather than trusted. A word inside a string refuses too;
 * erring that way costs a plan, not a lock.
 */
static const char *side_effect(const char *sql, size_t len)
{
    static const char *const words[] = {"outfile", "dumpfile", "get_lock",
                                        "release_lock", "release_all_locks"};

    for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
        size_t wl = strlen(words[w]);

        for (size_t i = 0; i + wl <= len; i++) {
            if (strncasecmp(sql + i, words[w], wl) == 0) {
                return words[w];
            }
        }
    }
    return NULL;
}

size_t n1_explain_sample(struct n1_explain *x, const char *sql, size_t len,
                         const char *db, int cut, const char *const **lines)
{
    const char *fx = NULL;

    clear(x);
    if (cut) {
        add_line(x, "not explained: the sample was cut");
    } else if (!is_select(sql, len)) {
        add_line(x, "not explained: not a SELECT");
    } else if ((fx = side_effect(sql, len)) != NULL) {
        add_line(x, "not explained: the sample names %s", fx);
    } else {
        run_explain(x, sql, len, db);
    }
    for (size_t i = 0; i < x->n; i++) {
        x->view[i] = x->lines[i];
    }
    if (x->n == 0) {
        /* A plan without rows, or no memory for a line. */
        x->view[0] = "not explained: no plan";
        *lines = x->view;
        return 1;
    }
    *lines = x->view;
    return x->n;
}

size_t n1_explain_class(void *x, const struct n1_agg_class *c,
                        const char *const **lines)
{
    const struct n1_agg_values *dbs = &c->dims[N1_DIM_DB];
    const char *db = NULL;
    uint64_t most = 0;

    for (unsigned i = 0; i < dbs->n; i++) {
        if (dbs->v[i].count > most) {
            most = dbs->v[i].count;
            db = dbs->v[i].value;
        }
    }
    return n1_explain_sample(x, c->sample != NULL ? c->sample : "",
                             c->sample_len, db,
                             c->sample_len < c->sample_full_len, lines);
}

void n1_explain_close(struct n1_explain *x)
{
    if (x == NULL) {
        return;
    }
    clear(x);
    if (x->my != NULL) {
        mysql_close(x->my);
    }
    free(x);
}
