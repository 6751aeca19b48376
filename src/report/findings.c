/* SPDX-License-Identifier: MIT */
/*
 * report_findings.c: render findings for a terminal or as JSON.
 *
 * Every finding's JSON comes from one definition of its members
 * (finding_json.c, so every string is escaped the same way); the JSON
 * report is an array of those objects, and the store keeps each one as
 * text, written without a jansson tree, so that a later run can read it
 * back with n1_finding_from_json() and print it again in either form. The text
 * report is written directly from the finding, one block per finding,
 * with the rewrite left unindented so that it can be pasted into a client.
 *
 * Log text is untrusted: strings that are not UTF-8 are repaired (each
 * bad byte becomes U+FFFD) before jansson sees them, since jansson
 * refuses them, and the text report shows control characters as '?'.
 * Nothing here reads logs or touches the store.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/event.h"
#include "base/strbuf.h"
#include "base/textutil.h"
#include "base/timeutil.h"
#include "report/findings.h"
#include "report/findings_int.h"
#include "report/json_int.h"
#include "sql/fingerprint.h"
#include "sql/normalize.h"

#define WRAP_COLUMNS N1_RF_TEXT_COLUMNS

const char *n1_input_status_name(enum n1_input_status s)
{
    switch (s) {
    case N1_INPUT_READ:
        return "read";
    case N1_INPUT_RESUMED:
        return "resumed";
    case N1_INPUT_ALREADY_READ:
        return "already_read";
    case N1_INPUT_UNREADABLE:
        return "unreadable";
    }
    return "unknown";
}

double n1_finding_cost(const struct n1_finding *f, int *estimated)
{
    int est = isnan(f->total_time_s);

    if (estimated != NULL) {
        *estimated = est;
    }
    return est ? (double)f->count * N1_REPORT_RTT_S : f->total_time_s;
}

/* ---- strings ----------------------------------------------------------- */

/* The 16 lower-case hex digits of v, as the fingerprint ids are shown. */
static void hex64(uint64_t v, char out[17])
{
    n1_fingerprint_hex(v, out);
}

/* "2026-11-20T09:14:03Z", with ".ffffff" when there are microseconds. */
#define ISO_LEN N1_TS_ISO_MAX

void n1_rf_iso_time(int64_t us, char *buf)
{
    if (n1_ts_format_iso(us, N1_TS_FRAC_AUTO, buf) != 0) {
        snprintf(buf, ISO_LEN, "1970-01-01T00:00:00Z");
    }
}

/* ---- finding -> JSON --------------------------------------------------- */

json_t *n1_rf_time(int64_t us)
{
    char buf[ISO_LEN];

    if (us == N1_TS_NONE) {
        return json_null();
    }
    n1_rf_iso_time(us, buf);
    return json_string(buf);
}

/* The time of verdict v in microseconds. A store is a file anyone may
   edit: a time too far off to count in microseconds is shown as the
   epoch rather than overflow. */
static int64_t verdict_us(const struct n1_store_verdict *v)
{
    if (v->verified_at > INT64_MAX / 1000000 ||
        v->verified_at < INT64_MIN / 1000000 + 1) {
        return 0;
    }
    return v->verified_at * 1000000;
}

json_t *n1_rf_verdict_object(const struct n1_store_verdict *v)
{
    json_t *o = json_object();
    int bad = o == NULL;

    n1_rj_put(o, "verdict", n1_rj_str0(v->verdict), &bad);
    n1_rj_put(o, "detail", n1_rj_str0(v->detail), &bad);
    n1_rj_put(o, "host", n1_rj_str0(v->host), &bad);
    n1_rj_put(o, "verified_at", n1_rf_time(verdict_us(v)), &bad);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

void n1_rf_verdict_text(const struct n1_store_verdict *v, int with_detail,
                        char *buf, size_t n)
{
    char at[ISO_LEN];
    int detail = with_detail && strcmp(v->verdict, "verified") != 0 &&
                 v->detail[0] != '\0';

    n1_rf_iso_time(verdict_us(v), at);
    snprintf(buf, n, "%s on %s at %s%s%s", v->verdict, v->host, at,
             detail ? ": " : "", detail ? v->detail : "");
}

char *n1_finding_to_json(const struct n1_finding *f,
                         const struct n1_report_opts *o, struct n1_error *err)
{
    char *s = n1_rf_members_text(f, NULL, N1_RF_MEMBERS, -1);

    (void)o; /* the finding carries all it needs (round_trips_saved) */
    if (s == NULL) {
        n1_err_oom(err, "rendering a finding");
    }
    return s;
}

/* ---- JSON -> finding --------------------------------------------------- */

static const char *get_str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static int get_hex(const json_t *o, const char *key, uint64_t *out)
{
    const char *s = get_str(o, key);
    char *end = NULL;

    if (s == NULL || strlen(s) != 16) {
        return -1;
    }
    *out = (uint64_t)strtoull(s, &end, 16);
    return *end == '\0' ? 0 : -1;
}

static uint64_t get_u64(const json_t *o, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(o, key));

    return v > 0 ? (uint64_t)v : 0;
}

