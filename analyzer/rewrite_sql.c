/* SPDX-License-Identifier: MIT */
/*
 * rewrite_sql.c: the SQL text of a batched rewrite.
 *
 * The rewrite is a splice of the fingerprint text: a sorted list of edits
 * (replace bytes [off, off + del) with ins) is applied while copying the
 * text, and every ? outside an edit gets the first execution's literal
 * back. The key predicate "col = ?" becomes "col in (...)", a second key
 * is folded into a row constructor, LIMIT 1 goes, the key column is put
 * in front of the select list, an aggregate gets GROUP BY key. The
 * result is printed with upper-case keywords (n1_rw_upper_keywords()).
 *
 * The builders here print what rewrite.c planned; they do not judge
 * whether a rewrite is right. When the edits do not fit together they
 * return 1 and rewrite.c reports the statement as unsupported.
 */
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "analyzer/rewrite_int.h"
#include "sql/sqlword.h"

struct edit {
    size_t off;   /* where in the text */
    size_t del;   /* bytes of text replaced */
    char *ins;    /* text put there (owned) */
    unsigned seq; /* insertion order, to keep equal offsets stable */
};

struct edits {
    struct edit *v;
    size_t n;
    size_t cap;
};

/*
 * Makes room in *v (an array of elements of size sz, *cap of them, n in
 * use) for one more, doubling its size, or starting at first. Returns 0,
 * or -1 when memory ran out (*v is then unchanged).
 */
static int grow(void **v, size_t *cap, size_t n, size_t sz, size_t first)
{
    size_t nc;
    void *nv;

    if (n < *cap) {
        return 0;
    }
    nc = *cap ? 2 * *cap : first;
    nv = realloc(*v, nc * sz);
    if (nv == NULL) {
        return -1;
    }
    *v = nv;
    *cap = nc;
    return 0;
}

static void edits_free(struct edits *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->v[i].ins);
    }
    free(e->v);
    e->v = NULL;
    e->n = 0;
    e->cap = 0;
}

/* Adds an edit; takes ownership of ins (freed on failure too). */
static int edits_add(struct edits *e, size_t off, size_t del, char *ins)
{
    if (ins == NULL) {
        return -1;
    }
    if (grow((void **)&e->v, &e->cap, e->n, sizeof(*e->v), 8) != 0) {
        free(ins);
        return -1;
    }
    e->v[e->n].off = off;
    e->v[e->n].del = del;
    e->v[e->n].ins = ins;
    e->v[e->n].seq = (unsigned)e->n;
    e->n++;
    return 0;
}

