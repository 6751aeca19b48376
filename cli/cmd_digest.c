/* SPDX-License-Identifier: MIT */
/*
 * cmd_digest.c: `n1digest digest`: pt-query-digest's report from the store.
 *
 * With LOG arguments the logs go through the shared pipeline into a store
 * (a private ":memory:" one unless --db names a file), then the report is
 * rendered from that store; with --db and no LOG it reports on what is
 * already stored. A private store keeps only the file records: the
 * pipeline keeps the classes in memory and the report reads them there,
 * as the store would give them back, so that each class is held once. Filters
 * and --group-by other than fingerprint work on events, so with LOGs they run
 * as pipeline hooks into a private in-memory store (the named store is neither
 * read nor written: its classes hold every event of a fingerprint and must stay
 * that way). On stored data alone, where only per-class statistics exist, a
 * filter is applied to a class only when the class lies wholly inside or
 * outside it; a class that straddles it makes the command fail with a message,
 * never a wrong number. docs/digest.md describes the rules.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/textutil.h"
#include "base/timeutil.h"
#include "cli/cli.h"
#include "engine/explain.h"
#include "engine/loop_marks.h"
#include "engine/pipeline.h"
#include "report/digest.h"
#include "sql/fingerprint.h"
#include "sql/sqlinfo.h"
#include "stats/aggregate.h"
#include "store/store.h"

/* Values one filter key may take (they are ORed; keys are ANDed). */
#define MAX_FILTER_VALUES 16
#define EXPLAIN_LIMIT_S   5 /* --explain: time limit of each EXPLAIN */

enum filter_key {
    FK_DB = 0, /* current schema */
    FK_USER,   /* account user */
    FK_HOST,   /* client host */
    FK_CONN,   /* connection (thread) id */
    FK_ID,     /* fingerprint id */
    FK_TABLE,  /* a table the statement touches */
    FK_COUNT
};

static const char *const filter_key_names[FK_COUNT] = {
    "db", "user", "host", "connection", "fingerprint", "table",
};

enum group_key {
    GK_FINGERPRINT = 0, /* the default */
    GK_DB,
    GK_USER,
    GK_HOST,
    GK_TABLES /* each table the statement touches, as pt's --group-by
                 tables: a statement on two tables counts in both */
};

static const char *const group_names[] = {"fingerprint", "db", "user", "host",
                                          "tables"};

/* Numeric conditions --filter takes (ANDed). */
#define MAX_CONDS 16