/* A number, or NaN for null or a missing key. */
static double get_num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    return json_is_number(v) ? json_number_value(v) : NAN;
}

static int64_t get_time(const json_t *o, const char *key)
{
    const char *s = get_str(o, key);
    int64_t us;

    size_t len = s != NULL ? strlen(s) : 0;

    /* What iso_time() writes: the whole string, ending in Z. */
    if (len == 0 || n1_ts_parse_iso(s, len, N1_TS_ISO_STRICT, &us) != len ||
        s[len - 1] != 'Z') {
        return N1_TS_NONE;
    }
    return us;
}

/* Sets f's kind, id, fingerprint and severity (warning when absent or
   unknown) from root. Returns 0, or -1 when one of the first three is
   missing or bad. */
static int read_identity(const json_t *root, struct n1_finding *f)
{
    const char *kind = get_str(root, "kind");
    const char *sev = get_str(root, "severity");
    int known = 0;

    for (int k = 0; kind != NULL && k < N1_FIND_KIND_COUNT; k++) {
        if (strcmp(kind, n1_finding_kind_name((enum n1_finding_kind)k)) == 0) {
            f->kind = (enum n1_finding_kind)k;
            known = 1;
            break;
        }
    }
    if (!known || get_hex(root, "id", &f->id) != 0 ||
        get_hex(root, "fingerprint", &f->fingerprint) != 0) {
        return -1;
    }
    f->severity = N1_SEV_WARNING;
    if (sev != NULL && strcmp(sev, "info") == 0) {
        f->severity = N1_SEV_INFO;
    } else if (sev != NULL && strcmp(sev, "error") == 0) {
        f->severity = N1_SEV_ERROR;
    }
    return 0;
}

/* calloc() of k elements of size, and k in *n. NULL with *n 0 when k is
   0; NULL with *n 0 and *oom set when memory ran out. */
static void *items_for(size_t k, size_t size, size_t *n, int *oom)
{
    void *p = NULL;

    *n = 0;
    if (k == 0) {
        return NULL;
    }
    p = calloc(k, size);
    if (p == NULL) {
        *oom = 1;
        return NULL;
    }
    *n = k;
    return p;
}

/* f's key columns; the array returned is f->key_columns, which the caller
   frees with free(). Strings are borrowed from root. */
static const char **read_key_columns(const json_t *root, struct n1_finding *f,
                                     int *oom)
{
    const json_t *v = json_object_get(root, "key_columns");
    const char **cols =
        items_for(json_array_size(v), sizeof(*cols), &f->n_key_columns, oom);

    for (size_t i = 0; i < f->n_key_columns; i++) {
        const char *c = json_string_value(json_array_get(v, i));

        cols[i] = c != NULL ? c : "";
    }
    f->key_columns = cols;
    return cols;
}

/* f's keys, as read_key_columns() does for columns. */
static const char **read_keys(const json_t *root, struct n1_finding *f,
                              int *oom)
{
    const json_t *v = json_object_get(root, "keys");
    const char **keys =
        items_for(json_array_size(v), sizeof(*keys), &f->n_keys, oom);

    for (size_t i = 0; i < f->n_keys; i++) {
        const char *c = json_string_value(json_array_get(v, i));

        keys[i] = c != NULL ? c : "";
    }
    f->keys = keys;
    return keys;
}

/* f's connections (fanout), as read_key_columns() does for columns. */
static uint64_t *read_connections(const json_t *root, struct n1_finding *f,
                                  int *oom)
{
    const json_t *v = json_object_get(root, "connections");
    uint64_t *conns =
        items_for(json_array_size(v), sizeof(*conns), &f->n_connections, oom);

    for (size_t i = 0; i < f->n_connections; i++) {
        conns[i] = (uint64_t)json_integer_value(json_array_get(v, i));
    }
    f->connections = conns;
    return conns;
}

/* f's tags, as read_key_columns() does for columns. */
static struct n1_kv *read_tags(const json_t *root, struct n1_finding *f,
                               int *oom)
{
    json_t *v = json_object_get(root, "tags");
    struct n1_kv *tags =
        items_for(json_object_size(v), sizeof(*tags), &f->n_tags, oom);
    const char *key;
    json_t *val;
    size_t i = 0;

    if (tags == NULL) {
        return NULL;
    }
    json_object_foreach(v, key, val)
    {
        tags[i].key = key;
        tags[i].value =
            json_string_value(val) != NULL ? json_string_value(val) : "";
        i++;
    }
    f->tags = tags;
    return tags;
}

