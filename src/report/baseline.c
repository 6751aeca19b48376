/* SPDX-License-Identifier: MIT */
/*
 * baseline.c: reading and writing the set of accepted findings.
 *
 * Entries live in one array kept sorted by id, each with its strings in
 * a single block, so lookups are binary searches and writing is a walk
 * in order: the JSON file comes out sorted and byte-for-byte the same
 * for the same set, which keeps pull-request diffs to the entries that
 * really changed. A JSON baseline records the fingerprint version its
 * ids were made with; one of another version is refused rather than
 * matching nothing and failing every finding as new. An SQLite baseline
 * is an n1digest store; the store itself refuses another version.
 *
 * This module does not decide what is stale or new; check does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/textutil.h"
#include "report/baseline.h"
#include "report/ci.h"
#include "report/findings.h"
#include "report/json_int.h"
#include "sql/fingerprint.h"
#include "sql/normalize.h"
#include "store/store.h"

/* The first 16 bytes of every SQLite database file. */
static const char sqlite_magic[16] = "SQLite format 3";

struct item {
    struct n1_baseline_entry e; /* strings point into block */
    char *block;                /* owned */
};

struct n1_baseline {
    struct item *v; /* sorted by e.id */
    size_t n;
    size_t cap;
};

struct n1_baseline *n1_baseline_new(void)
{
    return calloc(1, sizeof(struct n1_baseline));
}

void n1_baseline_free(struct n1_baseline *b)
{
    if (b == NULL) {
        return;
    }
    for (size_t i = 0; i < b->n; i++) {
        free(b->v[i].block);
    }
    free(b->v);
    free(b);
}

size_t n1_baseline_count(const struct n1_baseline *b)
{
    return b->n;
}

const struct n1_baseline_entry *n1_baseline_at(const struct n1_baseline *b,
                                               size_t i)
{
    return &b->v[i].e;
}

