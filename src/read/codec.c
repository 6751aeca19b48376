/* SPDX-License-Identifier: MIT */
/*
 * codec.c: gzip (zlib), xz (liblzma), bzip2 (libbz2) and zstd (libzstd)
 * behind one step function each, for source.c.
 *
 * Each row of the table knows its magic bytes and wraps its library's
 * streaming call so that it reports CODEC_END where a compressed stream
 * (a gzip member, an xz stream, a bzip2 stream, a zstd frame) ends, and
 * is then ready for the next one. Whether the input ended inside a
 * stream (a truncated file) is source.c's to judge from that. No format
 * is decoded here by hand: a new format is one more row and its three
 * wrappers.
 */
/* zlib's next_in is const with this: the input is never written. */
#define ZLIB_CONST

#include <stdlib.h>
#include <string.h>

#include <bzlib.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "read/codec_int.h"

struct codec_state {
    z_stream z;         /* gzip */
    lzma_stream x;      /* xz */
    bz_stream b;        /* bzip2 */
    ZSTD_DStream *zstd; /* zstd */
};

static struct codec_state *state_new(void)
{
    return calloc(1, sizeof(struct codec_state));
}

/* ---- gzip ----------------------------------------------------------- */

static int gz_open(struct codec_state **st)
{
    struct codec_state *s = state_new();

    if (s == NULL) {
        return -1;
    }
    /* 15 + 16: the largest window, gzip headers only. */
    if (inflateInit2(&s->z, 15 + 16) != Z_OK) {
        free(s);
        return -1;
    }
    *st = s;
    return 0;
}

static enum codec_rc gz_step(struct codec_state *st, const unsigned char **in,
                             size_t *in_len, unsigned char **out, size_t *room,
                             const char **msg)
{
    z_stream *z = &st->z;
    int rc;

    /* zlib counts in uInt; the buffers here are far smaller. */
    z->next_in = (z_const Bytef *)*in;
    z->avail_in = (uInt)*in_len;
    z->next_out = *out;
    z->avail_out = (uInt)*room;
    rc = inflate(z, Z_NO_FLUSH);
    *in = z->next_in;
    *in_len = z->avail_in;
    *out = z->next_out;
    *room = z->avail_out;
    if (rc == Z_STREAM_END) {
        return inflateReset(z) == Z_OK ? CODEC_END : CODEC_ERR;
    }
    if (rc == Z_OK || rc == Z_BUF_ERROR) {
        return CODEC_OK;
    }
    *msg = z->msg != NULL ? z->msg : "corrupt data";
    return CODEC_ERR;
}

static void gz_close(struct codec_state *st)
{
    if (st != NULL) {
        inflateEnd(&st->z);
        free(st);
    }
}

/* ---- xz ------------------------------------------------------------- */

static int xz_init(lzma_stream *x)
{
    return lzma_stream_decoder(x, UINT64_MAX, 0) == LZMA_OK ? 0 : -1;
}

static int xz_open(struct codec_state **st)
{
    struct codec_state *s = state_new();
    lzma_stream init = LZMA_STREAM_INIT;

    if (s == NULL) {
        return -1;
    }
    s->x = init;
    if (xz_init(&s->x) != 0) {
        free(s);
        return -1;
    }
    *st = s;
    return 0;
}

static enum codec_rc xz_step(struct codec_state *st, const unsigned char **in,
                             size_t *in_len, unsigned char **out, size_t *room,
                             const char **msg)
{
    lzma_stream *x = &st->x;
    lzma_ret rc;

    x->next_in = *in;
    x->avail_in = *in_len;
    x->next_out = *out;
    x->avail_out = *room;
    rc = lzma_code(x, LZMA_RUN);
    *in = x->next_in;
    *in_len = x->avail_in;
    *out = x->next_out;
    *room = x->avail_out;
    if (rc == LZMA_STREAM_END) {
        return xz_init(x) == 0 ? CODEC_END : CODEC_ERR;
    }
    if (rc == LZMA_OK || rc == LZMA_BUF_ERROR) {
        return CODEC_OK;
    }
    *msg = rc == LZMA_MEM_ERROR ? "out of memory" : "corrupt data";
    return CODEC_ERR;
}

