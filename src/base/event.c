/* SPDX-License-Identifier: MIT */
/*
 * event.c: names for the enums in event.h.
 *
 * The names are part of the output formats (n1digest events --json, the
 * reports), so they never change once released.
 */
#include "base/event.h"

const char *n1_command_name(enum n1_command cmd)
{
    switch (cmd) {
    case N1_CMD_QUERY:
        return "query";
    case N1_CMD_PREPARE:
        return "prepare";
    case N1_CMD_EXECUTE:
        return "execute";
    case N1_CMD_CONNECT:
        return "connect";
    case N1_CMD_QUIT:
        return "quit";
    case N1_CMD_INIT_DB:
        return "init_db";
    case N1_CMD_CLOSE_STMT:
        return "close_stmt";
    case N1_CMD_OTHER:
        break;
    }
    return "other";
}

const char *n1_metric_name(enum n1_metric m)
{
    switch (m) {
    case N1_M_QUERY_TIME:
        return "Query_time";
    case N1_M_LOCK_TIME:
        return "Lock_time";
    case N1_M_ROWS_SENT:
        return "Rows_sent";
    case N1_M_ROWS_EXAMINED:
        return "Rows_examined";
    case N1_M_ROWS_AFFECTED:
        return "Rows_affected";
    case N1_M_BYTES_SENT:
        return "Bytes_sent";
    case N1_M_COUNT:
        break;
    }
    return "unknown";
}
