/* SPDX-License-Identifier: MIT */
/*
 * fuzz_reader.c: libFuzzer target for the log readers.
 *
 * The input is written to a memfd (a temporary file where memfd is not
 * available) and read to the end twice: once as a whole, once in follow
 * mode after a split at a byte chosen from the input, then flushed. Both
 * readings must keep the invariants the rest of n1digest relies on: event
 * offsets increase, every event lies within the bytes read, sql_len
 * matches a NUL-terminated buffer, and the stats add up. A small
 * max_statement makes the over-the-cap paths reachable.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "read/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int make_file(char *path, size_t n)
{
    int fd = memfd_create("fuzz_reader", 0);

    if (fd >= 0) {
        snprintf(path, n, "/proc/self/fd/%d", fd);
        return fd;
    }
    snprintf(path, n, "/tmp/fuzz_reader-XXXXXX");
    return mkstemp(path);
}

static void check_event(const struct n1_event *ev, uint64_t *last_off,
                        const struct n1_reader_stats *st)
{
    if (ev->offset < *last_off || ev->end_offset < ev->offset ||
        ev->end_offset > st->bytes || ev->line == 0 ||
        ev->sql[ev->sql_len] != '\0' || ev->user == NULL || ev->host == NULL ||
        ev->db == NULL || ev->command == NULL) {
        abort();
    }
    for (size_t i = 0; i < ev->n_attrs; i++) {
        if (ev->attrs[i].name == NULL || ev->attrs[i].value == NULL) {
            abort();
        }
    }
    *last_off = ev->end_offset;
}

static void drain(struct n1_reader *r, uint64_t *last_off, uint64_t *n)
{
    struct n1_event ev;

    while (n1_reader_next(r, &ev, NULL) == 1) {
        check_event(&ev, last_off, n1_reader_stats(r));
        (*n)++;
    }
}

static void check_stats(const struct n1_reader *r, uint64_t events, size_t size)
{
    const struct n1_reader_stats *st = n1_reader_stats(r);

    /* Compressed input decodes to more bytes than the file holds. */
    if (st->events != events ||
        (n1_reader_compression(r) == NULL && st->bytes > size) ||
        st->skipped_lines > st->lines) {
        abort();
    }
}

static void run(const char *path, int fd, const uint8_t *data, size_t size,
                size_t split, int follow)
{
    struct n1_reader_opts o;
    struct n1_reader *r;
    struct n1_event ev;
    uint64_t last = 0, n = 0;

    memset(&o, 0, sizeof(o));
    o.max_statement = 4096;
    o.follow = follow;
    /* Local times read at a fixed offset in follow mode; with no zone
       (the other run) a slow log may show its own. */
    if (follow) {
        n1_tz_init(&o.tz, N1_TZ_OFFSET, -18000);
    }
    if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
        return;
    }
    if (write(fd, data, split) != (ssize_t)split) {
        return;
    }
    r = n1_reader_open(path, &o, NULL);
    if (r == NULL) {
        return;
    }
    drain(r, &last, &n);
    if (follow) {
        if (write(fd, data + split, size - split) != (ssize_t)(size - split)) {
            n1_reader_close(r);
            return;
        }
        drain(r, &last, &n);
        if (n1_reader_flush(r, &ev) == 1) {
            check_event(&ev, &last, n1_reader_stats(r));
            n++;
        }
    }
    check_stats(r, n, size);
    n1_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = make_file(path, sizeof(path));
    size_t split;

    if (fd < 0) {
        return 0;
    }
    run(path, fd, data, size, size, 0);
    split = size > 0 ? data[0] % (size + 1) : 0;
    run(path, fd, data, size, split, 1);
    close(fd);
    if (strncmp(path, "/tmp/", 5) == 0) {
        unlink(path);
    }
    return 0;
}
