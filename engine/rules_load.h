/* SPDX-License-Identifier: MIT */
/*
 * rules_load.h: the rules in force for a run: the built-in defaults with
 * the given rule files on top.
 */
#ifndef N1_RULES_LOAD_H
#define N1_RULES_LOAD_H

#include <stddef.h>

#include "base/error.h"

struct n1_rules;

/*
 * The rules in force: the built-in defaults, then each of the n rule files
 * in paths in order (later files win per key). Returns rules the caller
 * frees with n1_rules_free(), or NULL with err set (N1_ERULES with file
 * and line for a bad file, N1_ESYS when one cannot be read).
 */
struct n1_rules *n1_engine_rules(const char *const *paths, size_t n,
                                 struct n1_error *err);

#endif /* N1_RULES_LOAD_H */
