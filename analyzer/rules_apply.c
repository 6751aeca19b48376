/* SPDX-License-Identifier: MIT */
/*
 * rules_apply.c: copies the rules' thresholds into struct n1_detect_opts.
 *
 * Each detector copies its own section (its apply function, listed in
 * analyzer/detectors.c); the caps and noise settings are mapped here
 * field by field. Settings without an option here
 * (severity, min_total_time_ms, advice_cache) are used after detection
 * through n1_rules_severity(), n1_rules_too_fast() and the adviser.
 */
#include "analyzer/rules_apply.h"

#include "analyzer/detect_int.h"

void n1_rules_apply(const struct n1_rules *r, struct n1_detect_opts *o)
{
    const struct n1_thresholds *t = n1_rules_thresholds(r);

    for (size_t i = 0; i < n1_detector_count; i++) {
        const struct n1_detector_desc *d = n1_detector_table[i];
        const struct n1_detector_rules *dr = &t->det[d->kind];

        *n1_detector_enabled(d, o) = dr->enabled;
        d->apply(dr, o);
    }

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

    o->reset_commands = t->req.reset_commands;
    o->reset_statements = t->req.reset_statements;
    o->trace_boundary = t->req.traceparent;
    o->preamble_patterns = n1_rules_preambles(r, &o->n_preamble_patterns);
    if (!t->req.preambles) {
        o->preamble_patterns = NULL;
        o->n_preamble_patterns = 0;
    }
    o->gap_factor = t->req.gap_factor;
    o->gap_floor_ms = t->req.gap_floor_ms;
    o->max_body_fingerprints = t->req.max_body_fingerprints;
    o->body_slack = t->req.body_slack;

    o->ignore_default_noise = t->default_noise;
    o->ignore_patterns = n1_rules_ignore(r, &o->n_ignore_patterns);
}
