/* SPDX-License-Identifier: MIT */
/*
 * cli_conn.c: the connection options of the commands that talk to a
 * server (live, verify, digest --explain), spelled as the mysql client
 * spells them, the password prompt, and the exit statuses of a failed
 * connection.
 */
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"

const struct option cli_conn_longopts[] = {
    {"host", required_argument, NULL, CLI_OPT_HOST},
    {"port", required_argument, NULL, CLI_OPT_PORT},
    {"socket", required_argument, NULL, CLI_OPT_SOCKET},
    {"user", required_argument, NULL, CLI_OPT_USER},
    {"password", optional_argument, NULL, CLI_OPT_PASSWORD},
    {"defaults-file", required_argument, NULL, CLI_OPT_DEFAULTS},
    {"ssl-mode", required_argument, NULL, CLI_OPT_SSL_MODE},
    {"ssl-ca", required_argument, NULL, CLI_OPT_SSL_CA},
    {NULL, 0, NULL, 0},
};

void cli_conn_usage(FILE *out)
{
    fputs("  --host H            server host (the client option files,\n"
          "                      [client], fill what is not given)\n"
          "  --port N            TCP port\n"
          "  --socket PATH       unix socket\n"
          "  --user U            user to connect as\n"
          "  --password[=P]      the password; without a value it is\n"
          "                      asked for on the terminal (MYSQL_PWD\n"
          "                      when not given)\n"
          "  --defaults-file F   read only this option file\n"
          "  --ssl-mode M        DISABLED, PREFERRED, REQUIRED,\n"
          "                      VERIFY_CA or VERIFY_IDENTITY\n"
          "  --ssl-ca FILE       CA certificate file\n",
          out);
}

/* Keeps the password and wipes it from argv, so that ps shows no more
   of it than its length. */
static int take_password(struct cli_conn *cc, const char *arg)
{
    size_t len;

    if (arg == NULL) {
        cc->prompt = 1;
        return 0;
    }
    len = strlen(arg);
    if (len >= sizeof(cc->password)) {
        cli_errorf("USAGE --password: longer than %d bytes",
                   CLI_PASSWORD_MAX - 1);
        return -1;
    }
    memcpy(cc->password, arg, len + 1);
    if (optarg == arg) {
        memset(optarg, 'x', len); /* argv is ours to write */
    }
    cc->have_password = 1;
    return 0;
}

static int ssl_mode_ok(const char *m)
{
    static const char *const modes[] = {"DISABLED", "PREFERRED", "REQUIRED",
                                        "VERIFY_CA", "VERIFY_IDENTITY"};

    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        if (strcmp(m, modes[i]) == 0) {
            return 1;
        }
    }
    cli_errorf("USAGE --ssl-mode: expected DISABLED, PREFERRED, REQUIRED, "
               "VERIFY_CA or VERIFY_IDENTITY, got '%s'",
               m);
    return 0;
}

static int port_option(const char *arg, unsigned *port)
{
    char *end = NULL;
    unsigned long v = strtoul(arg, &end, 10);

    if (end == arg || *end != '\0' || v == 0 || v > 65535) {
        cli_errorf("USAGE --port: expected 1 to 65535, got '%s'", arg);
        return -1;
    }
    *port = (unsigned)v;
    return 0;
}

int cli_conn_option(struct cli_conn *cc, int c, const char *arg)
{
    struct n1_server_opts *so = &cc->so;

    switch (c) {
    case CLI_OPT_HOST:
        so->host = arg;
        return 0;
    case CLI_OPT_PORT:
        return port_option(arg, &so->port);
    case CLI_OPT_SOCKET:
        so->socket = arg;
        return 0;
    case CLI_OPT_USER:
        so->user = arg;
        return 0;
    case CLI_OPT_PASSWORD:
        return take_password(cc, arg);
    case CLI_OPT_DEFAULTS:
        so->defaults_file = arg;
        return 0;
    case CLI_OPT_SSL_MODE:
        so->ssl_mode = arg;
        return ssl_mode_ok(arg) ? 0 : -1;
    default:
        so->ssl_ca = arg;
        return 0;
    }
}

/* Asks for the password on the terminal without echo. Returns 0, or -1
   after printing why. */
static int prompt_password(struct cli_conn *cc)
{
    struct termios old;
    struct termios quiet;
    FILE *tty = fopen("/dev/tty", "r+");
    int rc = -1;

    if (tty == NULL) {
        cli_errorf("USAGE --password without a value needs a terminal; "
                   "give MYSQL_PWD or a --defaults-file instead");
        return -1;
    }
    fputs("Enter password: ", tty);
    fflush(tty);
    if (tcgetattr(fileno(tty), &old) == 0) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
    }
    if (fgets(cc->password, sizeof(cc->password), tty) != NULL) {
        cc->password[strcspn(cc->password, "\r\n")] = '\0';
        cc->have_password = 1;
        rc = 0;
    }
    tcsetattr(fileno(tty), TCSAFLUSH, &old);
    fputc('\n', tty);
    fclose(tty);
    if (rc != 0) {
        cli_errorf("USAGE --password: no password read from the terminal");
    }
    return rc;
}

int cli_conn_finish(struct cli_conn *cc)
{
    if (cc->prompt && prompt_password(cc) != 0) {
        return -1;
    }
    if (cc->have_password) {
        cc->so.password = cc->password;
    } else {
        cc->so.password = getenv("MYSQL_PWD");
    }
    return 0;
}

void cli_conn_wipe(struct cli_conn *cc)
{
    memset(cc->password, 0, sizeof(cc->password));
}

int cli_conn_status(enum n1_server_fail fail, const struct n1_error *err)
{
    switch (fail) {
    case N1_SERVER_FAIL_CONNECT:
        return CLI_EXIT_CONNECT;
    case N1_SERVER_FAIL_SETUP:
    case N1_SERVER_FAIL_QUERY:
        return CLI_EXIT_SETUP;
    default:
        return cli_exit_for(err);
    }
}
