/* SPDX-License-Identifier: MIT */
/*
 * notice.c: formats the engine's notices (notice.h) for the caller's
 * callback, and the per-event rules every reading loop shares
 * (engine_int.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "engine/engine_int.h"
#include "engine/notice.h"

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

int n1_engine_is_statement(const struct n1_event *ev, int slow)
{
    if (slow) {
        return 1;
    }
    return ev->cmd == N1_CMD_QUERY || ev->cmd == N1_CMD_EXECUTE;
}
