/* SPDX-License-Identifier: MIT */
/*
 * reader_int.h: what reader.c shares with the two line parsers,
 * reader_general.c and reader_slow.c. Not part of the public API.
 *
 * The parsers are line-driven state machines: reader.c feeds them one
 * line at a time and they build the next event in the reader's
 * "building" slot through the rd_* helpers below. When a line shows that
 * the building event is complete, the parser calls rd_finish(), which
 * moves it to the "ready" slot (or drops it when it went over the cap);
 * n1_reader_next() hands out the ready event. Because no parser looks
 * ahead, a line split across two reads in follow mode gives the same
 * events as the whole file.
 */
#ifndef N1_READER_INT_H
#define N1_READER_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/event.h"
#include "base/strbuf.h"
#include "read/reader.h"
#include "read/source.h"

#define RD_MAX_ATTRS  128         /* attrs kept per event; more are dropped */
#define RD_MAX_STRS   (64u << 10) /* bytes of user/host/db/attr text */
#define RD_MAX_CONNS  65536u      /* connections tracked at once */
#define RD_WARN_BURST 20          /* warnings of one kind shown per input */

/* Kinds of warning, rate-limited separately. */
enum rd_warn_kind {
    RD_W_GARBAGE = 0, /* a line that belongs to no event */
    RD_W_OVERSIZE,    /* a statement over max_statement */
    RD_W_TRUNCATED,   /* the input ended inside an event */
    RD_W_NOSTMT,      /* a slow-log entry without a statement */
    RD_W_COUNT
};

/* Where a string of the building event lives in its strs arena. */
#define RD_NOSTR ((size_t)-1)

struct rd_evbuf {
    struct n1_event ev;    /* fixed fields; pointers set by rd_finish */
    struct n1_strbuf sql;  /* statement text */
    struct n1_strbuf strs; /* NUL-terminated strings, by offset */
    struct n1_attr attrs[RD_MAX_ATTRS]; /* pointers set by rd_finish */
    size_t attr_name[RD_MAX_ATTRS];     /* offsets into strs */
    size_t attr_value[RD_MAX_ATTRS];    /* offsets into strs */
    size_t command, user, host, db;     /* offsets into strs or RD_NOSTR */
    const char *command_name;           /* static command word, used when
                                           command is RD_NOSTR */
    size_t n_pairs;                     /* pairs seen with opts.no_attrs,
                                           capped like attrs */
    unsigned long nlines;               /* lines that belong to the event */
    int oversize;                       /* the statement went over the cap */
    int last_unterminated;              /* its last line had no "\n" */
};

/* Per-connection state (general log): who and where. */
struct rd_conn {
    uint64_t id;   /* connection id; 0 marks a free slot */
    uint64_t seen; /* event counter when last used, for eviction */
    char *user;    /* heap; NULL when unknown */
    char *host;    /* heap; NULL when unknown */
    char *db;      /* heap; NULL when unknown */
    size_t user_len, host_len, db_len; /* strlen() of each, 0 for NULL */
};

/* Where a server banner stands after a line: the three lines a server
   writes at the top of its log on each start (see rd_banner_step). */
enum rd_banner {
    RD_BANNER_NONE = 0, /* the line is not part of a banner */
    RD_BANNER_START,    /* "<binary>, Version: ... started with:" */
    RD_BANNER_PORT,     /* "Tcp port: ..." (or "TCP Port: ...") right
                           after the start line */
    RD_BANNER_DONE      /* the "Time ... Argument" column header after
                           that: the banner is complete */
};

/* Slow-log quote/comment state between lines. */
enum rd_quote {
    RD_Q_NONE = 0, /* outside any quote or comment */
    RD_Q_SINGLE,   /* inside '...' */
    RD_Q_DOUBLE,   /* inside "..." */
    RD_Q_BACKTICK, /* inside `...` */
    RD_Q_COMMENT   /* inside a block comment */
};

