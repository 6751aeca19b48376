/* SPDX-License-Identifier: MIT */
/*
 * reader_render.h: a plain-text rendering of what a reader returns, for
 * the golden files fixtures/{general,slow}/X.expected.
 *
 * Included by test_reader_general.c and test_reader_slow.c only (static
 * functions; the unit-test helpers library stays format-agnostic).
 *
 * The format, one block per event, then warnings where they happened and
 * one stats line:
 *
 *   flavour: mariadb-slow
 *   event line=4 offset=171 end=413
 *     ts: 2024-11-25T12:00:00.000000Z exact
 *     conn: 3
 *     cmd: query Query
 *     user: root
 *     host: localhost
 *     db: shop
 *     metrics: Query_time=0.000611 Rows_sent=0
 *     attrs: Time=241125 12:00:00; Thread_id=3
 *     flags: truncated
 *     sql: SELECT 1\n  FROM t
 *   warn: PARSE 12: garbage line skipped
 *   stats: bytes=900 lines=30 events=3 skipped_lines=1 skipped_events=0
 *
 * In sql, attrs and names, "\" "\n" "\r" "\t" are escaped C-style and
 * any other byte below 0x20 or above 0x7e is written \xHH, so invalid
 * UTF-8 and NUL bytes show up exactly.
 */
#ifndef N1_TEST_READER_RENDER_H
#define N1_TEST_READER_RENDER_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/strbuf.h"
#include "base/textutil.h"
#include "base/timeutil.h"
#include "read/reader.h"

static void rr_escape(struct n1_strbuf *out, const char *s, size_t n)
{
    char hex[8];

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '\\') {
            n1_strbuf_puts(out, "\\\\");
        } else if (c == '\n') {
            n1_strbuf_puts(out, "\\n");
        } else if (c == '\r') {
            n1_strbuf_puts(out, "\\r");
        } else if (c == '\t') {
            n1_strbuf_puts(out, "\\t");
        } else if (c < 0x20 || c > 0x7e) {
            snprintf(hex, sizeof(hex), "\\x%02x", c);
            n1_strbuf_puts(out, hex);
        } else {
            n1_strbuf_putc(out, (char)c);
        }
    }
}

