/* SPDX-License-Identifier: MIT */
/*
 * notice.h: how the engine tells its caller what a run is doing (a file
 * skipped, a resume point, an input that is not a log, progress) without
 * printing anything itself. The caller decides where each line goes.
 */
#ifndef N1_NOTICE_H
#define N1_NOTICE_H

/* What a notice is; the CLI prints each kind with its own lead. */
enum n1_notice_kind {
    N1_NOTICE_INFO = 0,    /* what the run does: "x.log: general" */
    N1_NOTICE_NOTE,        /* something worth knowing: a resume point, a
                              file gone; the CLI leads it with "NOTE" */
    N1_NOTICE_LIMIT,       /* a bound was reached and state dropped; the
                              CLI leads it with "LIMIT" */
    N1_NOTICE_ERROR,       /* an error that ends one input but not the
                              run; the message is n1_err_format()'s,
                              code token included */
    N1_NOTICE_PROGRESS,    /* progress of a long read, overwritten by the
                              next one */
    N1_NOTICE_PROGRESS_END /* the last progress line of an input */
};

/*
 * Receives one notice: msg is one line without a newline, borrowed for
 * the call. ud is the pointer given with the callback.
 */
typedef void (*n1_notice_fn)(void *ud, enum n1_notice_kind kind,
                             const char *msg);

/*
 * Formats a notice and hands it to fn (nothing happens when fn is NULL).
 * A message longer than the internal buffer is cut.
 */
void n1_notice(n1_notice_fn fn, void *ud, enum n1_notice_kind kind,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif /* N1_NOTICE_H */
