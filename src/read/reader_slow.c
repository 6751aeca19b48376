/* SPDX-License-Identifier: MIT */
/*
 * reader_slow.c: the slow query log parser (MariaDB, MySQL, Percona,
 * legacy).
 *
 * An entry is a block of "# " header lines ("# Time:" when present, then
 * "# User@Host:", then lines of "Name: value" pairs in any number and
 * order, plus MariaDB's "# explain:" lines), optional "use db;" and
 * "SET [last_insert_id=N,][insert_id=N,]timestamp=N;" lines (session
 * state, taken as attributes, never as statement text), and the
 * statement, which may span many lines and which the server ends with
 * ";". A new entry starts at "# Time:",
 * at "# User@Host:" (unless it follows the entry's own "# Time:") or at
 * "# Query_time:" after a statement.
 *
 * A statement may contain text that looks like a header (a string
 * literal holding "\n# Time: ..."), so while a statement runs we track
 * whether it is inside a quote (', ", ` with backslash escapes) or a
 * block comment; a header line only ends a statement when the statement
 * so far is outside both. "#" and "-- " comments end at the line end.
 *
 * Every "Name: value" pair goes into the event's attrs as written; the
 * six common numbers also go into metric[]. The schema is "Schema:" when
 * the entry has it, else the last "use db;" written to the file (the
 * server writes one whenever the schema differs from the one it last
 * wrote, whatever the connection). The time is the statement's start:
 * log_slow_extra's "Start:" when present, else "SET timestamp=" seconds
 * (with microseconds from "# Time:" minus Query_time when they agree),
 * else the last "# Time:".
 */
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "read/reader_int.h"

static int starts(const char *s, size_t len, const char *p, size_t plen)
{
    return len >= plen && memcmp(s, p, plen) == 0;
}

#define STARTS(s, len, lit) starts((s), (len), (lit), sizeof(lit) - 1)

/*
 * The line that names the client: "# User@Host: priv[user] @ host [ip]"
 * (some servers write no space after the colon) or the older
 * "# User: name  Host: host" pairs. Returns 1 for the former, 2 for the
 * latter, 0 for any other line.
 */
static int user_line(const char *s, size_t len)
{
    if (STARTS(s, len, "# User@Host:")) {
        return 1;
    }
    return STARTS(s, len, "# User: ") ? 2 : 0;
}

int rd_slow_is_header(const char *s, size_t len)
{
    return STARTS(s, len, "# Time: ") || user_line(s, len) != 0 ||
           STARTS(s, len, "# Query_time: ");
}

/* Bytes that can change the quote state outside quotes and comments. */
static const unsigned char quote_special[256] = {
    ['\''] = 1, ['"'] = 1, ['`'] = 1, ['#'] = 1, ['-'] = 1, ['/'] = 1,
};

/*
 * Scans one statement line and returns the quote state after it. Each
 * state skips to the next byte that can end it (a table outside quotes,
 * memchr() in backticks and comments), as statements are mostly plain
 * text between a few quotes.
 */
static enum rd_quote scan_quotes(enum rd_quote q, const char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        const char *p;
        char c;
        char qc;

        switch (q) {
        case RD_Q_NONE:
            while (i < len && !quote_special[(unsigned char)s[i]]) {
                i++;
            }
            if (i == len) {
                return q;
            }
            c = s[i];
            if (c == '\'') {
                q = RD_Q_SINGLE;
            } else if (c == '"') {
                q = RD_Q_DOUBLE;
            } else if (c == '`') {
                q = RD_Q_BACKTICK;
            } else if (c == '#') {
                return RD_Q_NONE; /* comment to the end of the line */
            } else if (c == '-' && i + 1 < len && s[i + 1] == '-' &&
                       (i + 2 == len || s[i + 2] == ' ' || s[i + 2] == '\t')) {
                return RD_Q_NONE;
            } else if (c == '/' && i + 1 < len && s[i + 1] == '*') {
                q = RD_Q_COMMENT;
                i++;
            }
            i++;
            break;
        case RD_Q_SINGLE:
        case RD_Q_DOUBLE:
            qc = q == RD_Q_SINGLE ? '\'' : '"';
            while (i < len && s[i] != qc && s[i] != '\\') {
                i++;
            }
            if (i == len) {
                return q;
            }
            if (s[i] == '\\') {
                i += 2; /* the escaped byte cannot end the string */
            } else {
                q = RD_Q_NONE;
                i++;
            }
            break;
        case RD_Q_BACKTICK:
            p = memchr(s + i, '`', len - i);
            if (p == NULL) {
                return q;
            }
            i = (size_t)(p - s) + 1;
            q = RD_Q_NONE;
            break;
        case RD_Q_COMMENT:
            p = memchr(s + i, '*', len - i);
            if (p == NULL) {
                return q;
            }
            i = (size_t)(p - s) + 1;
            if (i < len && s[i] == '/') {
                q = RD_Q_NONE;
                i++;
            }
            break;
        }
    }
    return q;
}

