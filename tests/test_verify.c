/* SPDX-License-Identifier: MIT */
/*
 * test_verify.c: the pure parts of `n1digest verify` (engine/verify.h):
 * the safety classification of statements, rows as text and the
 * multiset containment, the EXPLAIN judgement on MariaDB's and MySQL's
 * JSON, the CREATE INDEX text, the loop rebuilt for one key and the
 * report parser on good and bad input. The server part is covered by
 * tests/integration/test_verify.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/verify.h"

/* ---- safety ----------------------------------------------------------- */

static void test_verify_plain_selects_pass(void **state)
{
    (void)state;
    assert_null(n1_verify_refusal("SELECT a FROM t WHERE id IN (1, 2)", 0));
    assert_null(n1_verify_refusal("  select * from t where x = ';'", 0));
    /* Words in strings, quoted names and comments do not count. */
    assert_null(n1_verify_refusal(
        "SELECT 'into outfile', `sleep` FROM t /* get_lock(1) */", 0));
    assert_null(n1_verify_refusal("SELECT a FROM t -- ; DROP TABLE t", 0));
    assert_null(n1_verify_refusal("SELECT a FROM t;", 0));
    assert_null(n1_verify_refusal("WITH c AS (SELECT 1) SELECT * FROM c", 0));
}

static void test_verify_side_effects_refused(void **state)
{
    static const char *const bad[][2] = {
        {"SELECT * FROM t INTO OUTFILE '/tmp/x'", "OUTFILE"},
        {"select a from t into dumpfile '/tmp/x'", "DUMPFILE"},
        {"SELECT a INTO @v FROM t", "INTO"},
        {"SELECT GET_LOCK('x', 10)", "GET_LOCK"},
        {"SELECT a FROM t WHERE SLEEP (5) = 0", "SLEEP"},
        {"SELECT LOAD_FILE('/etc/passwd')", "LOAD_FILE"},
        {"CALL purge_all()", "CALL"},
        {"SET GLOBAL max_connections = 1", "SET GLOBAL"},
        {"set global read_only = 1", "SET GLOBAL"},
        {"DROP TABLE t", "DDL"},
        {"CREATE INDEX i ON t (a)", "DDL"},
        {"ALTER TABLE t ADD c INT", "DDL"},
        {"TRUNCATE t", "DDL"},
        {"LOCK TABLES t WRITE", "LOCK"},
        {"LOAD DATA INFILE 'x' INTO TABLE t", "LOAD"},
        {"SELECT 1; DROP TABLE t", "more than one"},
        {"SELECT 1 /*!; DROP TABLE t */", "more than one"},
        {"UPDATE t SET a = 1 WHERE id = 2", "--allow-writes"},
        {"DELETE FROM t WHERE id = 2", "--allow-writes"},
        {"INSERT INTO t VALUES (1)", "--allow-writes"},
        {"SHOW TABLES", "not a SELECT"},
        {"", "no statement"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *why = n1_verify_refusal(bad[i][0], 0);

        if (why == NULL || strstr(why, bad[i][1]) == NULL) {
            print_error("statement: %s\nexpected: %s\ngot: %s\n", bad[i][0],
                        bad[i][1], why != NULL ? why : "(allowed)");
            fail();
        }
    }
}

static void test_verify_allow_writes_only_plain_writes(void **state)
{
    (void)state;
    assert_null(n1_verify_refusal("UPDATE t SET a = a - 1 WHERE id = 2", 1));
    assert_null(n1_verify_refusal("DELETE FROM t WHERE id IN (1, 2)", 1));
    assert_non_null(strstr(n1_verify_refusal("DROP TABLE t", 1), "DDL"));
    assert_non_null(n1_verify_refusal("CALL p()", 1));
    assert_non_null(n1_verify_refusal("SET GLOBAL x = 1", 1));
    assert_non_null(
        n1_verify_refusal("UPDATE t SET a = SLEEP(10) WHERE id = 1", 1));
    assert_non_null(n1_verify_refusal("SELECT 1 INTO OUTFILE '/x'", 1));
}

/* ---- rows ------------------------------------------------------------- */

/* Encodes fields (NULL for SQL NULL) as one row into out (cap bytes). */
static size_t row(char *out, size_t cap, size_t n, const char *const *f)
{
    struct n1_strbuf sb;
    size_t len;

    n1_strbuf_init(&sb, 0);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(
            n1_verify_row_field(&sb, f[i], f[i] != NULL ? strlen(f[i]) : 0), 0);
    }
    len = sb.len;
    assert_true(len < cap);
    memcpy(out, sb.buf, len + 1);
    n1_strbuf_cleanup(&sb);
    return len;
}

