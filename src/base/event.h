/* SPDX-License-Identifier: MIT */
/*
 * event.h: one statement (or connection event) read from a query log.
 *
 * Readers fill a struct n1_event for each event; every pointer in it is
 * borrowed from the reader and stays valid until the next call to
 * n1_reader_next() or n1_reader_close(). Consumers that keep anything
 * (detectors, the aggregate table) copy it.
 */
#ifndef N1_EVENT_H
#define N1_EVENT_H

#include <stddef.h>
#include <stdint.h>

/* Timestamp value meaning "the log did not say". */
#define N1_TS_NONE INT64_MIN

/* What the server logged the event as. */
enum n1_command {
    N1_CMD_QUERY = 0,  /* Query (general) or any slow-log entry */
    N1_CMD_PREPARE,    /* Prepare: text with ? placeholders */
    N1_CMD_EXECUTE,    /* Execute: text with the values filled in */
    N1_CMD_CONNECT,    /* Connect: sql holds "user@host on db using ..." */
    N1_CMD_QUIT,       /* Quit: the connection closed */
    N1_CMD_INIT_DB,    /* Init DB: sql holds the new schema */
    N1_CMD_CLOSE_STMT, /* Close stmt / Reset stmt */
    N1_CMD_OTHER       /* anything else (Statistics, Field List, ...) */
};

/* The slow-log metrics that every flavour may carry. */
enum n1_metric {
    N1_M_QUERY_TIME = 0, /* seconds */
    N1_M_LOCK_TIME,      /* seconds */
    N1_M_ROWS_SENT,
    N1_M_ROWS_EXAMINED,
    N1_M_ROWS_AFFECTED,
    N1_M_BYTES_SENT,
    N1_M_COUNT
};

/*
 * The largest magnitude a logged number may have to count as one (a
 * metric, or an attribute's num). No server measures more (it is 31
 * million years in seconds); a larger or non-finite value ("1e999",
 * "-inf") stays text, so that every sum of metrics stays finite.
 */
#define N1_NUM_MAX 1e15

/* One "Name: value" pair from a slow-log header, as written. */
struct n1_attr {
    const char *name;  /* e.g. "Tmp_tables"; borrowed */
    const char *value; /* e.g. "0" or "Yes"; borrowed */
    double num;        /* value as a number when is_num */
    int is_num;        /* 1 when value parsed fully as a number */
};

/* Event flags. */
#define N1_EV_TS_EXACT  0x01u /* ts_us came from this line, not carried over */
#define N1_EV_TRUNCATED 0x02u /* the input ended inside this event */
#define N1_EV_TS_FINE                           \
    0x04u /* the log's time had a fraction of a \
             second (sub-second precision) */

struct n1_event {
    const char *file;    /* display name of the input ("-" for stdin) */
    uint64_t offset;     /* byte offset of the event's first line */
    uint64_t end_offset; /* byte offset just past the event's last line */
    unsigned long line;  /* 1-based line of the event's first line */
    int64_t ts_us;       /* UTC microseconds since the epoch or N1_TS_NONE */
    uint64_t conn_id;    /* connection (thread) id; 0 when unknown */
    enum n1_command cmd; /* what kind of event */
    const char *command; /* the command word as logged ("Query") */
    const char *user;    /* "" when unknown */
    const char *host;    /* "" when unknown */
    const char *db;      /* current schema; "" when unknown */
    const char *sql;     /* statement text, NUL-terminated */
    size_t sql_len;      /* bytes in sql (it may contain NUL bytes) */
    double metric[N1_M_COUNT];   /* valid where metric_mask has 1u << m */
    unsigned metric_mask;        /* which metric[] entries the log gave */
    const struct n1_attr *attrs; /* every Name: value pair, in log order */
    size_t n_attrs;              /* entries in attrs */
    unsigned flags;              /* N1_EV_* */
};

/* Short lower-case name of a command ("query", "execute"). Never NULL. */
const char *n1_command_name(enum n1_command cmd);

/* Name of a metric as pt-query-digest spells it ("Query_time"). */
const char *n1_metric_name(enum n1_metric m);

#endif /* N1_EVENT_H */