/* Slow-log state of one entry, reset when the next one begins. */
struct rd_slow_entry {
    int body;            /* the entry is past its # header lines */
    int stmt;            /* statement text has started */
    int userhost;        /* the entry had a # User@Host: line */
    int set_ts;          /* the entry had SET timestamp= */
    int admin;           /* "# administrator command:" entry */
    int had_use;         /* the entry had a "use db;" line */
    enum rd_quote quote; /* quote state after the last line */
    int time_exact;      /* this entry had its own "# Time:" */
    int64_t start;       /* log_slow_extra Start: (UTC us) or NONE */
    int start_fine;      /* ... with a fraction of a second */
    int64_t set;         /* SET timestamp= seconds, or -1 */
    int schema;          /* the entry had Schema: */
    size_t next_name;    /* the known name likely next (reader_slow.c) */
};

struct n1_reader {
    struct n1_source *src;            /* the lines */
    char *name;                       /* display name */
    struct n1_reader_opts opts;       /* as given, with defaults filled in */
    enum n1_flavour flavour;          /* best guess so far */
    int slow;                         /* -1 undecided, 0 general, 1 slow */
    unsigned long undecided_lines;    /* lines seen before deciding */
    int saw_mariadb;                  /* a MariaDB banner was seen */
    struct n1_strbuf held;            /* copy of the line being fed while
                                         undecided: peeking ahead may move
                                         the source's buffer under it */
    struct n1_strbuf mask;            /* a statement with its passwords
                                         masked (swapped with an event's) */
    struct n1_reader_stats stats;     /* counters */
    int compressed;                   /* the input is compressed */
    struct rd_evbuf eb[2];            /* building and ready */
    int building;                     /* index of the building slot */
    int has_building;                 /* the building slot holds an event */
    int has_ready;                    /* the ready slot holds an event */
    unsigned long warned[RD_W_COUNT]; /* warnings per kind so far */
    uint64_t seen;                    /* events started, for conn LRU */
    struct n1_tz tz;                  /* the zone local stamps are read in:
                                         opts.tz, or the detected offset */
    uint64_t tz_local;                /* event times from local stamps */
    int tz_detected;                  /* tz is the offset the log showed */

    struct rd_conn *conns; /* open addressing, power-of-two size */
    size_t n_conns;        /* slots in use */
    size_t conn_slots;     /* slots allocated */

    /* General-log state. */
    int64_t gen_ts;        /* last time column seen (UTC us) */
    int gen_ts_fine;       /* ... it had a fraction of a second */
    int gen_local;         /* ... it was local time (no zone) */
    enum rd_banner banner; /* banner state after the last line */

    /* Slow-log state. */
    struct rd_slow_entry sle; /* the entry being built */
    int64_t sl_time;          /* last "# Time:" (UTC us), carried over */
    int sl_time_fine;         /* ... it had a fraction of a second */
    int sl_time_local;        /* ... it was local time (no zone) */
    int64_t sl_time_wall;     /* ... as written, the wall clock read as UTC */
    char sl_db[256];          /* last "use db;" written to the file */
    char sl_use[260];         /* that line as written, without ";" */
};

/*
 * Reads a local stamp's wall clock (microseconds as if it were UTC) in
 * the reader's zone. Returns UTC microseconds.
 */
int64_t rd_local_to_utc(struct n1_reader *r, int64_t wall_us);

/* Starts a new building event at line ln (finishing any building one
   first). Returns 0 or -1 when memory ran out. */
int rd_begin(struct n1_reader *r, const struct n1_line *ln);

/* Counts ln as part of the building event (nlines, end_offset). */
void rd_extend(struct n1_reader *r, const struct n1_line *ln);

/* Appends text to the building statement; sep adds a "\n" first. Marks
   the event oversize (and keeps counting) instead of going over the cap. */
void rd_append_sql(struct n1_reader *r, const char *text, size_t len, int sep);

/* Replaces the building statement with text. */
void rd_set_sql(struct n1_reader *r, const char *text, size_t len);

/* The building event. */
static inline struct rd_evbuf *rd_cur(struct n1_reader *r)
{
    return &r->eb[r->building];
}

/* rd_set_str() when the arena must grow (or is full): the field is set
   when the string fits under RD_MAX_STRS, else left as it was. */
void rd_set_str_grow(struct n1_reader *r, size_t *field, const char *s,
                     size_t len);

