/* SPDX-License-Identifier: MIT */
/*
 * rules.c: reading rule files into thresholds, allow entries, ignore
 * patterns and adviser rules.
 *
 * libinih does the INI syntax; this file does the meaning. inih hands us
 * one key at a time without its line number, so the text goes through our
 * own line reader (ini_parse_stream): it counts lines, refuses lines inih
 * would cut, notes whether a line is indented (inih's continuation lines)
 * and opens sections itself, so that an unknown or duplicate section is an
 * error even when it has no keys. Each value is parsed and checked as it
 * arrives; the first problem stops the file and is reported with its
 * line. A syntax error inih finds (a line that is neither a section nor
 * key = value) is reported at the line inih returns.
 *
 * Settings with one value live in struct n1_thresholds, described by the
 * table `settings` below, with the origin of each. A later file replaces
 * a value; the same key twice in one file is an error, as is one adviser
 * rule defined twice in one file. Allow entries, ignore patterns and new
 * adviser rules accumulate.
 *
 * Patterns are compiled here only to check them (and, for the allow-list,
 * to match with). The detector registry and the adviser compile their
 * own copies from the text, with the same flags, so this module does not
 * hand out PCRE2 objects.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>
#include <pcre2.h>

#include "rules/rules.h"

/* rules/default.rules, NUL-terminated; generated at build time by
   cmake/EmbedFile.cmake. */
extern const char n1_default_rules_text[];

#define MAX_FILE_BYTES (1024 * 1024) /* a rule file is small */
#define MAX_NAME       48            /* adviser rule names */
#define WRAP_COLUMNS   72            /* n1_rules_write() text wrapping */

/* ---- the single-valued settings --------------------------------------- */

enum vtype {
    V_BOOL = 0, /* int: true/false, yes/no, on/off, 1/0 */
    V_UINT,     /* unsigned */
    V_SIZE,     /* size_t */
    V_SEV       /* enum n1_severity */
};

struct setting_def {
    const char *section; /* as written in the header */
    const char *key;     /* as written before '=' */
    enum vtype type;     /* how to parse and where to store */
    size_t off;          /* offset in struct n1_thresholds */
    unsigned long min;   /* smallest accepted number */
};

#define DET(k, f) offsetof(struct n1_thresholds, det[k].f)
#define LIM(f)    offsetof(struct n1_thresholds, f)
#define REQ(f)    offsetof(struct n1_thresholds, req.f)

/* Every detector section opens with enabled and ends with the keys that
   apply after detection; its own thresholds go between the two. A new
   detector's section is DET_HEAD, its rows and DET_TAIL, plus its
   section in rules/default.rules. */
#define DET_HEAD(sec, k)                           \
    {                                              \
        sec, "enabled", V_BOOL, DET(k, enabled), 0 \
    }
#define DET_TAIL(sec, k)                                              \
    {sec, "min_total_time_ms", V_UINT, DET(k, min_total_time_ms), 0}, \
        {sec, "severity", V_SEV, DET(k, severity), 0},                \
    {                                                                 \
        sec, "error_repeats", V_UINT, DET(k, error_repeats), 0        \
    }

/* In the order n1_rules_write() prints them. */
static const struct setting_def settings[] = {
    DET_HEAD("n_plus_one", N1_FIND_N_PLUS_ONE),
    {"n_plus_one", "min_repeats", V_UINT, DET(N1_FIND_N_PLUS_ONE, min_repeats),
     2},
    {"n_plus_one", "min_distinct_keys", V_UINT,
     DET(N1_FIND_N_PLUS_ONE, min_distinct_keys), 1},
    {"n_plus_one", "max_gap_ms", V_UINT, DET(N1_FIND_N_PLUS_ONE, max_gap_ms),
     0},
    {"n_plus_one", "max_gap_statements", V_UINT,
     DET(N1_FIND_N_PLUS_ONE, max_gap_statements), 0},
    {"n_plus_one", "min_batch_items", V_UINT,
     DET(N1_FIND_N_PLUS_ONE, min_batch_items), 2},
    DET_TAIL("n_plus_one", N1_FIND_N_PLUS_ONE),
    DET_HEAD("duplicate", N1_FIND_DUPLICATE),
    {"duplicate", "min_repeats", V_UINT, DET(N1_FIND_DUPLICATE, min_repeats),
     2},
    DET_TAIL("duplicate", N1_FIND_DUPLICATE),
    DET_HEAD("fanout", N1_FIND_FANOUT),
    {"fanout", "window_ms", V_UINT, DET(N1_FIND_FANOUT, window_ms), 1},
    {"fanout", "min_connections", V_UINT, DET(N1_FIND_FANOUT, min_connections),
     2},
    {"fanout", "max_statements", V_UINT, DET(N1_FIND_FANOUT, max_statements),
     1},
    DET_TAIL("fanout", N1_FIND_FANOUT),
    {"requests", "reset_commands", V_BOOL, REQ(reset_commands), 0},
    {"requests", "reset_statements", V_BOOL, REQ(reset_statements), 0},
    {"requests", "preambles", V_BOOL, REQ(preambles), 0},
    {"requests", "traceparent", V_BOOL, REQ(traceparent), 0},
    {"requests", "gap_factor", V_UINT, REQ(gap_factor), 0},
    {"requests", "gap_floor_ms", V_UINT, REQ(gap_floor_ms), 0},
    {"requests", "max_body_fingerprints", V_UINT, REQ(max_body_fingerprints),
     1},
    {"requests", "body_slack", V_UINT, REQ(body_slack), 0},
    {"limits", "idle_ms", V_UINT, LIM(idle_ms), 1},
    {"limits", "max_connections", V_SIZE, LIM(max_connections), 1},
    {"limits", "max_loops_per_conn", V_SIZE, LIM(max_loops_per_conn), 1},
    {"limits", "max_keys", V_SIZE, LIM(max_keys), 1},
    {"limits", "max_distinct", V_SIZE, LIM(max_distinct), 1},
    {"limits", "max_sample_bytes", V_SIZE, LIM(max_sample_bytes), 16},
    {"limits", "max_memory", V_SIZE, LIM(max_memory), 4096},
    {"limits", "max_fanout_groups", V_SIZE, LIM(max_fanout_groups), 1},
    {"limits", "max_fanout_members", V_SIZE, LIM(max_fanout_members), 1},
    {"limits", "shape_cache", V_SIZE, LIM(shape_cache), 1},
    {"limits", "advice_cache", V_SIZE, LIM(advice_cache), 1},
    {"ignore", "default_noise", V_BOOL, LIM(default_noise), 0},
};

