/* SPDX-License-Identifier: MIT */
/*
 * reader.c: open a query log, detect its flavour, and drive the parsers.
 *
 * Detection looks at content only: the first 64 KiB are peeked (not
 * consumed) and the first line that can only come from a general log (a
 * time/id/command header) or a slow log ("# Time:", "# User@Host:",
 * "# Query_time:") decides which parser runs; the rest of that window
 * then picks the variant (MariaDB, MySQL, Percona, legacy) from
 * telltale fields. When the window holds nothing but a server banner (a
 * fresh log) or, in follow mode, too little to tell, the decision waits
 * for the first decisive line. The variant can still be refined later
 * (a MariaDB banner after FLUSH LOGS, a Percona field): parsing never
 * depends on it, only n1_reader_flavour() does.
 *
 * This file also holds what both parsers share: the two event slots
 * (building and ready) that keep strings valid for the caller while the
 * next event is built, the capped per-connection table, timestamp
 * parsing and rate-limited warnings.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/secret.h"
#include "read/reader_int.h"

#define DETECT_WINDOW (64u << 10) /* bytes peeked to detect the flavour */
#define DETECT_LINES  512u        /* lines looked at before giving up */

const char *n1_flavour_name(enum n1_flavour f)
{
    switch (f) {
    case N1_FLAVOUR_UNKNOWN:
        return "unknown";
    case N1_FLAVOUR_GENERAL_MARIADB:
        return "mariadb-general";
    case N1_FLAVOUR_GENERAL_MYSQL:
        return "mysql-general";
    case N1_FLAVOUR_GENERAL_LEGACY:
        return "legacy-general";
    case N1_FLAVOUR_SLOW_MARIADB:
        return "mariadb-slow";
    case N1_FLAVOUR_SLOW_MYSQL:
        return "mysql-slow";
    case N1_FLAVOUR_SLOW_PERCONA:
        return "percona-slow";
    case N1_FLAVOUR_SLOW_LEGACY:
        return "legacy-slow";
    }
    return "unknown";
}

int n1_flavour_is_slow(enum n1_flavour f)
{
    return f == N1_FLAVOUR_SLOW_MARIADB || f == N1_FLAVOUR_SLOW_MYSQL ||
           f == N1_FLAVOUR_SLOW_PERCONA || f == N1_FLAVOUR_SLOW_LEGACY;
}

/* ---- warnings ------------------------------------------------------ */

void rd_warn(struct n1_reader *r, enum rd_warn_kind kind, unsigned long line,
             const char *fmt, ...)
{
    struct n1_error e;
    char msg[200];
    va_list ap;
    unsigned long n = r->warned[kind]++;

    if (r->opts.warn == NULL || n > RD_WARN_BURST) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    n1_err_clear(&e);
    n1_err_set(&e, kind == RD_W_OVERSIZE ? N1_ELIMIT : N1_EPARSE, r->name, line,
               "%s%s", msg,
               n == RD_WARN_BURST ? " (further warnings like this are "
                                    "counted, not shown)"
                                  : "");
    r->opts.warn(r->opts.warn_ud, &e);
}

void rd_skip_line(struct n1_reader *r, const struct n1_line *ln,
                  const char *why)
{
    r->stats.skipped_lines++;
    rd_warn(r, RD_W_GARBAGE, ln->lineno, "%s", why);
}

/* ---- the building event -------------------------------------------- */

