/* SPDX-License-Identifier: MIT */
/*
 * server_table.c: events out of a server's log tables (server_table.h).
 *
 * One connection, one prepared statement a poll: the rows of
 * mysql.general_log from a lower bound on, ordered by time and thread.
 * The bound is the newest time seen less a slack (rows of concurrent
 * connections are not written exactly in time order); the per-thread
 * marks (server_mark.h) drop what the bound lets through twice. Our own
 * connection's rows are left out by CONNECTION_ID(), an earlier run's by
 * the tag that leads each of our statements.
 *
 * Times are read as UNIX_TIMESTAMP() microseconds with the session's time
 * zone set to UTC, so that no daylight-saving hour is ambiguous. The
 * schema of a general_log row is not in the table: as the file reader
 * does, a thread's schema comes from its Connect ("user@host on db"),
 * Init DB and "use db" rows; user and host come from user_host.
 */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/secret.h"
#include "read/reader.h"
#include "read/reader_int.h"
#include "read/server_mark.h"
#include "read/server_table.h"

#define TAG         "/* n1digest live */ "
#define SLACK_S     2u              /* lower bound: newest time less this */
#define TEXT_CAP    (1024u * 1024u) /* longer statements are counted cut */
#define MAX_SCHEMAS 4096u           /* threads whose schema is kept */

/* Columns of the poll query, in select order. */
enum tcol {
    T_THREAD = 0,
    T_TIME,
    T_NUMS, /* the numeric columns end here */
    T_USER_HOST = T_NUMS,
    T_COMMAND,
    T_TEXT,
    T_COUNT
};

static const char GENERAL_SQL[] =
    TAG "SELECT thread_id, CAST(UNIX_TIMESTAMP(event_time) * 1000000 AS "
        "UNSIGNED), user_host, command_type, argument FROM mysql.general_log "
        "WHERE thread_id <> CONNECTION_ID() AND event_time >= FROM_UNIXTIME(?) "
        "ORDER BY event_time, thread_id";

/* The schema a general_log thread is in. */
struct schema {
    uint64_t thread;
    char db[192];
};

struct n1_server_table {
    MYSQL *my;
    MYSQL_STMT *q;
    MYSQL_BIND bind[T_COUNT];
    unsigned long long num[T_NUMS];
    my_bool null[T_COUNT];
    unsigned long len[T_COUNT];
    char user_host[512];
    char command[64];
    char *text;       /* TEXT_CAP + 1 bytes */
    const char *name; /* every event's file; borrowed */
    char where[128];  /* the host (or socket) for messages */
    uint64_t newest;  /* newest row time read, UTC us: the next lower
                         bound less SLACK_S */
    struct n1_tmarks *marks;
    struct schema *schemas; /* general_log threads' schemas, oldest first */
    size_t n_schemas;
    struct n1_strbuf mask; /* a statement with its passwords masked */
    struct n1_server_stats st;
};

/* A failed client call: the client's message, naming where, in err. */
static int tfail(struct n1_server_table *s, const char *doing,
                 enum n1_server_fail *fail, struct n1_error *err)
{
    unsigned code = s->q != NULL && mysql_stmt_errno(s->q) != 0
                        ? mysql_stmt_errno(s->q)
                        : mysql_errno(s->my);
    const char *msg = s->q != NULL && mysql_stmt_errno(s->q) != 0
                          ? mysql_stmt_error(s->q)
                          : mysql_error(s->my);

    if (fail != NULL) {
        *fail =
            n1_conn_lost(code) ? N1_SERVER_FAIL_CONNECT : N1_SERVER_FAIL_QUERY;
    }
    n1_err_set(err, N1_ESYS, NULL, 0, "%s on %s: %s", doing, s->where, msg);
    return -1;
}

/* ---- opening ----------------------------------------------------------- */

/*
 * Checks that log_output includes TABLE and that the general log is on.
 * Returns 0, or -1 with err giving the SQL that turns them on.
 */