/* The plain members of a stored finding: JSON key and where it goes. */
struct member {
    const char *key;
    size_t off; /* offsetof(struct n1_finding, ...) */
};

/* const char * members, borrowed from the JSON; NULL when absent. */
static const struct member str_members[] = {
    {"statement", offsetof(struct n1_finding, statement)},
    {"table", offsetof(struct n1_finding, table)},
    {"fingerprint_text", offsetof(struct n1_finding, fingerprint_text)},
    {"sample", offsetof(struct n1_finding, sample)},
    {"location", offsetof(struct n1_finding, location)},
    {"rewrite", offsetof(struct n1_finding, rewrite)},
    {"rewrite_kind", offsetof(struct n1_finding, rewrite_kind)},
    {"advice", offsetof(struct n1_finding, advice)},
    {"file", offsetof(struct n1_finding, file)},
};

/* uint64_t members; 0 when absent or not a positive integer. */
static const struct member u64_members[] = {
    {"connection", offsetof(struct n1_finding, connection)},
    {"count", offsetof(struct n1_finding, count)},
    {"distinct_keys", offsetof(struct n1_finding, distinct_keys)},
    {"round_trips_saved", offsetof(struct n1_finding, round_trips_saved)},
};

#define N_MEMBERS(a) (sizeof(a) / sizeof((a)[0]))

/* The rest of f: texts, counts, times and the parent. Strings are
   borrowed from root. */
static void read_details(const json_t *root, struct n1_finding *f)
{
    const json_t *v = json_object_get(root, "parent");
    char *base = (char *)f;

    for (size_t i = 0; i < N_MEMBERS(str_members); i++) {
        const char *s = get_str(root, str_members[i].key);

        memcpy(base + str_members[i].off, &s, sizeof(s));
    }
    for (size_t i = 0; i < N_MEMBERS(u64_members); i++) {
        uint64_t n = get_u64(root, u64_members[i].key);

        memcpy(base + u64_members[i].off, &n, sizeof(n));
    }
    f->line = (unsigned long)get_u64(root, "line");
    f->first_seen_us = get_time(root, "first_seen");
    f->last_seen_us = get_time(root, "last_seen");
    f->total_time_s = get_num(root, "total_time_s");
    f->parent_rows_sent = NAN;
    if (json_is_object(v) &&
        get_hex(v, "fingerprint", &f->parent_fingerprint) == 0) {
        f->has_parent = 1;
        f->parent_table = get_str(v, "table");
        f->parent_sql = get_str(v, "sql");
        f->parent_rows_sent = get_num(v, "rows_sent");
    }
}

/* The boundary named name; N1_BOUND_NONE when unknown or absent. */
static enum n1_boundary boundary_named(const char *name)
{
    for (int b = 0; name != NULL && b < N1_BOUND_COUNT; b++) {
        if (strcmp(name, n1_boundary_name((enum n1_boundary)b)) == 0) {
            return (enum n1_boundary)b;
        }
    }
    return N1_BOUND_NONE;
}

/* f's evidence, as n1_rf_evidence_object() wrote it (zeroed when
   absent); the body array returned is f->evidence.body, which the caller
   frees with free(). */
static uint64_t *read_evidence(const json_t *root, struct n1_finding *f,
                               int *oom)
{
    const json_t *e = json_object_get(root, "evidence");
    const json_t *body = json_object_get(e, "body");
    const json_t *rows = json_object_get(e, "rows_match");
    const char *conf = get_str(e, "confidence");
    uint64_t *v = NULL;
    double span = get_num(e, "span_s");

    if (!json_is_object(e)) {
        return NULL;
    }
    f->evidence.starts = boundary_named(get_str(e, "starts"));
    f->evidence.ends = boundary_named(get_str(e, "ends"));
    v = items_for(json_array_size(body), sizeof(*v), &f->evidence.n_body, oom);
    for (size_t i = 0; i < f->evidence.n_body; i++) {
        const char *h = json_string_value(json_array_get(body, i));

        v[i] = h != NULL ? (uint64_t)strtoull(h, NULL, 16) : 0;
    }
    f->evidence.body = v;
    f->evidence.rows_match = json_is_true(rows)    ? 1
                             : json_is_false(rows) ? -1
                                                   : 0;
    f->evidence.no_conn_ids = json_is_true(json_object_get(e, "no_conn_ids"));
    f->evidence.span_us = isnan(span) ? 0 : (int64_t)llround(span * 1e6);
    for (int c = N1_CONF_LOW; conf != NULL && c <= N1_CONF_HIGH; c++) {
        if (strcmp(conf, n1_confidence_name((enum n1_confidence)c)) == 0) {
            f->evidence.confidence = (enum n1_confidence)c;
        }
    }
    return v;
}

