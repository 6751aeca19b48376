/* SPDX-License-Identifier: MIT */
/*
 * detector.c: the detector registry and what the detectors share.
 *
 * The registry copies the options, compiles the ignore patterns, owns the
 * shape cache and fans every event out to the enabled detectors. It also
 * sweeps: once per second of log time it ticks every detector, so loops
 * and connections that went quiet are closed (and memory released) even
 * when nobody calls n1_detectors_tick().
 *
 * Besides the registry this file holds the context helpers every detector
 * calls (the shape of an event, the call-site tag hash, the time gap test)
 * and the finding id. The loop record is in loop.c; the connection tables
 * and the loop-per-connection machinery are in conntab.c.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pcre2.h>
#include <xxhash.h>

#include "analyzer/detect_int.h"

/* The request preambles of rules/default.rules, for callers that use no
   rules: SET autocommit = 1 (= 0 is told apart by its value) and SET
   NAMES. */
static const char *const default_preambles[] = {
    "^set (?:session )?autocommit = \\?$",
    "^set names\\b",
};

void n1_detect_opts_default(struct n1_detect_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->reset_commands = 1;
    o->reset_statements = 1;
    o->trace_boundary = 1;
    o->preamble_patterns = default_preambles;
    o->n_preamble_patterns =
        sizeof(default_preambles) / sizeof(default_preambles[0]);
    o->gap_factor = 10;
    o->gap_floor_ms = 1000;
    o->max_body_fingerprints = 3;
    o->body_slack = 1;
    for (size_t i = 0; i < n1_detector_count; i++) {
        n1_detector_table[i]->defaults(o);
        *n1_detector_enabled(n1_detector_table[i], o) = 1;
    }
    o->idle_ms = 60000;
    o->max_connections = 10000;
    o->max_loops_per_conn = 16;
    o->max_keys = 1000;
    o->max_distinct = 4096;
    o->max_sample_bytes = 4096;
    o->max_memory = (size_t)256 * 1024 * 1024;
    o->max_fanout_groups = 256;
    o->max_fanout_members = 4096;
    o->shape_cache = 4096;
    o->ignore_default_noise = 1;
}

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

uint64_t n1_finding_class_id(enum n1_finding_kind kind, uint64_t fingerprint,
                             int has_parent, uint64_t parent_fingerprint,
                             const char *site)
{
    char buf[1024];
    const char *name = n1_finding_kind_name(kind);
    size_t nl = strlen(name) + 1;
    size_t fl = has_parent ? 16 : 8;
    size_t sl = site != NULL ? strlen(site) : 0;

    /* One shot over the bytes laid out in a buffer: the same hash as a
       streaming one, without an allocation. A site too long for it is
       cut (a path of 1000 bytes names its file well before its end). */
    if (nl + fl + sl > sizeof(buf)) {
        sl = sizeof(buf) - nl - fl;
    }
    memcpy(buf, name, nl);
    put_le64((unsigned char *)buf + nl, fingerprint);
    put_le64((unsigned char *)buf + nl + 8, parent_fingerprint);
    if (sl > 0) {
        memcpy(buf + nl + fl, site, sl);
    }
    return XXH64(buf, nl + fl + sl, N1_FINDING_ID_SEED);
}

uint64_t n1_finding_id(enum n1_finding_kind kind, uint64_t fingerprint,
                       const char *location)
{
    return n1_finding_class_id(kind, fingerprint, 0, 0, location);
}

int n1_gap_exceeded(int64_t a, int64_t b, unsigned ms)
{
    if (a == N1_TS_NONE || b == N1_TS_NONE) {
        return 0;
    }
    return b - a > (int64_t)ms * 1000;
}

/* ---- context ---------------------------------------------------------- */

/* 1 when one of the n compiled patterns matches the shape's text. */
static int any_match(const struct n1_detect_ctx *ctx, void *const *re, size_t n,
                     const struct n1_shape *sh)
{
    for (size_t i = 0; i < n; i++) {
        if (pcre2_match((const pcre2_code *)re[i], (PCRE2_SPTR)sh->text,
                        sh->len, 0, 0, (pcre2_match_data *)ctx->match,
                        NULL) >= 0) {
            return 1;
        }
    }
    return 0;
}

