/* SPDX-License-Identifier: MIT */
/*
 * test_source.c: lines, offsets and line numbers out of n1_source: CRLF,
 * an unterminated last line, follow mode, gzip, over-long lines, seek,
 * peek and the file identity.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <xxhash.h>
#include <zlib.h>

#include "helpers.h"
#include "read/source.h"

/* Expects the next line to be text at offset/end with number lineno. */
static void expect_line(struct n1_source *src, const char *text,
                        uint64_t offset, uint64_t end, unsigned long lineno)
{
    struct n1_line ln;

    assert_int_equal(n1_source_next(src, &ln, NULL), 1);
    assert_int_equal(ln.len, strlen(text));
    assert_memory_equal(ln.text, text, ln.len);
    assert_int_equal(ln.text[ln.len], '\0');
    assert_int_equal(ln.offset, offset);
    assert_int_equal(ln.end, end);
    assert_int_equal(ln.lineno, lineno);
}

static void expect_end(struct n1_source *src)
{
    struct n1_line ln;

    assert_int_equal(n1_source_next(src, &ln, NULL), 0);
}

static void test_source_lines_offsets_crlf(void **state)
{
    static const char data[] = "a\nbb\r\n\nccc\r\nlast";
    const char *path = th_temp_file(data, sizeof(data) - 1);
    struct n1_source *src = n1_source_open(path, 0, 0, NULL);
    struct n1_line ln;

    (void)state;
    assert_non_null(src);
    expect_line(src, "a", 0, 2, 1);
    expect_line(src, "bb", 2, 6, 2);
    expect_line(src, "", 6, 7, 3);
    expect_line(src, "ccc", 7, 12, 4);
    assert_int_equal(n1_source_next(src, &ln, NULL), 1);
    assert_string_equal(ln.text, "last");
    assert_int_equal(ln.offset, 12);
    assert_int_equal(ln.end, 16);
    assert_true(ln.unterminated);
    expect_end(src);
    assert_int_equal(n1_source_offset(src), 16);
    assert_int_equal(n1_source_compressed_offset(src), 0); /* plain */
    n1_source_close(src);
}

static void test_source_empty_file(void **state)
{
    const char *path = th_temp_file("", 0);
    struct n1_source *src = n1_source_open(path, 0, 0, NULL);

    (void)state;
    assert_non_null(src);
    expect_end(src);
    n1_source_close(src);
}

static void test_source_follow_partial_line(void **state)
{
    const char *path = th_temp_file("one\ntw", 6);
    struct n1_source *src = n1_source_open(path, 1, 0, NULL);
    FILE *f;

    (void)state;
    assert_non_null(src);
    expect_line(src, "one", 0, 4, 1);
    expect_end(src); /* "tw" is kept, not handed out */
    expect_end(src);
    f = fopen(path, "ab");
    assert_non_null(f);
    fputs("o\r\nthree\n", f);
    fclose(f);
    expect_line(src, "two", 4, 9, 2);
    expect_line(src, "three", 9, 15, 3);
    expect_end(src);
    n1_source_close(src);
}

static void test_source_gzip(void **state)
{
    static const char part1[] = "first line\nsecond";
    static const char part2[] = " line\r\nthird\n";
    char path[] = "/tmp/n1digest-test-gz-XXXXXX";
    int fd = mkstemp(path);
    gzFile gz;
    struct n1_source *src;
    struct n1_error err;
    struct stat st;

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    /* Two gzip members, as "cat a.gz b.gz" makes. */
    gz = gzopen(path, "wb");
    assert_non_null(gz);
    gzwrite(gz, part1, sizeof(part1) - 1);
    gzclose(gz);
    gz = gzopen(path, "ab");
    assert_non_null(gz);
    gzwrite(gz, part2, sizeof(part2) - 1);
    gzclose(gz);

    src = n1_source_open(path, 0, 0, NULL);
    assert_non_null(src);
    assert_string_equal(n1_source_compression(src), "gzip");
    expect_line(src, "first line", 0, 11, 1);
    expect_line(src, "second line", 11, 24, 2);
    expect_line(src, "third", 24, 30, 3);
    expect_end(src);
    /* Every compressed byte was decoded: progress against the file's
       size ends at 100%. */
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(n1_source_compressed_offset(src), (uint64_t)st.st_size);
    /* gzip cannot seek. */
    n1_err_clear(&err);
    assert_int_equal(n1_source_seek(src, 0, 1, &err), -1);
    assert_int_equal(err.code, N1_EUSAGE);
    n1_source_close(src);
    unlink(path);
}

static void test_source_corrupt_gzip(void **state)
{
    static const unsigned char bad[] = {0x1f, 0x8b, 0x08, 0x00, 0xde,
                                        0xad, 0xbe, 0xef, 0x00, 0x03,
                                        0xff, 0xff, 0xff, 0xff};
    const char *path = th_temp_file(bad, sizeof(bad));
    struct n1_source *src = n1_source_open(path, 0, 0, NULL);
    struct n1_line ln;
    struct n1_error err;

    (void)state;
    assert_non_null(src);
    n1_err_clear(&err);
    assert_int_equal(n1_source_next(src, &ln, &err), -1);
    assert_int_equal(err.code, N1_EPARSE);
    n1_source_close(src);
}