static void rr_printf(struct n1_strbuf *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void rr_printf(struct n1_strbuf *out, const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    n1_strbuf_puts(out, buf);
}

static void rr_ts(struct n1_strbuf *out, int64_t us)
{
    char buf[N1_TS_ISO_MAX];

    if (us == N1_TS_NONE || n1_ts_format_iso(us, N1_TS_FRAC_ALWAYS, buf) != 0) {
        n1_strbuf_puts(out, "-");
        return;
    }
    n1_strbuf_puts(out, buf);
}

/* Integers as integers; others with up to 6 decimals, trailing zeros
   dropped (slow logs print times to the microsecond). */
static void rr_num(struct n1_strbuf *out, double v)
{
    char buf[64];
    size_t n;

    if (v == (double)(int64_t)v && v < 1e15 && v > -1e15) {
        rr_printf(out, "%" PRId64, (int64_t)v);
        return;
    }
    snprintf(buf, sizeof(buf), "%.6f", v);
    n = strlen(buf);
    while (n > 0 && buf[n - 1] == '0') {
        buf[--n] = '\0';
    }
    n1_strbuf_puts(out, buf);
}

static void rr_event(struct n1_strbuf *out, const struct n1_event *ev)
{
    rr_printf(out, "event line=%lu offset=%" PRIu64 " end=%" PRIu64 "\n",
              ev->line, ev->offset, ev->end_offset);
    n1_strbuf_puts(out, "  ts: ");
    rr_ts(out, ev->ts_us);
    n1_strbuf_puts(out, (ev->flags & N1_EV_TS_EXACT) ? " exact\n" : "\n");
    rr_printf(out, "  conn: %" PRIu64 "\n", ev->conn_id);
    rr_printf(out, "  cmd: %s ", n1_command_name(ev->cmd));
    rr_escape(out, ev->command, strlen(ev->command));
    n1_strbuf_puts(out, "\n  user: ");
    rr_escape(out, ev->user, strlen(ev->user));
    n1_strbuf_puts(out, "\n  host: ");
    rr_escape(out, ev->host, strlen(ev->host));
    n1_strbuf_puts(out, "\n  db: ");
    rr_escape(out, ev->db, strlen(ev->db));
    n1_strbuf_puts(out, "\n");
    if (ev->metric_mask != 0) {
        n1_strbuf_puts(out, "  metrics:");
        for (int m = 0; m < N1_M_COUNT; m++) {
            if (ev->metric_mask & (1u << m)) {
                rr_printf(out, " %s=", n1_metric_name((enum n1_metric)m));
                rr_num(out, ev->metric[m]);
            }
        }
        n1_strbuf_puts(out, "\n");
    }
    if (ev->n_attrs > 0) {
        n1_strbuf_puts(out, "  attrs: ");
        for (size_t i = 0; i < ev->n_attrs; i++) {
            if (i > 0) {
                n1_strbuf_puts(out, "; ");
            }
            rr_escape(out, ev->attrs[i].name, strlen(ev->attrs[i].name));
            n1_strbuf_putc(out, '=');
            rr_escape(out, ev->attrs[i].value, strlen(ev->attrs[i].value));
        }
        n1_strbuf_puts(out, "\n");
    }
    if (ev->flags & N1_EV_TRUNCATED) {
        n1_strbuf_puts(out, "  flags: truncated\n");
    }
    n1_strbuf_puts(out, "  sql: ");
    rr_escape(out, ev->sql, ev->sql_len);
    n1_strbuf_puts(out, "\n");
}

static void rr_warn(void *ud, const struct n1_error *err)
{
    struct n1_strbuf *out = ud;

    rr_printf(out, "warn: %s %lu: %s\n", n1_err_token(err->code), err->line,
              err->message);
}

static void rr_stats(struct n1_strbuf *out, const struct n1_reader_stats *st)
{
    rr_printf(out,
              "stats: bytes=%" PRIu64 " lines=%" PRIu64 " events=%" PRIu64
              " skipped_lines=%" PRIu64 " skipped_events=%" PRIu64 "\n",
              st->bytes, st->lines, st->events, st->skipped_lines,
              st->skipped_events);
}

/*
 * Reads path to the end and renders everything into out (reset first).
 * opts may be NULL; its warn callback is replaced. Returns 0, or -1 when
 * the reader could not be opened or failed (the error is rendered).
 */
static int rr_render_file(struct n1_strbuf *out, const char *path,
                          const struct n1_reader_opts *opts)
{
    struct n1_reader_opts o;
    struct n1_reader *r = NULL;
    struct n1_error err;
    struct n1_event ev;
    int rc;

    memset(&o, 0, sizeof(o));
    if (opts != NULL) {
        o = *opts;
    }
    o.warn = rr_warn;
    o.warn_ud = out;
    n1_strbuf_reset(out);
    n1_err_clear(&err);
    r = n1_reader_open(path, &o, &err);
    if (r == NULL) {
        rr_printf(out, "error: %s %s\n", n1_err_token(err.code), err.message);
        return -1;
    }
    rr_printf(out, "flavour: %s\n", n1_flavour_name(n1_reader_flavour(r)));
    while ((rc = n1_reader_next(r, &ev, &err)) == 1) {
        rr_event(out, &ev);
    }
    if (rc < 0) {
        rr_printf(out, "error: %s %s\n", n1_err_token(err.code), err.message);
    }
    rr_stats(out, n1_reader_stats(r));
    n1_reader_close(r);
    return rc < 0 ? -1 : 0;
}

/* Renders the events and stats of an open reader, without warnings. */
static void rr_drain(struct n1_strbuf *out, struct n1_reader *r)
{
    struct n1_event ev;

    while (n1_reader_next(r, &ev, NULL) == 1) {
        rr_event(out, &ev);
    }
}

static int rr_write_file(const char *path, const char *data, size_t len,
                         const char *mode)
{
    FILE *f = fopen(path, mode);
    int rc = 0;

    if (f == NULL) {
        return -1;
    }
    if (len > 0 && fwrite(data, 1, len, f) != len) {
        rc = -1;
    }
    if (fclose(f) != 0) {
        rc = -1;
    }
    return rc;
}

/*
 * Follow-mode check: for every split position k, writes data[0..k) to
 * tmp, reads in follow mode until nothing is ready, appends the rest,
 * reads again and flushes. The rendering (events and stats) must equal
 * want. Returns the first k that differs, or -1 when all agree; *got
 * holds that rendering.
 */
static long rr_split_all(const char *tmp, const char *data, size_t len,
                         const char *want, struct n1_strbuf *got)
{
    struct n1_reader_opts o;

    memset(&o, 0, sizeof(o));
    o.follow = 1;
    for (size_t k = 0; k <= len; k++) {
        struct n1_reader *r = NULL;
        struct n1_event ev;

        n1_strbuf_reset(got);
        if (rr_write_file(tmp, data, k, "wb") != 0) {
            return (long)k;
        }
        r = n1_reader_open(tmp, &o, NULL);
        if (r == NULL) {
            n1_strbuf_puts(got, "open failed\n");
            return (long)k;
        }
        rr_drain(got, r);
        if (rr_write_file(tmp, data + k, len - k, "ab") != 0) {
            n1_reader_close(r);
            return (long)k;
        }
        rr_drain(got, r);
        if (n1_reader_flush(r, &ev) == 1) {
            rr_event(got, &ev);
        }
        rr_stats(got, n1_reader_stats(r));
        n1_reader_close(r);
        if (strcmp(n1_strbuf_str(got), want) != 0) {
            return (long)k;
        }
    }
    return -1;
}

/* ---- fixture loops (need cmocka and helpers.h included first) ------- */
#ifdef FIXTURES_DIR
#include <dirent.h>

/* What rr_count_warn() saw; zero it before the reader is opened. */
struct rr_warn_log {
    int n;                /* warnings received */
    struct n1_error last; /* the last one */
};

/* Reader warning callback: counts into the struct rr_warn_log at ud. */
static void rr_count_warn(void *ud, const struct n1_error *err)
{
    struct rr_warn_log *w = ud;

    w->n++;
    w->last = *err;
}

/* Opens path with default options and warnings counted into *w (zeroed
   first); fails the test when it cannot be opened. */
static struct n1_reader *rr_open_counting(const char *path,
                                          struct rr_warn_log *w)
{
    struct n1_reader_opts o;
    struct n1_reader *r;

    memset(w, 0, sizeof(*w));
    memset(&o, 0, sizeof(o));
    o.warn = rr_count_warn;
    o.warn_ud = w;
    r = n1_reader_open(path, &o, NULL);
    assert_non_null(r);
    return r;
}

/* A reader over a temporary file, with its warnings counted. */
struct rr_counted {
    struct rr_warn_log w; /* the warnings */
    const char *path;     /* the temporary file (th_temp_file) */
    struct n1_reader *r;  /* the reader; the test closes it */
};

/* Writes text to a temporary file and opens it into *c. */
static void rr_open_text(struct rr_counted *c, const char *text, size_t len)
{
    c->path = th_temp_file(text, len);
    c->r = rr_open_counting(c->path, &c->w);
}

#include <stdlib.h>

/* Names of the X.log fixtures in FIXTURES_DIR/sub, sorted; caller frees
   each and the array. */
static char **rr_list_logs(const char *sub, size_t *n)
{
    char dir[1024];
    DIR *d;
    struct dirent *de;
    char **names = NULL;
    size_t cnt = 0;

    snprintf(dir, sizeof(dir), "%s/%s", FIXTURES_DIR, sub);
    d = opendir(dir);
    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);

        if (l > 4 && strcmp(de->d_name + l - 4, ".log") == 0) {
            names = realloc(names, (cnt + 1) * sizeof(*names));
            assert_non_null(names);
            names[cnt] = strdup(de->d_name);
            assert_non_null(names[cnt]);
            cnt++;
        }
    }
    closedir(d);
    for (size_t i = 1; i < cnt; i++) {
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];

            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    }
    *n = cnt;
    return names;
}