struct n1_finding *n1_finding_from_json(const char *json, size_t len,
                                        struct n1_error *err)
{
    json_t *root = NULL;
    const char **cols = NULL;
    const char **keys = NULL;
    uint64_t *conns = NULL;
    struct n1_kv *tags = NULL;
    uint64_t *body = NULL;
    struct n1_finding f;
    struct n1_finding *copy = NULL;
    json_error_t jerr;
    int oom = 0;

    memset(&f, 0, sizeof(f));
    root = json_loadb(json, len, 0, &jerr);
    if (!json_is_object(root)) {
        n1_err_set(err, N1_EPARSE, NULL, 0, "stored finding is not %s%s",
                   root == NULL ? "JSON: " : "a JSON object",
                   root == NULL ? jerr.text : "");
        goto out;
    }
    if (read_identity(root, &f) != 0) {
        n1_err_set(err, N1_EPARSE, NULL, 0,
                   "stored finding has a bad kind, id or fingerprint");
        goto out;
    }
    cols = read_key_columns(root, &f, &oom);
    keys = read_keys(root, &f, &oom);
    conns = read_connections(root, &f, &oom);
    tags = read_tags(root, &f, &oom);
    body = read_evidence(root, &f, &oom);
    read_details(root, &f);
    if (!oom) {
        copy = n1_finding_dup(&f);
    }
    if (copy == NULL) {
        n1_err_oom(err, "reading a stored finding");
    }

out:
    free(cols);
    free(keys);
    free(conns);
    free(tags);
    free(body);
    json_decref(root);
    return copy;
}

/* ---- JSON report pieces ------------------------------------------------ */

int n1_rf_dump_nested(FILE *out, const json_t *v, int indent)
{
    char *text = n1_rj_dumps(v, N1_RF_DUMP_PRETTY);
    int rc = 0;

    if (text == NULL) {
        return 1;
    }
    for (const char *p = text; *p != '\0' && rc == 0;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl != NULL ? (size_t)(nl - p) + 1 : strlen(p);

        if (fwrite(p, 1, n, out) != n ||
            (nl != NULL && fprintf(out, "%*s", indent, "") < 0)) {
            rc = -1;
        }
        p += n;
    }
    free(text);
    return rc;
}

json_t *n1_rf_tool(void)
{
    json_t *tool = json_object();
    int bad = tool == NULL;

    n1_rj_put(tool, "name", json_string("n1digest"), &bad);
    n1_rj_put(tool, "version", json_string(N1_VERSION), &bad);
    n1_rj_put(tool, "fingerprint_version", json_integer(N1_FINGERPRINT_VERSION),
              &bad);
    if (bad) {
        json_decref(tool);
        return NULL;
    }
    return tool;
}

json_t *n1_rf_inputs(const struct n1_report_input *in, size_t n_in)
{
    json_t *inputs = json_array();
    int bad = inputs == NULL;

    for (size_t i = 0; !bad && i < n_in; i++) {
        json_t *e = json_object();

        n1_rj_put(e, "path", n1_rj_str(in[i].path), &bad);
        n1_rj_put(e, "flavour", n1_rj_str(in[i].flavour), &bad);
        n1_rj_put(e, "status", json_string(n1_input_status_name(in[i].status)),
                  &bad);
        n1_rj_put(e, "events", json_integer((json_int_t)in[i].events), &bad);
        n1_rj_put(e, "skipped", json_integer((json_int_t)in[i].skipped), &bad);
        n1_rj_push(inputs, e, &bad);
    }
    if (bad) {
        json_decref(inputs);
        return NULL;
    }
    return inputs;
}

/* ---- text report ------------------------------------------------------- */

/* Where the values of a labelled line start ("    keys        "). */
#define LABEL_COL 16

/* Writes n bytes of s with control characters shown as '?'. */
static void put_masked(FILE *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];

        fputc(ch < 0x20 || ch == 0x7f ? '?' : ch, out);
    }
}

/* Writes n bytes of s with control characters shown as '?' (keep_nl:
   newlines and tabs pass), so log text cannot drive the terminal. */
static void put_clean_n(FILE *out, const char *s, size_t n, int keep_nl)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (ch == '\n' || ch == '\t' || ch == '\r') {
            fputc(keep_nl && ch != '\r' ? ch : ' ', out);
        } else if (ch < 0x20 || ch == 0x7f) {
            fputc('?', out);
        } else {
            fputc(ch, out);
        }
    }
}