static int edit_cmp(const void *a, const void *b)
{
    const struct edit *x = a;
    const struct edit *y = b;

    if (x->off != y->off) {
        return x->off < y->off ? -1 : 1;
    }
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

char *n1_rw_strdup(const char *s)
{
    size_t l = strlen(s);
    char *d = malloc(l + 1);

    if (d != NULL) {
        memcpy(d, s, l + 1);
    }
    return d;
}

/* Returns the strbuf's bytes as an owned string, or NULL. */
char *n1_rw_sb_take(struct n1_strbuf *sb)
{
    char *s = n1_rw_strdup(n1_strbuf_str(sb));

    n1_strbuf_cleanup(sb);
    return s;
}

int n1_rewrite_literal(struct n1_strbuf *sb, const struct n1_rw_lit *lit)
{
    int rc = 0;

    switch (lit->type) {
    case N1_LIT_STRING:
        rc |= n1_strbuf_putc(sb, '\'');
        for (size_t i = 0; i < lit->len && rc == 0; i++) {
            char c = lit->value[i];

            switch (c) {
            case '\'':
                rc |= n1_strbuf_puts(sb, "''");
                break;
            case '\\':
                rc |= n1_strbuf_puts(sb, "\\\\");
                break;
            case '\0':
                rc |= n1_strbuf_puts(sb, "\\0");
                break;
            case '\n':
                rc |= n1_strbuf_puts(sb, "\\n");
                break;
            case '\r':
                rc |= n1_strbuf_puts(sb, "\\r");
                break;
            case '\032':
                rc |= n1_strbuf_puts(sb, "\\Z");
                break;
            default:
                rc |= n1_strbuf_putc(sb, c);
                break;
            }
        }
        rc |= n1_strbuf_putc(sb, '\'');
        break;
    case N1_LIT_HEX:
        rc |= n1_strbuf_puts(sb, "X'");
        rc |= n1_strbuf_append(sb, lit->value, lit->len);
        rc |= n1_strbuf_putc(sb, '\'');
        break;
    case N1_LIT_BIT:
        rc |= n1_strbuf_puts(sb, "b'");
        rc |= n1_strbuf_append(sb, lit->value, lit->len);
        rc |= n1_strbuf_putc(sb, '\'');
        break;
    case N1_LIT_NULL:
        rc |= n1_strbuf_puts(sb, "NULL");
        break;
    case N1_LIT_BOOL:
        rc |= n1_strbuf_puts(
            sb, lit->len > 0 && lit->value[0] == '1' ? "TRUE" : "FALSE");
        break;
    case N1_LIT_NUMBER:
        rc |= n1_strbuf_append(sb, lit->value, lit->len);
        break;
    }
    return rc == 0 ? 0 : -1;
}

/*
 * Appends every literal of slot in row, joined by ", ". Returns 0, 1 when
 * the row has no literal for the slot, -1 on a cap.
 */
static int render_slot(struct n1_strbuf *sb, const struct n1_rw_row *row,
                       unsigned slot)
{
    int found = 0;

    for (size_t i = 0; i < row->n_lits; i++) {
        if (row->lits[i].slot != slot) {
            continue;
        }
        if (found && n1_strbuf_puts(sb, ", ") < 0) {
            return -1;
        }
        if (n1_rewrite_literal(sb, &row->lits[i]) < 0) {
            return -1;
        }
        found = 1;
    }
    return found ? 0 : 1;
}

/* Copies text [from, to) with each ? in it replaced by row's literals. */
static int render_span(struct n1_strbuf *sb, const struct n1_shape *sh,
                       size_t from, size_t to, const struct n1_rw_row *row)
{
    size_t cur = from;

    for (unsigned s = 0; s < sh->n_slots; s++) {
        const struct n1_shape_slot *sl = &sh->slots[s];
        int rc;

        if (sl->pos < from || sl->pos >= to) {
            continue;
        }
        if (n1_strbuf_append(sb, sh->text + cur, sl->pos - cur) < 0) {
            return -1;
        }
        rc = render_slot(sb, row, s);
        if (rc != 0) {
            return rc;
        }
        cur = sl->pos + sl->width;
    }
    if (to > cur && n1_strbuf_append(sb, sh->text + cur, to - cur) < 0) {
        return -1;
    }
    return 0;
}

/* Applies the edits to the whole text; slots elsewhere come from row. */
static int apply_edits(const struct n1_shape *sh, struct edits *e,
                       const struct n1_rw_row *row, char **out)
{
    struct n1_strbuf sb;
    size_t cur = 0;
    int rc = 0;

    n1_strbuf_init(&sb, 0);
    qsort(e->v, e->n, sizeof(*e->v), edit_cmp);
    for (size_t i = 0; i < e->n && rc == 0; i++) {
        if (e->v[i].off < cur) {
            rc = 1; /* overlapping edits: a bug in the caller's plan */
            break;
        }
        rc = render_span(&sb, sh, cur, e->v[i].off, row);
        if (rc == 0 && n1_strbuf_puts(&sb, e->v[i].ins) < 0) {
            rc = -1;
        }
        cur = e->v[i].off + e->v[i].del;
    }
    if (rc == 0) {
        rc = render_span(&sb, sh, cur, sh->len, row);
    }
    if (rc != 0) {
        n1_strbuf_cleanup(&sb);
        return rc;
    }
    *out = n1_rw_sb_take(&sb);
    return *out == NULL ? -1 : 0;
}

void n1_rw_keyset_free(struct n1_rw_keyset *ks)
{
    for (size_t i = 0; i < ks->n; i++) {
        free(ks->v[i].sql);
    }
    free(ks->v);
    free(ks->hash);
    memset(ks, 0, sizeof(*ks));
}

/* Offers a rendered key (takes ownership); keeps the first max distinct. */
static int keyset_add(struct n1_rw_keyset *ks, char *sql, size_t row,
                      size_t max)
{
    uint64_t h;
    size_t i;

    if (sql == NULL) {
        return -1;
    }
    ks->seen++;
    if (ks->hcap == 0 || 2 * (ks->n + 1) > ks->hcap) {
        size_t nc = ks->hcap ? 2 * ks->hcap : 64;
        size_t *nh = calloc(nc, sizeof(*nh));

        if (nh == NULL) {
            free(sql);
            return -1;
        }
        for (size_t k = 0; k < ks->n; k++) {
            uint64_t kh = XXH64(ks->v[k].sql, strlen(ks->v[k].sql), 0);

            i = (size_t)kh & (nc - 1);
            while (nh[i] != 0) {
                i = (i + 1) & (nc - 1);
            }
            nh[i] = k + 1;
        }
        free(ks->hash);
        ks->hash = nh;
        ks->hcap = nc;
    }
    h = XXH64(sql, strlen(sql), 0);
    i = (size_t)h & (ks->hcap - 1);
    while (ks->hash[i] != 0) {
        struct n1_rw_key *k = &ks->v[ks->hash[i] - 1];

        if (strcmp(k->sql, sql) == 0) {
            k->row = row;
            free(sql);
            return 0;
        }
        i = (i + 1) & (ks->hcap - 1);
    }
    if (ks->n >= max) {
        ks->dropped++;
        free(sql);
        return 0;
    }
    if (grow((void **)&ks->v, &ks->cap, ks->n, sizeof(*ks->v), 16) != 0) {
        free(sql);
        return -1;
    }
    ks->v[ks->n].sql = sql;
    ks->v[ks->n].row = row;
    ks->n++;
    ks->hash[i] = ks->n;
    return 0;
}

/* Renders one slot of one row alone; NULL when missing or out of memory. */
static char *slot_sql(const struct n1_rw_row *row, unsigned slot)
{
    struct n1_strbuf sb;

    n1_strbuf_init(&sb, 0);
    if (render_slot(&sb, row, slot) != 0) {
        n1_strbuf_cleanup(&sb);
        return NULL;
    }
    return n1_rw_sb_take(&sb);
}

/* Unqualified part of a column name ("t.c" -> "c"). */
static const char *bare(const char *s, size_t len, size_t *blen)
{
    const char *dot = NULL;

    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            dot = s + i;
        }
    }
    if (dot == NULL) {
        *blen = len;
        return s;
    }
    *blen = len - (size_t)(dot + 1 - s);
    return dot + 1;
}

