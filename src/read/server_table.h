/* SPDX-License-Identifier: MIT */
/*
 * server_table.h: events out of a server's general log table
 * (mysql.general_log), for servers whose log files cannot be reached
 * (managed databases) but whose log_output includes TABLE.
 *
 * The general log holds every statement and every session event
 * (Connect, Init DB, Quit) with its thread, which loop detection needs;
 * its rows have no timings. mysql.slow_log is not read: it holds timings
 * only for the statements slower than long_query_time, written when they
 * end, and a slow_log row cannot be tied to one general_log row (there
 * is no statement id), so reading both would count each statement twice
 * or pair timings with the wrong statements. A server with the general
 * log off is refused with the SQL that turns it on.
 *
 * Rows are known by thread and time (read/server_mark.h), so the marks
 * stay valid when the server restarts and thread ids begin again.
 */
#ifndef N1_SERVER_TABLE_H
#define N1_SERVER_TABLE_H

#include "read/server.h"

/* The SQL that turns the table source on, for messages and docs. */
#define N1_SERVER_TABLE_SETUP \
    "SET GLOBAL log_output='TABLE'; SET GLOBAL general_log=ON;"

/* The log table source's functions (kind "table"). Static. */
const struct n1_server_source *n1_server_table_source(void);

#endif /* N1_SERVER_TABLE_H */