/* First index whose id is >= id. */
static size_t lower_bound(const struct n1_baseline *b, uint64_t id)
{
    size_t lo = 0;
    size_t hi = b->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (b->v[mid].e.id < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

long n1_baseline_find(const struct n1_baseline *b, uint64_t id)
{
    size_t i = lower_bound(b, id);

    return i < b->n && b->v[i].e.id == id ? (long)i : -1;
}

/* Copies s (NULL: "") to *p and returns where it went. */
static const char *pack(char **p, const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    char *at = *p;

    if (n > 0) {
        memcpy(at, s, n);
    }
    at[n] = '\0';
    *p += n + 1;
    return at;
}

static size_t len0(const char *s)
{
    return s != NULL ? strlen(s) + 1 : 1;
}

int n1_baseline_add(struct n1_baseline *b, const struct n1_baseline_entry *e,
                    struct n1_error *err)
{
    size_t at = lower_bound(b, e->id);
    struct item it;
    char *p;

    if (at < b->n && b->v[at].e.id == e->id) {
        return 0;
    }
    if (b->n == b->cap) {
        size_t cap = b->cap > 0 ? b->cap * 2 : 64;
        struct item *v = realloc(b->v, cap * sizeof(*v));

        if (v == NULL) {
            n1_err_oom(err, "adding to the baseline");
            return -1;
        }
        b->v = v;
        b->cap = cap;
    }
    it.block = malloc(len0(e->rule) + len0(e->table) + len0(e->statement) +
                      len0(e->location));
    if (it.block == NULL) {
        n1_err_oom(err, "adding to the baseline");
        return -1;
    }
    p = it.block;
    it.e.id = e->id;
    it.e.fingerprint = e->fingerprint;
    it.e.rule = pack(&p, e->rule);
    it.e.table = pack(&p, e->table);
    it.e.statement = pack(&p, e->statement);
    it.e.location = pack(&p, e->location);
    memmove(b->v + at + 1, b->v + at, (b->n - at) * sizeof(*b->v));
    b->v[at] = it;
    b->n++;
    return 0;
}

/* ---- JSON -------------------------------------------------------------- */

/* Member key of o as a string, or NULL when absent or not a string. */
static const char *get_str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/*
 * The format number of root: under "n1digest_baseline", or under
 * "n1scan_baseline", the key baselines were written with before the tool
 * was renamed, so that they keep working. 0 when there is neither.
 */
static json_int_t format_of(const json_t *root)
{
    const json_t *v = json_object_get(root, "n1digest_baseline");

    if (v == NULL) {
        v = json_object_get(root, "n1scan_baseline");
    }
    return json_integer_value(v);
}

/* Checks the head of a baseline document. Returns its "findings" array
   (borrowed from root), or NULL with err set. */
static const json_t *findings_of(const json_t *root, const char *name,
                                 struct n1_error *err)
{
    const json_t *list;
    json_int_t fpv;

    if (!json_is_object(root) || format_of(root) != N1_BASELINE_FORMAT) {
        n1_err_set(err, N1_EPARSE, name, 0,
                   "not an n1digest baseline (no \"n1digest_baseline\": "
                   "%d)",
                   N1_BASELINE_FORMAT);
        return NULL;
    }
    fpv = json_integer_value(json_object_get(root, "fingerprint_version"));
    if (fpv != N1_FINGERPRINT_VERSION) {
        n1_err_set(err, N1_EPARSE, name, 0,
                   "baseline written with fingerprint version %lld, this "
                   "build uses %d: write it again with --write-baseline",
                   (long long)fpv, N1_FINGERPRINT_VERSION);
        return NULL;
    }
    list = json_object_get(root, "findings");
    if (!json_is_array(list)) {
        n1_err_set(err, N1_EPARSE, name, 0,
                   "baseline \"findings\" is not an array");
        return NULL;
    }
    return list;
}

/* Adds entry i of a baseline's findings. Returns 0, or -1 with err set. */
static int add_json_entry(struct n1_baseline *b, const json_t *e, size_t i,
                          const char *name, struct n1_error *err)
{
    struct n1_baseline_entry be;
    const char *id = get_str(e, "id");
    const char *fp = get_str(e, "fingerprint");

    memset(&be, 0, sizeof(be));
    if (id == NULL || n1_fingerprint_parse(id, &be.id) != 0 ||
        (fp != NULL && n1_fingerprint_parse(fp, &be.fingerprint) != 0)) {
        n1_err_set(err, N1_EPARSE, name, 0,
                   "baseline findings[%zu]: \"id\" (and \"fingerprint\") "
                   "must be 16 hex digits",
                   i);
        return -1;
    }
    be.rule = get_str(e, "rule");
    be.table = get_str(e, "table");
    be.statement = get_str(e, "statement");
    be.location = get_str(e, "location");
    return n1_baseline_add(b, &be, err);
}

struct n1_baseline *n1_baseline_parse(const char *text, size_t len,
                                      const char *name, struct n1_error *err)
{
    struct n1_baseline *b = NULL;
    json_t *root = NULL;
    const json_t *list;
    json_error_t je;

    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        n1_err_set(err, N1_EPARSE, name, (unsigned long)je.line,
                   "baseline is not JSON: %s", je.text);
        return NULL;
    }
    list = findings_of(root, name, err);
    if (list == NULL) {
        goto fail;
    }
    b = n1_baseline_new();
    if (b == NULL) {
        n1_err_oom(err, "loading the baseline");
        goto fail;
    }
    for (size_t i = 0; i < json_array_size(list); i++) {
        if (add_json_entry(b, json_array_get(list, i), i, name, err) != 0) {
            goto fail;
        }
    }
    json_decref(root);
    return b;

fail:
    n1_baseline_free(b);
    json_decref(root);
    return NULL;
}

int n1_baseline_write_json(const struct n1_baseline *b, FILE *out,
                           struct n1_error *err)
{
    json_t *root = json_object();
    json_t *list = json_array();
    int bad = 0;
    int ret;

    for (size_t i = 0; !bad && i < b->n; i++) {
        const struct n1_baseline_entry *e = &b->v[i].e;
        json_t *o = json_object();

        n1_rj_put(o, "id", n1_rj_hex(e->id), &bad);
        n1_rj_put(o, "rule", n1_rj_str(e->rule), &bad);
        n1_rj_put(o, "table", n1_rj_str(e->table), &bad);
        n1_rj_put(o, "fingerprint", n1_rj_hex(e->fingerprint), &bad);
        if (e->location[0] != '\0') {
            n1_rj_put(o, "location", n1_rj_str(e->location), &bad);
        }
        n1_rj_put(o, "statement", n1_rj_str(e->statement), &bad);
        n1_rj_push(list, o, &bad);
    }
    n1_rj_put(root, "n1digest_baseline", json_integer(N1_BASELINE_FORMAT),
              &bad);
    n1_rj_put(root, "fingerprint_version", json_integer(N1_FINGERPRINT_VERSION),
              &bad);
    n1_rj_put(root, "findings", list, &bad);
    ret = n1_rj_write(root, out, bad, "the baseline", err);
    json_decref(root);
    return ret;
}

int n1_baseline_save(const struct n1_baseline *b, const char *path,
                     struct n1_error *err)
{
    char *tmp = NULL;
    FILE *f = NULL;
    size_t n = strlen(path) + 16;
    int ret = -1;

    tmp = malloc(n);
    if (tmp == NULL) {
        n1_err_oom(err, "saving the baseline");
        return -1;
    }
    snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
    f = fopen(tmp, "w");
    if (f == NULL) {
        n1_err_set(err, N1_ESYS, path, 0, "creating the baseline: %s",
                   strerror(errno));
        goto out;
    }
    if (n1_baseline_write_json(b, f, err) != 0) {
        goto out;
    }
    if (fclose(f) != 0) {
        f = NULL;
        n1_err_set(err, N1_ESYS, path, 0, "writing the baseline: %s",
                   strerror(errno));
        goto out;
    }
    f = NULL;
    if (rename(tmp, path) != 0) {
        n1_err_set(err, N1_ESYS, path, 0,
                   "renaming the baseline into place: %s", strerror(errno));
        goto out;
    }
    ret = 0;

out:
    if (f != NULL) {
        fclose(f);
    }
    if (ret != 0) {
        remove(tmp);
    }
    free(tmp);
    return ret;
}

/* ---- SQLite store ------------------------------------------------------ */

static struct n1_baseline *load_store(const char *path, struct n1_error *err)
{
    struct n1_baseline *b = NULL;
    struct n1_store *st = NULL;
    struct n1_store_cursor *cur = NULL;
    const struct n1_store_finding *row;
    int got;

    st = n1_store_open(path, NULL, err);
    if (st == NULL) {
        return NULL;
    }
    cur = n1_store_findings(st, NULL, err);
    b = n1_baseline_new();
    if (cur == NULL || b == NULL) {
        if (b == NULL) {
            n1_err_oom(err, "loading the baseline");
        }
        goto fail;
    }
    while ((got = n1_store_next_finding(cur, &row, err)) == 1) {
        struct n1_finding *f = NULL;
        struct n1_baseline_entry be;
        int rc;

        memset(&be, 0, sizeof(be));
        be.id = row->id;
        be.rule = row->kind;
        be.fingerprint = row->fingerprint;
        f = n1_finding_from_json(row->json, row->json_len, NULL);
        if (f != NULL) {
            be.table = f->table;
            be.statement = f->fingerprint_text;
            be.location = f->location;
        }
        rc = n1_baseline_add(b, &be, err);
        n1_finding_free(f);
        if (rc != 0) {
            goto fail;
        }
    }
    if (got < 0) {
        goto fail;
    }
    n1_store_cursor_free(cur);
    n1_store_close(st);
    return b;

fail:
    n1_store_cursor_free(cur);
    n1_store_close(st);
    n1_baseline_free(b);
    return NULL;
}

/* Reads the rest of f into a new buffer (*len bytes, NUL after them).
   Returns it, to be freed with free(), or NULL when memory ran out or
   reading failed (errno says which). */
static char *read_rest(FILE *f, size_t *len)
{
    char *buf = NULL;
    size_t cap = 0;
    size_t n = 0;

    for (;;) {
        size_t got;

        if (cap - n < 4096) {
            char *p = realloc(buf, cap + 65536);

            if (p == NULL) {
                free(buf);
                errno = ENOMEM;
                return NULL;
            }
            buf = p;
            cap += 65536;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(f)) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

struct n1_baseline *n1_baseline_load(const char *path, struct n1_error *err)
{
    struct n1_baseline *b = NULL;
    char head[sizeof(sqlite_magic)];
    char *text = NULL;
    size_t len = 0;
    FILE *f = fopen(path, "rb");

    /* Open it here first: n1_store_open() would create a missing file. */
    if (f == NULL) {
        n1_err_set(err, N1_ESYS, path, 0, "opening the baseline: %s",
                   strerror(errno));
        return NULL;
    }
    len = fread(head, 1, sizeof(head), f);
    if (len == sizeof(head) && memcmp(head, sqlite_magic, len) == 0) {
        fclose(f);
        return load_store(path, err);
    }
    rewind(f);
    text = read_rest(f, &len);
    fclose(f);
    if (text == NULL) {
        n1_err_set(err, N1_ESYS, path, 0, "reading the baseline: %s",
                   strerror(errno));
        return NULL;
    }
    b = n1_baseline_parse(text, len, path, err);
    free(text);
    return b;
}
