/* SPDX-License-Identifier: MIT */
/*
 * verify.h: `n1digest verify`: does a rewrite return what its loop
 * returned, on a real server?
 *
 * The findings to check come from an analyze JSON report
 * (docs/findings.schema.json), parsed here from untrusted bytes into
 * targets: one per class (its rewrite with its keys), and one per
 * occurrence whose rewrite or keys differ from the class's. For each
 * target the loop is rebuilt, one statement per key, from the fingerprint
 * text, the sample's other literals and the key's literals; the loop and
 * the rewrite run in a READ ONLY transaction with a statement time limit
 * (verify_run.c), and the rows are compared here.
 *
 * The pure parts (report parsing, the safety classification, the row
 * comparison, the EXPLAIN judgement, the CREATE INDEX text) have no
 * server in them and are unit-tested (tests/test_verify.c).
 */
#ifndef N1_VERIFY_H
#define N1_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "read/conn.h"
#include "sql/normalize.h"

/* One rewrite to check: a class's, or one of its occurrences'. */
struct n1_verify_target {
    char id[17];              /* the class id (16 hex digits) */
    const char *kind;         /* "n_plus_one" or "fanout" */
    const char *statement;    /* "select", "update", ... */
    const char *table;        /* main table as written, or "" */
    const char *fp_text;      /* fingerprint text; NULL when absent */
    const char *sample;       /* one execution as logged; NULL */
    const char *rewrite;      /* the statement checked; NULL: none */
    const char *rewrite_kind; /* "in_list", ...; NULL */
    const char *parent_sql;   /* the parent as logged; NULL */
    const char *parent_table; /* its main table; NULL */
    const char **key_columns; /* as written */
    size_t n_key_columns;
    const char **keys; /* the loop's keys as SQL literals */
    size_t n_keys;
    int occurrence; /* 0: the class's rewrite, else the 1-based
                       index of the occurrence */
};

/* The targets of a report. Strings are owned by the parsed document. */
struct n1_verify_report {
    struct n1_verify_target *v; /* in report order */
    size_t n;
    void *doc; /* the parsed JSON (private) */
};

/*
 * Parses len bytes of an analyze JSON report (untrusted) into *out
 * (zeroed first). Classes of kind duplicate are left out (nothing to
 * batch); only and when not NULL, only the class whose id it names.
 * Returns 0, or -1 with err set (N1_EPARSE naming `name` and, for bad
 * JSON, the line) and *out empty. Free with n1_verify_report_cleanup().
 */
int n1_verify_report_parse(const char *text, size_t len, const char *name,
                           const char *only, struct n1_verify_report *out,
                           struct n1_error *err);

/* Frees what *r owns and zeroes it. NULL allowed. */
void n1_verify_report_cleanup(struct n1_verify_report *r);

/*
 * Why sql must not run without --allow-writes, or NULL when it is a plain
 * read: INTO OUTFILE/DUMPFILE, GET_LOCK and the other lock functions,
 * SLEEP, CALL, SET, DDL, LOCK TABLES, LOAD DATA, HANDLER, writes
 * (INSERT, UPDATE, DELETE, REPLACE), more than one statement, anything
 * that is not a SELECT. Words inside quotes and comments do not count.
 * With allow_writes, the plain INSERT, UPDATE, DELETE and REPLACE are
 * allowed (they run in a transaction that is rolled back); the rest is
 * still refused. The reason is a static string.
 */
const char *n1_verify_refusal(const char *sql, int allow_writes);

/*
 * Rows as text for the comparison: a row is one string, each field
 * "N" for NULL or "V" followed by the value's length in hex, ':' and its
 * bytes, so that NULL and "NULL" differ and no field runs into the next.
 * Appends one field to sb. Returns 0, or -1 when sb's cap was hit.
 */
int n1_verify_row_field(struct n1_strbuf *sb, const char *v, size_t len);

/*
 * Writes an encoded row (n1_verify_row_field()) for people, into buf:
 * "(1, 'a', NULL)", cut to cap with "...". Returns buf.
 */
char *n1_verify_row_show(const char *row, size_t len, char *buf, size_t cap);

/*
 * Multiset containment: every row of need (n_need encoded rows, with
 * their lengths in need_len: rows may hold NUL bytes) appears in have, at
 * least as often as in need. Returns -1 when it holds, else the index of
 * the first row of need that have lacks, or -2 when memory ran out.
 */
long n1_verify_contains(const char *const *need, const size_t *need_len,
                        size_t n_need, const char *const *have,
                        const size_t *have_len, size_t n_have);

/* What an EXPLAIN FORMAT=JSON says about the table the loop keys on. */
struct n1_verify_plan {
    int found;       /* the table is in the plan */
    int full_scan;   /* access_type ALL (or "index", a full index scan) */
    int no_key;      /* no key chosen and none possible: no index
                        serves the lookup */
    char access[32]; /* its access_type, "" when absent */
    char key[128];   /* the key chosen, "" when none */
};