void n1_rf_put_clean(FILE *out, const char *s, int keep_nl)
{
    put_clean_n(out, s, strlen(s), keep_nl);
}

/* The longest start of s[0..n) of at most room bytes that does not end
   inside a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t n, size_t room)
{
    size_t cut = room;

    if (n <= room) {
        return n;
    }
    while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80) {
        cut--;
    }
    return cut;
}

static void new_line(FILE *out, size_t indent)
{
    fprintf(out, "\n%*s", (int)indent, "");
}

/* Writes text as a paragraph wrapped at WRAP_COLUMNS, every line after
   the first indented by indent spaces (the first starts at col), and a
   newline. A word longer than a line (a path, a hex run) is cut where the
   line ends, so no line is longer than WRAP_COLUMNS. */
static void put_wrapped(FILE *out, const char *text, size_t col, size_t indent)
{
    const char *p = text + strspn(text, " ");
    int fresh = col <= indent; /* nothing written on this line yet */

    while (*p != '\0') {
        size_t w = strcspn(p, " ");

        if (!fresh && col + 1 + w > WRAP_COLUMNS) {
            new_line(out, indent);
            col = indent;
            fresh = 1;
        } else if (!fresh) {
            fputc(' ', out);
            col++;
        }
        while (w > 0) {
            size_t room = col < WRAP_COLUMNS ? WRAP_COLUMNS - col : 0;
            size_t take = utf8_cut(p, w, room);

            if (take == 0 && !fresh) {
                new_line(out, indent);
                col = indent;
                fresh = 1;
                continue;
            }
            take = take > 0 ? take : w; /* no room even on a fresh line */
            put_masked(out, p, take);
            col += take;
            p += take;
            w -= take;
            fresh = 0;
            if (w > 0) {
                new_line(out, indent);
                col = indent;
                fresh = 1;
            }
        }
        p += strspn(p, " ");
    }
    fputc('\n', out);
}

/* put_wrapped() of a printf-formatted text. */
static void put_wrappedf(FILE *out, size_t col, size_t indent, const char *fmt,
                         ...) __attribute__((format(printf, 4, 5)));

static void put_wrappedf(FILE *out, size_t col, size_t indent, const char *fmt,
                         ...)
{
    char small[256];
    char *big = NULL;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        small[0] = '\0';
    } else if ((size_t)n >= sizeof(small)) {
        /* Out of memory: the start of the text is better than nothing. */
        big = malloc((size_t)n + 1);
        if (big != NULL) {
            va_start(ap, fmt);
            vsnprintf(big, (size_t)n + 1, fmt, ap);
            va_end(ap);
        }
    }
    put_wrapped(out, big != NULL ? big : small, col, indent);
    free(big);
}

size_t n1_rf_put_path(FILE *out, const char *path, size_t max)
{
    size_t len = strlen(path);
    const char *slash = strrchr(path, '/');
    const char *name = slash != NULL ? slash + 1 : path;
    size_t nlen = strlen(name);
    size_t head;

    if (len <= max) {
        put_masked(out, path, len);
        return len;
    }
    if (nlen + 4 > max) {
        /* The file name alone is too long: "..." and its end. */
        const char *tail = path + len - (max > 3 ? max - 3 : 0);

        while (*tail != '\0' && ((unsigned char)*tail & 0xc0) == 0x80) {
            tail++;
        }
        fputs("...", out);
        put_masked(out, tail, strlen(tail));
        return 3 + strlen(tail);
    }
    /* The start of the directory, cut after a '/' when one is in reach,
       then ".../" and the file name. */
    head = utf8_cut(path, len, max - 4 - nlen);
    for (size_t i = head; i > 0; i--) {
        if (path[i - 1] == '/') {
            head = i;
            break;
        }
    }
    put_masked(out, path, head);
    fputs(".../", out);
    put_masked(out, name, nlen);
    return head + 4 + nlen;
}

static const char *kind_title(enum n1_finding_kind k)
{
    switch (k) {
    case N1_FIND_N_PLUS_ONE:
        return "N+1 loop";
    case N1_FIND_DUPLICATE:
        return "duplicate statement";
    case N1_FIND_FANOUT:
        return "fan-out over connections";
    case N1_FIND_KIND_COUNT:
        break;
    }
    return "finding";
}

static const char *or_unknown(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : "?";
}

