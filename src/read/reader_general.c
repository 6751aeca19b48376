/* SPDX-License-Identifier: MIT */
/*
 * reader_general.c: the general query log parser (MariaDB, MySQL, legacy).
 *
 * Every event starts with a header line in a strict form:
 *
 *   [time] TAB [TAB] spaces id SPACE command TAB argument
 *
 * where time is "YYMMDD HH:MM:SS" (MariaDB and MySQL <= 5.6; printed only
 * when the second changes, otherwise the line starts with two tabs) or an
 * ISO-8601 stamp (MySQL 5.7+, on every line), and command is one of the
 * server's command names. Any other line continues the statement of the
 * event before it (multi-line statements), except the three-line server
 * banner, which the server writes again after FLUSH LOGS or a restart.
 *
 * Unlike the slow log, quotes are NOT tracked here: the general log
 * records statements before they are parsed, including ones with
 * unbalanced quotes that the server then rejected, and honouring quotes
 * would let one such statement swallow the rest of the log. The price:
 * a statement line that itself looks exactly like a header splits the
 * statement (docs/log-formats.md).
 *
 * Per-connection state (user, host, schema) comes from Connect, Init DB
 * and "use db" queries; Quit forgets the connection.
 */
#include <string.h>

#include "base/timeutil.h"
#include "read/reader_int.h"

struct command_word {
    const char *name;    /* as the server prints it */
    unsigned char len;   /* strlen(name) */
    enum n1_command cmd; /* what it means to us */
};

#define CW(s, c)            \
    {                       \
        s, sizeof(s) - 1, c \
    }

/* The server's command names (sql/sql_parse.cc command_name[] in both
   MySQL and MariaDB), longest first where one is a prefix of another. */
static const struct command_word commands[] = {
    CW("Query", N1_CMD_QUERY),
    CW("Execute", N1_CMD_EXECUTE),
    CW("Prepare", N1_CMD_PREPARE),
    CW("Connect Out", N1_CMD_OTHER),
    CW("Connect", N1_CMD_CONNECT),
    CW("Quit", N1_CMD_QUIT),
    CW("Init DB", N1_CMD_INIT_DB),
    CW("Close stmt", N1_CMD_CLOSE_STMT),
    CW("Reset stmt", N1_CMD_CLOSE_STMT),
    CW("Sleep", N1_CMD_OTHER),
    CW("Field List", N1_CMD_OTHER),
    CW("Create DB", N1_CMD_OTHER),
    CW("Drop DB", N1_CMD_OTHER),
    CW("Refresh", N1_CMD_OTHER),
    CW("Shutdown", N1_CMD_OTHER),
    CW("Statistics", N1_CMD_OTHER),
    CW("Processlist", N1_CMD_OTHER),
    CW("Kill", N1_CMD_OTHER),
    CW("Debug", N1_CMD_OTHER),
    CW("Ping", N1_CMD_OTHER),
    CW("Time", N1_CMD_OTHER),
    CW("Delayed insert", N1_CMD_OTHER),
    CW("Change user", N1_CMD_OTHER),
    CW("Binlog Dump GTID", N1_CMD_OTHER),
    CW("Binlog Dump", N1_CMD_OTHER),
    CW("Table Dump", N1_CMD_OTHER),
    CW("Register Slave", N1_CMD_OTHER),
    CW("Long Data", N1_CMD_OTHER),
    CW("Set option", N1_CMD_OTHER),
    CW("Fetch", N1_CMD_OTHER),
    CW("Daemon", N1_CMD_OTHER),
    CW("Error", N1_CMD_OTHER),
    CW("Reset Connection", N1_CMD_OTHER),
    CW("Bulk_execute", N1_CMD_OTHER),
    CW("Slave_worker", N1_CMD_OTHER),
    CW("Slave_IO", N1_CMD_OTHER),
    CW("Slave_SQL", N1_CMD_OTHER),
    CW("Com_multi", N1_CMD_OTHER),
    CW("Clone", N1_CMD_OTHER),
};

struct header {
    int has_ts;                    /* the line carried a time column */
    int ts_fine;                   /* ... with a fraction of a second */
    int64_t ts;                    /* that time (UTC us, or the wall
                                      clock read as UTC when ts_local) */
    int ts_local;                  /* the time named no zone */
    uint64_t id;                   /* connection id */
    const struct command_word *cw; /* the command */
    size_t arg;                    /* offset of the argument in the line */
};

/* MySQL 5.0 wrote the command word as "%-11.11s": cut at 11 bytes. */
#define OLD_WORD_WIDTH 11

/*
 * Whether the command word cw starts s (n bytes): followed by a tab
 * (MySQL 5.1+, MariaDB), by a space (MySQL 5.0 padded it to 11 bytes
 * with spaces, cutting longer words there) or by the end of the line.
 * Returns the bytes of the word as written, or 0.
 */