static int check_setup(struct n1_server_table *s, enum n1_server_fail *fail,
                       struct n1_error *err)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW r = NULL;
    int table = 0;
    int general = 0;

    if (mysql_query(s->my, TAG "SELECT FIND_IN_SET('TABLE', @@log_output) "
                               "> 0, @@general_log") != 0 ||
        (res = mysql_store_result(s->my)) == NULL) {
        return tfail(s, "reading the log settings", fail, err);
    }
    r = mysql_fetch_row(res);
    if (r != NULL) {
        table = r[0] != NULL && strcmp(r[0], "1") == 0;
        general = r[1] != NULL && strcmp(r[1], "1") == 0;
    }
    mysql_free_result(res);
    if (!table || !general) {
        if (fail != NULL) {
            *fail = N1_SERVER_FAIL_SETUP;
        }
        n1_err_set(err, N1_ESYS, NULL, 0,
                   "%s on %s; run " N1_SERVER_TABLE_SETUP,
                   !table ? "log_output does not include TABLE"
                          : "the general log is off",
                   s->where);
        return -1;
    }
    return 0;
}

/* Points the result binds at the row buffers. */
static void bind_row(struct n1_server_table *s)
{
    char *bufs[] = {s->user_host, s->command, s->text};
    size_t caps[] = {sizeof(s->user_host), sizeof(s->command), TEXT_CAP + 1};

    memset(s->bind, 0, sizeof(s->bind));
    for (size_t i = 0; i < T_COUNT; i++) {
        MYSQL_BIND *b = &s->bind[i];

        b->is_null = &s->null[i];
        b->length = &s->len[i];
        if (i < T_NUMS) {
            b->buffer_type = MYSQL_TYPE_LONGLONG;
            b->buffer = &s->num[i];
            b->is_unsigned = 1;
        } else {
            b->buffer_type = MYSQL_TYPE_STRING;
            b->buffer = bufs[i - T_NUMS];
            b->buffer_length = caps[i - T_NUMS] - 1;
        }
    }
}

static void *table_open(const struct n1_server_opts *o, const char *name,
                        enum n1_server_fail *fail, struct n1_error *err);
static void table_close(void *p);

/* Connects, sets the session to UTC, picks the table and prepares the
   poll. Returns 0, or -1 with err and *fail set. */
static int table_start(struct n1_server_table *s,
                       const struct n1_server_opts *o,
                       enum n1_server_fail *fail, struct n1_error *err)
{
    n1_conn_where(o, s->where, sizeof(s->where));
    s->my = n1_conn_open(o, fail, err);
    if (s->my == NULL) {
        return -1;
    }
    if (mysql_query(s->my, TAG "SET time_zone = '+00:00'") != 0) {
        return tfail(s, "setting the time zone", fail, err);
    }
    if (check_setup(s, fail, err) != 0) {
        return -1;
    }
    s->q = mysql_stmt_init(s->my);
    if (s->q == NULL) {
        n1_err_oom(err, "preparing the log table query");
        return -1;
    }
    if (mysql_stmt_prepare(s->q, GENERAL_SQL, sizeof(GENERAL_SQL) - 1) != 0) {
        return tfail(s, "reading the log table (SELECT on it granted?)", fail,
                     err);
    }
    bind_row(s);
    return 0;
}

static void *table_open(const struct n1_server_opts *o, const char *name,
                        enum n1_server_fail *fail, struct n1_error *err)
{
    struct n1_server_table *s = calloc(1, sizeof(*s));

    if (fail != NULL) {
        *fail = N1_SERVER_FAIL_NONE;
    }
    if (s == NULL || (s->text = malloc(TEXT_CAP + 1)) == NULL ||
        (s->marks = n1_tmarks_new()) == NULL) {
        n1_err_oom(err, "the log table source");
        table_close(s);
        return NULL;
    }
    s->name = name;
    s->st.text_max = TEXT_CAP;
    s->st.from = "mysql.general_log";
    n1_strbuf_init(&s->mask, 0);
    if (table_start(s, o, fail, err) != 0) {
        table_close(s);
        return NULL;
    }
    return s;
}

/* ---- schemas ----------------------------------------------------------- */

/* The schema slot of thread, made (empty) when create is set and it has
   none, the oldest forgotten past MAX_SCHEMAS; NULL when none or no
   memory. */
static struct schema *schema_of(struct n1_server_table *s, uint64_t thread,
                                int create)
{
    struct schema *v;

    for (size_t i = s->n_schemas; i > 0; i--) {
        if (s->schemas[i - 1].thread == thread) {
            return &s->schemas[i - 1];
        }
    }
    if (!create) {
        return NULL;
    }
    if (s->n_schemas == MAX_SCHEMAS) {
        memmove(s->schemas, s->schemas + 1,
                (s->n_schemas - 1) * sizeof(s->schemas[0]));
        s->n_schemas--;
    }
    v = realloc(s->schemas, (s->n_schemas + 1) * sizeof(*v));
    if (v == NULL) {
        return NULL;
    }
    s->schemas = v;
    v = &s->schemas[s->n_schemas++];
    v->thread = thread;
    v->db[0] = '\0';
    return v;
}

