/* SPDX-License-Identifier: MIT */
/*
 * reader_ctx.c: a reader's carried-over state as bytes, and back.
 *
 * The snapshot holds what a parser carries from one event to the next:
 * the last time seen (general and slow logs), the last "use db;" of a
 * slow log, every tracked connection's user, host and schema, and the
 * counters. Everything is little-endian with length-prefixed strings
 * behind a magic and a version, so a damaged or foreign blob is refused
 * rather than misread. The partial event a reader may hold is not saved:
 * a snapshot applies at the end of the last event handed out, and the
 * next reader parses from there. Only reader.c's parsers change this
 * state; this file reads and rebuilds it through reader_int.h.
 */
#include <stdlib.h>
#include <string.h>

#include "read/reader_ctx.h"
#include "read/reader_int.h"

#define CTX_MAGIC   "N1RC"
#define CTX_VERSION 1u
#define CTX_NULL    0xffffffffu /* string length meaning "unknown" */

static int put_u64(struct n1_strbuf *out, uint64_t v)
{
    unsigned char b[8];

    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)(v >> (8 * i));
    }
    return n1_strbuf_append(out, b, sizeof(b));
}

static int put_u32(struct n1_strbuf *out, uint32_t v)
{
    unsigned char b[4];

    for (int i = 0; i < 4; i++) {
        b[i] = (unsigned char)(v >> (8 * i));
    }
    return n1_strbuf_append(out, b, sizeof(b));
}

static int put_str(struct n1_strbuf *out, const char *s)
{
    size_t len = s != NULL ? strlen(s) : 0;

    if (s == NULL) {
        return put_u32(out, CTX_NULL);
    }
    if (put_u32(out, (uint32_t)len) != 0) {
        return -1;
    }
    return n1_strbuf_append(out, s, len);
}

int n1_reader_ctx_save(const struct n1_reader *r, struct n1_strbuf *out,
                       struct n1_error *err)
{
    int bad = 0;

    bad |= n1_strbuf_append(out, CTX_MAGIC, 4);
    bad |= n1_strbuf_putc(out, (char)CTX_VERSION);
    bad |= put_u64(out, (uint64_t)r->gen_ts);
    bad |= put_u64(out, (uint64_t)r->sl_time);
    bad |= put_u64(out, r->stats.events);
    bad |= put_u64(out, r->stats.skipped_lines);
    bad |= put_u64(out, r->stats.skipped_events);
    bad |= put_str(out, r->sl_db);
    bad |= put_str(out, r->sl_use);
    bad |= put_u32(out, (uint32_t)r->n_conns);
    for (size_t i = 0; i < r->conn_slots && !bad; i++) {
        const struct rd_conn *c = &r->conns[i];

        if (c->id == 0) {
            continue;
        }
        bad |= put_u64(out, c->id);
        bad |= put_str(out, c->user);
        bad |= put_str(out, c->host);
        bad |= put_str(out, c->db);
    }
    if (bad) {
        n1_err_oom(err, "saving the reader state");
        return -1;
    }
    return 0;
}

/* A cursor over a snapshot; any read past its end sets bad. */
struct ctx_in {
    const unsigned char *p;
    size_t left;
    int bad;
};

static uint64_t get_u(struct ctx_in *in, int bytes)
{
    uint64_t v = 0;

    if (in->bad || in->left < (size_t)bytes) {
        in->bad = 1;
        return 0;
    }
    for (int i = bytes - 1; i >= 0; i--) {
        v = (v << 8) | in->p[i];
    }
    in->p += bytes;
    in->left -= (size_t)bytes;
    return v;
}

/* The next string: *s points into the snapshot (not NUL-terminated),
   NULL when it was saved as unknown. */
static void get_str(struct ctx_in *in, const char **s, size_t *len)
{
    uint32_t n = (uint32_t)get_u(in, 4);

    *s = NULL;
    *len = 0;
    if (in->bad || n == CTX_NULL) {
        return;
    }
    if (in->left < n) {
        in->bad = 1;
        return;
    }
    *s = (const char *)in->p;
    *len = n;
    in->p += n;
    in->left -= n;
}

/* Copies a saved string into a fixed buffer of the reader. */
static void get_fixed(struct ctx_in *in, char *dst, size_t cap)
{
    const char *s;
    size_t len;

    get_str(in, &s, &len);
    if (len >= cap) {
        in->bad = 1;
        return;
    }
    memcpy(dst, s != NULL ? s : "", len);
    dst[len] = '\0';
}

static void forget_conns(struct n1_reader *r)
{
    for (size_t i = 0; i < r->conn_slots; i++) {
        while (r->conns[i].id != 0) {
            /* Dropping may move a later entry into slot i. */
            rd_conn_drop(r, r->conns[i].id);
        }
    }
}

int n1_reader_resume(struct n1_reader *r, uint64_t offset, unsigned long line,
                     const void *ctx, size_t len, struct n1_error *err)
{
    struct ctx_in in;
    uint32_t n;

    if (n1_reader_seek(r, offset, line, err) != 0) {
        return -1;
    }
    forget_conns(r);
    r->stats.lines = line > 0 ? line - 1 : 0;
    if (ctx == NULL || len == 0) {
        return 0;
    }
    in.p = ctx;
    in.left = len;
    in.bad =
        len < 5 || memcmp(ctx, CTX_MAGIC, 4) != 0 || in.p[4] != CTX_VERSION;
    if (!in.bad) {
        in.p += 5;
        in.left -= 5;
    }
    r->gen_ts = (int64_t)get_u(&in, 8);
    r->sl_time = (int64_t)get_u(&in, 8);
    r->stats.events = get_u(&in, 8);
    r->stats.skipped_lines = get_u(&in, 8);
    r->stats.skipped_events = get_u(&in, 8);
    get_fixed(&in, r->sl_db, sizeof(r->sl_db));
    get_fixed(&in, r->sl_use, sizeof(r->sl_use));
    n = (uint32_t)get_u(&in, 4);
    for (uint32_t i = 0; i < n && !in.bad; i++) {
        uint64_t id = get_u(&in, 8);
        const char *s[3];
        size_t sl[3];
        struct rd_conn *c;

        for (int k = 0; k < 3; k++) {
            get_str(&in, &s[k], &sl[k]);
        }
        if (in.bad || id == 0) {
            in.bad = 1;
            break;
        }
        c = rd_conn_get(r, id, 1);
        if (c == NULL ||
            (s[0] != NULL &&
             rd_conn_setstr(&c->user, &c->user_len, s[0], sl[0]) != 0) ||
            (s[1] != NULL &&
             rd_conn_setstr(&c->host, &c->host_len, s[1], sl[1]) != 0) ||
            (s[2] != NULL &&
             rd_conn_setstr(&c->db, &c->db_len, s[2], sl[2]) != 0)) {
            n1_err_oom(err, "restoring the reader state");
            return -1;
        }
    }
    if (in.bad || in.left != 0) {
        n1_err_set(err, N1_EPARSE, r->name, 0,
                   "saved reader state is damaged (%zu bytes)", len);
        return -1;
    }
    return 0;
}