/*
 * Reads an EXPLAIN FORMAT=JSON document (MySQL's or MariaDB's) and fills
 * *out about table (the name as the plan gives it, compared without
 * case; a "db.t" or alias-free name). Returns 0, or -1 when json is not
 * an EXPLAIN document (*out then zeroed).
 */
int n1_verify_explain_judge(const char *json, size_t len, const char *table,
                            struct n1_verify_plan *out);

/*
 * Writes the CREATE INDEX that would serve a batched lookup of table by
 * the columns cols (qualifiers "t." dropped), into buf:
 * "CREATE INDEX `n1_<table>_<col>[_<col>]` ON `<table>` (`<col>`, ...)",
 * every name backquoted.
 * Returns 0, or -1 when a name is empty or it does not fit.
 */
int n1_verify_index_sql(const char *table, const char *const *cols,
                        size_t n_cols, char *buf, size_t cap);

/*
 * Where a trailing locking clause of sql starts (FOR UPDATE [NOWAIT |
 * SKIP LOCKED], FOR SHARE, LOCK IN SHARE MODE; words in quotes do not
 * count), or strlen(sql) when there is none. A locking read cannot run
 * in a READ ONLY transaction; without the clause it returns the same
 * rows, and verify takes no lock.
 */
size_t n1_verify_locking_clause(const char *sql);

/* Appends one literal as SQL, quoted for the connection (ud). Returns 0,
   or -1 when sb's cap was hit. */
typedef int (*n1_verify_quote_fn)(void *ud, struct n1_strbuf *sb,
                                  const struct n1_literal *lit);

/*
 * The loop's statement for one key: the fingerprint text fp (parsed for
 * its slots) with each key slot (a WHERE col = ? or IN slot whose column
 * is one of the key columns, in text order) taken from key_lits and every
 * other slot from sample_lits (the sample's literals), quoted by quote.
 * Appends it to sb. Returns 0, 1 when the slots do not fit together
 * (*why set to a static reason), or -1 with err set.
 */
int n1_verify_rebuild(const char *fp, const char *const *key_columns,
                      size_t n_key_columns, const struct n1_literal *key_lits,
                      size_t n_key_lits, const struct n1_literal *sample_lits,
                      size_t n_sample_lits, n1_verify_quote_fn quote, void *ud,
                      struct n1_strbuf *sb, const char **why,
                      struct n1_error *err);

/* ---- the server part (verify_run.c) ---------------------------------- */

enum n1_verdict {
    N1_VERDICT_VERIFIED = 0, /* the rewrite returns every row of the loop
                                and nothing for other keys */
    N1_VERDICT_DIFFERS,      /* a row differs (detail says which) */
    N1_VERDICT_FAILED,       /* the server refused a statement */
    N1_VERDICT_SKIPPED       /* not checked (detail says why) */
};

/* "verified", "differs", "failed", "skipped". */
const char *n1_verdict_name(enum n1_verdict v);

/* How the checks run. */
struct n1_verify_opts {
    double timeout_s;     /* statement time limit (seconds) */
    int allow_writes;     /* run INSERT/UPDATE/DELETE in a rolled-back
                             transaction */
    size_t max_keys;      /* loop statements run at most (0: 1000) */
    const char *database; /* the default database, or NULL; used during
                             n1_verifier_open() only */
};

/* The outcome of one target. */
struct n1_verify_result {
    enum n1_verdict verdict;
    char detail[512];    /* the row, the error or the reason; "" */
    char parent[256];    /* parent proof line, "" when none */
    char index_sql[512]; /* CREATE INDEX advice, "" when none */
    char plan[256];      /* what EXPLAIN said of the loop's table, "" */
    uint64_t loop_rows;  /* rows (or affected rows) of the loop */
    uint64_t rw_rows;    /* rows (or affected rows) of the rewrite */
    size_t statements;   /* loop statements run */
};

struct n1_verifier;

/*
 * Connects with so (the strings are used during the call only), reads
 * the server's version and sets the statement time limit. Returns the
 * verifier, freed with n1_verifier_free(), or NULL with err set and
 * *fail (may be NULL) set as read/conn.h says.
 */
struct n1_verifier *n1_verifier_open(const struct n1_server_opts *so,
                                     const struct n1_verify_opts *o,
                                     enum n1_server_fail *fail,
                                     struct n1_error *err);

/* Frees v and closes its connection. NULL allowed. */
void n1_verifier_free(struct n1_verifier *v);

/* "MariaDB 10.11.6" or "MySQL 8.0.36": borrowed from v. */
const char *n1_verifier_server(const struct n1_verifier *v);

/*
 * Checks target t and fills *res. Returns 0 (the verdict says how it
 * went), or -1 with err set and *fail set when the connection was lost
 * or memory ran out: the run cannot go on.
 */
int n1_verifier_check(struct n1_verifier *v, const struct n1_verify_target *t,
                      struct n1_verify_result *res, enum n1_server_fail *fail,
                      struct n1_error *err);

#endif /* N1_VERIFY_H */
