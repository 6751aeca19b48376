/* SPDX-License-Identifier: MIT */
/*
 * rewrite.c: batched statements built from a loop's fingerprint and keys.
 *
 * n1_rewrite_build() plans first: which varying slots are the loop's keys,
 * what else varies, and from that which batched form fits (IN list, row
 * IN, GROUP BY, multi-row INSERT, CASE update). rewrite_sql.c prints the
 * SQL of the chosen form; this file then writes the advice, the prose a
 * finding carries, with the round trips the rewrite saves.
 *
 * When the statement does something the splice cannot keep right (OR
 * around the key, LIMIT n per key, a key inside a subquery, a varying
 * value that is not a key) no SQL is produced and the advice says why:
 * a wrong rewrite is worse than none.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyzer/rewrite_int.h"

#define DEFAULT_MAX_KEYS  1000
#define DEFAULT_MIN_BATCH 20

/* A name as pointer and length, for the comparisons below. */
struct name {
    const char *p; /* first byte */
    size_t len;    /* bytes */
};

/* Last dotted part of a column name: "t.c" -> "c". */
static struct name bare_name(const char *p, size_t len)
{
    struct name n = {p, len};

    for (size_t i = len; i > 0; i--) {
        if (p[i - 1] == '.') {
            n.p = p + i;
            n.len = len - i;
            break;
        }
    }
    return n;
}

static int is_id(struct name n)
{
    return n.len == 2 && strncasecmp(n.p, "id", 2) == 0;
}

static int ends_id(struct name n)
{
    return n.len > 3 && strncasecmp(n.p + n.len - 3, "_id", 3) == 0;
}

/* 1 when table t is named stem or stem + "s" ("order" -> "orders"). */
static int names_table(struct name t, const char *stem, size_t len)
{
    return t.len >= len && t.len <= len + 1 &&
           strncasecmp(t.p, stem, len) == 0 &&
           (t.len == len || t.p[len] == 's' || t.p[len] == 'S');
}

/* The table after the first FROM of a statement, or an empty name. */
static struct name parent_table(const char *sql)
{
    struct name none = {"", 0};

    for (const char *p = sql; *p != '\0'; p++) {
        if (strncasecmp(p, "from", 4) == 0 &&
            (p == sql || isspace((unsigned char)p[-1])) &&
            isspace((unsigned char)p[4])) {
            const char *t = p + 4;
            const char *e;

            while (isspace((unsigned char)*t)) {
                t++;
            }
            e = t;
            while (*e != '\0' && (isalnum((unsigned char)*e) || *e == '_' ||
                                  *e == '.' || *e == '`')) {
                e++;
            }
            return bare_name(t, (size_t)(e - t));
        }
    }
    return none;
}

/*
 * 1 when the parent's single column plausibly holds the loop's key values,
 * so that "key IN (parent)" is the same query. A log never shows result
 * rows, so this goes by names only: the same column name ("gid" feeds
 * "gid"), "<table>_id" feeding "id" of that table ("customer_id" feeds
 * customers.id), or a table's "id" feeding "<table>_id" (orders.id feeds
 * order_items.order_id). Anything else (e.g. keys built as 'proj:' + gid) gets
 * no subquery form: a wrong rewrite is worse than none.
 */
static int parent_feeds_key(const struct n1_rw_input *in,
                            const struct n1_rw_plan *p)
{
    const struct n1_shape *sh = in->shape;
    const struct n1_span *kc = &sh->slots[p->keys[0]].column;
    struct name key = bare_name(sh->text + kc->off, kc->len);
    struct name tbl = bare_name(sh->text + sh->table.off, sh->table.len);
    struct name par;
    size_t stem;

    if (in->parent_column == NULL) {
        return 0;
    }
    par = bare_name(in->parent_column, strlen(in->parent_column));
    if (key.len == 0 || par.len == 0) {
        return 0;
    }
    if (par.len == key.len && strncasecmp(par.p, key.p, key.len) == 0) {
        return 1;
    }
    if (is_id(key) && ends_id(par)) {
        /* "customer_id" feeds customers.id */
        return names_table(tbl, par.p, par.len - 3);
    }
    if (is_id(par) && ends_id(key)) {
        /* orders.id feeds order_items.order_id */
        stem = key.len - 3;
        return names_table(parent_table(in->parent_sql), key.p, stem);
    }
    return 0;
}