static void set_db(struct schema *sc, const char *db, size_t len)
{
    if (sc != NULL) {
        snprintf(sc->db, sizeof(sc->db), "%.*s", (int)len, db);
    }
}

/* Follows a general_log thread's schema through its session events and
   "use db"; returns the schema to give the event ("" when unknown). */
static const char *track_db(struct n1_server_table *s, struct n1_event *ev)
{
    struct schema *sc = NULL;
    const char *db = NULL;
    size_t dlen = 0;
    const char *at;

    if (ev->cmd == N1_CMD_CONNECT) {
        sc = schema_of(s, ev->conn_id, 1);
        at = memchr(ev->sql, '@', ev->sql_len);
        if (at != NULL &&
            rd_general_on_db(at, ev->sql_len - (size_t)(at - ev->sql), &db,
                             &dlen)) {
            set_db(sc, db, dlen);
        }
    } else if (ev->cmd == N1_CMD_INIT_DB) {
        set_db(schema_of(s, ev->conn_id, 1), ev->sql, ev->sql_len);
    } else if (ev->cmd == N1_CMD_QUERY &&
               rd_general_use(ev->sql, ev->sql_len, &db, &dlen)) {
        set_db(schema_of(s, ev->conn_id, 1), db, dlen);
    }
    sc = schema_of(s, ev->conn_id, 0);
    return sc != NULL ? sc->db : "";
}

/* Forgets a thread that quit. */
static void drop_db(struct n1_server_table *s, uint64_t thread)
{
    struct schema *sc = schema_of(s, thread, 0);

    if (sc != NULL) {
        size_t i = (size_t)(sc - s->schemas);

        memmove(sc, sc + 1, (s->n_schemas - i - 1) * sizeof(*sc));
        s->n_schemas--;
    }
}

/* ---- polling ----------------------------------------------------------- */

/* The string column c, NUL-terminated in its buffer ("" when NULL). */
static const char *tcol_text(struct n1_server_table *s, enum tcol c)
{
    char *buf = s->bind[c].buffer;
    unsigned long cap = s->bind[c].buffer_length;

    if (s->null[c]) {
        return "";
    }
    buf[s->len[c] < cap ? s->len[c] : cap] = '\0';
    return buf;
}

/*
 * Decides what a fetched row is: 1 an event to hand out, 0 one to skip
 * (read before, or counted as skipped), -1 when memory ran out.
 */
static int judge(struct n1_server_table *s)
{
    int rc;

    if (s->num[T_TIME] > s->newest) {
        s->newest = s->num[T_TIME];
    }
    rc = n1_tmarks_judge(s->marks, s->num[T_THREAD], s->num[T_TIME]);
    if (rc <= 0) {
        return rc;
    }
    s->st.rows++;
    if (s->null[T_TEXT]) {
        s->st.no_text++;
        return 0;
    }
    if (s->len[T_TEXT] > TEXT_CAP) {
        s->st.cut++;
        return 0;
    }
    if (s->len[T_TEXT] >= sizeof(TAG) - 1 &&
        memcmp(s->text, TAG, sizeof(TAG) - 1) == 0) {
        return 0; /* an earlier run's own statement */
    }
    return 1;
}

/* Fills *ev from the row fetched last. uh_user and uh_host receive the
   user and host (cap bytes each). */
static void row_event(struct n1_server_table *s, struct n1_event *ev,
                      char *uh_user, char *uh_host, size_t cap)
{
    const char *uh = tcol_text(s, T_USER_HOST);
    const char *word = tcol_text(s, T_COMMAND);
    struct n1_user_host p;

    memset(ev, 0, sizeof(*ev));
    n1_user_host_parse(uh, strlen(uh), &p);
    snprintf(uh_user, cap, "%.*s", (int)p.user_len, p.user);
    snprintf(uh_host, cap, "%.*s", (int)p.host_len, p.host);
    ev->file = s->name;
    ev->offset = s->st.events;
    ev->end_offset = s->st.events + 1;
    ev->line = (unsigned long)(s->st.events + 1);
    ev->ts_us = (int64_t)s->num[T_TIME];
    ev->conn_id = s->num[T_THREAD];
    ev->cmd = rd_general_command(word, strlen(word), &ev->command);
    if (ev->command == NULL) {
        ev->command = word;
    }
    ev->user = uh_user;
    ev->host = uh_host;
    ev->sql = tcol_text(s, T_TEXT);
    ev->sql_len = s->len[T_TEXT];
    if (n1_secret_mask(ev->sql, ev->sql_len, &s->mask) != 0) {
        /* Masked, or (no memory) emptied: never the password. */
        ev->sql = n1_strbuf_str(&s->mask);
        ev->sql_len = s->mask.len;
    }
    ev->db = track_db(s, ev);
    ev->flags = N1_EV_TS_EXACT | N1_EV_TS_FINE;
}