struct digest_filters {
    const char *values[FK_COUNT][MAX_FILTER_VALUES]; /* borrowed argv */
    uint64_t nums[FK_COUNT][MAX_FILTER_VALUES];      /* conn / id as numbers */
    unsigned n[FK_COUNT];                            /* values per key */
    int64_t since_us;                         /* N1_TS_NONE: no lower bound */
    int64_t until_us;                         /* N1_TS_NONE: no upper bound */
    struct n1_digest_cond conds[MAX_CONDS];   /* --filter Query_time>1 ... */
    unsigned n_conds;                         /* entries used in conds */
    struct n1_sqlinfo si;                     /* the tables of the event
                                                 group_event works on */
    enum group_key group;                     /* --group-by */
    struct n1_norm key;                       /* what group_event hands out */
    char key_text[N1_AGG_MAX_VALUE_LEN + 16]; /* key.text's bytes */
    struct n1_digest_series *series;          /* --format html: counted
                                                 by group_and_count */
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: n1digest digest [options] [LOG...]\n"
            "       n1digest digest --db PATH [options]\n"
            "\n"
            "Reports what the statements of slow or general logs cost, as\n"
            "pt-query-digest does: overall statistics, a profile of the\n"
            "classes ranked by total time, and each class in detail.\n"
            "Without --db the LOGs are read into a private in-memory store;\n"
            "with --db they are added to that store (a file read before is\n"
            "not counted again) and the report covers all it holds. With\n"
            "--db and no LOG it reports on the stored data; with neither\n"
            "(or with - as a LOG) it reads the log from stdin.\n"
            "\n"
            "options:\n"
            "  --db PATH          SQLite store to add to and report on\n"
            "  --format FMT       text (default), json or html\n"
            "  --output FILE      write the report to FILE (a format name\n"
            "                     such as json sets the format instead)\n"
            "  --limit N          classes in the profile (default 10;\n"
            "                     0 or all: every class); P%% or P%%:N:\n"
            "                     the worst classes making up P%% of the\n"
            "                     total, at most N (pt's 95%%:20)\n"
            "  --order-by A:F     rank by attribute A (Query_time, Lock_time,\n"
            "                     Rows_sent, Rows_examined, Rows_affected,\n"
            "                     Bytes_sent, Query_length) and F (sum, min,\n"
            "                     max, avg, cnt); default Query_time:sum,\n"
            "                     or cnt for logs without timings\n"
            "  --group-by KEY     fingerprint (default), db, user, host or\n"
            "                     tables (a statement counts in each\n"
            "                     table it touches, as pt's)\n"
            "  --since TIME       only events at or after TIME\n"
            "  --until TIME       only events before TIME; TIME is\n"
            "                     YYYY-MM-DD[ HH:MM:SS] in UTC (or with a T,\n"
            "                     .micros and Z or +hh:mm), YYMMDD H:MM:SS,\n"
            "                     or a duration back: 30s, 15m, 1h, 2d\n"
            "  --loops            run the N+1 detectors over the LOGs and\n"
            "                     mark the statements of N+1 classes\n"
            "                     (else marked from the findings the\n"
            "                     store holds, after analyze or tail)\n"
            "  --explain          EXPLAIN each shown class's sample (SELECT\n"
            "                     only, read-only, 5 s limit) on the server\n"
            "                     the connection options name\n"
            "  --filter K=V       only events with db, user, host,\n"
            "                     connection, fingerprint (id) or table V,\n"
            "                     or with an attribute compared with a\n"
            "                     number: Query_time>1, Rows_examined>=1000,\n"
            "                     Lock_time<0.01 (>, >=, <, <=, =, !=);\n"
            "                     repeat: values of a key are ORed,\n"
            "                     conditions and different keys ANDed\n"
            "  --reset            drop stored data of another fingerprint\n"
            "                     version instead of refusing\n");
    cli_reader_usage(out, 21);
    cli_conn_usage(out);
    fprintf(out,
            "  -h, --help         show this help\n"
            "\n"
            "Filters and --group-by need the events, so with LOGs they use\n"
            "a private in-memory store; on --db alone a filter applies only\n"
            "to classes wholly inside or outside it, else the command\n"
            "fails (see docs/digest.md).\n"
            "\n"
            "exit status: 0 ok, 2 usage or system error, 3 an input is not\n"
            "a log, 4 some lines or events were skipped, 5 (--explain) the\n"
            "server could not be reached, 6 a grant is missing.\n");
}

static const struct cli_filter_key digest_keys[] = {
    {"db", FK_DB},           {"user", FK_USER},   {"host", FK_HOST},
    {"connection", FK_CONN}, {"conn", FK_CONN},   {"fingerprint", FK_ID},
    {"id", FK_ID},           {"table", FK_TABLE},
};

/* A numeric --filter condition: returns 1 when arg is one (added to f),
   0 when it is not, -1 after a USAGE error. */
static int add_cond(struct digest_filters *f, const char *arg)
{
    struct n1_digest_cond c;
    struct n1_error err;
    int r;

    n1_err_clear(&err);
    r = n1_digest_parse_cond(arg, &c, &err);
    if (r < 0) {
        cli_error(&err);
        return -1;
    }
    if (r == 1 && f->n_conds == MAX_CONDS) {
        cli_errorf("USAGE --filter: more than %d conditions", MAX_CONDS);
        return -1;
    }
    if (r == 1) {
        f->conds[f->n_conds++] = c;
    }
    return r;
}