#define N_SETTINGS (sizeof(settings) / sizeof(settings[0]))

/* ---- adviser rule fields ---------------------------------------------- */

enum afield {
    AF_ENABLED = 0,
    AF_PATTERN,
    AF_LITERAL,
    AF_MIN_ITEMS,
    AF_MIN_VALUE,
    AF_SEVERITY,
    AF_MESSAGE,
    AF_ADVICE,
    AF_COUNT
};

static const char *const afield_names[AF_COUNT] = {
    "enabled",   "pattern",  "literal_pattern", "min_items",
    "min_value", "severity", "message",         "advice"};

/* Where a value was set, and during which load (to spot duplicates in
   one file). */
struct stamp {
    struct n1_origin at; /* file and line */
    unsigned load;       /* load number, 0 never set */
};

/* A list of PCRE2 patterns that every file adds to, with origins. */
struct plist {
    char **v;             /* the patterns, owned */
    struct n1_origin *at; /* their origins */
    size_t n, cap;
};

/* What the reader keeps about an adviser rule besides its public part;
   parallel to n1_rules.adv. */
struct ameta {
    struct stamp f[AF_COUNT]; /* per field */
    struct stamp header;      /* last [adviser.NAME] line */
};

struct n1_rules {
    struct n1_thresholds th;      /* the values */
    struct stamp set[N_SETTINGS]; /* their origins */
    char **files;                 /* names of loaded files, owned */
    size_t n_files;
    unsigned loads;         /* loads so far */
    struct plist ignore;    /* [ignore] pattern */
    struct plist preamble;  /* [requests] preamble */
    struct n1_allow *allow; /* allow entries (strings owned) */
    pcre2_code **allow_re;  /* compiled statement patterns */
    size_t n_allow, cap_allow;
    struct n1_advice_rule *adv; /* adviser rules (strings owned) */
    struct ameta *adv_meta;     /* and their origins */
    size_t n_adv, cap_adv;
};

/* ---- small helpers ---------------------------------------------------- */

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);

    if (d != NULL) {
        memcpy(d, s, n);
    }
    return d;
}

/* Grows *arr (elements of size sz) to hold one more than n. */
static int grow(void **arr, size_t *cap, size_t n, size_t sz)
{
    size_t nc;
    void *p;

    if (n < *cap) {
        return 0;
    }
    nc = *cap == 0 ? 8 : *cap * 2;
    p = realloc(*arr, nc * sz);
    if (p == NULL) {
        return -1;
    }
    *arr = p;
    *cap = nc;
    return 0;
}

int n1_severity_parse(const char *name, enum n1_severity *s)
{
    if (strcmp(name, "info") == 0) {
        *s = N1_SEV_INFO;
    } else if (strcmp(name, "warning") == 0) {
        *s = N1_SEV_WARNING;
    } else if (strcmp(name, "error") == 0) {
        *s = N1_SEV_ERROR;
    } else {
        return -1;
    }
    return 0;
}

