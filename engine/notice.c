/* SPDX-License-Identifier: MIT */
/*
 * notice.c: formats the engine's notices (notice.h) for the caller's
 * callback, and the per-event rules every reading loop shares
 * (engine_int.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "engine/notice.h"
#include "sql/fingerprint.h"
#include "sql/normalize.h"

void n1_notice(n1_notice_fn fn, void *ud, enum n1_notice_kind kind,
               const char *fmt, ...)
{
    char buf[2048];
    va_list ap;

    if (fn == NULL) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    fn(ud, kind, buf);
}

int n1_engine_has_sql(const struct n1_event *ev)
{
    return ev->cmd == N1_CMD_QUERY || ev->cmd == N1_CMD_EXECUTE ||
           ev->cmd == N1_CMD_PREPARE;
}

/* A general log's command other than Query and Execute: buf gets
   "administrator command: " and the command's first word, as
   pt-query-digest --type genlog names it ("Close" for "Close stmt"), or
   "Init DB" in full as it does. Returns the text's length, or 0 when ev
   is no such command. */
static size_t general_admin_text(const struct n1_event *ev, const char *lead,
                                 size_t lead_len, char buf[N1_ENGINE_ADMIN_MAX])
{
    const char *c = ev->command;
    size_t n = 0;

    if (ev->cmd == N1_CMD_QUERY || ev->cmd == N1_CMD_EXECUTE || c == NULL) {
        return 0;
    }
    /* Init DB is the one command named in full. */
    while (c[n] != '\0' && (c[n] != ' ' || ev->cmd == N1_CMD_INIT_DB) &&
           n < N1_ENGINE_ADMIN_MAX - lead_len - 1) {
        n++;
    }
    if (n == 0) {
        return 0;
    }
    memcpy(buf, lead, lead_len);
    memcpy(buf + lead_len, c, n);
    buf[lead_len + n] = '\0';
    return lead_len + n;
}

int n1_engine_admin_norm(const struct n1_event *ev, int slow,
                         struct n1_norm *out, char buf[N1_ENGINE_ADMIN_MAX])
{
    static const char lead[] = "administrator command: ";
    const char *text = ev->sql;
    size_t len = ev->sql_len;

    if (!slow) {
        len = general_admin_text(ev, lead, sizeof(lead) - 1, buf);
        text = buf;
        if (len == 0) {
            return 0;
        }
    } else if ((ev->cmd != N1_CMD_QUIT && ev->cmd != N1_CMD_OTHER) ||
               ev->sql == NULL || ev->sql_len < sizeof(lead) - 1 ||
               memcmp(ev->sql, lead, sizeof(lead) - 1) != 0) {
        return 0;
    }
    memset(out, 0, sizeof(*out));
    out->text = text;
    out->len = len;
    out->id = n1_fingerprint_id(out->text, out->len);
    n1_fingerprint_hex(out->id, out->hex);
    return 1;
}

int n1_engine_is_statement(const struct n1_event *ev, int slow)
{
    if (slow) {
        return 1;
    }
    return ev->cmd == N1_CMD_QUERY || ev->cmd == N1_CMD_EXECUTE;
}

void n1_pairs_push(void *ud, uint64_t a, uint64_t b)
{
    struct n1_pairs *p = ud;

    if (p->n == p->cap) {
        size_t cap = p->cap > 0 ? p->cap * 2 : 64;
        uint64_t *v = realloc(p->v, cap * 2 * sizeof(*v));

        if (v == NULL) {
            p->oom = 1;
            return;
        }
        p->v = v;
        p->cap = cap;
    }
    p->v[2 * p->n] = a;
    p->v[2 * p->n + 1] = b;
    p->n++;
}
