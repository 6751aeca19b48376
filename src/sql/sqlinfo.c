/* SPDX-License-Identifier: MIT */
/*
 * sqlinfo.c: the verb and tables of a fingerprint, for report items.
 *
 * A small scanner cuts the fingerprint text into words (identifiers,
 * keywords, `quoted` names joined across dots) and single punctuation
 * characters. The first word decides the verb; words such as FROM, JOIN,
 * INTO and UPDATE open a table list whose names (each optionally followed
 * by an alias, separated by commas) are collected. FROM counts only at a
 * parenthesis depth where a SELECT or DELETE was seen, so EXTRACT(DAY FROM
 * x) and TRIM(... FROM x) name no table. It does not resolve aliases,
 * CTE names or views: the item is the label pt-query-digest users know,
 * not a dependency analysis.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sql/sqlinfo.h"
#include "sql/sqlword.h"

#define MAX_DEPTH 64
#define WORD_MAX  96

enum tok_type {
    TOK_END = 0, /* end of text */
    TOK_WORD,    /* identifier or keyword; `quoted` parts unquoted */
    TOK_PUNCT,   /* one other character: ( ) , ; ? = ... */
    TOK_STRING   /* a quoted literal the normaliser left (odd SQL) */
};

struct tok {
    enum tok_type type;   /* what it is */
    char text[WORD_MAX];  /* the word (cut), or the punctuation char */
    char lower[WORD_MAX]; /* text in ASCII lower case, for keywords */
};

struct scanner {
    const char *s; /* the fingerprint text */
    size_t len;    /* its bytes */
    size_t pos;    /* next byte to read */
};

static void put_char(struct tok *t, size_t *n, char c)
{
    if (*n + 1 < sizeof(t->text)) {
        t->text[*n] = c;
        t->lower[*n] = (char)tolower((unsigned char)c);
        (*n)++;
    }
}

/* Reads one word part: a run of word characters or a `quoted` name
   (`` inside it is one backquote). Returns 1 when a part was read. */
static int read_part(struct scanner *sc, struct tok *t, size_t *n)
{
    unsigned char c = (unsigned char)sc->s[sc->pos];

    if (c == '`') {
        sc->pos++;
        while (sc->pos < sc->len) {
            c = (unsigned char)sc->s[sc->pos];
            if (c == '`') {
                if (sc->pos + 1 < sc->len && sc->s[sc->pos + 1] == '`') {
                    put_char(t, n, '`');
                    sc->pos += 2;
                    continue;
                }
                sc->pos++;
                break;
            }
            if (c != '\0') {
                put_char(t, n, (char)c);
            }
            sc->pos++;
        }
        return 1;
    }
    if (!n1_sqlword_byte(c)) {
        return 0;
    }
    while (sc->pos < sc->len &&
           n1_sqlword_byte((unsigned char)sc->s[sc->pos])) {
        put_char(t, n, sc->s[sc->pos]);
        sc->pos++;
    }
    return 1;
}

static void next_tok(struct scanner *sc, struct tok *t)
{
    size_t n = 0;
    unsigned char c;

    memset(t, 0, sizeof(*t));
    while (sc->pos < sc->len &&
           (isspace((unsigned char)sc->s[sc->pos]) || sc->s[sc->pos] == 0)) {
        sc->pos++;
    }
    if (sc->pos >= sc->len) {
        t->type = TOK_END;
        return;
    }
    c = (unsigned char)sc->s[sc->pos];
    if (c == '\'' || c == '"') {
        /* Skip the literal; a backslash escapes the next byte. */
        sc->pos++;
        while (sc->pos < sc->len && (unsigned char)sc->s[sc->pos] != c) {
            if (sc->s[sc->pos] == '\\') {
                sc->pos++;
            }
            sc->pos++;
        }
        sc->pos++;
        t->type = TOK_STRING;
        return;
    }
    if (c == '`' || n1_sqlword_byte(c)) {
        /* A name: parts joined by dots (db.t, `db`.`t`). */
        read_part(sc, t, &n);
        while (sc->pos + 1 < sc->len && sc->s[sc->pos] == '.' &&
               (sc->s[sc->pos + 1] == '`' ||
                n1_sqlword_byte((unsigned char)sc->s[sc->pos + 1]))) {
            put_char(t, &n, '.');
            sc->pos++;
            read_part(sc, t, &n);
        }
        t->type = TOK_WORD;
        return;
    }
    t->type = TOK_PUNCT;
    t->text[0] = (char)c;
    t->lower[0] = (char)c;
    sc->pos++;
}