int rd_begin(struct n1_reader *r, const struct n1_line *ln)
{
    struct rd_evbuf *e = rd_cur(r);

    /* What n1_strbuf_reset() does, without two calls per event. */
    e->sql.len = 0;
    if (e->sql.buf != NULL) {
        e->sql.buf[0] = '\0';
    }
    e->strs.len = 0;
    e->strs.max = RD_MAX_STRS;
    if (e->strs.buf != NULL) {
        e->strs.buf[0] = '\0';
    }
    memset(&e->ev, 0, sizeof(e->ev));
    e->ev.file = r->name;
    e->ev.offset = ln->offset;
    e->ev.end_offset = ln->end;
    e->ev.line = ln->lineno;
    e->ev.ts_us = N1_TS_NONE;
    e->ev.cmd = N1_CMD_QUERY;
    e->ev.n_attrs = 0;
    e->n_pairs = 0;
    e->command = RD_NOSTR;
    e->command_name = NULL;
    e->user = RD_NOSTR;
    e->host = RD_NOSTR;
    e->db = RD_NOSTR;
    e->nlines = 1;
    e->oversize = ln->overlong;
    e->last_unterminated = ln->unterminated;
    r->has_building = 1;
    r->seen++;
    return 0;
}

void rd_extend(struct n1_reader *r, const struct n1_line *ln)
{
    struct rd_evbuf *e = rd_cur(r);

    e->nlines++;
    e->ev.end_offset = ln->end;
    e->last_unterminated = ln->unterminated;
    if (ln->overlong) {
        e->oversize = 1;
    }
}

void rd_append_sql(struct n1_reader *r, const char *text, size_t len, int sep)
{
    struct rd_evbuf *e = rd_cur(r);

    if (e->oversize) {
        return;
    }
    /* The common case: room in the buffer and under the cap, checked as
       n1_strbuf_append() would. */
    if (e->sql.buf != NULL && len + 2 <= e->sql.cap - e->sql.len &&
        len + 1 <= e->sql.max - e->sql.len) {
        char *p = e->sql.buf + e->sql.len;

        if (sep) {
            *p++ = '\n';
        }
        memcpy(p, text, len);
        p[len] = '\0';
        e->sql.len += len + (sep ? 1 : 0);
        return;
    }
    if ((sep && n1_strbuf_putc(&e->sql, '\n') != 0) ||
        n1_strbuf_append(&e->sql, text, len) != 0) {
        /* Over the cap (or out of memory): drop what we have now, so
           memory stays bounded, and skip the event when it ends. */
        e->oversize = 1;
        n1_strbuf_cleanup(&e->sql);
        n1_strbuf_init(&e->sql, r->opts.max_statement);
    }
}

void rd_set_sql(struct n1_reader *r, const char *text, size_t len)
{
    struct rd_evbuf *e = rd_cur(r);

    n1_strbuf_reset(&e->sql);
    rd_append_sql(r, text, len, 0);
}

void rd_set_str_grow(struct n1_reader *r, size_t *field, const char *s,
                     size_t len)
{
    struct n1_strbuf *b = &rd_cur(r)->strs;
    size_t at = b->len;

    if (n1_strbuf_append(b, s, len) != 0 || n1_strbuf_putc(b, '\0') != 0) {
        b->len = at;
        return; /* the arena is full: the field stays unknown */
    }
    *field = at;
}

static const char *strs_at(const struct rd_evbuf *e, size_t off)
{
    return off == RD_NOSTR ? "" : e->strs.buf + off;
}

void rd_drop(struct n1_reader *r)
{
    struct rd_evbuf *e = rd_cur(r);

    r->has_building = 0;
    r->stats.skipped_events++;
    r->stats.skipped_lines += e->nlines;
    n1_strbuf_reset(&e->sql);
}

/* Masks the passwords of the finished statement (base/secret.h): the
   masked text takes the statement's place, by swapping the buffers. When
   the masked text cannot be built the statement is emptied rather than
   handed out with its password. */
static void mask_secrets(struct n1_reader *r, struct rd_evbuf *e)
{
    struct n1_strbuf t;
    int rc = n1_secret_mask(n1_strbuf_str(&e->sql), e->sql.len, &r->mask);

    if (rc == 0) {
        return;
    }
    if (rc < 0) {
        n1_strbuf_reset(&e->sql);
        return;
    }
    t = e->sql;
    e->sql = r->mask;
    r->mask = t;
    r->mask.max = e->sql.max;
    e->sql.max = t.max;
}

