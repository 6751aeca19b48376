/* SPDX-License-Identifier: MIT */
/*
 * workload.c: drive a real MariaDB/MySQL server with a known workload and
 * write down every command it sent.
 *
 * usage: n1_workload --socket PATH --manifest FILE [--scenario NAME]
 *
 * The program opens several connections through libmysqlclient and runs a
 * fixed script of statements on them: plain queries, the text protocol's
 * Init DB, and server-side prepared statements (the binary protocol) with
 * bound parameters. Each command is appended to the manifest as one JSON
 * object per line, after the server has answered it:
 *
 *   {"seq":1,"conn":12,"kind":"query","db":"n1_app","sql":"SELECT 1"}
 *
 * seq     order in which the commands were sent (1-based)
 * conn    mysql_thread_id() of the connection: the id both logs carry
 * kind    connect, query, init_db, prepare, execute, close_stmt or quit
 * db      the connection's schema when the command was sent ("" if none)
 * db_after  only when the command changed the schema (USE, Init DB)
 * sql     the exact bytes sent: the statement, the schema for init_db, the
 *         prepared text (with ?) for prepare and execute
 * params  execute only: [{"type":"int"|"string"|"null","value":...}]
 * error   only for a command that was meant to fail: the server's errno
 *
 * Integration tests compare what n1scan reads back from the server's logs
 * with this manifest, so every statement text is a program constant and
 * data in prepared statements travels only as bound parameters. Any
 * unexpected API result ends the program with a one-line message and exit
 * status 1; nothing is retried.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <mysqld_error.h>

#define MAX_CONNS 8
#define MAX_PARAMS 4
#define DB_LEN 64

/* One client connection and the schema it is in, as the client knows it. */
struct conn {
    MYSQL *my;           /* the handle; NULL when closed */
    unsigned long id;    /* mysql_thread_id() */
    char db[DB_LEN + 1]; /* current schema; "" when none */
};

enum param_type {
    P_INT = 0, /* MYSQL_TYPE_LONGLONG */
    P_STRING,  /* MYSQL_TYPE_STRING */
    P_NULL     /* MYSQL_TYPE_NULL */
};

struct param {
    enum param_type type;
    long long i;   /* P_INT */
    const char *s; /* P_STRING: NUL-terminated UTF-8 */
};

/* A prepared statement and the text it was prepared from. */
struct pstmt {
    MYSQL_STMT *st;  /* NULL when closed */
    struct conn *c;  /* the connection it belongs to; borrowed */
    const char *sql; /* program constant */
};

struct workload {
    const char *socket; /* server socket path */
    FILE *manifest;     /* JSON Lines output */
    unsigned long seq;  /* last seq written */
};

#if defined(__GNUC__) || defined(__clang__)
#define N1_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define N1_NORETURN __attribute__((noreturn))
#else
#define N1_PRINTF(a, b)
#define N1_NORETURN
#endif

/* Prints "n1_workload: <message>" and exits with status 1. */
static void die(const char *fmt, ...) N1_PRINTF(1, 2) N1_NORETURN;

static void die(const char *fmt, ...)
{
    va_list ap;

    fputs("n1_workload: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/*
 * Writes s (len bytes) as a JSON string. Bytes >= 0x80 are copied as they
 * are: every text here is valid UTF-8 because it is a program constant.
 */
static void json_str(FILE *f, const char *s, size_t len)
{
    size_t i;

    fputc('"', f);
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];

        switch (ch) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        default:
            if (ch < 0x20 || ch == 0x7f) {
                fprintf(f, "\\u%04x", ch);
            } else {
                fputc(ch, f);
            }
            break;
        }
    }
    fputc('"', f);
}

/*
 * Appends one manifest line. db is the schema before the command, after is
 * the schema afterwards (written only when different), params/n_params
 * describe an execute, err is the expected errno (0: none).
 */