/* Runs the poll query from the lower bound (seconds) on. */
static int run_query(struct n1_server_table *s, enum n1_server_fail *fail,
                     struct n1_error *err)
{
    MYSQL_BIND par;
    unsigned long long from = s->newest / 1000000;

    from = from > SLACK_S ? from - SLACK_S : 0;
    memset(&par, 0, sizeof(par));
    par.buffer_type = MYSQL_TYPE_LONGLONG;
    par.buffer = &from;
    par.is_unsigned = 1;
    if (mysql_stmt_bind_param(s->q, &par) != 0 ||
        mysql_stmt_execute(s->q) != 0 ||
        mysql_stmt_bind_result(s->q, s->bind) != 0) {
        return tfail(s, "reading the log table", fail, err);
    }
    return 0;
}

static int table_poll(void *p, n1_server_event_fn fn, void *ud,
                      enum n1_server_fail *fail, struct n1_error *err)
{
    struct n1_server_table *s = p;
    char user[256];
    char host[256];
    int rc = -1;
    int got;

    if (fail != NULL) {
        *fail = N1_SERVER_FAIL_NONE;
    }
    if (run_query(s, fail, err) != 0) {
        return -1;
    }
    n1_tmarks_poll_begin(s->marks);
    /* Rows are read as they come (no client-side copy of the table):
       nothing else runs on the connection until the last one. */
    while ((got = mysql_stmt_fetch(s->q)) == 0 || got == MYSQL_DATA_TRUNCATED) {
        struct n1_event ev;
        int j = judge(s);

        if (j < 0) {
            n1_err_oom(err, "remembering a server thread");
            goto out;
        }
        if (j == 0) {
            continue;
        }
        row_event(s, &ev, user, host, sizeof(user));
        s->st.events++;
        if (fn(ud, &ev, err) != 0) {
            goto out;
        }
        if (ev.cmd == N1_CMD_QUIT) {
            drop_db(s, ev.conn_id);
        }
    }
    if (got != MYSQL_NO_DATA) {
        tfail(s, "fetching the log table", fail, err);
        goto out;
    }
    rc = 0;
out:
    mysql_stmt_free_result(s->q);
    if (s->newest > 3600000000ull) {
        /* An hour below the bound: no later row can reach those marks. */
        n1_tmarks_prune(s->marks, s->newest - 3600000000ull);
    }
    s->st.polls++;
    return rc;
}

static int64_t table_started(const void *p)
{
    (void)p;
    return 0; /* marks are times: they outlive a restart */
}

static int table_set_mark(void *p, uint64_t thread, uint64_t mark)
{
    struct n1_server_table *s = p;

    if (n1_tmarks_set(s->marks, thread, mark) != 0) {
        return -1;
    }
    if (n1_tmarks_newest(s->marks) > s->newest) {
        s->newest = n1_tmarks_newest(s->marks);
    }
    return 0;
}

static void table_marks(const void *p, n1_server_mark_fn cb, void *ud)
{
    const struct n1_server_table *s = p;

    n1_tmarks_each(s->marks, cb, ud);
}

static const struct n1_server_stats *table_stats(const void *p)
{
    const struct n1_server_table *s = p;

    return &s->st;
}

static void table_close(void *p)
{
    struct n1_server_table *s = p;

    if (s == NULL) {
        return;
    }
    if (s->q != NULL) {
        mysql_stmt_close(s->q);
    }
    if (s->my != NULL) {
        mysql_close(s->my);
    }
    n1_tmarks_free(s->marks);
    n1_strbuf_cleanup(&s->mask);
    free(s->schemas);
    free(s->text);
    free(s);
}

const struct n1_server_source *n1_server_table_source(void)
{
    static const struct n1_server_source table = {
        "table",        table_open,  table_poll,  table_started,
        table_set_mark, table_marks, table_stats, table_close,
    };

    return &table;
}