static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};

    for (size_t i = 0; i < 4; i++) {
        if (strcmp(v, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcmp(v, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

/* Decimal digits only (no sign, no spaces), at most max. */
static int parse_number(const char *v, unsigned long long max,
                        unsigned long long *out)
{
    unsigned long long x;
    char *end = NULL;

    if (!isdigit((unsigned char)v[0])) {
        return -1;
    }
    errno = 0;
    x = strtoull(v, &end, 10);
    if (errno != 0 || *end != '\0' || x > max) {
        return -1;
    }
    *out = x;
    return 0;
}

/*
 * Compiles pattern to check it. Returns the code (caller frees with
 * pcre2_code_free()), or NULL with *msg and *offset describing the error.
 */
static pcre2_code *compile(const char *pattern, char *msg, size_t msg_size,
                           size_t *offset)
{
    pcre2_code *re;
    int ec = 0;
    PCRE2_SIZE eo = 0;

    re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &ec, &eo,
                       NULL);
    if (re == NULL) {
        if (pcre2_get_error_message(ec, (PCRE2_UCHAR *)msg, msg_size) < 0) {
            snprintf(msg, msg_size, "error %d", ec);
        }
        *offset = eo;
    }
    return re;
}

/* ---- parsing ---------------------------------------------------------- */

enum section {
    S_NONE = 0, /* before the first header */
    S_SETTINGS, /* a section of the settings table */
    S_IGNORE,   /* [ignore]: default_noise (a setting) and pattern */
    S_ALLOW,    /* [allow] */
    S_ADVISER   /* [adviser.NAME] */
};

struct parse {
    struct n1_rules *r;
    const char *file;             /* owned by r->files */
    const char *text;             /* the file's bytes */
    size_t len, pos;              /* and the reader's place in them */
    unsigned long line;           /* line last handed to inih */
    int indented;                 /* that line starts with a blank */
    int have_key;                 /* a key was seen since the header: inih
                                     then reads indented lines as
                                     continuations */
    enum section sec;             /* current section */
    char sec_name[MAX_NAME + 16]; /* its name, for messages */
    size_t adv;                   /* S_ADVISER: index in r->adv */
    struct n1_error *err;
    int failed; /* err is set: stop */
};

static int fail(struct parse *p, enum n1_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct parse *p, enum n1_errcode code, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    if (p->failed) {
        return 0;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    n1_err_set(p->err, code, p->file, p->line, "%s", msg);
    p->failed = 1;
    return 0;
}

static int nomem(struct parse *p)
{
    return fail(p, N1_ESYS, "out of memory");
}

/* Index of the rule called name, or r->n_adv. */
static size_t find_rule(const struct n1_rules *r, const char *name)
{
    size_t i;

    for (i = 0; i < r->n_adv; i++) {
        if (strcmp(r->adv[i].name, name) == 0) {
            break;
        }
    }
    return i;
}

static int valid_rule_name(const char *s, size_t n)
{
    if (n == 0 || n > MAX_NAME) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
              s[i] == '_')) {
            return 0;
        }
    }
    return 1;
}

/* Opens the section named s[0..n). Returns 1, or 0 on error. */
static int open_section(struct parse *p, const char *s, size_t n)
{
    struct n1_rules *r = p->r;
    struct ameta *m = NULL;
    size_t i;

    p->have_key = 0;
    if (n >= 8 && memcmp(s, "adviser.", 8) == 0) {
        if (!valid_rule_name(s + 8, n - 8)) {
            return fail(p, N1_ERULES,
                        "bad rule name in [%.*s] (1 to %d of a-z, 0-9, _)",
                        (int)(n > 80 ? 80 : n), s, MAX_NAME);
        }
        snprintf(p->sec_name, sizeof(p->sec_name), "%.*s", (int)n, s);
        i = find_rule(r, p->sec_name + 8);
        if (i < r->n_adv && r->adv_meta[i].header.load == r->loads) {
            return fail(p, N1_ERULES,
                        "rule '%s' is already defined at line %lu",
                        r->adv[i].name, r->adv_meta[i].header.at.line);
        }
        if (i == r->n_adv) {
            size_t cap = r->cap_adv;
            char *name = dupstr(p->sec_name + 8);

            if (name == NULL ||
                grow((void **)&r->adv, &cap, r->n_adv, sizeof(*r->adv)) != 0 ||
                grow((void **)&r->adv_meta, &r->cap_adv, r->n_adv,
                     sizeof(*r->adv_meta)) != 0) {
                free(name);
                return nomem(p);
            }
            memset(&r->adv[i], 0, sizeof(r->adv[i]));
            memset(&r->adv_meta[i], 0, sizeof(r->adv_meta[i]));
            r->adv[i].name = name;
            r->adv[i].enabled = 1;
            r->adv[i].severity = N1_SEV_WARNING;
            r->adv[i].origin.file = p->file;
            r->adv[i].origin.line = p->line;
            r->n_adv++;
        }
        m = &r->adv_meta[i];
        m->header.at.file = p->file;
        m->header.at.line = p->line;
        m->header.load = r->loads;
        p->sec = S_ADVISER;
        p->adv = i;
        return 1;
    }
    snprintf(p->sec_name, sizeof(p->sec_name), "%.*s",
             (int)(n > MAX_NAME ? MAX_NAME : n), s);
    if (n == 6 && memcmp(s, "ignore", 6) == 0) {
        p->sec = S_IGNORE;
        return 1;
    }
    if (n == 5 && memcmp(s, "allow", 5) == 0) {
        p->sec = S_ALLOW;
        return 1;
    }
    for (i = 0; i < N_SETTINGS; i++) {
        if (strlen(settings[i].section) == n &&
            memcmp(settings[i].section, s, n) == 0) {
            p->sec = S_SETTINGS;
            return 1;
        }
    }
    return fail(p, N1_ERULES, "unknown section [%.*s]", (int)(n > 80 ? 80 : n),
                s);
}

/*
 * inih's line source: hands out one line of p->text per call. It is also
 * where lines are counted and section headers are opened (see the file
 * comment). Returns NULL at the end or after an error.
 */
static char *read_line(char *buf, int size, void *stream)
{
    struct parse *p = stream;
    const char *s = p->text + p->pos;
    const char *nl = NULL;
    size_t n, body;

    if (p->failed || p->pos >= p->len) {
        return NULL;
    }
    nl = memchr(s, '\n', p->len - p->pos);
    n = nl != NULL ? (size_t)(nl - s) + 1 : p->len - p->pos;
    p->pos += n;
    p->line++;
    body = n;
    while (body > 0 && (s[body - 1] == '\n' || s[body - 1] == '\r')) {
        body--;
    }
    if (memchr(s, '\0', n) != NULL) {
        fail(p, N1_ERULES, "a NUL byte in the line");
        return NULL;
    }
    if (body > N1_RULES_MAX_LINE || n + 1 > (size_t)size) {
        fail(p, N1_ERULES,
             "line longer than %d bytes (continue text on indented lines)",
             N1_RULES_MAX_LINE);
        return NULL;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    p->indented = n > 0 && (s[0] == ' ' || s[0] == '\t');
    if (!(p->indented && p->have_key)) {
        /* A header, the way inih sees one: '[' after blanks, up to the
           first ']'. A malformed one is left to inih's syntax error. */
        const char *b = s;
        const char *e = NULL;

        while (b < s + body && (*b == ' ' || *b == '\t')) {
            b++;
        }
        if (b < s + body && *b == '[') {
            e = memchr(b, ']', (size_t)(s + body - b));
            if (e != NULL && !open_section(p, b + 1, (size_t)(e - b - 1))) {
                return NULL;
            }
        }
    }
    return buf;
}

/* Checks that a stamp was not already set by this file. 1 ok, 0 error. */
static int first_in_file(struct parse *p, const struct stamp *st,
                         const char *key)
{
    if (st->load == p->r->loads) {
        return fail(p, N1_ERULES,
                    "duplicate key '%s' in [%s] (first at line %lu)", key,
                    p->sec_name, st->at.line);
    }
    return 1;
}

static void stamp_here(struct parse *p, struct stamp *st)
{
    st->at.file = p->file;
    st->at.line = p->line;
    st->load = p->r->loads;
}

static int check_pattern(struct parse *p, const char *key, const char *v)
{
    char msg[128];
    size_t off = 0;
    pcre2_code *re = compile(v, msg, sizeof(msg), &off);

    if (re == NULL) {
        return fail(p, N1_ERULES,
                    "bad pattern for '%s' in [%s] at offset %zu: %s", key,
                    p->sec_name, off, msg);
    }
    pcre2_code_free(re);
    return 1;
}

static int set_setting(struct parse *p, const char *key, const char *v)
{
    struct n1_rules *r = p->r;
    const struct setting_def *d = NULL;
    unsigned long long x = 0;
    char *slot;
    size_t i;

    for (i = 0; i < N_SETTINGS; i++) {
        if (strcmp(settings[i].section, p->sec_name) == 0 &&
            strcmp(settings[i].key, key) == 0) {
            d = &settings[i];
            break;
        }
    }
    if (d == NULL) {
        return fail(p, N1_ERULES, "unknown key '%s' in [%s]", key, p->sec_name);
    }
    if (!first_in_file(p, &r->set[i], key)) {
        return 0;
    }
    slot = (char *)&r->th + d->off;
    switch (d->type) {
    case V_BOOL: {
        int b = 0;

        if (parse_bool(v, &b) != 0) {
            return fail(p, N1_ERULES,
                        "bad boolean '%s' for '%s' in [%s] (true or false)", v,
                        key, p->sec_name);
        }
        memcpy(slot, &b, sizeof(b));
        break;
    }
    case V_SEV: {
        enum n1_severity s = N1_SEV_INFO;

        if (n1_severity_parse(v, &s) != 0) {
            return fail(p, N1_ERULES,
                        "bad severity '%s' for '%s' in [%s] (info, warning "
                        "or error)",
                        v, key, p->sec_name);
        }
        memcpy(slot, &s, sizeof(s));
        break;
    }
    case V_UINT:
    case V_SIZE:
        if (parse_number(v, d->type == V_UINT ? UINT_MAX : SIZE_MAX, &x) != 0 ||
            x < d->min) {
            return fail(p, N1_ERULES,
                        "bad number '%s' for '%s' in [%s] (%lu or more)", v,
                        key, p->sec_name, d->min);
        }
        if (d->type == V_UINT) {
            unsigned u = (unsigned)x;

            memcpy(slot, &u, sizeof(u));
        } else {
            size_t z = (size_t)x;

            memcpy(slot, &z, sizeof(z));
        }
        break;
    }
    stamp_here(p, &r->set[i]);
    return 1;
}

/* Adds pattern v (the value of key) to l. */
static int add_pattern(struct parse *p, struct plist *l, const char *key,
                       const char *v)
{
    size_t cap = l->cap;
    char *s = NULL;

    if (!check_pattern(p, key, v)) {
        return 0;
    }
    if (grow((void **)&l->v, &cap, l->n, sizeof(*l->v)) != 0 ||
        grow((void **)&l->at, &l->cap, l->n, sizeof(*l->at)) != 0) {
        return nomem(p);
    }
    s = dupstr(v);
    if (s == NULL) {
        return nomem(p);
    }
    l->v[l->n] = s;
    l->at[l->n].file = p->file;
    l->at[l->n].line = p->line;
    l->n++;
    return 1;
}

static void plist_free(struct plist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i]);
    }
    free(l->v);
    free(l->at);
}

