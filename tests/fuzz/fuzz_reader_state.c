/* SPDX-License-Identifier: MIT */
/*
 * fuzz_reader_state.c: libFuzzer target for the saved reader state.
 *
 * `n1digest tail` stores a reader snapshot (reader_ctx.h) with each
 * commit and hands it back to n1_reader_resume() on restart; the store
 * is a file on disk, so the snapshot is untrusted bytes. The input is
 * that snapshot. It is restored into a reader of a small general log and
 * of a small slow log, whose events then use the restored connections,
 * time and schema. A refused snapshot must be refused with a PARSE (or,
 * out of memory, SYSTEM) error; an accepted one must save again, and
 * that copy must restore and save to the same bytes count and header
 * (connection order may follow the hash table). Every event read after a
 * restore keeps the invariants fuzz_reader.c checks.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/strbuf.h"
#include "read/reader.h"
#include "read/reader_ctx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bytes before the connection list: magic, version, five u64. */
#define CTX_FIXED (4 + 1 + 5 * 8)

static const char general_log[] =
    "mariadbd, Version: 10.11.6-MariaDB-log (Debian). started with:\n"
    "Tcp port: 0  Unix socket: /tmp/sock\n"
    "Time\t\t    Id Command\tArgument\n"
    "261203  9:14:03\t     3 Query\tSELECT 1\n"
    "\t\t     7 Query\tSELECT * FROM t WHERE id = 2\n"
    "\t\t     3 Init DB\tshop\n"
    "\t\t     3 Query\tSELECT 3\n"
    "\t\t     7 Quit\t\n";

static const char slow_log[] =
    "# Time: 261203  9:14:03\n"
    "# User@Host: app[app] @ localhost []\n"
    "# Thread_id: 3  Schema:   QC_hit: No\n"
    "# Query_time: 0.000100  Lock_time: 0.000000  Rows_sent: 1\n"
    "SELECT 1;\n"
    "# User@Host: app[app] @ localhost []\n"
    "# Query_time: 0.000100  Lock_time: 0.000000  Rows_sent: 1\n"
    "SELECT 2;\n";

static int make_file(const char *text, char *path, size_t n)
{
    size_t len = strlen(text);
    int fd = memfd_create("fuzz_reader_state", 0);

    if (fd >= 0) {
        snprintf(path, n, "/proc/self/fd/%d", fd);
    } else {
        snprintf(path, n, "/tmp/fuzz_reader_state-XXXXXX");
        fd = mkstemp(path);
    }
    if (fd >= 0 && write(fd, text, len) != (ssize_t)len) {
        abort();
    }
    return fd;
}

static void check_event(const struct n1_event *ev, uint64_t *last_off,
                        const struct n1_reader_stats *st)
{
    if (ev->offset < *last_off || ev->end_offset < ev->offset ||
        ev->end_offset > st->bytes || ev->line == 0 ||
        ev->sql[ev->sql_len] != '\0' || ev->user == NULL || ev->host == NULL ||
        ev->db == NULL || ev->command == NULL || strlen(ev->user) > 0xffff ||
        strlen(ev->host) > 0xffff || strlen(ev->db) > 0xffff) {
        abort();
    }
    *last_off = ev->end_offset;
}

/*
 * Opens path and resumes it at byte 0 with the snapshot. Returns the
 * reader, or NULL when the snapshot was refused (aborts when refused for
 * a reason that is not a damaged snapshot or memory).
 */
static struct n1_reader *resume(const char *path, const void *ctx, size_t len)
{
    struct n1_reader *r = n1_reader_open(path, NULL, NULL);
    struct n1_error err;

    if (r == NULL) {
        abort();
    }
    n1_err_clear(&err);
    if (n1_reader_resume(r, 0, 1, ctx, len, &err) != 0) {
        if (err.code != N1_EPARSE && err.code != N1_ESYS) {
            abort();
        }
        n1_reader_close(r);
        return NULL;
    }
    return r;
}

/* Saves r's state into a new buffer; aborts unless it fits. */
static void save(const struct n1_reader *r, struct n1_strbuf *out)
{
    n1_strbuf_init(out, 0);
    if (n1_reader_ctx_save(r, out, NULL) != 0 || out->len < CTX_FIXED) {
        abort();
    }
}

static void run(const char *path, const uint8_t *data, size_t size)
{
    struct n1_reader *r = resume(path, data, size);
    struct n1_reader *again = NULL;
    struct n1_strbuf s1;
    struct n1_strbuf s2;
    struct n1_event ev;
    uint64_t last = 0;

    if (r == NULL) {
        return;
    }
    save(r, &s1);
    again = resume(path, n1_strbuf_str(&s1), s1.len);
    if (again == NULL) {
        abort(); /* what we saved ourselves must restore */
    }
    save(again, &s2);
    if (s1.len != s2.len ||
        memcmp(n1_strbuf_str(&s1), n1_strbuf_str(&s2), CTX_FIXED) != 0) {
        abort();
    }
    while (n1_reader_next(r, &ev, NULL) == 1) {
        check_event(&ev, &last, n1_reader_stats(r));
    }
    n1_strbuf_cleanup(&s1);
    n1_strbuf_cleanup(&s2);
    n1_reader_close(again);
    n1_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const logs[] = {general_log, slow_log};

    for (size_t i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
        char path[64];
        int fd = make_file(logs[i], path, sizeof(path));

        if (fd < 0) {
            return 0;
        }
        run(path, data, size);
        close(fd);
        if (strncmp(path, "/tmp/", 5) == 0) {
            unlink(path);
        }
    }
    return 0;
}
