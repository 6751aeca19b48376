/* SPDX-License-Identifier: MIT */
/*
 * fingerprint.h: stable 64-bit ids for fingerprint texts.
 *
 * The id is XXH64 of the fingerprint text seeded with
 * N1_FINGERPRINT_VERSION, so a change of the normalisation rules changes
 * every id instead of silently mixing old and new groupings.
 */
#ifndef N1_FINGERPRINT_H
#define N1_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

/* Returns the id of len bytes of fingerprint text. */
uint64_t n1_fingerprint_id(const char *text, size_t len);

/* Writes id as 16 lower-case hex digits and a NUL into hex[17]. */
void n1_fingerprint_hex(uint64_t id, char hex[17]);

/*
 * Parses 16 hex digits (either case) into *id. Returns 0, or -1 when s is
 * not exactly 16 hex digits (*id untouched).
 */
int n1_fingerprint_parse(const char *s, uint64_t *id);

#endif /* N1_FINGERPRINT_H */
