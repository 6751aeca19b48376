/* SPDX-License-Identifier: MIT */
/*
 * finding_line.h: the one-line text form of a finding that the following
 * commands (`tail`, `live`) print as each loop ends.
 */
#ifndef N1_FINDING_LINE_H
#define N1_FINDING_LINE_H

#include "base/finding.h"

/*
 * The text line of f without its "\n": time, severity, kind, count,
 * keys, table, connection(s), fingerprint and class ids, where it was
 * first seen and the normal form, control characters shown as '?'.
 * Returns the line, which the caller frees with free(), or NULL when
 * memory ran out.
 */
char *n1_finding_line(const struct n1_finding *f);

#endif /* N1_FINDING_LINE_H */
