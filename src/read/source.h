/* SPDX-License-Identifier: MIT */
/*
 * source.h: a byte source that hands out complete lines.
 *
 * A source reads a path, "-" (stdin) or a gzip, xz, bzip2 or zstd stream
 * (recognised by its magic bytes) through one large buffer and cuts it into
 * lines with memchr. Each line comes with the byte offset of its first byte in
 * the uncompressed stream and its 1-based line number. The buffer grows only as
 * far as the longest line allowed (max_line); longer lines are handed out cut
 * short and flagged, while their remaining bytes are discarded, so memory never
 * depends on the input.
 */
#ifndef N1_SOURCE_H
#define N1_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* Identity of a plain file, for "have we read this before" checks. */
struct n1_file_ident {
    uint64_t dev;       /* st_dev; 0 for stdin and compressed input */
    uint64_t inode;     /* st_ino; 0 for stdin */
    uint64_t size;      /* st_size when opened */
    uint64_t head_hash; /* XXH64 of the first bytes (up to 4 KiB) */
    uint32_t head_len;  /* how many bytes head_hash covers */
};

/* One line out of a source; every field is borrowed until the next call. */
struct n1_line {
    const char *text;     /* the line without "\n" or "\r\n"; NUL after it */
    size_t len;           /* bytes in text (NUL bytes included) */
    uint64_t offset;      /* offset of the line's first byte */
    uint64_t end;         /* offset just past its line end */
    unsigned long lineno; /* 1-based */
    int overlong;         /* 1: the line was longer than max_line; text is
                             only its first bytes */
    int unterminated;     /* 1: the input ended without a "\n" */
};

struct n1_source;

/*
 * Opens path ("-" is stdin). In follow mode an unterminated last line is
 * held back until more bytes arrive. max_line caps one line (0: the
 * reader's default). Returns a source the caller frees with
 * n1_source_close(), or NULL with err set (N1_ESYS).
 */
struct n1_source *n1_source_open(const char *path, int follow, size_t max_line,
                                 struct n1_error *err);

/*
 * Hands out the next line in *line. Returns 1, 0 when no complete line is
 * available (end of input; in follow mode: not yet), or -1 with err set on
 * a read or decompression error. line->text stays valid until the next
 * call to any n1_source function.
 */
int n1_source_next(struct n1_source *src, struct n1_line *line,
                   struct n1_error *err);

/*
 * Makes up to want bytes from the current position available without
 * consuming them (stopping early at end of input) and points *data at
 * them. Returns the number of bytes available, or -1 with err set. In
 * follow mode it does not wait for more bytes. *data is valid until the
 * next call to any n1_source function.
 */
long n1_source_peek(struct n1_source *src, size_t want, const char **data,
                    struct n1_error *err);

/*
 * Repositions a plain file at offset with line as the number of the next
 * line. Returns 0, or -1 with err set: stdin and compressed input cannot seek,
 * and offset must not be past the current end of the file.
 */
int n1_source_seek(struct n1_source *src, uint64_t offset, unsigned long line,
                   struct n1_error *err);

/* Offset just past the last line handed out (uncompressed bytes). */
uint64_t n1_source_offset(const struct n1_source *src);

/*
 * For compressed input, the compressed bytes handed to the decoder so
 * far (ahead of the lines handed out by what the decoder and the line
 * buffer hold), to compare with the file's size; 0 for plain input.
 */
uint64_t n1_source_compressed_offset(const struct n1_source *src);

/* The input's compression ("gzip", "xz", "bzip2", "zstd"; static
   text), or NULL when it is read as it is. */
const char *n1_source_compression(const struct n1_source *src);

/* Identity of the input as opened; borrowed, valid until close. */
const struct n1_file_ident *n1_source_ident(const struct n1_source *src);

/* Closes the input and frees the source. NULL allowed. */
void n1_source_close(struct n1_source *src);

#endif /* N1_SOURCE_H */