int n1_rw_varies(const struct n1_rw_input *in, unsigned s)
{
    return s < 64 && (in->varies >> s) & 1u;
}

static void make_plan(const struct n1_rw_input *in, struct n1_rw_plan *p)
{
    const struct n1_shape *sh = in->shape;
    unsigned n =
        sh->n_slots < N1_SHAPE_MAX_SLOTS ? sh->n_slots : N1_SHAPE_MAX_SLOTS;

    memset(p, 0, sizeof(*p));
    for (unsigned s = 0; s < n; s++) {
        const struct n1_shape_slot *sl = &sh->slots[s];

        if (!n1_rw_varies(in, s)) {
            continue;
        }
        switch (sl->role) {
        case N1_SLOT_EQ:
        case N1_SLOT_IN:
            p->keys[p->n_keys++] = s;
            if (sl->role == N1_SLOT_IN) {
                p->key_is_list = 1;
            }
            if (sl->depth > (sl->role == N1_SLOT_IN ? 1 : 0)) {
                p->key_nested = 1;
            }
            break;
        case N1_SLOT_RANGE:
            p->vary_range = 1;
            break;
        case N1_SLOT_OFFSET:
            p->vary_offset = 1;
            break;
        case N1_SLOT_LIMIT:
            p->vary_limit = 1;
            break;
        case N1_SLOT_SET:
            p->vary_set = 1;
            break;
        case N1_SLOT_VALUES:
            p->vary_values = 1;
            break;
        case N1_SLOT_OTHER:
            p->vary_other = 1;
            break;
        }
    }
}

static int set_keycols(const struct n1_rw_input *in, const struct n1_rw_plan *p,
                       struct n1_rewrite *out)
{
    const struct n1_shape *sh = in->shape;

    if (p->n_keys == 0) {
        return 0;
    }
    out->key_columns = calloc(p->n_keys, sizeof(*out->key_columns));
    if (out->key_columns == NULL) {
        return -1;
    }
    for (size_t i = 0; i < p->n_keys; i++) {
        struct n1_span col = sh->slots[p->keys[i]].column;

        out->key_columns[i] = n1_shape_name_dup(sh->text + col.off, col.len);
        if (out->key_columns[i] == NULL) {
            return -1;
        }
        out->n_key_columns++;
    }
    return 0;
}

/* The LIMIT value of the sample, "" if the limit has no slot. */
static int limit_is_one(const struct n1_rw_input *in)
{
    const struct n1_shape *sh = in->shape;
    const char *lt = sh->text + sh->limit.off;
    size_t ll = sh->limit.len;

    if (ll == 8 && memcmp(lt, " limit 1", 8) == 0) {
        return 1;
    }
    for (unsigned s = 0; s < sh->n_slots; s++) {
        const struct n1_shape_slot *sl = &sh->slots[s];

        if (sl->role == N1_SLOT_OFFSET) {
            return 0;
        }
        if (sl->role == N1_SLOT_LIMIT) {
            const struct n1_rw_row *r = &in->rows[0];

            for (size_t i = 0; i < r->n_lits; i++) {
                if (r->lits[i].slot == s) {
                    return r->lits[i].len == 1 && r->lits[i].value[0] == '1';
                }
            }
        }
    }
    return 0;
}

/*
 * The normaliser prints a one-row all-literal VALUES list as values(?+),
 * the same text as a multi-row batch. Tells them apart: sets *slot to the
 * collapsed VALUES slot and returns 1 when every kept execution inserted
 * exactly one row (its literal count equals the column list's length),
 * else 0 (a real batch, or no column list to count against).
 */
