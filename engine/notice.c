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

int n1_engine_admin_norm(const struct n1_event *ev, int slow,
                         struct n1_norm *out)
{
    static const char lead[] = "administrator command: ";

    if (!slow || (ev->cmd != N1_CMD_QUIT && ev->cmd != N1_CMD_OTHER) ||
        ev->sql == NULL || ev->sql_len < sizeof(lead) - 1 ||
        memcmp(ev->sql, lead, sizeof(lead) - 1) != 0) {
        return 0;
    }
    memset(out, 0, sizeof(*out));
    out->text = ev->sql;
    out->len = ev->sql_len;
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
