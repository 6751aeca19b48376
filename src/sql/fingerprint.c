/* SPDX-License-Identifier: MIT */
/*
 * fingerprint.c: XXH64 ids for fingerprint texts, and their hex form.
 *
 * Nothing here looks at SQL; normalize.c decides the text, this module
 * only names it. The seed ties ids to N1_FINGERPRINT_VERSION.
 */
#include <string.h>

/* Inlined: every statement's text is hashed once, and the library call
   costs about as much as hashing a short text. Same values. */
#define XXH_INLINE_ALL
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
    /* Two digits per byte: every statement's id is written once. */
    static const char pairs[] = "000102030405060708090a0b0c0d0e0f"
                                "101112131415161718191a1b1c1d1e1f"
                                "202122232425262728292a2b2c2d2e2f"
                                "303132333435363738393a3b3c3d3e3f"
                                "404142434445464748494a4b4c4d4e4f"
                                "505152535455565758595a5b5c5d5e5f"
                                "606162636465666768696a6b6c6d6e6f"
                                "707172737475767778797a7b7c7d7e7f"
                                "808182838485868788898a8b8c8d8e8f"
                                "909192939495969798999a9b9c9d9e9f"
                                "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
                                "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
                                "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
                                "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
                                "e0e1e2e3e4e5e6e7e8e9eaebecedeeef"
                                "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

    for (int i = 14; i >= 0; i -= 2) {
        memcpy(hex + i, pairs + 2 * (id & 0xff), 2);
        id >>= 8;
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
