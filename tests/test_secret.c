/* SPDX-License-Identifier: MIT */
/*
 * test_secret.c: passwords masked out of statements (base/secret.h).
 *
 * Each account statement that carries a password comes out with the
 * password replaced by '<secret>' and every other byte as it was; the
 * statements that merely look alike (a column named password, the words
 * inside a string, a SELECT) come out untouched. The general log reader
 * hands the masked text out, so no sample or value list sees it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/secret.h"
#include "helpers.h"
#include "read/reader.h"

struct mask_case {
    const char *in;   /* the statement */
    const char *want; /* masked, or NULL: left alone */
};

static const struct mask_case cases[] = {
    {"CREATE USER 'u'@'h' IDENTIFIED BY 'pw1'",
     "CREATE USER 'u'@'h' IDENTIFIED BY '<secret>'"},
    {"alter user u@h identified with mysql_native_password by \"pw2\", "
     "v identified by 'pw3'",
     "alter user u@h identified with mysql_native_password by \"<secret>\", "
     "v identified by '<secret>'"},
    {"SET PASSWORD FOR 'u'@'%' = PASSWORD('pw4')",
     "SET PASSWORD FOR 'u'@'%' = PASSWORD('<secret>')"},
    {"SET PASSWORD = 'pw5'", "SET PASSWORD = '<secret>'"},
    {"CHANGE MASTER TO MASTER_HOST='h', MASTER_PASSWORD='pw6', "
     "MASTER_PORT=3306",
     "CHANGE MASTER TO MASTER_HOST='h', MASTER_PASSWORD='<secret>', "
     "MASTER_PORT=3306"},
    {"GRANT ALL ON *.* TO u@h IDENTIFIED BY 'p''w\\'7' WITH GRANT OPTION",
     "GRANT ALL ON *.* TO u@h IDENTIFIED BY '<secret>' WITH GRANT OPTION"},
    {"/* app */ CREATE USER u IDENTIFIED VIA ed25519 USING PASSWORD ('pw8')",
     "/* app */ CREATE USER u IDENTIFIED VIA ed25519 USING PASSWORD "
     "('<secret>')"},
    {"CREATE SERVER s FOREIGN DATA WRAPPER mysql OPTIONS (USER 'r', "
     "PASSWORD 'pw9')",
     "CREATE SERVER s FOREIGN DATA WRAPPER mysql OPTIONS (USER 'r', "
     "PASSWORD '<secret>')"},
    {"CREATE USER u IDENTIFIED BY 'unclosed", "CREATE USER u IDENTIFIED BY "
                                              "'<secret>'"},
    /* Look-alikes: nothing to mask. */
    {"SELECT 'IDENTIFIED BY' FROM t", NULL},
    {"SET NAMES utf8mb4", NULL},
    {"CREATE TABLE t (password VARCHAR(10) DEFAULT 'x')", NULL},
    {"ALTER TABLE t ADD password CHAR(5) DEFAULT 'x', ADD b INT", NULL},
    {"CREATE USER u IDENTIFIED BY `not a string`", NULL},
    {"", NULL},
};

static void test_secret_masks_each_case(void **state)
{
    struct n1_strbuf out;

    (void)state;
    n1_strbuf_init(&out, 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = n1_secret_mask(cases[i].in, strlen(cases[i].in), &out);

        if (cases[i].want == NULL) {
            if (rc != 0) {
                print_error("masked: %s\n  got: %s\n", cases[i].in,
                            n1_strbuf_str(&out));
            }
            assert_int_equal(rc, 0);
            assert_int_equal(out.len, 0);
            continue;
        }
        if (rc != 1 || strcmp(n1_strbuf_str(&out), cases[i].want) != 0) {
            print_error("input: %s\n want: %s\n  got: %s (%d)\n", cases[i].in,
                        cases[i].want, n1_strbuf_str(&out), rc);
        }
        assert_int_equal(rc, 1);
        assert_string_equal(n1_strbuf_str(&out), cases[i].want);
    }
    n1_strbuf_cleanup(&out);
}

/* A capped buffer too small for the masked text: -1, never a partial
   text that could end before the mask. */
static void test_secret_cap_fails(void **state)
{
    struct n1_strbuf out;
    const char *sql = "CREATE USER u IDENTIFIED BY 'x'";

    (void)state;
    n1_strbuf_init(&out, 20);
    assert_int_equal(n1_secret_mask(sql, strlen(sql), &out), -1);
    n1_strbuf_cleanup(&out);
}

/* The general log reader hands out the masked statement. */
static void test_secret_reader_masks(void **state)
{
    static const char log[] =
        "/usr/sbin/mariadbd, Version: 10.11.6-MariaDB (Debian). started "
        "with:\n"
        "Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\n"
        "Time\t\t    Id Command\tArgument\n"
        "241125  9:05:03\t    7 Query\tCREATE USER 'app'@'%' IDENTIFIED BY "
        "'S3cr-et!'\n"
        "\t\t    7 Query\tSELECT 1\n";
    struct n1_reader *r;
    struct n1_event ev;
    struct n1_error err;

    (void)state;
    r = n1_reader_open(th_temp_file(log, sizeof(log) - 1), NULL, &err);
    assert_non_null(r);
    assert_int_equal(n1_reader_next(r, &ev, &err), 1);
    assert_string_equal(ev.sql,
                        "CREATE USER 'app'@'%' IDENTIFIED BY '<secret>'");
    assert_int_equal(ev.sql_len, strlen(ev.sql));
    assert_int_equal(n1_reader_next(r, &ev, &err), 1);
    assert_string_equal(ev.sql, "SELECT 1");
    n1_reader_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secret_masks_each_case),
        cmocka_unit_test(test_secret_cap_fails),
        cmocka_unit_test(test_secret_reader_masks),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
