/* SPDX-License-Identifier: MIT */
/*
 * finding_json.c: the members of a finding as JSON, written either into a
 * jansson tree or straight into text.
 *
 * Each member of a finding object (docs/findings.schema.json) is defined
 * once, in put_member(), which writes it through a small writer with two
 * backends: a jansson tree, which the reports that print findings among
 * other things build on, and text, which is what the store keeps of every
 * finding (its compact JSON and its occurrence text) and which costs a
 * fraction of building a tree, dumping it and freeing it. Lists of members
 * pick and order them for each object (all of them, in their order, for
 * the store). The text is byte for byte what n1_rj_dumps() writes of
 * the tree: same escaping, same repair of text that is not UTF-8, same
 * reals (JSON_REAL_PRECISION(15)), same indentation. Nothing here decides
 * which findings are written or where.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/textutil.h"
#include "base/timeutil.h"
#include "report/findings_int.h"
#include "report/json_int.h"
#include "sql/fingerprint.h"

/* Containers open at once: the object, evidence, its "body". */
#define DEPTH_MAX 4

/* Digits of the reals the reports write (N1_RF_DUMP_*). */
#define REAL_PRECISION 15

/* Where the members go: a jansson tree when b is NULL, else text. */
struct emit {
    json_t *tree[DEPTH_MAX]; /* tree: the open containers (borrowed) */
    struct n1_rj_buf *b;     /* text: the bytes; NULL for a tree */
    int indent;              /* text: -1 compact, else indented by two and
                                every line after the first by indent */
    size_t n[DEPTH_MAX];     /* text: items in each open container */
    char close[DEPTH_MAX];   /* text: '}' or ']' of each */
    int depth;               /* the innermost open container */
    int bad;                 /* 1: out of memory or a value refused */
};

/* ---- the writer -------------------------------------------------------- */

/* Puts v (a new reference, NULL when it could not be made) under key
   into the innermost container, or appends it to an array. */
static void tree_put(struct emit *e, const char *key, json_t *v)
{
    json_t *c = e->tree[e->depth];

    if (json_is_array(c)) {
        n1_rj_push(c, v, &e->bad);
    } else {
        n1_rj_put(c, key, v, &e->bad);
    }
}

/* A line break and the indentation of depth, in pretty text. */
static void text_break(struct emit *e, int depth)
{
    n1_rj_buf_break(e->b, (size_t)e->indent + 2 * (size_t)depth);
}

/* What goes before an item of the innermost container: the comma, the
   line break, and the key of an object's member (NULL in an array): one
   of our member names, which need no escaping. */
static void text_item(struct emit *e, const char *key)
{
    if (e->n[e->depth]++ > 0) {
        n1_rj_buf_add(e->b, ",", 1);
    }
    if (e->indent >= 0) {
        text_break(e, e->depth + 1);
    }
    if (key == NULL) {
        return;
    }
    n1_rj_buf_add(e->b, "\"", 1);
    n1_rj_buf_add(e->b, key, strlen(key));
    n1_rj_buf_add(e->b, "\": ", e->indent >= 0 ? 3 : 2);
}

/* The text of a string from a log, repaired; null when s is NULL. */
static void text_str(struct emit *e, const char *s)
{
    if (s == NULL) {
        n1_rj_buf_add(e->b, "null", 4);
    } else {
        n1_rj_buf_str(e->b, s, strlen(s), 1);
    }
}

static void e_null(struct emit *e, const char *key)
{
    if (e->b == NULL) {
        tree_put(e, key, json_null());
        return;
    }
    text_item(e, key);
    n1_rj_buf_add(e->b, "null", 4);
}

static void e_bool(struct emit *e, const char *key, int v)
{
    if (e->b == NULL) {
        tree_put(e, key, json_boolean(v));
        return;
    }
    text_item(e, key);
    n1_rj_buf_add(e->b, v ? "true" : "false", v ? 4 : 5);
}

static void e_int(struct emit *e, const char *key, json_int_t v)
{
    if (e->b == NULL) {
        tree_put(e, key, json_integer(v));
        return;
    }
    text_item(e, key);
    n1_rj_buf_int(e->b, v);
}