/* 1 when the select list already has the column (by name, with or
   without its table). */
static int select_has(const struct n1_shape *sh, struct n1_span col)
{
    const char *l = sh->text + sh->select_list.off;
    size_t ll = sh->select_list.len;
    const char *c = sh->text + col.off;
    size_t cbl;
    const char *cb = bare(c, col.len, &cbl);
    size_t i = 0;

    while (i < ll) {
        size_t j = i;
        int depth = 0;
        size_t il;
        size_t ibl;
        const char *ib;

        while (j < ll && !(l[j] == ',' && depth == 0)) {
            depth += l[j] == '(';
            depth -= l[j] == ')';
            j++;
        }
        il = j - i;
        ib = bare(l + i, il, &ibl);
        if ((il == col.len && memcmp(l + i, c, il) == 0) ||
            (ibl == cbl && memcmp(ib, cb, cbl) == 0 &&
             (ib == l + i || cb == c))) {
            return 1;
        }
        i = j + 1;
        while (i < ll && l[i] == ' ') {
            i++;
        }
    }
    return 0;
}

/* Collects the distinct key tuples of the kept rows. */
int n1_rw_collect_keys(const struct n1_rw_input *in, const struct n1_rw_plan *p,
                       size_t max, struct n1_rw_keyset *ks)
{
    for (size_t r = 0; r < in->n_rows; r++) {
        const struct n1_rw_row *row = &in->rows[r];

        if (p->key_is_list) {
            for (size_t i = 0; i < row->n_lits; i++) {
                struct n1_strbuf sb;

                if (row->lits[i].slot != p->keys[0]) {
                    continue;
                }
                n1_strbuf_init(&sb, 0);
                if (n1_rewrite_literal(&sb, &row->lits[i]) < 0) {
                    n1_strbuf_cleanup(&sb);
                    return -1;
                }
                if (keyset_add(ks, n1_rw_sb_take(&sb), r, max) < 0) {
                    return -1;
                }
            }
        } else if (p->n_keys == 1) {
            char *k = slot_sql(row, p->keys[0]);

            if (k == NULL) {
                return 1;
            }
            if (keyset_add(ks, k, r, max) < 0) {
                return -1;
            }
        } else {
            struct n1_strbuf sb;
            int rc = 0;

            n1_strbuf_init(&sb, 0);
            rc |= n1_strbuf_putc(&sb, '(');
            for (size_t k = 0; k < p->n_keys && rc == 0; k++) {
                if (k > 0) {
                    rc |= n1_strbuf_puts(&sb, ", ");
                }
                rc |= render_slot(&sb, row, p->keys[k]);
            }
            rc |= n1_strbuf_putc(&sb, ')');
            if (rc != 0) {
                n1_strbuf_cleanup(&sb);
                return 1;
            }
            if (keyset_add(ks, n1_rw_sb_take(&sb), r, max) < 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* "a, b" of the key columns, with a trailing sep. */
static char *keycols_joined(const struct n1_shape *sh,
                            const struct n1_rw_plan *p, const char *pre,
                            const char *post)
{
    struct n1_strbuf sb;
    int rc = 0;

    n1_strbuf_init(&sb, 0);
    rc |= n1_strbuf_puts(&sb, pre);
    for (size_t k = 0; k < p->n_keys; k++) {
        const struct n1_span c = sh->slots[p->keys[k]].column;

        if (k > 0) {
            rc |= n1_strbuf_puts(&sb, ", ");
        }
        rc |= n1_strbuf_append(&sb, sh->text + c.off, c.len);
    }
    rc |= n1_strbuf_puts(&sb, post);
    if (rc != 0) {
        n1_strbuf_cleanup(&sb);
        return NULL;
    }
    return n1_rw_sb_take(&sb);
}

/*
 * Adds the edits that turn the key predicates into one IN predicate whose
 * list is keys (or, when subq is not NULL, that subquery).
 */
static int plan_key_edits(const struct n1_shape *sh, const struct n1_rw_plan *p,
                          const struct n1_rw_keyset *ks, const char *subq,
                          struct edits *e)
{
    struct n1_strbuf sb;
    int rc = 0;
    const struct n1_shape_slot *k0 = &sh->slots[p->keys[0]];

    n1_strbuf_init(&sb, 0);
    if (p->n_keys == 1) {
        rc |= n1_strbuf_append(&sb, sh->text + k0->column.off, k0->column.len);
    } else {
        char *cols = keycols_joined(sh, p, "(", ")");

        rc |= cols == NULL ? -1 : n1_strbuf_puts(&sb, cols);
        free(cols);
    }
    rc |= n1_strbuf_puts(&sb, " in (");
    if (subq != NULL) {
        rc |= n1_strbuf_puts(&sb, subq);
    } else {
        for (size_t i = 0; i < ks->n; i++) {
            if (i > 0) {
                rc |= n1_strbuf_puts(&sb, ", ");
            }
            rc |= n1_strbuf_puts(&sb, ks->v[i].sql);
        }
    }
    rc |= n1_strbuf_putc(&sb, ')');
    if (rc != 0) {
        n1_strbuf_cleanup(&sb);
        return -1;
    }
    if (edits_add(e, k0->pred.off, k0->pred.len, n1_rw_sb_take(&sb)) < 0) {
        return -1;
    }
    /* Other key predicates go, with the AND that joined them. */
    for (size_t k = 1; k < p->n_keys; k++) {
        const struct n1_shape_slot *sl = &sh->slots[p->keys[k]];
        size_t off = sl->pred.off;
        size_t del = sl->pred.len;

        if (off >= 5 && memcmp(sh->text + off - 5, " and ", 5) == 0) {
            off -= 5;
            del += 5;
        } else if (off + del + 5 <= sh->len &&
                   memcmp(sh->text + off + del, " and ", 5) == 0) {
            del += 5;
        } else {
            return 1;
        }
        if (edits_add(e, off, del, n1_rw_strdup("")) < 0) {
            return -1;
        }
    }
    return 0;
}

/* SELECT (and fanout): IN / row IN / GROUP BY. */
int n1_rw_build_select(const struct n1_rw_input *in, const struct n1_rw_plan *p,
                       const struct n1_rw_keyset *ks, const char *subq,
                       char **sql)
{
    const struct n1_shape *sh = in->shape;
    struct edits e = {0};
    int need_cols = 0;
    int rc;

    rc = plan_key_edits(sh, p, ks, subq, &e);
    if (rc != 0) {
        goto out;
    }
    if (sh->limit.len > 0) {
        rc = edits_add(&e, sh->limit.off, sh->limit.len, n1_rw_strdup(""));
        if (rc != 0) {
            goto out;
        }
    }
    if (!sh->select_star || sh->has_aggregate) {
        for (size_t k = 0; k < p->n_keys; k++) {
            if (!select_has(sh, sh->slots[p->keys[k]].column)) {
                need_cols = 1;
            }
        }
    }
    if (need_cols) {
        rc = edits_add(&e, sh->select_list.off, 0,
                       keycols_joined(sh, p, "", ", "));
        if (rc != 0) {
            goto out;
        }
    }
    if (sh->has_aggregate) {
        if (sh->group_by.len > 0) {
            rc = edits_add(&e, sh->group_by.off, 0,
                           keycols_joined(sh, p, "", ", "));
        } else {
            rc = edits_add(&e, sh->where_end, 0,
                           keycols_joined(sh, p, " group by ", ""));
        }
        if (rc != 0) {
            goto out;
        }
    }
    rc = apply_edits(sh, &e, &in->rows[0], sql);
out:
    edits_free(&e);
    return rc;
}

/* UPDATE and DELETE: key IN, varying SET values as CASE key WHEN (CASE
   WHEN (x, y) = (...) for a compound key). */
int n1_rw_build_update(const struct n1_rw_input *in, const struct n1_rw_plan *p,
                       const struct n1_rw_keyset *ks, char **sql)
{
    const struct n1_shape *sh = in->shape;
    struct edits e = {0};
    char *cols = NULL; /* "(x, y) = " for a compound key */
    int rc;

    rc = plan_key_edits(sh, p, ks, NULL, &e);
    for (unsigned s = 0; s < sh->n_slots && rc == 0 && p->vary_set; s++) {
        const struct n1_shape_slot *sl = &sh->slots[s];
        const struct n1_shape_slot *k0 = &sh->slots[p->keys[0]];
        struct n1_strbuf sb;

        if (sl->role != N1_SLOT_SET || !n1_rw_varies(in, s)) {
            continue;
        }
        n1_strbuf_init(&sb, 0);
        if (p->n_keys == 1) {
            /* case col when 1 then ... */
            rc |= n1_strbuf_puts(&sb, "case ");
            rc |= n1_strbuf_append(&sb, sh->text + k0->column.off,
                                   k0->column.len);
        } else {
            /* case when (x, y) = (1, 2) then ...: a row comparison */
            rc |= n1_strbuf_puts(&sb, "case");
            if (cols == NULL) {
                cols = keycols_joined(sh, p, "(", ") = ");
                rc |= cols == NULL ? -1 : 0;
            }
        }
        for (size_t i = 0; i < ks->n && rc == 0; i++) {
            rc |= n1_strbuf_puts(&sb, " when ");
            if (p->n_keys > 1) {
                rc |= n1_strbuf_puts(&sb, cols);
            }
            rc |= n1_strbuf_puts(&sb, ks->v[i].sql);
            rc |= n1_strbuf_puts(&sb, " then ");
            rc |= render_slot(&sb, &in->rows[ks->v[i].row], s);
        }
        rc |= n1_strbuf_puts(&sb, " end");
        if (rc != 0) {
            n1_strbuf_cleanup(&sb);
            break;
        }
        rc = edits_add(&e, sl->pos, sl->width, n1_rw_sb_take(&sb));
    }
    if (rc == 0) {
        rc = apply_edits(sh, &e, &in->rows[0], sql);
    }
    free(cols);
    edits_free(&e);
    return rc;
}

/*
 * Puts the rows in sb in place of the VALUES row of the statement. rc
 * says whether printing them failed (sb is then only freed); else
 * *listed gets n, the number of rows.
 */
static int splice_rows(const struct n1_rw_input *in, struct n1_strbuf *sb,
                       int rc, size_t n, char **sql, uint64_t *listed)
{
    const struct n1_shape *sh = in->shape;
    struct edits e = {0};

    if (rc != 0) {
        n1_strbuf_cleanup(sb);
        return rc;
    }
    rc = edits_add(&e, sh->values_row.off, sh->values_row.len,
                   n1_rw_sb_take(sb));
    if (rc == 0) {
        rc = apply_edits(sh, &e, &in->rows[0], sql);
    }
    *listed = n;
    edits_free(&e);
    return rc;
}

/* INSERT: one row per execution, up to max. */
int n1_rw_build_insert(const struct n1_rw_input *in, size_t max, char **sql,
                       uint64_t *listed)
{
    const struct n1_shape *sh = in->shape;
    struct n1_strbuf sb;
    size_t n = in->n_rows < max ? in->n_rows : max;
    int rc = 0;

    n1_strbuf_init(&sb, 0);
    for (size_t r = 0; r < n && rc == 0; r++) {
        if (r > 0) {
            rc = n1_strbuf_puts(&sb, ", ");
        }
        if (rc == 0) {
            rc = render_span(&sb, sh, sh->values_row.off,
                             sh->values_row.off + sh->values_row.len,
                             &in->rows[r]);
        }
    }
    return splice_rows(in, &sb, rc, n, sql, listed);
}

/* One multi-row INSERT from one-row executions printed as values(?+):
   each kept execution's literals become one row. */
int n1_rw_build_insert_rows(const struct n1_rw_input *in, size_t max,
                            unsigned slot, char **sql, uint64_t *listed)
{
    struct n1_strbuf sb;
    size_t n = in->n_rows < max ? in->n_rows : max;
    int rc = 0;

    n1_strbuf_init(&sb, 0);
    for (size_t r = 0; r < n && rc == 0; r++) {
        rc = n1_strbuf_puts(&sb, r > 0 ? ", (" : "(");
        if (rc == 0 && render_slot(&sb, &in->rows[r], slot) < 0) {
            rc = -1; /* a row without the slot gives () */
        }
        if (rc == 0) {
            rc = n1_strbuf_putc(&sb, ')');
        }
    }
    return splice_rows(in, &sb, rc, n, sql, listed);
}

/* Keywords the rewrite prints in upper case: reserved in MySQL 5.7/8.x
   and MariaDB 10.x alike, so a bare one in the text is never a name
   (the normaliser keeps the backquotes of reserved names). Sorted. */
/* clang-format off */
static const char *const upper_words[] = {
    "all", "and", "as", "asc", "between", "by", "case", "cross", "delayed",
    "delete", "desc", "distinct", "div", "else", "exists", "false", "for",
    "from", "group", "having", "high_priority", "ignore", "in", "inner",
    "insert", "interval", "into", "is", "join", "key", "left", "like",
    "limit", "lock", "low_priority", "mod", "natural", "not", "null", "on",
    "or", "order", "outer", "regexp", "replace", "right", "select", "set",
    "sql_calc_found_rows", "straight_join", "then", "true", "union",
    "update", "using", "values", "when", "where", "with", "xor",
};
/* clang-format on */

static int word_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(const char *const *)elem);
}

void n1_rw_upper_keywords(char *sql)
{
    char prev[24] = ""; /* the last keyword seen, lower-case */
    unsigned cases = 0; /* CASE ... END levels open */
    size_t i = 0;

    if (sql == NULL) {
        return;
    }
    while (sql[i] != '\0') {
        unsigned char c = (unsigned char)sql[i];
        char low[24];
        size_t start = i, len;
        int up;

        if (c == '\'' || c == '"' || c == '`') {
            i = n1_sqlword_skip_quoted(sql, i);
            prev[0] = '\0';
            continue;
        }
        if (!n1_sqlword_byte(c)) {
            i++;
            continue;
        }
        while (n1_sqlword_byte((unsigned char)sql[i])) {
            i++;
        }
        len = i - start;
        if (len >= sizeof(low) ||
            (start > 0 && (sql[start - 1] == '.' || sql[start - 1] == '@')) ||
            sql[i] == '.') {
            prev[0] = '\0';
            continue;
        }
        for (size_t k = 0; k < len; k++) {
            char ch = sql[start + k];

            low[k] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
        }
        low[len] = '\0';
        up = bsearch(low, upper_words,
                     sizeof(upper_words) / sizeof(upper_words[0]),
                     sizeof(upper_words[0]), word_cmp) != NULL;
        if (strcmp(low, "case") == 0) {
            cases++;
        } else if (strcmp(low, "end") == 0 && cases > 0) {
            cases--;
            up = 1;
        } else if ((strcmp(low, "duplicate") == 0 && strcmp(prev, "on") == 0) ||
                   (strcmp(low, "share") == 0 && strcmp(prev, "for") == 0)) {
            up = 1;
        }
        if (up) {
            for (size_t k = start; k < i; k++) {
                if (sql[k] >= 'a' && sql[k] <= 'z') {
                    sql[k] = (char)(sql[k] - 32);
                }
            }
            memcpy(prev, low, len + 1);
        } else {
            prev[0] = '\0';
        }
    }
}
