/* SPDX-License-Identifier: MIT */
/*
 * findings_int.h: the pieces of findings.c the class report (classes.c)
 * builds on: one finding as a JSON object, its evidence, a document
 * member written at its depth, and the text blocks; and the verdict of
 * `verify` as every report of report/ shows it. Not public.
 */
#ifndef N1_REPORT_FINDINGS_INT_H
#define N1_REPORT_FINDINGS_INT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "base/finding.h"
#include "report/findings.h"
#include "store/store.h"

/* Dump flags: jansson writes reals with 17 digits unless told. */
#define N1_RF_DUMP_COMPACT (JSON_COMPACT | JSON_REAL_PRECISION(15))
#define N1_RF_DUMP_PRETTY  (JSON_INDENT(2) | JSON_REAL_PRECISION(15))

/* The fields every finding object has (docs/findings.schema.json); NULL
   when memory ran out. with_conn 0 leaves out connection(s). */
json_t *n1_rf_finding_object(const struct n1_finding *f, int with_conn);

/* f's keys as a JSON array of strings; NULL when memory ran out. */
json_t *n1_rf_keys_array(const struct n1_finding *f);

/* The "evidence" object of one occurrence; NULL when memory ran out. */
json_t *n1_rf_evidence_object(const struct n1_evidence *e);

/* The object n1_finding_to_json() renders: the finding's object with its
   connections, "class" and "evidence". NULL when out of memory. */
json_t *n1_rf_occurrence_line(const struct n1_finding *f);

/* A UTC time as the reports write it, or json null for N1_TS_NONE. */
json_t *n1_rf_time(int64_t us);

/* A time as the text report writes it, into buf (N1_TS_ISO_MAX bytes). */
void n1_rf_iso_time(int64_t us, char *buf);

/* A verdict of `verify` as {"verdict", "detail", "host", "verified_at"};
   NULL when memory ran out. */
json_t *n1_rf_verdict_object(const struct n1_store_verdict *v);

/* Bytes that hold any n1_rf_verdict_text(). */
#define N1_RF_VERDICT_MAX 1024

/*
 * A verdict of `verify` as one line into buf (n bytes, cut to fit):
 * "WORD on HOST at TIME", with ": DETAIL" after it when with_detail is 1
 * and the verdict is not "verified" (a verified finding's detail only
 * repeats what matched). The text is raw: each writer escapes it.
 */
void n1_rf_verdict_text(const struct n1_store_verdict *v, int with_detail,
                        char *buf, size_t n);

/* Writes v pretty-printed, each line after the first indented by indent
   spaces. Returns 0, 1 when memory ran out, -1 on a write error. */
int n1_rf_dump_nested(FILE *out, const json_t *v, int indent);

/* The document's "tool" and "inputs" members; NULL when out of memory. */
json_t *n1_rf_tool(void);
json_t *n1_rf_inputs(const struct n1_report_input *in, size_t n_in);

/* Writes s with control characters shown as '?'. */
void n1_rf_put_clean(FILE *out, const char *s, int keep_nl);

/* Writes path in at most max bytes (max >= 8): as it is when it fits,
   else with the middle of its directory (or the start of a file name too
   long by itself) elided as "...". Control characters show as '?'.
   Returns the bytes written. The JSON keeps the whole path. */
size_t n1_rf_put_path(FILE *out, const char *path, size_t max);

/* Lines of the text report are at most this long, except those holding
   SQL (a statement, a rewrite), which stay whole to be copied. */
#define N1_RF_TEXT_COLUMNS 78

/* What the text block of a class adds to a finding's. */
struct n1_rf_class_text {
    void (*summary)(FILE *out, void *ud); /* after the seen line */
    void *ud;                             /* passed to summary */
    int many;                             /* 1: several occurrences:
                                             connections summarised */
    size_t connections;                   /* distinct connections */
    int full;                             /* 1: a long rewrite whole */
};

/* One text block; x NULL for a lone finding. */
void n1_rf_text_finding(FILE *out, size_t rank, const struct n1_finding *f,
                        const struct n1_rf_class_text *x);

/* The header's and footer's words shared by every findings report. */
void n1_rf_text_header(FILE *out, size_t n, const size_t *per_kind,
                       size_t n_in);
int n1_rf_text_footer(FILE *out, size_t n, const struct n1_report_input *in,
                      size_t n_in, struct n1_error *err);

#endif /* N1_REPORT_FINDINGS_INT_H */