static void record(struct workload *w, const struct conn *c, const char *kind,
                   const char *db, const char *after, const char *sql,
                   const struct param *params, size_t n_params, unsigned err)
{
    FILE *f = w->manifest;
    size_t i;

    w->seq++;
    fprintf(f, "{\"seq\":%lu,\"conn\":%lu,\"kind\":\"%s\",\"db\":", w->seq,
            c->id, kind);
    json_str(f, db, strlen(db));
    if (after != NULL && strcmp(after, db) != 0) {
        fputs(",\"db_after\":", f);
        json_str(f, after, strlen(after));
    }
    if (sql != NULL) {
        fputs(",\"sql\":", f);
        json_str(f, sql, strlen(sql));
    }
    if (params != NULL) {
        fputs(",\"params\":[", f);
        for (i = 0; i < n_params; i++) {
            const struct param *p = &params[i];

            if (i > 0) {
                fputc(',', f);
            }
            switch (p->type) {
            case P_INT:
                fprintf(f, "{\"type\":\"int\",\"value\":%lld}", p->i);
                break;
            case P_STRING:
                fputs("{\"type\":\"string\",\"value\":", f);
                json_str(f, p->s, strlen(p->s));
                fputc('}', f);
                break;
            case P_NULL:
                fputs("{\"type\":\"null\",\"value\":null}", f);
                break;
            }
        }
        fputc(']', f);
    }
    if (err != 0) {
        fprintf(f, ",\"error\":%u", err);
    }
    fputs("}\n", f);
    if (ferror(f)) {
        die("WRITE manifest: %s", strerror(errno));
    }
}

static void set_db(struct conn *c, const char *db)
{
    size_t n = strlen(db);

    if (n > DB_LEN) {
        die("USAGE schema name too long: %s", db);
    }
    memcpy(c->db, db, n + 1);
}

/* Opens c on the socket, in schema db (NULL: none). */
static void conn_open(struct workload *w, struct conn *c, const char *db)
{
    unsigned timeout = 10;

    c->my = mysql_init(NULL);
    if (c->my == NULL) {
        die("MYSQL mysql_init: out of memory");
    }
    if (mysql_options(c->my, MYSQL_SET_CHARSET_NAME, "utf8mb4") != 0 ||
        mysql_options(c->my, MYSQL_OPT_CONNECT_TIMEOUT, &timeout) != 0) {
        die("MYSQL mysql_options: %s", mysql_error(c->my));
    }
    if (mysql_real_connect(c->my, NULL, "root", NULL, db, 0, w->socket, 0) ==
        NULL) {
        die("CONNECT %s: %s", w->socket, mysql_error(c->my));
    }
    c->id = mysql_thread_id(c->my);
    set_db(c, db != NULL ? db : "");
    record(w, c, "connect", c->db, NULL, NULL, NULL, 0, 0);
}

static void conn_close(struct workload *w, struct conn *c)
{
    mysql_close(c->my);
    c->my = NULL;
    record(w, c, "quit", c->db, NULL, NULL, NULL, 0, 0);
}

/* Reads and drops any result set the last statement produced. */
static void drain(struct conn *c, const char *sql)
{
    MYSQL_RES *res = NULL;

    res = mysql_store_result(c->my);
    if (res == NULL && mysql_field_count(c->my) != 0) {
        die("QUERY %s: fetching the result: %s", sql, mysql_error(c->my));
    }
    mysql_free_result(res);
    if (mysql_more_results(c->my)) {
        die("QUERY %s: unexpected extra result sets", sql);
    }
}

/* Sends one text-protocol statement that must succeed. */
static void query(struct workload *w, struct conn *c, const char *sql)
{
    if (mysql_real_query(c->my, sql, strlen(sql)) != 0) {
        die("QUERY %s: %s", sql, mysql_error(c->my));
    }
    drain(c, sql);
    record(w, c, "query", c->db, NULL, sql, NULL, 0, 0);
}

/* Sends a statement that must fail with errno expect. */
static void query_fail(struct workload *w, struct conn *c, const char *sql,
                       unsigned expect)
{
    unsigned got;

    if (mysql_real_query(c->my, sql, strlen(sql)) == 0) {
        die("QUERY %s: succeeded but should fail with %u", sql, expect);
    }
    got = mysql_errno(c->my);
    if (got != expect) {
        die("QUERY %s: failed with %u (%s), expected %u", sql, got,
            mysql_error(c->my), expect);
    }
    record(w, c, "query", c->db, NULL, sql, NULL, 0, expect);
}

/* Sends "USE db" (a Query, not Init DB) and follows the schema change. */
static void use_db(struct workload *w, struct conn *c, const char *sql,
                   const char *db)
{
    char before[DB_LEN + 1];

    memcpy(before, c->db, sizeof(before));
    if (mysql_real_query(c->my, sql, strlen(sql)) != 0) {
        die("QUERY %s: %s", sql, mysql_error(c->my));
    }
    drain(c, sql);
    set_db(c, db);
    record(w, c, "query", before, c->db, sql, NULL, 0, 0);
}

