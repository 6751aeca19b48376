/* SPDX-License-Identifier: MIT */
/*
 * cmd_fingerprint.c: `n1digest fingerprint`, the normaliser on the command
 * line.
 *
 * Statements come from the arguments (one per argument, taken whole) or,
 * without arguments, from stdin, cut at each ';' that is outside a string,
 * a quoted name and a comment. The cutter only knows enough lexing to find
 * those; the normaliser does the rest. Each statement prints as its
 * fingerprint text, or with --json as one JSON object per line.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/strbuf.h"
#include "cli/cli.h"
#include "sql/normalize.h"

static const char *const lit_type_names[] = {"string", "number", "hex",
                                             "bit",    "null",   "bool"};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: n1digest fingerprint [--format FMT] [SQL ...]\n"
            "\n"
            "Prints the fingerprint of each SQL statement: literals become\n"
            "?, comments go, keywords are lower-cased, IN lists and\n"
            "multi-row VALUES collapse. With no SQL arguments, statements\n"
            "are read from stdin, separated by ';'.\n"
            "\n"
            "options:\n"
            "  --format FMT  text (default) or json: one JSON object per\n"
            "                line: id, fingerprint, literals\n"
            "                [{type,value,slot,item,pos}], tags {}\n"
            "  -j, --json    same as --format json\n"
            "  -h, --help    print this help and exit\n");
}

/*
 * Appends s[0..len) to sb as valid UTF-8: each byte that does not start a
 * well-formed sequence becomes U+FFFD. Returns 0 or -1 (out of memory).
 */
static int utf8_clean(struct n1_strbuf *sb, const char *s, size_t len)
{
    static const char repl[] = "\xef\xbf\xbd";
    size_t i = 0;

    n1_strbuf_reset(sb);
    if (n1_strbuf_append(sb, "", 0) != 0) {
        return -1;
    }
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        size_t n = 0;
        unsigned cp = 0;
        unsigned min = 0;

        if (c < 0x80) {
            n = 1;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 2;
            cp = c & 0x1f;
            min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 3;
            cp = c & 0x0f;
            min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 4;
            cp = c & 0x07;
            min = 0x10000;
        }
        if (n > 1) {
            size_t k;

            for (k = 1; k < n && i + k < len; k++) {
                unsigned char d = (unsigned char)s[i + k];

                if ((d & 0xc0) != 0x80) {
                    break;
                }
                cp = (cp << 6) | (d & 0x3f);
            }
            if (k != n || cp < min || cp > 0x10ffff ||
                (cp >= 0xd800 && cp <= 0xdfff)) {
                n = 0;
            }
        }
        if (n == 0) {
            if (n1_strbuf_append(sb, repl, 3) != 0) {
                return -1;
            }
            i++;
        } else {
            if (n1_strbuf_append(sb, s + i, n) != 0) {
                return -1;
            }
            i += n;
        }
    }
    return 0;
}

/* Returns a new JSON string for s[0..len), made valid UTF-8; NULL when out
   of memory. */
static json_t *json_bytes(struct n1_strbuf *tmp, const char *s, size_t len)
{
    if (utf8_clean(tmp, s, len) != 0) {
        return NULL;
    }
    return json_stringn(tmp->buf, tmp->len);
}

/* Prints one statement's result. Returns 0 or -1 (out of memory). */
static int print_norm(const struct n1_norm *o, int json, struct n1_strbuf *tmp)
{
    json_t *root = NULL;
    json_t *lits = NULL;
    json_t *tags = NULL;
    int rc = -1;

    if (!json) {
        fwrite(o->text, 1, o->len, stdout);
        fputc('\n', stdout);
        return 0;
    }
    root = json_object();
    lits = json_array();
    tags = json_object();
    if (root == NULL || lits == NULL || tags == NULL) {
        goto out;
    }
    if (json_object_set_new(root, "id", json_string(o->hex)) != 0 ||
        json_object_set_new(root, "fingerprint",
                            json_bytes(tmp, o->text, o->len)) != 0) {
        goto out;
    }
    for (size_t i = 0; i < o->n_lits; i++) {
        const struct n1_literal *l = &o->lits[i];
        json_t *v = l->type == N1_LIT_NULL ? json_null()
                                           : json_bytes(tmp, l->value, l->len);
        json_t *lit = json_pack("{s:s, s:o, s:I, s:I, s:I}", "type",
                                lit_type_names[l->type], "value", v, "slot",
                                (json_int_t)l->slot, "item",
                                (json_int_t)l->item, "pos", (json_int_t)l->pos);

        if (lit == NULL || json_array_append_new(lits, lit) != 0) {
            goto out;
        }
    }
    for (size_t i = 0; i < o->n_tags; i++) {
        json_t *v = json_bytes(tmp, o->tags[i].value, strlen(o->tags[i].value));
        json_t *k = json_bytes(tmp, o->tags[i].key, strlen(o->tags[i].key));

        if (v == NULL || k == NULL ||
            json_object_set_new(tags, json_string_value(k), v) != 0) {
            json_decref(k);
            goto out;
        }
        json_decref(k);
    }
    if (json_object_set(root, "literals", lits) != 0 ||
        json_object_set(root, "tags", tags) != 0) {
        goto out;
    }
    rc = cli_print_json_line(root, JSON_COMPACT);

out:
    json_decref(root);
    json_decref(lits);
    json_decref(tags);
    return rc;
}

/* Normalises and prints one statement; returns an enum n1_exit. */
static int one(struct n1_normalizer *n, const char *sql, size_t len, int json,
               struct n1_strbuf *tmp)
{
    struct n1_norm o;
    struct n1_error err;