/* Removes one pair of matching quotes around v[0..*n). */
static const char *unquote(const char *v, size_t *n)
{
    if (*n >= 2 && (v[0] == '\'' || v[0] == '"') && v[*n - 1] == v[0]) {
        *n -= 2;
        return v + 1;
    }
    return v;
}

/* A NUL-terminated copy of the n bytes at s; NULL when memory ran out. */
static char *dupmem(const char *s, size_t n)
{
    char *d = malloc(n + 1);

    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* fingerprint = 16 hex digits. Returns 1, or 0 with the error set. */
static int allow_fingerprint(struct parse *p, const char *v, struct n1_allow *e)
{
    for (size_t i = 0; i < 16; i++) {
        if (!isxdigit((unsigned char)v[i])) {
            return fail(p, N1_ERULES,
                        "bad fingerprint '%s' in [allow] (16 hex digits)", v);
        }
    }
    if (v[16] != '\0') {
        return fail(p, N1_ERULES,
                    "bad fingerprint '%s' in [allow] (16 hex digits)", v);
    }
    e->fingerprint = (uint64_t)strtoull(v, NULL, 16);
    return 1;
}

/*
 * tag = key=glob (blanks around the =, the glob may be quoted): *key and
 * *glob receive owned copies. Returns 1, or 0 with the error set.
 */
static int allow_tag(struct parse *p, const char *v, char **key, char **glob)
{
    const char *eq = strchr(v, '=');
    size_t kn = eq != NULL ? (size_t)(eq - v) : 0;
    const char *g = NULL;
    size_t gn;

    while (kn > 0 && isspace((unsigned char)v[kn - 1])) {
        kn--;
    }
    if (eq == NULL || kn == 0) {
        return fail(p, N1_ERULES, "bad tag '%s' in [allow] (expected key=glob)",
                    v);
    }
    g = eq + 1;
    while (isspace((unsigned char)*g)) {
        g++;
    }
    gn = strlen(g);
    g = unquote(g, &gn);
    *key = dupmem(v, kn);
    *glob = dupmem(g, gn);
    if (*key == NULL || *glob == NULL) {
        return nomem(p); /* the caller frees what was copied */
    }
    return 1;
}

/* statement = pattern. Returns 1, or 0 with the error set. */
static int allow_statement(struct parse *p, const char *v, pcre2_code **re)
{
    char msg[128];
    size_t off = 0;

    *re = compile(v, msg, sizeof(msg), &off);
    if (*re == NULL) {
        return fail(p, N1_ERULES,
                    "bad pattern for 'statement' in [allow] at offset %zu: %s",
                    off, msg);
    }
    return 1;
}

/*
 * Reads the value v of one key of [allow] into e (and *re for a
 * statement pattern, *k and *val for owned strings). Returns 1, or 0
 * with the error set.
 */
static int allow_entry(struct parse *p, const char *key, const char *v,
                       struct n1_allow *e, pcre2_code **re, char **k,
                       char **val)
{
    size_t gn;
    const char *g = NULL;

    if (strcmp(key, "fingerprint") == 0) {
        e->kind = N1_ALLOW_FINGERPRINT;
        if (!allow_fingerprint(p, v, e)) {
            return 0;
        }
    } else if (strcmp(key, "table") == 0) {
        e->kind = N1_ALLOW_TABLE;
        if (v[0] == '\0') {
            return fail(p, N1_ERULES, "empty table in [allow]");
        }
    } else if (strcmp(key, "location") == 0) {
        e->kind = N1_ALLOW_LOCATION;
    } else if (strcmp(key, "tag") == 0) {
        e->kind = N1_ALLOW_TAG;
        return allow_tag(p, v, k, val);
    } else if (strcmp(key, "statement") == 0) {
        e->kind = N1_ALLOW_STATEMENT;
        if (!allow_statement(p, v, re)) {
            return 0;
        }
    } else {
        return fail(p, N1_ERULES, "unknown key '%s' in [allow]", key);
    }
    gn = strlen(v);
    g = e->kind == N1_ALLOW_LOCATION ? unquote(v, &gn) : v;
    *val = dupmem(g, gn);
    return *val != NULL ? 1 : nomem(p);
}

static int add_allow(struct parse *p, const char *key, const char *v)
{
    struct n1_rules *r = p->r;
    struct n1_allow e;
    pcre2_code *re = NULL;
    char *k = NULL;
    char *val = NULL;
    size_t cap = r->cap_allow;

    memset(&e, 0, sizeof(e));
    if (!allow_entry(p, key, v, &e, &re, &k, &val)) {
        goto fail;
    }
    if (grow((void **)&r->allow, &cap, r->n_allow, sizeof(*r->allow)) != 0 ||
        grow((void **)&r->allow_re, &r->cap_allow, r->n_allow,
             sizeof(*r->allow_re)) != 0) {
        nomem(p);
        goto fail;
    }
    e.key = k;
    e.value = val;
    e.origin.file = p->file;
    e.origin.line = p->line;
    r->allow[r->n_allow] = e;
    r->allow_re[r->n_allow] = re;
    r->n_allow++;
    return 1;
fail:
    free(k);
    free(val);
    pcre2_code_free(re);
    return 0;
}

/* Replaces an owned string field. */
static int set_text(struct parse *p, char **field, const char *v)
{
    char *s = dupstr(v);

    if (s == NULL) {
        return nomem(p);
    }
    free(*field);
    *field = s;
    return 1;
}

/* Appends " v" to an owned string field (a continuation line). */
static int append_text(struct parse *p, char **field, const char *v)
{
    size_t a = *field != NULL ? strlen(*field) : 0;
    size_t b = strlen(v);
    char *s = NULL;

    if (b == 0) {
        return 1;
    }
    s = realloc(*field, a + b + 2);
    if (s == NULL) {
        return nomem(p);
    }
    if (a > 0) {
        s[a++] = ' ';
    }
    memcpy(s + a, v, b + 1);
    *field = s;
    return 1;
}

static int set_rule_field(struct parse *p, const char *key, const char *v)
{
    struct ameta *a = &p->r->adv_meta[p->adv];
    struct n1_advice_rule *pub = &p->r->adv[p->adv];
    int f;

    for (f = 0; f < AF_COUNT; f++) {
        if (strcmp(afield_names[f], key) == 0) {
            break;
        }
    }
    if (f == AF_COUNT) {
        return fail(p, N1_ERULES, "unknown key '%s' in [%s]", key, p->sec_name);
    }
    if (!first_in_file(p, &a->f[f], key)) {
        return 0;
    }
    switch ((enum afield)f) {
    case AF_ENABLED:
        if (parse_bool(v, &pub->enabled) != 0) {
            return fail(p, N1_ERULES,
                        "bad boolean '%s' for '%s' in [%s] (true or false)", v,
                        key, p->sec_name);
        }
        break;
    case AF_PATTERN:
    case AF_LITERAL:
        if (v[0] == '\0') {
            return fail(p, N1_ERULES, "empty '%s' in [%s]", key, p->sec_name);
        }
        if (!check_pattern(p, key, v) ||
            !set_text(p,
                      f == AF_PATTERN ? &pub->pattern : &pub->literal_pattern,
                      v)) {
            return 0;
        }
        break;
    case AF_MIN_ITEMS: {
        unsigned long long x = 0;

        if (parse_number(v, UINT_MAX, &x) != 0) {
            return fail(p, N1_ERULES,
                        "bad number '%s' for '%s' in [%s] (0 or more)", v, key,
                        p->sec_name);
        }
        pub->min_items = (unsigned)x;
        break;
    }
    case AF_MIN_VALUE: {
        char *end = NULL;
        double d;

        errno = 0;
        d = strtod(v, &end);
        if (v[0] == '\0' || *end != '\0' || errno != 0 || !isfinite(d)) {
            return fail(p, N1_ERULES, "bad number '%s' for '%s' in [%s]", v,
                        key, p->sec_name);
        }
        pub->min_value = d;
        pub->has_min_value = 1;
        break;
    }
    case AF_SEVERITY:
        if (n1_severity_parse(v, &pub->severity) != 0) {
            return fail(p, N1_ERULES,
                        "bad severity '%s' for '%s' in [%s] (info, warning "
                        "or error)",
                        v, key, p->sec_name);
        }
        break;
    case AF_MESSAGE:
    case AF_ADVICE:
        if (!set_text(p, f == AF_MESSAGE ? &pub->message : &pub->advice, v)) {
            return 0;
        }
        break;
    case AF_COUNT:
        break;
    }
    stamp_here(p, &a->f[f]);
    return 1;
}

/* An indented line: inih passes it with the previous key's name. */
static int continuation(struct parse *p, const char *key, const char *v)
{
    struct n1_advice_rule *pub = NULL;

    if (p->sec == S_ADVISER) {
        pub = &p->r->adv[p->adv];
        if (strcmp(key, "message") == 0) {
            return append_text(p, &pub->message, v);
        }
        if (strcmp(key, "advice") == 0) {
            return append_text(p, &pub->advice, v);
        }
    }
    return fail(p, N1_ERULES,
                "indented line continues '%s' in [%s]; only message and "
                "advice continue",
                key, p->sec_name);
}

static int on_key(void *user, const char *section, const char *key,
                  const char *value)
{
    struct parse *p = user;
    int cont = p->indented && p->have_key;

    (void)section; /* read_line() tracks sections itself */
    if (p->failed) {
        return 0;
    }
    p->have_key = 1;
    if (cont) {
        return continuation(p, key, value);
    }
    switch (p->sec) {
    case S_NONE:
        return fail(p, N1_ERULES, "key '%s' outside a section", key);
    case S_SETTINGS:
        if (strcmp(p->sec_name, "requests") == 0 &&
            strcmp(key, "preamble") == 0) {
            return add_pattern(p, &p->r->preamble, key, value);
        }
        return set_setting(p, key, value);
    case S_IGNORE:
        if (strcmp(key, "pattern") == 0) {
            return add_pattern(p, &p->r->ignore, key, value);
        }
        return set_setting(p, key, value);
    case S_ALLOW:
        return add_allow(p, key, value);
    case S_ADVISER:
        return set_rule_field(p, key, value);
    }
    return 0;
}

/*
 * Checks the adviser rules this load defined or changed: each needs a
 * pattern and a message, and literal conditions need a (?<slot>...) group
 * in the pattern. Errors point at the rule's header in this file.
 */
static int check_rules(struct parse *p)
{
    struct n1_rules *r = p->r;

    for (size_t i = 0; i < r->n_adv; i++) {
        const struct ameta *a = &r->adv_meta[i];
        const struct n1_advice_rule *pub = &r->adv[i];
        int needs_slot = pub->literal_pattern != NULL || pub->min_items > 0 ||
                         pub->has_min_value;

        if (a->header.load != r->loads) {
            continue;
        }
        p->line = a->header.at.line;
        if (pub->pattern == NULL) {
            return fail(p, N1_ERULES, "rule '%s' has no pattern", pub->name);
        }
        if (pub->message == NULL || pub->message[0] == '\0') {
            return fail(p, N1_ERULES, "rule '%s' has no message", pub->name);
        }
        if (needs_slot) {
            char msg[128];
            size_t off = 0;
            pcre2_code *re = compile(pub->pattern, msg, sizeof(msg), &off);
            int g;

            if (re == NULL) {
                return nomem(p); /* it compiled when it was read */
            }
            g = pcre2_substring_number_from_name(re, (PCRE2_SPTR) "slot");
            pcre2_code_free(re);
            if (g <= 0) {
                return fail(p, N1_ERULES,
                            "rule '%s': literal_pattern, min_items and "
                            "min_value need one group (?<slot>\\?) in the "
                            "pattern",
                            pub->name);
            }
        }
    }
    return 1;
}

int n1_rules_load_string(struct n1_rules *r, const char *name, const char *text,
                         struct n1_error *err)
{
    struct parse p;
    char *fname = NULL;
    char **files = NULL;
    int rc;

    fname = dupstr(name);
    files = realloc(r->files, (r->n_files + 1) * sizeof(*files));
    if (fname == NULL || files == NULL) {
        free(fname);
        if (files != NULL) {
            r->files = files;
        }
        n1_err_set(err, N1_ESYS, name, 0, "out of memory");
        return -1;
    }
    r->files = files;
    r->files[r->n_files++] = fname;
    r->loads++;

    memset(&p, 0, sizeof(p));
    p.r = r;
    p.file = fname;
    p.text = text;
    p.len = strlen(text);
    p.err = err;
    if (p.len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        p.pos = 3; /* a UTF-8 byte order mark is not part of line 1 */
    }
    rc = ini_parse_stream(read_line, &p, on_key, &p);
    if (rc > 0 && (!p.failed || (unsigned long)rc < p.line)) {
        /* inih found a bad line before (or without) any error of ours. */
        p.failed = 0;
        p.line = (unsigned long)rc;
        fail(&p, N1_ERULES, "syntax error (expected [section] or key = value)");
        return -1;
    }
    if (rc == -2 && !p.failed) {
        n1_err_set(err, N1_ESYS, fname, 0, "out of memory");
        return -1;
    }
    if (p.failed || !check_rules(&p)) {
        return -1;
    }
    return 0;
}

int n1_rules_load_file(struct n1_rules *r, const char *path,
                       struct n1_error *err)
{
    FILE *f = NULL;
    char *buf = NULL;
    size_t n;
    int ret = -1;

    f = fopen(path, "rb");
    if (f == NULL) {
        n1_err_set(err, N1_ESYS, path, 0, "cannot open: %s", strerror(errno));
        goto out;
    }
    buf = malloc(MAX_FILE_BYTES + 1);
    if (buf == NULL) {
        n1_err_set(err, N1_ESYS, path, 0, "out of memory");
        goto out;
    }
    n = fread(buf, 1, MAX_FILE_BYTES + 1, f);
    if (ferror(f)) {
        n1_err_set(err, N1_ESYS, path, 0, "cannot read: %s", strerror(errno));
        goto out;
    }
    if (n > MAX_FILE_BYTES) {
        n1_err_set(err, N1_ERULES, path, 0, "larger than %d bytes",
                   MAX_FILE_BYTES);
        goto out;
    }
    if (memchr(buf, '\0', n) != NULL) {
        /* Find the line for the message. */
        unsigned long line = 1;
        const char *z = memchr(buf, '\0', n);

        for (const char *c = buf; c < z; c++) {
            line += *c == '\n';
        }
        n1_err_set(err, N1_ERULES, path, line, "a NUL byte in the line");
        goto out;
    }
    buf[n] = '\0';
    ret = n1_rules_load_string(r, path, buf, err);
out:
    free(buf);
    if (f != NULL) {
        fclose(f);
    }
    return ret;
}

/* ---- lifecycle and queries -------------------------------------------- */

void n1_rules_free(struct n1_rules *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->n_files; i++) {
        free(r->files[i]);
    }
    free(r->files);
    plist_free(&r->ignore);
    plist_free(&r->preamble);
    for (size_t i = 0; i < r->n_allow; i++) {
        free(r->allow[i].key);
        free(r->allow[i].value);
        pcre2_code_free(r->allow_re[i]);
    }
    free(r->allow);
    free(r->allow_re);
    for (size_t i = 0; i < r->n_adv; i++) {
        struct n1_advice_rule *a = &r->adv[i];

        free(a->name);
        free(a->pattern);
        free(a->literal_pattern);
        free(a->message);
        free(a->advice);
    }
    free(r->adv);
    free(r->adv_meta);
    free(r);
}