/* COM_INIT_DB through mysql_select_db(). */
static void select_db(struct workload *w, struct conn *c, const char *db)
{
    char before[DB_LEN + 1];

    memcpy(before, c->db, sizeof(before));
    if (mysql_select_db(c->my, db) != 0) {
        die("INIT_DB %s: %s", db, mysql_error(c->my));
    }
    set_db(c, db);
    record(w, c, "init_db", before, c->db, db, NULL, 0, 0);
}

static void prepare(struct workload *w, struct conn *c, struct pstmt *ps,
                    const char *sql)
{
    ps->c = c;
    ps->sql = sql;
    ps->st = mysql_stmt_init(c->my);
    if (ps->st == NULL) {
        die("PREPARE %s: mysql_stmt_init: %s", sql, mysql_error(c->my));
    }
    if (mysql_stmt_prepare(ps->st, sql, strlen(sql)) != 0) {
        die("PREPARE %s: %s", sql, mysql_stmt_error(ps->st));
    }
    record(w, c, "prepare", c->db, NULL, sql, NULL, 0, 0);
}

/* Binds params (as many as the statement has markers) and executes. */
static void execute(struct workload *w, struct pstmt *ps,
                    const struct param *params, size_t n)
{
    MYSQL_BIND bind[MAX_PARAMS];
    long long ints[MAX_PARAMS];
    unsigned long lens[MAX_PARAMS];
    MYSQL_RES *meta = NULL;
    size_t i;

    if (n > MAX_PARAMS || n != mysql_stmt_param_count(ps->st)) {
        die("EXECUTE %s: %zu parameters for %lu markers", ps->sql, n,
            mysql_stmt_param_count(ps->st));
    }
    memset(bind, 0, sizeof(bind));
    for (i = 0; i < n; i++) {
        switch (params[i].type) {
        case P_INT:
            ints[i] = params[i].i;
            bind[i].buffer_type = MYSQL_TYPE_LONGLONG;
            bind[i].buffer = &ints[i];
            break;
        case P_STRING:
            lens[i] = (unsigned long)strlen(params[i].s);
            bind[i].buffer_type = MYSQL_TYPE_STRING;
            bind[i].buffer = (void *)params[i].s;
            bind[i].buffer_length = lens[i];
            bind[i].length = &lens[i];
            break;
        case P_NULL:
            bind[i].buffer_type = MYSQL_TYPE_NULL;
            break;
        }
    }
    if (n > 0 && mysql_stmt_bind_param(ps->st, bind) != 0) {
        die("EXECUTE %s: bind: %s", ps->sql, mysql_stmt_error(ps->st));
    }
    if (mysql_stmt_execute(ps->st) != 0) {
        die("EXECUTE %s: %s", ps->sql, mysql_stmt_error(ps->st));
    }
    meta = mysql_stmt_result_metadata(ps->st);
    if (meta != NULL) {
        if (mysql_stmt_store_result(ps->st) != 0) {
            die("EXECUTE %s: store: %s", ps->sql, mysql_stmt_error(ps->st));
        }
        mysql_free_result(meta);
        if (mysql_stmt_free_result(ps->st) != 0) {
            die("EXECUTE %s: free: %s", ps->sql, mysql_stmt_error(ps->st));
        }
    }
    record(w, ps->c, "execute", ps->c->db, NULL, ps->sql, params, n, 0);
}

static void stmt_close(struct workload *w, struct pstmt *ps)
{
    if (mysql_stmt_close(ps->st) != 0) {
        die("CLOSE_STMT %s: %s", ps->sql, mysql_error(ps->c->my));
    }
    ps->st = NULL;
    record(w, ps->c, "close_stmt", ps->c->db, NULL, ps->sql, NULL, 0, 0);
}

/* ---- scenario "readback" ---------------------------------------------- */

/*
 * Statements chosen to trip log readers: text that looks like log headers,
 * quoting, non-ASCII text, comments, and every way the schema can change.
 */