static int add_filter(struct digest_filters *f, const char *arg)
{
    const char *value = NULL;
    int key = add_cond(f, arg);
    const char *eq = NULL;

    if (key != 0) {
        return key < 0 ? -1 : 0;
    }
    key = cli_filter_split(arg, digest_keys,
                           sizeof(digest_keys) / sizeof(*digest_keys),
                           "db, user, host, connection, fingerprint, table, "
                           "or ATTRIBUTE>N such as Query_time>1",
                           &value);
    eq = value != NULL ? value - 1 : NULL;
    if (key < 0) {
        return -1;
    }
    if (f->n[key] == MAX_FILTER_VALUES) {
        cli_errorf("USAGE --filter: more than %d values for %s",
                   MAX_FILTER_VALUES, filter_key_names[key]);
        return -1;
    }
    if (key == FK_CONN) {
        char *end = NULL;

        f->nums[key][f->n[key]] = strtoull(eq + 1, &end, 10);
        if (eq[1] == '\0' || *end != '\0') {
            cli_errorf("USAGE --filter connection: expected a number, got "
                       "'%s'",
                       eq + 1);
            return -1;
        }
    }
    if (key == FK_ID) {
        const char *hex = eq + 1;

        if (strncmp(hex, "0x", 2) == 0) {
            hex += 2;
        }
        if (n1_fingerprint_parse(hex, &f->nums[key][f->n[key]]) != 0) {
            cli_errorf("USAGE --filter fingerprint: expected 16 hex digits, "
                       "got '%s'",
                       eq + 1);
            return -1;
        }
    }
    f->values[key][f->n[key]] = eq + 1;
    f->n[key]++;
    return 0;
}

static int has_event_filters(const struct digest_filters *f)
{
    for (int k = 0; k < FK_COUNT; k++) {
        if (f->n[k] > 0) {
            return 1;
        }
    }
    return f->n_conds > 0 || f->since_us != N1_TS_NONE ||
           f->until_us != N1_TS_NONE;
}

/*
 * 1 when a --filter table value names one of the tables of the
 * fingerprint text (len bytes), 0 when none, -1 when it cannot tell: a
 * value "db.t" for a table the text does not qualify is db's table when
 * the statement ran in db, which db (NULL: not known, mixed) says.
 */
static int match_tables(const struct digest_filters *f, const char *text,
                        size_t len, const char *db)
{
    struct n1_sqlinfo si;
    int unsure = 0;

    if (f->n[FK_TABLE] == 0) {
        return 1;
    }
    n1_sqlinfo_parse(text, len, &si);
    for (unsigned i = 0; i < f->n[FK_TABLE]; i++) {
        const char *v = f->values[FK_TABLE][i];
        const char *dot = strchr(v, '.');

        for (unsigned t = 0; t < si.n_tables; t++) {
            const char *name = si.tables[t];

            if (strcasecmp(name, v) == 0 ||
                (strchr(name, '.') != NULL && dot == NULL &&
                 strcasecmp(strchr(name, '.') + 1, v) == 0)) {
                return 1;
            }
            if (dot != NULL && strchr(name, '.') == NULL &&
                strcasecmp(dot + 1, name) == 0) {
                if (db == NULL) {
                    unsure = 1;
                } else if ((size_t)(dot - v) == strlen(db) &&
                           strncasecmp(v, db, (size_t)(dot - v)) == 0) {
                    return 1;
                }
            }
        }
    }
    return unsure ? -1 : 0;
}

/* 1 when the event satisfies every numeric condition. */
static int match_conds(const struct digest_filters *f,
                       const struct n1_event *ev)
{
    for (unsigned i = 0; i < f->n_conds; i++) {
        if (!n1_digest_cond_event(&f->conds[i], ev)) {
            return 0;
        }
    }
    return 1;
}

static int match_str(const struct digest_filters *f, int key, const char *v)
{
    if (f->n[key] == 0) {
        return 1;
    }
    for (unsigned i = 0; i < f->n[key]; i++) {
        if (strcmp(f->values[key][i], v) == 0) {
            return 1;
        }
    }
    return 0;
}

static int match_num(const struct digest_filters *f, int key, uint64_t v)
{
    if (f->n[key] == 0) {
        return 1;
    }
    for (unsigned i = 0; i < f->n[key]; i++) {
        if (f->nums[key][i] == v) {
            return 1;
        }
    }
    return 0;
}

