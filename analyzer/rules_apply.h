/* SPDX-License-Identifier: MIT */
/*
 * rules_apply.h: the rules' thresholds as detector options.
 *
 * src/rules.h knows the rule files and nothing of the analyzer; the
 * detectors know struct n1_detect_opts and nothing of rule files. This is
 * the one place that knows both, so that neither side includes the other.
 */
#ifndef N1_RULES_APPLY_H
#define N1_RULES_APPLY_H

#include "analyzer/detector.h"
#include "rules/rules.h"

/*
 * Overwrites every field of *o that the rules set: thresholds, enables,
 * caps, default noise and the ignore patterns. opts.ignore_patterns then
 * points into r: r must outlive *o and any registry created from it.
 * error_repeats takes the [n_plus_one] value (the registry has one; 0,
 * never, becomes UINT_MAX);
 * n1_rules_severity() grades each kind with its own. [n_plus_one]
 * min_distinct_keys also applies to fanout, which shares the option.
 */
void n1_rules_apply(const struct n1_rules *r, struct n1_detect_opts *o);

#endif /* N1_RULES_APPLY_H */