static void entry_begin(struct n1_reader *r, const struct n1_line *ln)
{
    rd_begin(r, ln);
    /* The slow log names no command; an entry is a query unless it turns
       out to be "# administrator command:". */
    rd_set_str(r, &rd_cur(r)->command, "Query", 5);
    r->sle = (struct rd_slow_entry){
        .quote = RD_Q_NONE, .start = N1_TS_NONE, .set = -1};
}

/* Character classes of "Name: value" lines. */
#define PC_SPACE 1u /* separates tokens */
#define PC_NAME  2u /* may appear in a name: A-Z a-z 0-9 _ @ */
#define PC_ALPHA 4u /* may start a name */

static const unsigned char pair_class[256] = {
    [' '] = PC_SPACE, ['\t'] = PC_SPACE, ['_'] = PC_NAME, ['@'] = PC_NAME,
    ['0'] = PC_NAME,  ['1'] = PC_NAME,   ['2'] = PC_NAME, ['3'] = PC_NAME,
    ['4'] = PC_NAME,  ['5'] = PC_NAME,   ['6'] = PC_NAME, ['7'] = PC_NAME,
    ['8'] = PC_NAME,  ['9'] = PC_NAME,
#define PC_L(c) [c] = PC_NAME | PC_ALPHA
    PC_L('A'),        PC_L('B'),         PC_L('C'),       PC_L('D'),
    PC_L('E'),        PC_L('F'),         PC_L('G'),       PC_L('H'),
    PC_L('I'),        PC_L('J'),         PC_L('K'),       PC_L('L'),
    PC_L('M'),        PC_L('N'),         PC_L('O'),       PC_L('P'),
    PC_L('Q'),        PC_L('R'),         PC_L('S'),       PC_L('T'),
    PC_L('U'),        PC_L('V'),         PC_L('W'),       PC_L('X'),
    PC_L('Y'),        PC_L('Z'),         PC_L('a'),       PC_L('b'),
    PC_L('c'),        PC_L('d'),         PC_L('e'),       PC_L('f'),
    PC_L('g'),        PC_L('h'),         PC_L('i'),       PC_L('j'),
    PC_L('k'),        PC_L('l'),         PC_L('m'),       PC_L('n'),
    PC_L('o'),        PC_L('p'),         PC_L('q'),       PC_L('r'),
    PC_L('s'),        PC_L('t'),         PC_L('u'),       PC_L('v'),
    PC_L('w'),        PC_L('x'),         PC_L('y'),       PC_L('z'),
#undef PC_L
};

static int is_space(char c)
{
    return (pair_class[(unsigned char)c] & PC_SPACE) != 0;
}

/* 1 when t[0..n) is a name token: a letter, then letters, digits, _ or
   @, then ':'. */
static int is_name_token(const char *t, size_t n)
{
    if (n < 2 || t[n - 1] != ':' ||
        !(pair_class[(unsigned char)t[0]] & PC_ALPHA)) {
        return 0;
    }
    for (size_t i = 1; i + 1 < n; i++) {
        if (!(pair_class[(unsigned char)t[i]] & PC_NAME)) {
            return 0;
        }
    }
    return 1;
}

/* Upgrades the variant guessed at detection when a telltale field shows
   up later; MariaDB is never downgraded (it shares some Percona names). */