/* Every FIXTURES_DIR/sub/X.log against X.expected. Fails on the first
   mismatch after printing both. Returns how many were checked. */
static size_t rr_check_fixtures(const char *sub)
{
    size_t n = 0;
    char **names = rr_list_logs(sub, &n);
    struct n1_strbuf out;

    n1_strbuf_init(&out, 0);
    for (size_t i = 0; i < n; i++) {
        char rel[512];
        char *want;
        size_t l = strlen(names[i]);

        snprintf(rel, sizeof(rel), "%s/%.*s.expected", sub, (int)(l - 4),
                 names[i]);
        want = th_read_fixture(rel, NULL);
        snprintf(rel, sizeof(rel), "%s/%s", sub, names[i]);
        rr_render_file(&out, th_fixture_path(rel), NULL);
        th_assert_text(rel, want, n1_strbuf_str(&out));
        free(want);
    }
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    n1_strbuf_cleanup(&out);
    return n;
}

/* The follow-mode split check over every fixture of sub that ends with
   a newline (a partial last line is held back in follow mode by design).
   Returns how many files were checked. */
static size_t rr_check_split(const char *sub)
{
    size_t n = 0, checked = 0;
    char **names = rr_list_logs(sub, &n);
    struct n1_strbuf want, got;
    /* Thousands of small rewrites: use memory when the system has it. */
    char tmp[] = "/dev/shm/n1digest-split-XXXXXX";
    int fd = mkstemp(tmp);

    if (fd < 0) {
        memcpy(tmp, "/tmp/n1digest-split-XXXXXX",
               sizeof("/tmp/n1digest-split-XXXXXX"));
        fd = mkstemp(tmp);
    }

    assert_true(fd >= 0);
    close(fd);
    n1_strbuf_init(&want, 0);
    n1_strbuf_init(&got, 0);
    for (size_t i = 0; i < n; i++) {
        char rel[512];
        size_t len = 0;
        char *data;
        struct n1_reader *r;
        long k;

        snprintf(rel, sizeof(rel), "%s/%s", sub, names[i]);
        data = th_read_fixture(rel, &len);
        if (len > 0 && data[len - 1] == '\n') {
            n1_strbuf_reset(&want);
            r = n1_reader_open(th_fixture_path(rel), NULL, NULL);
            assert_non_null(r);
            rr_drain(&want, r);
            rr_stats(&want, n1_reader_stats(r));
            n1_reader_close(r);
            k = rr_split_all(tmp, data, len, n1_strbuf_str(&want), &got);
            if (k >= 0) {
                char label[600];

                snprintf(label, sizeof(label), "%s split at byte %ld", rel, k);
                th_assert_text(label, n1_strbuf_str(&want),
                               n1_strbuf_str(&got));
            }
            checked++;
        }
        free(data);
    }
    unlink(tmp);
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    n1_strbuf_cleanup(&want);
    n1_strbuf_cleanup(&got);
    return checked;
}
#endif /* FIXTURES_DIR */

/* Fails the test unless opening the file at path is refused as not a
   log: N1_EPARSE, naming the file, with the reader's one message. */
static void rr_expect_not_a_log(const char *path)
{
    struct n1_error err;

    n1_err_clear(&err);
    assert_null(n1_reader_open(path, NULL, &err));
    assert_int_equal(err.code, N1_EPARSE);
    assert_string_equal(err.file, path);
    assert_true(
        strncmp(err.message, "not a MySQL or MariaDB query log (", 34) == 0);
}

#endif /* N1_TEST_READER_RENDER_H */