static size_t match_command(const struct command_word *cw, const char *s,
                            size_t n, int cut)
{
    size_t cl = cw->len;

    if (cut) {
        return cl > OLD_WORD_WIDTH && n > OLD_WORD_WIDTH &&
                       s[OLD_WORD_WIDTH] == ' ' &&
                       memcmp(s, cw->name, OLD_WORD_WIDTH) == 0
                   ? OLD_WORD_WIDTH
                   : 0;
    }
    if (n < cl || s[0] != cw->name[0] || memcmp(s, cw->name, cl) != 0) {
        return 0;
    }
    if (n == cl || s[cl] == '\t' || s[cl] == ' ') {
        return cl;
    }
    return 0;
}

/* The command word at s (n bytes), whole words before cut ones: sets
 *cw and returns its length as written, or 0. */
static size_t find_command(const char *s, size_t n,
                           const struct command_word **cw)
{
    for (int cut = 0; cut < 2; cut++) {
        for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++) {
            size_t cl = match_command(&commands[c], s, n, cut);

            if (cl != 0) {
                *cw = &commands[c];
                return cl;
            }
        }
    }
    return 0;
}

/* Parses a header line; returns 1 and fills *h, or 0. */
static int parse_header(const char *s, size_t len, struct header *h)
{
    size_t i;
    size_t n;
    size_t cl;
    int digits = 0;
    int zoned = 0;

    h->has_ts = 0;
    h->ts_fine = 0;
    h->id = 0;
    if (len >= 2 && s[0] == '\t' && s[1] == '\t') {
        i = 2;
    } else if (len >= 16 && s[0] >= '0' && s[0] <= '9') {
        if (s[4] == '-') {
            n = n1_ts_parse_iso_zone(s, len, N1_TS_ISO_STRICT, &h->ts, &zoned);
        } else {
            n = n1_ts_parse_yymmdd(s, len, 0, &h->ts);
        }
        h->ts_local = !zoned;
        /* A tab after the time; MySQL 5.7.12 wrote spaces. */
        if (n == 0 || n >= len || (s[n] != '\t' && s[n] != ' ')) {
            return 0;
        }
        h->has_ts = 1;
        h->ts_fine = memchr(s, '.', n) != NULL;
        i = n + 1;
    } else {
        return 0;
    }
    while (i < len && s[i] == ' ') {
        i++;
    }
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        if (++digits > 20) {
            return 0;
        }
        h->id = h->id * 10 + (uint64_t)(s[i] - '0');
        i++;
    }
    if (digits == 0 || i >= len || s[i] != ' ') {
        return 0;
    }
    i++;
    cl = find_command(s + i, len - i, &h->cw);
    if (cl == 0) {
        return 0;
    }
    i += cl;
    if (i < len && s[i] == '\t') {
        i++;
    } else {
        /* MySQL 5.0: the word padded with spaces, then one more. */
        while (i < len && s[i] == ' ') {
            i++;
        }
    }
    h->arg = i;
    return 1;
}

enum n1_command rd_general_command(const char *s, size_t n, const char **name)
{
    for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++) {
        if (commands[c].len == n && memcmp(commands[c].name, s, n) == 0) {
            *name = commands[c].name;
            return commands[c].cmd;
        }
    }
    *name = NULL;
    return N1_CMD_OTHER;
}

int rd_general_is_header(const char *s, size_t len)
{
    struct header h;

    return parse_header(s, len, &h);
}

int rd_general_on_db(const char *s, size_t len, const char **db, size_t *dlen)
{
    const char *end = s + len;

    /* " on " after the host; the schema runs to the next space. */
    for (const char *p = s; p + 4 <= end; p++) {
        if (memcmp(p, " on ", 4) == 0) {
            const char *de = p + 4;

            while (de < end && *de != ' ') {
                de++;
            }
            *db = p + 4;
            *dlen = (size_t)(de - *db);
            return 1;
        }
    }
    return 0;
}

/* "user@host on db using X" (MySQL 5.7+, MariaDB) or "user@host on db"
   (older); anything else (e.g. "Access denied ...") leaves state alone. */
static void apply_connect(struct rd_conn *c, const char *s, size_t len)
{
    const char *at = memchr(s, '@', len);
    const char *sp;
    const char *end = s + len;
    const char *db;
    size_t dlen;

    if (at == NULL || at == s || memchr(s, ' ', (size_t)(at - s)) != NULL) {
        return;
    }
    sp = memchr(at, ' ', (size_t)(end - at));
    if (sp == NULL) {
        sp = end;
    }
    rd_conn_setstr(&c->user, &c->user_len, s, (size_t)(at - s));
    rd_conn_setstr(&c->host, &c->host_len, at + 1, (size_t)(sp - at - 1));
    if (rd_general_on_db(sp, (size_t)(end - sp), &db, &dlen)) {
        rd_conn_setstr(&c->db, &c->db_len, db, dlen);
    }
}