static int single_row_values(const struct n1_rw_input *in, unsigned *slot)
{
    const struct n1_shape *sh = in->shape;
    const char *c = sh->text + sh->insert_cols.off;
    size_t ncols = 1;
    unsigned vs = UINT_MAX;

    if (sh->insert_cols.len < 3) {
        return 0;
    }
    for (size_t i = 0; i < sh->insert_cols.len; i++) {
        ncols += c[i] == ',';
    }
    for (unsigned k = 0; k < sh->n_slots && k < N1_SHAPE_MAX_SLOTS; k++) {
        if (sh->slots[k].role == N1_SLOT_VALUES && sh->slots[k].width == 2) {
            vs = k;
            break;
        }
    }
    if (vs == UINT_MAX || in->n_rows == 0) {
        return 0;
    }
    for (size_t r = 0; r < in->n_rows; r++) {
        size_t items = 0;

        for (size_t i = 0; i < in->rows[r].n_lits; i++) {
            items += in->rows[r].lits[i].slot == vs;
        }
        if (items != ncols) {
            return 0;
        }
    }
    *slot = vs;
    return 1;
}

/* The literal of item k of slot s in row r, or NULL. */
static const struct n1_rw_lit *row_item(const struct n1_rw_row *r, unsigned s,
                                        unsigned k)
{
    for (size_t i = 0; i < r->n_lits; i++) {
        if (r->lits[i].slot == s && r->lits[i].item == k) {
            return &r->lits[i];
        }
    }
    return NULL;
}

/* 1 when item k of the collapsed VALUES slot s takes another value in
   some kept row than in the first. */
static int item_varies(const struct n1_rw_input *in, unsigned s, unsigned k)
{
    const struct n1_rw_lit *a = row_item(&in->rows[0], s, k);

    for (size_t r = 1; r < in->n_rows; r++) {
        const struct n1_rw_lit *b = row_item(&in->rows[r], s, k);

        if (a == NULL || b == NULL || a->type != b->type || a->len != b->len ||
            memcmp(a->value, b->value, a->len) != 0) {
            return 1;
        }
    }
    return 0;
}

/* Adds name (NULL: "?") to the key columns. 0 or -1. */
static int add_keycol(struct n1_rewrite *out, const char *name)
{
    out->key_columns[out->n_key_columns] =
        name != NULL ? n1_shape_name_dup(name, strlen(name))
                     : n1_rw_strdup("?");
    if (out->key_columns[out->n_key_columns] == NULL) {
        return -1;
    }
    out->n_key_columns++;
    return 0;
}

/* INSERT key columns: the columns whose value varies. A one-row VALUES
   list collapsed to one slot (values(?+)) is looked at item by item. */
static int insert_keycols(const struct n1_rw_input *in, struct n1_rewrite *out)
{
    unsigned vs = UINT_MAX;
    const struct n1_shape *sh = in->shape;
    char names[64][128];
    size_t n_names = 0;
    const char *c = sh->text + sh->insert_cols.off;
    size_t cl = sh->insert_cols.len;
    size_t i = 1;

    while (cl >= 2 && i < cl - 1 && n_names < 64) {
        size_t j = i;

        while (j < cl - 1 && c[j] != ',') {
            j++;
        }
        snprintf(names[n_names], sizeof(names[0]), "%.*s", (int)(j - i), c + i);
        n_names++;
        i = j + 1;
        while (i < cl - 1 && c[i] == ' ') {
            i++;
        }
    }
    out->key_columns =
        calloc(sh->n_slots + n_names + 1, sizeof(*out->key_columns));
    if (out->key_columns == NULL) {
        return -1;
    }
    if (single_row_values(in, &vs) && n1_rw_varies(in, vs)) {
        for (unsigned k = 0; k < n_names; k++) {
            if (item_varies(in, vs, k) && add_keycol(out, names[k]) < 0) {
                return -1;
            }
        }
        return 0;
    }
    for (unsigned s = 0; s < sh->n_slots; s++) {
        const struct n1_shape_slot *sl = &sh->slots[s];

        if (sl->role != N1_SLOT_VALUES || !n1_rw_varies(in, s)) {
            continue;
        }
        if (add_keycol(out, sl->values_row < n_names ? names[sl->values_row]
                                                     : NULL) < 0) {
            return -1;
        }
    }
    return 0;
}

