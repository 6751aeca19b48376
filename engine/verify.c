/* SPDX-License-Identifier: MIT */
/*
 * verify.c: the pure parts of `n1digest verify` (verify.h): reading an
 * analyze JSON report into targets, the safety classification of a
 * statement, rows as comparable text, the EXPLAIN judgement and the
 * CREATE INDEX advice.
 *
 * The report is untrusted: every member is checked for its type, a
 * missing or odd one makes the class a target that is skipped later (or
 * leaves it out), never a crash. Nothing here talks to a server.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/verify.h"
#include "sql/sqlword.h"

/* ---- the report ------------------------------------------------------- */

static const char *str_of(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* The strings of array member key of o into a new array (*n entries);
   non-strings become "". Returns 0, or -1 when memory ran out. */
static int str_array(const json_t *o, const char *key, const char ***out,
                     size_t *n)
{
    const json_t *a = json_object_get(o, key);
    size_t k = json_is_array(a) ? json_array_size(a) : 0;
    const char **v = NULL;

    *out = NULL;
    *n = 0;
    if (k == 0) {
        return 0;
    }
    v = calloc(k, sizeof(*v));
    if (v == NULL) {
        return -1;
    }
    for (size_t i = 0; i < k; i++) {
        const char *s = json_string_value(json_array_get(a, i));

        v[i] = s != NULL ? s : "";
    }
    *out = v;
    *n = k;
    return 0;
}

static int is_hex16(const char *s)
{
    if (s == NULL || strlen(s) != 16) {
        return 0;
    }
    for (size_t i = 0; i < 16; i++) {
        if (!isxdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

static int push_target(struct n1_verify_report *r, size_t *cap,
                       const struct n1_verify_target *t)
{
    if (r->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        struct n1_verify_target *nv = realloc(r->v, nc * sizeof(*nv));

        if (nv == NULL) {
            return -1;
        }
        r->v = nv;
        *cap = nc;
    }
    r->v[r->n++] = *t;
    return 0;
}

/* 1 when occurrence o lists the same rewrite and keys as the class t. */
static int same_as_class(const struct n1_verify_target *t, const json_t *o)
{
    const char *rw = str_of(o, "rewrite");
    const json_t *keys = json_object_get(o, "keys");

    if ((rw == NULL) != (t->rewrite == NULL) ||
        (rw != NULL && strcmp(rw, t->rewrite) != 0)) {
        return 0;
    }
    if (json_array_size(keys) != t->n_keys) {
        return 0;
    }
    for (size_t i = 0; i < t->n_keys; i++) {
        const char *k = json_string_value(json_array_get(keys, i));

        if (k == NULL || strcmp(k, t->keys[i]) != 0) {
            return 0;
        }
    }
    return 1;
}

/* The class target of c into *t. Returns 0, 1 to leave the class out,
   -1 when memory ran out. */
static int class_target(const json_t *c, const char *only,
                        struct n1_verify_target *t)
{
    const char *id = str_of(c, "id");

    memset(t, 0, sizeof(*t));
    if (!is_hex16(id) || (only != NULL && strcasecmp(id, only) != 0)) {
        return 1;
    }
    t->kind = str_of(c, "kind");
    if (t->kind == NULL || strcmp(t->kind, "duplicate") == 0) {
        return 1;
    }
    snprintf(t->id, sizeof(t->id), "%s", id);
    t->statement = str_of(c, "statement");
    t->table = str_of(c, "table");
    t->fp_text = str_of(c, "fingerprint_text");
    t->sample = str_of(c, "sample");
    t->rewrite = str_of(c, "rewrite");
    t->rewrite_kind = str_of(c, "rewrite_kind");
    t->parent_sql = str_of(json_object_get(c, "parent"), "sql");
    t->parent_table = str_of(json_object_get(c, "parent"), "table");
    if (t->statement == NULL) {
        t->statement = "other";
    }
    if (t->table == NULL) {
        t->table = "";
    }
    if (str_array(c, "key_columns", &t->key_columns, &t->n_key_columns) < 0 ||
        str_array(c, "keys", &t->keys, &t->n_keys) < 0) {
        free(t->key_columns);
        return -1;
    }
    return 0;
}

/* The class's target and those of its occurrences that differ. */
static int add_class(struct n1_verify_report *r, size_t *cap, const json_t *c,
                     const char *only)
{
    const json_t *occs = json_object_get(c, "occurrences");
    struct n1_verify_target t;
    int rc = class_target(c, only, &t);

    if (rc != 0) {
        return rc > 0 ? 0 : -1;
    }
    if (push_target(r, cap, &t) < 0) {
        free(t.key_columns);
        free(t.keys);
        return -1;
    }
    for (size_t i = 0; json_is_array(occs) && i < json_array_size(occs); i++) {
        const json_t *o = json_array_get(occs, i);
        struct n1_verify_target ot = t;

        if (!json_is_object(o) || same_as_class(&t, o)) {
            continue;
        }
        ot.rewrite = str_of(o, "rewrite");
        ot.occurrence = (int)i + 1;
        ot.key_columns = NULL;
        if (str_array(o, "keys", &ot.keys, &ot.n_keys) < 0) {
            return -1;
        }
        /* Each target owns its arrays: copy the columns. */
        if (t.n_key_columns > 0) {
            ot.key_columns = calloc(t.n_key_columns, sizeof(char *));
            if (ot.key_columns == NULL) {
                free(ot.keys);
                return -1;
            }
            memcpy(ot.key_columns, t.key_columns,
                   t.n_key_columns * sizeof(char *));
        }
        if (push_target(r, cap, &ot) < 0) {
            free(ot.key_columns);
            free(ot.keys);
            return -1;
        }
    }
    return 0;
}

int n1_verify_report_parse(const char *text, size_t len, const char *name,
                           const char *only, struct n1_verify_report *out,
                           struct n1_error *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    const json_t *classes = json_object_get(root, "classes");
    size_t cap = 0;

    memset(out, 0, sizeof(*out));
    if (root == NULL) {
        n1_err_set(err, N1_EPARSE, name, (unsigned long)jerr.line,
                   "not JSON: %s", jerr.text);
        return -1;
    }
    out->doc = root;
    if (!json_is_array(classes)) {
        n1_err_set(err, N1_EPARSE, name, 0,
                   "not an analyze JSON report: no \"classes\" array "
                   "(make it with n1digest analyze --format json)");
        n1_verify_report_cleanup(out);
        return -1;
    }
    for (size_t i = 0; i < json_array_size(classes); i++) {
        const json_t *c = json_array_get(classes, i);

        if (json_is_object(c) && add_class(out, &cap, c, only) < 0) {
            n1_verify_report_cleanup(out);
            n1_err_oom(err, "reading the report");
            return -1;
        }
    }
    return 0;
}

void n1_verify_report_cleanup(struct n1_verify_report *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].key_columns);
        free(r->v[i].keys);
    }
    free(r->v);
    json_decref(r->doc);
    memset(r, 0, sizeof(*r));
}

/* ---- safety ----------------------------------------------------------- */

/* The words of a statement, lower-cased, outside quotes and comments. */
struct words {
    char w[64][24]; /* the first 64 words (each cut to 23 bytes) */
    size_t n;
    int more_statements; /* text after a ';' */
    char calls[32][24];  /* words directly followed by '(' */
    size_t n_calls;
};

/* Skips a comment at s[i], when there is one; returns the index after
   it, or i. A MySQL executable comment (slash-star-bang) is code: only
   its opening is skipped. */
static size_t skip_comment(const char *s, size_t i)
{
    if (s[i] == '#' || (s[i] == '-' && s[i + 1] == '-' &&
                        (s[i + 2] == ' ' || s[i + 2] == '\t'))) {
        while (s[i] != '\0' && s[i] != '\n') {
            i++;
        }
        return i;
    }
    if (s[i] == '/' && s[i + 1] == '*') {
        if (s[i + 2] == '!' || s[i + 2] == 'M') {
            i += 3;
            while (isdigit((unsigned char)s[i])) {
                i++;
            }
            return i;
        }
        i += 2;
        while (s[i] != '\0' && !(s[i] == '*' && s[i + 1] == '/')) {
            i++;
        }
        return s[i] != '\0' ? i + 2 : i;
    }
    return i;
}

static int word_char(char c)
{
    return n1_sqlword_byte((unsigned char)c);
}

static void add_word(struct words *w, const char *s, size_t len, int call)
{
    char buf[24];
    size_t n = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;

    for (size_t i = 0; i < n; i++) {
        buf[i] = (char)tolower((unsigned char)s[i]);
    }
    buf[n] = '\0';
    if (w->n < 64) {
        memcpy(w->w[w->n++], buf, n + 1);
    }
    if (call && w->n_calls < 32) {
        memcpy(w->calls[w->n_calls++], buf, n + 1);
    }
}

static void scan_words(const char *s, struct words *w)
{
    size_t i = 0;

    memset(w, 0, sizeof(*w));
    while (s[i] != '\0') {
        size_t j = skip_comment(s, i);

        if (j != i) {
            i = j;
        } else if (s[i] == '\'' || s[i] == '"' || s[i] == '`') {
            i = n1_sqlword_skip_quoted(s, i);
        } else if (s[i] == ';') {
            for (i++; isspace((unsigned char)s[i]) || s[i] == ';'; i++) {
            }
            w->more_statements |= s[i] != '\0';
        } else if (word_char(s[i]) && (i == 0 || !word_char(s[i - 1]))) {
            size_t k = i;
            size_t e;

            while (word_char(s[k])) {
                k++;
            }
            for (e = k; isspace((unsigned char)s[e]); e++) {
            }
            add_word(w, s + i, k - i, s[e] == '(');
            i = k;
        } else {
            i++;
        }
    }
}

static int has_word(const struct words *w, const char *word)
{
    for (size_t i = 0; i < w->n; i++) {
        if (strcmp(w->w[i], word) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Functions with an effect outside the statement. */
static const char *const bad_calls[][2] = {
    {"get_lock", "GET_LOCK takes a named server lock"},
    {"release_lock", "RELEASE_LOCK releases a named server lock"},
    {"release_all_locks", "RELEASE_ALL_LOCKS releases named server locks"},
    {"sleep", "SLEEP holds the connection"},
    {"benchmark", "BENCHMARK burns server time"},
    {"load_file", "LOAD_FILE reads a file on the server"},
    {"nextval", "NEXTVAL advances a sequence"},
    {"setval", "SETVAL changes a sequence"},
    {"master_pos_wait", "MASTER_POS_WAIT waits on replication"},
    {"source_pos_wait", "SOURCE_POS_WAIT waits on replication"},
};

/* Statements refused whatever the options, by their first word. */
static const char *const bad_first[][2] = {
    {"set", "SET changes the session or the server (SET GLOBAL)"},
    {"call", "CALL runs a stored procedure, whose effects are unknown"},
    {"create", "DDL (CREATE)"},
    {"alter", "DDL (ALTER)"},
    {"drop", "DDL (DROP)"},
    {"truncate", "DDL (TRUNCATE)"},
    {"rename", "DDL (RENAME)"},
    {"grant", "GRANT changes privileges"},
    {"revoke", "REVOKE changes privileges"},
    {"lock", "LOCK TABLES"},
    {"unlock", "UNLOCK TABLES"},
    {"load", "LOAD DATA or LOAD XML reads files into tables"},
    {"handler", "HANDLER"},
    {"do", "DO runs expressions for their effects"},
    {"flush", "FLUSH"},
    {"kill", "KILL"},
    {"install", "INSTALL"},
    {"shutdown", "SHUTDOWN"},
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

const char *n1_verify_refusal(const char *sql, int allow_writes)
{
    struct words w;
    const char *first;

    if (sql == NULL) {
        return "no statement";
    }
    scan_words(sql, &w);
    if (w.more_statements) {
        return "more than one statement";
    }
    if (w.n == 0) {
        return "no statement";
    }
    first = w.w[0];
    for (size_t i = 0; i < COUNT_OF(bad_first); i++) {
        if (strcmp(first, bad_first[i][0]) == 0) {
            return bad_first[i][1];
        }
    }
    for (size_t i = 0; i < w.n_calls; i++) {
        for (size_t k = 0; k < COUNT_OF(bad_calls); k++) {
            if (strcmp(w.calls[i], bad_calls[k][0]) == 0) {
                return bad_calls[k][1];
            }
        }
    }
    if (has_word(&w, "outfile") || has_word(&w, "dumpfile")) {
        return "INTO OUTFILE or DUMPFILE writes a file on the server";
    }
    if (strcmp(first, "insert") == 0 || strcmp(first, "update") == 0 ||
        strcmp(first, "delete") == 0 || strcmp(first, "replace") == 0) {
        return allow_writes ? NULL
                            : "it writes data: run with --allow-writes to "
                              "check it in a transaction that is rolled back";
    }
    if (strcmp(first, "with") == 0 &&
        (has_word(&w, "insert") || has_word(&w, "update") ||
         has_word(&w, "delete") || has_word(&w, "replace"))) {
        return "WITH ... around a write";
    }
    if (strcmp(first, "select") != 0 && strcmp(first, "with") != 0) {
        return "not a SELECT";
    }
    if (has_word(&w, "into")) {
        return "SELECT ... INTO writes a file or variables";
    }
    return NULL;
}