struct n1_rules *n1_rules_new(struct n1_error *err)
{
    struct n1_rules *r = calloc(1, sizeof(*r));

    if (r == NULL) {
        n1_err_set(err, N1_ESYS, NULL, 0, "out of memory");
        return NULL;
    }
    if (n1_rules_load_string(r, N1_RULES_DEFAULT_NAME, n1_default_rules_text,
                             err) != 0) {
        n1_rules_free(r);
        return NULL;
    }
    /* Every setting has its default in the shipped file, nowhere else. */
    for (size_t i = 0; i < N_SETTINGS; i++) {
        if (r->set[i].load == 0) {
            n1_err_set(err, N1_ERULES, N1_RULES_DEFAULT_NAME, 0,
                       "no value for '%s' in [%s]", settings[i].key,
                       settings[i].section);
            n1_rules_free(r);
            return NULL;
        }
    }
    return r;
}

const struct n1_thresholds *n1_rules_thresholds(const struct n1_rules *r)
{
    return &r->th;
}

const char *const *n1_rules_ignore(const struct n1_rules *r, size_t *n)
{
    *n = r->ignore.n;
    return (const char *const *)r->ignore.v;
}

const char *const *n1_rules_preambles(const struct n1_rules *r, size_t *n)
{
    *n = r->preamble.n;
    return (const char *const *)r->preamble.v;
}