static const char *kind_name(enum n1_rw_pattern p)
{
    switch (p) {
    case N1_RW_IN_LIST:
        return "in_list";
    case N1_RW_ROW_IN:
        return "row_in";
    case N1_RW_GROUP_BY:
        return "group_by";
    case N1_RW_MULTI_INSERT:
        return "multi_row_insert";
    case N1_RW_CASE_UPDATE:
        return "case_update";
    case N1_RW_RANGE:
        return "grouped_ranges";
    case N1_RW_PAGINATION:
        return "keyset_pagination";
    case N1_RW_NONE:
    case N1_RW_BATCHED:
    case N1_RW_UNSUPPORTED:
        break;
    }
    return NULL;
}

/*
 * The first sentence of the advice for a write loop (UPDATE, DELETE or
 * INSERT) whose keys fit one batched statement (in_list, row_in) or that
 * gets no statement at all (unsupported): what to do in the application.
 * A write has no rows to map back, and eager loading is no fix for it.
 * Returns 0, or -1 when sb's cap was hit.
 */
static int write_loop_advice(struct n1_strbuf *sb, enum n1_verb verb,
                             int have_sql)
{
    if (verb == N1_VERB_INSERT) {
        return n1_strbuf_puts(
            sb, "The same INSERT runs once per row: insert all rows with "
                "one multi-row INSERT (ORM: bulk insert) instead");
    }
    if (have_sql) {
        return n1_strbuf_puts(
            sb, verb == N1_VERB_UPDATE
                    ? "Update the rows of all keys with one UPDATE ... WHERE "
                      "key IN (...) instead of one UPDATE per key (ORM: a "
                      "bulk update of a filtered query, not a save per "
                      "object)"
                    : "Delete the rows of all keys with one DELETE ... WHERE "
                      "key IN (...) instead of one DELETE per key (ORM: a "
                      "bulk delete of a filtered query, not a delete per "
                      "object)");
    }
    return n1_strbuf_puts(
        sb, verb == N1_VERB_UPDATE
                ? "The same UPDATE runs once per key: update the rows of all "
                  "keys with one UPDATE ... WHERE key IN (...), per-row "
                  "values in CASE on the key or INSERT ... ON DUPLICATE KEY "
                  "UPDATE"
                : "The same DELETE runs once per key: delete the rows of all "
                  "keys with one DELETE ... WHERE key IN (...)");
}

/* Advice for the IN list, row IN and GROUP BY rewrites. */
static int advice_keyed(struct n1_strbuf *sb, const struct n1_rw_input *in,
                        const struct n1_rewrite *out, int writes)
{
    int rc = 0;

    if (writes) {
        rc |= write_loop_advice(sb, in->shape->verb, 1);
        rc |= n1_strbuf_puts(sb, ".");
        return rc;
    }
    if (in->kind == N1_FIND_FANOUT) {
        rc |= n1_strbuf_puts(
            sb, "Instead of one thread and one connection per key, run one "
                "statement for all keys on one connection");
    } else {
        rc |= n1_strbuf_puts(
            sb, "Load the rows for all keys in one query instead of one "
                "query per key (ORM: eager loading, or a filter with IN on "
                "the collected keys)");
    }
    rc |= n1_strbuf_puts(
        sb, ", then map the rows back to their keys in the application");
    if (out->pattern == N1_RW_GROUP_BY) {
        rc |= n1_strbuf_puts(
            sb, "; keys without rows are absent from the GROUP BY result");
    }
    rc |= n1_strbuf_puts(sb, ".");
    return rc;
}

