/* SPDX-License-Identifier: MIT */
/*
 * test_follow.c: n1_follow on a file that grows, shrinks and is replaced:
 * an event split at every byte position comes out whole and once;
 * copytruncate restarts at byte 0; a file with another inode at the path
 * is a new generation after the old one is read out; a resume offset
 * that no longer fits the file starts it over and says so; resuming at
 * any event boundary from a saved reader snapshot gives the same events
 * (times, users, schemas, lines) as reading from byte 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/strbuf.h"
#include "read/follow.h"

/* A MySQL 8 general log: three events, the middle one on two lines. */
static const char LOG[] =
    "2024-03-05T10:15:05.001500Z\t    8 Connect\tshop@h on shop using TCP/IP\n"
    "2024-03-05T10:15:05.004500Z\t    8 Query\tSELECT a FROM t\n"
    "WHERE id = 1\n"
    "2024-03-05T10:15:05.006000Z\t    8 Query\tSELECT b FROM u WHERE x = 'y'\n";

struct fixture {
    char dir[64];     /* private directory */
    char path[96];    /* the followed file inside it */
    char notes[1024]; /* notices received, concatenated */
};

static void note(void *ud, const char *msg)
{
    struct fixture *fx = ud;
    size_t n = strlen(fx->notes);

    snprintf(fx->notes + n, sizeof(fx->notes) - n, "%s\n", msg);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    if (fx == NULL) {
        return -1;
    }
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/n1follow.XXXXXX");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof(fx->path), "%s/general.log", fx->dir);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
    if (system(cmd) != 0) {
        return -1;
    }
    free(fx);
    return 0;
}