/* A real; NaN and infinities are refused, as json_real() refuses them. */
static void e_real(struct emit *e, const char *key, double v)
{
    if (e->b == NULL) {
        tree_put(e, key, json_real(v));
        return;
    }
    if (!isfinite(v)) {
        e->bad = 1;
        return;
    }
    text_item(e, key);
    n1_rj_buf_real(e->b, v, REAL_PRECISION);
}

/* Text of our own that needs no escaping: names, hex ids, times. */
static void e_plain(struct emit *e, const char *key, const char *s)
{
    if (e->b == NULL) {
        tree_put(e, key, json_string(s));
        return;
    }
    text_item(e, key);
    n1_rj_buf_add(e->b, "\"", 1);
    n1_rj_buf_add(e->b, s, strlen(s));
    n1_rj_buf_add(e->b, "\"", 1);
}

/* Text from a log, repaired as n1_rj_str() does; null when s is NULL. */
static void e_str(struct emit *e, const char *key, const char *s)
{
    if (e->b == NULL) {
        tree_put(e, key, n1_rj_str(s));
        return;
    }
    text_item(e, key);
    text_str(e, s);
}

/* As e_str(), but the empty string when s is NULL (n1_rj_str0()). */
static void e_str0(struct emit *e, const char *key, const char *s)
{
    e_str(e, key, s != NULL ? s : "");
}

static void e_hex(struct emit *e, const char *key, uint64_t v)
{
    char hex[17];

    n1_fingerprint_hex(v, hex);
    e_plain(e, key, hex);
}

/* A UTC time as the reports write it, or null for N1_TS_NONE. */
static void e_time(struct emit *e, const char *key, int64_t us)
{
    char buf[N1_TS_ISO_MAX];

    if (us == N1_TS_NONE) {
        e_null(e, key);
        return;
    }
    n1_rf_iso_time(us, buf);
    e_plain(e, key, buf);
}

/* Opens an object (obj 1) or an array under key; e_close() ends it. */
static void e_open(struct emit *e, const char *key, int obj)
{
    json_t *c = NULL;
    int was_bad = e->bad;

    if (e->b == NULL) {
        c = obj ? json_object() : json_array();
        e->bad = 0;
        tree_put(e, key, c);
        /* A failed put released c: nothing goes into it then. */
        e->tree[++e->depth] = e->bad ? NULL : c;
        e->bad |= was_bad;
        return;
    }
    text_item(e, key);
    n1_rj_buf_add(e->b, obj ? "{" : "[", 1);
    e->depth++;
    e->n[e->depth] = 0;
    e->close[e->depth] = obj ? '}' : ']';
}

static void e_close(struct emit *e)
{
    if (e->b != NULL) {
        if (e->n[e->depth] > 0 && e->indent >= 0) {
            text_break(e, e->depth);
        }
        n1_rj_buf_add(e->b, &e->close[e->depth], 1);
    }
    e->depth--;
}

/* ---- the members ------------------------------------------------------- */

/* An array of strings from a log (key columns, keys). */
static void put_strings(struct emit *e, const char *key, const char *const *v,
                        size_t n)
{
    e_open(e, key, 0);
    for (size_t i = 0; i < n; i++) {
        e_str(e, NULL, v[i]);
    }
    e_close(e);
}

/* "connections" of a fanout, "connection" of any other kind. */
static void put_connection(struct emit *e, const struct n1_finding *f)
{
    if (f->kind != N1_FIND_FANOUT) {
        e_int(e, "connection", (json_int_t)f->connection);
        return;
    }
    e_open(e, "connections", 0);
    for (size_t i = 0; i < f->n_connections; i++) {
        e_int(e, NULL, (json_int_t)f->connections[i]);
    }
    e_close(e);
}

/* "parent": null, or {"fingerprint", "table", "rows_sent"[, "sql"]}. */
static void put_parent(struct emit *e, const struct n1_finding *f)
{
    if (!f->has_parent) {
        e_null(e, "parent");
        return;
    }
    e_open(e, "parent", 1);
    e_hex(e, "fingerprint", f->parent_fingerprint);
    e_str0(e, "table", f->parent_table);
    if (isnan(f->parent_rows_sent)) {
        e_null(e, "rows_sent");
    } else {
        e_real(e, "rows_sent", f->parent_rows_sent);
    }
    if (f->parent_sql != NULL) {
        e_str(e, "sql", f->parent_sql);
    }
    e_close(e);
}