void rd_finish(struct n1_reader *r, int at_end)
{
    struct rd_evbuf *e = rd_cur(r);

    if (!r->has_building) {
        return;
    }
    r->has_building = 0;
    if (at_end && e->last_unterminated) {
        e->ev.flags |= N1_EV_TRUNCATED;
    }
    if (e->oversize) {
        rd_warn(r, RD_W_OVERSIZE, e->ev.line,
                "statement over %zu bytes skipped (%lu lines)",
                r->opts.max_statement, e->nlines);
        rd_drop(r);
        return;
    }
    if (e->ev.flags & N1_EV_TRUNCATED) {
        rd_warn(r, RD_W_TRUNCATED, e->ev.line,
                "event truncated at the end of the input");
    }
    mask_secrets(r, e);
    e->ev.sql = n1_strbuf_str(&e->sql);
    e->ev.sql_len = e->sql.len;
    e->ev.command = e->command == RD_NOSTR && e->command_name != NULL
                        ? e->command_name
                        : strs_at(e, e->command);
    e->ev.user = strs_at(e, e->user);
    e->ev.host = strs_at(e, e->host);
    e->ev.db = strs_at(e, e->db);
    for (size_t i = 0; i < e->ev.n_attrs; i++) {
        e->attrs[i].name = strs_at(e, e->attr_name[i]);
        e->attrs[i].value = strs_at(e, e->attr_value[i]);
    }
    e->ev.attrs = e->attrs;
    r->stats.events++;
    r->building ^= 1;
    r->has_ready = 1;
}

/* ---- connections ---------------------------------------------------- */

static size_t conn_home(const struct n1_reader *r, uint64_t id)
{
    return (size_t)((id * UINT64_C(0x9E3779B97F4A7C15)) >> 32) &
           (r->conn_slots - 1);
}

static void conn_clear(struct rd_conn *c)
{
    free(c->user);
    free(c->host);
    free(c->db);
    memset(c, 0, sizeof(*c));
}

/* Removes slot i, shifting later entries of its run back (linear
   probing needs no tombstones that way). */
static void conn_remove_at(struct n1_reader *r, size_t i)
{
    size_t mask = r->conn_slots - 1;
    size_t j = i;

    conn_clear(&r->conns[i]);
    for (;;) {
        size_t k;

        j = (j + 1) & mask;
        if (r->conns[j].id == 0) {
            break;
        }
        k = conn_home(r, r->conns[j].id);
        if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
            r->conns[i] = r->conns[j];
            memset(&r->conns[j], 0, sizeof(r->conns[j]));
            i = j;
        }
    }
    r->n_conns--;
}

static int conn_grow(struct n1_reader *r)
{
    size_t nslots = r->conn_slots != 0 ? r->conn_slots * 2 : 256;
    struct rd_conn *old = r->conns;
    size_t oslots = r->conn_slots;
    struct rd_conn *nc = calloc(nslots, sizeof(*nc));

    if (nc == NULL) {
        return -1;
    }
    r->conns = nc;
    r->conn_slots = nslots;
    for (size_t i = 0; i < oslots; i++) {
        if (old[i].id != 0) {
            size_t h = conn_home(r, old[i].id);

            while (nc[h].id != 0) {
                h = (h + 1) & (nslots - 1);
            }
            nc[h] = old[i];
        }
    }
    free(old);
    return 0;
}

struct rd_conn *rd_conn_get(struct n1_reader *r, uint64_t id, int create)
{
    size_t h;