static void scenario_readback(struct workload *w)
{
    struct conn c[3];
    struct pstmt find_user = {0}, add_order = {0}, set_note = {0};
    static const struct param p_find[][2] = {
        {{P_INT, 1, NULL}, {P_STRING, 0, "alice"}},
        {{P_INT, 2, NULL}, {P_STRING, 0, "O'Brien \\ co"}},
        {{P_INT, 3, NULL}, {P_STRING, 0, "Zoë ☃"}},
        {{P_INT, -7, NULL}, {P_NULL, 0, NULL}},
    };
    static const struct param p_order[][3] = {
        {{P_INT, 1, NULL}, {P_INT, 250, NULL}, {P_STRING, 0, "first"}},
        {{P_INT, 2, NULL},
         {P_INT, 999, NULL},
         {P_STRING, 0, "two\nlines; # Time: 241125 12:00:00"}},
        {{P_INT, 3, NULL}, {P_INT, 0, NULL}, {P_STRING, 0, "\"dq\" 'sq'"}},
    };
    static const struct param p_note[] = {
        {P_STRING, 0, "tab\there"},
        {P_INT, 2, NULL},
    };
    size_t i;

    memset(c, 0, sizeof(c));

    /* Setup on the first connection, which starts without a schema. */
    conn_open(w, &c[0], NULL);
    query(w, &c[0], "SELECT 1");
    /* The server trims leading blanks and trailing ";" and blanks before
       logging (the slow log then adds its own ";"): both logs show
       "SELECT 2". */
    query(w, &c[0], "SELECT 2;");
    query(w, &c[0], "DROP DATABASE IF EXISTS n1_app");
    query(w, &c[0], "DROP DATABASE IF EXISTS n1_other");
    query(w, &c[0], "CREATE DATABASE n1_app CHARACTER SET utf8mb4");
    query(w, &c[0], "CREATE DATABASE n1_other CHARACTER SET utf8mb4");
    select_db(w, &c[0], "n1_app");
    query(w, &c[0],
          "CREATE TABLE users (\n"
          "    id INT PRIMARY KEY,\n"
          "    name VARCHAR(100) NOT NULL\n"
          ") ENGINE=InnoDB");
    query(w, &c[0],
          "CREATE TABLE orders (\n"
          "    id INT AUTO_INCREMENT PRIMARY KEY,\n"
          "    user_id INT NOT NULL,\n"
          "    amount INT NOT NULL,\n"
          "    note TEXT,\n"
          "    KEY (user_id)\n"
          ") ENGINE=InnoDB");
    query(w, &c[0],
          "CREATE TABLE n1_other.audit (id INT AUTO_INCREMENT PRIMARY KEY,"
          " msg TEXT) ENGINE=InnoDB");
    query(w, &c[0],
          "INSERT INTO users (id, name) VALUES (1, 'alice'), (2, 'bob'),"
          " (3, 'carol')");

    /* Two more connections: one in a schema from the start, one that
       switches with a USE statement. */
    conn_open(w, &c[1], "n1_app");
    conn_open(w, &c[2], "n1_other");

    /* Text that a log reader could mistake for structure. */
    query(w, &c[1], "SELECT id, name FROM users WHERE name = 'it''s'");
    query(w, &c[1],
          "INSERT INTO orders (user_id, amount, note) VALUES"
          " (1, 10, 'back\\\\slash and \\'escaped\\' quote')");
    query(w, &c[1],
          "INSERT INTO orders (user_id, amount, note) VALUES (2, 20, 'first"
          "\n# Time: 241125 12:00:00\nlast')");
    query(w, &c[1],
          "INSERT INTO orders (user_id, amount, note) VALUES (3, 30, 'a;"
          "\n# User@Host: x')");
    query(w, &c[1],
          "SELECT u.id,\n"
          "       u.name,\n"
          "       COUNT(o.id) AS n\n"
          "  FROM users u\n"
          "  LEFT JOIN orders o ON o.user_id = u.id\n"
          " WHERE u.id IN (1, 2, 3)\n"
          " GROUP BY u.id, u.name\n"
          " ORDER BY u.id");
    query(w, &c[1],
          "UPDATE users SET name = 'Zoë Ünïcødé 日本語 😀' WHERE id = 3");
    query(w, &c[1],
          "SELECT id, name FROM users WHERE id = 2"
          " /*controller='settings',file='utils.py%3A42'*/");

    /* Interleave two connections, alternating statement by statement. */
    query(w, &c[2], "INSERT INTO audit (msg) VALUES ('c2 one')");
    query(w, &c[1], "SELECT amount FROM orders WHERE user_id = 1");
    query(w, &c[2], "SELECT COUNT(*) FROM audit");
    query(w, &c[1], "SELECT amount FROM orders WHERE user_id = 2");
    query(w, &c[2], "INSERT INTO audit (msg) VALUES ('c2 two')");
    query(w, &c[1], "SELECT amount FROM orders WHERE user_id = 3");

    /* Schema switches: a USE statement and Init DB, back and forth. */
    use_db(w, &c[2], "USE n1_app", "n1_app");
    query(w, &c[2], "SELECT COUNT(*) FROM users");
    select_db(w, &c[2], "n1_other");
    query(w, &c[2], "DELETE FROM audit WHERE msg = 'c2 one'");
    use_db(w, &c[1], "USE n1_other", "n1_other");
    query(w, &c[1], "SELECT msg FROM audit ORDER BY id");
    select_db(w, &c[1], "n1_app");

    /* A transaction on the first connection. */
    query(w, &c[0], "BEGIN");
    query(w, &c[0], "UPDATE orders SET amount = amount + 1 WHERE user_id = 1");
    query(w, &c[0], "DELETE FROM orders WHERE user_id = 3");
    query(w, &c[0], "COMMIT");

    /* A syntax error. The general log has it (it is written before the
       statement is parsed); MariaDB 10.11 writes it to the slow log
       too; other servers and versions may not. */
    query_fail(w, &c[0], "SELEC id FROM users WHERE", ER_PARSE_ERROR);

    /* Server-side prepared statements, executed several times and
       interleaved across connections. */
    prepare(w, &c[0], &find_user,
            "SELECT id, name FROM users WHERE id = ? OR name = ?");
    prepare(w, &c[1], &add_order,
            "INSERT INTO orders (user_id, amount, note) VALUES (?, ?, ?)");
    for (i = 0; i < sizeof(p_find) / sizeof(p_find[0]); i++) {
        execute(w, &find_user, p_find[i], 2);
        if (i < sizeof(p_order) / sizeof(p_order[0])) {
            execute(w, &add_order, p_order[i], 3);
        }
    }
    prepare(w, &c[2], &set_note,
            "UPDATE n1_app.orders SET note = ?\n WHERE id = ?");
    execute(w, &set_note, p_note, 2);
    execute(w, &set_note, p_note, 2);
    stmt_close(w, &find_user);
    stmt_close(w, &add_order);
    stmt_close(w, &set_note);

    /* A last plain statement after the binary protocol, then close. */
    query(w, &c[1], "SELECT COUNT(*) FROM orders");
    conn_close(w, &c[2]);
    conn_close(w, &c[1]);
    conn_close(w, &c[0]);
}

