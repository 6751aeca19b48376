/* SPDX-License-Identifier: MIT */
/*
 * admin_cmds.c: the client commands that are no SQL statement, for the
 * corpus capture (tests/corpus/capture.sh): Init DB, Ping, Change user,
 * Refresh, Statistics, and server-side prepared statements (Prepare,
 * Execute, Close stmt) run as a per-key loop, then Quit. Not shipped.
 *
 * usage: admin_cmds SOCKET SCHEMA
 */
#include <stdio.h>
#include <string.h>

#include <mysql.h>

static int fail(MYSQL *m, const char *what)
{
    fprintf(stderr, "admin_cmds: %s: %s\n", what, mysql_error(m));
    return 1;
}

/* Prepares sql and executes it once per key in [1, n]. */
static int loop(MYSQL *m, const char *sql, int n)
{
    MYSQL_STMT *st = mysql_stmt_init(m);
    MYSQL_BIND b;
    long long key = 0;

    if (st == NULL || mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
        return fail(m, "prepare");
    }
    memset(&b, 0, sizeof(b));
    b.buffer_type = MYSQL_TYPE_LONGLONG;
    b.buffer = &key;
    if (mysql_stmt_bind_param(st, &b) != 0) {
        return fail(m, "bind");
    }
    for (key = 1; key <= n; key++) {
        if (mysql_stmt_execute(st) != 0 || mysql_stmt_store_result(st) != 0) {
            return fail(m, "execute");
        }
        mysql_stmt_free_result(st);
    }
    mysql_stmt_close(st);
    return 0;
}

int main(int argc, char **argv)
{
    MYSQL *m = NULL;
    const char *stat = NULL;

    if (argc != 3) {
        fprintf(stderr, "usage: admin_cmds SOCKET SCHEMA\n");
        return 2;
    }
    m = mysql_init(NULL);
    if (m == NULL || mysql_real_connect(m, NULL, "root", NULL, NULL, 0, argv[1],
                                        0) == NULL) {
        return fail(m, "connect");
    }
    if (mysql_select_db(m, argv[2]) != 0) {
        return fail(m, "init db");
    }
    if (mysql_ping(m) != 0 || mysql_ping(m) != 0) {
        return fail(m, "ping");
    }
    stat = mysql_stat(m);
    if (stat == NULL) {
        return fail(m, "statistics");
    }
    if (mysql_change_user(m, "root", NULL, argv[2]) != 0) {
        return fail(m, "change user");
    }
    if (mysql_refresh(m, REFRESH_TABLES) != 0) {
        return fail(m, "refresh");
    }
    if (loop(m, "SELECT id, name FROM customers WHERE id = ?", 12) != 0 ||
        loop(m, "SELECT COUNT(*) FROM orders WHERE customer_id = ?", 8) != 0) {
        return 1;
    }
    if (mysql_select_db(m, "mysql") != 0 || mysql_ping(m) != 0) {
        return fail(m, "init db again");
    }
    mysql_close(m);
    return 0;
}