    if (id == 0) {
        return NULL;
    }
    if (r->conn_slots != 0) {
        h = conn_home(r, id);
        while (r->conns[h].id != 0) {
            if (r->conns[h].id == id) {
                r->conns[h].seen = r->seen;
                return &r->conns[h];
            }
            h = (h + 1) & (r->conn_slots - 1);
        }
    }
    if (!create) {
        return NULL;
    }
    if (r->n_conns >= RD_MAX_CONNS) {
        /* Full: evict the least recently used of the next few entries
           from id's home slot; cheap, and old connections go first. */
        size_t best = SIZE_MAX;
        size_t i = conn_home(r, id);

        for (int n = 0; n < 16; n++, i = (i + 1) & (r->conn_slots - 1)) {
            if (r->conns[i].id != 0 &&
                (best == SIZE_MAX || r->conns[i].seen < r->conns[best].seen)) {
                best = i;
            }
        }
        if (best == SIZE_MAX) {
            for (i = 0; r->conns[i].id == 0; i++) {
            }
            best = i;
        }
        conn_remove_at(r, best);
    } else if ((r->n_conns + 1) * 2 > r->conn_slots && conn_grow(r) != 0) {
        return NULL;
    }
    h = conn_home(r, id);
    while (r->conns[h].id != 0) {
        h = (h + 1) & (r->conn_slots - 1);
    }
    r->conns[h].id = id;
    r->conns[h].seen = r->seen;
    r->n_conns++;
    return &r->conns[h];
}

void rd_conn_drop(struct n1_reader *r, uint64_t id)
{
    size_t h;

    if (id == 0 || r->conn_slots == 0) {
        return;
    }
    h = conn_home(r, id);
    while (r->conns[h].id != 0) {
        if (r->conns[h].id == id) {
            conn_remove_at(r, h);
            return;
        }
        h = (h + 1) & (r->conn_slots - 1);
    }
}

int rd_conn_setstr(char **slot, size_t *slot_len, const char *s, size_t len)
{
    char *p = malloc(len + 1);
    const char *nul;

    if (p == NULL) {
        return -1;
    }
    memcpy(p, s, len);
    p[len] = '\0';
    free(*slot);
    *slot = p;
    /* A NUL byte inside cuts the string short where it is read. */
    nul = memchr(p, '\0', len);
    *slot_len = nul != NULL ? (size_t)(nul - p) : len;
    return 0;
}

/* ---- detection ------------------------------------------------------ */

int rd_is_banner(const char *s, size_t len)
{
    static const char tail[] = "started with:";
    size_t tl = sizeof(tail) - 1;

    if (len < tl + 10 || memcmp(s + len - tl, tail, tl) != 0) {
        return 0;
    }
    /* ", Version: " must come before the tail. */
    for (size_t i = 0; i + 11 <= len - tl; i++) {
        if (s[i] == ',' && memcmp(s + i, ", Version: ", 11) == 0) {
            return 1;
        }
    }
    return 0;
}

enum rd_banner rd_banner_step(enum rd_banner state, const char *s, size_t len)
{
    if (rd_is_banner(s, len)) {
        return RD_BANNER_START;
    }
    /* "Tcp port: 3306  Unix socket: ..." on Unix, "TCP Port: 3306,
       Named Pipe: MySQL" on Windows. */
    if (state == RD_BANNER_START && len >= 10 &&
        strncasecmp(s, "Tcp port: ", 10) == 0) {
        return RD_BANNER_PORT;
    }
    /* MySQL pads the column header with spaces, MariaDB with tabs: only
       its ends are fixed. */
    if (state == RD_BANNER_PORT && len >= 12 && memcmp(s, "Time", 4) == 0 &&
        memcmp(s + len - 8, "Argument", 8) == 0) {
        return RD_BANNER_DONE;
    }
    return RD_BANNER_NONE;
}

static int has_text(const char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);

    for (size_t i = 0; i + k <= n; i++) {
        if (hay[i] == needle[0] && memcmp(hay + i, needle, k) == 0) {
            return 1;
        }
    }
    return 0;
}

