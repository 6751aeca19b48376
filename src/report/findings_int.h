/* SPDX-License-Identifier: MIT */
/*
 * findings_int.h: the pieces of findings.c and finding_json.c the class
 * report (classes.c) builds on: a finding's members as a JSON object or
 * text, a document member written at its depth, and the text blocks; and the
 * verdict of `verify` as every report of report/ shows it. Not public.
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

/*
 * The members of a finding object (docs/findings.schema.json), each
 * defined once in finding_json.c, in the order the store writes them.
 */
enum n1_rf_member {
    N1_RF_ID,                /* "id": the class id */
    N1_RF_KIND,              /* "kind" */
    N1_RF_SEVERITY,          /* "severity" */
    N1_RF_STATEMENT,         /* "statement" */
    N1_RF_TABLE,             /* "table" */
    N1_RF_KEY_COLUMNS,       /* "key_columns" */
    N1_RF_CONNECTION,        /* "connections" of a fanout, else
                                "connection" */
    N1_RF_COUNT,             /* "count" */
    N1_RF_DISTINCT_KEYS,     /* "distinct_keys" */
    N1_RF_ROUND_TRIPS_SAVED, /* "round_trips_saved" */
    N1_RF_FINGERPRINT,       /* "fingerprint" */
    N1_RF_FINGERPRINT_TEXT,  /* "fingerprint_text" */
    N1_RF_SAMPLE,            /* "sample" */
    N1_RF_FIRST_SEEN,        /* "first_seen" */
    N1_RF_LAST_SEEN,         /* "last_seen" */
    N1_RF_TOTAL_TIME_S,      /* "total_time_s" */
    N1_RF_PARENT,            /* "parent" */
    N1_RF_TAGS,              /* "tags" */
    N1_RF_LOCATION,          /* "location" */
    N1_RF_REWRITE,           /* "rewrite" */
    N1_RF_REWRITE_KIND,      /* "rewrite_kind" */
    N1_RF_KEYS,              /* "keys", only when the finding has keys */
    N1_RF_ADVICE,            /* "advice" */
    N1_RF_FILE,              /* "file" */
    N1_RF_LINE,              /* "line" */
    N1_RF_CLASS,             /* "class": the class id again */
    N1_RF_EVIDENCE,          /* "evidence" of the occurrence */
    N1_RF_MEMBERS            /* how many there are */
};

/* The members m[0..n) of f as a jansson object; m NULL for every member
   in order (n N1_RF_MEMBERS), the object the store keeps of a finding
   (n1_finding_to_json()) and `tail` prints. NULL when memory ran out or
   a real is not finite. */
json_t *n1_rf_members_object(const struct n1_finding *f,
                             const enum n1_rf_member *m, size_t n);

/*
 * The text n1_rj_dumps() writes of n1_rf_members_object(f, m, n), without
 * the tree: compact (N1_RF_DUMP_COMPACT) when indent is -1, else pretty
 * (N1_RF_DUMP_PRETTY) with indent more spaces after every line break.
 * Returns a string to free(), or NULL when n1_rf_members_object() would
 * fail.
 */
char *n1_rf_members_text(const struct n1_finding *f, const enum n1_rf_member *m,
                         size_t n, int indent);

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