/* Advice when no rewrite is offered, with why when it is known. */
static int advice_none(struct n1_strbuf *sb, enum n1_verb verb, int writes,
                       const char *why)
{
    int rc = 0;

    if (writes) {
        rc |= write_loop_advice(sb, verb, 0);
    } else {
        rc |= n1_strbuf_puts(
            sb, "The same statement runs once per iteration of a loop; "
                "fetch what the loop needs in one statement before the "
                "loop");
    }
    if (why != NULL) {
        rc |= n1_strbuf_puts(sb, " (no rewrite offered: ");
        rc |= n1_strbuf_puts(sb, why);
        rc |= n1_strbuf_puts(sb, ")");
    }
    rc |= n1_strbuf_puts(sb, ".");
    return rc;
}

/* The first sentence of the advice: what to do, by the pattern. */
static int advice_pattern(struct n1_strbuf *sb, const struct n1_rw_input *in,
                          const struct n1_rewrite *out, const char *why)
{
    enum n1_verb verb = in->shape->verb;
    int writes = verb == N1_VERB_UPDATE || verb == N1_VERB_DELETE ||
                 verb == N1_VERB_INSERT;

    switch (out->pattern) {
    case N1_RW_IN_LIST:
    case N1_RW_ROW_IN:
    case N1_RW_GROUP_BY:
        return advice_keyed(sb, in, out, writes);
    case N1_RW_MULTI_INSERT:
        return n1_strbuf_puts(
            sb, "Insert the rows with one multi-row INSERT (ORM: bulk insert "
                "/ bulk_create / insert_many) instead of one INSERT per row.");
    case N1_RW_CASE_UPDATE:
        return n1_strbuf_puts(
            sb, "Update all rows in one statement: the per-row values go into "
                "CASE on the key (or INSERT ... ON DUPLICATE KEY UPDATE with "
                "one VALUES row per key) instead of one UPDATE per row.");
    case N1_RW_RANGE:
        return n1_strbuf_puts(
            sb, "Each iteration scans one range: compute all buckets in one "
                "grouped query (GROUP BY CASE WHEN col < a THEN 0 WHEN col < "
                "b THEN 1 ... END, or a join with a table of ranges) instead "
                "of one query per range. An IN list does not apply here.");
    case N1_RW_PAGINATION:
        return n1_strbuf_puts(
            sb, "Pages are read with a growing OFFSET, which rescans every "
                "skipped row: use keyset pagination (WHERE id > last seen id "
                "ORDER BY id LIMIT n), or read everything in one query if the "
                "caller needs it all.");
    case N1_RW_BATCHED:
        return n1_strbuf_puts(
            sb, verb == N1_VERB_INSERT
                    ? "The statement already inserts several rows at a "
                      "time; nothing to do unless the batches are small."
                    : "The statement already batches its keys with IN; "
                      "nothing to do unless the batches are small.");
    case N1_RW_UNSUPPORTED:
    case N1_RW_NONE:
        return advice_none(sb, verb, writes, why);
    }
    return 0;
}

/* The sentences after the first: round trips saved, batches, subquery. */
static int advice_notes(struct n1_strbuf *sb, const struct n1_rw_input *in,
                        const struct n1_rewrite *out, const char *subq_sql)
{
    const char *tbl = "the table";
    char tbuf[128];
    char saves[160];
    char batches[200];
    int rc = 0;

    if (in->shape->table.len > 0) {
        tbl = n1_shape_str(in->shape, in->shape->table, tbuf, sizeof(tbuf));
    }
    if (out->saved > 0) {
        snprintf(saves, sizeof(saves), " Saves %llu of %llu round trips on %s.",
                 (unsigned long long)out->saved, (unsigned long long)in->count,
                 tbl);
        rc |= n1_strbuf_puts(sb, saves);
    }
    if (out->sql != NULL && out->batches > 1) {
        snprintf(batches, sizeof(batches),
                 " The statement lists the first %llu keys only; run it in "
                 "%llu batches of at most %llu to cover all of them.",
                 (unsigned long long)out->keys_listed,
                 (unsigned long long)out->batches,
                 (unsigned long long)out->keys_listed);
        rc |= n1_strbuf_puts(sb, batches);
    } else if (out->sql != NULL && !in->rows_complete) {
        rc |= n1_strbuf_puts(
            sb, " Some executions were not kept, so the list may miss keys.");
    }
    if (subq_sql != NULL) {
        rc |= n1_strbuf_puts(
            sb, " The keys come from the query that ran just before the loop, "
                "so one statement can do both: ");
        rc |= n1_strbuf_puts(sb, subq_sql);
    }
    return rc;
}