static void text_keys(FILE *out, const struct n1_finding *f)
{
    struct n1_strbuf sb;
    char n[64];

    fputs("    keys        ", out);
    if (f->kind == N1_FIND_DUPLICATE) {
        fputs("none: the same values every time\n", out);
        return;
    }
    n1_strbuf_init(&sb, 0);
    for (size_t i = 0; i < f->n_key_columns; i++) {
        n1_strbuf_puts(&sb, i > 0 ? ", " : "");
        n1_strbuf_puts(&sb, f->key_columns[i]);
    }
    if (f->n_key_columns == 0) {
        n1_strbuf_puts(&sb, "(not identified)");
    }
    snprintf(n, sizeof(n), "; %" PRIu64 " distinct value%s", f->distinct_keys,
             f->distinct_keys == 1 ? "" : "s");
    n1_strbuf_puts(&sb, n);
    put_wrapped(out, n1_strbuf_str(&sb), LABEL_COL, LABEL_COL);
    n1_strbuf_cleanup(&sb);
}

static void text_connections(FILE *out, const struct n1_finding *f,
                             const struct n1_rf_class_text *x)
{
    struct n1_strbuf sb;
    char n[48];

    if (x != NULL && x->many) {
        fprintf(out, "    connections %zu distinct\n", x->connections);
        return;
    }
    if (f->kind != N1_FIND_FANOUT) {
        fprintf(out, "    connection  %" PRIu64 "\n", f->connection);
        return;
    }
    n1_strbuf_init(&sb, 0);
    snprintf(n, sizeof(n), "%zu:", f->n_connections);
    n1_strbuf_puts(&sb, n);
    for (size_t i = 0; i < f->n_connections; i++) {
        if (i == 16 && f->n_connections > 20) {
            snprintf(n, sizeof(n), " ... (%zu more)", f->n_connections - i);
            n1_strbuf_puts(&sb, n);
            break;
        }
        snprintf(n, sizeof(n), " %" PRIu64, f->connections[i]);
        n1_strbuf_puts(&sb, n);
    }
    fputs("    connections ", out);
    put_wrapped(out, n1_strbuf_str(&sb), LABEL_COL, LABEL_COL);
    n1_strbuf_cleanup(&sb);
}

static void text_parent(FILE *out, const struct n1_finding *f)
{
    char phex[17];
    char rows[48] = "";

    hex64(f->parent_fingerprint, phex);
    if (!isnan(f->parent_rows_sent)) {
        snprintf(rows, sizeof(rows), ", %.0f rows sent", f->parent_rows_sent);
    }
    fputs("    parent      ", out);
    put_wrappedf(out, LABEL_COL, LABEL_COL, "SELECT on %s (fingerprint %s%s)",
                 or_unknown(f->parent_table), phex, rows);
}

/* The log file and line of the first execution, the file shortened to
   fit; the first and last time on a line of their own. */
static void text_seen(FILE *out, const struct n1_finding *f)
{
    char ln[24];
    char a[ISO_LEN];
    char b[ISO_LEN];
    int n = snprintf(ln, sizeof(ln), ":%lu", f->line);

    fputs("    seen        ", out);
    n1_rf_put_path(out, f->file != NULL ? f->file : "",
                   WRAP_COLUMNS - LABEL_COL - (size_t)n);
    fprintf(out, "%s\n", ln);
    if (f->first_seen_us != N1_TS_NONE && f->last_seen_us != N1_TS_NONE) {
        n1_rf_iso_time(f->first_seen_us, a);
        n1_rf_iso_time(f->last_seen_us, b);
        fprintf(out, "%*s%s .. %s\n", LABEL_COL, "", a, b);
    }
}

/* The source location (a path, shortened to fit) and the tags. */
static void text_location(FILE *out, const struct n1_finding *f)
{
    struct n1_strbuf sb;
    size_t col = LABEL_COL;

    fputs("    location    ", out);
    col += n1_rf_put_path(out, f->location != NULL ? f->location : "-",
                          WRAP_COLUMNS - LABEL_COL);
    n1_strbuf_init(&sb, 0);
    for (size_t i = 0; i < f->n_tags; i++) {
        n1_strbuf_puts(&sb, i == 0 ? "(" : ", ");
        n1_strbuf_puts(&sb, f->tags[i].key);
        n1_strbuf_putc(&sb, '=');
        n1_strbuf_puts(&sb, f->tags[i].value);
    }
    n1_strbuf_puts(&sb, f->n_tags > 0 ? ")" : "");
    put_wrapped(out, n1_strbuf_str(&sb), col, LABEL_COL);
    n1_strbuf_cleanup(&sb);
}

