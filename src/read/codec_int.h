/* SPDX-License-Identifier: MIT */
/*
 * codec_int.h: the decompressors source.c reads compressed logs through,
 * one table row per format (gzip, xz, bzip2, zstd), recognised by the
 * magic bytes the file starts with. Not part of the public API.
 */
#ifndef N1_CODEC_INT_H
#define N1_CODEC_INT_H

#include <stddef.h>

/* What one decode step did. */
enum codec_rc {
    CODEC_OK = 0, /* went on (or needs more input) */
    CODEC_END,    /* a stream ended; the state is ready for another one
                     (concatenated files: cat a.gz b.gz) */
    CODEC_ERR     /* corrupt data; *msg says why */
};

struct codec_state; /* the library's stream, one per format */

struct codec {
    const char *name;       /* "gzip", for messages */
    unsigned char magic[6]; /* the first bytes of such a file */
    size_t magic_len;       /* bytes of magic that must match */
    /* Allocates the state into *st. Returns 0, or -1 (out of memory or
       the library refused). */
    int (*open)(struct codec_state **st);
    /* Decodes from *in (*in_len bytes) into *out (*room bytes), moving
       all four past what was used. Sets *msg for CODEC_ERR. */
    enum codec_rc (*step)(struct codec_state *st, const unsigned char **in,
                          size_t *in_len, unsigned char **out, size_t *room,
                          const char **msg);
    void (*close)(struct codec_state *st); /* frees st; NULL allowed */
};

/* The format whose magic starts head (len bytes), or NULL. */
const struct codec *n1_codec_find(const unsigned char *head, size_t len);

/* Bytes of head needed to tell every format apart. */
#define CODEC_MAGIC_MAX 6

#endif /* N1_CODEC_INT_H */