static int write_advice(const struct n1_rw_input *in, struct n1_rewrite *out,
                        const char *why, const char *subq_sql)
{
    struct n1_strbuf sb;
    int rc = 0;

    n1_strbuf_init(&sb, 0);
    rc |= advice_pattern(&sb, in, out, why);
    rc |= advice_notes(&sb, in, out, subq_sql);
    if (rc != 0) {
        n1_strbuf_cleanup(&sb);
        return -1;
    }
    out->advice = n1_rw_sb_take(&sb);
    return out->advice == NULL ? -1 : 0;
}

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
    return b == 0 ? 0 : (a + b - 1) / b;
}

/* What n1_rewrite_build() works out before it writes the advice. */
struct build {
    const struct n1_rw_input *in;
    struct n1_rewrite *out;
    struct n1_rw_plan p;    /* keys and what varies */
    size_t max;             /* keys listed in one statement at most */
    struct n1_rw_keyset ks; /* the distinct keys of the kept rows */
    char *subq_sql;         /* the rewrite with the parent as a subquery */
    const char *why;        /* why no rewrite is offered, or NULL */
    uint64_t total_keys;    /* keys (or rows) the batches must cover */
};

/* INSERT: one multi-row INSERT, or why not. Returns as build_plan(). */
static int build_insert(struct build *b)
{
    const struct n1_rw_input *in = b->in;
    const struct n1_shape *sh = in->shape;
    const struct n1_rw_plan *p = &b->p;
    struct n1_rewrite *out = b->out;
    unsigned vslot = 0;

    if (insert_keycols(in, out) < 0) {
        return -1;
    }
    if (!p->vary_values) {
        b->why = "no value of the row changes";
    } else if (sh->values_collapsed && !sh->insert_select && !p->vary_set &&
               !p->vary_other && p->n_keys == 0 &&
               single_row_values(in, &vslot)) {
        out->pattern = N1_RW_MULTI_INSERT;
        b->total_keys = in->count;
        return n1_rw_build_insert_rows(in, b->max, vslot, &out->sql,
                                       &out->keys_listed);
    } else if (sh->values_collapsed || sh->insert_select ||
               sh->values_row.len == 0) {
        out->pattern = N1_RW_BATCHED;
    } else if (p->vary_set || p->vary_other || p->n_keys > 0) {
        out->pattern = N1_RW_UNSUPPORTED;
        b->why = "a value outside the VALUES row changes";
    } else {
        out->pattern = N1_RW_MULTI_INSERT;
        b->total_keys = in->count;
        return n1_rw_build_insert(in, b->max, &out->sql, &out->keys_listed);
    }
    return 0;
}

/* 1 when the single key is an IN list already holding enough items. */
static int already_batched(const struct n1_rw_input *in,
                           const struct n1_rw_plan *p)
{
    size_t min_batch =
        in->min_batch_items ? in->min_batch_items : DEFAULT_MIN_BATCH;
    uint64_t items = 0;

    if (!p->key_is_list || p->n_keys != 1) {
        return 0;
    }
    for (size_t r = 0; r < in->n_rows; r++) {
        for (size_t i = 0; i < in->rows[r].n_lits; i++) {
            items += in->rows[r].lits[i].slot == p->keys[0];
        }
    }
    return items >= (uint64_t)min_batch * in->n_rows;
}