static void write_file(const char *path, const char *mode, const char *data,
                       size_t len)
{
    FILE *fp = fopen(path, mode);

    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static struct n1_follow *open_follow(struct fixture *fx,
                                     const struct n1_follow_start *start)
{
    struct n1_follow_opts o;

    memset(&o, 0, sizeof(o));
    o.settle_ms = 5;
    o.notice = note;
    o.notice_ud = fx;
    return n1_follow_open(fx->path, &o, start, NULL);
}

/* The next event or switch of f, waiting 10 ms after each poll that
   found nothing: N1_FOLLOW_NONE once quiet polls in a row found nothing. */
static int poll_next(struct n1_follow *f, struct n1_event *ev, int quiet)
{
    int rc;

    for (int n = 0; n < quiet; n++) {
        rc = n1_follow_next(f, ev, NULL);
        assert_true(rc >= 0);
        if (rc != N1_FOLLOW_NONE) {
            return rc;
        }
        sleep_ms(10);
    }
    return N1_FOLLOW_NONE;
}

/*
 * Pulls what the follower has now into out ("offset:sql|" per event,
 * "SWITCH|" per generation); with settle, waits past settle_ms once so
 * the last event is handed out too.
 */
static void drain_for(struct n1_follow *f, char *out, size_t cap, int settle)
{
    struct n1_event ev;

    for (;;) {
        int rc = poll_next(f, &ev, settle ? 2 : 1);
        size_t n = strlen(out);

        if (rc == N1_FOLLOW_NONE) {
            return;
        }
        if (rc == N1_FOLLOW_SWITCH) {
            snprintf(out + n, cap - n, "SWITCH|");
        } else {
            snprintf(out + n, cap - n, "%llu:%s|",
                     (unsigned long long)ev.offset, ev.sql);
        }
    }
}

static void drain(struct n1_follow *f, char *out, size_t cap)
{
    drain_for(f, out, cap, 1);
}

/* Opens a follower on the fixture's log (from start, or from the
   beginning with NULL) and drains it into got, emptied first. */
static struct n1_follow *open_drained(struct fixture *fx,
                                      const struct n1_follow_start *start,
                                      char *got, size_t cap)
{
    struct n1_follow *f = open_follow(fx, start);

    assert_non_null(f);
    got[0] = '\0';
    drain(f, got, cap);
    return f;
}

static const char EXPECTED[] =
    "SWITCH|0:shop@h on shop using TCP/IP|70:SELECT a FROM t\nWHERE id = "
    "1|139:SELECT b FROM u WHERE x = 'y'|";

static void test_follow_split_at_every_byte(void **state)
{
    struct fixture *fx = *state;
    size_t len = sizeof(LOG) - 1;

    for (size_t cut = 0; cut <= len; cut++) {
        struct n1_follow *f = NULL;
        char got[1024] = "";

        unlink(fx->path);
        write_file(fx->path, "w", LOG, cut);
        f = open_follow(fx, NULL);
        assert_non_null(f);
        /* The rest arrives before the file has been quiet for settle_ms:
           a read boundary, not a pause in the server's writing. */
        drain_for(f, got, sizeof(got), 0);
        write_file(fx->path, "a", LOG + cut, len - cut);
        drain(f, got, sizeof(got));
        if (strcmp(got, EXPECTED) != 0) {
            print_error("cut at %zu\nexpected: %s\nactual:   %s\n", cut,
                        EXPECTED, got);
            fail();
        }
        n1_follow_close(f);
    }
}

static void test_follow_missing_then_created(void **state)
{
    struct fixture *fx = *state;
    struct n1_follow *f = open_follow(fx, NULL);
    char got[1024] = "";

    assert_non_null(f);
    drain(f, got, sizeof(got));
    assert_string_equal(got, "");
    write_file(fx->path, "w", LOG, sizeof(LOG) - 1);
    drain(f, got, sizeof(got));
    assert_string_equal(got, EXPECTED);
    n1_follow_close(f);
}

static void test_follow_copytruncate(void **state)
{
    struct fixture *fx = *state;
    struct n1_follow *f = NULL;
    char got[2048] = "";
    char want[2048];

    write_file(fx->path, "w", LOG, sizeof(LOG) - 1);
    f = open_drained(fx, NULL, got, sizeof(got));
    /* Truncate and write fewer bytes than were read. */
    write_file(fx->path, "w", LOG + 70, 69);
    drain(f, got, sizeof(got));
    snprintf(want, sizeof(want), "%sSWITCH|0:SELECT a FROM t\nWHERE id = 1|",
             EXPECTED);
    assert_string_equal(got, want);
    assert_non_null(strstr(fx->notes, "truncated"));
    n1_follow_close(f);
}

static void test_follow_truncated_and_regrown(void **state)
{
    struct fixture *fx = *state;
    struct n1_follow *f = NULL;
    char other[sizeof(LOG)];
    char got[2048] = "";

    /* Same length, other first bytes: only the head check can tell. */
    memcpy(other, LOG, sizeof(LOG));
    other[18] = '6'; /* 10:15:06 instead of 10:15:05 */
    write_file(fx->path, "w", LOG, sizeof(LOG) - 1);
    f = open_drained(fx, NULL, got, sizeof(got));
    write_file(fx->path, "w", other, sizeof(LOG) - 1);
    drain(f, got, sizeof(got));
    assert_non_null(strstr(fx->notes, "truncated"));
    assert_int_equal(strncmp(got, EXPECTED, strlen(EXPECTED)), 0);
    assert_string_equal(got + strlen(EXPECTED),
                        "SWITCH|0:shop@h on shop using TCP/IP|70:SELECT a "
                        "FROM t\nWHERE id = 1|139:SELECT b FROM u WHERE x = "
                        "'y'|");
    n1_follow_close(f);
}

static void test_follow_rename_drains_old(void **state)
{
    struct fixture *fx = *state;
    struct n1_follow *f = NULL;
    char rotated[128];
    char got[2048] = "";
    char want[2048];

    snprintf(rotated, sizeof(rotated), "%s.1", fx->path);
    write_file(fx->path, "w", LOG, 70);
    f = open_drained(fx, NULL, got, sizeof(got));
    /* logrotate: rename; the server writes on to the old file, then
       FLUSH LOGS creates a new one. */
    assert_int_equal(rename(fx->path, rotated), 0);
    write_file(rotated, "a", LOG + 70, 69);
    write_file(fx->path, "w", LOG + 139, sizeof(LOG) - 1 - 139);
    drain(f, got, sizeof(got));
    snprintf(want, sizeof(want),
             "SWITCH|0:shop@h on shop using TCP/IP|70:SELECT a FROM t\n"
             "WHERE id = 1|SWITCH|0:SELECT b FROM u WHERE x = 'y'|");
    assert_string_equal(got, want);
    assert_non_null(strstr(fx->notes, "rotated"));
    n1_follow_close(f);
}

/* Follows the whole LOG once and fills *start to resume at byte 139, the
   start of its last event. */
static void start_at_last_event(struct fixture *fx,
                                struct n1_follow_start *start)
{
    struct n1_follow *f = NULL;
    char got[1024] = "";

    write_file(fx->path, "w", LOG, sizeof(LOG) - 1);
    f = open_drained(fx, NULL, got, sizeof(got));
    memset(start, 0, sizeof(*start));
    start->ident = *n1_follow_ident(f);
    start->offset = 139;
    n1_follow_close(f);
}

/* Resumes at a recorded offset, then again after the file was replaced
   or truncated below it. */
static void test_follow_resume_offset(void **state)
{
    struct fixture *fx = *state;
    struct n1_follow_start start;
    struct n1_follow *f = NULL;
    char got[1024] = "";

    start_at_last_event(fx, &start);
    f = open_drained(fx, &start, got, sizeof(got));
    assert_string_equal(got, "SWITCH|139:SELECT b FROM u WHERE x = 'y'|");
    assert_int_equal(n1_follow_resumed(f), 1);
    n1_follow_close(f);

    /* Replaced while we were down by a shorter file (new inode). */
    unlink(fx->path);
    write_file(fx->path, "w", LOG, 70);
    f = open_drained(fx, &start, got, sizeof(got));
    assert_string_equal(got, "SWITCH|0:shop@h on shop using TCP/IP|");
    assert_int_equal(n1_follow_resumed(f), 0);
    assert_non_null(strstr(fx->notes, "cannot resume at byte 139"));
    n1_follow_close(f);

    /* Same inode, truncated below the offset. */
    f = open_follow(fx, NULL);
    drain(f, got, sizeof(got));
    start.ident = *n1_follow_ident(f);
    start.offset = 139;
    n1_follow_close(f);
    fx->notes[0] = '\0';
    f = open_drained(fx, &start, got, sizeof(got));
    assert_int_equal(n1_follow_resumed(f), 0);
    assert_non_null(strstr(fx->notes, "shorter than the resume offset"));
    n1_follow_close(f);
}

/* A MariaDB general log: the time only when the second changes, the
   user and schema only at Connect and Init DB. */
static const char MARIADB_LOG[] =
    "/usr/sbin/mariadbd, Version: 10.11.6-MariaDB-log (Debian 12). "
    "started with:\n"
    "Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\n"
    "Time\t\t    Id Command\tArgument\n"
    "241125 12:00:00\t     7 Connect\tapp@10.0.0.7 on shop using TCP/IP\n"
    "\t\t     8 Connect\tbatch@10.0.0.8 on stats using TCP/IP\n"
    "\t\t     7 Query\tSELECT 1\n"
    "241125 12:00:01\t     8 Init DB\tarchive\n"
    "\t\t     7 Query\tSELECT a\nFROM t\n"
    "\t\t     8 Query\tSELECT 2\n"
    "241125 12:00:02\t     7 Quit\t\n"
    "\t\t     8 Query\tSELECT 3\n";

/* Every event as "offset line ts user db sql|"; boundary k gets the end
   offset of event k, the line after it and a snapshot taken there. */
struct full_read {
    char text[4096];
    size_t at[16];            /* where event k's text starts in text */
    uint64_t end[16];         /* end offset of event k */
    unsigned long line[16];   /* line of event k */
    struct n1_strbuf ctx[16]; /* snapshot after event k */
    size_t n;
};

static void put_event(char *out, size_t cap, const struct n1_event *ev)
{
    size_t n = strlen(out);

    snprintf(out + n, cap - n, "%llu %lu %lld %s %s %s|",
             (unsigned long long)ev->offset, ev->line, (long long)ev->ts_us,
             ev->user, ev->db, ev->sql);
}

/* The next event of f, waiting out short pauses: 1 with *ev set, or 0
   once two polls in a row found nothing. */
static int next_event(struct n1_follow *f, struct n1_event *ev)
{
    for (;;) {
        int rc = poll_next(f, ev, 2);

        if (rc == N1_FOLLOW_NONE) {
            return 0;
        }
        if (rc == N1_FOLLOW_EVENT) {
            return 1;
        }
    }
}

static void read_events(struct n1_follow *f, struct full_read *fr)
{
    struct n1_event ev;

    while (next_event(f, &ev)) {
        if (fr == NULL) {
            continue;
        }
        assert_true(fr->n < 16);
        fr->at[fr->n] = strlen(fr->text);
        fr->end[fr->n] = ev.end_offset;
        fr->line[fr->n] = ev.line;
        put_event(fr->text, sizeof(fr->text), &ev);
        n1_strbuf_init(&fr->ctx[fr->n], 0);
        assert_int_equal(n1_follow_ctx_save(f, &fr->ctx[fr->n], NULL), 1);
        fr->n++;
    }
}

static void test_follow_resume_from_snapshot(void **state)
{
    struct fixture *fx = *state;
    struct n1_follow_start start;
    struct n1_follow *f = NULL;
    struct full_read fr;
    struct n1_file_ident ident;
    uint64_t all_bytes;

    memset(&fr, 0, sizeof(fr));
    write_file(fx->path, "w", MARIADB_LOG, sizeof(MARIADB_LOG) - 1);
    f = open_follow(fx, NULL);
    assert_non_null(f);
    read_events(f, &fr);
    assert_int_equal(fr.n, 8);
    ident = *n1_follow_ident(f);
    all_bytes = n1_follow_bytes_read(f);
    assert_int_equal(all_bytes, sizeof(MARIADB_LOG) - 1);
    n1_follow_close(f);

    /* Resume after each event but the last: the rest comes out as when
       read from byte 0, and only the bytes after the snapshot are read. */
    for (size_t k = 0; k + 1 < fr.n; k++) {
        char got[4096] = "";
        struct n1_event ev;

        memset(&start, 0, sizeof(start));
        start.ident = ident;
        start.offset = fr.end[k];
        start.seek = fr.end[k];
        start.line = fr.line[k + 1];
        start.ctx = fr.ctx[k].buf;
        start.ctx_len = fr.ctx[k].len;
        f = open_follow(fx, &start);
        assert_non_null(f);
        while (next_event(f, &ev)) {
            put_event(got, sizeof(got), &ev);
        }
        if (strcmp(got, fr.text + fr.at[k + 1]) != 0) {
            print_error("resumed after event %zu (byte %llu):\n"
                        "  got  %s\n  want %s\n",
                        k, (unsigned long long)fr.end[k], got,
                        fr.text + fr.at[k + 1]);
            fail();
        }
        assert_int_equal(n1_follow_resumed(f), 1);
        assert_int_equal(n1_follow_bytes_read(f), all_bytes - fr.end[k]);
        n1_follow_close(f);
    }

    /* A damaged snapshot is an error, not a silent misread. */
    memset(&start, 0, sizeof(start));
    start.ident = ident;
    start.offset = fr.end[2];
    start.seek = fr.end[2];
    start.line = fr.line[3];
    start.ctx = fr.ctx[2].buf;
    start.ctx_len = fr.ctx[2].len - 1;
    f = open_follow(fx, &start);
    assert_non_null(f);
    {
        struct n1_event ev;
        struct n1_error err;

        n1_err_clear(&err);
        assert_int_equal(n1_follow_next(f, &ev, &err), -1);
        assert_non_null(strstr(err.message, "damaged"));
    }
    n1_follow_close(f);
    for (size_t k = 0; k < fr.n; k++) {
        n1_strbuf_cleanup(&fr.ctx[k]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_follow_split_at_every_byte, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_follow_missing_then_created, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_follow_copytruncate, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_follow_truncated_and_regrown,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_follow_rename_drains_old, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_follow_resume_offset, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_follow_resume_from_snapshot, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
