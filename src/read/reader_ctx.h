/* SPDX-License-Identifier: MIT */
/*
 * reader_ctx.h: save a reader's carried-over state at an event boundary
 * and resume another reader of the same file there.
 *
 * Some of what an event says is not on its own lines: MariaDB writes the
 * time only when the second changes, the general log names a
 * connection's user, host and schema only at Connect and Init DB, and a
 * slow log writes "use db;" only when the schema changes. A reader that
 * starts in the middle of a file therefore needs that state to hand out
 * the same events as one that read the file from byte 0. `n1digest tail`
 * saves it with each commit so a restart can seek instead of re-reading.
 */
#ifndef N1_READER_CTX_H
#define N1_READER_CTX_H

#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "read/reader.h"

/*
 * Appends to out an opaque snapshot of the state r carries into the
 * events after the last one it handed out (its end_offset is where the
 * snapshot applies). Call it between n1_reader_next() calls only.
 * Returns 0, or -1 with err set when out cannot grow.
 */
int n1_reader_ctx_save(const struct n1_reader *r, struct n1_strbuf *out,
                       struct n1_error *err);

/*
 * Positions r at offset (an event boundary, where the snapshot ctx of
 * len bytes was saved from a reader of the same file) with line as the
 * line number there, and restores the snapshot, as n1_reader_seek() does
 * without one. ctx may be NULL (len 0): nothing carried over. Returns 0,
 * or -1 with err set (the offset does not fit the file, or the snapshot
 * is damaged: N1_EPARSE).
 */
int n1_reader_resume(struct n1_reader *r, uint64_t offset, unsigned long line,
                     const void *ctx, size_t len, struct n1_error *err);

#endif /* N1_READER_CTX_H */
