/* SPDX-License-Identifier: MIT */
/*
 * report_sarif.h: the verdict of `n1digest check` as a SARIF 2.1.0 log.
 *
 * One run, whose tool.driver lists every rule of the report (detector
 * kinds and adviser rules) and whose results are the report's results.
 * GitHub code scanning accepts the log as it is (docs/ci.md): every
 * result has a ruleId, a level, a message with the rewrite, at least one
 * location and partialFingerprints keyed by the result's stable id (the
 * class id for a finding class).
 */
#ifndef N1_REPORT_SARIF_H
#define N1_REPORT_SARIF_H

#include <stdio.h>

#include "base/error.h"
#include "report/ci.h"

/* Key of the stable id in each result's partialFingerprints. */
#define N1_SARIF_FINGERPRINT_KEY "n1digestFindingId/v2"

/* SARIF level of a severity: "note", "warning" or "error". */
const char *n1_sarif_level(enum n1_severity s);

/*
 * Writes a percent-encoded URI reference for a file path into buf (size
 * n, NUL-terminated; cut when too small): a relative path stays relative
 * (a leading "./" dropped), an absolute one becomes a file:// URI. Bytes
 * other than letters, digits, "-._~" and "/" are encoded. Returns buf.
 */
char *n1_sarif_uri(const char *path, char *buf, size_t n);

/*
 * Writes r as a SARIF 2.1.0 log (pretty-printed, newline at the end).
 * A class result has one location per place it lists (its first
 * N1_CI_MAX_PLACES occurrences; the message gives the total), any other
 * result one. A location is the source file and line of the location
 * tag when the statement carried one, else the log file and line where
 * it was first seen; both forms also carry a logical location naming the
 * table and fingerprint. Bytes that are not UTF-8 become
 * U+FFFD. Returns 0, or -1 with err set (N1_ESYS).
 */
int n1_report_sarif(FILE *out, const struct n1_ci_report *r,
                    struct n1_error *err);

#endif /* N1_REPORT_SARIF_H */