static void test_verify_null_is_not_the_string_null(void **state)
{
    const char *a[] = {"1", NULL};
    const char *b[] = {"1", "NULL"};
    const char *c[] = {"1N", ""}; /* no field runs into the next */
    const char *d[] = {"1", "N"};
    char ra[64], rb[64], rc[64], rd[64];
    size_t la = row(ra, sizeof(ra), 2, a);
    size_t lb = row(rb, sizeof(rb), 2, b);
    size_t lc = row(rc, sizeof(rc), 2, c);
    size_t ld = row(rd, sizeof(rd), 2, d);
    char shown[64];

    (void)state;
    assert_false(la == lb && memcmp(ra, rb, la) == 0);
    assert_false(lc == ld && memcmp(rc, rd, lc) == 0);
    assert_string_equal(n1_verify_row_show(ra, la, shown, sizeof(shown)),
                        "('1', NULL)");
    assert_string_equal(n1_verify_row_show(rb, lb, shown, sizeof(shown)),
                        "('1', 'NULL')");
}

static void test_verify_multiset_containment(void **state)
{
    const char *f1[] = {"a", "1"};
    const char *f2[] = {"b", NULL};
    const char *f3[] = {"c", "3"};
    char r1[32], r2[32], r3[32];
    size_t l1 = row(r1, sizeof(r1), 2, f1);
    size_t l2 = row(r2, sizeof(r2), 2, f2);
    size_t l3 = row(r3, sizeof(r3), 2, f3);
    const char *need[] = {r2, r1, r1};
    size_t need_len[] = {l2, l1, l1};
    const char *have[] = {r3, r1, r2, r1};
    size_t have_len[] = {l3, l1, l2, l1};

    (void)state;
    /* Extra rows in the rewrite are allowed (keys outside are checked
       apart); every row needed, as often as needed. */
    assert_int_equal(n1_verify_contains(need, need_len, 3, have, have_len, 4),
                     -1);
    /* r1 only once in have: the second r1 of need (index 2) is missing. */
    assert_int_equal(n1_verify_contains(need, need_len, 3, have, have_len, 3),
                     2);
    /* Nothing has nothing: the first row of need is reported. */
    assert_int_equal(n1_verify_contains(need, need_len, 3, have, have_len, 0),
                     0);
    assert_int_equal(n1_verify_contains(need, need_len, 0, have, have_len, 0),
                     -1);
}

/* ---- EXPLAIN ---------------------------------------------------------- */

static void test_verify_explain_mariadb(void **state)
{
    static const char *const scan =
        "{\"query_block\": {\"select_id\": 1, \"nested_loop\": [{\"table\": "
        "{\"table_name\": \"tags\", \"access_type\": \"ALL\", \"rows\": 60, "
        "\"filtered\": 100, \"attached_condition\": \"tags.gid in (1,2)\"}}]}}";
    static const char *const ref =
        "{\"query_block\": {\"select_id\": 1, \"table\": {\"table_name\": "
        "\"group_names\", \"access_type\": \"range\", \"possible_keys\": "
        "[\"PRIMARY\"], \"key\": \"PRIMARY\", \"key_length\": \"4\"}}}";
    static const char *const small =
        "{\"query_block\": {\"select_id\": 1, \"table\": {\"table_name\": "
        "\"group_names\", \"access_type\": \"ALL\", \"possible_keys\": "
        "[\"PRIMARY\"], \"rows\": 60}}}";
    struct n1_verify_plan p;

    (void)state;
    assert_int_equal(n1_verify_explain_judge(scan, strlen(scan), "tags", &p),
                     0);
    assert_true(p.found && p.full_scan && p.no_key);
    assert_string_equal(p.access, "ALL");
    assert_int_equal(
        n1_verify_explain_judge(ref, strlen(ref), "app.`group_names`", &p), 0);
    assert_true(p.found && !p.full_scan && !p.no_key);
    assert_string_equal(p.key, "PRIMARY");
    /* A scan with a possible key: shown, but no index is missing. */
    assert_int_equal(
        n1_verify_explain_judge(small, strlen(small), "group_names", &p), 0);
    assert_true(p.found && p.full_scan && !p.no_key);
    /* Another table: not found. */
    assert_int_equal(n1_verify_explain_judge(ref, strlen(ref), "tags", &p), 0);
    assert_false(p.found);
    assert_int_equal(n1_verify_explain_judge("[1]", 3, "t", &p), -1);
    assert_int_equal(n1_verify_explain_judge("{", 1, "t", &p), -1);
}

