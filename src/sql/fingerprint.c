/* SPDX-License-Identifier: MIT */
/*
 * fingerprint.c: XXH64 ids for fingerprint texts, and their hex form.
 *
 * Nothing here looks at SQL; normalize.c decides the text, this module
 * only names it. The seed ties ids to N1_FINGERPRINT_VERSION.
 */
#include <xxhash.h>

#include "sql/fingerprint.h"
#include "sql/normalize.h"
#include "sql/sqlword.h"

uint64_t n1_fingerprint_id(const char *text, size_t len)
{
    return (uint64_t)XXH64(text, len, (XXH64_hash_t)N1_FINGERPRINT_VERSION);
}

void n1_fingerprint_hex(uint64_t id, char hex[17])
{
    static const char digits[] = "0123456789abcdef";

    for (int i = 15; i >= 0; i--) {
        hex[i] = digits[id & 0xf];
        id >>= 4;
    }
    hex[16] = '\0';
}

int n1_fingerprint_parse(const char *s, uint64_t *id)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < 16; i++) {
        int d = n1_sqlword_hex(s[i]);

        if (d < 0) {
            return -1;
        }
        v = (v << 4) | (unsigned)d;
    }
    if (s[16] != '\0') {
        return -1;
    }
    *id = v;
    return 0;
}