/* Why a keyed statement cannot be spliced, or NULL when it can. */
static const char *keyed_unsupported(const struct n1_rw_input *in,
                                     const struct n1_rw_plan *p)
{
    const struct n1_shape *sh = in->shape;

    if (sh->verb == N1_VERB_OTHER) {
        return "not a SELECT, INSERT, UPDATE or DELETE";
    }
    if (p->key_is_list && p->n_keys > 1) {
        return "an IN list and another key change together";
    }
    if (p->vary_range || p->vary_offset || p->vary_limit || p->vary_other ||
        p->vary_values) {
        return "a value that is not a key changes too";
    }
    if (sh->where_has_or || p->key_nested) {
        return "the key sits under OR or inside parentheses";
    }
    if (sh->has_union) {
        return "UNION";
    }
    if (sh->verb == N1_VERB_SELECT && sh->limit.len > 0 && !limit_is_one(in)) {
        return "LIMIT per key would need a window function";
    }
    if (sh->verb != N1_VERB_SELECT && sh->limit.len > 0) {
        return "LIMIT on UPDATE or DELETE";
    }
    if (sh->verb != N1_VERB_SELECT && sh->has_join) {
        return "multi-table UPDATE or DELETE";
    }
    if (p->vary_set && p->key_is_list) {
        return "per-row SET values with a key list: use INSERT ... ON "
               "DUPLICATE KEY UPDATE";
    }
    if (sh->verb == N1_VERB_SELECT && sh->has_aggregate &&
        sh->group_by.len == 0 && sh->select_list.len == 0) {
        return "aggregate without a select list";
    }
    return NULL;
}

/* Copies the listed keys into out->keys (verify rebuilds the loop from
   them). Returns 0, or -1 when memory ran out. */
static int keep_keys(const struct n1_rw_keyset *ks, struct n1_rewrite *out)
{
    if (ks->n == 0) {
        return 0;
    }
    out->keys = calloc(ks->n, sizeof(*out->keys));
    if (out->keys == NULL) {
        return -1;
    }
    for (size_t i = 0; i < ks->n; i++) {
        out->keys[i] = n1_rw_strdup(ks->v[i].sql);
        if (out->keys[i] == NULL) {
            return -1;
        }
        out->n_keys = i + 1;
    }
    return 0;
}

/* SELECT, UPDATE, DELETE by key: collects the keys and splices them in. */
static int build_keyed(struct build *b)
{
    const struct n1_rw_input *in = b->in;
    const struct n1_shape *sh = in->shape;
    const struct n1_rw_plan *p = &b->p;
    struct n1_rewrite *out = b->out;
    int rc;

    rc = n1_rw_collect_keys(in, p, b->max, &b->ks);
    if (rc < 0) {
        return -1;
    }
    if (rc > 0) {
        b->why = "a key value is missing from a kept execution";
        return 0;
    }
    if (sh->verb == N1_VERB_SELECT) {
        out->pattern = sh->has_aggregate ? N1_RW_GROUP_BY
                       : p->n_keys > 1   ? N1_RW_ROW_IN
                                         : N1_RW_IN_LIST;
        rc = n1_rw_build_select(in, p, &b->ks, NULL, &out->sql);
        if (rc == 0 && in->parent_sql != NULL && p->n_keys == 1 &&
            !p->key_is_list && in->kind == N1_FIND_N_PLUS_ONE &&
            parent_feeds_key(in, p)) {
            rc =
                n1_rw_build_select(in, p, &b->ks, in->parent_sql, &b->subq_sql);
        }
    } else {
        out->pattern = p->vary_set     ? N1_RW_CASE_UPDATE
                       : p->n_keys > 1 ? N1_RW_ROW_IN
                                       : N1_RW_IN_LIST;
        rc = n1_rw_build_update(in, p, &b->ks, &out->sql);
    }
    out->keys_listed = b->ks.n;
    if (rc == 0 && keep_keys(&b->ks, out) < 0) {
        return -1;
    }
    if (b->total_keys < b->ks.n) {
        b->total_keys = b->ks.n;
    }
    return rc;
}

