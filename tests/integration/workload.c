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
 * scenario  the part of the script the command belongs to (analyze only)
 * finding   the expected finding whose loop the command is part of
 *
 * The analyze scenario also writes what n1digest analyze must find, one line
 * per finding, before the commands of its part of the script:
 *
 *   {"expect":{"name":"seed_gid_loop","kind":"n_plus_one",...},
 *    "scenario":"seed_gid_loop"}
 *
 * and {"optional":{...}} for loops that may be reported or not but, if
 * they are, must look as described (no IN-list rewrite for a range loop).
 *
 * Integration tests compare what n1digest reads back from the server's logs
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

#define WL_PROGRAM "n1_workload"
#include "wl_common.h"
#include <mysqld_error.h>

#define MAX_CONNS  8
#define MAX_PARAMS 4
#define DB_LEN     64

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
    const char *socket;   /* server socket path */
    FILE *manifest;       /* JSON Lines output */
    unsigned long seq;    /* last seq written */
    const char *scenario; /* part of the script running now, or NULL */
    const char *finding;  /* expected finding the command belongs to, or
                             NULL */
};

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
    if (w->scenario != NULL) {
        fprintf(f, ",\"scenario\":\"%s\"", w->scenario);
    }
    if (w->finding != NULL) {
        fprintf(f, ",\"finding\":\"%s\"", w->finding);
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
    char *strs[MAX_PARAMS] = {NULL}; /* the bound copies of P_STRING */
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
            /* The bind wants a non-const buffer: give it a copy. */
            strs[i] = strdup(params[i].s);
            if (strs[i] == NULL) {
                die("MEMORY binding a parameter");
            }
            lens[i] = (unsigned long)strlen(strs[i]);
            bind[i].buffer_type = MYSQL_TYPE_STRING;
            bind[i].buffer = strs[i];
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
    for (i = 0; i < n; i++) {
        free(strs[i]);
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

/* ---- scenario "analyze" ----------------------------------------------- */

/*
 * Every loop shape n1digest analyze must find, each on connections of its
 * own so that one part of the script cannot end or feed another's loop,
 * and the look-alikes it must leave alone. Before its commands each part
 * writes the findings it expects into the manifest (see the top of this
 * file); the commands of a loop carry the name of their finding so that a
 * checker can run them again and compare with the rewrite.
 */

/*
 * Writes text to f with each "%d" and "%lu" in it replaced by the next of
 * vals in decimal (n of them; a marker past the last is written as it
 * is, and so is any other "%"). Statements with keys and expected
 * findings with connection ids are written this way from tables.
 */
static void put_filled(FILE *f, const char *text, const long *vals, size_t n)
{
    size_t k = 0;

    while (*text != '\0') {
        size_t len = 0;

        if (text[0] == '%' && text[1] == 'd') {
            len = 2;
        } else if (strncmp(text, "%lu", 3) == 0) {
            len = 3;
        }
        if (len > 0 && k < n) {
            fprintf(f, "%ld", vals[k++]);
            text += len;
        } else {
            fputc(*text++, f);
        }
    }
}

/* A statement: text with each "%d" taking the next of keys (n of them);
 * the caller frees it. */
static char *stmt_keys(const char *text, const int *keys, size_t n)
{
    long vals[MAX_PARAMS];
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = NULL;
    size_t i;

    if (n > MAX_PARAMS) {
        die("USAGE %zu keys for %s", n, text);
    }
    for (i = 0; i < n; i++) {
        vals[i] = keys[i];
    }
    mem = open_memstream(&buf, &len);
    if (mem == NULL) {
        die("MEMORY building a statement");
    }
    put_filled(mem, text, vals, n);
    if (fclose(mem) != 0) {
        die("MEMORY building a statement");
    }
    return buf;
}

/* stmt_keys() with one key. */
static char *stmt_key(const char *text, int key)
{
    return stmt_keys(text, &key, 1);
}

/* query() of a built statement, which it frees. */
static void query_own(struct workload *w, struct conn *c, char *sql)
{
    query(w, c, sql);
    free(sql);
}

/*
 * Writes {"<what>":{<body>},"scenario":...}: body is JSON members, with
 * the connection id conn where it says %lu.
 */
static void expect(struct workload *w, const char *what, const char *body,
                   unsigned long conn)
{
    long id = (long)conn;

    fprintf(w->manifest, "{\"%s\":{", what);
    put_filled(w->manifest, body, &id, 1);
    fprintf(w->manifest, "},\"scenario\":\"%s\"}\n",
            w->scenario != NULL ? w->scenario : "");
    if (ferror(w->manifest)) {
        die("WRITE manifest: %s", strerror(errno));
    }
}

/* Opens a connection, in schema db, for the part name of the script. */
static void begin_part(struct workload *w, struct conn *c, const char *name,
                       const char *db)
{
    memset(c, 0, sizeof(*c));
    w->scenario = name;
    conn_open(w, c, db);
}

/* The project groups of the seed: 40 gids with gaps, as in the sample. */
static const int seed_gids[40] = {
    1,  3,  4,  7,  9,  12, 15, 16, 21, 22, 23, 28, 30, 31,
    35, 38, 40, 41, 44, 47, 52, 53, 58, 60, 61, 64, 66, 70,
    71, 75, 78, 80, 83, 86, 88, 90, 91, 95, 97, 99,
};

#define N_SEED   (sizeof(seed_gids) / sizeof(seed_gids[0]))
#define N_FANOUT 12
#define N_EVENTS 1300
#define CHUNK    200

static void analyze_setup(struct workload *w, struct conn *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = NULL;
    size_t i;

    begin_part(w, c, "setup", NULL);
    query(w, c, "DROP DATABASE IF EXISTS n1_an");
    query(w, c, "CREATE DATABASE n1_an CHARACTER SET utf8mb4");
    select_db(w, c, "n1_an");
    query(w, c,
          "CREATE TABLE project_groups (project_id INT NOT NULL,"
          " gid VARCHAR(16) NOT NULL, PRIMARY KEY (project_id, gid))");
    query(w, c,
          "CREATE TABLE profile_settings (id INT AUTO_INCREMENT PRIMARY KEY,"
          " name VARCHAR(64) NOT NULL UNIQUE, value VARCHAR(64) NOT NULL)");
    query(w, c,
          "CREATE TABLE metrics (id INT AUTO_INCREMENT PRIMARY KEY,"
          " gid VARCHAR(16) NOT NULL, cpu INT NOT NULL, KEY (gid))");
    query(w, c,
          "CREATE TABLE invoices (id INT PRIMARY KEY, tenant_id INT NOT NULL,"
          " user_id INT NOT NULL, total INT NOT NULL)");
    query(w, c,
          "CREATE TABLE grid (x INT NOT NULL, y INT NOT NULL, v INT NOT NULL,"
          " PRIMARY KEY (x, y))");
    query(w, c,
          "CREATE TABLE customers (id INT PRIMARY KEY,"
          " name VARCHAR(32) NOT NULL)");
    query(w, c,
          "CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL,"
          " status VARCHAR(8) NOT NULL, total INT NOT NULL)");
    query(w, c,
          "CREATE TABLE order_items (order_id INT NOT NULL,"
          " sku VARCHAR(8) NOT NULL, qty INT NOT NULL,"
          " PRIMARY KEY (order_id, sku))");
    query(w, c,
          "CREATE TABLE audit_log (id INT AUTO_INCREMENT PRIMARY KEY,"
          " user_id INT NOT NULL, action VARCHAR(16) NOT NULL,"
          " created_at DATETIME NOT NULL)");
    query(w, c,
          "CREATE TABLE stock (sku VARCHAR(8) PRIMARY KEY, qty INT NOT NULL)");
    query(w, c,
          "CREATE TABLE inventory (sku VARCHAR(8) PRIMARY KEY,"
          " qty INT NOT NULL)");
    query(w, c,
          "CREATE TABLE sessions (id INT PRIMARY KEY, user_id INT NOT NULL)");
    query(w, c,
          "CREATE TABLE settings (name VARCHAR(16) PRIMARY KEY,"
          " value VARCHAR(16) NOT NULL)");
    query(w, c,
          "CREATE TABLE products (id INT PRIMARY KEY,"
          " name VARCHAR(32) NOT NULL)");
    query(w, c,
          "CREATE TABLE accounts (id INT PRIMARY KEY, balance INT NOT NULL)");
    query(w, c,
          "CREATE TABLE profiles (user_id INT PRIMARY KEY,"
          " bio VARCHAR(64) NOT NULL)");
    query(w, c,
          "CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(32) NOT NULL)");
    query(w, c, "CREATE TABLE events (id INT PRIMARY KEY)");
    query(w, c,
          "CREATE TABLE shelf (shop INT NOT NULL, item INT NOT NULL,"
          " n INT NOT NULL, PRIMARY KEY (shop, item))");
    /* Reserved words as names, quoted the way ORMs quote every name. */
    query(w, c,
          "CREATE TABLE `order` (id INT PRIMARY KEY, group_id INT NOT NULL,"
          " `key` VARCHAR(8) NOT NULL)");

    /* Data, one multi-row INSERT per table (no loops here). */
    mem = open_memstream(&buf, &len);
    if (mem == NULL) {
        die("MEMORY open_memstream");
    }
    fputs("INSERT INTO project_groups (project_id, gid) VALUES", mem);
    for (i = 0; i < N_SEED; i++) {
        fprintf(mem, "%s (7, 'g%d')", i > 0 ? "," : "", seed_gids[i]);
    }
    fputs(", (8, 'g2'), (8, 'g5')", mem);
    fflush(mem);
    query(w, c, buf);
    rewind(mem);
    fputs("INSERT INTO profile_settings (name, value) VALUES", mem);
    for (i = 0; i < N_SEED; i++) {
        fprintf(mem, "%s ('proj:g%d', 'v%d')", i > 0 ? "," : "", seed_gids[i],
                seed_gids[i] * 7);
    }
    fputs(", ('proj:g2', 'v14'), ('user:theme', 'dark')", mem);
    fputc('\0', mem);
    fflush(mem);
    query(w, c, buf);
    rewind(mem);
    fputs("INSERT INTO metrics (gid, cpu) VALUES", mem);
    for (i = 0; i < N_FANOUT; i++) {
        for (int k = 0; k < 3; k++) {
            fprintf(mem, "%s ('g%d', %d)", i + k > 0 ? "," : "", seed_gids[i],
                    seed_gids[i] * 10 + k * 3);
        }
    }
    fputc('\0', mem);
    fflush(mem);
    query(w, c, buf);
    rewind(mem);
    fputs("INSERT INTO events (id) VALUES", mem);
    for (i = 1; i <= N_EVENTS; i++) {
        fprintf(mem, "%s (%zu)", i > 1 ? "," : "", i);
    }
    fputc('\0', mem);
    fflush(mem);
    query(w, c, buf);
    fclose(mem);
    free(buf);
    query(w, c,
          "INSERT INTO invoices (id, tenant_id, user_id, total) VALUES"
          " (1, 3, 1, 10), (2, 3, 2, 20), (3, 3, 2, 25), (4, 3, 3, 30),"
          " (5, 3, 4, 40), (6, 3, 5, 50), (7, 3, 6, 60), (8, 4, 1, 70),"
          " (9, 4, 2, 80)");
    query(w, c,
          "INSERT INTO grid (x, y, v) VALUES (1, 1, 11), (1, 2, 12),"
          " (2, 1, 21), (2, 2, 22), (3, 3, 33), (3, 4, 34), (4, 4, 44)");
    query(w, c,
          "INSERT INTO customers (id, name) VALUES (101, 'ada'),"
          " (102, 'bo'), (103, 'cy'), (104, 'di'), (105, 'ed'), (106, 'fay')");
    query(w, c,
          "INSERT INTO orders (id, customer_id, status, total) VALUES"
          " (1, 101, 'open', 5), (2, 102, 'open', 15), (3, 103, 'open', 25),"
          " (4, 101, 'open', 35), (5, 104, 'open', 45), (6, 105, 'open', 55),"
          " (7, 106, 'closed', 65), (8, 106, 'closed', 75)");
    query(w, c,
          "INSERT INTO order_items (order_id, sku, qty) VALUES"
          " (1, 'S1', 1), (1, 'S2', 2), (2, 'S3', 1), (3, 'S1', 4),"
          " (3, 'S4', 1), (4, 'S5', 2), (5, 'S6', 1), (6, 'S2', 3),"
          " (7, 'S3', 1)");
    query(w, c,
          "INSERT INTO stock (sku, qty) VALUES ('S1', 50), ('S2', 50),"
          " ('S3', 50), ('S4', 50), ('S5', 50), ('S6', 50), ('S7', 50)");
    query(w, c,
          "INSERT INTO inventory (sku, qty) VALUES ('T1', 5), ('T2', 6),"
          " ('T3', 7), ('T4', 8), ('T5', 9), ('T6', 10), ('T7', 11)");
    query(w, c,
          "INSERT INTO sessions (id, user_id) VALUES (1, 1), (2, 1), (3, 2),"
          " (4, 3), (5, 3), (6, 4), (7, 5), (8, 6)");
    query(w, c,
          "INSERT INTO settings (name, value) VALUES ('currency', 'EUR'),"
          " ('tz', 'UTC')");
    query(w, c,
          "INSERT INTO products (id, name) VALUES (1, 'pen'), (2, 'ink'),"
          " (3, 'pad'), (4, 'cap'), (5, 'nib'), (6, 'box'), (7, 'tape')");
    query(w, c,
          "INSERT INTO accounts (id, balance) VALUES (1, 10), (2, 20),"
          " (3, 30), (4, 40), (5, 50), (6, 60), (7, 70), (8, 80), (9, 90),"
          " (10, 100), (11, 110), (12, 120)");
    query(w, c,
          "INSERT INTO profiles (user_id, bio) VALUES (1, 'a'), (2, 'b'),"
          " (3, 'c'), (4, 'd'), (5, 'e'), (6, 'f'), (7, 'g')");
    query(w, c,
          "INSERT INTO users (id, name) VALUES (1, 'u1'), (2, 'u2'),"
          " (3, 'u3'), (4, 'u4'), (5, 'u5'), (6, 'u6'), (7, 'u7'),"
          " (8, 'u8'), (9, 'u9'), (10, 'u10'), (11, 'u11'), (12, 'u12')");
    query(w, c,
          "INSERT INTO shelf (shop, item, n) VALUES (1, 10, 0), (1, 11, 0),"
          " (2, 20, 0), (2, 21, 0), (3, 30, 0), (3, 31, 0), (4, 40, 0)");
    query(w, c,
          "INSERT INTO `order` (id, group_id, `key`) VALUES (1, 1, 'a'),"
          " (2, 2, 'b'), (3, 3, 'c'), (4, 4, 'd'), (5, 5, 'e'), (6, 6, 'f'),"
          " (7, 1, 'g'), (8, 7, 'h')");
}

/* begin_part() in the analyze scenario's schema. */
static void an_begin(struct workload *w, struct conn *c, const char *name)
{
    begin_part(w, c, name, "n1_an");
}

/*
 * A part of a script on a connection of its own: a statement run once,
 * then one statement run again and again with other keys (the loop). A
 * part that expects a finding writes it first, and its loop's commands
 * carry the finding's name, which is the part's; a finding that may be
 * reported is written first too.
 */
struct part {
    const char *name;   /* the part of the script */
    const char *db;     /* the schema its connection opens in */
    const char *what;   /* "expect": a finding it must report, "optional":
                           one it may report (its commands then carry no
                           finding), NULL: none */
    const char *expect; /* the finding's JSON members (%lu: the connection),
                           when what is not NULL */
    const char *parent; /* run once before the loop, or NULL */
    const char *stmt;   /* the loop's statement; each %d takes a key */
    size_t runs;        /* how often the loop's statement runs */
    size_t width;       /* keys per run: the %d in stmt */
    const int *keys;    /* runs * width keys, run after run, or NULL: one
                           key per run, first, first + 1, ... */
    int first;          /* the first key when keys is NULL */
};

/* Runs the part p of the script, start to end. */
static void run_part(struct workload *w, const struct part *p)
{
    struct conn c;
    size_t i;

    begin_part(w, &c, p->name, p->db);
    if (p->what != NULL) {
        expect(w, p->what, p->expect, c.id);
    }
    if (p->parent != NULL) {
        query(w, &c, p->parent);
    }
    if (p->what != NULL && strcmp(p->what, "expect") == 0) {
        w->finding = p->name;
    }
    for (i = 0; i < p->runs; i++) {
        if (p->keys != NULL) {
            query_own(w, &c,
                      stmt_keys(p->stmt, p->keys + i * p->width, p->width));
        } else {
            query_own(w, &c, stmt_key(p->stmt, p->first + (int)i));
        }
    }
    w->finding = NULL;
    conn_close(w, &c);
}

/* Runs n parts, in order. */
static void run_parts(struct workload *w, const struct part *parts, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        run_part(w, &parts[i]);
    }
}

#define N_PARTS(a) (sizeof(a) / sizeof((a)[0]))

/* The keys of compound_xy and update_compound_case. */
static const int xy_keys[6 * 2] = {1, 1, 1, 2, 2, 1, 2, 2, 3, 3, 4, 4};
static const int shelf_keys[6 * 3] = {5, 1, 10, 6, 1, 11, 7,  2, 20,
                                      8, 2, 21, 9, 3, 30, 10, 3, 31};

/* The seed: one settings lookup per project group after the groups. */
static const struct part an_seed[] = {
    {"seed_gid_loop", "n1_an", "expect",
     "\"name\":\"seed_gid_loop\",\"kind\":\"n_plus_one\","
     "\"statement\":\"select\",\"table\":\"profile_settings\","
     "\"key_columns\":[\"profile_settings.name\"],\"connection\":%lu,"
     "\"count\":40,\"distinct_keys\":40,"
     "\"parent_table\":\"project_groups\",\"rewrite_kind\":\"in_list\","
     "\"rewrite_prefix\":\"SELECT profile_settings.id, "
     "profile_settings.name, profile_settings.value FROM "
     "profile_settings WHERE profile_settings.name IN ('proj:g1', "
     "'proj:g3', 'proj:g4'\"",
     "SELECT project_groups.gid FROM project_groups WHERE"
     " project_groups.project_id = 7 ORDER BY project_groups.gid",
     "SELECT profile_settings.id, profile_settings.name,"
     " profile_settings.value FROM profile_settings WHERE"
     " profile_settings.name = 'proj:g%d' LIMIT 1",
     N_SEED, 1, seed_gids, 0},
};

/* Loops with a compound key: a constant and a key, or two keys. */
static const struct part an_compound[] = {
    {"compound_tenant", "n1_an", "expect",
     "\"name\":\"compound_tenant\",\"kind\":\"n_plus_one\","
     "\"statement\":\"select\",\"table\":\"invoices\","
     "\"key_columns\":[\"invoices.user_id\"],\"connection\":%lu,"
     "\"count\":6,\"distinct_keys\":6,\"rewrite_kind\":\"in_list\","
     "\"rewrite\":\"SELECT invoices.user_id, invoices.id, "
     "invoices.total FROM invoices WHERE invoices.tenant_id = 3 AND "
     "invoices.user_id IN (1, 2, 3, 4, 5, 6)\"",
     NULL,
     "SELECT invoices.id, invoices.total FROM invoices"
     " WHERE invoices.tenant_id = 3 AND invoices.user_id = %d",
     6, 1, NULL, 1},
    {"compound_xy", "n1_an", "expect",
     "\"name\":\"compound_xy\",\"kind\":\"n_plus_one\","
     "\"statement\":\"select\",\"table\":\"grid\","
     "\"key_columns\":[\"grid.x\",\"grid.y\"],\"connection\":%lu,"
     "\"count\":6,\"distinct_keys\":6,\"rewrite_kind\":\"row_in\"",
     NULL, "SELECT grid.v FROM grid WHERE grid.x = %d AND grid.y = %d", 6, 2,
     xy_keys, 0},
};

/* Write loops, and a statement repeated with the same key. */
static const struct part an_writes[] = {
    {"insert_loop", "n1_an", "expect",
     "\"name\":\"insert_loop\",\"kind\":\"n_plus_one\","
     "\"statement\":\"insert\",\"table\":\"audit_log\","
     "\"key_columns\":[\"user_id\"],\"connection\":%lu,\"count\":6,"
     "\"distinct_keys\":6,\"rewrite_kind\":\"multi_row_insert\","
     "\"rewrite\":\"INSERT INTO audit_log (user_id, action, "
     "created_at) VALUES (1, 'view', NOW()), (2, 'view', NOW()), "
     "(3, 'view', NOW()), (4, 'view', NOW()), (5, 'view', NOW()), "
     "(6, 'view', NOW())\"",
     NULL,
     "INSERT INTO audit_log (user_id, action, created_at)"
     " VALUES (%d, 'view', NOW())",
     6, 1, NULL, 1},
    {"update_loop", "n1_an", "expect",
     "\"name\":\"update_loop\",\"kind\":\"n_plus_one\","
     "\"statement\":\"update\",\"table\":\"stock\","
     "\"key_columns\":[\"stock.sku\"],\"connection\":%lu,\"count\":6,"
     "\"distinct_keys\":6,\"rewrite_kind\":\"in_list\","
     "\"rewrite\":\"UPDATE stock SET qty = qty - 1 WHERE stock.sku IN "
     "('S1', 'S2', 'S3', 'S4', 'S5', 'S6')\"",
     NULL, "UPDATE stock SET qty = qty - 1 WHERE stock.sku = 'S%d'", 6, 1, NULL,
     1},
    /* Per-row values on a compound key: CASE on a row comparison. */
    {"update_compound_case", "n1_an", "expect",
     "\"name\":\"update_compound_case\",\"kind\":\"n_plus_one\","
     "\"statement\":\"update\",\"table\":\"shelf\","
     "\"key_columns\":[\"shop\",\"item\"],\"connection\":%lu,"
     "\"count\":6,\"distinct_keys\":6,"
     "\"rewrite_kind\":\"case_update\","
     "\"rewrite\":\"UPDATE shelf SET n = CASE"
     " WHEN (shop, item) = (1, 10) THEN 5"
     " WHEN (shop, item) = (1, 11) THEN 6"
     " WHEN (shop, item) = (2, 20) THEN 7"
     " WHEN (shop, item) = (2, 21) THEN 8"
     " WHEN (shop, item) = (3, 30) THEN 9"
     " WHEN (shop, item) = (3, 31) THEN 10 END"
     " WHERE (shop, item) IN ((1, 10), (1, 11), (2, 20), (2, 21),"
     " (3, 30), (3, 31))\"",
     NULL, "UPDATE shelf SET n = %d WHERE shop = %d AND item = %d", 6, 3,
     shelf_keys, 0},
    {"delete_loop", "n1_an", "expect",
     "\"name\":\"delete_loop\",\"kind\":\"n_plus_one\","
     "\"statement\":\"delete\",\"table\":\"sessions\","
     "\"key_columns\":[\"sessions.id\"],\"connection\":%lu,"
     "\"count\":6,\"distinct_keys\":6,\"rewrite_kind\":\"in_list\","
     "\"rewrite\":\"DELETE FROM sessions WHERE sessions.id IN (1, 2, "
     "3, 4, 5, 6)\"",
     NULL, "DELETE FROM sessions WHERE sessions.id = %d", 6, 1, NULL, 1},
    {"duplicate", "n1_an", "expect",
     "\"name\":\"duplicate\",\"kind\":\"duplicate\","
     "\"statement\":\"select\",\"table\":\"settings\","
     "\"key_columns\":[],\"connection\":%lu,\"count\":6,"
     "\"distinct_keys\":1,\"rewrite\":null",
     NULL,
     "SELECT settings.value FROM settings WHERE"
     " settings.name = 'currency'",
     6, 0, NULL, 0},
};

/*
 * Names that are reserved words, every name backquoted as ORMs write
 * them: the rewrite must keep `order` and `key` quoted to run at all.
 */
static const struct part an_reserved_names[] = {
    {"reserved_names", "n1_an", "expect",
     "\"name\":\"reserved_names\",\"kind\":\"n_plus_one\","
     "\"statement\":\"select\",\"table\":\"order\","
     "\"key_columns\":[\"order.group_id\"],\"connection\":%lu,"
     "\"count\":6,\"distinct_keys\":6,\"rewrite_kind\":\"in_list\","
     "\"rewrite\":\"SELECT `order`.group_id, `order`.id, "
     "`order`.`key` FROM `order` WHERE `order`.group_id IN (1, 2, 3, "
     "4, 5, 6)\"",
     NULL,
     "SELECT `order`.`id`, `order`.`key` FROM `order`"
     " WHERE `order`.`group_id` = %d",
     6, 1, NULL, 1},
};

/* sqlcommenter tags name the call site. */
static const struct part an_tagged[] = {
    {"tagged", "n1_an", "expect",
     "\"name\":\"tagged\",\"kind\":\"n_plus_one\","
     "\"statement\":\"select\",\"table\":\"profiles\","
     "\"key_columns\":[\"profiles.user_id\"],\"connection\":%lu,"
     "\"count\":6,\"distinct_keys\":6,\"location\":\"utils.py:42\","
     "\"tags\":{\"controller\":\"settings\",\"action\":\"index\","
     "\"file\":\"utils.py:42\"},\"rewrite_kind\":\"in_list\","
     "\"rewrite_prefix\":\"SELECT profiles.user_id, profiles.bio FROM "
     "profiles WHERE profiles.user_id IN (1, 2, 3, 4, 5, 6)\"",
     NULL,
     "SELECT profiles.bio FROM profiles WHERE profiles.user_id = %d"
     " /*controller='settings',action='index',file='utils.py%3A42'*/",
     6, 1, NULL, 1},
};

/* One new connection per gid, each running one MAX(cpu). */
static void an_fanout(struct workload *w)
{
    struct conn c[N_FANOUT];
    char ids[N_FANOUT * 24];
    char *body = NULL;
    size_t len = 0;
    FILE *mem = NULL;
    size_t off = 0;
    size_t i;

    w->scenario = "fanout_metrics";
    memset(c, 0, sizeof(c));
    w->finding = "fanout_metrics";
    for (i = 0; i < N_FANOUT; i++) {
        conn_open(w, &c[i], "n1_an");
        query_own(w, &c[i],
                  stmt_key("SELECT MAX(cpu) FROM metrics WHERE gid = 'g%d'",
                           seed_gids[i]));
        conn_close(w, &c[i]);
        off += (size_t)snprintf(ids + off, sizeof(ids) - off, "%s%lu",
                                i > 0 ? "," : "", c[i].id);
    }
    w->finding = NULL;
    /* The connections, then the count twice (one key per connection). */
    mem = open_memstream(&body, &len);
    if (mem == NULL) {
        die("MEMORY open_memstream");
    }
    fprintf(mem,
            "\"name\":\"fanout_metrics\",\"kind\":\"fanout\","
            "\"statement\":\"select\",\"table\":\"metrics\","
            "\"key_columns\":[\"gid\"],\"connections\":[%s],\"count\":%d,"
            "\"distinct_keys\":%d,\"rewrite_kind\":\"group_by\","
            "\"rewrite_prefix\":\"SELECT gid, MAX(cpu) FROM metrics WHERE "
            "gid IN ('g1', 'g3'\"",
            ids, N_FANOUT, N_FANOUT);
    if (fclose(mem) != 0) {
        die("MEMORY building the fanout finding");
    }
    expect(w, "expect", body, 0);
    free(body);
}

/* For each open order: its customer, then its items. */
static void an_two_statement_body(struct workload *w)
{
    struct conn c;
    static const int cust[6] = {101, 102, 103, 101, 104, 105};

    an_begin(w, &c, "two_statement_body");
    expect(w, "expect",
           "\"name\":\"body_customers\",\"kind\":\"n_plus_one\","
           "\"statement\":\"select\",\"table\":\"customers\","
           "\"key_columns\":[\"customers.id\"],\"connection\":%lu,"
           "\"count\":6,\"distinct_keys\":5,\"parent_table\":\"orders\","
           "\"rewrite_kind\":\"in_list\",\"rewrite\":\"SELECT customers.id, "
           "customers.name FROM customers WHERE customers.id IN (101, 102, "
           "103, 104, 105)\"",
           c.id);
    expect(w, "expect",
           "\"name\":\"body_items\",\"kind\":\"n_plus_one\","
           "\"statement\":\"select\",\"table\":\"order_items\","
           "\"key_columns\":[\"order_items.order_id\"],\"connection\":%lu,"
           "\"count\":6,\"distinct_keys\":6,\"parent_table\":\"orders\","
           "\"rewrite_kind\":\"in_list\",\"rewrite\":\"SELECT "
           "order_items.order_id, order_items.sku, order_items.qty FROM "
           "order_items WHERE order_items.order_id IN (1, 2, 3, 4, 5, 6)\"",
           c.id);
    query(w, &c,
          "SELECT orders.id, orders.customer_id FROM orders WHERE"
          " orders.status = 'open' ORDER BY orders.id");
    for (int i = 0; i < 6; i++) {
        w->finding = "body_customers";
        query_own(w, &c,
                  stmt_key("SELECT customers.id, customers.name FROM customers"
                           " WHERE customers.id = %d",
                           cust[i]));
        w->finding = "body_items";
        query_own(w, &c,
                  stmt_key("SELECT order_items.sku, order_items.qty FROM"
                           " order_items WHERE order_items.order_id = %d",
                           i + 1));
    }
    w->finding = NULL;
    conn_close(w, &c);
}

/* One transaction per item: BEGIN, SELECT ... FOR UPDATE, COMMIT. */
static void an_for_update(struct workload *w)
{
    struct conn c;

    an_begin(w, &c, "for_update_loop");
    expect(w, "expect",
           "\"name\":\"for_update_loop\",\"kind\":\"n_plus_one\","
           "\"statement\":\"select\",\"table\":\"inventory\","
           "\"key_columns\":[\"inventory.sku\"],\"connection\":%lu,"
           "\"count\":6,\"distinct_keys\":6,\"rewrite_kind\":\"in_list\","
           "\"rewrite_prefix\":\"SELECT inventory.sku, inventory.qty FROM "
           "inventory WHERE inventory.sku IN ('T1', 'T2', 'T3', 'T4', "
           "'T5', 'T6')\"",
           c.id);
    for (int i = 1; i <= 6; i++) {
        query(w, &c, "BEGIN");
        w->finding = "for_update_loop";
        query_own(w, &c,
                  stmt_key("SELECT inventory.qty FROM inventory WHERE"
                           " inventory.sku = 'T%d' FOR UPDATE",
                           i));
        w->finding = NULL;
        query(w, &c, "COMMIT");
    }
    conn_close(w, &c);
}

/* The binary protocol: one prepared statement executed per key. */
static void an_prepared(struct workload *w)
{
    struct conn c;
    struct pstmt ps = {0};

    an_begin(w, &c, "prepared_loop");
    expect(w, "expect",
           "\"name\":\"prepared_loop\",\"kind\":\"n_plus_one\","
           "\"statement\":\"select\",\"table\":\"products\","
           "\"key_columns\":[\"products.id\"],\"connection\":%lu,"
           "\"count\":6,\"distinct_keys\":6,\"rewrite_kind\":\"in_list\","
           "\"rewrite\":\"SELECT products.id, products.name FROM products "
           "WHERE products.id IN (1, 2, 3, 4, 5, 6)\"",
           c.id);
    prepare(w, &c, &ps,
            "SELECT products.id, products.name FROM products"
            " WHERE products.id = ?");
    w->finding = "prepared_loop";
    for (long long i = 1; i <= 6; i++) {
        struct param p = {P_INT, i, NULL};

        execute(w, &ps, &p, 1);
    }
    w->finding = NULL;
    stmt_close(w, &ps);
    conn_close(w, &c);
}

/* Two connections running the same loop, statement by statement. */
static void an_concurrent(struct workload *w)
{
    struct conn a, b;

    an_begin(w, &a, "concurrent");
    conn_open(w, &b, "n1_an");
    expect(w, "expect",
           "\"name\":\"concurrent_a\",\"kind\":\"n_plus_one\","
           "\"statement\":\"select\",\"table\":\"accounts\","
           "\"key_columns\":[\"accounts.id\"],\"connection\":%lu,"
           "\"count\":6,\"distinct_keys\":6,\"rewrite_kind\":\"in_list\","
           "\"rewrite\":\"SELECT accounts.id, accounts.balance FROM accounts "
           "WHERE accounts.id IN (1, 2, 3, 4, 5, 6)\"",
           a.id);
    expect(w, "expect",
           "\"name\":\"concurrent_b\",\"kind\":\"n_plus_one\","
           "\"statement\":\"select\",\"table\":\"accounts\","
           "\"key_columns\":[\"accounts.id\"],\"connection\":%lu,"
           "\"count\":6,\"distinct_keys\":6,\"rewrite_kind\":\"in_list\","
           "\"rewrite\":\"SELECT accounts.id, accounts.balance FROM accounts "
           "WHERE accounts.id IN (7, 8, 9, 10, 11, 12)\"",
           b.id);
    for (int i = 1; i <= 6; i++) {
        w->finding = "concurrent_a";
        query_own(w, &a,
                  stmt_key("SELECT accounts.id, accounts.balance FROM accounts"
                           " WHERE accounts.id = %d",
                           i));
        w->finding = "concurrent_b";
        query_own(w, &b,
                  stmt_key("SELECT accounts.id, accounts.balance FROM accounts"
                           " WHERE accounts.id = %d",
                           i + 6));
    }
    w->finding = NULL;
    conn_close(w, &a);
    conn_close(w, &b);
}

/* The keys of range_loop (low, high) and pagination (offset). */
static const int range_keys[6 * 2] = {0,  10, 10, 20, 20, 30,
                                      30, 40, 40, 50, 50, 60};
static const int page_keys[6] = {0, 10, 20, 30, 40, 50};

/* Loops with no IN-list answer, which need not be reported. */
static const struct part an_no_in_list[] = {
    {"range_loop", "n1_an", "optional",
     "\"name\":\"range_loop\",\"kind\":\"n_plus_one\","
     "\"statement\":\"select\",\"table\":\"orders\","
     "\"connection\":%lu,\"no_in_rewrite\":true",
     NULL,
     "SELECT orders.id FROM orders WHERE orders.total > %d"
     " AND orders.total < %d",
     6, 2, range_keys, 0},
    {"pagination", "n1_an", "optional",
     "\"name\":\"pagination\",\"kind\":\"n_plus_one\","
     "\"statement\":\"select\",\"table\":\"events\","
     "\"connection\":%lu,\"no_in_rewrite\":true",
     NULL, "SELECT events.id FROM events ORDER BY events.id LIMIT 10 OFFSET %d",
     6, 1, page_keys, 0},
};

/* What must not be reported, and loops with no IN-list answer. */
static void an_counter_cases(struct workload *w)
{
    struct conn c;
    struct conn m[8];
    FILE *mem = NULL;
    char *buf = NULL;
    size_t len = 0;

    an_begin(w, &c, "two_lookups");
    query(w, &c, "SELECT users.id, users.name FROM users WHERE users.id = 1");
    query(w, &c, "SELECT users.id, users.name FROM users WHERE users.id = 2");
    conn_close(w, &c);

    an_begin(w, &c, "batched_in");
    query(w, &c,
          "SELECT users.id, users.name FROM users WHERE users.id IN"
          " (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)");
    conn_close(w, &c);

    /* A loader that already batches: 6 chunks of 200 keys. */
    an_begin(w, &c, "chunked_loader");
    for (int chunk = 0; chunk < 6; chunk++) {
        mem = open_memstream(&buf, &len);
        if (mem == NULL) {
            die("MEMORY open_memstream");
        }
        fputs("SELECT events.id FROM events WHERE events.id IN (", mem);
        for (int k = 0; k < CHUNK; k++) {
            fprintf(mem, "%s%d", k > 0 ? ", " : "", chunk * CHUNK + k + 1);
        }
        fputc(')', mem);
        fclose(mem);
        query(w, &c, buf);
        free(buf);
        buf = NULL;
    }
    conn_close(w, &c);

    /* Many connections, each running a mix of statements once. */
    w->scenario = "mixed_connections";
    memset(m, 0, sizeof(m));
    for (int i = 0; i < 8; i++) {
        conn_open(w, &m[i], "n1_an");
        query_own(w, &m[i],
                  stmt_key("SELECT users.name FROM users WHERE users.id = %d",
                           i + 1));
        query(w, &m[i], "SELECT COUNT(*) FROM orders");
        query(w, &m[i],
              "SELECT settings.value FROM settings WHERE settings.name = 'tz'");
        conn_close(w, &m[i]);
    }

    /* Noise, often enough to look like a loop or a duplicate. */
    an_begin(w, &c, "noise");
    for (int i = 0; i < 6; i++) {
        query(w, &c, "SELECT CONNECTION_ID()");
        query_own(w, &c, stmt_key("SET @n1_counter = %d", i));
        query(w, &c, "SHOW TABLES");
        query(w, &c,
              "SELECT table_name FROM information_schema.tables WHERE"
              " table_schema = 'n1_an' AND table_name = 'users'");
    }
    conn_close(w, &c);

    run_parts(w, an_no_in_list, N_PARTS(an_no_in_list));
}

static void scenario_analyze(struct workload *w)
{
    struct conn setup;

    analyze_setup(w, &setup);
    conn_close(w, &setup);
    run_parts(w, an_seed, N_PARTS(an_seed));
    an_fanout(w);
    run_parts(w, an_compound, N_PARTS(an_compound));
    an_two_statement_body(w);
    run_parts(w, an_writes, N_PARTS(an_writes));
    run_parts(w, an_reserved_names, N_PARTS(an_reserved_names));
    an_for_update(w);
    an_prepared(w);
    an_concurrent(w);
    run_parts(w, an_tagged, N_PARTS(an_tagged));
    an_counter_cases(w);
    w->scenario = NULL;
}

/* ---- scenarios "ci_v1" and "ci_v2" -------------------------------------- */

/*
 * A small shop application as a test suite would drive it, for
 * test_check.sh: v1 renders the customer list with one N+1 loop (the
 * orders of each customer); v2 is the same code after a change that adds
 * a second loop (the items of each order) to the order page. Statements
 * carry sqlcommenter tags as an ORM with sqlcommenter would send them.
 */

static void ci_setup(struct workload *w)
{
    struct conn c;

    begin_part(w, &c, "setup", NULL);
    query(w, &c, "DROP DATABASE IF EXISTS n1_ci");
    query(w, &c, "CREATE DATABASE n1_ci CHARACTER SET utf8mb4");
    select_db(w, &c, "n1_ci");
    query(w, &c,
          "CREATE TABLE customers (id INT PRIMARY KEY,"
          " name VARCHAR(32) NOT NULL)");
    query(w, &c,
          "CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL,"
          " total INT NOT NULL, KEY (customer_id))");
    query(w, &c,
          "CREATE TABLE order_items (id INT PRIMARY KEY,"
          " order_id INT NOT NULL, sku VARCHAR(16) NOT NULL,"
          " KEY (order_id))");
    /* One multi-row INSERT per table: the setup has no loop itself. */
    query(w, &c,
          "INSERT INTO customers VALUES (1, 'ann'), (2, 'bob'), (3, 'cy'),"
          " (4, 'dee'), (5, 'eve'), (6, 'fay'), (7, 'gus'), (8, 'hal'),"
          " (9, 'ivy'), (10, 'jo'), (11, 'kim'), (12, 'lu')");
    query(w, &c,
          "INSERT INTO orders VALUES (1, 1, 10), (2, 2, 20), (3, 3, 30),"
          " (4, 4, 40), (5, 5, 50), (6, 6, 60), (7, 7, 70), (8, 8, 80),"
          " (9, 9, 90), (10, 10, 100), (11, 11, 110), (12, 12, 120),"
          " (101, 1, 7), (102, 1, 14), (103, 1, 21), (104, 1, 28),"
          " (105, 1, 35), (106, 1, 42), (107, 1, 49), (108, 1, 56),"
          " (109, 1, 63), (110, 1, 70), (111, 1, 77), (112, 1, 84)");
    query(w, &c,
          "INSERT INTO order_items VALUES (1, 101, 'sku-1'),"
          " (2, 102, 'sku-2'), (3, 103, 'sku-3'), (4, 104, 'sku-4'),"
          " (5, 105, 'sku-5'), (6, 106, 'sku-6'), (7, 107, 'sku-7'),"
          " (8, 108, 'sku-8'), (9, 109, 'sku-9'), (10, 110, 'sku-10'),"
          " (11, 111, 'sku-11'), (12, 112, 'sku-12')");
    conn_close(w, &c);
}

/* The orders of customer 1, which the order page starts with. */
#define CI_ORDERS                                                       \
    "SELECT orders.id, orders.total FROM orders WHERE"                  \
    " orders.customer_id = 1 ORDER BY orders.id /*controller='orders'," \
    "action='index',file='app%2Forders.py%3A80'*/"

static const struct part ci_parts[] = {
    /* GET /customers: the list, then each customer's orders (a loop). */
    {"customer_list", "n1_ci", NULL, NULL,
     "SELECT customers.id, customers.name FROM customers ORDER BY"
     " customers.id /*controller='customers',action='index',"
     "file='app%2Fcustomers.py%3A30'*/",
     "SELECT orders.id, orders.total FROM orders WHERE"
     " orders.customer_id = %d /*controller='customers',"
     "action='index',file='app%2Fcustomers.py%3A42'*/",
     12, 1, NULL, 1},
    /* GET /orders: one query for the orders, batched well. */
    {"order_page", "n1_ci", NULL, NULL, CI_ORDERS,
     "SELECT order_items.order_id, order_items.sku FROM order_items"
     " WHERE order_items.order_id IN (101, 102, 103, 104, 105, 106,"
     " 107, 108, 109, 110, 111, 112) /*controller='orders',"
     "action='index',file='app%2Forders.py%3A81'*/",
     1, 0, NULL, 0},
    /* GET /orders after the change: the items are loaded per order. */
    {"order_page", "n1_ci", NULL, NULL, CI_ORDERS,
     "SELECT order_items.sku FROM order_items WHERE"
     " order_items.order_id = %d /*controller='orders',"
     "action='index',file='app%2Forders.py%3A88'*/",
     12, 1, NULL, 101},
};

/* The setup, the customer list, then order page v1 or v2. */
static void ci_run(struct workload *w, int version)
{
    ci_setup(w);
    run_part(w, &ci_parts[0]);
    run_part(w, &ci_parts[version]);
    w->scenario = NULL;
}

static void scenario_ci_v1(struct workload *w)
{
    ci_run(w, 1);
}

static void scenario_ci_v2(struct workload *w)
{
    ci_run(w, 2);
}

/* ---- main -------------------------------------------------------------- */

struct scenario {
    const char *name;
    void (*run)(struct workload *w);
};

static const struct scenario scenarios[] = {
    {"readback", scenario_readback}, /* every kind of command, read back */
    {"analyze", scenario_analyze},   /* every loop shape, and look-alikes */
    {"ci_v1", scenario_ci_v1},       /* a shop app with one N+1 loop */
    {"ci_v2", scenario_ci_v2},       /* the same after adding a second */
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
