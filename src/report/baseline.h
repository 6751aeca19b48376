/* SPDX-License-Identifier: MIT */
/*
 * baseline.h: the findings a project has accepted, so that `n1digest
 * check` fails only on new ones.
 *
 * A baseline is a set of stable result ids (detector finding ids and
 * adviser ids, report_ci.h), each with its rule, table, fingerprint and
 * location for the humans who review it. It is read from either of two
 * files (docs/ci.md):
 *
 *   - a JSON file written by `n1digest check --write-baseline`: entries
 *     sorted by id, one per id, pretty-printed, so that a change to it
 *     reads well in a pull request;
 *   - an n1digest SQLite store: the ids of its findings table (what
 *     `n1digest analyze --db FILE` kept), detector findings only.
 *
 * The entries are kept sorted by id; lookups are binary searches.
 */
#ifndef N1_BASELINE_H
#define N1_BASELINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"

/* Format version written in, and required of, a JSON baseline. */
#define N1_BASELINE_FORMAT 1

/* One accepted result. Strings are owned by the baseline. */
struct n1_baseline_entry {
    uint64_t id;           /* stable result id */
    const char *rule;      /* "n_plus_one", "adviser.select_star"; "" */
    const char *table;     /* main table, or "" */
    uint64_t fingerprint;  /* fingerprint id, 0 when not recorded */
    const char *statement; /* fingerprint text, or "" */
    const char *location;  /* location tag, or "" */
};

struct n1_baseline;

/* Creates an empty baseline, freed with n1_baseline_free(); NULL when
   memory ran out. */
struct n1_baseline *n1_baseline_new(void);

/* Frees the baseline and its strings. NULL allowed. */
void n1_baseline_free(struct n1_baseline *b);

/*
 * Reads the baseline at path: an SQLite store when the file starts with
 * the SQLite header, else JSON. Returns a baseline the caller frees with
 * n1_baseline_free(), or NULL with err set: N1_ESYS when the file cannot
 * be read, N1_EPARSE (with the path and, for JSON, the line) for a file
 * that is not a baseline, has a bad entry, or was written with another
 * fingerprint version; N1_ESTORE when SQLite fails.
 */
struct n1_baseline *n1_baseline_load(const char *path, struct n1_error *err);

/*
 * Parses a JSON baseline from the len bytes at text (not necessarily
 * NUL-terminated; any bytes allowed). The format number may sit under
 * "n1digest_baseline" or under the older key "n1scan_baseline". name is
 * the file named in errors; NULL for none. Returns a baseline the caller
 * frees with n1_baseline_free(), or NULL with err set: N1_EPARSE (with
 * the line when the text is not JSON) when the text is not a baseline of
 * this fingerprint version or has a bad entry, N1_ESYS when memory ran
 * out. n1_baseline_load() uses it for every JSON file.
 */
struct n1_baseline *n1_baseline_parse(const char *text, size_t len,
                                      const char *name, struct n1_error *err);

/*
 * Adds a copy of *e (its strings are copied; NULL strings become "").
 * An id already present keeps its first entry. Returns 0, or -1 with err
 * set (N1_ESYS) when memory ran out.
 */
int n1_baseline_add(struct n1_baseline *b, const struct n1_baseline_entry *e,
                    struct n1_error *err);

/* Number of entries. */
size_t n1_baseline_count(const struct n1_baseline *b);

/* Entry i (i < count), in id order; borrowed until the next add or free. */
const struct n1_baseline_entry *n1_baseline_at(const struct n1_baseline *b,
                                               size_t i);

/* Index of the entry with this id, or -1 when there is none. */
long n1_baseline_find(const struct n1_baseline *b, uint64_t id);

/*
 * Writes the baseline as JSON: {"n1digest_baseline", "fingerprint_version",
 * "findings": [...]} with the entries in id order, each on lines of its
 * own, and a newline at the end. Returns 0, or -1 with err set (N1_ESYS).
 */
int n1_baseline_write_json(const struct n1_baseline *b, FILE *out,
                           struct n1_error *err);

/*
 * Writes the JSON form to path through a temporary file in the same
 * directory renamed over it, so a reader never sees half a baseline.
 * Returns 0, or -1 with err set (N1_ESYS naming path).
 */
int n1_baseline_save(const struct n1_baseline *b, const char *path,
                     struct n1_error *err);

#endif /* N1_BASELINE_H */
