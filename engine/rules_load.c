/* SPDX-License-Identifier: MIT */
/*
 * rules_load.c: the rules in force for a run (rules_load.h), shared by
 * analyze, check, tail and `n1digest rules`.
 */
#include "engine/rules_load.h"
#include "rules/rules.h"

struct n1_rules *n1_engine_rules(const char *const *paths, size_t n,
                                 struct n1_error *err)
{
    struct n1_rules *r = n1_rules_new(err);

    if (r == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (n1_rules_load_file(r, paths[i], err) != 0) {
            n1_rules_free(r);
            return NULL;
        }
    }
    return r;
}