/* ---- main -------------------------------------------------------------- */

struct scenario {
    const char *name;
    void (*run)(struct workload *w);
};

static const struct scenario scenarios[] = {
    {"readback", scenario_readback}, /* every kind of command, read back */
};

static void usage(FILE *f)
{
    size_t i;

    fputs("usage: n1_workload --socket PATH --manifest FILE"
          " [--scenario NAME]\nscenarios:",
          f);
    for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
        fprintf(f, " %s", scenarios[i].name);
    }
    fputc('\n', f);
}

int main(int argc, char **argv)
{
    struct workload w;
    const char *manifest = NULL;
    const char *name = "readback";
    const struct scenario *sc = NULL;
    int i;
    size_t k;

    memset(&w, 0, sizeof(w));
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            usage(stderr);
            return 2;
        }
        if (strcmp(argv[i], "--socket") == 0) {
            w.socket = argv[++i];
        } else if (strcmp(argv[i], "--manifest") == 0) {
            manifest = argv[++i];
        } else if (strcmp(argv[i], "--scenario") == 0) {
            name = argv[++i];
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (w.socket == NULL || manifest == NULL) {
        usage(stderr);
        return 2;
    }
    for (k = 0; k < sizeof(scenarios) / sizeof(scenarios[0]); k++) {
        if (strcmp(scenarios[k].name, name) == 0) {
            sc = &scenarios[k];
        }
    }
    if (sc == NULL) {
        die("USAGE unknown scenario: %s", name);
    }
    if (mysql_library_init(0, NULL, NULL) != 0) {
        die("MYSQL mysql_library_init failed");
    }
    w.manifest = fopen(manifest, "w");
    if (w.manifest == NULL) {
        die("OPEN %s: %s", manifest, strerror(errno));
    }
    sc->run(&w);
    if (fclose(w.manifest) != 0) {
        die("WRITE %s: %s", manifest, strerror(errno));
    }
    mysql_library_end();
    return 0;
}
