/* SPDX-License-Identifier: MIT */
/*
 * markdown.h: the check verdict and the analyze findings as GitHub
 * Flavored Markdown, for CI job summaries ($GITHUB_STEP_SUMMARY) and
 * merge-request comments.
 *
 * A document is short: a heading with the run's status, a table of
 * findings (check: the new ones; analyze: every class) and each rewrite
 * in a collapsible <details> block with a ```sql fence, after the
 * verdict of `verify` and its detail when the result or class has one. It fits
 * the 1 MiB GitHub allows a step summary: rows and rewrites past the budget are
 * counted in a "N more, see the JSON report" line instead. docs/ci.md shows the
 * CI steps that use it.
 */
#ifndef N1_REPORT_MARKDOWN_H
#define N1_REPORT_MARKDOWN_H

#include <stddef.h>
#include <stdio.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "report/ci.h"
#include "report/classes.h"

/* GitHub's limit on one step summary. */
#define N1_MD_MAX_BYTES ((size_t)1024 * 1024)

/* What a Markdown document may hold; a zero field takes its default. */
struct n1_md_opts {
    size_t max_bytes;   /* the whole document (N1_MD_MAX_BYTES) */
    size_t max_rows;    /* rows of the findings table (100) */
    size_t max_details; /* rewrites shown (25) */
};

/*
 * Appends len bytes of s to sb as the text of one Markdown table cell:
 * & < > and @ become character references (no HTML, no mention);
 * \ ` | * _ [ ] ~ ! # $ get a backslash, and so does a - or + that
 * starts the cell; newlines, tabs and carriage returns become spaces;
 * other control characters and bytes that are not UTF-8 become U+FFFD.
 * Returns 0, or -1 when sb's cap or memory ran out (sb may then hold
 * part of the text).
 */
int n1_md_cell(struct n1_strbuf *sb, const char *s, size_t len);

/*
 * The number of backticks of a code fence that no line of the len bytes
 * of s can close: one more than the longest run of backticks in s, at
 * least 3.
 */
size_t n1_md_fence_len(const char *s, size_t len);

/*
 * Writes the check report r as Markdown: the status (PASS, FAIL, ERROR
 * when an input could not be read, or the baseline written), the inputs
 * not read, a table of the new results, then each of their rewrites.
 * o may be NULL for the defaults. Returns 0, or -1 with err set
 * (N1_ESYS: memory or a write error).
 */
int n1_report_ci_markdown(FILE *out, const struct n1_ci_report *r,
                          const struct n1_md_opts *o, struct n1_error *err);

/*
 * Writes the classes of an analyze run as Markdown: the status (ERROR
 * when an input of r->in could not be read, FAIL with findings when
 * fail_on_findings is set, WARNING when lines were skipped, else PASS or
 * FINDINGS), a table of every class in the set's order, then each
 * rewrite. o may be NULL. Returns 0, or -1 with err set (N1_ESYS).
 */
int n1_report_classes_markdown(FILE *out, const struct n1_class_set *set,
                               const struct n1_class_report *r,
                               int fail_on_findings, const struct n1_md_opts *o,
                               struct n1_error *err);

#endif /* N1_REPORT_MARKDOWN_H */