/* Pipeline accept hook: an event passes when every given key matches and
   its time (when a bound is given, it must have one) is in range. */
static int accept_event(void *ud, const struct n1_event *ev,
                        const struct n1_norm *norm)
{
    const struct digest_filters *f = ud;

    if (f->since_us != N1_TS_NONE || f->until_us != N1_TS_NONE) {
        if (ev->ts_us == N1_TS_NONE) {
            return 0;
        }
        if (f->since_us != N1_TS_NONE && ev->ts_us < f->since_us) {
            return 0;
        }
        if (f->until_us != N1_TS_NONE && ev->ts_us >= f->until_us) {
            return 0;
        }
    }
    if (!match_str(f, FK_DB, ev->db) || !match_str(f, FK_USER, ev->user) ||
        !match_str(f, FK_HOST, ev->host) ||
        !match_num(f, FK_CONN, ev->conn_id)) {
        return 0;
    }
    if (f->n[FK_ID] > 0 && (norm == NULL || !match_num(f, FK_ID, norm->id))) {
        return 0;
    }
    if (f->n[FK_TABLE] > 0 &&
        (norm == NULL || match_tables(f, norm->text, norm->len, ev->db) != 1)) {
        return 0;
    }
    return match_conds(f, ev);
}

/* The i-th table of the event for --group-by tables, qualified with the
   event's schema when the statement does not name one (pt's "db.t"), in
   f->key_text; 0 when there is no such table. */
static int table_key(struct digest_filters *f, const struct n1_event *ev,
                     const struct n1_norm *norm, size_t i)
{
    const char *t;

    if (i == 0) {
        n1_sqlinfo_parse(norm->text, norm->len, &f->si);
    }
    if (i >= f->si.n_tables) {
        return 0;
    }
    t = f->si.tables[i];
    if (strchr(t, '.') == NULL && ev->db != NULL && ev->db[0] != '\0') {
        snprintf(f->key_text, sizeof(f->key_text), "%.*s.%s",
                 N1_AGG_MAX_VALUE_LEN / 2, ev->db, t);
    } else {
        snprintf(f->key_text, sizeof(f->key_text), "%s", t);
    }
    return 1;
}

/* Pipeline group hook: the class is the event's db, user or host ("" is
   shown as "(none)"), cut as the aggregate cuts value lists, or each of
   its tables. */
static const struct n1_norm *group_event(void *ud, const struct n1_event *ev,
                                         const struct n1_norm *norm, size_t i)
{
    struct digest_filters *f = ud;
    const char *v = f->group == GK_DB     ? ev->db
                    : f->group == GK_USER ? ev->user
                                          : ev->host;

    if (f->group == GK_TABLES) {
        if (!table_key(f, ev, norm, i)) {
            return NULL;
        }
        v = f->key_text;
    } else if (i > 0) {
        return NULL;
    }
    if (v == NULL || v[0] == '\0') {
        v = "(none)";
    }
    if (v != f->key_text) {
        snprintf(f->key_text, sizeof(f->key_text), "%.*s", N1_AGG_MAX_VALUE_LEN,
                 v);
    }
    f->key = *norm;
    f->key.text = f->key_text;
    f->key.len = strlen(f->key_text);
    f->key.id = n1_fingerprint_id(f->key.text, f->key.len);
    n1_fingerprint_hex(f->key.id, f->key.hex);
    return &f->key;
}

/* Pipeline group hook of an HTML report: the class group_event (or the
   fingerprint) chooses, counted in the series over time. A failed count
   marks the series, and the report then fails. */
static const struct n1_norm *group_and_count(void *ud,
                                             const struct n1_event *ev,
                                             const struct n1_norm *norm,
                                             size_t i)
{
    struct digest_filters *f = ud;
    const struct n1_norm *key = f->group != GK_FINGERPRINT
                                    ? group_event(ud, ev, norm, i)
                                : i == 0 ? norm
                                         : NULL;
    double qt = ev->metric_mask & (1u << N1_M_QUERY_TIME)
                    ? ev->metric[N1_M_QUERY_TIME]
                    : NAN;

    if (key != NULL) {
        (void)n1_digest_series_add(f->series, key->id, ev->ts_us, qt);
    }
    return key;
}

