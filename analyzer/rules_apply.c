/* SPDX-License-Identifier: MIT */
/*
 * rules_apply.c: copies the rules' thresholds into struct n1_detect_opts.
 *
 * A plain field-by-field mapping. Settings without an option here
 * (severity, min_total_time_ms, advice_cache) are used after detection
 * through n1_rules_severity(), n1_rules_too_fast() and the adviser.
 */
#include "analyzer/rules_apply.h"

void n1_rules_apply(const struct n1_rules *r, struct n1_detect_opts *o)
{
    const struct n1_thresholds *t = n1_rules_thresholds(r);
    const struct n1_detector_rules *np = &t->det[N1_FIND_N_PLUS_ONE];
    const struct n1_detector_rules *dup = &t->det[N1_FIND_DUPLICATE];
    const struct n1_detector_rules *fan = &t->det[N1_FIND_FANOUT];

    o->enable_nplus1 = np->enabled;
    o->min_repeats = np->min_repeats;
    o->min_distinct_keys = np->min_distinct_keys;
    o->max_gap_ms = np->max_gap_ms;
    o->max_gap_statements = np->max_gap_statements;
    o->min_batch_items = np->min_batch_items;
    o->error_repeats = np->error_repeats > 0 ? np->error_repeats : ~0u;

    o->enable_duplicate = dup->enabled;
    o->dup_min_repeats = dup->min_repeats;

    o->enable_fanout = fan->enabled;
    o->fanout_window_ms = fan->window_ms;
    o->fanout_min_conns = fan->min_connections;
    o->fanout_max_stmts = fan->max_statements;

    o->idle_ms = t->idle_ms;
    o->max_connections = t->max_connections;
    o->max_loops_per_conn = t->max_loops_per_conn;
    o->max_keys = t->max_keys;
    o->max_distinct = t->max_distinct;
    o->max_sample_bytes = t->max_sample_bytes;
    o->max_memory = t->max_memory;
    o->max_fanout_groups = t->max_fanout_groups;
    o->max_fanout_members = t->max_fanout_members;
    o->shape_cache = t->shape_cache;

    o->ignore_default_noise = t->default_noise;
    o->ignore_patterns = n1_rules_ignore(r, &o->n_ignore_patterns);
}