static enum n1_flavour slow_variant(const char *w, size_t n, int mariadb)
{
    /* MariaDB also writes Tmp_tables: and Full_scan:, so its own
       markers are checked first; Percona spells QC_Hit with a capital. */
    static const char *const percona[] = {
        "Last_errno:",         "QC_Hit:",        "InnoDB_IO_r_ops:",
        "Log_slow_rate_type:", "InnoDB_trx_id:", "InnoDB_pages_distinct:"};

    if (mariadb || has_text(w, n, "QC_hit:") ||
        has_text(w, n, "\n# Rows_affected:")) {
        return N1_FLAVOUR_SLOW_MARIADB;
    }
    for (size_t i = 0; i < sizeof(percona) / sizeof(percona[0]); i++) {
        if (has_text(w, n, percona[i])) {
            return N1_FLAVOUR_SLOW_PERCONA;
        }
    }
    for (size_t i = 0; i + 12 <= n; i++) {
        if (w[i] == '#' && memcmp(w + i, "# Time: ", 8) == 0) {
            return (w[i + 12] == '-') ? N1_FLAVOUR_SLOW_MYSQL
                                      : N1_FLAVOUR_SLOW_LEGACY;
        }
    }
    return N1_FLAVOUR_SLOW_LEGACY;
}

/*
 * Looks at one line while undecided. Returns 1 when it decided the
 * flavour (w/n: the bytes from this line on, for the variant), else 0.
 */
static int decide(struct n1_reader *r, const char *s, size_t len, const char *w,
                  size_t n, int *mariadb)
{
    if (rd_is_banner(s, len)) {
        if (has_text(s, len, "MariaDB")) {
            *mariadb = 1;
        }
        return 0;
    }
    if (rd_general_is_header(s, len)) {
        r->slow = 0;
        if (len > 4 && s[4] == '-') {
            r->flavour = N1_FLAVOUR_GENERAL_MYSQL;
        } else {
            r->flavour = *mariadb ? N1_FLAVOUR_GENERAL_MARIADB
                                  : N1_FLAVOUR_GENERAL_LEGACY;
        }
        return 1;
    }
    if (rd_slow_is_header(s, len)) {
        r->slow = 1;
        r->flavour = slow_variant(w, n, *mariadb);
        return 1;
    }
    return 0;
}

/*
 * Runs detection over the peeked window at open. Returns 0 (decided, or
 * undecided but plausible) or -1 when the window shows this is not a
 * query log.
 */
