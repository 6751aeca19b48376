/* SPDX-License-Identifier: MIT */
/*
 * error.h: one-line error reports that carry where they came from.
 *
 * Every fallible function takes a `struct n1_error *err` from its caller
 * (NULL allowed) and fills it on failure. The message lives in a fixed
 * buffer so that an error path never allocates and never leaks.
 */
#ifndef N1_ERROR_H
#define N1_ERROR_H

#include <stddef.h>

/* Error classes; the CLI maps them to exit statuses. */
enum n1_errcode {
    N1_OK = 0, /* no error */
    N1_ESYS,   /* the system failed us: open, read, malloc */
    N1_EPARSE, /* the input is not what it claims to be */
    N1_ERULES, /* a rule file or pattern is bad */
    N1_ESTORE, /* SQLite said no */
    N1_EUSAGE, /* the caller passed something invalid */
    N1_ELIMIT  /* a size cap was hit */
};

struct n1_error {
    enum n1_errcode code; /* N1_OK when nothing happened */
    const char *func;     /* function that set it (static string) */
    char file[128];       /* input file the error is about, or "" */
    unsigned long line;   /* line in that file, 0 when not applicable */
    char message[256];    /* one line; never starts with a code token:
                             n1_err_format() adds it */
};

/*
 * Sets *err (if err is not NULL). `file` may be NULL; `line` 0 means none.
 * The message is formatted with printf semantics and truncated to fit.
 * Use the n1_err_set() macro, which records the calling function.
 */
void n1_err_setf(struct n1_error *err, const char *func, enum n1_errcode code,
                 const char *file, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

#define n1_err_set(err, code, file, line, ...) \
    n1_err_setf((err), __func__, (code), (file), (line), __VA_ARGS__)

/* Resets *err to N1_OK with an empty message. NULL allowed. */
/*
 * Sets err to N1_ESYS "out of memory <what>", the one spelling of an
 * allocation failure. what names the object being made ("building the
 * JSON report"); it may be NULL. err may be NULL.
 */
void n1_err_oom_at(struct n1_error *err, const char *func, const char *what);

#define n1_err_oom(err, what) n1_err_oom_at((err), __func__, (what))

void n1_err_clear(struct n1_error *err);

/* Short token for a code, e.g. "PARSE", "STORE". Never NULL. */
const char *n1_err_token(enum n1_errcode code);

/*
 * Writes "file:line: message" (or just "message" when there is no file)
 * into buf of size n, always NUL-terminated. Returns buf.
 */
char *n1_err_format(const struct n1_error *err, char *buf, size_t n);

#endif /* N1_ERROR_H */