static void text_cost(FILE *out, const struct n1_finding *f)
{
    int est;
    double cost = n1_finding_cost(f, &est);
    uint64_t saved = f->round_trips_saved;
    const char *s = f->count == 1 ? "" : "s";

    fputs("    cost        ", out);
    if (est) {
        put_wrappedf(out, LABEL_COL, LABEL_COL,
                     "%" PRIu64 " round trip%s; %.3f s at %g ms each (no "
                     "timings in the log)",
                     f->count, s, cost, N1_REPORT_RTT_S * 1000);
    } else {
        put_wrappedf(out, LABEL_COL, LABEL_COL,
                     "%" PRIu64 " round trip%s; %.6f s server time", f->count,
                     s, cost);
    }
    fprintf(out, "%*s", LABEL_COL, "");
    put_wrappedf(out, LABEL_COL, LABEL_COL,
                 "the fix saves %" PRIu64 " round trip%s", saved,
                 saved == 1 ? "" : "s");
}

/* One execution as logged, whole: on the label's line when it fits,
   else indented on the next. */
static void text_statement(FILE *out, const char *sql)
{
    if (LABEL_COL + strlen(sql) <= WRAP_COLUMNS) {
        fputs("    statement   ", out);
    } else {
        fprintf(out, "    statement\n%*s", LABEL_COL, "");
    }
    n1_rf_put_clean(out, sql, 0);
    fputc('\n', out);
}

/* A rewrite longer than this (a screenful) shows the ends of its longest
   list only, unless --full. */
#define REWRITE_SCREENFUL (24 * 80)
#define LIST_KEEP         3  /* items kept at each end of a shortened list */
#define LIST_DEPTH        32 /* parentheses followed when looking for lists */

/* Offset just past the quoted string or identifier that starts at s[i]. */
static size_t skip_quoted(const char *s, size_t i)
{
    char q = s[i++];

    while (s[i] != '\0' && s[i] != q) {
        i += s[i] == '\\' && q != '`' && s[i + 1] != '\0' ? 2 : 1;
    }
    return s[i] == q ? i + 1 : i;
}

/* The list of sql with the most comma-separated items, outside quotes:
   the items of one parenthesised group (an IN list, a row) or those of
   the statement itself (the rows after VALUES, the first holding the
   statement's start). Sets *start to where its items begin. */
static size_t longest_list(const char *sql, size_t *start)
{
    size_t open[LIST_DEPTH] = {0};
    size_t commas[LIST_DEPTH] = {0};
    size_t depth = 0;
    size_t best = 0;

    for (size_t i = 0; sql[i] != '\0';) {
        if (sql[i] == '\'' || sql[i] == '"' || sql[i] == '`') {
            i = skip_quoted(sql, i);
            continue;
        }
        if (sql[i] == '(' && ++depth < LIST_DEPTH) {
            open[depth] = i + 1;
            commas[depth] = 0;
        } else if (sql[i] == ')' && depth > 0) {
            if (depth < LIST_DEPTH && commas[depth] + 1 > best) {
                best = commas[depth] + 1;
                *start = open[depth];
            }
            depth--;
        } else if (sql[i] == ',' && depth < LIST_DEPTH) {
            commas[depth]++;
        }
        i++;
    }
    if (commas[0] + 1 > best) {
        best = commas[0] + 1;
        *start = 0;
    }
    return best;
}

/* Offset of the n-th comma (from 1) of the list whose items begin at
   start, or 0 when it has fewer. */
static size_t nth_comma(const char *sql, size_t start, size_t n)
{
    size_t depth = 0;

    for (size_t i = start; sql[i] != '\0';) {
        if (sql[i] == '\'' || sql[i] == '"' || sql[i] == '`') {
            i = skip_quoted(sql, i);
            continue;
        }
        if (sql[i] == '(') {
            depth++;
        } else if (sql[i] == ')' && depth-- == 0) {
            return 0;
        } else if (sql[i] == ',' && depth == 0 && --n == 0) {
            return i;
        }
        i++;
    }
    return 0;
}

/* The rewrite with its longest list cut to its first and last LIST_KEEP
   items and "... N more ..." between them: not SQL any more, so that
   nobody runs it by mistake. Returns 0, or -1 when it is short enough to
   print whole. */
static int put_rewrite_short(FILE *out, const struct n1_finding *f,
                             size_t items, size_t start)
{
    const char *sql = f->rewrite;
    size_t cut = nth_comma(sql, start, LIST_KEEP);
    size_t resume = nth_comma(sql, start, items - LIST_KEEP);
    uint64_t keys = f->distinct_keys;
    char cover[160] = "";

    if (cut == 0 || resume <= cut) {
        return -1;
    }
    if (keys > items) {
        snprintf(cover, sizeof(cover),
                 ", covering %zu of the %" PRIu64 " keys (batch the others "
                 "the same way, see advice)",
                 items, keys);
    }
    fputs("    rewrite     ", out);
    put_wrappedf(out, LABEL_COL, LABEL_COL,
                 "%s of %zu values%s; --full or --format json prints the "
                 "whole statement; shortened here, not for pasting:",
                 f->rewrite_kind != NULL ? f->rewrite_kind : "batched", items,
                 cover);
    fputc('\n', out);
    put_clean_n(out, sql, cut + 1, 1);
    fprintf(out, " ... %zu more ...,", items - 2 * LIST_KEEP);
    n1_rf_put_clean(out, sql + resume + 1, 1);
    fputs("\n\n", out);
    return 0;
}

