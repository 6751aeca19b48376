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
 *
 * Most of a slow log's bytes are header lines, so they are read in one
 * pass with no bound checks (every line has a NUL after it): the names
 * a server writes on every entry are told by a word compare or two, and
 * a metric's value is parsed as its end is found, with an exact decimal
 * reading (scan_decimal) that gives the double strtod() would.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "read/reader_int.h"

static int starts(const char *s, size_t len, const char *p, size_t plen)
{
    return len >= plen && memcmp(s, p, plen) == 0;
}

#define STARTS(s, len, lit) starts((s), (len), (lit), sizeof(lit) - 1)

/* What a "# " line is, as far as starting an entry goes. */
enum hash_kind {
    HK_OTHER = 0, /* pairs, "# explain:", a comment, ... */
    HK_TIME,      /* "# Time: " */
    HK_USERHOST,  /* "# User@Host: priv[user] @ host [ip]" (some servers
                     write no space after the colon) */
    HK_USER,      /* the older "# User: name  Host: host" pairs */
    HK_QUERY,     /* "# Query_time: " */
    HK_ADMIN      /* "# administrator command: " */
};

/* The kind of the line s (len bytes): the prefixes differ at s[2], so
   one switch and one compare tell. */
static enum hash_kind hash_kind(const char *s, size_t len)
{
    if (len < 3 || s[0] != '#' || s[1] != ' ') {
        return HK_OTHER;
    }
    switch (s[2]) {
    case 'T':
        return STARTS(s, len, "# Time: ") ? HK_TIME : HK_OTHER;
    case 'U':
        if (STARTS(s, len, "# User@Host:")) {
            return HK_USERHOST;
        }
        return STARTS(s, len, "# User: ") ? HK_USER : HK_OTHER;
    case 'Q':
        return STARTS(s, len, "# Query_time: ") ? HK_QUERY : HK_OTHER;
    case 'a':
        return STARTS(s, len, "# administrator command: ") ? HK_ADMIN
                                                           : HK_OTHER;
    default:
        return HK_OTHER;
    }
}

int rd_slow_is_header(const char *s, size_t len)
{
    enum hash_kind k = hash_kind(s, len);

    return k != HK_OTHER && k != HK_ADMIN;
}

/* Bytes that can change the quote state outside quotes and comments,
   and the NUL that ends every line (n1_line). */
static const unsigned char quote_special[256] = {
    ['\''] = 1, ['"'] = 1, ['`'] = 1,  ['#'] = 1,
    ['-'] = 1,  ['/'] = 1, ['\0'] = 1,
};

/* The first byte at or after s[i] that quote_special names; the line's
   NUL stops the scan, so no byte is read past it. */
static size_t next_special(const char *s, size_t i)
{
    for (;;) {
        if (quote_special[(unsigned char)s[i]]) {
            return i;
        }
        if (quote_special[(unsigned char)s[i + 1]]) {
            return i + 1;
        }
        if (quote_special[(unsigned char)s[i + 2]]) {
            return i + 2;
        }
        if (quote_special[(unsigned char)s[i + 3]]) {
            return i + 3;
        }
        i += 4;
    }
}

/*
 * Scans one statement line (len bytes, a NUL after them) and returns the
 * quote state after it. Each state skips to the next byte that can end
 * it (a table outside quotes, memchr() in backticks and comments), as
 * statements are mostly plain text between a few quotes. A NUL byte
 * inside the line is text like any other.
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
            i = next_special(s, i);
            if (i >= len) {
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
            while (s[i] != qc && s[i] != '\\' && s[i] != '\0') {
                i++;
            }
            if (s[i] == '\0') {
                i++; /* the end, or a NUL byte inside the string */
            } else if (s[i] == '\\') {
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
    rd_set_command(r, "Query", 5);
    r->sle = (struct rd_slow_entry){
        .quote = RD_Q_NONE, .start = N1_TS_NONE, .set = -1};
}

/* Character classes of "Name: value" lines. */
#define PC_SPACE 1u /* separates tokens */
#define PC_NAME  2u /* may appear in a name: A-Z a-z 0-9 _ @ */
#define PC_ALPHA 4u /* may start a name */
#define PC_NUL   8u /* ends the line (n1_line), or is a byte inside it */

