/* SPDX-License-Identifier: MIT */
/*
 * json_out.c: the JSON building blocks the reports share (json_int.h).
 *
 * One definition of "a string from a log as JSON" and of "write the
 * document or say why not", so the findings, check, SARIF and baseline
 * documents cannot drift apart in how they repair text or report a
 * failure. Nothing here decides what goes into a document.
 */
#include <string.h>

#include "base/textutil.h"
#include "report/json_int.h"
#include "sql/fingerprint.h"

json_t *n1_rj_str(const char *s)
{
    return n1_json_text(s, s != NULL ? strlen(s) : 0);
}

json_t *n1_rj_str0(const char *s)
{
    return n1_rj_str(s != NULL ? s : "");
}

json_t *n1_rj_hex(uint64_t v)
{
    char hex[17];

    n1_fingerprint_hex(v, hex);
    return json_string(hex);
}

void n1_rj_put(json_t *o, const char *key, json_t *v, int *bad)
{
    if (v == NULL || json_object_set_new(o, key, v) != 0) {
        *bad = 1;
    }
}

void n1_rj_push(json_t *a, json_t *v, int *bad)
{
    if (v == NULL || json_array_append_new(a, v) != 0) {
        *bad = 1;
    }
}

int n1_rj_write(const json_t *root, FILE *out, int bad, const char *what,
                struct n1_error *err)
{
    if (bad) {
        char doing[96];

        snprintf(doing, sizeof(doing), "building %s", what);
        n1_err_oom(err, doing);
        return -1;
    }
    if (json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
        fputc('\n', out) == EOF || fflush(out) != 0) {
        n1_err_set(err, N1_ESYS, NULL, 0, "writing %s: output failed", what);
        return -1;
    }
    return 0;
}