/*
 * For stored classes: 1 when every event of c has one of the values of
 * key, 0 when none has, -1 when the list does not say (mixed values,
 * values not kept, events without one).
 */
static int class_values_match(const struct digest_filters *f, int key,
                              const struct n1_agg_values *v, uint64_t count)
{
    uint64_t matched = 0;

    for (unsigned i = 0; i < v->n; i++) {
        if (match_str(f, key, v->v[i].value)) {
            matched += v->v[i].count;
        }
    }
    if (matched == count) {
        return 1;
    }
    if (matched == 0 && v->other == 0) {
        return 0;
    }
    return -1;
}

/*
 * The numeric conditions and the table filter on a stored class: 1 keep,
 * 0 drop, -1 with err set when the class straddles a condition or its
 * schema is needed and mixed.
 */
static int class_conds(const struct digest_filters *f,
                       const struct n1_agg_class *c, struct n1_error *err)
{
    const struct n1_agg_values *dbs = &c->dims[N1_DIM_DB];
    const char *db = dbs->n == 1 && dbs->other == 0 ? dbs->v[0].value : NULL;
    int r;

    for (unsigned i = 0; i < f->n_conds; i++) {
        r = n1_digest_cond_class(&f->conds[i], c);
        if (r < 0) {
            n1_err_set(err, N1_EUSAGE, NULL, 0,
                       "class %s has %s values on both sides of a --filter "
                       "condition (the store keeps per-class minimum and "
                       "maximum, not events); read the LOGs with the "
                       "filter instead",
                       c->hex, n1_agg_metric_name(f->conds[i].metric));
            return -1;
        }
        if (r == 0) {
            return 0;
        }
    }
    r = c->text != NULL ? match_tables(f, c->text, c->text_len, db) : 0;
    if (r < 0) {
        n1_err_set(err, N1_EUSAGE, NULL, 0,
                   "class %s ran in several schemas, so a db.table "
                   "--filter cannot be applied to it; read the LOGs with "
                   "the filter instead",
                   c->hex);
    }
    return r;
}

/* Report filter on stored data: exact or refuse (see the file comment). */
static int filter_class(void *ud, const struct n1_agg_class *c,
                        struct n1_error *err)
{
    static const int dims[3] = {N1_DIM_DB, N1_DIM_USER, N1_DIM_HOST};
    const struct digest_filters *f = ud;
    int r;

    if (!match_num(f, FK_ID, c->id)) {
        return 0;
    }
    r = class_conds(f, c, err);
    if (r <= 0) {
        return r;
    }
    if (f->since_us != N1_TS_NONE || f->until_us != N1_TS_NONE) {
        int64_t lo = f->since_us != N1_TS_NONE ? f->since_us : INT64_MIN;
        int64_t hi = f->until_us != N1_TS_NONE ? f->until_us : INT64_MAX;

        const char *why = NULL;

        if (c->first_seen == N1_TS_NONE) {
            why = "has no timestamps in the store, so --since/--until "
                  "cannot be applied";
        } else if (c->last_seen < lo || c->first_seen >= hi) {
            return 0;
        } else if (c->first_seen < lo || c->last_seen >= hi) {
            why = "spans the --since/--until bound (the store keeps "
                  "per-class totals, not events)";
        }
        if (why != NULL) {
            n1_err_set(err, N1_EUSAGE, NULL, 0,
                       "class %s %s; read the LOGs with the filter instead",
                       c->hex, why);
            return -1;
        }
    }
    for (int k = FK_DB; k <= FK_HOST; k++) {
        if (f->n[k] == 0) {
            continue;
        }
        r = class_values_match(f, k, &c->dims[dims[k]], c->count);
        if (r == 0) {
            return 0;
        }
        if (r < 0) {
            n1_err_set(err, N1_EUSAGE, NULL, 0,
                       "class %s mixes %s values the filter tells "
                       "apart (the store keeps per-class totals, not "
                       "events); read the LOGs with the filter instead",
                       c->hex, filter_key_names[k]);
            return -1;
        }
    }
    return 1;
}