static void text_rewrite(FILE *out, const struct n1_finding *f, int full)
{
    size_t len;
    size_t start = 0;
    size_t items;

    if (f->rewrite == NULL) {
        if (f->rewrite_kind != NULL) {
            fputs("    rewrite     ", out);
            put_wrappedf(out, LABEL_COL, LABEL_COL,
                         "%s (no statement to paste; see advice)",
                         f->rewrite_kind);
        }
        return;
    }
    len = strlen(f->rewrite);
    if (!full && len > REWRITE_SCREENFUL) {
        items = longest_list(f->rewrite, &start);
        if (items > 3 * LIST_KEEP &&
            put_rewrite_short(out, f, items, start) == 0) {
            return;
        }
    }
    fprintf(out, "    rewrite     %s, ready to paste:\n\n",
            f->rewrite_kind != NULL ? f->rewrite_kind : "batched");
    n1_rf_put_clean(out, f->rewrite, 1);
    fputs(len > 0 && f->rewrite[len - 1] == ';' ? "\n\n" : ";\n\n", out);
}

void n1_rf_text_finding(FILE *out, size_t rank, const struct n1_finding *f,
                        const struct n1_rf_class_text *x)
{
    char hex[17];
    char fhex[17];

    put_wrappedf(out, 0, 4, "[%zu] %s (%s): %s on %s, %" PRIu64 " times", rank,
                 kind_title(f->kind), n1_severity_name(f->severity),
                 f->statement != NULL ? f->statement : "", or_unknown(f->table),
                 f->count);
    text_keys(out, f);
    text_connections(out, f, x);
    if (f->has_parent) {
        text_parent(out, f);
    }
    text_seen(out, f);
    if (x != NULL && x->summary != NULL) {
        x->summary(out, x->ud);
    }
    if (f->location != NULL || f->n_tags > 0) {
        text_location(out, f);
    }
    text_cost(out, f);
    if (f->sample != NULL) {
        text_statement(out, f->sample);
    }
    hex64(f->id, hex);
    hex64(f->fingerprint, fhex);
    fprintf(out, "    id          %s (fingerprint %s)\n", hex, fhex);
    text_rewrite(out, f, x != NULL && x->full);
    if (f->advice != NULL && f->advice[0] != '\0') {
        fputs("    advice      ", out);
        put_wrapped(out, f->advice, LABEL_COL, LABEL_COL);
    }
    fputc('\n', out);
}

void n1_rf_text_header(FILE *out, size_t n, const size_t *per_kind, size_t n_in)
{
    if (n == 0) {
        put_wrappedf(out, 0, 0,
                     "No N+1 loops, duplicates or fan-outs found in %zu "
                     "input%s.",
                     n_in, n_in == 1 ? "" : "s");
        return;
    }
    put_wrappedf(out, 0, 0,
                 "%zu finding class%s in %zu input%s (%zu n_plus_one, %zu "
                 "duplicate, %zu fanout),",
                 n, n == 1 ? "" : "es", n_in, n_in == 1 ? "" : "s",
                 per_kind[N1_FIND_N_PLUS_ONE], per_kind[N1_FIND_DUPLICATE],
                 per_kind[N1_FIND_FANOUT]);
    fputs("most costly first.\n\n", out);
}

int n1_rf_text_footer(FILE *out, size_t n, const struct n1_report_input *in,
                      size_t n_in, struct n1_error *err)
{
    size_t already = 0;

    for (size_t i = 0; i < n_in; i++) {
        already += in[i].status == N1_INPUT_ALREADY_READ;
    }
    if (already > 0) {
        put_wrappedf(out, 0, 0,
                     "%zu input%s had been read by an earlier run: %s "
                     "findings come from the store.",
                     already, already == 1 ? "" : "s",
                     already == 1 ? "its" : "their");
    }
    if (n > 0) {
        fprintf(out,
                "Cost is the server time the log recorded; without "
                "timings (general logs)\nit is count x %g ms per round "
                "trip.\n",
                N1_REPORT_RTT_S * 1000);
    }
    if (fflush(out) != 0 || ferror(out)) {
        n1_err_set(err, N1_ESYS, NULL, 0, "writing the report: output failed");
        return -1;
    }
    return 0;
}
