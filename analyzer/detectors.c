/* SPDX-License-Identifier: MIT */
/*
 * detectors.c: the table of detectors.
 *
 * One row per detector. The registry (detector.c) creates the enabled
 * ones in this order, n1_detect_opts_default() takes each one's defaults
 * and n1_rules_apply() hands each one its rules section. Adding a
 * detector is its own file, defining a struct n1_detector_desc, plus a
 * row here (docs/analyzer.md, "Adding a detector").
 */
#include "analyzer/detect_int.h"

const struct n1_detector_desc *const n1_detector_table[] = {
    &n1_nplus1_desc,    /* one statement per key in a loop */
    &n1_duplicate_desc, /* the same statement with the same values */
    &n1_fanout_desc,    /* one statement each on many new connections */
};

const size_t n1_detector_count =
    sizeof(n1_detector_table) / sizeof(n1_detector_table[0]);

int *n1_detector_enabled(const struct n1_detector_desc *d,
                         struct n1_detect_opts *o)
{
    return (int *)(void *)((char *)o + d->enable_off);
}
