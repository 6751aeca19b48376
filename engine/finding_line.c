/* SPDX-License-Identifier: MIT */
/*
 * finding_line.c: the text line of a finding (finding_line.h), written
 * into a memory stream so that the store keeps exactly what is printed.
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/event.h"
#include "base/timeutil.h"
#include "engine/finding_line.h"

static void put_ts(FILE *out, int64_t us)
{
    char buf[N1_TS_ISO_MAX];

    if (us == N1_TS_NONE || n1_ts_format_iso(us, N1_TS_FRAC_NEVER, buf) != 0) {
        fputs("-", out);
        return;
    }
    fputs(buf, out);
}

/* Writes s with control characters as '?', so one finding is one line. */
static void put_clean(FILE *out, const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
    }
}

/* One occurrence on one line: its first time, severity, kind and class
   id, then its own count, connection(s), file and line. */
static void put_line(FILE *out, const struct n1_finding *f)
{
    put_ts(out, f->first_seen_us);
    fprintf(out, " %s %s class=%016llx %s x%llu keys=%llu",
            n1_severity_name(f->severity), n1_finding_kind_name(f->kind),
            (unsigned long long)f->id, f->statement,
            (unsigned long long)f->count, (unsigned long long)f->distinct_keys);
    fputs(" table=", out);
    put_clean(out, f->table[0] != '\0' ? f->table : "-");
    if (f->kind == N1_FIND_FANOUT) {
        fprintf(out, " conns=%zu", f->n_connections);
    } else {
        fprintf(out, " conn=%llu", (unsigned long long)f->connection);
    }
    fprintf(out, " fp=%016llx at ", (unsigned long long)f->fingerprint);
    put_clean(out, f->file);
    fprintf(out, ":%lu", f->line);
    if (f->location != NULL) {
        fputs(" src=", out);
        put_clean(out, f->location);
    }
    fputs(": ", out);
    put_clean(out, f->fingerprint_text);
}

char *n1_finding_line(const struct n1_finding *f)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);

    if (mem == NULL) {
        return NULL;
    }
    put_line(mem, f);
    if (fclose(mem) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