/* 1 when s is UTF-8 throughout, as jansson wants of an object's key. */
static int utf8_ok(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s);

    for (size_t i = 0, k = 0; i < n; i += k) {
        k = n1_utf8_seq(u + i, n - i);
        if (k == 0) {
            return 0;
        }
    }
    return 1;
}

/* The tag f->tags[i] writes in text: NULL when its key cannot be written
   or comes earlier, else the last tag with the key (jansson keeps a key
   where it was first set, with the value it was last set to). */
static const struct n1_kv *tag_to_write(const struct n1_finding *f, size_t i)
{
    const char *key = f->tags[i].key;
    const struct n1_kv *last = &f->tags[i];

    if (key == NULL || !utf8_ok(key)) {
        return NULL;
    }
    for (size_t j = 0; j < f->n_tags; j++) {
        if (j == i || f->tags[j].key == NULL ||
            strcmp(f->tags[j].key, key) != 0) {
            continue;
        }
        if (j < i) {
            return NULL;
        }
        last = &f->tags[j];
    }
    return last;
}

/* "tags": the sqlcommenter tags. A key that is not UTF-8 is dropped:
   object keys cannot be repaired and such a tag identifies nothing. */
static void put_tags(struct emit *e, const struct n1_finding *f)
{
    e_open(e, "tags", 1);
    for (size_t i = 0; i < f->n_tags; i++) {
        const struct n1_kv *t = NULL;

        if (e->b == NULL) {
            json_t *v = n1_rj_str(f->tags[i].value);

            if (v != NULL && e->tree[e->depth] != NULL) {
                (void)json_object_set_new(e->tree[e->depth], f->tags[i].key, v);
            } else {
                json_decref(v);
            }
            continue;
        }
        t = tag_to_write(f, i);
        if (t != NULL) {
            /* Unlike our member names, the key is escaped. */
            text_item(e, NULL);
            n1_rj_buf_str(e->b, t->key, strlen(t->key), 0);
            n1_rj_buf_add(e->b, ": ", e->indent >= 0 ? 2 : 1);
            text_str(e, t->value);
        }
    }
    e_close(e);
}

/* "evidence": why the executions make one occurrence. */
static void put_evidence(struct emit *e, const struct n1_evidence *ev)
{
    e_open(e, "evidence", 1);
    e_plain(e, "starts", n1_boundary_name(ev->starts));
    e_plain(e, "ends", n1_boundary_name(ev->ends));
    e_open(e, "body", 0);
    for (size_t i = 0; i < ev->n_body; i++) {
        e_hex(e, NULL, ev->body[i]);
    }
    e_close(e);
    if (ev->rows_match == 0) {
        e_null(e, "rows_match");
    } else {
        e_bool(e, "rows_match", ev->rows_match > 0);
    }
    e_bool(e, "no_conn_ids", ev->no_conn_ids);
    e_plain(e, "confidence", n1_confidence_name(ev->confidence));
    if (ev->span_us > 0) {
        e_real(e, "span_s", (double)ev->span_us / 1e6);
    } else {
        e_null(e, "span_s");
    }
    e_close(e);
}

/* Counts and the summed time, as numbers. */
static void put_number(struct emit *e, const struct n1_finding *f,
                       enum n1_rf_member m)
{
    switch (m) {
    case N1_RF_COUNT:
        e_int(e, "count", (json_int_t)f->count);
        break;
    case N1_RF_DISTINCT_KEYS:
        e_int(e, "distinct_keys", (json_int_t)f->distinct_keys);
        break;
    case N1_RF_ROUND_TRIPS_SAVED:
        e_int(e, "round_trips_saved", (json_int_t)f->round_trips_saved);
        break;
    case N1_RF_TOTAL_TIME_S:
        /* Microseconds are what the logs resolve; more digits are noise. */
        if (isnan(f->total_time_s)) {
            e_null(e, "total_time_s");
        } else {
            e_real(e, "total_time_s", round(f->total_time_s * 1e6) / 1e6);
        }
        break;
    default: /* LINE */
        e_int(e, "line", (json_int_t)f->line);
        break;
    }
}