static void refine_flavour(struct n1_reader *r, const char *name, size_t n)
{
    static const char *const percona[] = {
        "Last_errno",         "QC_Hit",        "InnoDB_IO_r_ops",
        "Log_slow_rate_type", "InnoDB_trx_id", "InnoDB_pages_distinct"};

    if (r->flavour == N1_FLAVOUR_SLOW_PERCONA ||
        r->flavour == N1_FLAVOUR_SLOW_MARIADB) {
        return;
    }
    if (n == 6 && memcmp(name, "QC_hit", 6) == 0) {
        r->flavour = N1_FLAVOUR_SLOW_MARIADB;
        return;
    }
    for (size_t i = 0; i < sizeof(percona) / sizeof(percona[0]); i++) {
        if (strlen(percona[i]) == n && memcmp(percona[i], name, n) == 0) {
            r->flavour = N1_FLAVOUR_SLOW_PERCONA;
            return;
        }
    }
}

static uint64_t parse_u64(const char *s, size_t n)
{
    uint64_t v = 0;

    for (size_t i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    return v;
}

/* One "Name: value" pair: attrs, plus the fields some names feed. */
static void take_pair(struct n1_reader *r, const char *name, size_t nl,
                      const char *val, size_t vl)
{
    struct rd_evbuf *e = rd_cur(r);

    rd_add_attr(r, name, nl, val, vl);
    refine_flavour(r, name, nl);
    if ((nl == 9 && memcmp(name, "Thread_id", 9) == 0) ||
        (nl == 2 && memcmp(name, "Id", 2) == 0)) {
        e->ev.conn_id = parse_u64(val, vl);
    } else if (nl == 4 && memcmp(name, "User", 4) == 0) {
        rd_set_str(r, &e->user, val, vl); /* "# User: name  Host: h" */
    } else if (nl == 4 && memcmp(name, "Host", 4) == 0) {
        rd_set_str(r, &e->host, val, vl);
    } else if (nl == 6 && memcmp(name, "Schema", 6) == 0) {
        rd_set_str(r, &e->db, val, vl);
        r->sle.schema = 1;
    } else if (nl == 5 && memcmp(name, "Start", 5) == 0) {
        int64_t us;

        if (n1_ts_parse_iso(val, vl, N1_TS_ISO_STRICT, &us) == vl) {
            r->sle.start = us;
            r->sle.start_fine = memchr(val, '.', vl) != NULL;
        }
    }
}

/* Splits "Name: value  Name: value ..." from s into pairs. */
static void parse_pairs(struct n1_reader *r, const char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        size_t ns, ne, vs, ve;

        while (i < len && is_space(s[i])) {
            i++;
        }
        ns = i;
        /* A name token is the whole run of non-blanks: name characters,
           then ':' before a blank or the end. */
        while (i < len && (pair_class[(unsigned char)s[i]] & PC_NAME)) {
            i++;
        }
        if (!(i > ns && i < len && s[i] == ':' &&
              (i + 1 == len || is_space(s[i + 1])) &&
              (pair_class[(unsigned char)s[ns]] & PC_ALPHA))) {
            while (i < len && !is_space(s[i])) {
                i++;
            }
            continue; /* free text (e.g. "No InnoDB statistics ...") */
        }
        i++;
        ne = i;
        while (i < len && is_space(s[i])) {
            i++;
        }
        vs = i;
        while (i < len && !is_space(s[i])) {
            i++;
        }
        ve = i;
        if (is_name_token(s + vs, ve - vs)) {
            /* An empty value ("Schema:  QC_hit: No"): rescan the name. */
            i = vs;
            ve = vs;
        }
        take_pair(r, s + ns, ne - ns - 1, s + vs, ve - vs);
    }
}