static const unsigned char pair_class[256] = {
    [' '] = PC_SPACE, ['\t'] = PC_SPACE, ['_'] = PC_NAME, ['@'] = PC_NAME,
    ['\0'] = PC_NUL,  ['0'] = PC_NAME,   ['1'] = PC_NAME, ['2'] = PC_NAME,
    ['3'] = PC_NAME,  ['4'] = PC_NAME,   ['5'] = PC_NAME, ['6'] = PC_NAME,
    ['7'] = PC_NAME,  ['8'] = PC_NAME,   ['9'] = PC_NAME,
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

/* What a pair's name feeds besides attrs: one of the six metrics (its
   enum n1_metric value) or an event field. */
enum pair_role {
    PR_NONE = -1,         /* nothing */
    PR_CONN = N1_M_COUNT, /* conn_id: Thread_id (MariaDB), Id (MySQL) */
    PR_USER,              /* "# User: name" */
    PR_HOST,              /* "Host: h" after it */
    PR_SCHEMA,            /* the schema */
    PR_START,             /* log_slow_extra's start time */
    PR_UNKNOWN            /* not looked up yet */
};

/* The names whose pairs feed more than attrs, and the others a MariaDB
   or MySQL server writes on every entry, with the ":" after them (3 to
   16 bytes) and their roles, in the order a server writes them. */
static const struct known_name {
    char text[16];     /* the name and ":" */
    unsigned char len; /* bytes in text */
    signed char role;  /* enum pair_role */
} known_names[] = {
    {"Thread_id:", 10, PR_CONN},
    {"Schema:", 7, PR_SCHEMA},
    {"QC_hit:", 7, PR_NONE},
    {"Query_time:", 11, N1_M_QUERY_TIME},
    {"Lock_time:", 10, N1_M_LOCK_TIME},
    {"Rows_sent:", 10, N1_M_ROWS_SENT},
    {"Rows_examined:", 14, N1_M_ROWS_EXAMINED},
    {"Rows_affected:", 14, N1_M_ROWS_AFFECTED},
    {"Bytes_sent:", 11, N1_M_BYTES_SENT},
    {"Id:", 3, PR_CONN},
    {"User:", 5, PR_USER},
    {"Host:", 5, PR_HOST},
    {"Start:", 6, PR_START},
};

#define N_KNOWN (sizeof(known_names) / sizeof(known_names[0]))

/* 1 + the index of the first known name with a given first letter, 0
   for none; known_name() goes on while the next has the same letter.
   Only a shortcut for the scan: a missing or wrong entry (Start: is
   not next to Schema:) costs a name its fast path, never changes what
   is read. */
static const unsigned char known_first[256] = {
    ['T'] = 1, ['S'] = 2,  ['Q'] = 3,  ['L'] = 5,  ['R'] = 6,
    ['B'] = 9, ['I'] = 10, ['U'] = 11, ['H'] = 12,
};

/* The role of a pair's name (nlen bytes) the scan found: see enum
   pair_role. */
static int role_of(const char *name, size_t nlen)
{
    for (size_t k = 0; k < N_KNOWN; k++) {
        if (known_names[k].len == nlen + 1 &&
            known_names[k].text[0] == name[0] &&
            memcmp(known_names[k].text, name, nlen) == 0) {
            return known_names[k].role;
        }
    }
    return PR_NONE;
}

/* Whether known name k starts the left bytes at p: two word compares
   that between them cover its bytes (they overlap when it is short). */
static int known_at(const char *p, size_t left, const struct known_name *k)
{
    size_t n = k->len;

    if (left < n) {
        return 0;
    }
    if (n >= 8) {
        uint64_t a, b, c, d;

        memcpy(&a, p, 8);
        memcpy(&b, k->text, 8);
        memcpy(&c, p + n - 8, 8);
        memcpy(&d, k->text + n - 8, 8);
        return a == b && c == d;
    }
    if (n >= 4) {
        uint32_t a, b, c, d;

        memcpy(&a, p, 4);
        memcpy(&b, k->text, 4);
        memcpy(&c, p + n - 4, 4);
        memcpy(&d, k->text + n - 4, 4);
        return a == b && c == d;
    }
    return memcmp(p, k->text, n) == 0;
}

/* The known name at p (left bytes) among those with its first letter,
   or N_KNOWN for none. */
static size_t known_by_letter(const char *p, size_t left)
{
    unsigned char c = (unsigned char)p[0];

    for (size_t k = known_first[c]; k > 0 && k <= N_KNOWN; k++) {
        if ((unsigned char)known_names[k - 1].text[0] != c) {
            break;
        }
        if (known_at(p, left, &known_names[k - 1])) {
            return k - 1;
        }
    }
    return N_KNOWN;
}

/*
 * Tries the known names at s[i] (len - i bytes left) before scanning a
 * name byte by byte: first the one after the last found (*next, moved
 * on), then those with the same first letter. Returns the offset of the
 * ":" with *role set, or 0 when none starts there. The ":" ends a name
 * run, so a match is exactly the name token the scan would have found.
 */
static size_t known_name(const char *s, size_t i, size_t len, int *role,
                         size_t *next)
{
    size_t k = *next;

    if (k >= N_KNOWN || !known_at(s + i, len - i, &known_names[k])) {
        k = known_by_letter(s + i, len - i);
        if (k == N_KNOWN) {
            return 0;
        }
    }
    *next = k + 1;
    *role = known_names[k].role;
    return i + known_names[k].len - 1;
}

/*
 * The common case of slow-log values, "-?D*[.D*]" with at least one and
 * at most 15 digits in all ("0.000123", "42"), without strtod(): the
 * digits form an integer below 2^53 and the fraction a power of ten up to
 * 10^15, both exact doubles, so one division gives the correctly rounded
 * value, which is what strtod() returns. Reads that form from p on (not
 * past end) and returns how many bytes it took, with *out set; 0 when
 * there is no such number there (exponents, hex, longer numbers are for
 * strtod()). The caller checks that the number is the whole value.
 */
static inline size_t scan_decimal(const char *p0, const char *end, double *out)
{
    static const double pow10[16] = {
        1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
        1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    };
    const char *p = p0;
    const char *d;
    uint64_t m = 0;
    size_t digits;
    size_t frac = 0;
    int neg = p < end && *p == '-';
    double v;

    p += neg;
    d = p;
    /* More than 15 digits are refused below; the sum may wrap before
       that, harmlessly (unsigned). */
    while (p < end && (unsigned)(*p - '0') < 10u) {
        m = m * 10 + (uint64_t)(*p - '0');
        p++;
    }
    digits = (size_t)(p - d);
    if (p < end && *p == '.') {
        p++;
        d = p;
        while (p < end && (unsigned)(*p - '0') < 10u) {
            m = m * 10 + (uint64_t)(*p - '0');
            p++;
        }
        frac = (size_t)(p - d);
    }
    digits += frac;
    if (digits == 0 || digits > 15) {
        return 0;
    }
    v = (double)m / pow10[frac];
    *out = neg ? -v : v;
    return (size_t)(p - p0);
}

/* scan_decimal() over all the len bytes at s: 1 with *out set, else 0. */
static int parse_plain_decimal(const char *s, size_t len, double *out)
{
    double v;

    if (scan_decimal(s, s + len, &v) != len) {
        return 0;
    }
    *out = v;
    return 1;
}

#define NUM_MAX 64 /* values this long or longer are not numbers */

/* strtod() over the whole of value (shorter than NUM_MAX): 1 and *out
   set when it reads it all to a number within N1_NUM_MAX. Kept out of
   line, so that its buffer and call do not weigh on the frame of the
   common case. */
static __attribute__((noinline)) int parse_strtod(const char *value,
                                                  size_t vlen, double *out)
{
    char num[NUM_MAX];
    char *endp;

    memcpy(num, value, vlen);
    num[vlen] = '\0';
    *out = strtod(num, &endp);
    /* The comparison is false for NaN too. */
    return *endp == '\0' && fabs(*out) <= N1_NUM_MAX;
}

/* An attr value as a number: 1 and *out set, or 0 when it is not one. */
static int parse_number(const char *value, size_t vlen, double *out)
{
    if (vlen == 0 || vlen >= NUM_MAX ||
        !((value[0] >= '0' && value[0] <= '9') || value[0] == '-' ||
          value[0] == '.')) {
        return 0;
    }
    if (parse_plain_decimal(value, vlen, out)) {
        return 1;
    }
    return parse_strtod(value, vlen, out);
}

/* Keeps a Name: value attribute in the building event (up to
   RD_MAX_ATTRS, while the arena has room), and sets the metric it names
   when its value is a number. */
static __attribute__((noinline)) void keep_attr(struct n1_reader *r,
                                                const char *name, size_t nlen,
                                                const char *value, size_t vlen,
                                                int role)
{
    struct rd_evbuf *e = rd_cur(r);
    size_t i = e->ev.n_attrs;
    size_t noff = RD_NOSTR;
    size_t voff = RD_NOSTR;
    double v = 0.0;
    int is_num;

    if (i >= RD_MAX_ATTRS) {
        return;
    }
    rd_set_str(r, &noff, name, nlen);
    rd_set_str(r, &voff, value, vlen);
    if (noff == RD_NOSTR || voff == RD_NOSTR) {
        return;
    }
    is_num = parse_number(value, vlen, &v);
    e->attr_name[i] = noff;
    e->attr_value[i] = voff;
    e->attrs[i].num = is_num ? v : 0.0;
    e->attrs[i].is_num = is_num;
    e->ev.n_attrs = i + 1;
    if (is_num && role >= 0 && role < N1_M_COUNT) {
        e->ev.metric[role] = v;
        e->ev.metric_mask |= 1u << role;
    }
}

/* Adds a Name: value attribute (keep_attr), or with opts.no_attrs only
   counts it, capped as attrs are, and sets the metric it names. role:
   what the name is (role_of()). */
static inline void add_attr(struct n1_reader *r, const char *name, size_t nlen,
                            const char *value, size_t vlen, int role)
{
    struct rd_evbuf *e = rd_cur(r);
    double v;

    if (!r->opts.no_attrs) {
        keep_attr(r, name, nlen, value, vlen, role);
        return;
    }
    /* Pairs past the cap are dropped with their metrics, as keep_attr()
       drops them; only a metric's value is read. */
    if (e->n_pairs >= RD_MAX_ATTRS) {
        return;
    }
    e->n_pairs++;
    if (role >= 0 && role < N1_M_COUNT && parse_number(value, vlen, &v)) {
        e->ev.metric[role] = v;
        e->ev.metric_mask |= 1u << role;
    }
}

/* One "Name: value" pair: attrs, plus the fields some names feed;
   role: what the name is (role_of()). */
static void take_pair(struct n1_reader *r, const char *name, size_t nl,
                      const char *val, size_t vl, int role)
{
    struct rd_evbuf *e = rd_cur(r);

    add_attr(r, name, nl, val, vl, role);
    refine_flavour(r, name, nl);
    switch (role) {
    case PR_CONN:
        e->ev.conn_id = parse_u64(val, vl);
        break;
    case PR_USER:
        rd_set_str(r, &e->user, val, vl); /* "# User: name  Host: h" */
        break;
    case PR_HOST:
        rd_set_str(r, &e->host, val, vl);
        break;
    case PR_SCHEMA:
        rd_set_str(r, &e->db, val, vl);
        r->sle.schema = 1;
        break;
    case PR_START: {
        int64_t us;

        if (n1_ts_parse_iso(val, vl, N1_TS_ISO_STRICT, &us) == vl) {
            r->sle.start = us;
            r->sle.start_fine = memchr(val, '.', vl) != NULL;
        }
        break;
    }
    default:
        break;
    }
}

/* The first byte at or after s[i] whose class has no bit of cls; cls
   must not hold PC_NUL, so the line's NUL ends the run. Four bytes a
   turn, each read only after the one before it was in the run. */
static size_t run_of(const char *s, size_t i, unsigned cls)
{
    for (;;) {
        if (!(pair_class[(unsigned char)s[i]] & cls)) {
            return i;
        }
        if (!(pair_class[(unsigned char)s[i + 1]] & cls)) {
            return i + 1;
        }
        if (!(pair_class[(unsigned char)s[i + 2]] & cls)) {
            return i + 2;
        }
        if (!(pair_class[(unsigned char)s[i + 3]] & cls)) {
            return i + 3;
        }
        i += 4;
    }
}

/* The first blank or NUL at or after s[i], as run_of() reads. */
static size_t to_blank(const char *s, size_t i)
{
    const unsigned stop = PC_SPACE | PC_NUL;

    for (;;) {
        if (pair_class[(unsigned char)s[i]] & stop) {
            return i;
        }
        if (pair_class[(unsigned char)s[i + 1]] & stop) {
            return i + 1;
        }
        if (pair_class[(unsigned char)s[i + 2]] & stop) {
            return i + 2;
        }
        if (pair_class[(unsigned char)s[i + 3]] & stop) {
            return i + 3;
        }
        i += 4;
    }
}

/* The end of the token at s[i]: the next blank, or len (s[len] is the
   line's NUL; a NUL before it is part of the token). */
static size_t token_end(const char *s, size_t i, size_t len)
{
    for (;;) {
        i = to_blank(s, i);
        if (i >= len || s[i] != '\0') {
            return i;
        }
        i++;
    }
}

/*
 * With opts.no_attrs, the value of a metric at s[vs] read in the same
 * pass that finds its end: when the whole value is a plain decimal
 * (scan_decimal()), takes the pair as take_pair() would (only the count
 * and the metric: no metric name feeds anything else) and returns 1
 * with *next past it; else 0, for the general way.
 */
static int metric_value(struct n1_reader *r, const char *s, size_t vs,
                        size_t len, int role, size_t *next)
{
    struct rd_evbuf *e = rd_cur(r);
    size_t n;
    double v;

    n = scan_decimal(s + vs, s + len, &v);
    if (n == 0 ||
        (vs + n < len && !(pair_class[(unsigned char)s[vs + n]] & PC_SPACE))) {
        return 0;
    }
    *next = vs + n;
    if (e->n_pairs >= RD_MAX_ATTRS) {
        return 1;
    }
    e->n_pairs++;
    e->ev.metric[role] = v;
    e->ev.metric_mask |= 1u << role;
    return 1;
}

/* Splits "Name: value  Name: value ..." from s (len bytes, ending where
   the line does) into pairs. */
static void parse_pairs(struct n1_reader *r, const char *s, size_t len)
{
    size_t i = 0;

    for (;;) {
        size_t ns, ne, vs, ve;
        int role;

        /* Runs stop at the line's NUL: no bound check needed. */
        i = run_of(s, i, PC_SPACE);
        if (i >= len) {
            return;
        }
        ns = i;
        /* A name token is the whole run of non-blanks: name characters,
           then ':' before a blank or the end. */
        i = known_name(s, i, len, &role, &r->sle.next_name);
        if (i == 0) {
            i = run_of(s, ns, PC_NAME);
            role = PR_UNKNOWN;
        }
        if (!(s[i] == ':' && i > ns &&
              (pair_class[(unsigned char)s[ns]] & PC_ALPHA) &&
              (i + 1 == len ||
               (pair_class[(unsigned char)s[i + 1]] & PC_SPACE)))) {
            i = token_end(s, i, len);
            continue; /* free text (e.g. "No InnoDB statistics ...") */
        }
        ne = i + 1;
        i = run_of(s, ne, PC_SPACE);
        vs = i;
        if (role >= 0 && role < N1_M_COUNT && r->opts.no_attrs &&
            metric_value(r, s, vs, len, role, &i)) {
            continue;
        }
        ve = i < len ? token_end(s, i, len) : i;
        i = ve;
        if (ve > vs && s[ve - 1] == ':' && is_name_token(s + vs, ve - vs)) {
            /* An empty value ("Schema:  QC_hit: No"): rescan the name. */
            i = vs;
            ve = vs;
        }
        if (role == PR_UNKNOWN) {
            role = role_of(s + ns, ne - ns - 1);
        }
        take_pair(r, s + ns, ne - ns - 1, s + vs, ve - vs, role);
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
    add_attr(r, "User@Host", 9, s, uh.end, PR_NONE);
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
    add_attr(r, "Time", 4, v, len, PR_NONE);
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
static const struct {
    const char *name;
    size_t len;
} session_names[] = {
    {"last_insert_id", 14}, {"insert_id", 9}, {"timestamp", 9}};

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
    const char *q;
    const char *lim;
    uint64_t v = 0;
    int ok;

    /* The names start with different letters: at most one can match.
       Each compare takes in the "=" (end - at > n keeps it before the
       ";"). */
    switch (s[at]) {
    case 'l':
        p->which = 0;
        ok = end - at > 14 && memcmp(s + at, "last_insert_id=", 15) == 0;
        break;
    case 'i':
        p->which = 1;
        ok = end - at > 9 && memcmp(s + at, "insert_id=", 10) == 0;
        break;
    case 't':
        p->which = SESSION_TIMESTAMP;
        ok = end - at > 9 && memcmp(s + at, "timestamp=", 10) == 0;
        break;
    default:
        ok = 0;
        break;
    }
    if (!ok) {
        return 0;
    }
    at += session_names[p->which].len + 1;
    /* Up to 19 digits are read (19 fit in 64 bits unsigned); 19 are
       too many. */
    q = s + at;
    lim = end - at > 19 ? q + 19 : s + end;
    while (q < lim && (unsigned)(*q - '0') < 10u) {
        v = v * 10 + (uint64_t)(*q - '0');
        q++;
    }
    d = (size_t)(q - (s + at));
    if (d == 19) {
        return 0;
    }
    p->value = s + at;
    p->v = (int64_t)v;
    p->vlen = d;
    at += d;
    if (d == 0 || (at < end && s[at] != ',') || (at < end && at + 1 == end)) {
        return 0;
    }
    *i = at < end ? at + 1 : at;
    return 1;
}

#define SESSION_KEEP 4 /* pairs of a SET line kept from its first read */

/* Takes one pair of a good session SET line. */
static void session_take(struct n1_reader *r, const struct session_pair *p)
{
    if (p->which == SESSION_TIMESTAMP) {
        r->sle.set_ts = 1;
        r->sle.set = p->v;
    } else {
        add_attr(r, session_names[p->which].name, session_names[p->which].len,
                 p->value, p->vlen, PR_NONE);
    }
}

/*
 * A session SET line ("SET insert_id=5,timestamp=1732536000;"): returns
 * 1 and takes its pairs (insert_id and last_insert_id as attrs, timestamp
 * as the entry's SET timestamp), or 0, taking nothing, when s is any
 * other text (then it is the statement).
 */
static int session_set(struct n1_reader *r, const char *s, size_t len)
{
    struct session_pair p[SESSION_KEEP];
    size_t n = 0;
    size_t i = 4;

    if (!STARTS(s, len, "SET ") || len < 7 || s[len - 1] != ';') {
        return 0;
    }
    while (i < len - 1) {
        struct session_pair *q = &p[n < SESSION_KEEP ? n : SESSION_KEEP - 1];

        /* Past year 9999 it is not a time, and v * 1000000 could
           overflow (fixtures/crash/reader/set-timestamp-huge). */
        if (!next_session_pair(s, len - 1, &i, q) ||
            (q->which == SESSION_TIMESTAMP && q->v > MAX_UNIX_S)) {
            return 0;
        }
        n++;
    }
    /* The line is good: take its pairs, read again when there were more
       than were kept. */
    if (n <= SESSION_KEEP) {
        for (size_t k = 0; k < n; k++) {
            session_take(r, &p[k]);
        }
        return 1;
    }
    for (i = 4; i < len - 1;) {
        next_session_pair(s, len - 1, &i, &p[0]);
        session_take(r, &p[0]);
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
    enum hash_kind kind = hash_kind(s, len);

    if (kind == HK_TIME) {
        rd_slow_end(r, 0);
        entry_begin(r, ln);
        parse_time(r, s + 8, len - 8);
    } else if (kind == HK_USERHOST || kind == HK_USER) {
        if (!building || r->sle.body || r->sle.userhost) {
            rd_slow_end(r, 0);
            entry_begin(r, ln);
        } else {
            rd_extend(r, ln);
        }
        r->sle.userhost = 1;
        if (kind == HK_USERHOST) {
            size_t at = 12;

            while (at < len && is_space(s[at])) {
                at++;
            }
            parse_user_host(r, s + at, len - at);
        } else {
            parse_pairs(r, s + 1, len - 1);
        }
    } else if (kind == HK_QUERY && (!building || r->sle.body)) {
        rd_slow_end(r, 0);
        entry_begin(r, ln);
        parse_pairs(r, s + 1, len - 1);
    } else if (building && !r->sle.stmt && kind == HK_ADMIN) {
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