    n1_err_clear(&err);
    if (n1_normalize(n, sql, len, &o, &err) != 0) {
        cli_error(&err);
        return cli_exit_for(&err);
    }
    if (print_norm(&o, json, tmp) != 0) {
        cli_oom("printing a statement");
        return N1_EXIT_USAGE;
    }
    return N1_EXIT_OK;
}

/* Lexer states of the statement cutter. */
enum cut {
    CUT_SQL = 0, /* plain SQL */
    CUT_QUOTE,   /* inside '..', "..", `..` (quote in `q`) */
    CUT_BLOCK,   /* inside a block comment */
    CUT_LINE     /* inside -- or # comment */
};

/* 1 when the statement holds something other than blanks and ';'. */
static int has_content(const struct n1_strbuf *sb)
{
    for (size_t i = 0; i < sb->len; i++) {
        char c = sb->buf[i];

        if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != ';' &&
            c != '\f' && c != '\v') {
            return 1;
        }
    }
    return 0;
}

/* Reads stdin, cuts it into statements and prints each. */
static int from_stdin(struct n1_normalizer *n, int json, struct n1_strbuf *tmp)
{
    struct n1_strbuf stmt;
    char buf[65536];
    enum cut st = CUT_SQL;
    char q = 0;     /* quote that opened CUT_QUOTE */
    int esc = 0;    /* CUT_QUOTE: the previous byte was a backslash */
    int dashes = 0; /* CUT_SQL: '-' bytes just seen */
    int slash = 0;  /* CUT_SQL: the previous byte was '/' */
    int star = 0;   /* CUT_BLOCK: the previous byte was '*' */
    int worst = N1_EXIT_OK;
    size_t got;

    n1_strbuf_init(&stmt, 0);
    while ((got = fread(buf, 1, sizeof(buf), stdin)) > 0) {
        for (size_t i = 0; i < got; i++) {
            char c = buf[i];
            int end = 0;

            switch (st) {
            case CUT_SQL:
                if (c == '\'' || c == '"' || c == '`') {
                    st = CUT_QUOTE;
                    q = c;
                    esc = 0;
                } else if (c == '*' && slash) {
                    st = CUT_BLOCK;
                    star = 0;
                } else if (c == '#') {
                    st = CUT_LINE;
                } else if (dashes >= 2 && (unsigned char)c <= ' ') {
                    st = c == '\n' ? CUT_SQL : CUT_LINE;
                } else if (c == ';') {
                    end = 1;
                }
                dashes = c == '-' ? dashes + 1 : 0;
                slash = c == '/' && st == CUT_SQL;
                break;
            case CUT_QUOTE:
                if (esc) {
                    esc = 0;
                } else if (c == '\\' && q != '`') {
                    esc = 1;
                } else if (c == q) {
                    st = CUT_SQL; /* a doubled quote reopens at once */
                    dashes = 0;
                    slash = 0;
                }
                break;
            case CUT_BLOCK:
                if (c == '/' && star) {
                    st = CUT_SQL;
                    dashes = 0;
                    slash = 0;
                }
                star = c == '*';
                break;
            case CUT_LINE:
                if (c == '\n') {
                    st = CUT_SQL;
                    dashes = 0;
                    slash = 0;
                }
                break;
            }
            if (n1_strbuf_putc(&stmt, c) != 0) {
                cli_oom("cutting statements");
                worst = N1_EXIT_USAGE;
                goto out;
            }
            if (end) {
                if (has_content(&stmt)) {
                    int rc = one(n, stmt.buf, stmt.len, json, tmp);

                    if (rc > worst) {
                        worst = rc;
                    }
                }
                n1_strbuf_reset(&stmt);
            }
        }
    }
    if (ferror(stdin)) {
        cli_errorf("SYSTEM reading stdin failed");
        worst = N1_EXIT_USAGE;
        goto out;
    }
    if (has_content(&stmt)) {
        int rc = one(n, stmt.buf, stmt.len, json, tmp);

        if (rc > worst) {
            worst = rc;
        }
    }

out:
    n1_strbuf_cleanup(&stmt);
    return worst;
}

int cmd_fingerprint(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct n1_normalizer *n = NULL;
    struct n1_strbuf tmp;
    struct n1_error err;
    int json = 0;
    int worst = N1_EXIT_OK;
    int c;

    n1_strbuf_init(&tmp, 0);
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = 1;
            break;
        case 'f':
            if (cli_format_option(optarg, &json) != 0) {
                return N1_EXIT_USAGE;
            }
            break;
        case 'h':
            usage(stdout);
            return N1_EXIT_OK;
        default:
            if (optopt != 0) {
                cli_errorf("USAGE fingerprint: unknown option '-%c' "
                           "(see n1digest fingerprint --help)",
                           optopt);
            } else {
                cli_errorf("USAGE fingerprint: unknown option '%s' "
                           "(see n1digest fingerprint --help)",
                           argv[optind - 1]);
            }
            return N1_EXIT_USAGE;
        }
    }
    n = n1_normalizer_new(&err);
    if (n == NULL) {
        cli_error(&err);
        worst = cli_exit_for(&err);
        goto out;
    }
    if (optind < argc) {
        for (int i = optind; i < argc; i++) {
            int rc = one(n, argv[i], strlen(argv[i]), json, &tmp);

            if (rc > worst) {
                worst = rc;
            }
        }
    } else {
        worst = from_stdin(n, json, &tmp);
    }
    if (fflush(stdout) != 0) {
        cli_errorf("SYSTEM writing stdout failed");
        worst = N1_EXIT_USAGE;
    }

out:
    n1_normalizer_free(n);
    n1_strbuf_cleanup(&tmp);
    return worst;
}