const struct n1_allow *n1_rules_allow_list(const struct n1_rules *r, size_t *n)
{
    *n = r->n_allow;
    return r->allow;
}

const struct n1_advice_rule *n1_rules_advice(const struct n1_rules *r,
                                             size_t *n)
{
    *n = r->n_adv;
    return r->adv;
}

static int table_matches(const char *want, const char *table)
{
    const char *dot = NULL;

    if (table == NULL || table[0] == '\0') {
        return 0;
    }
    if (strcasecmp(want, table) == 0) {
        return 1;
    }
    dot = strrchr(table, '.');
    return strchr(want, '.') == NULL && dot != NULL &&
           strcasecmp(want, dot + 1) == 0;
}

static int statement_matches(pcre2_code *re, const char *text)
{
    pcre2_match_data *md = NULL;
    int rc;

    if (text == NULL) {
        return 0;
    }
    md = pcre2_match_data_create_from_pattern(re, NULL);
    if (md == NULL) {
        return 0;
    }
    rc = pcre2_match(re, (PCRE2_SPTR)text, PCRE2_ZERO_TERMINATED, 0, 0, md,
                     NULL);
    pcre2_match_data_free(md);
    return rc >= 0;
}

const struct n1_allow *n1_rules_allows(const struct n1_rules *r,
                                       const struct n1_finding *f)
{
    for (size_t i = 0; i < r->n_allow; i++) {
        const struct n1_allow *e = &r->allow[i];
        int hit = 0;

        switch (e->kind) {
        case N1_ALLOW_FINGERPRINT:
            hit = f->fingerprint == e->fingerprint;
            break;
        case N1_ALLOW_TABLE:
            hit = table_matches(e->value, f->table);
            break;
        case N1_ALLOW_TAG:
            for (size_t t = 0; t < f->n_tags && !hit; t++) {
                hit = f->tags[t].key != NULL && f->tags[t].value != NULL &&
                      strcmp(f->tags[t].key, e->key) == 0 &&
                      fnmatch(e->value, f->tags[t].value, 0) == 0;
            }
            break;
        case N1_ALLOW_LOCATION:
            hit = f->location != NULL && fnmatch(e->value, f->location, 0) == 0;
            break;
        case N1_ALLOW_STATEMENT:
            hit = statement_matches(r->allow_re[i], f->fingerprint_text);
            break;
        }
        if (hit) {
            return e;
        }
    }
    return NULL;
}

