/* SPDX-License-Identifier: MIT */
/*
 * adviser.c: runs the adviser rules on each distinct statement.
 *
 * Each enabled rule is compiled once (JIT when available) with its own
 * match data. A rule fires when its pattern matches the fingerprint text
 * and, for rules with literal conditions, when at one of the matches the
 * literals at the offset of the "slot" group satisfy every condition:
 * the slot is compared with struct n1_literal.pos, the offset of the `?`
 * each literal became, so a collapsed IN list gives all of its items.
 *
 * The cache is an open-addressing table keyed by fingerprint id, with per
 * entry one bit for each literal rule whose pattern matched but whose
 * literals have not satisfied it yet. When it holds advice_cache entries
 * it is emptied and starts over; this keeps memory fixed without the
 * bookkeeping of an LRU, at the price of repeating advice after a reset.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "analyzer/adviser.h"

/* Matches of one pattern looked at per statement, so that a pathological
   text cannot make a check quadratic. */
#define MAX_MATCHES 64

struct crule {
    const struct n1_advice_rule *rule; /* borrowed from the rules */
    pcre2_code *re;                    /* its pattern */
    pcre2_code *lit_re;                /* its literal_pattern, or NULL */
    pcre2_match_data *md;              /* for re */
    pcre2_match_data *lit_md;          /* for lit_re */
    int slot;                          /* group number of "slot", or 0 */
    size_t bit;                        /* pending bit (literal rules) */
};

struct n1_adviser {
    struct crule *rules; /* enabled rules, in rule-file order */
    size_t n_rules;
    size_t n_bits;          /* literal rules: pending bits per entry */
    size_t row;             /* bytes of pending bits per entry */
    uint64_t *keys;         /* fingerprint ids, per bucket */
    unsigned char *used;    /* 1 when the bucket holds a key */
    unsigned char *pending; /* row bytes per bucket */
    size_t mask;            /* buckets - 1 */
    size_t n, cap;          /* entries, and when to empty the table */
    struct n1_adviser_stats stats;
};

void n1_adviser_free(struct n1_adviser *a)
{
    if (a == NULL) {
        return;
    }
    for (size_t i = 0; i < a->n_rules; i++) {
        pcre2_match_data_free(a->rules[i].md);
        pcre2_match_data_free(a->rules[i].lit_md);
        pcre2_code_free(a->rules[i].re);
        pcre2_code_free(a->rules[i].lit_re);
    }
    free(a->rules);
    free(a->keys);
    free(a->used);
    free(a->pending);
    free(a);
}

/* Compiles a pattern the rules module already checked. NULL: memory. */
static pcre2_code *compile(const char *pattern)
{
    pcre2_code *re = NULL;
    int ec = 0;
    PCRE2_SIZE eo = 0;

    re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &ec, &eo,
                       NULL);
    if (re != NULL) {
        /* Without JIT pcre2_match() interprets; both give one answer. */
        (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    }
    return re;
}

static int compile_rule(struct n1_adviser *a, const struct n1_advice_rule *r)
{
    struct crule *c = &a->rules[a->n_rules];

    memset(c, 0, sizeof(*c));
    c->rule = r;
    c->re = compile(r->pattern);
    if (c->re == NULL) {
        return -1;
    }
    a->n_rules++; /* from here n1_adviser_free() cleans up */
    c->md = pcre2_match_data_create_from_pattern(c->re, NULL);
    if (c->md == NULL) {
        return -1;
    }
    if (r->literal_pattern != NULL) {
        c->lit_re = compile(r->literal_pattern);
        if (c->lit_re == NULL) {
            return -1;
        }
        c->lit_md = pcre2_match_data_create_from_pattern(c->lit_re, NULL);
        if (c->lit_md == NULL) {
            return -1;
        }
    }
    if (r->literal_pattern != NULL || r->min_items > 0 || r->has_min_value) {
        c->slot = pcre2_substring_number_from_name(c->re, (PCRE2_SPTR) "slot");
        if (c->slot <= 0) {
            c->slot = -1; /* cannot happen: the rules checked it */
        }
        c->bit = a->n_bits++;
    }
    return 0;
}

struct n1_adviser *n1_adviser_new(const struct n1_rules *r,
                                  struct n1_error *err)
{
    struct n1_adviser *a = NULL;
    const struct n1_advice_rule *rules = NULL;
    size_t n = 0;
    size_t nb = 16;

    a = calloc(1, sizeof(*a));
    if (a == NULL) {
        goto oom;
    }
    rules = n1_rules_advice(r, &n);
    a->rules = calloc(n > 0 ? n : 1, sizeof(*a->rules));
    if (a->rules == NULL) {
        goto oom;
    }
    for (size_t i = 0; i < n; i++) {
        if (rules[i].enabled && compile_rule(a, &rules[i]) != 0) {
            goto oom;
        }
    }
    a->cap = n1_rules_thresholds(r)->advice_cache;
    if (a->cap == 0) {
        a->cap = 1;
    }
    while (nb < a->cap * 2 && nb < ((size_t)1 << 30)) {
        nb *= 2;
    }
    if (a->cap > nb / 2) {
        a->cap = nb / 2;
    }
    a->mask = nb - 1;
    a->row = (a->n_bits + 7) / 8;
    a->keys = calloc(nb, sizeof(*a->keys));
    a->used = calloc(nb, 1);
    a->pending = calloc(nb, a->row > 0 ? a->row : 1);
    if (a->keys == NULL || a->used == NULL || a->pending == NULL) {
        goto oom;
    }
    return a;
oom:
    n1_adviser_free(a);
    n1_err_oom(err, "compiling the adviser rules");
    return NULL;
}

