/* SPDX-License-Identifier: MIT */
/*
 * conn.c: one client connection to a server (conn.h).
 */
#include <mysql.h>
#include <stdio.h>
#include <string.h>

#include "read/conn.h"

void n1_conn_where(const struct n1_server_opts *o, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s",
             o->host != NULL     ? o->host
             : o->socket != NULL ? o->socket
                                 : "localhost");
}

int n1_conn_lost(unsigned code)
{
    /* 2002-2013 are the client's connection errors. */
    return code >= 2002 && code <= 2013;
}

static void set_ssl(MYSQL *my, const struct n1_server_opts *o)
{
    if (o->ssl_ca != NULL) {
        mysql_options(my, MYSQL_OPT_SSL_CA, o->ssl_ca);
    }
    if (o->ssl_mode == NULL || strcmp(o->ssl_mode, "DISABLED") == 0 ||
        strcmp(o->ssl_mode, "PREFERRED") == 0) {
        return;
    }
#if defined(MARIADB_PACKAGE_VERSION)
    {
        my_bool on = 1;

        mysql_options(my, MYSQL_OPT_SSL_ENFORCE, &on);
        if (strncmp(o->ssl_mode, "VERIFY_", 7) == 0) {
            mysql_options(my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
        }
    }
#else
    {
        unsigned mode = strcmp(o->ssl_mode, "REQUIRED") == 0 ? SSL_MODE_REQUIRED
                        : strcmp(o->ssl_mode, "VERIFY_CA") == 0
                            ? SSL_MODE_VERIFY_CA
                            : SSL_MODE_VERIFY_IDENTITY;

        mysql_options(my, MYSQL_OPT_SSL_MODE, &mode);
    }
#endif
}

struct st_mysql *n1_conn_open(const struct n1_server_opts *o,
                              enum n1_server_fail *fail, struct n1_error *err)
{
    char where[256];
    MYSQL *my = mysql_init(NULL);

    if (my == NULL) {
        n1_err_oom(err, "connecting to the server");
        return NULL;
    }
    n1_conn_where(o, where, sizeof(where));
    if (o->defaults_file != NULL) {
        mysql_options(my, MYSQL_READ_DEFAULT_FILE, o->defaults_file);
    }
    mysql_options(my, MYSQL_READ_DEFAULT_GROUP, "client");
    set_ssl(my, o);
    if (mysql_real_connect(my, o->host, o->user, o->password, NULL, o->port,
                           o->socket, 0) == NULL) {
        if (fail != NULL) {
            *fail = N1_SERVER_FAIL_CONNECT;
        }
        n1_err_set(err, N1_ESYS, NULL, 0, "cannot connect to %s: %s", where,
                   mysql_error(my));
        mysql_close(my);
        return NULL;
    }
    return my;
}
