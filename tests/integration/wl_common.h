/* SPDX-License-Identifier: MIT */
/*
 * wl_common.h: what the two workload drivers share (n1_workload in
 * tests/integration/workload.c and n1_pool_workload in
 * tests/pool/pool_workload.c): printf-style attributes and the one-line
 * fatal error. Header-only: each driver is one C file and includes this
 * once, after setting WL_PROGRAM to its own name.
 */
#ifndef N1_WL_COMMON_H
#define N1_WL_COMMON_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef WL_PROGRAM
#error "define WL_PROGRAM (the program name for messages) first"
#endif

#if defined(__GNUC__) || defined(__clang__)
#define N1_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define N1_NORETURN     __attribute__((noreturn))
#else
#define N1_PRINTF(a, b)
#define N1_NORETURN
#endif

/* Prints "<program>: <message>" and exits with status 1. */
static void die(const char *fmt, ...) N1_PRINTF(1, 2) N1_NORETURN;

static void die(const char *fmt, ...)
{
    va_list ap;

    fputs(WL_PROGRAM ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

#endif /* N1_WL_COMMON_H */