/* 1 when text[0..len) starts with the words w (case-insensitive), whole. */
static int starts_with(const char *text, size_t len, const char *w)
{
    size_t n = strlen(w);

    return len >= n && strncasecmp(text, w, n) == 0 &&
           (len == n || text[n] == ' ');
}

/* The request control class of a fingerprint text (enum n1_ctl). */
static int control_class(const struct n1_detect_ctx *ctx,
                         const struct n1_shape *sh)
{
    const char *t = sh->text;
    size_t n = sh->len;

    if (starts_with(t, n, "begin") || starts_with(t, n, "start transaction") ||
        starts_with(t, n, "xa start") || starts_with(t, n, "xa begin")) {
        return N1_CTL_BEGIN;
    }
    if ((starts_with(t, n, "commit") || starts_with(t, n, "rollback")) &&
        strstr(t, " to ") == NULL) {
        return N1_CTL_END;
    }
    if (starts_with(t, n, "reset connection")) {
        return N1_CTL_RESET;
    }
    if (!any_match(ctx, ctx->preamble, ctx->n_preamble, sh)) {
        return N1_CTL_NONE;
    }
    return strstr(t, "autocommit") != NULL ? N1_CTL_AUTOCOMMIT
                                           : N1_CTL_PREAMBLE;
}

/* Looks the shape of norm up; a fresh one is classified once. */
static struct n1_shape *ctx_lookup(struct n1_detect_ctx *ctx,
                                   const struct n1_norm *norm)
{
    struct n1_shape *sh = NULL;
    int fresh = 0;

    /* Every detector asks for the event's shape, some several times:
       while the cache has freed nothing, the last answer stands. */
    if (ctx->sh_norm == norm && ctx->sh_clock == ctx->clock &&
        ctx->sh_evictions == n1_shape_cache_evictions(ctx->shapes)) {
        return ctx->sh_value;
    }
    sh = n1_shape_cache_get(ctx->shapes, norm->id, norm->text, norm->len,
                            &fresh, &ctx->err);
    if (sh != NULL) {
        ctx->sh_norm = norm;
        ctx->sh_clock = ctx->clock;
        ctx->sh_evictions = n1_shape_cache_evictions(ctx->shapes);
        ctx->sh_value = sh;
    }
    if (sh == NULL || !fresh) {
        return sh;
    }
    if (sh->noise == N1_NOISE_NONE &&
        any_match(ctx, ctx->ignore, ctx->n_ignore, sh)) {
        sh->noise = N1_NOISE_RULE;
    }
    sh->ctl = control_class(ctx, sh);
    sh->uservar = memchr(sh->text, '@', sh->len) != NULL;
    return sh;
}

int n1_ctx_control(struct n1_detect_ctx *ctx, const struct n1_event *ev,
                   const struct n1_norm *norm)
{
    struct n1_shape *sh = NULL;

    if (norm == NULL ||
        (ev->cmd != N1_CMD_QUERY && ev->cmd != N1_CMD_EXECUTE)) {
        return 0;
    }
    sh = ctx_lookup(ctx, norm);
    return sh == NULL ? -1 : sh->ctl;
}

int n1_ctx_shape(struct n1_detect_ctx *ctx, const struct n1_event *ev,
                 const struct n1_norm *norm, struct n1_shape **out)
{
    struct n1_shape *sh = NULL;

    if (norm == NULL ||
        (ev->cmd != N1_CMD_QUERY && ev->cmd != N1_CMD_EXECUTE)) {
        return 0;
    }
    /* Prepared-statement text logged as a query: ? without values. */
    if (norm->n_lits < norm->n_slots) {
        return 0;
    }
    sh = ctx_lookup(ctx, norm);
    if (sh == NULL) {
        return -1;
    }
    if (sh->noise == N1_NOISE_RULE ||
        (sh->noise != N1_NOISE_NONE && ctx->opts.ignore_default_noise) ||
        sh->len == 0) {
        return 0;
    }
    *out = sh;
    return 1;
}

static int is_trace_tag(const char *k)
{
    return strcmp(k, "traceparent") == 0 || strcmp(k, "tracestate") == 0;
}

