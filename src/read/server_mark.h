/* SPDX-License-Identifier: MIT */
/*
 * server_mark.h: which rows of a server's log table were read before.
 *
 * The log tables (mysql.general_log, mysql.slow_log) have no row id:
 * a row is known by its thread and its time, and the time has only
 * microseconds, so several rows of one thread may share it. A thread's
 * mark is the newest time read and how many of its rows at exactly that
 * time were read: a later poll skips rows before the time and that many
 * rows at it. Rows of one thread come in time order (a connection runs
 * one statement at a time), which is all the marks rely on.
 *
 * No server is needed here, so that the logic has unit tests of its own
 * (tests/test_server.c).
 */
#ifndef N1_SERVER_MARK_H
#define N1_SERVER_MARK_H

#include <stddef.h>
#include <stdint.h>

/* Rows at the same time counted in a stored mark, at most. */
#define N1_TMARK_COUNT_MAX 1023u

struct n1_tmarks;

/* An empty set of marks; the caller frees it with n1_tmarks_free(), NULL
   when memory ran out. */
struct n1_tmarks *n1_tmarks_new(void);

/* Frees the marks. NULL allowed. */
void n1_tmarks_free(struct n1_tmarks *m);

/* Starts a poll: the counts of rows seen at each mark's time start
   again. Call it before the first n1_tmarks_judge() of every poll. */
void n1_tmarks_poll_begin(struct n1_tmarks *m);

/*
 * Judges the next row of thread at time_us (UTC microseconds); a poll
 * gives each thread's rows in time order. Returns 1 when the row is new
 * (the mark moves past it), 0 when an earlier poll read it, -1 when
 * memory ran out.
 */
int n1_tmarks_judge(struct n1_tmarks *m, uint64_t thread, uint64_t time_us);

/* The newest time of any mark (0 when there is none). */
uint64_t n1_tmarks_newest(const struct n1_tmarks *m);

/* Forgets the threads whose mark is older than before_us: their rows
   are below every later poll's lower bound. */
void n1_tmarks_prune(struct n1_tmarks *m, uint64_t before_us);

/*
 * A thread's mark as one number for the store: the time in microseconds
 * times 1024 plus the count (at most N1_TMARK_COUNT_MAX), and back.
 * n1_tmarks_set() returns 0, or -1 when memory ran out.
 */
int n1_tmarks_set(struct n1_tmarks *m, uint64_t thread, uint64_t packed);

/* Calls cb with every thread's packed mark, thread ids ascending. */
void n1_tmarks_each(const struct n1_tmarks *m,
                    void (*cb)(void *ud, uint64_t thread, uint64_t packed),
                    void *ud);

/*
 * The entry of thread in the array *v of *n entries (*cap allocated) of
 * size bytes each, sorted by the uint64_t thread id each entry starts
 * with; a new entry is inserted in order, zeroed but for its id, and
 * *is_new set. Returns the entry (valid until the next insertion), or
 * NULL when memory ran out. Shared by both server sources.
 */
void *n1_thread_slot(void **v, size_t *n, size_t *cap, size_t size,
                     uint64_t thread, int *is_new);

#endif /* N1_SERVER_MARK_H */