/* Stores a string field (one of the rd_evbuf offsets) of len bytes. */
static inline void rd_set_str(struct n1_reader *r, size_t *field, const char *s,
                              size_t len)
{
    struct n1_strbuf *b = &rd_cur(r)->strs;
    size_t at = b->len;

    /* Most strings are short and fit: copy them and their NUL in place
       (the buffer stays NUL-terminated), as rd_set_str_grow() would. */
    if (len + 2 <= b->cap - at && len + 1 <= b->max - at) {
        memcpy(b->buf + at, s, len);
        b->buf[at + len] = '\0';
        b->len = at + len + 1;
        b->buf[b->len] = '\0';
        *field = at;
        return;
    }
    rd_set_str_grow(r, field, s, len);
}

/*
 * Sets the building event's command word to name (len bytes), a static
 * string, without copying it; a later rd_set_str() of the command field
 * takes precedence. Called first thing after rd_begin(): the arena is
 * charged the bytes a copy would take, so every later string fits or
 * not exactly as it would have after a copy.
 */
static inline void rd_set_command(struct n1_reader *r, const char *name,
                                  size_t len)
{
    struct rd_evbuf *e = rd_cur(r);

    e->command = RD_NOSTR;
    e->command_name = name;
    e->strs.max = RD_MAX_STRS - (len + 1);
}

/* Finishes the building event: it becomes ready, or is dropped and
   counted when it went over the cap. at_end: the input ended inside it. */
void rd_finish(struct n1_reader *r, int at_end);

/* Drops the building event, counting it and its lines as skipped; the
   caller warns. */
void rd_drop(struct n1_reader *r);

/* Counts ln as skipped and warns (rate-limited). */
void rd_skip_line(struct n1_reader *r, const struct n1_line *ln,
                  const char *why);

/* Warns about kind at line (rate-limited); the message is one line. */
void rd_warn(struct n1_reader *r, enum rd_warn_kind kind, unsigned long line,
             const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Connection state: finds (creating when create is set) the entry for
   id, evicting the least recently used of a few when the table is full.
   Returns NULL when id is 0 or memory ran out. */
struct rd_conn *rd_conn_get(struct n1_reader *r, uint64_t id, int create);

/* Forgets connection id. */
void rd_conn_drop(struct n1_reader *r, uint64_t id);

/* Replaces *slot with a heap copy of s[0..len), and *slot_len with its
   strlen(). Returns 0, or -1 (both left alone) when memory ran out. */
int rd_conn_setstr(char **slot, size_t *slot_len, const char *s, size_t len);

/* The parsers: feed one line; finish at the end of input (or on flush). */
int rd_general_line(struct n1_reader *r, const struct n1_line *ln);
void rd_general_end(struct n1_reader *r, int at_end);
int rd_slow_line(struct n1_reader *r, const struct n1_line *ln);
void rd_slow_end(struct n1_reader *r, int at_end);

/* Line classifiers used by detection. */
int rd_general_is_header(const char *s, size_t len);

/* The general log's command word s (n bytes, exactly): what it means,
   and its name as the server prints it in *name (static; NULL for an
   unknown word, which means N1_CMD_OTHER). The log tables' command_type
   column holds the same words. */
enum n1_command rd_general_command(const char *s, size_t n, const char **name);

/* "use db" as a query (len bytes at s): 1 with the schema name (a span
   of s, backquotes and a trailing ';' trimmed), else 0. */
int rd_general_use(const char *s, size_t len, const char **db, size_t *dlen);

/* The schema of a Connect argument's " on db" in the len bytes at s
   (searched from there on): 1 with the span, else 0. */
int rd_general_on_db(const char *s, size_t len, const char **db, size_t *dlen);
int rd_slow_is_header(const char *s, size_t len);
int rd_is_banner(const char *s, size_t len);

/*
 * The banner state machine, the one definition every parser and the
 * detection use. Given the state after the previous line, returns the
 * state after line s (len bytes, no newline): RD_BANNER_START for a
 * start line (whatever came before), RD_BANNER_PORT for "Tcp port: "
 * (any case: Windows servers write "TCP Port: ") after a start line,
 * RD_BANNER_DONE for a line that starts with "Time" and ends with "Argument"
 * after the port line, else RD_BANNER_NONE.
 */
enum rd_banner rd_banner_step(enum rd_banner state, const char *s, size_t len);

#endif /* N1_READER_INT_H */
