/* SPDX-License-Identifier: MIT */
/*
 * conn.h: one client connection to a MySQL or MariaDB server, opened the
 * way the mysql client opens it: the option files ([client] group, or
 * only --defaults-file), then what the options give over them.
 *
 * Every command that talks to a server (live, verify, digest --explain)
 * connects here, so that the options, the TLS settings and the messages
 * are the same everywhere. The password is only passed to the client
 * library; it is never copied into a message.
 */
#ifndef N1_CONN_H
#define N1_CONN_H

#include <stddef.h>

#include "base/error.h"

/* How to reach the server, as the mysql client's options say it. */
struct n1_server_opts {
    const char *host;          /* NULL: the option files, else localhost */
    unsigned port;             /* 0: the option files, else the default */
    const char *socket;        /* unix socket; NULL: the default */
    const char *user;          /* NULL: the option files or the login */
    const char *password;      /* NULL: the option files or none */
    const char *defaults_file; /* read instead of the usual option files;
                                  NULL: the usual ones ([client] group) */
    const char *ssl_mode;      /* DISABLED, PREFERRED, REQUIRED,
                                  VERIFY_CA, VERIFY_IDENTITY; NULL */
    const char *ssl_ca;        /* CA file; NULL */
};

/* Why a connection, or something done over it, failed. */
enum n1_server_fail {
    N1_SERVER_FAIL_NONE = 0, /* no failure, or memory and the like */
    N1_SERVER_FAIL_CONNECT,  /* the server could not be reached or
                                refused the login, or the connection
                                was lost */
    N1_SERVER_FAIL_SETUP,    /* performance_schema, its consumers or
                                the statement instruments are off, or
                                the server lacks what is needed */
    N1_SERVER_FAIL_QUERY     /* a query failed (a missing grant) */
};

struct st_mysql; /* the client library's MYSQL */

/*
 * Writes where o points, for messages: the host, else the socket, else
 * "localhost" (never the user or the password), into buf.
 */
void n1_conn_where(const struct n1_server_opts *o, char *buf, size_t cap);

/*
 * Connects with o (its strings are used during the call only), without
 * multi-statements. Returns the handle, which the caller closes with
 * mysql_close(), or NULL with err set (the message names where) and
 * *fail (may be NULL) set to N1_SERVER_FAIL_CONNECT, or left alone when
 * memory ran out.
 */
struct st_mysql *n1_conn_open(const struct n1_server_opts *o,
                              enum n1_server_fail *fail, struct n1_error *err);

/*
 * Whether the client error code of a failed call means the connection
 * was lost or never made (CR_CONNECTION_ERROR to CR_SERVER_LOST).
 */
int n1_conn_lost(unsigned code);

#endif /* N1_CONN_H */