void n1_user_host_parse(const char *s, size_t len, struct n1_user_host *uh)
{
    const char *end = s + len;
    const char *p = s;
    const char *priv = s, *priv_end;
    const char *user = NULL, *user_end = NULL;
    const char *host, *host_end, *ip = NULL, *ip_end = NULL;

    while (p < end && *p != '[' && *p != ' ') {
        p++;
    }
    priv_end = p;
    if (p < end && *p == '[') {
        user = p + 1;
        user_end = memchr(user, ']', (size_t)(end - user));
        if (user_end == NULL) {
            /* "priv[user" cut short: keep what is there, stop at the end
             * (fixtures/crash/reader/user-host-open-bracket). */
            user_end = end;
            p = end;
        } else {
            p = user_end + 1;
        }
    }
    while (p < end && *p == ' ') {
        p++;
    }
    if (p < end && *p == '@') {
        p++;
    }
    while (p < end && *p == ' ') {
        p++;
    }
    host = p;
    while (p < end && *p != ' ' && *p != '[') {
        p++;
    }
    host_end = p;
    while (p < end && *p == ' ') {
        p++;
    }
    if (p < end && *p == '[') {
        ip = p + 1;
        ip_end = memchr(ip, ']', (size_t)(end - ip));
        if (ip_end == NULL) {
            ip_end = ip;
            p = end;
        } else {
            p = ip_end + 1;
        }
    }
    memset(uh, 0, sizeof(*uh));
    if (user != NULL && user_end > user) {
        uh->user = user;
        uh->user_len = (size_t)(user_end - user);
    } else {
        uh->user = priv;
        uh->user_len = (size_t)(priv_end - priv);
    }
    if (host_end > host) {
        uh->host = host;
        uh->host_len = (size_t)(host_end - host);
    } else if (ip != NULL) {
        uh->host = ip;
        uh->host_len = (size_t)(ip_end - ip);
    }
    uh->end = (size_t)(p - s);
}

/* "# User@Host: priv[user] @ host [ip]  Id: N" */
static void parse_user_host(struct n1_reader *r, const char *s, size_t len)
{
    struct rd_evbuf *e = rd_cur(r);
    struct n1_user_host uh;

    n1_user_host_parse(s, len, &uh);
    rd_add_attr(r, "User@Host", 9, s, uh.end);
    rd_set_str(r, &e->user, uh.user, uh.user_len);
    if (uh.host_len > 0) {
        rd_set_str(r, &e->host, uh.host, uh.host_len);
    }
    parse_pairs(r, s + uh.end, len - uh.end);
}

static void parse_time(struct n1_reader *r, const char *v, size_t len)
{
    int64_t us;
    size_t n;
    int zoned = 0;

    while (len > 0 && is_space(v[len - 1])) {
        len--;
    }
    rd_add_attr(r, "Time", 4, v, len);
    n = n1_ts_parse_iso_zone(v, len, N1_TS_ISO_STRICT, &us, &zoned);
    if (n == 0) {
        n = n1_ts_parse_yymmdd(v, len, 0, &us);
    } else if (r->flavour == N1_FLAVOUR_SLOW_LEGACY) {
        r->flavour = N1_FLAVOUR_SLOW_MYSQL;
    }
    if (n != 0) {
        r->sl_time_local = !zoned;
        r->sl_time_wall = us;
        r->sl_time = zoned ? us : rd_local_to_utc(r, us);
        r->sl_time_fine = memchr(v, '.', n) != NULL;
        r->sle.time_exact = 1;
    }
}

/* Quarter hours: the steps every UTC offset in use is made of. */
#define QUARTER_HOUR_US (INT64_C(900) * 1000000)

/*
 * With no zone given, an entry whose own local "# Time:" (written as the
 * statement ended) stands beside its "SET timestamp=" epoch (the start,
 * UTC) shows the server's offset: the wall clock minus Query_time minus
 * the epoch, rounded to the quarter hour when it is within 5 s of one.
 * From then on the reader's local stamps are read with that offset.
 */
static void detect_offset(struct n1_reader *r, const struct rd_evbuf *e)
{
    int64_t diff;
    int64_t q;
    double qt;

    if (r->tz_detected || r->tz.kind != N1_TZ_NONE || r->sle.set < 0 ||
        !r->sle.time_exact || !r->sl_time_local ||
        !(e->ev.metric_mask & (1u << N1_M_QUERY_TIME))) {
        return;
    }
    qt = e->ev.metric[N1_M_QUERY_TIME];
    if (!(qt >= 0 && qt < 1e6)) {
        return;
    }
    diff = r->sl_time_wall - (int64_t)(qt * 1e6 + 0.5) - r->sle.set * 1000000;
    q = (diff >= 0 ? diff + QUARTER_HOUR_US / 2 : diff - QUARTER_HOUR_US / 2) /
        QUARTER_HOUR_US;
    if (q < -14 * 4 || q > 14 * 4 ||
        llabs(diff - q * QUARTER_HOUR_US) > INT64_C(5000000)) {
        return;
    }
    n1_tz_init(&r->tz, N1_TZ_OFFSET, (long)(q * 900));
    r->tz_detected = 1;
    r->sl_time = rd_local_to_utc(r, r->sl_time_wall);
}

