/* SPDX-License-Identifier: MIT */
/*
 * server.c: events out of a server's performance_schema (server.h).
 *
 * One connection, three statements a poll: the uptime (a smaller one
 * than last time means the server restarted, and every mark is void),
 * the largest THREAD_ID of performance_schema.threads (thread ids only
 * grow, so a thread above the last poll's largest began since then and
 * every one of its events is new), and the history ring joined with the
 * threads table for the connection id. The ring query is a prepared
 * statement whose parameters carry our own thread id (its rows are left
 * out) and a lower bound on TIMER_END, a second below the newest end the
 * last poll saw, so that a poll reads what is new and not the whole
 * ring; the per-thread marks drop what the bound lets through twice.
 *
 * Rows come ordered by TIMER_START, which within a thread is EVENT_ID
 * order. A thread's mark is the largest END_EVENT_ID read (a statement's
 * END_EVENT_ID covers the events nested in it): a row at or below it was
 * read before; a row above mark + 1 follows a gap of lost events.
 *
 * The connection id of a thread comes from the join while the thread
 * lives and is remembered after; a thread that ended before any poll
 * saw it alive gets 2^63 + its THREAD_ID, so that its statements still
 * form one connection for the detectors.
 */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "base/secret.h"
#include "read/server.h"
#include "read/server_mark.h"
#include "read/server_table.h"

#define MAX_THREADS  4096             /* threads remembered; the oldest go */
#define END_SLACK_PS 1000000000000ull /* 1 s: TIMER_END bound slack */
#define NO_CONN_BIT  (1ull << 63)     /* conn id of an unseen thread */
#define TEXT_SLACK   16u              /* SQL_TEXT buffer beyond the cap */

/* Leads every statement of ours, so that a later run (another thread)
   leaves out what an earlier one ran. */
#define TAG "/* n1digest live */ "

/* One server thread seen in the ring. */
struct thr {
    uint64_t thread; /* THREAD_ID */
    uint64_t mark;   /* largest END_EVENT_ID read */
    uint64_t conn;   /* PROCESSLIST_ID, 0 when never seen */
    char user[64];   /* PROCESSLIST_USER as last seen */
    char host[256];  /* PROCESSLIST_HOST as last seen */
};

/* Columns of the ring query, in select order. */
enum col {
    C_THREAD = 0,
    C_EVENT,
    C_END_EVENT,
    C_TIMER_START,
    C_TIMER_END,
    C_TIMER_WAIT,
    C_LOCK_TIME,
    C_ROWS_SENT,
    C_ROWS_EXAMINED,
    C_ROWS_AFFECTED,
    C_CONN,
    C_NUMS, /* the numeric columns end here */
    C_NESTING = C_NUMS,
    C_NAME,
    C_SCHEMA,
    C_USER,
    C_HOST,
    C_TEXT,
    C_COUNT
};

static const char RING_SQL[] = TAG
    "SELECT h.THREAD_ID, h.EVENT_ID, h.END_EVENT_ID, h.TIMER_START, "
    "h.TIMER_END, h.TIMER_WAIT, h.LOCK_TIME, h.ROWS_SENT, h.ROWS_EXAMINED, "
    "h.ROWS_AFFECTED, t.PROCESSLIST_ID, h.NESTING_EVENT_TYPE, h.EVENT_NAME, "
    "h.CURRENT_SCHEMA, t.PROCESSLIST_USER, t.PROCESSLIST_HOST, h.SQL_TEXT "
    "FROM performance_schema.events_statements_history_long h "
    "LEFT JOIN performance_schema.threads t ON t.THREAD_ID = h.THREAD_ID "
    "WHERE h.THREAD_ID <> ? AND h.TIMER_END >= ? "
    "ORDER BY h.TIMER_START, h.THREAD_ID, h.EVENT_ID";

/* The result buffers of the ring query. */
struct ring_row {
    MYSQL_BIND bind[C_COUNT];
    unsigned long long num[C_NUMS];
    my_bool null[C_COUNT];
    unsigned long len[C_COUNT];
    char nesting[32];
    char name[128];
    char schema[256];
    char user[64];
    char host[256];
    char *text; /* text_max + TEXT_SLACK bytes */
};