static size_t probe(const struct n1_adviser *a, uint64_t fp)
{
    size_t b = (size_t)((fp * 0x9e3779b97f4a7c15ULL) >> 20) & a->mask;

    while (a->used[b] && a->keys[b] != fp) {
        b = (b + 1) & a->mask;
    }
    return b;
}

/*
 * The bucket of fp, added when new (emptying a full table first); *found
 * tells whether it was already there.
 */
static size_t lookup(struct n1_adviser *a, uint64_t fp, int *found)
{
    size_t b = probe(a, fp);

    *found = a->used[b];
    if (*found) {
        return b;
    }
    if (a->n >= a->cap) {
        memset(a->used, 0, a->mask + 1);
        a->n = 0;
        a->stats.cache_resets++;
        b = probe(a, fp);
    }
    a->used[b] = 1;
    a->keys[b] = fp;
    memset(a->pending + b * a->row, 0, a->row);
    a->n++;
    return b;
}

/* Whether the literals at fingerprint offset pos satisfy the rule. */
static int literals_ok(const struct crule *c, const struct n1_norm *norm,
                       size_t pos)
{
    const struct n1_advice_rule *r = c->rule;
    unsigned items = 0;
    int value_ok = !r->has_min_value;
    int pattern_ok = c->lit_re == NULL;

    for (size_t i = 0; i < norm->n_lits; i++) {
        const struct n1_literal *l = &norm->lits[i];

        if (l->pos != pos) {
            continue;
        }
        items++;
        if (l->value == NULL) {
            continue;
        }
        if (!value_ok && l->type == N1_LIT_NUMBER) {
            char *end = NULL;
            double d = strtod(l->value, &end);

            value_ok = end != l->value && !isnan(d) && d >= r->min_value;
        }
        if (!pattern_ok) {
            pattern_ok = pcre2_match(c->lit_re, (PCRE2_SPTR)l->value, l->len, 0,
                                     0, c->lit_md, NULL) >= 0;
        }
    }
    return items > 0 && items >= r->min_items && value_ok && pattern_ok;
}

/*
 * Tries one rule on the statement. Returns 1 when it fires, 0 when it
 * does not, and sets *matched when the pattern matched at all.
 */
static int try_rule(const struct crule *c, const struct n1_norm *norm,
                    int *matched)
{
    size_t start = 0;

    *matched = 0;
    for (int k = 0; k < MAX_MATCHES && start <= norm->len; k++) {
        PCRE2_SIZE *ov = NULL;
        int rc = pcre2_match(c->re, (PCRE2_SPTR)norm->text, norm->len, start, 0,
                             c->md, NULL);

        if (rc < 0) {
            break;
        }
        *matched = 1;
        if (c->slot == 0) {
            return 1;
        }
        ov = pcre2_get_ovector_pointer(c->md);
        if (c->slot > 0 && ov[2 * c->slot] != PCRE2_UNSET &&
            literals_ok(c, norm, ov[2 * c->slot])) {
            return 1;
        }
        start = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
    }
    return 0;
}

static void emit_one(struct n1_adviser *a, const struct crule *c,
                     const struct n1_norm *norm, const char *sample,
                     size_t sample_len, n1_advice_fn emit, void *ud)
{
    struct n1_advice adv;

    memset(&adv, 0, sizeof(adv));
    adv.rule = c->rule->name;
    adv.severity = c->rule->severity;
    adv.message = c->rule->message;
    adv.advice = c->rule->advice != NULL ? c->rule->advice : "";
    adv.origin = c->rule->origin;
    adv.fingerprint = norm->id;
    adv.fingerprint_text = norm->text;
    adv.sample = sample != NULL ? sample : "";
    adv.sample_len = sample != NULL ? sample_len : 0;
    a->stats.advices++;
    if (emit != NULL) {
        emit(ud, &adv);
    }
}

int n1_adviser_check(struct n1_adviser *a, const struct n1_norm *norm,
                     const char *sample, size_t sample_len, n1_advice_fn emit,
                     void *ud, struct n1_error *err)
{
    unsigned char *bits = NULL;
    int found = 0;
    int fired = 0;
    size_t b;

    (void)err; /* nothing here allocates */
    a->stats.statements++;
    if (a->n_rules == 0) {
        return 0;
    }
    b = lookup(a, norm->id, &found);
    bits = a->pending + b * a->row;
    if (found) {
        a->stats.cache_hits++;
    }
    for (size_t i = 0; i < a->n_rules; i++) {
        const struct crule *c = &a->rules[i];
        int is_lit = c->slot != 0;
        int matched = 0;
        unsigned char mask = 0;

        if (is_lit) {
            mask = (unsigned char)(1u << (c->bit % 8));
        }
        /* A cached statement only retries literal rules still pending. */
        if (found && !(is_lit && (bits[c->bit / 8] & mask))) {
            continue;
        }
        if (try_rule(c, norm, &matched)) {
            emit_one(a, c, norm, sample, sample_len, emit, ud);
            fired++;
            if (is_lit) {
                bits[c->bit / 8] &= (unsigned char)~mask;
            }
        } else if (is_lit && matched) {
            bits[c->bit / 8] |= mask;
        }
    }
    return fired;
}

void n1_adviser_stats(const struct n1_adviser *a, struct n1_adviser_stats *st)
{
    *st = a->stats;
}