/* Member m of f; "keys" only when f has keys. */
static void put_member(struct emit *e, const struct n1_finding *f,
                       enum n1_rf_member m)
{
    switch (m) {
    case N1_RF_ID:
        e_hex(e, "id", f->id);
        break;
    case N1_RF_KIND:
        e_plain(e, "kind", n1_finding_kind_name(f->kind));
        break;
    case N1_RF_SEVERITY:
        e_plain(e, "severity", n1_severity_name(f->severity));
        break;
    case N1_RF_STATEMENT:
        e_str0(e, "statement", f->statement);
        break;
    case N1_RF_TABLE:
        e_str0(e, "table", f->table);
        break;
    case N1_RF_KEY_COLUMNS:
        put_strings(e, "key_columns", f->key_columns, f->n_key_columns);
        break;
    case N1_RF_CONNECTION:
        put_connection(e, f);
        break;
    case N1_RF_FINGERPRINT:
        e_hex(e, "fingerprint", f->fingerprint);
        break;
    case N1_RF_FINGERPRINT_TEXT:
        e_str(e, "fingerprint_text", f->fingerprint_text);
        break;
    case N1_RF_SAMPLE:
        e_str(e, "sample", f->sample);
        break;
    case N1_RF_FIRST_SEEN:
        e_time(e, "first_seen", f->first_seen_us);
        break;
    case N1_RF_LAST_SEEN:
        e_time(e, "last_seen", f->last_seen_us);
        break;
    case N1_RF_PARENT:
        put_parent(e, f);
        break;
    case N1_RF_TAGS:
        put_tags(e, f);
        break;
    case N1_RF_LOCATION:
        e_str(e, "location", f->location);
        break;
    case N1_RF_REWRITE:
        e_str(e, "rewrite", f->rewrite);
        break;
    case N1_RF_REWRITE_KIND:
        e_str(e, "rewrite_kind", f->rewrite_kind);
        break;
    case N1_RF_KEYS:
        if (f->n_keys > 0) {
            put_strings(e, "keys", f->keys, f->n_keys);
        }
        break;
    case N1_RF_ADVICE:
        e_str0(e, "advice", f->advice);
        break;
    case N1_RF_FILE:
        e_str0(e, "file", f->file);
        break;
    case N1_RF_CLASS:
        e_hex(e, "class", f->id);
        break;
    case N1_RF_EVIDENCE:
        put_evidence(e, &f->evidence);
        break;
    default:
        put_number(e, f, m);
        break;
    }
}

/* ---- the objects ------------------------------------------------------- */

/* Member i of the list m, or of every member in order when m is NULL. */
static enum n1_rf_member member_at(const enum n1_rf_member *m, size_t i)
{
    return m != NULL ? m[i] : (enum n1_rf_member)i;
}

json_t *n1_rf_members_object(const struct n1_finding *f,
                             const enum n1_rf_member *m, size_t n)
{
    struct emit e;

    memset(&e, 0, sizeof(e));
    e.tree[0] = json_object();
    e.bad = e.tree[0] == NULL;
    for (size_t i = 0; !e.bad && i < n; i++) {
        put_member(&e, f, member_at(m, i));
    }
    if (e.bad) {
        json_decref(e.tree[0]);
        return NULL;
    }
    return e.tree[0];
}

char *n1_rf_members_text(const struct n1_finding *f, const enum n1_rf_member *m,
                         size_t n, int indent)
{
    struct n1_rj_buf b = {NULL, 0, 0, 0};
    struct emit e;

    memset(&e, 0, sizeof(e));
    e.b = &b;
    e.indent = indent;
    e.close[0] = '}';
    n1_rj_buf_add(&b, "{", 1);
    for (size_t i = 0; !e.bad && i < n; i++) {
        put_member(&e, f, member_at(m, i));
    }
    e_close(&e);
    if (e.bad || b.oom) {
        free(b.p);
        return NULL;
    }
    b.p[b.len] = '\0';
    return b.p;
}
