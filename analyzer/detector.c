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

#include <pcre2.h>
#include <xxhash.h>

#include "analyzer/detect_int.h"

void n1_detect_opts_default(struct n1_detect_opts *o)
{
    memset(o, 0, sizeof(*o));
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

uint64_t n1_finding_id(enum n1_finding_kind kind, uint64_t fingerprint,
                       const char *location)
{
    XXH64_state_t *st = NULL;
    unsigned char fp[8];
    const char *name = n1_finding_kind_name(kind);
    uint64_t h;

    for (int i = 0; i < 8; i++) {
        fp[i] = (unsigned char)(fingerprint >> (8 * i));
    }
    st = XXH64_createState();
    if (st == NULL) {
        /* Out of memory: fall back to a one-shot hash of the same bytes
           laid out in a small buffer. */
        char buf[512];
        size_t nl = strlen(name) + 1;
        size_t ll = location != NULL ? strlen(location) : 0;

        if (nl + 8 + ll > sizeof(buf)) {
            ll = sizeof(buf) - nl - 8;
        }
        memcpy(buf, name, nl);
        memcpy(buf + nl, fp, 8);
        if (ll > 0) {
            memcpy(buf + nl + 8, location, ll);
        }
        return XXH64(buf, nl + 8 + ll, N1_FINDING_ID_SEED);
    }
    XXH64_reset(st, N1_FINDING_ID_SEED);
    XXH64_update(st, name, strlen(name) + 1);
    XXH64_update(st, fp, sizeof(fp));
    if (location != NULL) {
        XXH64_update(st, location, strlen(location));
    }
    h = XXH64_digest(st);
    XXH64_freeState(st);
    return h;
}

int n1_gap_exceeded(int64_t a, int64_t b, unsigned ms)
{
    if (a == N1_TS_NONE || b == N1_TS_NONE) {
        return 0;
    }
    return b - a > (int64_t)ms * 1000;
}

/* ---- context ---------------------------------------------------------- */

int n1_ctx_shape(struct n1_detect_ctx *ctx, const struct n1_event *ev,
                 const struct n1_norm *norm, struct n1_shape **out)
{
    struct n1_shape *sh = NULL;
    int fresh = 0;

    if (norm == NULL ||
        (ev->cmd != N1_CMD_QUERY && ev->cmd != N1_CMD_EXECUTE)) {
        return 0;
    }
    /* Prepared-statement text logged as a query: ? without values. */
    if (norm->n_lits < norm->n_slots) {
        return 0;
    }
    sh = n1_shape_cache_get(ctx->shapes, norm->id, norm->text, norm->len,
                            &fresh, &ctx->err);
    if (sh == NULL) {
        return -1;
    }
    if (fresh && ctx->n_ignore > 0 && sh->noise == N1_NOISE_NONE) {
        for (size_t i = 0; i < ctx->n_ignore; i++) {
            int rc = pcre2_match((pcre2_code *)ctx->ignore[i],
                                 (PCRE2_SPTR)sh->text, sh->len, 0, 0,
                                 (pcre2_match_data *)ctx->match, NULL);

            if (rc >= 0) {
                sh->noise = N1_NOISE_RULE;
                break;
            }
        }
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
    if (opts->n_ignore_patterns > 0) {
        d->ctx.ignore = calloc(opts->n_ignore_patterns, sizeof(void *));
        if (d->ctx.ignore == NULL) {
            n1_err_oom(err, "compiling the ignore patterns");
            goto fail;
        }
        for (size_t i = 0; i < opts->n_ignore_patterns; i++) {
            int ec = 0;
            PCRE2_SIZE eo = 0;
            pcre2_code *re =
                pcre2_compile((PCRE2_SPTR)opts->ignore_patterns[i],
                              PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);

            if (re == NULL) {
                PCRE2_UCHAR msg[120];

                pcre2_get_error_message(ec, msg, sizeof(msg));
                n1_err_set(err, N1_ERULES, NULL, 0,
                           "ignore pattern %zu at offset %zu: %s", i + 1,
                           (size_t)eo, (const char *)msg);
                goto fail;
            }
            d->ctx.ignore[d->ctx.n_ignore++] = re;
        }
        d->ctx.match = pcre2_match_data_create(1, NULL);
        if (d->ctx.match == NULL) {
            n1_err_oom(err, "for the ignore pattern match data");
            goto fail;
        }
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
    for (size_t i = 0; i < d->ctx.n_ignore; i++) {
        pcre2_code_free((pcre2_code *)d->ctx.ignore[i]);
    }
    free(d->ctx.ignore);
    pcre2_match_data_free((pcre2_match_data *)d->ctx.match);
    n1_shape_cache_free(d->ctx.shapes);
    free(d);
}