static int detect_window(struct n1_reader *r, struct n1_error *err)
{
    const char *w = NULL;
    long n = n1_source_peek(r->src, DETECT_WINDOW, &w, err);
    size_t pos = 0;
    unsigned lines = 0, other = 0;
    enum rd_banner banner = RD_BANNER_NONE;
    char first[48] = "";

    if (n < 0) {
        return -1;
    }
    while (pos < (size_t)n && lines < DETECT_LINES) {
        const char *s = w + pos;
        const char *nl = memchr(s, '\n', (size_t)n - pos);
        size_t len;

        if (nl == NULL) {
            if ((size_t)n == DETECT_WINDOW || r->opts.follow) {
                break; /* a partial line: not enough to judge */
            }
            len = (size_t)n - pos;
        } else {
            len = (size_t)(nl - s);
        }
        pos += len + 1;
        lines++;
        if (len > 0 && s[len - 1] == '\r') {
            len--;
        }
        if (decide(r, s, len, s, (size_t)n - (size_t)(s - w),
                   &r->saw_mariadb)) {
            return 0;
        }
        banner = rd_banner_step(banner, s, len);
        if (banner == RD_BANNER_NONE) {
            if (other++ == 0) {
                size_t k = len < sizeof(first) - 1 ? len : sizeof(first) - 1;

                for (size_t i = 0; i < k; i++) {
                    first[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
                }
                first[k] = '\0';
            }
        }
    }
    if (other == 0 ||
        (r->opts.follow && (size_t)n < DETECT_WINDOW && lines < DETECT_LINES)) {
        return 0; /* empty, banner only, or still growing: decide later */
    }
    n1_err_set(err, N1_EPARSE, r->name, 0,
               "not a MySQL or MariaDB query log (no general-log or "
               "slow-log header in the first %u lines; first line: \"%s\")",
               lines, first);
    return -1;
}

/* ---- public API ------------------------------------------------------ */

struct n1_reader *n1_reader_open(const char *path,
                                 const struct n1_reader_opts *opts,
                                 struct n1_error *err)
{
    struct n1_reader *r = NULL;
    struct n1_reader *ret = NULL;

    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        n1_err_oom(err, "opening the reader");
        goto out;
    }
    if (opts != NULL) {
        r->opts = *opts;
    }
    if (r->opts.max_statement == 0) {
        r->opts.max_statement = N1_READER_MAX_STATEMENT;
    }
    for (int i = 0; i < 2; i++) {
        n1_strbuf_init(&r->eb[i].sql, r->opts.max_statement);
        n1_strbuf_init(&r->eb[i].strs, RD_MAX_STRS);
    }
    n1_strbuf_init(&r->mask, 0);
    r->slow = -1;
    r->gen_ts = N1_TS_NONE;
    r->sl_time = N1_TS_NONE;
    r->tz = r->opts.tz;
    r->tz.cache_slot = INT64_MIN;
    r->name = strdup(path);
    if (r->name == NULL) {
        n1_err_oom(err, "opening the reader");
        goto out;
    }
    r->src = n1_source_open(path, r->opts.follow, r->opts.max_statement, err);
    if (r->src == NULL) {
        goto out;
    }
    /* Plain input counts no compressed bytes: stats.compressed stays 0,
       as n1_source_compressed_offset() would say on every line. */
    r->compressed = n1_source_compression(r->src) != NULL;
    if (r->opts.flavour != N1_FLAVOUR_UNKNOWN) {
        r->flavour = r->opts.flavour;
        r->slow = n1_flavour_is_slow(r->flavour);
    } else if (detect_window(r, err) != 0) {
        if (err != NULL && err->file[0] == '\0') {
            snprintf(err->file, sizeof(err->file), "%s", path);
        }
        goto out;
    }
    ret = r;
    r = NULL;
out:
    n1_reader_close(r);
    return ret;
}

/* Feeds a line to the parser, deciding the flavour first if need be. */
static int feed(struct n1_reader *r, const struct n1_line *ln,
                struct n1_error *err)
{
    struct n1_line copy;

    if (r->slow < 0) {
        const char *w = NULL;
        long n;

        /* Peeking refills the source's buffer, which may move or
           overwrite the bytes ln points to: work on a copy. */
        n1_strbuf_reset(&r->held);
        if (n1_strbuf_append(&r->held, ln->text, ln->len) != 0) {
            n1_err_oom(err, "copying an undecided line");
            return -1;
        }
        copy = *ln;
        copy.text = n1_strbuf_str(&r->held);
        ln = &copy;
        n = n1_source_peek(r->src, DETECT_WINDOW, &w, err);
        if (n < 0) {
            return -1;
        }
        if (!decide(r, ln->text, ln->len, w, (size_t)n, &r->saw_mariadb)) {
            r->banner = rd_banner_step(r->banner, ln->text, ln->len);
            if (r->banner == RD_BANNER_NONE) {
                rd_skip_line(r, ln, "garbage line skipped");
                if (++r->undecided_lines > DETECT_LINES) {
                    n1_err_set(err, N1_EPARSE, r->name, ln->lineno,
                               "not a MySQL or MariaDB query log (no "
                               "header in the first %u lines)",
                               DETECT_LINES);
                    return -1;
                }
            }
            return 0;
        }
        r->banner = RD_BANNER_NONE;
    }
    return r->slow ? rd_slow_line(r, ln) : rd_general_line(r, ln);
}

