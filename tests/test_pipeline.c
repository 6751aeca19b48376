/* SPDX-License-Identifier: MIT */
/*
 * test_pipeline.c: the pipeline through its public API: it counts every
 * event of a general log and, of those, the statements the server ran
 * (the expected numbers come from reading the log here, line by line);
 * an input that is not a log is counted, is no error, and is told
 * through the notice callback with its code token; garbage lines are
 * counted as skipped and passed to the reader's warning callback; a file
 * a store on disk has read before is skipped the next time; the notices
 * carry what the CLI prints about each input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/pipeline.h"
#include "helpers.h"

#define MAX_NOTICES 32

/* The notices and reader warnings one run received. */
struct heard {
    enum n1_notice_kind kind[MAX_NOTICES];
    char *msg[MAX_NOTICES];
    size_t n;
    size_t warnings; /* reader warnings */
};

static void on_notice(void *ud, enum n1_notice_kind kind, const char *msg)
{
    struct heard *h = ud;

    assert_true(h->n < MAX_NOTICES);
    h->kind[h->n] = kind;
    h->msg[h->n] = strdup(msg);
    assert_non_null(h->msg[h->n]);
    h->n++;
}

static void on_warn(void *ud, const struct n1_error *err)
{
    struct heard *h = ud;

    assert_int_equal(err->code, N1_EPARSE);
    h->warnings++;
}

static void heard_free(struct heard *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->msg[i]);
    }
    memset(h, 0, sizeof(*h));
}

/* 1 when h holds a notice of kind whose text is exactly msg. */
static int heard_exactly(const struct heard *h, enum n1_notice_kind kind,
                         const char *msg)
{
    for (size_t i = 0; i < h->n; i++) {
        if (h->kind[i] == kind && strcmp(h->msg[i], msg) == 0) {
            return 1;
        }
    }
    return 0;
}

/* What a general log holds, counted from its text. */
struct log_counts {
    uint64_t events;     /* event lines */
    uint64_t statements; /* Query and Execute lines: what the server ran */
    uint64_t garbage;    /* lines before the first banner */
};

/*
 * The command of an event line of a general log ("[YYMMDD HH:MM:SS]
 * <tabs> <id> <Command>\t<argument>") copied into cmd, or 0 when line is
 * not one.
 */
static int event_command(const char *line, char *cmd, size_t cap)
{
    const char *p = line;
    size_t n = 0;

    while (*p != '\0' && *p != '\t' && strchr("0123456789 :", *p) != NULL) {
        p++;
    }
    if (*p != '\t') {
        return 0;
    }
    while (*p == '\t' || *p == ' ') {
        p++;
    }
    if (*p < '0' || *p > '9') {
        return 0;
    }
    while (*p >= '0' && *p <= '9') {
        p++;
    }
    if (*p++ != ' ') {
        return 0;
    }
    while (p[n] != '\0' && p[n] != '\t' && p[n] != '\n' && n + 1 < cap) {
        cmd[n] = p[n];
        n++;
    }
    cmd[n] = '\0';
    return p[n] == '\t' && n > 0;
}

static struct log_counts count_log(const char *rel)
{
    struct log_counts c;
    char *text = th_read_fixture(rel, NULL);
    char *save = NULL;
    int banner_seen = 0;

    memset(&c, 0, sizeof(c));
    for (char *line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char cmd[32];

        if (strstr(line, ", Version: ") != NULL) {
            banner_seen = 1;
        } else if (!banner_seen) {
            c.garbage++;
        } else if (event_command(line, cmd, sizeof(cmd))) {
            c.events++;
            if (strcmp(cmd, "Query") == 0 || strcmp(cmd, "Execute") == 0) {
                c.statements++;
            }
        }
    }
    free(text);
    return c;
}

/* Options for a run on db_path with notices and warnings into h. */
static void run_opts(struct n1_pipeline_opts *o, const char *db_path,
                     struct heard *h)
{
    n1_pipeline_opts_default(o);
    o->db_path = db_path;
    o->notice = on_notice;
    o->notice_ud = h;
    o->reader.warn = on_warn;
    o->reader.warn_ud = h;
}

/* Reads path in a run on db_path; returns the pipeline, finished. */
static struct n1_pipeline *read_one(const char *db_path, const char *path,
                                    struct heard *h)
{
    struct n1_pipeline_opts o;
    struct n1_pipeline *p;
    struct n1_error err;

    n1_err_clear(&err);
    run_opts(&o, db_path, h);
    p = n1_pipeline_new(&o, &err);
    assert_non_null(p);
    assert_int_equal(n1_pipeline_read(p, path, &err), 0);
    assert_int_equal(n1_pipeline_finish(p, &err), 0);
    return p;
}

/*
 * Reads the fixture rel in a run of its own and checks the counters
 * against what its lines hold: every event line read, the Query and
 * Execute ones counted as statements, the lines before the banner
 * skipped with one warning each. want gets the counts.
 */