static void test_source_overlong_line(void **state)
{
    char data[1200];
    const char *path;
    struct n1_source *src;
    struct n1_line ln;

    (void)state;
    memset(data, 'x', 1000);
    data[1000] = '\n';
    memcpy(data + 1001, "ok\nyy", 5);
    path = th_temp_file(data, 1006);
    /* max_line 100: the 1000-byte line is cut short and flagged. */
    src = n1_source_open(path, 0, 100, NULL);
    assert_non_null(src);
    assert_int_equal(n1_source_next(src, &ln, NULL), 1);
    assert_true(ln.overlong);
    assert_true(ln.len <= 1000);
    assert_int_equal(ln.offset, 0);
    assert_int_equal(ln.end, 1001);
    assert_int_equal(ln.lineno, 1);
    expect_line(src, "ok", 1001, 1004, 2);
    expect_line(src, "yy", 1004, 1006, 3);
    expect_end(src);
    n1_source_close(src);
}

static void test_source_seek(void **state)
{
    static const char data[] = "l1\nl2\nl3\n";
    const char *path = th_temp_file(data, sizeof(data) - 1);
    struct n1_source *src = n1_source_open(path, 0, 0, NULL);
    struct n1_error err;

    (void)state;
    assert_non_null(src);
    expect_line(src, "l1", 0, 3, 1);
    expect_line(src, "l2", 3, 6, 2);
    assert_int_equal(n1_source_seek(src, 3, 2, NULL), 0);
    expect_line(src, "l2", 3, 6, 2);
    assert_int_equal(n1_source_seek(src, 9, 4, NULL), 0);
    expect_end(src);
    n1_err_clear(&err);
    assert_int_equal(n1_source_seek(src, 10, 5, &err), -1);
    assert_int_equal(err.code, N1_EUSAGE);
    n1_source_close(src);
}

static void test_source_peek_does_not_consume(void **state)
{
    static const char data[] = "abc\ndef\n";
    const char *path = th_temp_file(data, sizeof(data) - 1);
    struct n1_source *src = n1_source_open(path, 0, 0, NULL);
    const char *p = NULL;

    (void)state;
    assert_non_null(src);
    assert_int_equal(n1_source_peek(src, 100, &p, NULL), 8);
    assert_memory_equal(p, data, 8);
    expect_line(src, "abc", 0, 4, 1);
    assert_int_equal(n1_source_peek(src, 2, &p, NULL), 2);
    assert_memory_equal(p, "de", 2);
    expect_line(src, "def", 4, 8, 2);
    n1_source_close(src);
}

static void test_source_ident(void **state)
{
    char data[5000];
    const char *path;
    struct n1_source *src;
    const struct n1_file_ident *id;

    (void)state;
    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = (char)('a' + i % 26);
    }
    path = th_temp_file(data, sizeof(data));
    src = n1_source_open(path, 0, 0, NULL);
    assert_non_null(src);
    id = n1_source_ident(src);
    assert_true(id->inode != 0);
    assert_int_equal(id->size, sizeof(data));
    assert_int_equal(id->head_len, 4096);
    assert_true(id->head_hash == XXH64(data, 4096, 0));
    n1_source_close(src);
}

static void test_source_open_errors(void **state)
{
    struct n1_error err;

    (void)state;
    n1_err_clear(&err);
    assert_null(n1_source_open("/nonexistent/n1digest", 0, 0, &err));
    assert_int_equal(err.code, N1_ESYS);
    assert_string_equal(err.file, "/nonexistent/n1digest");
    n1_err_clear(&err);
    assert_null(n1_source_open("/tmp", 0, 0, &err));
    assert_int_equal(err.code, N1_ESYS);
}

/* Lines longer than the initial 1 MiB buffer still come out whole. */
static void test_source_long_line_grows_buffer(void **state)
{
    size_t n = 3u << 20;
    char *data = malloc(n + 4);
    const char *path;
    struct n1_source *src;
    struct n1_line ln;

    (void)state;
    assert_non_null(data);
    memset(data, 'q', n);
    memcpy(data + n, "\nz\n", 3);
    path = th_temp_file(data, n + 3);
    src = n1_source_open(path, 0, 0, NULL);
    assert_non_null(src);
    assert_int_equal(n1_source_next(src, &ln, NULL), 1);
    assert_false(ln.overlong);
    assert_int_equal(ln.len, n);
    expect_line(src, "z", n + 1, n + 3, 2);
    n1_source_close(src);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_lines_offsets_crlf),
        cmocka_unit_test(test_source_empty_file),
        cmocka_unit_test(test_source_follow_partial_line),
        cmocka_unit_test(test_source_gzip),
        cmocka_unit_test(test_source_corrupt_gzip),
        cmocka_unit_test(test_source_overlong_line),
        cmocka_unit_test(test_source_seek),
        cmocka_unit_test(test_source_peek_does_not_consume),
        cmocka_unit_test(test_source_ident),
        cmocka_unit_test(test_source_open_errors),
        cmocka_unit_test(test_source_long_line_grows_buffer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