/* Reports on an existing store (no LOG). */
static int report_stored(const char *path, struct n1_digest_opts *ro,
                         struct digest_filters *f, int reset,
                         struct n1_digest_loops *loops, FILE *out)
{
    struct n1_store_opts sopts;
    struct n1_store *st = NULL;
    struct n1_error err;
    int status = N1_EXIT_USAGE;

    n1_err_clear(&err);
    if (f->n[FK_CONN] > 0) {
        cli_errorf("USAGE --filter connection needs LOG inputs: the store "
                   "does not keep connections");
        return N1_EXIT_USAGE;
    }
    if (f->group != GK_FINGERPRINT) {
        cli_errorf("USAGE --group-by %s needs LOG inputs: the store keeps "
                   "statistics per fingerprint",
                   group_names[f->group]);
        return N1_EXIT_USAGE;
    }
    if (strcmp(path, ":memory:") != 0 && access(path, F_OK) != 0) {
        cli_errorf("STORE %s: no such store (give LOGs to read)", path);
        return N1_EXIT_USAGE;
    }
    memset(&sopts, 0, sizeof(sopts));
    sopts.reset = reset;
    st = n1_store_open(path, &sopts, &err);
    if (st == NULL) {
        cli_error(&err);
        status = cli_exit_for(&err);
        goto out;
    }
    ro->store_path = path;
    if (has_event_filters(f)) {
        ro->filter = filter_class;
        ro->filter_ud = f;
    }
    if (n1_digest_loops_from_store(loops, st, &err) != 0) {
        cli_error(&err);
        status = cli_exit_for(&err);
        goto out;
    }
    ro->loops = loops;
    if (n1_report_digest(st, ro, out, &err) != 0) {
        cli_error(&err);
        status = cli_exit_for(&err);
        goto out;
    }
    status = N1_EXIT_OK;

out:
    n1_store_close(st);
    return status;
}

/* What the options of digest ask for. */
struct digest_cli {
    struct cli_common_opts co;     /* --db, --format, --reset, reader */
    struct n1_digest_opts ro;      /* --limit, --order-by, the format */
    struct digest_filters filters; /* --filter, --since, --until,
                                      --group-by; the hooks point into it */
    int loops_inline;              /* --loops */
    int explain;                   /* --explain */
    struct n1_digest_loops loops;  /* the N+1 classes' statements */
    FILE *out;                     /* --output or stdout */
};

/* --group-by: the key named arg. Returns 0, or -1 after a USAGE error. */
static int group_option(const char *arg, enum group_key *group)
{
    for (size_t i = 0; i < sizeof(group_names) / sizeof(*group_names); i++) {
        if (strcmp(arg, group_names[i]) == 0) {
            *group = (enum group_key)i;
            return 0;
        }
    }
    cli_errorf("USAGE --group-by: expected fingerprint, db, user, host or "
               "tables, got '%s'",
               arg);
    return -1;
}

/* The options of digest's own. Returns 0, or -1 after a USAGE error. */
static int digest_option(void *ud, int c, const char *arg)
{
    struct digest_cli *d = ud;
    struct n1_error err;

    n1_err_clear(&err);
    switch (c) {
    case 'l':
        if (n1_digest_parse_limit(arg, &d->ro, &err) != 0) {
            cli_error(&err);
            return -1;
        }
        return 0;
    case 'o':
        if (n1_digest_parse_order(arg, &d->ro, &err) != 0) {
            cli_error(&err);
            return -1;
        }
        return 0;
    case 'g':
        return group_option(arg, &d->filters.group);
    case 'S':
        return cli_time_option("since", arg, &d->filters.since_us);
    case 'U':
        return cli_time_option("until", arg, &d->filters.until_us);
    case 'L':
        d->loops_inline = 1;
        return 0;
    case 'X':
        d->explain = 1;
        return 0;
    default:
        return add_filter(&d->filters, arg);
    }
}

/*
 * Parses argv into *d, the reader options starting from *reader.
 * Returns -1 to go on with the LOGs (if any) at argv[optind], or the
 * exit status to end with.
 */
