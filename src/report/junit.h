/* SPDX-License-Identifier: MIT */
/*
 * report_junit.h: the verdict of `n1digest check` as JUnit XML, for CI
 * systems that show test reports (GitLab, Jenkins, ...).
 *
 * One <testsuite> in a <testsuites> root. Each failing result is a test
 * case with a <failure>; each result that does not fail the run (in the
 * baseline, allowed, or below the failing severity) is a skipped case
 * saying why; each rule without a failing result is one passing case.
 * The case's classname is "n1digest.<rule id>" and its name starts with
 * the result's stable id, so CI systems that key cases on (classname,
 * name) track a finding across runs.
 */
#ifndef N1_REPORT_JUNIT_H
#define N1_REPORT_JUNIT_H

#include <stddef.h>
#include <stdio.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "report/ci.h"

/*
 * Appends len bytes of s to sb escaped for XML 1.0 character data and
 * attribute values alike: & < > " ' become entities; tab, newline and
 * carriage return become character references (so attribute value
 * normalisation keeps them); other control characters, which XML 1.0
 * cannot carry at all, U+FFFE, U+FFFF and bytes that are not valid UTF-8
 * become U+FFFD. Returns 0, or -1 when sb's cap or memory ran out (sb
 * may then hold part of the text).
 */
int n1_xml_escape(struct n1_strbuf *sb, const char *s, size_t len);

/*
 * Writes r as JUnit XML (UTF-8, newline at the end). Returns 0, or -1
 * with err set (N1_ESYS for memory or a write error).
 */
int n1_report_junit(FILE *out, const struct n1_ci_report *r,
                    struct n1_error *err);

#endif /* N1_REPORT_JUNIT_H */