static void check_counts(const char *rel, struct log_counts *want)
{
    struct heard h;
    struct n1_pipeline *p;
    const struct n1_pipeline_stats *st;

    *want = count_log(rel);
    memset(&h, 0, sizeof(h));
    /* The log is there to count something: a counter that found nothing
       would make the test pass on any pipeline. */
    assert_true(want->statements > 0);
    p = read_one(":memory:", th_fixture_path(rel), &h);
    st = n1_pipeline_stats(p);
    assert_int_equal(st->files, 1);
    assert_int_equal(st->files_skipped, 0);
    assert_int_equal(st->not_logs, 0);
    assert_int_equal(st->events, want->events);
    assert_int_equal(st->statements, want->statements);
    assert_int_equal(st->skipped_lines, want->garbage);
    assert_int_equal(st->skipped_events, 0);
    assert_int_equal(h.warnings, want->garbage);
    assert_int_equal(n1_pipeline_exit_status(p), want->garbage > 0 ? 4 : 0);
    n1_pipeline_free(p);
    heard_free(&h);
}

static void test_pipeline_counts_events_and_statements(void **state)
{
    struct log_counts want;

    (void)state;
    check_counts("general/mariadb-basic.log", &want);
    /* Connect, Init DB, Prepare, Quit...: events that are no statement. */
    assert_true(want.events > want.statements);
    assert_int_equal(want.garbage, 0);
}

static void test_pipeline_not_a_log(void **state)
{
    static const char text[] = "hello\nworld\n";
    const char *path = th_temp_file(text, sizeof(text) - 1);
    struct heard h;
    struct n1_pipeline *p;
    const struct n1_pipeline_stats *st;

    (void)state;
    memset(&h, 0, sizeof(h));
    p = read_one(":memory:", path, &h);
    st = n1_pipeline_stats(p);
    assert_int_equal(st->files, 1);
    assert_int_equal(st->not_logs, 1);
    assert_int_equal(st->events, 0);
    assert_int_equal(n1_pipeline_exit_status(p), 3);
    /* One error notice, the reader's message with its one code token. */
    assert_int_equal(h.n, 1);
    assert_int_equal(h.kind[0], N1_NOTICE_ERROR);
    assert_true(strncmp(h.msg[0], "PARSE ", 6) == 0);
    assert_non_null(strstr(h.msg[0], path));
    assert_non_null(strstr(h.msg[0], "not a MySQL or MariaDB query log"));
    assert_null(strstr(h.msg[0] + 6, "PARSE"));
    n1_pipeline_free(p);
    heard_free(&h);
}

static void test_pipeline_skips_garbage_lines(void **state)
{
    struct log_counts want;

    (void)state;
    check_counts("general/garbage.log", &want);
    assert_true(want.garbage > 0);
}

static void test_pipeline_file_read_twice_is_skipped(void **state)
{
    char dir[] = "/tmp/n1-test-pipeline-XXXXXX";
    char db[sizeof(dir) + 16];
    char path[4096];
    char msg[4200];
    struct heard h;
    struct n1_pipeline *p;
    const struct n1_pipeline_stats *st;
    uint64_t first_events;

    (void)state;
    memset(&h, 0, sizeof(h));
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof(db), "%s/store.db", dir);
    snprintf(path, sizeof(path), "%s",
             th_fixture_path("general/mariadb-basic.log"));

    /* The first run reads the file and says what it is. */
    p = read_one(db, path, &h);
    first_events = n1_pipeline_stats(p)->events;
    assert_true(first_events > 0);
    snprintf(msg, sizeof(msg), "%s: mariadb-general", path);
    assert_true(heard_exactly(&h, N1_NOTICE_INFO, msg));
    n1_pipeline_free(p);
    heard_free(&h);

    /* The second, on the same store, skips it and says so. */
    p = read_one(db, path, &h);
    st = n1_pipeline_stats(p);
    assert_int_equal(st->files, 1);
    assert_int_equal(st->files_skipped, 1);
    assert_int_equal(st->events, 0);
    assert_int_equal(st->statements, 0);
    snprintf(msg, sizeof(msg), "%s: already read (mariadb-general), skipped",
             path);
    assert_true(heard_exactly(&h, N1_NOTICE_INFO, msg));
    snprintf(msg, sizeof(msg), "%s: mariadb-general", path);
    assert_false(heard_exactly(&h, N1_NOTICE_INFO, msg));
    n1_pipeline_free(p);
    heard_free(&h);

    assert_int_equal(unlink(db), 0);
    assert_int_equal(rmdir(dir), 0);
}

/* Copies the fixture rel to path. */
static void copy_fixture(const char *rel, const char *path)
{
    FILE *in = fopen(th_fixture_path(rel), "rb");
    FILE *out = fopen(path, "wb");
    char buf[4096];
    size_t n;

    assert_non_null(in);
    assert_non_null(out);
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
        assert_int_equal(fwrite(buf, 1, n, out), n);
    }
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

/* The store knows a file, not a spelling of its path: read as an absolute
   path, then with "./" and "//" in it, then relative, it is read once. */