static int parse_options(int argc, char **argv,
                         const struct n1_reader_opts *reader,
                         struct digest_cli *d)
{
    static const struct option own[] = {
        {"limit", required_argument, NULL, 'l'},
        {"order-by", required_argument, NULL, 'o'},
        {"group-by", required_argument, NULL, 'g'},
        {"since", required_argument, NULL, 'S'},
        {"until", required_argument, NULL, 'U'},
        {"filter", required_argument, NULL, 'F'},
        {"loops", no_argument, NULL, 'L'},
        {"explain", no_argument, NULL, 'X'},
        {NULL, 0, NULL, 0},
    };
    const struct cli_command cmd = {
        "digest",
        CLI_TAKES_DB | CLI_TAKES_FORMAT | CLI_TAKES_RESET | CLI_TAKES_READER |
            CLI_TAKES_HTML | CLI_TAKES_OUTPUT | CLI_TAKES_CONN,
        own,
        digest_option,
        d,
        usage,
    };
    int status;

    d->filters.since_us = N1_TS_NONE;
    d->filters.until_us = N1_TS_NONE;
    n1_digest_opts_init(&d->ro);
    status = cli_parse_options(argc, argv, &cmd, reader, &d->co);
    if (status >= 0) {
        return status;
    }
    d->ro.format = d->co.format == FORMAT_JSON   ? N1_DIGEST_JSON
                   : d->co.format == FORMAT_HTML ? N1_DIGEST_HTML
                                                 : N1_DIGEST_TEXT;
    d->ro.group_by = group_names[d->filters.group];
    if (d->filters.since_us != N1_TS_NONE &&
        d->filters.until_us != N1_TS_NONE &&
        d->filters.since_us >= d->filters.until_us) {
        cli_errorf("USAGE --since must be before --until");
        return N1_EXIT_USAGE;
    }
    return -1;
}

/*
 * Reads the LOGs through the pipeline into the store opts names (or a
 * private one, see the file comment) and reports on them.
 */
static int report_logs(struct digest_cli *d, struct n1_pipeline_opts *opts,
                       char **logs, size_t n_logs, FILE *out)
{
    struct digest_filters *f = &d->filters;
    const char *db_path = d->co.db_path;
    struct n1_pipeline *p = NULL;
    struct n1_loop_marks *marks = NULL;
    struct n1_error err;
    int status = N1_EXIT_USAGE;
    int rc;

    n1_err_clear(&err);
    opts->db_path = db_path != NULL ? db_path : ":memory:";
    if (has_event_filters(f) || f->group != GK_FINGERPRINT) {
        if (db_path != NULL && strcmp(db_path, ":memory:") != 0) {
            fprintf(stderr,
                    "n1digest: note: filters and --group-by read the "
                    "LOGs into a private in-memory store; %s is "
                    "left unchanged\n",
                    db_path);
        }
        opts->db_path = ":memory:";
        opts->accept = has_event_filters(f) ? accept_event : NULL;
        opts->group = f->group != GK_FINGERPRINT ? group_event : NULL;
        opts->hook_ud = f;
    }
    /* A private store would only hold a second copy of every class. */
    opts->keep_classes = strcmp(opts->db_path, ":memory:") == 0;
    /* The series over time are this run's: only for a report on this
       run's classes alone. */
    if (d->ro.format == N1_DIGEST_HTML && opts->keep_classes) {
        f->series = n1_digest_series_new(&err);
        if (f->series == NULL) {
            cli_error(&err);
            goto out;
        }
        opts->group = group_and_count;
        opts->hook_ud = f;
        d->ro.series = f->series;
    }
    d->ro.store_path = opts->db_path;
    d->ro.inputs = (const char *const *)logs;
    d->ro.n_inputs = n_logs;
    if (d->loops_inline) {
        marks = n1_loop_marks_new(&d->loops, &err);
        if (marks == NULL) {
            cli_error(&err);
            status = cli_exit_for(&err);
            goto out;
        }
        opts->detectors = n1_loop_marks_detectors(marks);
    }
    p = cli_pipeline_run(opts, logs, n_logs, 1, &status);
    if (p == NULL) {
        goto out;
    }
    cli_print_summary(n1_pipeline_stats(p));
    /* Inline detectors, else the N+1 findings the store holds. */
    rc = marks != NULL ? n1_loop_marks_done(marks, &err)
                       : n1_digest_loops_from_store(&d->loops,
                                                    n1_pipeline_store(p), &err);
    if (rc != 0) {
        cli_error(&err);
        status = cli_exit_for(&err);
        goto out;
    }
    d->ro.loops = &d->loops;
    if (n1_pipeline_classes(p) != NULL) {
        rc = n1_report_digest_agg(n1_pipeline_classes(p), &d->ro, out, &err);
    } else {
        rc = n1_report_digest(n1_pipeline_store(p), &d->ro, out, &err);
    }
    if (rc != 0) {
        cli_error(&err);
        status = cli_exit_for(&err);
        goto out;
    }
    status = n1_pipeline_exit_status(p);

out:
    n1_pipeline_free(p);
    n1_loop_marks_free(marks);
    n1_digest_series_free(f->series);
    f->series = NULL;
    d->ro.series = NULL;
    return status;
}