enum n1_severity n1_rules_severity(const struct n1_rules *r,
                                   const struct n1_finding *f)
{
    const struct n1_detector_rules *d = NULL;

    if ((unsigned)f->kind >= N1_FIND_KIND_COUNT) {
        return f->severity;
    }
    d = &r->th.det[f->kind];
    if (f->severity == N1_SEV_INFO) {
        return N1_SEV_INFO;
    }
    /* A loop the log cannot support (no connection ids, or nothing
       delimits it) is a candidate, never an error. */
    if ((f->kind == N1_FIND_N_PLUS_ONE || f->kind == N1_FIND_DUPLICATE) &&
        (f->evidence.no_conn_ids || f->evidence.confidence == N1_CONF_LOW)) {
        return d->severity == N1_SEV_ERROR ? N1_SEV_WARNING : d->severity;
    }
    if (d->error_repeats > 0 && f->count >= d->error_repeats) {
        return N1_SEV_ERROR;
    }
    return d->severity;
}

int n1_rules_too_fast(const struct n1_rules *r, const struct n1_finding *f)
{
    const struct n1_detector_rules *d = NULL;

    if ((unsigned)f->kind >= N1_FIND_KIND_COUNT || isnan(f->total_time_s)) {
        return 0;
    }
    d = &r->th.det[f->kind];
    return d->min_total_time_ms > 0 &&
           f->total_time_s * 1000.0 < (double)d->min_total_time_ms;
}

/* ---- writing ---------------------------------------------------------- */

/* Prints "text ; FILE:LINE" with the comment aligned. */
static void put_line(FILE *out, const char *text, const struct n1_origin *o)
{
    int n = (int)strlen(text);

    if (o == NULL || o->file == NULL) {
        fprintf(out, "%s\n", text);
        return;
    }
    fprintf(out, "%s%*s ; %s:%lu\n", text, n < 40 ? 40 - n : 0, "", o->file,
            o->line);
}

/*
 * Prints "key = value ; FILE:LINE", value not cut. When that would make a
 * line too long to read back, the origin goes on a comment line above.
 */