/* The entry's time: see the file comment. */
static void entry_time(struct n1_reader *r, struct rd_evbuf *e)
{
    detect_offset(r, e);
    if (r->sle.start != N1_TS_NONE) {
        e->ev.ts_us = r->sle.start;
        e->ev.flags |= N1_EV_TS_EXACT;
        if (r->sle.start_fine) {
            e->ev.flags |= N1_EV_TS_FINE;
        }
    } else if (r->sle.set >= 0) {
        e->ev.ts_us = r->sle.set * 1000000;
        e->ev.flags |= N1_EV_TS_EXACT;
        if (r->sle.time_exact &&
            (e->ev.metric_mask & (1u << N1_M_QUERY_TIME))) {
            double qt = e->ev.metric[N1_M_QUERY_TIME];

            /* Convert only a sane Query_time: a huge or NaN one would be
               undefined behaviour as an integer. */
            if (qt >= 0 && qt < 1e9) {
                int64_t start = r->sl_time - (int64_t)(qt * 1e6 + 0.5);

                if (start >= e->ev.ts_us && start < e->ev.ts_us + 1000000) {
                    e->ev.ts_us = start;
                    if (r->sl_time_fine) {
                        e->ev.flags |= N1_EV_TS_FINE;
                    }
                }
            }
        }
    } else if (r->sl_time != N1_TS_NONE) {
        e->ev.ts_us = r->sl_time;
        r->tz_local += r->sl_time_local;
        if (r->sl_time_fine) {
            e->ev.flags |= N1_EV_TS_FINE;
        }
        if (r->sle.time_exact) {
            e->ev.flags |= N1_EV_TS_EXACT;
        }
    }
}

/* 9999-12-31T23:59:59Z, the last second a log can name. */
#define MAX_UNIX_S INT64_C(253402300799)

/* The session attributes the server writes on one "SET a=N,b=N;" line
   before the statement it logs (last_insert_id when the statement used
   LAST_INSERT_ID(), insert_id when it generated an auto-increment value,
   then timestamp): state for replaying it, never part of the
   statement. */
static const char *const session_names[] = {"last_insert_id", "insert_id",
                                            "timestamp"};

#define SESSION_TIMESTAMP 2 /* index of "timestamp" in session_names */

/* One "name=N" of a session SET line, as found by next_session_pair. */
struct session_pair {
    int which;         /* index into session_names */
    const char *value; /* the digits */
    size_t vlen;       /* their length */
    int64_t v;         /* their value */
};

/*
 * Reads the pair at s[*i] of a SET line whose ";" is at s[end]: a known
 * name, "=", 1 to 19 digits, then "," or the ";". Returns 1 with *p set
 * and *i past the separator, or 0 when the text is anything else.
 */
static int next_session_pair(const char *s, size_t end, size_t *i,
                             struct session_pair *p)
{
    size_t at = *i;
    size_t d;

    p->which = -1;
    for (int k = 0; k < 3; k++) {
        size_t n = strlen(session_names[k]);

        if (end - at > n && memcmp(s + at, session_names[k], n) == 0 &&
            s[at + n] == '=') {
            p->which = k;
            at += n + 1;
            break;
        }
    }
    if (p->which < 0) {
        return 0;
    }
    p->value = s + at;
    p->v = 0;
    for (d = 0; at + d < end && s[at + d] >= '0' && s[at + d] <= '9'; d++) {
        if (d == 18) {
            return 0;
        }
        p->v = p->v * 10 + (s[at + d] - '0');
    }
    p->vlen = d;
    at += d;
    if (d == 0 || (at < end && s[at] != ',') || (at < end && at + 1 == end)) {
        return 0;
    }
    *i = at < end ? at + 1 : at;
    return 1;
}

/*
 * A session SET line ("SET insert_id=5,timestamp=1732536000;"): returns
 * 1 and takes its pairs (insert_id and last_insert_id as attrs, timestamp
 * as the entry's SET timestamp), or 0, taking nothing, when s is any
 * other text (then it is the statement).
 */