static void test_verify_explain_mysql(void **state)
{
    /* MySQL 8.0's shape: cost_info, used_key_parts, key null absent. */
    static const char *const js =
        "{\"query_block\": {\"select_id\": 1, \"cost_info\": "
        "{\"query_cost\": \"6.25\"}, \"table\": {\"table_name\": \"orders\", "
        "\"access_type\": \"ALL\", \"rows_examined_per_scan\": 60, "
        "\"filtered\": \"10.00\", \"attached_condition\": "
        "\"(`app`.`orders`.`customer_id` = 7)\"}}}";
    struct n1_verify_plan p;

    (void)state;
    assert_int_equal(n1_verify_explain_judge(js, strlen(js), "ORDERS", &p), 0);
    assert_true(p.found && p.full_scan && p.no_key);
}

/* ---- CREATE INDEX ----------------------------------------------------- */

static void test_verify_index_sql(void **state)
{
    const char *one[] = {"tags.gid"};
    const char *two[] = {"a", "b"};
    const char *odd[] = {"my col"};
    char buf[256];

    (void)state;
    assert_int_equal(n1_verify_index_sql("tags", one, 1, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "CREATE INDEX `n1_tags_gid` ON `tags` (`gid`)");
    assert_int_equal(n1_verify_index_sql("app.shelf", two, 2, buf, sizeof(buf)),
                     0);
    assert_string_equal(buf,
                        "CREATE INDEX `n1_shelf_a_b` ON `shelf` (`a`, `b`)");
    assert_int_equal(n1_verify_index_sql("`order`", odd, 1, buf, sizeof(buf)),
                     0);
    assert_string_equal(buf,
                        "CREATE INDEX `n1_order_my col` ON `order` (`my col`)");
    assert_int_equal(n1_verify_index_sql("", one, 1, buf, sizeof(buf)), -1);
    assert_int_equal(n1_verify_index_sql("t", one, 0, buf, sizeof(buf)), -1);
    assert_int_equal(n1_verify_index_sql("tags", one, 1, buf, 10), -1);
}

/* ---- locking reads ---------------------------------------------------- */

static void test_verify_locking_clause(void **state)
{
    static const char *const sql[][2] = {
        {"SELECT a FROM t WHERE id = 1 FOR UPDATE", " FOR UPDATE"},
        {"select a from t where id in (1) for update nowait",
         " for update nowait"},
        {"SELECT a FROM t FOR UPDATE SKIP LOCKED;", " FOR UPDATE SKIP LOCKED;"},
        {"SELECT a FROM t LOCK IN SHARE MODE", " LOCK IN SHARE MODE"},
        {"SELECT a FROM t FOR SHARE", " FOR SHARE"},
        {"SELECT a FROM t WHERE b = 'for update'", ""},
        {"SELECT `for`, `update` FROM t", ""},
        {"SELECT a FROM t", ""},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
        size_t at = n1_verify_locking_clause(sql[i][0]);

        if (strcmp(sql[i][0] + at, sql[i][1]) != 0 &&
            !(at < strlen(sql[i][0]) && sql[i][0][at - 1] == ' ' &&
              strcmp(sql[i][0] + at - 1, sql[i][1]) == 0)) {
            print_error("sql: %s\nexpected tail: '%s'\ngot: '%s'\n", sql[i][0],
                        sql[i][1], sql[i][0] + at);
            fail();
        }
    }
}

/* ---- the loop rebuilt -------------------------------------------------- */

/* A quote function for the tests: numbers as-is, strings in '' with a
   quote doubled, NULL. */
static int test_quote(void *ud, struct n1_strbuf *sb,
                      const struct n1_literal *lit)
{
    (void)ud;
    if (lit->type == N1_LIT_NULL) {
        return n1_strbuf_puts(sb, "NULL");
    }
    if (lit->type == N1_LIT_NUMBER) {
        return n1_strbuf_append(sb, lit->value, lit->len);
    }
    if (n1_strbuf_putc(sb, '\'') < 0) {
        return -1;
    }
    for (size_t i = 0; i < lit->len; i++) {
        if ((lit->value[i] == '\'' && n1_strbuf_putc(sb, '\'') < 0) ||
            n1_strbuf_putc(sb, lit->value[i]) < 0) {
            return -1;
        }
    }
    return n1_strbuf_putc(sb, '\'');
}

static struct n1_literal lit(enum n1_lit_type t, const char *v, unsigned slot)
{
    struct n1_literal l;

    memset(&l, 0, sizeof(l));
    l.type = t;
    l.value = v;
    l.len = strlen(v);
    l.slot = slot;
    return l;
}

static void test_verify_rebuild_key_and_constants(void **state)
{
    const char *fp = "select t.a from t where t.kind = ? and t.id = ? "
                     "limit ?";
    const char *kc[] = {"t.id"};
    struct n1_literal sample[3];
    struct n1_literal key[1];
    struct n1_strbuf sb;
    struct n1_error err;
    const char *why = NULL;

    (void)state;
    sample[0] = lit(N1_LIT_STRING, "o'k", 0);
    sample[1] = lit(N1_LIT_NUMBER, "1", 1);
    sample[2] = lit(N1_LIT_NUMBER, "1", 2);
    key[0] = lit(N1_LIT_STRING, "x' OR '1'='1", 0);
    n1_strbuf_init(&sb, 0);
    assert_int_equal(n1_verify_rebuild(fp, kc, 1, key, 1, sample, 3, test_quote,
                                       NULL, &sb, &why, &err),
                     0);
    /* The key's value is quoted, never pasted: the injection is a string. */
    assert_string_equal(n1_strbuf_str(&sb),
                        "select t.a from t where t.kind = 'o''k' and t.id = "
                        "'x'' OR ''1''=''1' limit 1");
    n1_strbuf_cleanup(&sb);
}

static void test_verify_rebuild_refuses_what_does_not_fit(void **state)
{
    const char *kc[] = {"t.id"};
    const char *other[] = {"u.x"};
    struct n1_literal sample[1];
    struct n1_literal key[2];
    struct n1_strbuf sb;
    struct n1_error err;
    const char *why = NULL;

    (void)state;
    sample[0] = lit(N1_LIT_NUMBER, "1", 0);
    key[0] = lit(N1_LIT_NUMBER, "5", 0);
    key[1] = lit(N1_LIT_NUMBER, "6", 0);
    n1_strbuf_init(&sb, 0);
    /* No such key column. */
    assert_int_equal(n1_verify_rebuild("select a from t where t.id = ?", other,
                                       1, key, 1, sample, 1, test_quote, NULL,
                                       &sb, &why, &err),
                     1);
    assert_non_null(strstr(why, "no key column"));
    /* Two values for one key column. */
    assert_int_equal(n1_verify_rebuild("select a from t where t.id = ?", kc, 1,
                                       key, 2, sample, 1, test_quote, NULL, &sb,
                                       &why, &err),
                     1);
    /* A constant the sample lacks. */
    assert_int_equal(n1_verify_rebuild("select a from t where t.id = ? and "
                                       "t.b = ?",
                                       kc, 1, key, 1, sample, 1, test_quote,
                                       NULL, &sb, &why, &err),
                     1);
    assert_non_null(strstr(why, "sample"));
    n1_strbuf_cleanup(&sb);
}

/* ---- the report -------------------------------------------------------- */

static const char *const report =
    "{\"tool\": {}, \"inputs\": [], \"classes\": ["
    " {\"id\": \"00000000000000aa\", \"kind\": \"duplicate\"},"
    " {\"id\": \"00000000000000bb\", \"kind\": \"n_plus_one\","
    "  \"statement\": \"select\", \"table\": \"t\","
    "  \"key_columns\": [\"t.id\"], \"fingerprint_text\": \"select a from t "
    "where t.id = ?\", \"sample\": \"SELECT a FROM t WHERE t.id = 1\","
    "  \"rewrite\": \"SELECT t.id, a FROM t WHERE t.id IN (1, 2)\","
    "  \"keys\": [\"1\", \"2\"], \"occurrences\": ["
    "   {\"rewrite\": \"SELECT t.id, a FROM t WHERE t.id IN (1, 2)\","
    "    \"keys\": [\"1\", \"2\"]},"
    "   {\"rewrite\": \"SELECT t.id, a FROM t WHERE t.id IN (3)\","
    "    \"keys\": [\"3\"]}]},"
    " {\"id\": \"not hex\", \"kind\": \"n_plus_one\"},"
    " {\"id\": \"00000000000000cc\", \"kind\": \"fanout\", \"keys\": 7,"
    "  \"key_columns\": [1, null], \"occurrences\": {}}]}";

static void test_verify_report_targets(void **state)
{
    struct n1_verify_report r;
    struct n1_error err;

    (void)state;
    assert_int_equal(n1_verify_report_parse(report, strlen(report), "r.json",
                                            NULL, &r, &err),
                     0);
    /* bb's class, its second occurrence (the first is the class's); cc
       with its odd members; the duplicate and the bad id left out. */
    assert_int_equal(r.n, 3);
    assert_string_equal(r.v[0].id, "00000000000000bb");
    assert_int_equal(r.v[0].occurrence, 0);
    assert_int_equal(r.v[0].n_keys, 2);
    assert_string_equal(r.v[0].keys[1], "2");
    assert_int_equal(r.v[1].occurrence, 2);
    assert_int_equal(r.v[1].n_keys, 1);
    assert_string_equal(r.v[1].rewrite,
                        "SELECT t.id, a FROM t WHERE t.id IN (3)");
    assert_string_equal(r.v[2].id, "00000000000000cc");
    assert_int_equal(r.v[2].n_keys, 0);
    assert_null(r.v[2].rewrite);
    assert_int_equal(r.v[2].n_key_columns, 2);
    assert_string_equal(r.v[2].key_columns[0], "");
    n1_verify_report_cleanup(&r);
    assert_int_equal(n1_verify_report_parse(report, strlen(report), "r.json",
                                            "00000000000000CC", &r, &err),
                     0);
    assert_int_equal(r.n, 1);
    n1_verify_report_cleanup(&r);
}

static void test_verify_report_bad_input(void **state)
{
    struct n1_verify_report r;
    struct n1_error err;

    (void)state;
    assert_int_equal(n1_verify_report_parse("{\n\"classes\": [", 14, "r.json",
                                            NULL, &r, &err),
                     -1);
    assert_int_equal(err.code, N1_EPARSE);
    assert_string_equal(err.file, "r.json");
    assert_int_equal(err.line, 2);
    assert_int_equal(n1_verify_report_parse("{\"findings\": []}", 16, "r.json",
                                            NULL, &r, &err),
                     -1);
    assert_non_null(strstr(err.message, "classes"));
    assert_int_equal(r.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_plain_selects_pass),
        cmocka_unit_test(test_verify_side_effects_refused),
        cmocka_unit_test(test_verify_allow_writes_only_plain_writes),
        cmocka_unit_test(test_verify_null_is_not_the_string_null),
        cmocka_unit_test(test_verify_multiset_containment),
        cmocka_unit_test(test_verify_explain_mariadb),
        cmocka_unit_test(test_verify_explain_mysql),
        cmocka_unit_test(test_verify_index_sql),
        cmocka_unit_test(test_verify_locking_clause),
        cmocka_unit_test(test_verify_rebuild_key_and_constants),
        cmocka_unit_test(test_verify_rebuild_refuses_what_does_not_fit),
        cmocka_unit_test(test_verify_report_targets),
        cmocka_unit_test(test_verify_report_bad_input),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