static void xz_close(struct codec_state *st)
{
    if (st != NULL) {
        lzma_end(&st->x);
        free(st);
    }
}

/* ---- bzip2 ---------------------------------------------------------- */

static int bz_open(struct codec_state **st)
{
    struct codec_state *s = state_new();

    if (s == NULL) {
        return -1;
    }
    if (BZ2_bzDecompressInit(&s->b, 0, 0) != BZ_OK) {
        free(s);
        return -1;
    }
    *st = s;
    return 0;
}

static enum codec_rc bz_step(struct codec_state *st, const unsigned char **in,
                             size_t *in_len, unsigned char **out, size_t *room,
                             const char **msg)
{
    bz_stream *b = &st->b;
    size_t in0 = *in_len;
    size_t room0 = *room;
    int rc;

    /* libbz2 takes char * and unsigned int; it does not write the input,
       and the buffers here are far smaller than 4 GiB. */
    b->next_in = (char *)(size_t)*in;
    b->avail_in = (unsigned)*in_len;
    b->next_out = (char *)*out;
    b->avail_out = (unsigned)*room;
    rc = BZ2_bzDecompress(b);
    *in += in0 - b->avail_in;
    *in_len = b->avail_in;
    *out += room0 - b->avail_out;
    *room = b->avail_out;
    if (rc == BZ_STREAM_END) {
        BZ2_bzDecompressEnd(b);
        memset(b, 0, sizeof(*b));
        return BZ2_bzDecompressInit(b, 0, 0) == BZ_OK ? CODEC_END : CODEC_ERR;
    }
    if (rc == BZ_OK) {
        return CODEC_OK;
    }
    *msg = rc == BZ_MEM_ERROR ? "out of memory" : "corrupt data";
    return CODEC_ERR;
}

static void bz_close(struct codec_state *st)
{
    if (st != NULL) {
        BZ2_bzDecompressEnd(&st->b);
        free(st);
    }
}

/* ---- zstd ----------------------------------------------------------- */

static int zst_open(struct codec_state **st)
{
    struct codec_state *s = state_new();

    if (s == NULL) {
        return -1;
    }
    s->zstd = ZSTD_createDStream();
    if (s->zstd == NULL) {
        free(s);
        return -1;
    }
    *st = s;
    return 0;
}

static enum codec_rc zst_step(struct codec_state *st, const unsigned char **in,
                              size_t *in_len, unsigned char **out, size_t *room,
                              const char **msg)
{
    ZSTD_inBuffer ib = {*in, *in_len, 0};
    ZSTD_outBuffer ob = {*out, *room, 0};
    size_t rc = ZSTD_decompressStream(st->zstd, &ob, &ib);

    *in += ib.pos;
    *in_len -= ib.pos;
    *out += ob.pos;
    *room -= ob.pos;
    if (ZSTD_isError(rc)) {
        *msg = ZSTD_getErrorName(rc);
        return CODEC_ERR;
    }
    /* 0: a frame is complete and flushed; the next one may follow. */
    return rc == 0 && (ib.pos > 0 || ob.pos > 0) ? CODEC_END : CODEC_OK;
}

static void zst_close(struct codec_state *st)
{
    if (st != NULL) {
        ZSTD_freeDStream(st->zstd);
        free(st);
    }
}

/* ---- the table ------------------------------------------------------ */

static const struct codec codecs[] = {
    {"gzip", {0x1f, 0x8b}, 2, gz_open, gz_step, gz_close},
    {"xz", {0xfd, '7', 'z', 'X', 'Z', 0x00}, 6, xz_open, xz_step, xz_close},
    {"bzip2", {'B', 'Z', 'h'}, 3, bz_open, bz_step, bz_close},
    {"zstd", {0x28, 0xb5, 0x2f, 0xfd}, 4, zst_open, zst_step, zst_close},
};

const struct codec *n1_codec_find(const unsigned char *head, size_t len)
{
    for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
        if (len >= codecs[i].magic_len &&
            memcmp(head, codecs[i].magic, codecs[i].magic_len) == 0) {
            return &codecs[i];
        }
    }
    return NULL;
}