static int session_set(struct n1_reader *r, const char *s, size_t len)
{
    struct session_pair p;
    size_t i = 4;

    if (!STARTS(s, len, "SET ") || len < 7 || s[len - 1] != ';') {
        return 0;
    }
    while (i < len - 1) {
        /* Past year 9999 it is not a time, and v * 1000000 could
           overflow (fixtures/crash/reader/set-timestamp-huge). */
        if (!next_session_pair(s, len - 1, &i, &p) ||
            (p.which == SESSION_TIMESTAMP && p.v > MAX_UNIX_S)) {
            return 0;
        }
    }
    for (i = 4; i < len - 1;) {
        next_session_pair(s, len - 1, &i, &p);
        if (p.which == SESSION_TIMESTAMP) {
            r->sle.set_ts = 1;
            r->sle.set = p.v;
        } else {
            const char *name = session_names[p.which];

            rd_add_attr(r, name, strlen(name), p.value, p.vlen);
        }
    }
    return 1;
}

/* Drops blank lines and spaces at the end of the statement: a blank
   line after the final ";" (at the end of a file, or before the next
   entry) is no part of it. */
static void trim_blank_tail(struct n1_strbuf *sql)
{
    while (sql->len > 0 && (sql->buf[sql->len - 1] == '\n' ||
                            is_space(sql->buf[sql->len - 1]))) {
        sql->buf[--sql->len] = '\0';
    }
}

void rd_slow_end(struct n1_reader *r, int at_end)
{
    struct rd_evbuf *e = rd_cur(r);

    if (!r->has_building) {
        return;
    }
    if (!r->sle.stmt && !r->sle.had_use) {
        /* Headers and nothing else: no statement to count. */
        rd_warn(r, RD_W_NOSTMT, e->ev.line,
                "slow-log entry without a statement skipped%s",
                at_end ? " (the input ends inside it)" : "");
        rd_drop(r);
        return;
    }
    if (!r->sle.stmt) {
        /* A lone "use db;": a schema change (COM_INIT_DB), not a
           statement, as "Init DB" is in the general log. */
        rd_set_sql(r, r->sl_db, strlen(r->sl_db));
        rd_set_str(r, &e->command, "Init DB", 7);
        e->ev.cmd = N1_CMD_INIT_DB;
    } else if (!r->sle.admin) {
        trim_blank_tail(&e->sql);
        if (at_end && (r->sle.quote != RD_Q_NONE || e->sql.len == 0 ||
                       e->sql.buf[e->sql.len - 1] != ';')) {
            e->ev.flags |= N1_EV_TRUNCATED;
        }
        /* The server ends every statement with ";": drop that one. */
        if (e->sql.len > 0 && e->sql.buf[e->sql.len - 1] == ';') {
            e->sql.buf[--e->sql.len] = '\0';
        }
    }
    if (!r->sle.schema && r->sl_db[0] != '\0') {
        rd_set_str(r, &e->db, r->sl_db, strlen(r->sl_db));
    }
    entry_time(r, e);
    rd_finish(r, at_end);
}

/* The statement goes on with ln. */
static void stmt_line(struct n1_reader *r, const struct n1_line *ln)
{
    rd_extend(r, ln);
    rd_append_sql(r, ln->text, ln->len, r->sle.stmt);
    r->sle.stmt = 1;
    r->sle.body = 1;
    r->sle.quote = scan_quotes(r->sle.quote, ln->text, ln->len);
}

/* "# administrator command: X": MySQL writes it after "SET timestamp=",
   as the statement. */
static void admin_line(struct n1_reader *r, const struct n1_line *ln)
{
    const char *s = ln->text;
    struct rd_evbuf *e = rd_cur(r);
    size_t end = s[ln->len - 1] == ';' ? ln->len - 1 : ln->len;

    rd_extend(r, ln);
    r->sle.admin = 1;
    r->sle.stmt = 1;
    r->sle.body = 1;
    rd_set_sql(r, s + 2, end - 2);
    rd_set_str(r, &e->command, s + 25, end - 25);
    e->ev.cmd = (end - 25 == 4 && memcmp(s + 25, "Quit", 4) == 0)
                    ? N1_CMD_QUIT
                    : N1_CMD_OTHER;
}

