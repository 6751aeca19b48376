/* SPDX-License-Identifier: MIT */
/*
 * cli_common.c: error printing and exit-status mapping for subcommands.
 */
#include <stdarg.h>
#include <stdio.h>

#include "cli.h"

void cli_error(const struct n1_error *err)
{
    char buf[512];

    fprintf(stderr, "n1scan: %s\n", n1_err_format(err, buf, sizeof(buf)));
}

void cli_errorf(const char *fmt, ...)
{
    va_list ap;

    fputs("n1scan: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_warn(void *ud, const struct n1_error *err)
{
    (void)ud;
    cli_error(err);
}

enum n1_exit cli_exit_for(const struct n1_error *err)
{
    switch (err->code) {
    case N1_EPARSE:
    case N1_ERULES:
    case N1_ELIMIT:
        return N1_EXIT_INPUT;
    case N1_OK:
        return N1_EXIT_OK;
    case N1_ESYS:
    case N1_ESTORE:
    case N1_EUSAGE:
        break;
    }
    return N1_EXIT_USAGE;
}