static void end_parser(struct n1_reader *r)
{
    if (!r->has_building) {
        return;
    }
    if (r->slow == 1) {
        rd_slow_end(r, 1);
    } else {
        rd_general_end(r, 1);
    }
}

int n1_reader_next(struct n1_reader *r, struct n1_event *ev,
                   struct n1_error *err)
{
    struct n1_line ln;
    int rc;

    r->has_ready = 0;
    for (;;) {
        rc = n1_source_next(r->src, &ln, err);
        if (rc < 0) {
            if (err != NULL) {
                snprintf(err->file, sizeof(err->file), "%s", r->name);
            }
            return -1;
        }
        if (rc == 0) {
            if (!r->opts.follow) {
                end_parser(r);
            }
            break;
        }
        r->stats.lines++;
        r->stats.bytes = ln.end;
        if (r->compressed) {
            r->stats.compressed = n1_source_compressed_offset(r->src);
        }
        if (feed(r, &ln, err) != 0) {
            return -1;
        }
        if (r->has_ready) {
            break;
        }
    }
    if (!r->has_ready) {
        return 0;
    }
    *ev = r->eb[r->building ^ 1].ev;
    return 1;
}

int n1_reader_flush(struct n1_reader *r, struct n1_event *ev)
{
    r->has_ready = 0;
    end_parser(r);
    if (!r->has_ready) {
        return 0;
    }
    *ev = r->eb[r->building ^ 1].ev;
    return 1;
}

int n1_reader_seek(struct n1_reader *r, uint64_t offset, unsigned long line,
                   struct n1_error *err)
{
    if (n1_source_seek(r->src, offset, line, err) != 0) {
        if (err != NULL) {
            snprintf(err->file, sizeof(err->file), "%s", r->name);
        }
        return -1;
    }
    r->has_building = 0;
    r->has_ready = 0;
    r->banner = RD_BANNER_NONE;
    r->gen_ts = N1_TS_NONE;
    r->sl_time = N1_TS_NONE;
    r->sle.quote = RD_Q_NONE;
    r->stats.bytes = offset;
    return 0;
}

int64_t rd_local_to_utc(struct n1_reader *r, int64_t wall_us)
{
    return n1_tz_to_utc(&r->tz, wall_us);
}

enum n1_tz_source n1_reader_tz_source(const struct n1_reader *r,
                                      struct n1_tz *tz)
{
    if (tz != NULL) {
        *tz = r->tz;
    }
    if (r->tz_detected) {
        return N1_TZSRC_DETECTED;
    }
    if (r->tz_local == 0) {
        return N1_TZSRC_NONE;
    }
    return r->tz.kind == N1_TZ_NONE ? N1_TZSRC_ASSUMED : N1_TZSRC_GIVEN;
}

enum n1_flavour n1_reader_flavour(const struct n1_reader *r)
{
    return r->flavour;
}

const struct n1_reader_stats *n1_reader_stats(const struct n1_reader *r)
{
    return &r->stats;
}

const struct n1_file_ident *n1_reader_ident(const struct n1_reader *r)
{
    return n1_source_ident(r->src);
}

const char *n1_reader_compression(const struct n1_reader *r)
{
    return n1_source_compression(r->src);
}

const char *n1_reader_name(const struct n1_reader *r)
{
    return r->name;
}

void n1_reader_close(struct n1_reader *r)
{
    if (r == NULL) {
        return;
    }
    n1_source_close(r->src);
    for (int i = 0; i < 2; i++) {
        n1_strbuf_cleanup(&r->eb[i].sql);
        n1_strbuf_cleanup(&r->eb[i].strs);
    }
    n1_strbuf_cleanup(&r->held);
    n1_strbuf_cleanup(&r->mask);
    for (size_t i = 0; i < r->conn_slots; i++) {
        conn_clear(&r->conns[i]);
    }
    free(r->conns);
    free(r->name);
    free(r);
}
