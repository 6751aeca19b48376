/* SPDX-License-Identifier: MIT */
/*
 * test_sqlinfo.c: the verb and tables of fingerprint texts (report items).
 *
 * Cases are data: fingerprint text in, item out. The expected items were
 * written from what pt-query-digest's item column shows for the same
 * statements, adjusted where n1digest keeps names as written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "sql/sqlinfo.h"

struct item_case {
    const char *fp;   /* fingerprint text */
    const char *item; /* expected item */
};

static const struct item_case cases[] = {
    {"select * from users where id = ?", "SELECT users"},
    {"select u.name, o.id from users u join orders o on o.user_id = u.id",
     "SELECT users orders"},
    {"select a from t1, t2 as x, `db`.`t3` where t1.id = x.id",
     "SELECT t1 t2 db.t3"},
    {"select * from users where id in(select user_id from orders)",
     "SELECT users orders"},
    {"select extract(day from created) from events", "SELECT events"},
    {"select ?", "SELECT"},
    {"insert into orders (user_id, amount) values(?+)", "INSERT orders"},
    {"insert ignore into audit (msg) values(?+)", "INSERT audit"},
    {"insert into archive select * from orders where id < ?",
     "INSERT SELECT archive orders"},
    {"replace into kv values(?+)", "REPLACE kv"},
    {"update users set name = ? where id = ?", "UPDATE users"},
    {"update low_priority users u join orders o on o.uid = u.id set u.n = ?",
     "UPDATE users orders"},
    {"delete from sessions where expires < ?", "DELETE sessions"},
    {"create table users(id int primary key) engine = InnoDB",
     "CREATE TABLE users"},
    {"create table if not exists n1_other.audit(id int)",
     "CREATE TABLE n1_other.audit"},
    {"drop database if exists n1_app", "DROP DATABASE n1_app"},
    {"create unique index ix on users(email)", "CREATE INDEX users"},
    {"alter table orders add column note text", "ALTER TABLE orders"},
    {"truncate table logs", "TRUNCATE logs"},
    {"show variables like ?", "SHOW VARIABLES"},
    {"show full processlist", "SHOW FULL PROCESSLIST"},
    {"show create table users", "SHOW CREATE TABLE users"},
    {"show index from orders", "SHOW INDEX orders"},
    {"call refresh_stats(?)", "CALL refresh_stats"},
    {"begin", "BEGIN"},
    {"commit", "COMMIT"},
    {"use shop", "USE"},
    {"set names ?", "SET"},
    {"(select a from t1) union (select a from t2)", "SELECT t1 t2"},
    /* A slow log's administrator commands, named as pt-query-digest
       names them. */
    {"administrator command: Quit", "ADMIN QUIT"},
    {"administrator command: Init DB;", "ADMIN INIT DB"},
    {"administrator command: Binlog Dump GTID", "ADMIN BINLOG DUMP GTID"},
    {"", ""},
    {"   ", ""},
    {"?", ""},
};

static void test_sqlinfo_items(void **state)
{
    char buf[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct n1_sqlinfo si;

        n1_sqlinfo_parse(cases[i].fp, strlen(cases[i].fp), &si);
        n1_sqlinfo_item(&si, buf, sizeof(buf));
        th_assert_text(cases[i].fp, cases[i].item, buf);
    }
}

static void test_sqlinfo_table_cap(void **state)
{
    const char *fp = "select * from a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, "
                     "a1";
    struct n1_sqlinfo si;
    char buf[256];

    (void)state;
    n1_sqlinfo_parse(fp, strlen(fp), &si);
    assert_int_equal(si.n_tables, N1_SQLINFO_MAX_TABLES);
    assert_int_equal(si.n_more, 2);
    n1_sqlinfo_item(&si, buf, sizeof(buf));
    th_assert_text(fp, "SELECT a1 a2 a3 a4 a5 a6 a7 a8 +2", buf);
}

static void test_sqlinfo_hostile(void **state)
{
    /* NUL bytes, unterminated quotes and names, long names, deep
       parentheses: no crash, no overflow, a cut name. */
    static const char nul[] = "select * from t\0u where a = ?";
    char longname[300];
    char text[400];
    char small[8];
    struct n1_sqlinfo si;

    (void)state;
    n1_sqlinfo_parse(nul, sizeof(nul) - 1, &si);
    assert_string_equal(si.verb, "SELECT");
    n1_sqlinfo_parse("select * from `unterminated", 27, &si);
    assert_int_equal(si.n_tables, 1);
    assert_string_equal(si.tables[0], "unterminated");
    n1_sqlinfo_parse("select 'abc from x", 18, &si);
    assert_int_equal(si.n_tables, 0);
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    snprintf(text, sizeof(text), "select * from %s", longname);
    n1_sqlinfo_parse(text, strlen(text), &si);
    assert_int_equal(si.n_tables, 1);
    assert_true(strlen(si.tables[0]) <= N1_SQLINFO_MAX_NAME);
    memset(text, '(', 200);
    snprintf(text + 200, sizeof(text) - 200, "select a from deep");
    n1_sqlinfo_parse(text, strlen(text), &si);
    assert_string_equal(si.verb, "SELECT");
    n1_sqlinfo_parse(NULL, 0, &si);
    assert_string_equal(si.verb, "");
    /* the item is cut to the buffer */
    n1_sqlinfo_parse("select * from users", 19, &si);
    n1_sqlinfo_item(&si, small, sizeof(small));
    assert_string_equal(small, "SELECT ");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sqlinfo_items),
        cmocka_unit_test(test_sqlinfo_table_cap),
        cmocka_unit_test(test_sqlinfo_hostile),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
