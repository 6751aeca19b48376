/* SPDX-License-Identifier: MIT */
/*
 * digest_cond.c: digest's numeric --filter conditions, "Query_time>1",
 * "Rows_examined>=1000", as pt-query-digest users write them.
 *
 * A condition names one attribute of the aggregate (the slow-log metrics
 * and Query_length), an operator and a number. On events it is exact; on
 * a stored class, where only the minimum and maximum of the attribute are
 * kept, it says whether every event matches, none does, or the class
 * straddles the bound (the caller then refuses rather than guess).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report/digest.h"
#include "stats/aggregate.h"

/* Operators, longest spelling first so that ">=" is not read as ">". */
static const struct {
    const char *text;
    enum n1_cmp_op op;
} ops[] = {
    {">=", N1_CMP_GE}, {"<=", N1_CMP_LE}, {"!=", N1_CMP_NE},
    {">", N1_CMP_GT},  {"<", N1_CMP_LT},  {"=", N1_CMP_EQ},
};

int n1_digest_parse_cond(const char *s, struct n1_digest_cond *c,
                         struct n1_error *err)
{
    size_t alen = strcspn(s, "<>=!");
    int metric = -1;
    size_t k;
    char *end = NULL;
    double v;

    for (unsigned m = 0; m < N1_AGG_NMETRICS && alen > 0; m++) {
        const char *name = n1_agg_metric_name(m);

        if (strlen(name) == alen && strncasecmp(s, name, alen) == 0) {
            metric = (int)m;
        }
    }
    if (metric < 0) {
        return 0; /* not an attribute: a KEY=VALUE filter, maybe */
    }
    for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
        if (strncmp(s + alen, ops[k].text, strlen(ops[k].text)) == 0) {
            break;
        }
    }
    if (k < sizeof(ops) / sizeof(ops[0])) {
        const char *num = s + alen + strlen(ops[k].text);

        v = strtod(num, &end);
        if (end != num && *end == '\0' && v == v) {
            c->metric = (unsigned)metric;
            c->op = ops[k].op;
            c->value = v;
            return 1;
        }
    }
    n1_err_set(err, N1_EUSAGE, NULL, 0,
               "--filter: expected %.*s followed by >, >=, <, <=, =, or != "
               "and a number, got '%s'",
               (int)alen, s, s);
    return -1;
}

/* 1 when v satisfies c. */
static int holds(const struct n1_digest_cond *c, double v)
{
    switch (c->op) {
    case N1_CMP_LT:
        return v < c->value;
    case N1_CMP_LE:
        return v <= c->value;
    case N1_CMP_GT:
        return v > c->value;
    case N1_CMP_GE:
        return v >= c->value;
    case N1_CMP_EQ:
        return v == c->value;
    case N1_CMP_NE:
        return v != c->value;
    }
    return 0;
}

int n1_digest_cond_event(const struct n1_digest_cond *c,
                         const struct n1_event *ev)
{
    if (c->metric == N1_AGG_QUERY_LENGTH) {
        return holds(c, (double)ev->sql_len);
    }
    if (!(ev->metric_mask & (1u << c->metric))) {
        return 0; /* the log did not give it: no value to match */
    }
    return holds(c, ev->metric[c->metric]);
}

int n1_digest_cond_class(const struct n1_digest_cond *c,
                         const struct n1_agg_class *cl)
{
    const struct n1_agg_stats *s = &cl->m[c->metric];
    int every = s->n == cl->count; /* every event has the attribute */
    int outside = c->value < s->min || c->value > s->max;
    int single = s->min == s->max && s->min == c->value;
    int some;
    int all;

    if (s->n == 0) {
        return 0; /* events without the attribute never match */
    }
    switch (c->op) {
    case N1_CMP_EQ:
        all = single;
        some = !outside;
        break;
    case N1_CMP_NE:
        all = outside;
        some = !single;
        break;
    default: /* monotone: the ends decide */
        all = holds(c, s->min) && holds(c, s->max);
        some = holds(c, s->min) || holds(c, s->max);
        break;
    }
    if (all && every) {
        return 1;
    }
    return some ? -1 : 0;
}
