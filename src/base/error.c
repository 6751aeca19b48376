/* SPDX-License-Identifier: MIT */
/*
 * error.c: filling and printing struct n1_error.
 *
 * Messages are formatted into the struct's own buffers; nothing here
 * allocates, so an out-of-memory path can still report itself.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"

void n1_err_setf(struct n1_error *err, const char *func, enum n1_errcode code,
                 const char *file, unsigned long line, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL) {
        return;
    }
    err->code = code;
    err->func = func;
    err->line = line;
    snprintf(err->file, sizeof(err->file), "%s", file != NULL ? file : "");
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    /* Keep reports on one line whatever the input put in them. */
    for (char *p = err->message; *p != '\0'; p++) {
        if (*p == '\n' || *p == '\r') {
            *p = ' ';
        }
    }
}

void n1_err_oom_at(struct n1_error *err, const char *func, const char *what)
{
    if (what != NULL && what[0] != '\0') {
        n1_err_setf(err, func, N1_ESYS, NULL, 0, "out of memory %s", what);
    } else {
        n1_err_setf(err, func, N1_ESYS, NULL, 0, "out of memory");
    }
}

void n1_err_clear(struct n1_error *err)
{
    if (err == NULL) {
        return;
    }
    memset(err, 0, sizeof(*err));
}

const char *n1_err_token(enum n1_errcode code)
{
    switch (code) {
    case N1_OK:
        return "OK";
    case N1_ESYS:
        return "SYSTEM";
    case N1_EPARSE:
        return "PARSE";
    case N1_ERULES:
        return "RULES";
    case N1_ESTORE:
        return "STORE";
    case N1_EUSAGE:
        return "USAGE";
    case N1_ELIMIT:
        return "LIMIT";
    }
    return "ERROR";
}

char *n1_err_format(const struct n1_error *err, char *buf, size_t n)
{
    if (n == 0) {
        return buf;
    }
    if (err->file[0] != '\0' && err->line > 0) {
        snprintf(buf, n, "%s %s:%lu: %s", n1_err_token(err->code), err->file,
                 err->line, err->message);
    } else if (err->file[0] != '\0') {
        snprintf(buf, n, "%s %s: %s", n1_err_token(err->code), err->file,
                 err->message);
    } else {
        snprintf(buf, n, "%s %s", n1_err_token(err->code), err->message);
    }
    return buf;
}