/*
 * A line that starts with "#": an entry's header line, or a comment.
 * Returns 1 when it is a comment line inside the statement (the caller
 * appends it), else 0 (taken, or skipped as garbage).
 */
static int hash_line(struct n1_reader *r, const struct n1_line *ln)
{
    const char *s = ln->text;
    size_t len = ln->len;
    int building = r->has_building;
    int kind = user_line(s, len);

    if (STARTS(s, len, "# Time: ")) {
        rd_slow_end(r, 0);
        entry_begin(r, ln);
        parse_time(r, s + 8, len - 8);
    } else if (kind != 0) {
        if (!building || r->sle.body || r->sle.userhost) {
            rd_slow_end(r, 0);
            entry_begin(r, ln);
        } else {
            rd_extend(r, ln);
        }
        r->sle.userhost = 1;
        if (kind == 1) {
            size_t at = 12;

            while (at < len && is_space(s[at])) {
                at++;
            }
            parse_user_host(r, s + at, len - at);
        } else {
            parse_pairs(r, s + 1, len - 1);
        }
    } else if (STARTS(s, len, "# Query_time: ") && (!building || r->sle.body)) {
        rd_slow_end(r, 0);
        entry_begin(r, ln);
        parse_pairs(r, s + 1, len - 1);
    } else if (building && !r->sle.stmt &&
               STARTS(s, len, "# administrator command: ")) {
        admin_line(r, ln);
    } else if (building && !r->sle.body) {
        rd_extend(r, ln);
        if (!STARTS(s, len, "# explain:") && !STARTS(s, len, "##")) {
            parse_pairs(r, s + 1, len - 1);
        }
    } else if (building) {
        return 1;
    } else {
        rd_skip_line(r, ln, "garbage line skipped");
    }
    return 0;
}

/*
 * "use db;" or a session SET line between the header lines and the
 * statement. Returns 1 when ln was one of them (and was taken), else 0.
 */
static int preamble_line(struct n1_reader *r, const struct n1_line *ln)
{
    const char *s = ln->text;
    size_t len = ln->len;

    if (STARTS(s, len, "use ") && s[len - 1] == ';' && len < 260) {
        const char *db = s + 4;
        size_t dl = len - 5;

        rd_extend(r, ln);
        r->sle.body = 1;
        r->sle.had_use = 1;
        memcpy(r->sl_use, s, len - 1);
        r->sl_use[len - 1] = '\0';
        if (dl >= 2 && db[0] == '`' && db[dl - 1] == '`') {
            db++;
            dl -= 2;
        }
        memcpy(r->sl_db, db, dl);
        r->sl_db[dl] = '\0';
        return 1;
    }
    if (session_set(r, s, len)) {
        rd_extend(r, ln);
        r->sle.body = 1;
        return 1;
    }
    return 0;
}

int rd_slow_line(struct n1_reader *r, const struct n1_line *ln)
{
    const char *s = ln->text;
    size_t len = ln->len;

    if (r->has_building && r->sle.stmt && r->sle.quote != RD_Q_NONE) {
        stmt_line(r, ln); /* inside a literal or comment: never a header */
        return 0;
    }
    if (len >= 1 && s[0] == '#') {
        if (hash_line(r, ln)) {
            stmt_line(r, ln);
        }
        return 0;
    }
    r->banner = rd_banner_step(r->banner, s, len);
    if (r->banner == RD_BANNER_START) {
        rd_slow_end(r, 0);
        if (r->flavour != N1_FLAVOUR_SLOW_PERCONA &&
            strstr(s, "MariaDB") != NULL) {
            r->flavour = N1_FLAVOUR_SLOW_MARIADB;
        }
        return 0;
    }
    if (r->banner != RD_BANNER_NONE) {
        return 0; /* the rest of a banner, even inside an entry */
    }
    if (!r->has_building) {
        rd_skip_line(r, ln, "garbage line skipped");
        return 0;
    }
    if (!r->sle.stmt && !r->sle.set_ts && preamble_line(r, ln)) {
        return 0;
    }
    if (!r->sle.stmt && len == 0) {
        rd_extend(r, ln); /* a blank line before the statement */
        return 0;
    }
    stmt_line(r, ln);
    return 0;
}