/* --explain: connects (the connection options) and hooks the EXPLAIN
   of each shown class into the report. Returns -1 to go on, or the exit
   status to end with. */
static int explain_open(struct digest_cli *d, struct n1_explain **x)
{
    enum n1_server_fail fail = N1_SERVER_FAIL_NONE;
    struct n1_error err;

    *x = NULL;
    if (cli_conn_finish(&d->co.conn) != 0) {
        return N1_EXIT_USAGE;
    }
    if (!d->explain) {
        return -1;
    }
    n1_err_clear(&err);
    *x = n1_explain_open(&d->co.conn.so, EXPLAIN_LIMIT_S, &fail, &err);
    if (*x == NULL) {
        cli_error(&err);
        return cli_conn_status(fail, &err);
    }
    d->ro.explain = n1_explain_class;
    d->ro.explain_ud = *x;
    return -1;
}

int cmd_digest(int argc, char **argv)
{
    static char stdin_name[] = "-";
    static char *stdin_logs[] = {stdin_name};
    struct n1_explain *x = NULL;
    struct digest_cli d; /* the hooks point into it */
    struct n1_pipeline_opts opts;
    FILE *out = NULL;
    int status;

    memset(&d, 0, sizeof(d));
    cli_pipeline_opts(&opts);
    status = parse_options(argc, argv, &opts.reader, &d);
    if (status < 0) {
        status = explain_open(&d, &x);
    }
    if (status >= 0) {
        cli_conn_wipe(&d.co.conn);
        return status;
    }
    opts.reader = d.co.reader;
    opts.reset_store = d.co.reset;
    if (optind >= argc && d.co.db_path == NULL && isatty(STDIN_FILENO)) {
        cli_errorf("USAGE digest: no LOG given, no --db store to report on "
                   "and stdin is a terminal (see 'n1digest digest --help')");
        return N1_EXIT_USAGE;
    }
    if (optind >= argc && d.co.db_path != NULL && d.loops_inline) {
        cli_errorf("USAGE --loops needs LOG inputs: the detectors read "
                   "the events");
        return N1_EXIT_USAGE;
    }
    out = cli_open_output(&d.co);
    if (out == NULL) {
        return N1_EXIT_USAGE;
    }
    if (optind < argc) {
        status =
            report_logs(&d, &opts, argv + optind, (size_t)(argc - optind), out);
    } else if (d.co.db_path == NULL) {
        /* As pt-query-digest: no LOG reads stdin. */
        status = report_logs(&d, &opts, stdin_logs, 1, out);
    } else {
        status = report_stored(d.co.db_path, &d.ro, &d.filters, d.co.reset,
                               &d.loops, out);
    }
    /* The report checked its writes to stdout; a file is checked as it
       closes. */
    if (out != stdout && cli_close_output(&d.co, out) != 0) {
        status = N1_EXIT_USAGE;
    }
    n1_digest_loops_cleanup(&d.loops);
    n1_explain_close(x);
    cli_conn_wipe(&d.co.conn);
    return status;
}