/*
 * Chooses the pattern and builds its SQL. Returns 0, 1 when the splice
 * could not be planned, -1 when memory ran out.
 */
static int build_plan(struct build *b)
{
    const struct n1_rw_input *in = b->in;
    struct n1_rewrite *out = b->out;

    if (in->shape->verb == N1_VERB_INSERT) {
        return build_insert(b);
    }
    if (set_keycols(in, &b->p, out) < 0) {
        return -1;
    }
    if (b->p.n_keys == 0) {
        if (b->p.vary_range) {
            out->pattern = N1_RW_RANGE;
        } else if (b->p.vary_offset) {
            out->pattern = N1_RW_PAGINATION;
        } else {
            b->why = "no key column found for the changing values";
        }
        return 0;
    }
    if (already_batched(in, &b->p)) {
        out->pattern = N1_RW_BATCHED;
        return 0;
    }
    out->pattern = N1_RW_UNSUPPORTED;
    b->why = keyed_unsupported(in, &b->p);
    if (b->why != NULL) {
        return 0;
    }
    return build_keyed(b);
}

/* The batches the statements need and the round trips they save. */
static void count_batches(struct build *b)
{
    const struct n1_rw_input *in = b->in;
    struct n1_rewrite *out = b->out;

    if (out->sql != NULL) {
        out->batches = ceil_div(b->total_keys, b->max);
        if (out->batches == 0) {
            out->batches = 1;
        }
        out->saved = in->count > out->batches ? in->count - out->batches : 0;
    } else if (out->pattern == N1_RW_RANGE ||
               out->pattern == N1_RW_PAGINATION) {
        out->batches = 1;
        out->saved = in->count > 1 ? in->count - 1 : 0;
    }
}

int n1_rewrite_build(const struct n1_rw_input *in, struct n1_rewrite *out,
                     struct n1_error *err)
{
    struct build b;
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&b, 0, sizeof(b));
    b.in = in;
    b.out = out;
    b.max = in->max_keys ? in->max_keys : DEFAULT_MAX_KEYS;
    b.total_keys = in->distinct;
    make_plan(in, &b.p);
    out->pattern = N1_RW_NONE;
    rc = build_plan(&b);
    if (rc < 0) {
        goto oom;
    }
    if (rc > 0) {
        /* The splice could not be planned; say so rather than guess. */
        free(out->sql);
        out->sql = NULL;
        out->pattern = N1_RW_UNSUPPORTED;
        b.why = "the predicate around the key is not a plain AND";
    }
    out->kind = kind_name(out->pattern);
    n1_rw_upper_keywords(out->sql);
    n1_rw_upper_keywords(b.subq_sql);
    count_batches(&b);
    if (write_advice(in, out, b.why, b.subq_sql) < 0) {
        goto oom;
    }
    free(b.subq_sql);
    n1_rw_keyset_free(&b.ks);
    return 0;
oom:
    free(b.subq_sql);
    n1_rw_keyset_free(&b.ks);
    n1_rewrite_cleanup(out);
    n1_err_oom(err, "building a rewrite");
    return -1;
}

void n1_rewrite_cleanup(struct n1_rewrite *rw)
{
    if (rw == NULL) {
        return;
    }
    free(rw->sql);
    free(rw->advice);
    for (size_t i = 0; i < rw->n_key_columns; i++) {
        free(rw->key_columns[i]);
    }
    free(rw->key_columns);
    for (size_t i = 0; i < rw->n_keys; i++) {
        free(rw->keys[i]);
    }
    free(rw->keys);
    memset(rw, 0, sizeof(*rw));
}