uint64_t n1_trace_id(const struct n1_norm *norm)
{
    for (size_t i = 0; i < norm->n_tags; i++) {
        const char *v = norm->tags[i].value;
        const char *id = NULL;

        if (strcmp(norm->tags[i].key, "traceparent") != 0) {
            continue;
        }
        /* version-traceid-parentid-flags: the trace id names the
           request; the parent (span) id changes per statement. */
        id = strchr(v, '-');
        if (id == NULL || strlen(id + 1) < 32) {
            return 0;
        }
        return XXH64(id + 1, 32, 0x7472) | 1;
    }
    return 0;
}

uint64_t n1_tags_ident(const struct n1_norm *norm)
{
    uint64_t h = 0;

    for (size_t i = 0; i < norm->n_tags; i++) {
        const struct n1_tag *t = &norm->tags[i];

        if (is_trace_tag(t->key)) {
            continue;
        }
        h = XXH64(t->key, strlen(t->key), h);
        h = XXH64(t->value, strlen(t->value) + 1, h);
    }
    return h;
}

/* ---- registry --------------------------------------------------------- */

struct n1_detectors {
    struct n1_detect_ctx ctx;
    struct n1_detector *det[N1_FIND_KIND_COUNT]; /* one per kind at most */
    size_t n_det;
    int64_t last_sweep_us; /* log time of the last automatic tick */
};

static void copy_err(struct n1_error *to, const struct n1_error *from)
{
    if (to != NULL) {
        *to = *from;
    }
}

/* Compiles n patterns into a new array *out (*n_out entries made, also on
   failure, for the caller to free). 0, or -1 with err set. */
static int compile_list(const char *what, const char *const *pat, size_t n,
                        void ***out, size_t *n_out, struct n1_error *err)
{
    if (n == 0) {
        return 0;
    }
    *out = calloc(n, sizeof(void *));
    if (*out == NULL) {
        n1_err_oom(err, "compiling the patterns");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        int ec = 0;
        PCRE2_SIZE eo = 0;
        pcre2_code *re = pcre2_compile(
            (PCRE2_SPTR)pat[i], PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);

        if (re == NULL) {
            PCRE2_UCHAR msg[120];

            pcre2_get_error_message(ec, msg, sizeof(msg));
            n1_err_set(err, N1_ERULES, NULL, 0,
                       "%s pattern %zu at offset %zu: %s", what, i + 1,
                       (size_t)eo, (const char *)msg);
            return -1;
        }
        (*out)[(*n_out)++] = re;
    }
    return 0;
}

static void free_list(void **re, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        pcre2_code_free((pcre2_code *)re[i]);
    }
    free(re);
}

struct n1_detectors *n1_detectors_new(const struct n1_detect_opts *opts,
                                      n1_emit_fn emit, void *ud,
                                      struct n1_error *err)
{
    struct n1_detectors *d = NULL;
    struct n1_detect_opts def;

    if (opts == NULL) {
        n1_detect_opts_default(&def);
        opts = &def;
    }
    d = calloc(1, sizeof(*d));
    if (d == NULL) {
        n1_err_oom(err, "for the detectors");
        return NULL;
    }
    d->ctx.opts = *opts;
    if (d->ctx.opts.max_keys == 0) {
        d->ctx.opts.max_keys = 1000;
    }
    if (d->ctx.opts.max_loops_per_conn == 0) {
        d->ctx.opts.max_loops_per_conn = 1;
    }
    if (d->ctx.opts.max_connections == 0) {
        d->ctx.opts.max_connections = 1;
    }
    d->ctx.emit = emit;
    d->ctx.ud = ud;
    d->last_sweep_us = N1_TS_NONE;
    d->ctx.shapes = n1_shape_cache_new(opts->shape_cache, err);
    if (d->ctx.shapes == NULL) {
        goto fail;
    }
    if (compile_list("ignore", opts->ignore_patterns, opts->n_ignore_patterns,
                     &d->ctx.ignore, &d->ctx.n_ignore, err) < 0 ||
        compile_list("preamble", opts->preamble_patterns,
                     opts->n_preamble_patterns, &d->ctx.preamble,
                     &d->ctx.n_preamble, err) < 0) {
        goto fail;
    }
    d->ctx.match = pcre2_match_data_create(1, NULL);
    if (d->ctx.match == NULL) {
        n1_err_oom(err, "for the pattern match data");
        goto fail;
    }
    for (size_t i = 0; i < n1_detector_count; i++) {
        const struct n1_detector_desc *dd = n1_detector_table[i];

        if (!*n1_detector_enabled(dd, &d->ctx.opts)) {
            continue;
        }
        d->det[d->n_det] = dd->create(&d->ctx);
        if (d->det[d->n_det++] == NULL) {
            goto fail_ctx;
        }
    }
    return d;
fail_ctx:
    d->n_det--;
    copy_err(err, &d->ctx.err);
fail:
    n1_detectors_free(d);
    return NULL;
}