static void test_pipeline_spellings_are_one_file(void **state)
{
    char dir[] = "/tmp/n1-test-pipeline-XXXXXX";
    char db[sizeof(dir) + 16];
    char log[sizeof(dir) + 16];
    char path[sizeof(dir) + 32];
    char cwd[4096];
    struct heard h;
    struct n1_pipeline *p;
    const struct n1_pipeline_stats *st;

    (void)state;
    memset(&h, 0, sizeof(h));
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof(db), "%s/store.db", dir);
    snprintf(log, sizeof(log), "%s/general.log", dir);
    copy_fixture("general/mariadb-basic.log", log);

    p = read_one(db, log, &h);
    assert_true(n1_pipeline_stats(p)->statements > 0);
    n1_pipeline_free(p);
    for (int r = 1; r <= 2; r++) {
        if (r == 1) {
            snprintf(path, sizeof(path), "%s/.//general.log", dir);
        } else {
            assert_int_equal(chdir(dir), 0);
            snprintf(path, sizeof(path), "general.log");
        }
        p = read_one(db, path, &h);
        st = n1_pipeline_stats(p);
        assert_int_equal(st->files_skipped, 1);
        assert_int_equal(st->statements, 0);
        n1_pipeline_free(p);
    }
    assert_int_equal(chdir(cwd), 0);
    heard_free(&h);
    assert_int_equal(unlink(log), 0);
    assert_int_equal(unlink(db), 0);
    assert_int_equal(rmdir(dir), 0);
}

/*
 * Reads the n fixtures rels with progress on, the run told of them first
 * when expect is set, and keeps the last progress notice of each input
 * in ends (caller frees them).
 */
static void progress_run(const char *const *rels, size_t n, int expect,
                         char **ends)
{
    struct n1_pipeline_opts o;
    struct n1_pipeline *p;
    struct n1_error err;
    struct heard h;
    char *paths[4];
    size_t k = 0;

    assert_true(n <= 4);
    memset(&h, 0, sizeof(h));
    n1_err_clear(&err);
    run_opts(&o, ":memory:", &h);
    o.progress = 1;
    p = n1_pipeline_new(&o, &err);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++) {
        paths[i] = strdup(th_fixture_path(rels[i]));
        assert_non_null(paths[i]);
    }
    if (expect) {
        n1_pipeline_expect(p, paths, n);
    }
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(n1_pipeline_read(p, paths[i], &err), 0);
    }
    assert_int_equal(n1_pipeline_finish(p, &err), 0);
    for (size_t i = 0; i < h.n; i++) {
        if (h.kind[i] == N1_NOTICE_PROGRESS_END) {
            assert_true(k < n);
            ends[k++] = strdup(h.msg[i]);
        }
    }
    assert_int_equal(k, n);
    for (size_t i = 0; i < n; i++) {
        free(paths[i]);
    }
    n1_pipeline_free(p);
    heard_free(&h);
}

static long fixture_size(const char *rel)
{
    FILE *f = fopen(th_fixture_path(rel), "rb");
    long size;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    fclose(f);
    return size;
}

/*
 * Progress says the percent of the expected bytes read: after the first
 * of two logs its share of their sizes, with the time remaining; after
 * the last 100%, also for a compressed one (by its compressed bytes).
 * Without the inputs told, no percent.
 */
static void test_pipeline_progress_percent(void **state)
{
    static const char *const two[] = {"general/mysql-8.0.log",
                                      "general/mariadb-basic.log"};
    static const char *const gz[] = {"compressed/insert-id.log.gz"};
    long a = fixture_size(two[0]);
    long b = fixture_size(two[1]);
    char want[32];
    char *ends[2];

    (void)state;
    progress_run(two, 2, 1, ends);
    snprintf(want, sizeof(want), ": %ld%% ", a * 100 / (a + b));
    if (strstr(ends[0], want) == NULL || strstr(ends[0], " remain, ") == NULL) {
        print_error("expected '%s' and a time remaining in '%s'\n", want,
                    ends[0]);
    }
    assert_non_null(strstr(ends[0], want));
    assert_non_null(strstr(ends[0], " remain, "));
    assert_non_null(strstr(ends[1], ": 100%, "));
    assert_null(strstr(ends[1], "remain"));
    free(ends[0]);
    free(ends[1]);

    progress_run(two, 2, 0, ends);
    assert_null(strchr(ends[0], '%'));
    assert_null(strchr(ends[1], '%'));
    assert_non_null(strstr(ends[1], " MB/s, "));
    free(ends[0]);
    free(ends[1]);

    /* Compressed: the compressed bytes decoded, against its size. */
    progress_run(gz, 1, 1, ends);
    assert_non_null(strstr(ends[0], ": 100%, "));
    free(ends[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipeline_counts_events_and_statements),
        cmocka_unit_test(test_pipeline_not_a_log),
        cmocka_unit_test(test_pipeline_skips_garbage_lines),
        cmocka_unit_test(test_pipeline_file_read_twice_is_skipped),
        cmocka_unit_test(test_pipeline_spellings_are_one_file),
        cmocka_unit_test(test_pipeline_progress_percent),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