static void put_kv(FILE *out, const char *key, const char *value,
                   const struct n1_origin *o)
{
    int n = (int)(strlen(key) + 3 + strlen(value));

    if (o == NULL || o->file == NULL) {
        fprintf(out, "%s = %s\n", key, value);
        return;
    }
    if ((size_t)n + 4 + strlen(o->file) + 21 > N1_RULES_MAX_LINE) {
        fprintf(out, "; %s:%lu\n%s = %s\n", o->file, o->line, key, value);
        return;
    }
    fprintf(out, "%s = %s%*s ; %s:%lu\n", key, value, n < 40 ? 40 - n : 0, "",
            o->file, o->line);
}

/*
 * Prints key = text, wrapped at spaces onto indented continuation lines
 * (which the reader joins back with one space). The origin goes on the
 * first line.
 */
static void put_text(FILE *out, const char *key, const char *text,
                     const struct n1_origin *o)
{
    char line[WRAP_COLUMNS + 64];
    size_t prefix = strlen(key) + 3;
    const char *s = text;
    int first = 1;

    while (*s != '\0') {
        size_t room = WRAP_COLUMNS - (first ? prefix : 4);
        size_t n = strlen(s);

        if (n > room) {
            size_t cut = room;

            while (cut > 0 && s[cut] != ' ') {
                cut--;
            }
            if (cut == 0) {
                /* One long word: cut at the next space instead. */
                const char *sp = strchr(s + room, ' ');

                cut = sp != NULL ? (size_t)(sp - s) : n;
            }
            n = cut;
        }
        if (first) {
            snprintf(line, sizeof(line), "%s = %.*s", key, (int)n, s);
            put_line(out, line, o);
        } else {
            fprintf(out, "    %.*s\n", (int)n, s);
        }
        first = 0;
        s += n;
        while (*s == ' ') {
            s++;
        }
    }
    if (first) {
        put_kv(out, key, "", o);
    }
}

static void format_setting(const struct n1_rules *r,
                           const struct setting_def *d, char *buf, size_t n)
{
    const char *slot = (const char *)&r->th + d->off;

    switch (d->type) {
    case V_BOOL: {
        int b;

        memcpy(&b, slot, sizeof(b));
        snprintf(buf, n, "%s", b ? "true" : "false");
        break;
    }
    case V_UINT: {
        unsigned u;

        memcpy(&u, slot, sizeof(u));
        snprintf(buf, n, "%u", u);
        break;
    }
    case V_SIZE: {
        size_t z;

        memcpy(&z, slot, sizeof(z));
        snprintf(buf, n, "%zu", z);
        break;
    }
    case V_SEV: {
        enum n1_severity s;

        memcpy(&s, slot, sizeof(s));
        snprintf(buf, n, "%s", n1_severity_name(s));
        break;
    }
    }
}

static const char *const allow_keys[] = {"fingerprint", "table", "tag",
                                         "location", "statement"};

/* The pattern lists of section sec, after its settings. */
static void put_patterns(FILE *out, const struct n1_rules *r, const char *sec)
{
    const struct plist *l = NULL;
    const char *key = NULL;

    if (strcmp(sec, "ignore") == 0) {
        l = &r->ignore;
        key = "pattern";
    } else if (strcmp(sec, "requests") == 0) {
        l = &r->preamble;
        key = "preamble";
    } else {
        return;
    }
    for (size_t i = 0; i < l->n; i++) {
        put_kv(out, key, l->v[i], &l->at[i]);
    }
}

int n1_rules_write(const struct n1_rules *r, FILE *out)
{
    const char *sec = "";
    char buf[N1_RULES_MAX_LINE + 64];

    fprintf(out, "# rules in force, read from:");
    for (size_t i = 0; i < r->n_files; i++) {
        fprintf(out, " %s", r->files[i]);
    }
    fprintf(out, "\n");
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const struct setting_def *d = &settings[i];

        if (strcmp(d->section, sec) != 0) {
            put_patterns(out, r, sec);
            sec = d->section;
            fprintf(out, "\n[%s]\n", sec);
        }
        format_setting(r, d, buf, 32);
        put_kv(out, d->key, buf, &r->set[i].at);
    }
    put_patterns(out, r, sec);
    fprintf(out, "\n[allow]\n");
    for (size_t i = 0; i < r->n_allow; i++) {
        const struct n1_allow *e = &r->allow[i];

        if (e->kind == N1_ALLOW_TAG) {
            snprintf(buf, sizeof(buf), "%s='%s'", e->key, e->value);
            put_kv(out, "tag", buf, &e->origin);
        } else {
            put_kv(out, allow_keys[e->kind], e->value, &e->origin);
        }
    }
    for (size_t i = 0; i < r->n_adv; i++) {
        const struct n1_advice_rule *a = &r->adv[i];
        const struct ameta *m = &r->adv_meta[i];

        fprintf(out, "\n");
        snprintf(buf, sizeof(buf), "[adviser.%s]", a->name);
        put_line(out, buf, &a->origin);
        if (m->f[AF_ENABLED].load != 0) {
            put_kv(out, "enabled", a->enabled ? "true" : "false",
                   &m->f[AF_ENABLED].at);
        }
        put_kv(out, "pattern", a->pattern, &m->f[AF_PATTERN].at);
        if (a->literal_pattern != NULL) {
            put_kv(out, "literal_pattern", a->literal_pattern,
                   &m->f[AF_LITERAL].at);
        }
        if (a->min_items > 0) {
            snprintf(buf, sizeof(buf), "%u", a->min_items);
            put_kv(out, "min_items", buf, &m->f[AF_MIN_ITEMS].at);
        }
        if (a->has_min_value) {
            snprintf(buf, sizeof(buf), "%g", a->min_value);
            put_kv(out, "min_value", buf, &m->f[AF_MIN_VALUE].at);
        }
        put_kv(out, "severity", n1_severity_name(a->severity),
               m->f[AF_SEVERITY].load != 0 ? &m->f[AF_SEVERITY].at : NULL);
        put_text(out, "message", a->message, &m->f[AF_MESSAGE].at);
        if (a->advice != NULL) {
            put_text(out, "advice", a->advice, &m->f[AF_ADVICE].at);
        }
    }
    return ferror(out) ? -1 : 0;
}