int n1_detectors_tick(struct n1_detectors *d, int64_t now_us,
                      struct n1_error *err)
{
    for (size_t i = 0; i < d->n_det; i++) {
        if (d->det[i]->ops->tick(d->det[i], now_us) < 0) {
            copy_err(err, &d->ctx.err);
            return -1;
        }
    }
    return 0;
}

int n1_detectors_event(struct n1_detectors *d, const struct n1_event *ev,
                       const struct n1_norm *norm, struct n1_error *err)
{
    struct n1_shape *sh = NULL;
    int rc;

    d->ctx.stats.events++;
    d->ctx.clock++;
    if (ev->ts_us != N1_TS_NONE) {
        if (d->last_sweep_us == N1_TS_NONE) {
            d->last_sweep_us = ev->ts_us;
        } else if (ev->ts_us - d->last_sweep_us >= 1000000) {
            d->last_sweep_us = ev->ts_us;
            if (n1_detectors_tick(d, ev->ts_us, err) < 0) {
                return -1;
            }
        }
    }
    rc = n1_ctx_shape(&d->ctx, ev, norm, &sh);
    if (rc < 0) {
        copy_err(err, &d->ctx.err);
        return -1;
    }
    if (rc == 0 && norm != NULL &&
        (ev->cmd == N1_CMD_QUERY || ev->cmd == N1_CMD_EXECUTE ||
         ev->cmd == N1_CMD_PREPARE)) {
        d->ctx.stats.ignored++;
    }
    for (size_t i = 0; i < d->n_det; i++) {
        if (d->det[i]->ops->on_event(d->det[i], ev, norm) < 0) {
            copy_err(err, &d->ctx.err);
            return -1;
        }
    }
    return 0;
}

int n1_detectors_finish(struct n1_detectors *d, struct n1_error *err)
{
    for (size_t i = 0; i < d->n_det; i++) {
        if (d->det[i]->ops->finish(d->det[i]) < 0) {
            copy_err(err, &d->ctx.err);
            return -1;
        }
    }
    d->last_sweep_us = N1_TS_NONE;
    return 0;
}

void n1_detectors_low_water(const struct n1_detectors *d, n1_low_water_fn cb,
                            void *ud)
{
    for (size_t i = 0; i < d->n_det; i++) {
        if (d->det[i]->ops->low_water != NULL) {
            d->det[i]->ops->low_water(d->det[i], cb, ud);
        }
    }
}

void n1_detectors_stats(const struct n1_detectors *d,
                        struct n1_detect_stats *st)
{
    *st = d->ctx.stats;
    st->memory = d->ctx.mem_used;
    st->shape_evictions = n1_shape_cache_evictions(d->ctx.shapes);
}

void n1_detectors_free(struct n1_detectors *d)
{
    if (d == NULL) {
        return;
    }
    for (size_t i = 0; i < d->n_det; i++) {
        if (d->det[i] != NULL) {
            d->det[i]->ops->free(d->det[i]);
        }
    }
    n1_rec_pool_free(&d->ctx.pool);
    free_list(d->ctx.ignore, d->ctx.n_ignore);
    free_list(d->ctx.preamble, d->ctx.n_preamble);
    pcre2_match_data_free((pcre2_match_data *)d->ctx.match);
    n1_shape_cache_free(d->ctx.shapes);
    free(d);
}