struct n1_server {
    MYSQL *my;
    MYSQL_STMT *ring;    /* the prepared ring query */
    struct ring_row row; /* its result buffers */
    const char *name;    /* every event's file; borrowed */
    char where[128];     /* the host (or socket) for messages */
    uint64_t self;       /* our own THREAD_ID */
    int64_t started_us;  /* server start, UTC microseconds */
    uint64_t uptime;     /* seconds, at the last poll */
    uint64_t max_thread; /* largest THREAD_ID at the last poll */
    uint64_t end_seen;   /* largest TIMER_END read */
    struct thr *thr;     /* sorted by thread */
    size_t n_thr;
    size_t cap_thr;
    struct n1_server_stats st;
    struct n1_strbuf mask; /* a statement with its passwords masked */
};

static int64_t wall_us(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* A failed client call: the client's message, naming where, in err. */
static int my_fail(struct n1_server *s, enum n1_server_fail why,
                   enum n1_server_fail *fail, const char *doing,
                   struct n1_error *err)
{
    unsigned code = mysql_errno(s->my);

    if (n1_conn_lost(code)) {
        why = N1_SERVER_FAIL_CONNECT;
    }
    if (fail != NULL) {
        *fail = why;
    }
    n1_err_set(err, N1_ESYS, NULL, 0, "%s on %s: %s", doing, s->where,
               mysql_error(s->my));
    return -1;
}

/*
 * Runs sql and sets *row to its first row (NULL when it has none) and
 * *res to the result, which the caller frees. Returns 0, or -1 with err
 * set.
 */
static int query_row(struct n1_server *s, const char *sql, MYSQL_RES **res,
                     MYSQL_ROW *row, enum n1_server_fail *fail,
                     struct n1_error *err)
{
    *res = NULL;
    *row = NULL;
    if (mysql_query(s->my, sql) != 0) {
        return my_fail(s, N1_SERVER_FAIL_QUERY, fail, "querying", err);
    }
    *res = mysql_store_result(s->my);
    if (*res == NULL) {
        return my_fail(s, N1_SERVER_FAIL_QUERY, fail, "reading a result", err);
    }
    *row = mysql_fetch_row(*res);
    return 0;
}

/* A single unsigned number out of sql (column col of its first row; 0
   when there is none). Returns 0, or -1 with err set. */
static int query_u64(struct n1_server *s, const char *sql, unsigned col,
                     uint64_t *out, enum n1_server_fail *fail,
                     struct n1_error *err)
{
    MYSQL_RES *res;
    MYSQL_ROW r;

    if (query_row(s, sql, &res, &r, fail, err) != 0) {
        return -1;
    }
    *out = r != NULL && r[col] != NULL ? strtoull(r[col], NULL, 10) : 0;
    mysql_free_result(res);
    return 0;
}

/* ---- connecting ------------------------------------------------------ */

/* Connects (read/conn.h), keeping where for the messages. */
static int connect_server(struct n1_server *s, const struct n1_server_opts *o,
                          enum n1_server_fail *fail, struct n1_error *err)
{
    n1_conn_where(o, s->where, sizeof(s->where));
    s->my = n1_conn_open(o, fail, err);
    return s->my != NULL ? 0 : -1;
}

/* The names in the one-column result of sql, quoted and ", "-separated,
   into buf. Returns how many, or -1 with err set. */
static int list_names(struct n1_server *s, const char *sql, char *buf,
                      size_t cap, enum n1_server_fail *fail,
                      struct n1_error *err)
{
    MYSQL_RES *res;
    MYSQL_ROW r;
    size_t len = 0;
    int n = 0;

    buf[0] = '\0';
    if (query_row(s, sql, &res, &r, fail, err) != 0) {
        return -1;
    }
    for (; r != NULL; r = mysql_fetch_row(res)) {
        int w = snprintf(buf + len, cap - len, "%s'%s'", n > 0 ? ", " : "",
                         r[0] != NULL ? r[0] : "");

        if (w > 0 && (size_t)w < cap - len) {
            len += (size_t)w;
        }
        n++;
    }
    mysql_free_result(res);
    return n;
}

static int setup_fail(enum n1_server_fail *fail)
{
    if (fail != NULL) {
        *fail = N1_SERVER_FAIL_SETUP;
    }
    return -1;
}

/*
 * Checks that performance_schema is on and that the consumers and the
 * statement instruments a poll needs are enabled; reads the ring's size
 * and the SQL_TEXT cap. Returns 0, or -1 with err naming the fix.
 */
static int check_setup(struct n1_server *s, enum n1_server_fail *fail,
                       struct n1_error *err)
{
    MYSQL_RES *res;
    MYSQL_ROW r;
    char names[200];
    int on;
    int n;

    if (query_row(s,
                  TAG
                  "SELECT @@performance_schema, "
                  "@@performance_schema_events_statements_history_long_size, "
                  "@@performance_schema_max_sql_text_length",
                  &res, &r, fail, err) != 0) {
        return -1;
    }
    on = r != NULL && r[0] != NULL && strcmp(r[0], "1") == 0;
    s->st.history = r != NULL && r[1] != NULL ? strtoull(r[1], NULL, 10) : 0;
    s->st.text_max = r != NULL && r[2] != NULL ? strtoull(r[2], NULL, 10) : 0;
    mysql_free_result(res);
    if (!on) {
        n1_err_set(err, N1_ESYS, NULL, 0,
                   "performance_schema is off on %s: start the server "
                   "with performance_schema=ON and "
                   "performance-schema-consumer-events-statements-history-"
                   "long=ON",
                   s->where);
        return setup_fail(fail);
    }
    n = list_names(s,
                   TAG "SELECT NAME FROM performance_schema.setup_consumers "
                       "WHERE ENABLED <> 'YES' AND NAME IN "
                       "('global_instrumentation', 'thread_instrumentation', "
                       "'events_statements_current', "
                       "'events_statements_history_long') ORDER BY NAME",
                   names, sizeof(names), fail, err);
    if (n != 0) {
        if (n > 0) {
            n1_err_set(err, N1_ESYS, NULL, 0,
                       "consumers off on %s; run UPDATE "
                       "performance_schema.setup_consumers SET ENABLED='YES' "
                       "WHERE NAME IN (%s)",
                       s->where, names);
        }
        return n > 0 ? setup_fail(fail) : -1;
    }
    n = list_names(s,
                   TAG "SELECT NAME FROM performance_schema.setup_instruments "
                       "WHERE (ENABLED <> 'YES' OR TIMED <> 'YES') AND NAME IN "
                       "('statement/sql/select', 'statement/sql/insert', "
                       "'statement/sql/update', 'statement/sql/delete')",
                   names, sizeof(names), fail, err);
    if (n != 0) {
        if (n > 0) {
            n1_err_set(err, N1_ESYS, NULL, 0,
                       "statement instruments off on %s; run UPDATE "
                       "performance_schema.setup_instruments SET "
                       "ENABLED='YES', TIMED='YES' WHERE NAME LIKE "
                       "'statement/%%'",
                       s->where);
        }
        return n > 0 ? setup_fail(fail) : -1;
    }
    return 0;
}

/* Points the result binds at the row buffers. */
static int bind_row(struct n1_server *s, struct n1_error *err)
{
    struct ring_row *w = &s->row;
    static const size_t text_cols[] = {C_NESTING, C_NAME, C_SCHEMA,
                                       C_USER,    C_HOST, C_TEXT};
    char *bufs[] = {w->nesting, w->name, w->schema, w->user, w->host, NULL};
    size_t caps[] = {sizeof(w->nesting), sizeof(w->name), sizeof(w->schema),
                     sizeof(w->user),    sizeof(w->host), 0};

    caps[5] = (size_t)s->st.text_max + TEXT_SLACK;
    w->text = malloc(caps[5] + 1);
    if (w->text == NULL) {
        n1_err_oom(err, "the SQL_TEXT buffer");
        return -1;
    }
    bufs[5] = w->text;
    memset(w->bind, 0, sizeof(w->bind));
    for (size_t i = 0; i < C_NUMS; i++) {
        w->bind[i].buffer_type = MYSQL_TYPE_LONGLONG;
        w->bind[i].buffer = &w->num[i];
        w->bind[i].is_unsigned = 1;
        w->bind[i].is_null = &w->null[i];
    }
    for (size_t i = 0; i < sizeof(text_cols) / sizeof(text_cols[0]); i++) {
        MYSQL_BIND *b = &w->bind[text_cols[i]];

        b->buffer_type = MYSQL_TYPE_STRING;
        b->buffer = bufs[i];
        b->buffer_length = caps[i] - 1;
        b->is_null = &w->null[text_cols[i]];
        b->length = &w->len[text_cols[i]];
    }
    return 0;
}

/* Prepares the ring query and binds its result. */
static int prepare_ring(struct n1_server *s, enum n1_server_fail *fail,
                        struct n1_error *err)
{
    s->ring = mysql_stmt_init(s->my);
    if (s->ring == NULL) {
        n1_err_oom(err, "preparing the ring query");
        return -1;
    }
    if (mysql_stmt_prepare(s->ring, RING_SQL, sizeof(RING_SQL) - 1) != 0) {
        if (fail != NULL) {
            *fail = N1_SERVER_FAIL_QUERY;
        }
        n1_err_set(err, N1_ESYS, NULL, 0, "preparing the ring query on %s: %s",
                   s->where, mysql_stmt_error(s->ring));
        return -1;
    }
    return bind_row(s, err);
}

struct n1_server *n1_server_open(const struct n1_server_opts *o,
                                 const char *name, enum n1_server_fail *fail,
                                 struct n1_error *err)
{
    struct n1_server *s = calloc(1, sizeof(*s));

    if (fail != NULL) {
        *fail = N1_SERVER_FAIL_NONE;
    }
    if (s == NULL) {
        n1_err_oom(err, "the server source");
        return NULL;
    }
    s->name = name;
    s->st.from = "performance_schema.events_statements_history_long";
    if (connect_server(s, o, fail, err) != 0 ||
        check_setup(s, fail, err) != 0 ||
        query_u64(s,
                  TAG "SELECT THREAD_ID FROM performance_schema.threads "
                      "WHERE PROCESSLIST_ID = CONNECTION_ID()",
                  0, &s->self, fail, err) != 0 ||
        query_u64(s, TAG "SHOW GLOBAL STATUS LIKE 'Uptime'", 1, &s->uptime,
                  fail, err) != 0 ||
        prepare_ring(s, fail, err) != 0) {
        n1_server_close(s);
        return NULL;
    }
    s->started_us = wall_us() - (int64_t)s->uptime * 1000000;
    return s;
}

/* ---- threads ----------------------------------------------------------- */

/* The entry of thread, created (conn 0, mark 0) when new; NULL when
   memory ran out. Past MAX_THREADS the oldest thread is forgotten. */
static struct thr *thr_get(struct n1_server *s, uint64_t thread, int *is_new)
{
    void *v = s->thr;
    struct thr *t;

    t = n1_thread_slot(&v, &s->n_thr, &s->cap_thr, sizeof(*t), thread, is_new);
    s->thr = v;
    if (t != NULL && *is_new && s->n_thr > MAX_THREADS && t != s->thr) {
        /* Thread ids only grow: the lowest is the oldest. */
        memmove(s->thr, s->thr + 1, (s->n_thr - 1) * sizeof(s->thr[0]));
        s->n_thr--;
        t--;
    }
    return t;
}

int n1_server_set_mark(struct n1_server *s, uint64_t thread, uint64_t mark)
{
    int is_new;
    struct thr *t = thr_get(s, thread, &is_new);

    if (t == NULL) {
        return -1;
    }
    t->mark = mark;
    return 0;
}

void n1_server_marks(const struct n1_server *s,
                     void (*cb)(void *ud, uint64_t thread, uint64_t mark),
                     void *ud)
{
    for (size_t i = 0; i < s->n_thr; i++) {
        if (s->thr[i].mark > 0) {
            cb(ud, s->thr[i].thread, s->thr[i].mark);
        }
    }
}

/* ---- polling ----------------------------------------------------------- */

/* The string column c of the row, "" when NULL. */
static const char *col_text(struct ring_row *w, enum col c, char *buf)
{
    if (w->null[c]) {
        return "";
    }
    buf[w->len[c] < w->bind[c].buffer_length ? w->len[c]
                                             : w->bind[c].buffer_length] = '\0';
    return buf;
}

/*
 * Decides what a new row is: 1 an event to hand out, 0 one to skip
 * (counted), after updating the thread's mark and the lost count.
 */
static int judge_row(struct n1_server *s, struct thr *t, int is_new,
                     uint64_t prev_max)
{
    struct ring_row *w = &s->row;
    uint64_t ev = w->num[C_EVENT];
    uint64_t end = w->null[C_END_EVENT] ? ev : w->num[C_END_EVENT];

    if (t->mark > 0 && ev > t->mark + 1) {
        s->st.lost += ev - t->mark - 1;
    } else if (t->mark == 0 && is_new && s->st.polls > 0 &&
               t->thread > prev_max && ev > 1) {
        /* Began since the last poll: every event of it is new. */
        s->st.lost += ev - 1;
    }
    if (end > t->mark) {
        t->mark = end;
    }
    if (!w->null[C_TIMER_END] && w->num[C_TIMER_END] > s->end_seen) {
        s->end_seen = w->num[C_TIMER_END];
    }
    s->st.rows++;
    if (!w->null[C_NESTING] && w->len[C_NESTING] == 9 &&
        memcmp(w->nesting, "STATEMENT", 9) == 0) {
        s->st.nested++;
        return 0;
    }
    if (w->null[C_TEXT]) {
        s->st.no_text++;
        return 0;
    }
    if (w->len[C_TEXT] >= sizeof(TAG) - 1 &&
        memcmp(w->text, TAG, sizeof(TAG) - 1) == 0) {
        return 0; /* an earlier run's own: read, so no gap, but not ours */
    }
    if ((s->st.text_max > 0 && w->len[C_TEXT] >= s->st.text_max) ||
        (w->len[C_TEXT] >= 3 &&
         w->len[C_TEXT] <= w->bind[C_TEXT].buffer_length &&
         memcmp(w->text + w->len[C_TEXT] - 3, "...", 3) == 0)) {
        s->st.cut++;
        return 0;
    }
    return 1;
}

/* Fills *ev from the row fetched last, for thread t. */
static void row_event(struct n1_server *s, struct thr *t, struct n1_event *ev)
{
    struct ring_row *w = &s->row;

    memset(ev, 0, sizeof(*ev));
    if (!w->null[C_CONN]) {
        t->conn = w->num[C_CONN];
        snprintf(t->user, sizeof(t->user), "%s", col_text(w, C_USER, w->user));
        snprintf(t->host, sizeof(t->host), "%s", col_text(w, C_HOST, w->host));
    }
    ev->file = s->name;
    ev->offset = s->st.events;
    ev->end_offset = s->st.events + 1;
    ev->line = (unsigned long)w->num[C_EVENT];
    ev->ts_us = s->started_us + (int64_t)(w->num[C_TIMER_START] / 1000000);
    ev->conn_id = t->conn != 0 ? t->conn : NO_CONN_BIT | t->thread;
    ev->cmd = N1_CMD_QUERY;
    ev->command = "Query";
    ev->user = t->user;
    ev->host = t->host;
    ev->db = col_text(w, C_SCHEMA, w->schema);
    ev->sql = col_text(w, C_TEXT, w->text);
    ev->sql_len = strlen(ev->sql);
    if (n1_secret_mask(ev->sql, ev->sql_len, &s->mask) != 0) {
        /* Masked, or (no memory) emptied: never the password. */
        ev->sql = n1_strbuf_str(&s->mask);
        ev->sql_len = s->mask.len;
    }
    ev->metric[N1_M_QUERY_TIME] = (double)w->num[C_TIMER_WAIT] / 1e12;
    ev->metric[N1_M_LOCK_TIME] = (double)w->num[C_LOCK_TIME] / 1e12;
    ev->metric[N1_M_ROWS_SENT] = (double)w->num[C_ROWS_SENT];
    ev->metric[N1_M_ROWS_EXAMINED] = (double)w->num[C_ROWS_EXAMINED];
    ev->metric[N1_M_ROWS_AFFECTED] = (double)w->num[C_ROWS_AFFECTED];
    ev->metric_mask = 1u << N1_M_QUERY_TIME | 1u << N1_M_LOCK_TIME |
                      1u << N1_M_ROWS_SENT | 1u << N1_M_ROWS_EXAMINED |
                      1u << N1_M_ROWS_AFFECTED;
    ev->flags = N1_EV_TS_EXACT | N1_EV_TS_FINE;
}

/* Runs the ring query with its two parameters and buffers the result. */
static int run_ring(struct n1_server *s, enum n1_server_fail *fail,
                    struct n1_error *err)
{
    MYSQL_BIND par[2];
    unsigned long long v[2];

    v[0] = s->self;
    v[1] = s->end_seen > END_SLACK_PS ? s->end_seen - END_SLACK_PS : 0;
    memset(par, 0, sizeof(par));
    for (size_t i = 0; i < 2; i++) {
        par[i].buffer_type = MYSQL_TYPE_LONGLONG;
        par[i].buffer = &v[i];
        par[i].is_unsigned = 1;
    }
    if (mysql_stmt_bind_param(s->ring, par) != 0 ||
        mysql_stmt_execute(s->ring) != 0 ||
        mysql_stmt_bind_result(s->ring, s->row.bind) != 0 ||
        mysql_stmt_store_result(s->ring) != 0) {
        if (fail != NULL) {
            *fail = n1_conn_lost(mysql_stmt_errno(s->ring))
                        ? N1_SERVER_FAIL_CONNECT
                        : N1_SERVER_FAIL_QUERY;
        }
        n1_err_set(err, N1_ESYS, NULL, 0,
                   "reading the statement history on "
                   "%s: %s",
                   s->where, mysql_stmt_error(s->ring));
        return -1;
    }
    return 0;
}

/* The uptime and the largest thread id; a smaller uptime than last time
   is a restart: every mark goes. */
static int poll_head(struct n1_server *s, uint64_t *max_thread,
                     enum n1_server_fail *fail, struct n1_error *err)
{
    uint64_t up;

    if (query_u64(s, TAG "SHOW GLOBAL STATUS LIKE 'Uptime'", 1, &up, fail,
                  err) != 0 ||
        query_u64(s,
                  TAG "SELECT MAX(THREAD_ID) FROM performance_schema.threads",
                  0, max_thread, fail, err) != 0) {
        return -1;
    }
    if (up < s->uptime) {
        s->n_thr = 0;
        s->end_seen = 0;
        s->started_us = wall_us() - (int64_t)up * 1000000;
    }
    s->uptime = up;
    return 0;
}

int n1_server_poll(struct n1_server *s, n1_server_event_fn fn, void *ud,
                   enum n1_server_fail *fail, struct n1_error *err)
{
    uint64_t prev_max = s->max_thread;
    uint64_t max_thread = 0;
    int rc = -1;
    int got;

    if (fail != NULL) {
        *fail = N1_SERVER_FAIL_NONE;
    }
    if (poll_head(s, &max_thread, fail, err) != 0 ||
        run_ring(s, fail, err) != 0) {
        return -1;
    }
    while ((got = mysql_stmt_fetch(s->ring)) == 0 ||
           got == MYSQL_DATA_TRUNCATED) {
        struct n1_event ev;
        int is_new;
        struct thr *t = thr_get(s, s->row.num[C_THREAD], &is_new);

        if (t == NULL) {
            n1_err_oom(err, "remembering a server thread");
            goto out;
        }
        if (s->row.num[C_EVENT] <= t->mark && !is_new) {
            continue; /* read by an earlier poll */
        }
        if (!judge_row(s, t, is_new, prev_max)) {
            continue;
        }
        row_event(s, t, &ev);
        s->st.events++;
        if (fn(ud, &ev, err) != 0) {
            goto out;
        }
    }
    if (got != MYSQL_NO_DATA) {
        my_fail(s, N1_SERVER_FAIL_QUERY, fail, "fetching the history", err);
        goto out;
    }
    rc = 0;
out:
    mysql_stmt_free_result(s->ring);
    s->max_thread = max_thread;
    s->st.polls++;
    return rc;
}

int64_t n1_server_started(const struct n1_server *s)
{
    return s->started_us;
}

const struct n1_server_stats *n1_server_stats(const struct n1_server *s)
{
    return &s->st;
}

void n1_server_close(struct n1_server *s)
{
    if (s == NULL) {
        return;
    }
    if (s->ring != NULL) {
        mysql_stmt_close(s->ring);
    }
    if (s->my != NULL) {
        mysql_close(s->my);
    }
    free(s->row.text);
    free(s->thr);
    n1_strbuf_cleanup(&s->mask);
    free(s);
}

/* ---- the source table --------------------------------------------------- */

static void *ps_open(const struct n1_server_opts *o, const char *name,
                     enum n1_server_fail *fail, struct n1_error *err)
{
    return n1_server_open(o, name, fail, err);
}

static int ps_poll(void *s, n1_server_event_fn fn, void *ud,
                   enum n1_server_fail *fail, struct n1_error *err)
{
    return n1_server_poll(s, fn, ud, fail, err);
}

static int64_t ps_started(const void *s)
{
    return n1_server_started(s);
}

static int ps_set_mark(void *s, uint64_t thread, uint64_t mark)
{
    return n1_server_set_mark(s, thread, mark);
}

static void ps_marks(const void *s, n1_server_mark_fn cb, void *ud)
{
    n1_server_marks(s, cb, ud);
}

static const struct n1_server_stats *ps_stats(const void *s)
{
    return n1_server_stats(s);
}

static void ps_close(void *s)
{
    n1_server_close(s);
}

const struct n1_server_source *n1_server_source_find(const char *kind)
{
    static const struct n1_server_source perfschema = {
        "perfschema", ps_open,  ps_poll,  ps_started,
        ps_set_mark,  ps_marks, ps_stats, ps_close,
    };

    if (strcmp(kind, perfschema.kind) == 0) {
        return &perfschema;
    }
    if (strcmp(kind, n1_server_table_source()->kind) == 0) {
        return n1_server_table_source();
    }
    return NULL;
}