/* Words that end a table list or cannot be an alias. */
/* clang-format off */
static const char *const stop_words[] = {
    "where", "join", "inner", "left", "right", "outer", "cross", "natural",
    "straight_join", "on", "using", "group", "order", "limit", "having",
    "set", "values", "value", "select", "union", "for", "lock", "partition",
    "use", "force", "ignore", "into", "from", "as", "window", "with",
    "returning", "except", "intersect", "read", "write", "key", "index",
    "low_priority", "high_priority", "delayed", "quick", "full", "like",
    "if", "not", "exists", "default", "character", "charset", "collate",
    "engine", "duplicate", "procedure", "offset",
    "lateral", "tablesample", "when", "then", "else", "end", "and", "or",
};
/* clang-format on */

static int is_stop(const struct tok *t)
{
    if (t->type != TOK_WORD) {
        return 1;
    }
    for (size_t i = 0; i < sizeof(stop_words) / sizeof(stop_words[0]); i++) {
        if (strcmp(t->lower, stop_words[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static int is_kw(const struct tok *t, const char *kw)
{
    return t->type == TOK_WORD && strcmp(t->lower, kw) == 0;
}

static void add_table(struct n1_sqlinfo *si, const char *name)
{
    if (name[0] == '\0' || strcmp(name, "?") == 0) {
        return;
    }
    for (unsigned i = 0; i < si->n_tables; i++) {
        if (strcmp(si->tables[i], name) == 0) {
            return;
        }
    }
    if (si->n_tables == N1_SQLINFO_MAX_TABLES) {
        si->n_more++;
        return;
    }
    {
        /* Names longer than the slot are cut on purpose. */
        size_t n = strlen(name);

        if (n >= sizeof(si->tables[0])) {
            n = sizeof(si->tables[0]) - 1;
        }
        memcpy(si->tables[si->n_tables], name, n);
        si->tables[si->n_tables][n] = '\0';
    }
    si->n_tables++;
}

static void append_verb(struct n1_sqlinfo *si, const char *word)
{
    size_t n = strlen(si->verb);

    if (n > 0 && n + 1 < sizeof(si->verb)) {
        si->verb[n++] = ' ';
        si->verb[n] = '\0';
    }
    for (size_t i = 0; word[i] != '\0' && n + 1 < sizeof(si->verb); i++) {
        si->verb[n++] = (char)toupper((unsigned char)word[i]);
    }
    si->verb[n] = '\0';
}

/*
 * Reads a table list starting at *t: name [[AS] alias] [, name ...] (the
 * commas only when comma_join). Leaves *t at the first token after it.
 */
static void read_tables(struct scanner *sc, struct tok *t,
                        struct n1_sqlinfo *si, int comma_join)
{
    for (;;) {
        if (t->type != TOK_WORD || is_stop(t)) {
            return;
        }
        add_table(si, t->text);
        next_tok(sc, t);
        if (is_kw(t, "as")) {
            next_tok(sc, t);
        }
        if (t->type == TOK_WORD && !is_stop(t)) {
            next_tok(sc, t); /* alias */
        }
        if (!comma_join || !(t->type == TOK_PUNCT && t->text[0] == ',')) {
            return;
        }
        next_tok(sc, t);
    }
}

/* Object words after CREATE/DROP/ALTER that become part of the verb. */
static const char *const object_words[] = {
    "table",    "database",   "schema",   "index", "view",
    "trigger",  "procedure",  "function", "event", "user",
    "sequence", "tablespace", "server",   "role",
};

static int is_object_word(const struct tok *t)
{
    for (size_t i = 0; i < sizeof(object_words) / sizeof(object_words[0]);
         i++) {
        if (is_kw(t, object_words[i])) {
            return 1;
        }
    }
    return 0;
}

/* CREATE/DROP/ALTER [OR REPLACE] [TEMPORARY|UNIQUE|...] OBJECT [IF [NOT]
   EXISTS] name [ON table]. */
static void parse_ddl(struct scanner *sc, struct tok *t, struct n1_sqlinfo *si)
{
    int object = 0;

    for (int i = 0; i < 8 && t->type == TOK_WORD; i++) {
        if (is_object_word(t)) {
            append_verb(si, t->lower);
            object = 1;
            next_tok(sc, t);
            break;
        }
        next_tok(sc, t); /* OR REPLACE, TEMPORARY, UNIQUE, DEFINER ... */
    }
    if (!object) {
        return;
    }
    while (is_kw(t, "if") || is_kw(t, "not") || is_kw(t, "exists")) {
        next_tok(sc, t);
    }
    if (strstr(si->verb, " INDEX") != NULL) {
        /* CREATE INDEX idx ON t: the table is what matters. */
        while (t->type != TOK_END && !is_kw(t, "on")) {
            next_tok(sc, t);
        }
        if (t->type != TOK_END) {
            next_tok(sc, t);
            read_tables(sc, t, si, 0);
        }
        return;
    }
    if (t->type == TOK_WORD) {
        add_table(si, t->text);
    }
}

/* SHOW [FULL|GLOBAL|SESSION|CREATE] what [FROM|IN name] ... */
static void parse_show(struct scanner *sc, struct tok *t, struct n1_sqlinfo *si)
{
    next_tok(sc, t);
    if (is_kw(t, "full") || is_kw(t, "global") || is_kw(t, "session") ||
        is_kw(t, "create")) {
        append_verb(si, t->lower);
        next_tok(sc, t);
    }
    if (t->type == TOK_WORD) {
        append_verb(si, t->lower);
        next_tok(sc, t);
    }
    if (strncmp(si->verb, "SHOW CREATE", 11) == 0) {
        read_tables(sc, t, si, 0);
        return;
    }
    while (t->type != TOK_END) {
        if (is_kw(t, "from") || is_kw(t, "in")) {
            next_tok(sc, t);
            read_tables(sc, t, si, 0);
            continue;
        }
        next_tok(sc, t);
    }
}

/* CALL name, TRUNCATE [TABLE] name. */
static void parse_call(struct scanner *sc, struct tok *t, struct n1_sqlinfo *si)
{
    next_tok(sc, t);
    if (is_kw(t, "table")) {
        next_tok(sc, t);
    }
    if (t->type == TOK_WORD) {
        add_table(si, t->text);
    }
}

/*
 * INSERT/REPLACE [modifiers] [INTO] tables, UPDATE/DELETE [modifiers]
 * tables: reads the target tables after the verb at *t.
 */
static void read_dml_target(struct scanner *sc, struct tok *t,
                            struct n1_sqlinfo *si)
{
    int comma = is_kw(t, "update") || is_kw(t, "delete");

    next_tok(sc, t);
    while (is_kw(t, "low_priority") || is_kw(t, "high_priority") ||
           is_kw(t, "delayed") || is_kw(t, "ignore") || is_kw(t, "quick") ||
           is_kw(t, "into")) {
        next_tok(sc, t);
    }
    read_tables(sc, t, si, comma);
}

/* Which parenthesis levels hold a SELECT, while the body is read. */
struct nesting {
    unsigned char select_at[MAX_DEPTH]; /* 1: a SELECT opened this level */
    unsigned depth;                     /* current level */
    int first_select;                   /* a SELECT (or DELETE) was seen */
};

/*
 * Reads the rest of the statement from *t on: the tables after FROM (of
 * a SELECT at the same level), JOIN and INTO, and the SELECT of an
 * INSERT ... SELECT.
 */
static void scan_body(struct scanner *sc, struct tok *t, struct n1_sqlinfo *si,
                      struct nesting *nest)
{
    while (t->type != TOK_END) {
        if (t->type == TOK_PUNCT && t->text[0] == '(') {
            if (nest->depth + 1 < MAX_DEPTH) {
                nest->depth++;
                nest->select_at[nest->depth] = 0;
            }
            next_tok(sc, t);
            continue;
        }
        if (t->type == TOK_PUNCT && t->text[0] == ')') {
            nest->depth = nest->depth > 0 ? nest->depth - 1 : 0;
            next_tok(sc, t);
            continue;
        }
        if (is_kw(t, "select")) {
            nest->select_at[nest->depth] = 1;
            if (!nest->first_select && (strcmp(si->verb, "INSERT") == 0 ||
                                        strcmp(si->verb, "REPLACE") == 0)) {
                /* INSERT ... SELECT: pt-query-digest names both verbs */
                append_verb(si, "select");
                nest->first_select = 1;
            }
            next_tok(sc, t);
            continue;
        }
        if ((is_kw(t, "from") && nest->select_at[nest->depth]) ||
            is_kw(t, "join") || is_kw(t, "straight_join") || is_kw(t, "into")) {
            int comma = is_kw(t, "from");

            next_tok(sc, t);
            if (t->type == TOK_WORD) {
                read_tables(sc, t, si, comma);
            }
            continue;
        }
        next_tok(sc, t);
    }
}

/*
 * A slow log's administrator command ("administrator command: Init DB"):
 * the verb is "ADMIN" and the command in capitals ("ADMIN INIT DB"), as
 * pt-query-digest names these classes; no tables. 1 when text is one.
 */
static int admin_verb(const char *text, size_t len, struct n1_sqlinfo *out)
{
    static const char lead[] = "administrator command:";
    size_t n = sizeof(lead) - 1;
    size_t v;

    if (len < n || strncasecmp(text, lead, n) != 0) {
        return 0;
    }
    while (n < len && text[n] == ' ') {
        n++;
    }
    memcpy(out->verb, "ADMIN ", 6);
    v = 6;
    for (; n < len && text[n] != ';' && text[n] != '\0' &&
           v + 1 < sizeof(out->verb);
         n++) {
        out->verb[v++] = (char)toupper((unsigned char)text[n]);
    }
    while (v > 0 && out->verb[v - 1] == ' ') {
        v--;
    }
    out->verb[v] = '\0';
    return 1;
}

void n1_sqlinfo_parse(const char *text, size_t len, struct n1_sqlinfo *out)
{
    struct scanner sc;
    struct tok t;
    struct nesting nest;

    memset(out, 0, sizeof(*out));
    memset(&nest, 0, sizeof(nest));
    if (text == NULL || len == 0) {
        return;
    }
    if (admin_verb(text, len, out)) {
        return;
    }
    sc.s = text;
    sc.len = len;
    sc.pos = 0;
    next_tok(&sc, &t);
    while (t.type == TOK_PUNCT && t.text[0] == '(') {
        nest.depth += nest.depth + 1 < MAX_DEPTH ? 1 : 0;
        next_tok(&sc, &t); /* (select ...) union (select ...) */
    }
    if (t.type != TOK_WORD) {
        return;
    }
    append_verb(out, t.lower);
    if (is_kw(&t, "create") || is_kw(&t, "drop") || is_kw(&t, "alter")) {
        next_tok(&sc, &t);
        parse_ddl(&sc, &t, out);
        return;
    }
    if (is_kw(&t, "show")) {
        parse_show(&sc, &t, out);
        return;
    }
    if (is_kw(&t, "call") || is_kw(&t, "truncate")) {
        parse_call(&sc, &t, out);
        return;
    }
    if (is_kw(&t, "select") || is_kw(&t, "delete")) {
        nest.select_at[nest.depth] = 1;
        nest.first_select = 1;
    }
    if (is_kw(&t, "insert") || is_kw(&t, "replace") || is_kw(&t, "update") ||
        is_kw(&t, "delete")) {
        read_dml_target(&sc, &t, out);
    }
    scan_body(&sc, &t, out, &nest);
}

char *n1_sqlinfo_item(const struct n1_sqlinfo *si, char *buf, size_t n)
{
    size_t used;

    if (n == 0) {
        return buf;
    }
    snprintf(buf, n, "%s", si->verb);
    for (unsigned i = 0; i < si->n_tables; i++) {
        used = strlen(buf);
        snprintf(buf + used, n - used, "%s%s", used > 0 ? " " : "",
                 si->tables[i]);
    }
    if (si->n_more > 0) {
        used = strlen(buf);
        snprintf(buf + used, n - used, " +%u", si->n_more);
    }
    return buf;
}