/* Trims spaces, a trailing ';' and backticks from a schema name. */
static void trim_db(const char **s, size_t *len)
{
    const char *p = *s;
    size_t n = *len;

    while (n > 0 && (*p == ' ' || *p == '\t' || *p == '\n')) {
        p++;
        n--;
    }
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\n' ||
                     p[n - 1] == ';')) {
        n--;
    }
    if (n >= 2 && p[0] == '`' && p[n - 1] == '`') {
        p++;
        n -= 2;
    }
    *s = p;
    *len = n;
}

/* "use db" as a query: returns 1 with the schema name. */
int rd_general_use(const char *s, size_t len, const char **db, size_t *dlen)
{
    while (len > 0 && (*s == ' ' || *s == '\t' || *s == '\n')) {
        s++;
        len--;
    }
    /* "use" in any case, as strncasecmp() would read it (ASCII: the
       program keeps the C locale). */
    if (len < 5 || (s[0] | 0x20) != 'u' || (s[1] | 0x20) != 's' ||
        (s[2] | 0x20) != 'e' ||
        (s[3] != ' ' && s[3] != '\t' && s[3] != '\n' && s[3] != '`')) {
        return 0;
    }
    *db = s + 3;
    *dlen = len - 3;
    trim_db(db, dlen);
    return *dlen > 0 && memchr(*db, ' ', *dlen) == NULL;
}

void rd_general_end(struct n1_reader *r, int at_end)
{
    struct rd_evbuf *e = rd_cur(r);
    const char *sql = e->sql.buf != NULL ? e->sql.buf : "";
    size_t len = e->sql.len;
    struct rd_conn *c = NULL;
    const char *db = NULL;
    size_t dlen = 0;

    if (!r->has_building) {
        return;
    }
    switch (e->ev.cmd) {
    case N1_CMD_CONNECT:
        c = rd_conn_get(r, e->ev.conn_id, 1);
        if (c != NULL && !e->oversize) {
            apply_connect(c, sql, len);
        }
        break;
    case N1_CMD_INIT_DB:
        c = rd_conn_get(r, e->ev.conn_id, 1);
        db = sql;
        dlen = len;
        trim_db(&db, &dlen);
        break;
    case N1_CMD_QUERY:
        if (!e->oversize && rd_general_use(sql, len, &db, &dlen)) {
            c = rd_conn_get(r, e->ev.conn_id, 1);
        } else {
            c = rd_conn_get(r, e->ev.conn_id, 0);
        }
        break;
    default:
        c = rd_conn_get(r, e->ev.conn_id, 0);
        break;
    }
    if (c != NULL && db != NULL) {
        rd_conn_setstr(&c->db, &c->db_len, db, dlen);
    }
    if (c != NULL) {
        if (c->user != NULL) {
            rd_set_str(r, &e->user, c->user, c->user_len);
        }
        if (c->host != NULL) {
            rd_set_str(r, &e->host, c->host, c->host_len);
        }
        if (c->db != NULL) {
            rd_set_str(r, &e->db, c->db, c->db_len);
        }
    }
    if (e->ev.cmd == N1_CMD_QUIT) {
        rd_conn_drop(r, e->ev.conn_id);
    }
    rd_finish(r, at_end);
}

int rd_general_line(struct n1_reader *r, const struct n1_line *ln)
{
    struct header h;
    struct rd_evbuf *e;

    if (parse_header(ln->text, ln->len, &h)) {
        r->banner = RD_BANNER_NONE;
        rd_general_end(r, 0);
        if (rd_begin(r, ln) != 0) {
            return -1;
        }
        e = rd_cur(r);
        e->ev.conn_id = h.id;
        e->ev.cmd = h.cw->cmd;
        rd_set_command(r, h.cw->name, h.cw->len);
        if (h.has_ts) {
            r->gen_ts = h.ts_local ? rd_local_to_utc(r, h.ts) : h.ts;
            r->gen_local = h.ts_local;
            r->gen_ts_fine = h.ts_fine;
            e->ev.flags |= N1_EV_TS_EXACT;
        }
        if (r->gen_ts_fine) {
            e->ev.flags |= N1_EV_TS_FINE;
        }
        e->ev.ts_us = r->gen_ts;
        if (r->gen_ts != N1_TS_NONE && r->gen_local) {
            r->tz_local++;
        }
        rd_append_sql(r, ln->text + h.arg, ln->len - h.arg, 0);
        return 0;
    }
    r->banner = rd_banner_step(r->banner, ln->text, ln->len);
    if (r->banner == RD_BANNER_START) {
        rd_general_end(r, 0);
        if (r->flavour == N1_FLAVOUR_GENERAL_LEGACY &&
            strstr(ln->text, "MariaDB") != NULL) {
            r->flavour = N1_FLAVOUR_GENERAL_MARIADB;
        }
        return 0;
    }
    if (r->banner != RD_BANNER_NONE) {
        return 0;
    }
    /* Quit has no argument: a line after it is no part of it. */
    if (!r->has_building || rd_cur(r)->ev.cmd == N1_CMD_QUIT) {
        rd_skip_line(r, ln, "garbage line skipped");
        return 0;
    }
    rd_extend(r, ln);
    rd_append_sql(r, ln->text, ln->len, 1);
    return 0;
}
