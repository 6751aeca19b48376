/* SPDX-License-Identifier: MIT */
/*
 * normalize.c: SQL text -> fingerprint text, literals and sqlcommenter tags.
 *
 * One PCRE2 pattern, compiled once with JIT, is the tokenizer: an
 * alternation of token classes (comments, strings, hex/bit/number literals,
 * words, quoted identifiers, variables, operators), anchored at the current
 * offset and preceded by `\s*+\K` so that a single pcre2_jit_match() call
 * both skips whitespace and returns the next token. Each alternative sets a
 * one-letter (*MARK) that names its class, so the C side never re-lexes.
 * Order matters: comments and strings come before numbers and operators, so
 * that a comment opener inside a string and "-- it's" inside a comment
 * stay where they belong.
 *
 * Calling pcre2_jit_match() once per token costs about as much as the
 * matching itself, so a statement of up to ONE_MATCH_MAX bytes is
 * tokenized by one call: the same alternation, captured, in a possessive
 * loop with a callout after each token, which hands the token and its
 * (*MARK) to the emitter as the per-token loop would. The loop never
 * backtracks into a token it has passed, so the tokens are the same; if
 * that match fails (JIT stack, an emitter buffer at its cap), the
 * per-token loop carries on from the last token the callout saw. Longer
 * statements use the per-token loop from the start, as the one-call
 * match keeps a little JIT stack per token.
 *
 * Even one call per statement leaves most of the tokenizing cost in the
 * match and its callouts, while most tokens are plain words, numbers,
 * operators, strings and `names`. So a byte-class loop in C (fast_token())
 * reads those first, and only where the token is anything else (comments,
 * hex and bit literals, words after _, rarer operators, variables) does it
 * ask the pattern for that one token. The C loop claims a token only where the
 * pattern, trying its alternatives in order, would return the same token
 * with the same mark; where in doubt it leaves the token to the pattern,
 * which still defines every token. n1_normalizer_fast_path() turns the C
 * loop off (then the one-call match and the per-token loop above read
 * everything), and the unit tests and the fuzz target compare both ways
 * field by field.
 *
 * The token pass is a streaming emitter. It writes the canonical text
 * straight into a reused buffer: one space between tokens except around
 * ( ) , . ;, keywords lower-cased, literals replaced by ?. Collapsing an IN
 * list or multi-row VALUES needs to know how a parenthesised group ends, so
 * instead of buffering tokens the emitter records a mark when such a group
 * opens and, when it closes and turned out to hold only literals, rewinds
 * the text to the mark and writes the collapsed form. The literals already
 * recorded are then given the collapsed slot. Nothing is allocated per
 * statement once the buffers have grown to the largest statement seen.
 *
 * What it does not do: parse SQL. It does not know that `a` in `name = ?`
 * is a column; it assumes the server's default sql_mode (backslash escapes
 * on, "..." is a string, not an identifier).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>
/* Literal values are a few bytes each: inlined, XXH3 hashes them without
   a library call each. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "base/strbuf.h"
#include "sql/fingerprint.h"
#include "sql/normalize.h"
#include "sql/sqlword.h"

/* Largest fingerprint text or literal-value arena we build. */
#define NORM_MAX_BYTES ((size_t)512 * 1024 * 1024)

/* Keyword table size: a power of two, well above twice the keyword count. */
#define KW_HASH_SIZE 4096u

/* Forces a static function inline where the compiler can be told to. */
#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

/* Longest keyword, in bytes. */
#define KW_MAX_LEN N1_SQLWORD_LONGEST

/*
 * The tokenizer. Every alternative ends with a (*MARK) naming its class
 * (at the end, so that only the alternative that matched pays for it):
 *
 *   c  version comment opener /\*!NNNNN or /\*M!NNNNN (content is SQL)
 *   h  optimizer hint opener /\*+ (content is SQL-like)
 *   E  comment closer, meaningful after c or h
 *   C  ordinary /\* *\/ comment (may be a sqlcommenter tag list)
 *   L  line comment: "-- " (dash dash + space or control char) or #
 *   S  string: '..' or "..", optional _charset introducer or N prefix
 *   X  X'..' hex string       B  b'..' bit string
 *   x  0x.. hex number        b  0b.. bit number
 *   N  decimal number (digits, fraction, exponent; no sign)
 *   W  word: keyword or identifier, may start with digits (t1, 2fa)
 *   Q  backtick identifier    V  @var, @@sys.var, @'quoted'
 *   U  \N (NULL)              P  ? placeholder
 *   O  operator or punctuation
 *   Z  any other single byte (NUL, a lone backslash, ...)
 *
 * PCRE2 tries alternatives in order, so the common classes come first:
 * words that cannot be anything else (they do not start with _ n x b or
 * a digit), then ( ) , = ;, numbers, strings. Words that may be a prefix
 * (_utf8mb4'..', N'..', X'..', 0x..) are tried after those prefixes.
 * A number must not run into identifier characters: "1e5x" and "2fa" are
 * words. ".5" is a number only when not glued to a name ("t.5" is t . 5).
 * Strings and comments run to the end of the input when unterminated.
 * Every loop over a string or comment body is possessive, so the pattern
 * never backtracks into text it has consumed.
 */
#define ID    "A-Za-z0-9_$\\x80-\\xff"
#define INTRO "(?:_[A-Za-z0-9_]++\\s*+)"
#define STR1  "'(?:[^'\\\\]++|\\\\.?|'')*+'?"
#define STR2  "\"(?:[^\"\\\\]++|\\\\.?|\"\")*+\"?"
static const char tok_pattern[] =
    "\\s*+\\K(?:"
    "[ac-mo-wyzAC-MO-WYZ$\\x80-\\xff][" ID "]*+(*:W)"
    "|[(),=;](*:O)"
    "|\\d++(?:\\.\\d*+)?(?:[eE][-+]?\\d++)?(?![" ID "])(*:N)"
    "|(?:[nN](?=')|" INTRO ")?" STR1 "(*:S)"
    "|`(?:[^`]++|``)*+`?(*:Q)"
    "|" INTRO "?" STR2 "(*:S)"
    "|/\\*M?!\\d*+(*:c)"
    "|/\\*\\+(*:h)"
    "|/\\*[^*]*+(?:\\*(?!/)[^*]*+)*+(?:\\*/|\\z)(*:C)"
    "|(?:--(?:[\\x00-\\x20\\x7f][^\\n]*+|\\z)|#[^\\n]*+)(*:L)"
    "|" INTRO "?[xX]'[^']*+'?(*:X)"
    "|" INTRO "?[bB]'[^']*+'?(*:B)"
    "|" INTRO "?0x[0-9A-Fa-f]++(?![" ID "])(*:x)"
    "|" INTRO "?0b[01]++(?![" ID "])(*:b)"
    "|[" ID "]++(*:W)"
    "|(?<![" ID "`])\\.\\d++(?:[eE][-+]?\\d++)?(?![" ID "])(*:N)"
    "|@@?(?:" STR1 "|`(?:[^`]++|``)*+`?"
    "|[A-Za-z0-9_$.\\x80-\\xff]*+)(*:V)"
    "|\\\\N(?![" ID "])(*:U)"
    "|\\?(*:P)"
    "|\\*/(*:E)"
    "|(?:<=>|->>|<<|>>|<=|>=|<>|!=|:=|\\|\\||&&|->"
    "|[-+*/%<>!~^&|.:\\[\\]{}])(*:O)"
    "|.(*:Z)"
    ")";

/* The same tokens, one call per statement: see the file comment. */
#define ONE_MATCH_OPEN  "(?:\\s*+("
#define ONE_MATCH_CLOSE ")(?C1))*+"

/* Longest statement tokenized by one call. */
#define ONE_MATCH_MAX 16384

/* Keyword flags. */
/* KW_EXPR: an expression follows: "-1" after it is a literal, and "(" after
   it is spaced ("where (a)"). */
#define KW_EXPR      1u
#define KW_NULL      2u   /* the literal NULL */
#define KW_TRUE      4u   /* the literal TRUE */
#define KW_FALSE     8u   /* the literal FALSE */
#define KW_IN        16u  /* IN: a following (...) of literals collapses */
#define KW_VALUES    32u  /* VALUES/VALUE: following rows collapse */
#define KW_ORDER     64u  /* ORDER: a BY after it starts an ORDER BY list */
#define KW_BY        128u /* BY */
#define KW_ASC       256u /* ASC: the default order, dropped after an item */
#define KW_OB_END    512u /* ends an ORDER BY list at its own depth */
/* KW_NAME_NEXT: a table, view or schema name may follow (FROM, INTO,
   TABLE ...): a non-reserved keyword there is a name and keeps its case. */
#define KW_NAME_NEXT 1024u
#define KW_SHOW      2048u /* SHOW: its TABLE (STATUS) names nothing */
/* KW_CI_NEXT: a charset or collation name follows (NAMES, COLLATE,
   CHARSET, CHARACTER SET): case-insensitive, lower-cased. */
#define KW_CI_NEXT   4096u
#define KW_CHARACTER 8192u /* CHARACTER: a SET after it is KW_CI_NEXT */
/* KW_RESERVED: a reserved word (n1_sqlword_reserved()), never a bare
   name; set when the table is built */
#define KW_RESERVED  16384u

struct kw {
    const char *name; /* lower case */
    unsigned flags;   /* KW_* */
};

/*
 * MySQL keywords, built-in function names and optimizer hint names that
 * are lower-cased in the fingerprint. Words not listed keep their case:
 * table names are case-sensitive on most servers. A few very common
 * column/table names that are also non-reserved keywords (user, status,
 * type, name) are deliberately absent.
 */
/* clang-format off */
static const struct kw keywords[] = {
    /* words after which an expression starts */
    {"select", KW_EXPR}, {"from", KW_EXPR | KW_NAME_NEXT}, {"where", KW_EXPR},
    {"and", KW_EXPR}, {"or", KW_EXPR}, {"not", KW_EXPR}, {"xor", KW_EXPR},
    {"on", KW_EXPR}, {"using", KW_EXPR | KW_CI_NEXT}, {"join", KW_EXPR | KW_NAME_NEXT},
    {"by", KW_EXPR | KW_BY}, {"having", KW_EXPR}, {"as", KW_EXPR},
    {"when", KW_EXPR}, {"then", KW_EXPR}, {"else", KW_EXPR},
    {"case", KW_EXPR}, {"set", KW_EXPR}, {"union", KW_EXPR | KW_OB_END},
    {"intersect", KW_EXPR | KW_OB_END},
    {"except", KW_EXPR | KW_OB_END}, {"all", KW_EXPR},
    {"any", KW_EXPR}, {"some", KW_EXPR}, {"distinct", KW_EXPR},
    {"distinctrow", KW_EXPR}, {"exists", KW_EXPR}, {"like", KW_EXPR},
    {"between", KW_EXPR}, {"is", KW_EXPR}, {"div", KW_EXPR},
    {"mod", KW_EXPR}, {"regexp", KW_EXPR}, {"rlike", KW_EXPR},
    {"escape", KW_EXPR}, {"interval", KW_EXPR}, {"return", KW_EXPR},
    {"limit", KW_EXPR | KW_OB_END}, {"offset", KW_EXPR}, {"default", KW_EXPR},
    {"elseif", KW_EXPR}, {"straight_join", KW_EXPR | KW_NAME_NEXT}, {"with", KW_EXPR},
    {"lateral", KW_EXPR}, {"do", KW_EXPR}, {"returning", KW_EXPR},
    {"sounds", KW_EXPR}, {"while", KW_EXPR}, {"until", KW_EXPR},
    {"separator", KW_EXPR}, {"against", KW_EXPR}, {"over", KW_EXPR},
    /* literals */
    {"null", KW_NULL}, {"true", KW_TRUE}, {"false", KW_FALSE},
    /* collapsing contexts */
    {"in", KW_IN}, {"values", KW_VALUES}, {"value", KW_VALUES},
    /* other reserved and syntax words */
    {"accessible", 0}, {"add", 0}, {"after", 0}, {"alter", 0},
    {"analyze", 0}, {"asc", KW_ASC}, {"auto_increment", 0}, {"before", 0},
    {"begin", 0}, {"bigint", 0}, {"binary", 0}, {"blob", 0}, {"both", 0},
    {"call", 0}, {"cascade", 0}, {"change", 0}, {"char", 0},
    {"character", KW_CHARACTER}, {"charset", KW_CI_NEXT}, {"check", 0}, {"collate", KW_CI_NEXT},
    {"column", 0}, {"columns", 0}, {"commit", 0}, {"committed", 0},
    {"constraint", 0}, {"create", 0}, {"cross", 0}, {"current_date", 0},
    {"current_time", 0}, {"current_timestamp", 0}, {"current_user", 0},
    {"database", KW_NAME_NEXT}, {"databases", 0}, {"datetime", 0}, {"dec", 0},
    {"decimal", 0}, {"declare", 0}, {"delayed", 0}, {"delete", 0},
    {"desc", KW_NAME_NEXT}, {"describe", KW_NAME_NEXT}, {"deterministic", 0}, {"double", 0},
    {"drop", 0}, {"dual", 0}, {"duplicate", 0}, {"each", 0},
    {"enclosed", 0}, {"end", 0}, {"engine", KW_CI_NEXT}, {"enum", 0},
    {"escaped", 0}, {"explain", 0}, {"fetch", 0}, {"float", 0},
    {"for", KW_OB_END}, {"force", 0}, {"foreign", 0}, {"full", 0},
    {"fulltext", 0}, {"function", 0}, {"generated", 0}, {"global", 0},
    {"grant", 0}, {"group", 0}, {"high_priority", 0}, {"if", 0},
    {"ignore", 0}, {"index", 0}, {"infile", 0}, {"inner", 0},
    {"insert", 0}, {"int", 0}, {"integer", 0}, {"into", KW_OB_END | KW_NAME_NEXT},
    {"isolation", 0}, {"json", 0}, {"key", 0}, {"keys", 0}, {"kill", 0},
    {"leading", 0}, {"left", 0}, {"level", 0}, {"load", 0}, {"local", 0},
    {"lock", 0}, {"long", 0}, {"longblob", 0}, {"longtext", 0},
    {"loop", 0}, {"low_priority", 0}, {"match", 0}, {"mediumint", 0},
    {"mediumtext", 0}, {"mode", 0}, {"modify", 0}, {"names", KW_CI_NEXT},
    {"natural", 0}, {"no", 0}, {"nowait", 0}, {"numeric", 0},
    {"optimize", 0}, {"option", 0}, {"optionally", 0}, {"order", KW_ORDER},
    {"outer", 0}, {"outfile", 0}, {"partition", 0}, {"precision", 0},
    {"primary", 0}, {"procedure", 0}, {"processlist", 0}, {"purge", 0},
    {"quick", 0}, {"range", 0}, {"read", 0}, {"real", 0},
    {"recursive", 0}, {"references", 0}, {"release", 0}, {"rename", 0},
    {"repeat", 0}, {"repeatable", 0}, {"replace", 0}, {"require", 0},
    {"restrict", 0}, {"revoke", 0}, {"right", 0}, {"rollback", 0},
    {"row", 0}, {"rows", 0}, {"savepoint", 0}, {"schema", KW_NAME_NEXT},
    {"serializable", 0}, {"session", 0}, {"share", 0}, {"show", KW_SHOW},
    {"signed", 0}, {"skip", 0}, {"smallint", 0}, {"spatial", 0},
    {"sql_big_result", 0}, {"sql_buffer_result", 0}, {"sql_cache", 0},
    {"sql_calc_found_rows", 0}, {"sql_no_cache", 0},
    {"sql_small_result", 0}, {"start", 0}, {"starting", 0},
    {"table", KW_NAME_NEXT}, {"tables", KW_NAME_NEXT}, {"temporary", 0}, {"terminated", 0},
    {"text", 0}, {"timestamp", 0}, {"tinyint", 0}, {"tinytext", 0},
    {"to", 0}, {"trailing", 0}, {"transaction", 0}, {"trigger", KW_NAME_NEXT},
    {"uncommitted", 0}, {"undo", 0}, {"unique", 0}, {"unlock", 0},
    {"unsigned", 0}, {"update", KW_NAME_NEXT}, {"usage", 0}, {"use", KW_NAME_NEXT},
    {"utc_date", 0}, {"utc_time", 0}, {"utc_timestamp", 0},
    {"varbinary", 0}, {"varchar", 0}, {"varying", 0}, {"variables", 0},
    {"view", KW_NAME_NEXT}, {"warnings", 0}, {"window", 0}, {"work", 0},
    {"write", 0}, {"zerofill", 0}, {"autocommit", 0},
    /* built-in functions (function names are case-insensitive) */
    {"abs", 0}, {"avg", 0}, {"cast", 0}, {"ceil", 0}, {"ceiling", 0},
    {"char_length", 0}, {"coalesce", 0}, {"concat", 0},
    {"concat_ws", 0}, {"convert", 0}, {"count", 0}, {"curdate", 0},
    {"curtime", 0}, {"date_add", 0}, {"date_format", 0},
    {"date_sub", 0}, {"datediff", 0}, {"dense_rank", 0},
    {"first_value", 0}, {"floor", 0}, {"found_rows", 0},
    {"from_unixtime", 0}, {"greatest", 0}, {"group_concat", 0},
    {"hex", 0}, {"ifnull", 0}, {"instr", 0}, {"isnull", 0},
    {"json_array", 0}, {"json_contains", 0}, {"json_extract", 0},
    {"json_object", 0}, {"json_unquote", 0}, {"lag", 0},
    {"last_insert_id", 0}, {"last_value", 0}, {"lcase", 0}, {"lead", 0},
    {"least", 0}, {"length", 0}, {"locate", 0}, {"lower", 0},
    {"lpad", 0}, {"ltrim", 0}, {"max", 0}, {"md5", 0}, {"min", 0},
    {"now", 0}, {"nullif", 0}, {"rand", 0}, {"rank", 0}, {"round", 0},
    {"row_number", 0}, {"rpad", 0}, {"rtrim", 0}, {"sha1", 0},
    {"sha2", 0}, {"substr", 0}, {"substring", 0},
    {"substring_index", 0}, {"sum", 0}, {"sysdate", 0}, {"trim", 0},
    {"truncate", 0}, {"ucase", 0}, {"unhex", 0}, {"unix_timestamp", 0},
    {"upper", 0}, {"uuid", 0},
    /* interval units (also function names) */
    {"microsecond", 0}, {"second", 0}, {"minute", 0}, {"hour", 0},
    {"day", 0}, {"week", 0}, {"month", 0}, {"quarter", 0}, {"year", 0},
    /* optimizer hints */
    {"bka", 0}, {"no_bka", 0}, {"bnl", 0}, {"no_bnl", 0},
    {"hash_join", 0}, {"no_hash_join", 0}, {"join_order", 0},
    {"join_prefix", 0}, {"join_suffix", 0}, {"join_fixed_order", 0},
    {"max_execution_time", 0}, {"set_var", 0}, {"qb_name", 0},
    {"merge", 0}, {"no_merge", 0}, {"mrr", 0}, {"no_mrr", 0},
    {"no_icp", 0}, {"no_range_optimization", 0}, {"index_merge", 0},
    {"no_index_merge", 0}, {"skip_scan", 0}, {"no_skip_scan", 0},
    {"semijoin", 0}, {"no_semijoin", 0}, {"subquery", 0},
    {"no_index", 0}, {"group_index", 0}, {"order_index", 0},
    {"join_index", 0}, {"resource_group", 0},
};
/* clang-format on */

/* A literal while the statement is being built: its value is an offset
   into the arena, which may move as it grows. */
struct lit_rec {
    enum n1_lit_type type; /* kind of literal */
    size_t off;            /* value offset in n->vals */
    size_t len;            /* value bytes */
    unsigned slot;         /* ? index */
    unsigned item;         /* index inside a collapsed group */
    size_t pos;            /* offset of the ? in n->text */
};

/* A tag while the statement is being built (offsets into n->vals). */
struct tag_rec {
    size_t key;   /* key offset */
    size_t value; /* value offset */
};

struct emit;

/* What the callout of the one-call match needs. */
struct one_match {
    struct emit *e;  /* the statement's emitter */
    const char *sql; /* the statement */
    size_t at;       /* end of the last token handed over */
};

struct n1_normalizer {
    pcre2_code *tok;               /* the tokenizer pattern */
    pcre2_code *all;               /* the one-call pattern, or NULL */
    pcre2_match_data *md_all;      /* its match data */
    struct one_match om;           /* its callout's state */
    pcre2_match_data *md;          /* reused for every match */
    pcre2_match_context *mctx;     /* carries the JIT stack */
    pcre2_jit_stack *jstack;       /* JIT stack for long strings/comments */
    int jit;                       /* 1 when the JIT compile worked */
    int fast;                      /* 1: plain tokens are read in C first */
    unsigned char cls[256];        /* CL_* of every byte, for fast_token() */
    uint16_t kwslot[KW_HASH_SIZE]; /* keyword hash: entry index + 1 */
    struct kw_entry *kwents;       /* the keyword entries */
    unsigned n_kwents;             /* entries used */
    struct n1_strbuf text;         /* fingerprint text */
    struct n1_strbuf vals;         /* literal values and tags, NUL-separated */
    struct lit_rec *lrec;          /* literals being built */
    size_t lrec_cap;               /* entries allocated in lrec */
    struct n1_literal *lits;       /* literals handed out */
    size_t lits_cap;               /* entries allocated in lits */
    struct tag_rec *trec;          /* tags being built */
    size_t trec_cap;               /* entries allocated in trec */
    struct n1_tag *tags;           /* tags handed out */
    size_t tags_cap;               /* entries allocated in tags */
};

/* What the previous emitted token was, for spacing and sign decisions. */
enum prev {
    PV_START = 0, /* nothing emitted yet */
    PV_WORD,      /* identifier, variable, keyword that is not KW_EXPR */
    PV_EXPR,      /* KW_EXPR keyword */
    PV_LIT,       /* ? */
    PV_OPEN,      /* ( */
    PV_CLOSE,     /* ) */
    PV_COMMA,     /* , */
    PV_DOT,       /* . */
    PV_SEMI,      /* ; */
    PV_OP,        /* any other operator */
    PV_VCOPEN,    /* version comment or hint opener */
    PV_VCCLOSE    /* its closer */
};

/* State of a VALUES row list being watched for collapsing. */
enum vstate {
    VS_OFF = 0, /* not watching */
    VS_ROW,     /* inside a row */
    VS_AFTER,   /* a row just closed */
    VS_COMMA    /* a comma after a row */
};

/* Per-call emitter state. */
struct emit {
    struct n1_normalizer *n; /* buffers */
    size_t n_lits;           /* literals so far */
    size_t n_lits_dropped;   /* literals past N1_NORM_MAX_LITERALS */
    size_t n_tags;           /* tags so far */
    unsigned n_slots;        /* ? so far */
    enum prev prev;          /* previous token */
    int failed;              /* a buffer hit its cap or malloc failed */
    int in_vc;               /* inside /\*! or /\*+ */
    char sign;               /* pending '-' or '+' in sign position */
    size_t semi_mark;        /* text length before trailing ;s, or SIZE_MAX */
    unsigned kw_flags;       /* KW_* of the previous token, 0 if not a
                                keyword */
    unsigned depth;          /* parentheses open */
    int ob_on;               /* inside an ORDER BY list */
    int name_next;           /* the next word is in a name position */
    int ci_next;             /* the next word is a charset or collation */
    int after_from;          /* the previous token was FROM */
    size_t name_at;          /* offset of a keyword kept as a name after
                                FROM (extract(year from NOW())), or
                                SIZE_MAX */
    size_t name_len;         /* its length */
    const char *kw_src;      /* the previous token if a lower-cased
                                keyword that may be a name, else NULL */
    size_t kw_len;           /* its length */
    size_t kw_at;            /* its offset in the text */
    unsigned ob_depth;       /* depth of that list */

    /* IN (...) candidate */
    int in_on;         /* watching an IN list */
    int in_rows;       /* its first item is a row constructor */
    int in_first;      /* the next token is the first inside it */
    unsigned in_depth; /* paren depth inside it */
    size_t in_mark;    /* text length before its ( */
    size_t in_lit0;    /* first literal inside */
    unsigned in_slot0; /* first slot inside */

    /* VALUES (...), (...) candidate */
    enum vstate vs;        /* state */
    unsigned v_depth;      /* paren depth inside the current row */
    int v_all_lit;         /* every row so far held only literals */
    int v_row_lit;         /* the current row holds only literals */
    int v_same;            /* every later row so far equalled the first */
    unsigned v_rows;       /* rows closed */
    size_t v_mark;         /* text length before the first ( */
    size_t v_lit0;         /* first literal of the list */
    unsigned v_slot0;      /* first slot of the list */
    size_t v_first;        /* offset of the first row's ( */
    size_t v_first_len;    /* bytes of the first row */
    unsigned v_first_slot; /* first slot of the first row */
    size_t v_row_mark;     /* text length before the current row's comma */
    size_t v_row_open;     /* offset of the current row's ( */
    size_t v_row_lit0;     /* first literal of the current row */
    unsigned v_row_slot0;  /* first slot of the current row */
};

/* --- keyword table ------------------------------------------------------ */

/*
 * The table is looked up once per word, so it works on 8-byte words of
 * the name rather than on bytes. Lookups only ever see words of [ID]
 * bytes, and on those OR-ing every byte with 0x20 is a case fold that
 * makes no two different words equal: A-Z become a-z, digits and $ stay,
 * '_' becomes DEL, and bytes from 0x80 stay at or above 0xa0, which no
 * keyword holds. A word is stored as KW_WORDS such 64-bit values (bytes
 * in little-endian order, zeros past its end); the hash mixes the first
 * and the last of them with the length, and a slot holds the index (plus
 * one) of its entry, so that the probe of a word that is no keyword,
 * most words, usually reads one empty 16-bit slot.
 */
#define KW_WORDS ((KW_MAX_LEN + 7) / 8)
#define KW_FOLD  0x2020202020202020u

struct kw_entry {
    uint64_t w[KW_WORDS]; /* the folded name, zero-padded */
    const char *name;     /* lower case, NUL-terminated */
    unsigned flags;       /* KW_* */
    unsigned len;         /* bytes in name */
};

/* The 8 bytes at p as a little-endian number. */
static uint64_t load_le64(const char *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* The 4 bytes at p as a little-endian number. */
static uint64_t load_le32(const char *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

/*
 * The last r (1..8) bytes of the word s[0..len) as a little-endian number,
 * read without touching a byte outside the word: by overlapping loads,
 * shifted so that each byte lands at its place.
 */
static uint64_t load_le_tail(const char *s, size_t len, size_t r)
{
    const char *t = s + len - r;

    if (len >= 8) {
        return load_le64(s + len - 8) >> (8 * (8 - r));
    }
    if (r >= 4) {
        return load_le32(t) | load_le32(t + r - 4) << (8 * (r - 4));
    }
    return (uint64_t)(unsigned char)t[0] |
           (uint64_t)(unsigned char)t[r / 2] << (8 * (r / 2)) |
           (uint64_t)(unsigned char)t[r - 1] << (8 * (r - 1));
}

/*
 * Folds the word s[0..len) (1..KW_MAX_LEN bytes of [ID]) into w[0] to
 * w[(len - 1) / 8], the last one zero-padded, and returns its slot in the
 * hash table.
 */
static ALWAYS_INLINE unsigned kw_words(const char *s, size_t len,
                                       uint64_t w[KW_WORDS])
{
    size_t full = (len - 1) / 8; /* whole words before the last one */
    size_t r = len - 8 * full;   /* bytes in the last one */
    uint64_t h;

    for (size_t i = 0; i < full; i++) {
        w[i] = load_le64(s + 8 * i) | KW_FOLD;
    }
    /* The last word: the bytes past the end stay zero (no fold). */
    w[full] = load_le_tail(s, len, r) | (KW_FOLD >> (64 - 8 * r));
    h = (w[0] ^ (w[full] * 0x9e3779b97f4a7c15u) ^ len) * 0xff51afd7ed558ccdu;
    return (unsigned)(h >> 52) & (KW_HASH_SIZE - 1);
}

/* The entry spelled (in any case) by s[0..len), a word of [ID] bytes, or
   NULL. */
static const struct kw_entry *kw_find(const struct n1_normalizer *n,
                                      const char *s, size_t len)
{
    uint64_t w[KW_WORDS];
    unsigned h;

    if (len == 0 || len > KW_MAX_LEN) {
        return NULL;
    }
    h = kw_words(s, len, w);
    while (n->kwslot[h] != 0) {
        const struct kw_entry *k = &n->kwents[n->kwslot[h] - 1];

        if (k->len == len && k->w[0] == w[0]) {
            size_t i = 1;

            while (i <= (len - 1) / 8 && k->w[i] == w[i]) {
                i++;
            }
            if (i > (len - 1) / 8) {
                return k;
            }
        }
        h = (h + 1) & (KW_HASH_SIZE - 1);
    }
    return NULL;
}

/* 1 when name (NUL-terminated) is exactly low[0..len). low holds no NUL
   (words are made of identifier bytes), so a shorter name stops the loop
   at its terminator; inline, this beats a strncmp() call per word. */
static int kw_equal(const char *name, const char *low, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (name[i] != low[i]) {
            return 0;
        }
    }
    return name[len] == '\0';
}

/* Adds name (lower case) with flags, unless the table has it already. */
static void kw_add(struct n1_normalizer *n, const char *name, unsigned flags)
{
    size_t len = strlen(name);
    struct kw_entry *k = &n->kwents[n->n_kwents];
    unsigned h;

    if (len == 0 || len > KW_MAX_LEN || kw_find(n, name, len) != NULL) {
        return;
    }
    h = kw_words(name, len, k->w);
    k->name = name;
    k->len = (unsigned)len;
    k->flags = flags | (n1_sqlword_reserved(name, len) ? KW_RESERVED : 0);
    while (n->kwslot[h] != 0) {
        h = (h + 1) & (KW_HASH_SIZE - 1);
    }
    n->kwslot[h] = (uint16_t)++n->n_kwents;
}

/*
 * Fills the hash table: the words above with their flags, then every
 * reserved word, keyword and function name of sqlword.c not among them,
 * without flags. Returns 0, or -1 when memory ran out.
 */
static int kw_build(struct n1_normalizer *n)
{
    static const enum n1_sqlword_kind kinds[] = {
        N1_SQLWORD_RESERVED, N1_SQLWORD_KEYWORD, N1_SQLWORD_FUNCTION};
    size_t total = sizeof(keywords) / sizeof(keywords[0]);

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        const char *const *w;

        total += n1_sqlword_list(kinds[i], &w);
    }
    if (total >= KW_HASH_SIZE / 2) {
        return -1; /* not reached: the lists are far smaller */
    }
    n->kwents = calloc(total, sizeof(*n->kwents));
    if (n->kwents == NULL) {
        return -1;
    }
    for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
        kw_add(n, keywords[i].name, keywords[i].flags);
    }
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        const char *const *w;
        size_t nw = n1_sqlword_list(kinds[i], &w);

        for (size_t j = 0; j < nw; j++) {
            kw_add(n, w[j], 0);
        }
    }
    return 0;
}

static void token(struct emit *e, char mark, const char *s, size_t len);
static int emit_failed(const struct emit *e);

/* The callout after each token of the one-call match. */
static int one_match_token(pcre2_callout_block *cb, void *ud)
{
    struct one_match *om = ud;
    PCRE2_SIZE start = cb->offset_vector[2];
    PCRE2_SIZE end = cb->offset_vector[3];

    token(om->e, cb->mark != NULL ? (char)cb->mark[0] : 'Z', om->sql + start,
          end - start);
    om->at = end;
    /* A buffer at its cap ends the statement, as in the per-token loop. */
    return emit_failed(om->e) ? PCRE2_ERROR_CALLOUT : 0;
}

/*
 * Builds the one-call pattern from tok_pattern: its alternation, less the
 * leading blanks and \K, captured in the loop. Without JIT, or if any of
 * it fails, n->all stays NULL and every statement uses the per-token
 * loop.
 */
static void one_match_build(struct n1_normalizer *n)
{
    static const char head[] = "\\s*+\\K(?:";
    size_t body = sizeof(tok_pattern) - 1 - (sizeof(head) - 1) - 1;
    char pat[sizeof(tok_pattern) + sizeof(ONE_MATCH_OPEN) +
             sizeof(ONE_MATCH_CLOSE)];
    int errcode = 0;
    PCRE2_SIZE erroff = 0;

    if (!n->jit || memcmp(tok_pattern, head, sizeof(head) - 1) != 0) {
        return;
    }
    snprintf(pat, sizeof(pat), "%s%.*s%s", ONE_MATCH_OPEN, (int)body,
             tok_pattern + sizeof(head) - 1, ONE_MATCH_CLOSE);
    n->all =
        pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
                      PCRE2_ANCHORED | PCRE2_DOTALL, &errcode, &erroff, NULL);
    if (n->all != NULL && pcre2_jit_compile(n->all, PCRE2_JIT_COMPLETE) == 0) {
        n->md_all = pcre2_match_data_create_from_pattern(n->all, NULL);
    }
    if (n->md_all == NULL) {
        pcre2_code_free(n->all);
        n->all = NULL;
        return;
    }
    pcre2_set_callout(n->mctx, one_match_token, &n->om);
}

/* Byte classes of the C tokenizer, after the pattern's classes. */
#define CL_ID    1u  /* [ID]: a byte of a word */
#define CL_WORD  2u  /* starts the pattern's first alternative, a word */
#define CL_PFX   4u  /* n N x X b B: a word unless a quote follows */
#define CL_DIGIT 8u  /* \d */
#define CL_SPACE 16u /* \s: HT LF VT FF CR and space */
#define CL_PUNCT 32u /* ( ) , = ;: always a one-byte operator */
#define CL_INTRO 64u /* [A-Za-z0-9_]: a byte of a _charset introducer */

/* Fills n->cls. */
static void classes_build(struct n1_normalizer *n)
{
    for (unsigned c = 0; c < 256; c++) {
        unsigned k = 0;

        if (n1_sqlword_byte((unsigned char)c)) {
            k |= CL_ID;
            if (c >= '0' && c <= '9') {
                k |= CL_DIGIT;
            } else if (strchr("nNxXbB_", (int)c) != NULL) {
                k |= c == '_' ? 0 : CL_PFX;
            } else {
                k |= CL_WORD;
            }
        }
        if (c == ' ' || (c >= '\t' && c <= '\r')) {
            k |= CL_SPACE;
        }
        if (c != 0 && strchr("(),=;", (int)c) != NULL) {
            k |= CL_PUNCT;
        }
        if ((k & CL_ID) && c < 0x80 && c != '$') {
            k |= CL_INTRO;
        }
        n->cls[c] = (unsigned char)k;
    }
}

/* --- lifecycle ---------------------------------------------------------- */

struct n1_normalizer *n1_normalizer_new(struct n1_error *err)
{
    struct n1_normalizer *n = NULL;
    int errcode = 0;
    PCRE2_SIZE erroff = 0;

    n = calloc(1, sizeof(*n));
    if (n == NULL) {
        n1_err_oom(err, "normalising a statement");
        goto fail;
    }
    n1_strbuf_init(&n->text, NORM_MAX_BYTES);
    n1_strbuf_init(&n->vals, NORM_MAX_BYTES);
    n->tok =
        pcre2_compile((PCRE2_SPTR)tok_pattern, PCRE2_ZERO_TERMINATED,
                      PCRE2_ANCHORED | PCRE2_DOTALL, &errcode, &erroff, NULL);
    if (n->tok == NULL) {
        PCRE2_UCHAR msg[120];

        pcre2_get_error_message(errcode, msg, sizeof(msg));
        n1_err_set(err, N1_ERULES, "normalize.c", 0,
                   "tokenizer pattern at offset %zu: %s", (size_t)erroff,
                   (const char *)msg);
        goto fail;
    }
    n->jit = pcre2_jit_compile(n->tok, PCRE2_JIT_COMPLETE) == 0;
    n->md = pcre2_match_data_create(1, NULL);
    n->mctx = pcre2_match_context_create(NULL);
    /* Repeated groups in string bodies (escapes, doubled quotes) use JIT
       stack per iteration; let it grow so that a 16 MiB string of escapes
       still matches. The stack is only mapped as it is used. */
    n->jstack = pcre2_jit_stack_create(32 * 1024, 64 * 1024 * 1024, NULL);
    if (n->md == NULL || n->mctx == NULL || n->jstack == NULL) {
        n1_err_oom(err, "normalising a statement");
        goto fail;
    }
    pcre2_jit_stack_assign(n->mctx, NULL, n->jstack);
    one_match_build(n);
    classes_build(n);
    n->fast = 1;
    /* The pattern is linear (possessive loops only), so the default match
       limit would only reject long comments, never save time. */
    pcre2_set_match_limit(n->mctx, UINT32_MAX);
    if (kw_build(n) != 0) {
        n1_err_oom(err, "normalising a statement");
        goto fail;
    }
    return n;

fail:
    n1_normalizer_free(n);
    return NULL;
}

void n1_normalizer_free(struct n1_normalizer *n)
{
    if (n == NULL) {
        return;
    }
    pcre2_match_data_free(n->md);
    pcre2_match_data_free(n->md_all);
    pcre2_code_free(n->all);
    pcre2_match_context_free(n->mctx);
    pcre2_jit_stack_free(n->jstack);
    pcre2_code_free(n->tok);
    n1_strbuf_cleanup(&n->text);
    n1_strbuf_cleanup(&n->vals);
    free(n->lrec);
    free(n->lits);
    free(n->trec);
    free(n->tags);
    free(n->kwents);
    free(n);
}

/* --- output helpers ----------------------------------------------------- */

/*
 * Appends len bytes of s to one of the normaliser's buffers; returns 0,
 * or -1 when the buffer is at its cap or memory ran out. Most appends are
 * a few bytes that fit in the space the buffer already has: they are
 * copied by a loop, cheaper than a call to memcpy(), and leave the
 * buffer unterminated (n1_normalize() terminates the text, val_end() each
 * value).
 */
static int buf_add(struct n1_strbuf *t, const char *s, size_t len)
{
    if (t->buf != NULL && len < t->cap - t->len && len <= t->max - t->len) {
        char *d = t->buf + t->len;

        if (len <= 16) {
            for (size_t i = 0; i < len; i++) {
                d[i] = s[i];
            }
        } else {
            memcpy(d, s, len);
        }
        t->len += len;
        return 0;
    }
    return n1_strbuf_append(t, s, len);
}

static void put(struct emit *e, const char *s, size_t len)
{
    if (buf_add(&e->n->text, s, len) != 0) {
        e->failed = 1;
    }
}

/*
 * Writes the separator a token of kind `cur` needs after e->prev: one
 * space, except after ( and . and before ) , . ; and between a word and
 * its ( (function calls, IN, VALUES, column lists).
 */
static void space_before(struct emit *e, enum prev cur)
{
    enum prev p = e->prev;

    if (p == PV_START || p == PV_OPEN || p == PV_DOT) {
        return;
    }
    if (cur == PV_CLOSE || cur == PV_COMMA || cur == PV_DOT || cur == PV_SEMI) {
        return;
    }
    if (cur == PV_OPEN && p == PV_WORD) {
        return;
    }
    put(e, " ", 1);
}

/* Appends a value to the arena; returns its offset (garbage on failure,
   with e->failed set). */
static size_t val_begin(struct emit *e)
{
    return e->n->vals.len;
}

static void val_put(struct emit *e, const char *s, size_t len)
{
    if (buf_add(&e->n->vals, s, len) != 0) {
        e->failed = 1;
    }
}

static void val_end(struct emit *e)
{
    /* NUL separator so every value is a C string in place */
    if (buf_add(&e->n->vals, "", 1) != 0) {
        e->failed = 1;
    }
}

/* Grows an array of `size`-byte entries to hold at least `need`. */
static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
    size_t ncap;
    void *p;

    if (need <= *cap) {
        return 0;
    }
    ncap = *cap != 0 ? *cap : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / size) {
            return -1;
        }
        ncap *= 2;
    }
    p = realloc(*arr, ncap * size);
    if (p == NULL) {
        return -1;
    }
    *arr = p;
    *cap = ncap;
    return 0;
}

/* Emits a ? for a literal whose value [off, off+len) is in the arena. */
static void emit_lit(struct emit *e, enum n1_lit_type type, size_t off,
                     size_t len)
{
    struct n1_normalizer *n = e->n;
    struct lit_rec *r;

    if (e->n_lits >= N1_NORM_MAX_LITERALS) {
        /* Keep memory bounded on huge IN lists and bulk INSERTs: the ?
           still goes into the text, the value is forgotten. */
        n1_strbuf_truncate(&n->vals, off);
        e->n_lits_dropped++;
        space_before(e, PV_LIT);
        e->n_slots++;
        put(e, "?", 1);
        e->prev = PV_LIT;
        return;
    }
    if (grow((void **)&n->lrec, &n->lrec_cap, e->n_lits + 1,
             sizeof(*n->lrec)) != 0) {
        e->failed = 1;
        return;
    }
    space_before(e, PV_LIT);
    r = &n->lrec[e->n_lits++];
    r->type = type;
    r->off = off;
    r->len = len;
    r->slot = e->n_slots++;
    r->item = 0;
    r->pos = n->text.len;
    put(e, "?", 1);
    e->prev = PV_LIT;
}

/* --- literal values ----------------------------------------------------- */

/* MySQL's one-byte string escapes: the byte after the backslash, then the
   byte it stands for. */
static const char escapes[][2] = {
    {'0', '\0'}, {'b', '\b'}, {'n', '\n'},
    {'r', '\r'}, {'t', '\t'}, {'Z', '\032'},
};

/* The byte that the escape \d stands for: d itself unless escapes[] has it. */
static char unescape_byte(char d)
{
    size_t k;

    for (k = 0; k < sizeof(escapes) / sizeof(escapes[0]); k++) {
        if (escapes[k][0] == d) {
            return escapes[k][1];
        }
    }
    return d;
}

/*
 * Appends the unescaped body of a quoted string starting at its opening
 * quote s[0] and running at most to s + len. MySQL escapes: \0 \b \n \r
 * \t \Z, \% and \_ keep their backslash (they matter to LIKE), any other
 * \c is c, and a doubled quote is one quote.
 */
static void unescape_string(struct emit *e, const char *s, size_t len)
{
    char q = s[0];
    size_t i = 1;
    size_t run = 1;

    while (i < len) {
        char c = s[i];

        if (c == '\\' && i + 1 < len) {
            char d = s[i + 1];
            char out[2];
            size_t olen = 1;

            val_put(e, s + run, i - run);
            out[0] = unescape_byte(d);
            if (d == '%' || d == '_') {
                out[0] = '\\';
                out[1] = d;
                olen = 2;
            }
            val_put(e, out, olen);
            i += 2;
            run = i;
        } else if (c == q) {
            val_put(e, s + run, i - run);
            if (i + 1 < len && s[i + 1] == q) {
                val_put(e, &q, 1);
                i += 2;
                run = i;
            } else {
                return; /* closing quote */
            }
        } else {
            i++;
        }
    }
    val_put(e, s + run, len - run); /* unterminated: keep what there is */
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

/* Returns the offset of the first byte of s[i..len) that is not a blank. */
static size_t skip_blanks(const char *s, size_t i, size_t len)
{
    while (i < len && is_blank(s[i])) {
        i++;
    }
    return i;
}

/* 1 when c is an ASCII word byte (a charset name, a Rails tag key). */
static int word_byte(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_';
}

/*
 * Returns the offset just past a _charset introducer and its blanks, or 0
 * when s does not start with one. The pattern only lets an introducer
 * through when a quote or 0x/0b follows it, and its name cannot contain
 * x' or 0x (the name loop is possessive), so the first non-name byte ends
 * it.
 */
static size_t skip_introducer(const char *s, size_t len)
{
    size_t i = 1;

    if (len == 0 || s[0] != '_') {
        return 0;
    }
    while (i < len && word_byte(s[i])) {
        i++;
    }
    return skip_blanks(s, i, len);
}

/* --- tags --------------------------------------------------------------- */

/*
 * Appends s[0..len) to the arena, first undoing backslash escapes, then
 * percent-decoding (%HH; a malformed % is kept as is).
 */
static void tag_decode(struct emit *e, const char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        char c = s[i];

        if (c == '\\' && i + 1 < len) {
            c = s[i + 1];
            i += 2;
        } else if (c == '%' && i + 2 < len && n1_sqlword_hex(s[i + 1]) >= 0 &&
                   n1_sqlword_hex(s[i + 2]) >= 0) {
            c = (char)(n1_sqlword_hex(s[i + 1]) * 16 +
                       n1_sqlword_hex(s[i + 2]));
            i += 3;
        } else {
            i++;
        }
        val_put(e, &c, 1);
    }
}

/*
 * Makes room for n_found more tags. Returns 0, or -1 with e->failed set.
 */
static int tags_reserve(struct emit *e, size_t n_found)
{
    struct n1_normalizer *n = e->n;

    if (grow((void **)&n->trec, &n->trec_cap, e->n_tags + n_found,
             sizeof(*n->trec)) != 0) {
        e->failed = 1;
        return -1;
    }
    return 0;
}

/*
 * Appends s[0..len) to the arena as one value, tag-decoded when `decode`
 * is set, and returns its offset.
 */
static size_t tag_value(struct emit *e, const char *s, size_t len, int decode)
{
    size_t at = val_begin(e);

    if (decode) {
        tag_decode(e, s, len);
    } else {
        val_put(e, s, len);
    }
    val_end(e);
    return at;
}

/* Records the tag whose key is k[0..klen) and value v[0..vlen). */
static void tag_add(struct emit *e, const char *k, size_t klen, const char *v,
                    size_t vlen, int decode)
{
    struct tag_rec *t = &e->n->trec[e->n_tags++];

    t->key = tag_value(e, k, klen, decode);
    t->value = tag_value(e, v, vlen, decode);
}

/*
 * Checks that b[0..len) is a sqlcommenter list (key='value',key='value',
 * blanks allowed around items). Returns the number of pairs, or 0 when it
 * is not such a list.
 */
static size_t sqlc_tags_count(const char *b, size_t len)
{
    size_t i = 0;
    size_t n_found = 0;

    for (;;) {
        size_t k0;

        i = skip_blanks(b, i, len);
        k0 = i;
        while (i < len && b[i] != '=' && b[i] != '\'' && b[i] != ',' &&
               !is_blank(b[i])) {
            i++;
        }
        if (i == k0 || i + 1 >= len || b[i] != '=' || b[i + 1] != '\'') {
            return 0;
        }
        i += 2;
        while (i < len && b[i] != '\'') {
            i += b[i] == '\\' ? 2 : 1;
        }
        if (i >= len) {
            return 0;
        }
        n_found++;
        i = skip_blanks(b, i + 1, len);
        if (i == len) {
            return n_found;
        }
        if (b[i] != ',') {
            return 0;
        }
        i++;
    }
}

/*
 * Records the sqlcommenter pair that starts at b[i] of a list that
 * sqlc_tags_count() accepted (so no bound checks are needed) and returns
 * the offset of the next pair.
 */
static size_t sqlc_tag_next(struct emit *e, const char *b, size_t i, size_t len)
{
    size_t k0 = skip_blanks(b, i, len);
    size_t v0;

    i = k0;
    while (b[i] != '=') {
        i++;
    }
    v0 = i + 2;
    i = v0;
    while (b[i] != '\'') {
        i += b[i] == '\\' ? 2 : 1;
    }
    tag_add(e, b + k0, v0 - 2 - k0, b + v0, i - v0, 1);
    i = skip_blanks(b, i + 1, len);
    if (i < len && b[i] == ',') {
        i++;
    }
    return i;
}

/*
 * Records the n_found pairs of the tag list b[0..len), each read by
 * `next`. Returns 0 when n_found is 0 (not a tag list), else 1 (with
 * e->failed set when out of memory).
 */
static int
record_tags(struct emit *e, const char *b, size_t len, size_t n_found,
            size_t (*next)(struct emit *, const char *, size_t, size_t))
{
    size_t i = 0;

    if (n_found == 0) {
        return 0;
    }
    if (tags_reserve(e, n_found) != 0) {
        return 1;
    }
    while (n_found-- > 0) {
        i = next(e, b, i, len);
    }
    return 1;
}

/*
 * If the comment body b[0..len) is a sqlcommenter list, records its tags
 * and returns 1; otherwise records nothing and returns 0.
 */
static int parse_tags(struct emit *e, const char *b, size_t len)
{
    return record_tags(e, b, len, sqlc_tags_count(b, len), sqlc_tag_next);
}

/*
 * Checks that b[0..len) is a Rails query-log or Marginalia list,
 * key:value,key:value (keys are words, blanks allowed before a key, a
 * value runs to the next comma, unquoted and unescaped, and may itself
 * hold ':' as in source_location:app/models/user.rb:12). Returns the
 * number of pairs, or 0 when it is not such a list. "note: a remark" is
 * not one: a value may not start with a blank.
 */
static size_t rails_tags_count(const char *b, size_t len)
{
    size_t i = 0;
    size_t n_found = 0;

    for (;;) {
        size_t k0;

        i = skip_blanks(b, i, len);
        k0 = i;
        while (i < len && word_byte(b[i])) {
            i++;
        }
        if (i == k0 || i + 1 >= len || b[i] != ':' || b[i + 1] == ',' ||
            is_blank(b[i + 1])) {
            return 0;
        }
        while (i < len && b[i] != ',') {
            i++;
        }
        n_found++;
        if (i == len) {
            return n_found;
        }
        i++;
    }
}

/* As sqlc_tag_next(), for a list that rails_tags_count() accepted. */
static size_t rails_tag_next(struct emit *e, const char *b, size_t i,
                             size_t len)
{
    size_t k0 = skip_blanks(b, i, len);
    size_t v0;

    i = k0;
    while (b[i] != ':') {
        i++;
    }
    v0 = ++i;
    while (i < len && b[i] != ',') {
        i++;
    }
    tag_add(e, b + k0, v0 - 1 - k0, b + v0, i - v0, 0);
    return i + 1;
}

/*
 * If the comment body b[0..len) is a Rails query-log (Rails 7 "legacy"
 * format) or Marginalia tag list, records its tags as sqlcommenter's are
 * and returns 1; otherwise records nothing and returns 0.
 */
static int parse_rails_tags(struct emit *e, const char *b, size_t len)
{
    while (len > 0 && is_blank(b[len - 1])) {
        len--;
    }
    return record_tags(e, b, len, rails_tags_count(b, len), rails_tag_next);
}

/* --- collapsing --------------------------------------------------------- */

/* Rewinds the text to `mark` and writes a collapsed group "(?+)" or
   "((?+))", giving every literal from lit0 on its single slot. */
static void collapse(struct emit *e, size_t mark, size_t lit0, unsigned slot0,
                     int rows)
{
    struct n1_normalizer *n = e->n;
    size_t qpos;

    n->text.len = mark;
    put(e, rows ? "((?+))" : "(?+)", rows ? 6 : 4);
    qpos = mark + (rows ? 2 : 1);
    for (size_t i = lit0; i < e->n_lits; i++) {
        n->lrec[i].slot = slot0;
        n->lrec[i].item = (unsigned)(i - lit0);
        n->lrec[i].pos = qpos;
    }
    e->n_slots = slot0 + 1;
    e->prev = PV_CLOSE;
}

/* Ends a VALUES row list: collapses it to (?+) when all rows were
   literals. Rows equal to the first were already folded into it. */
static void values_finish(struct emit *e)
{
    if (e->vs == VS_AFTER && e->v_all_lit) {
        collapse(e, e->v_mark, e->v_lit0, e->v_slot0, 0);
    }
    e->vs = VS_OFF;
}

/* A VALUES row just closed: fold it into the first row if equal. */
static void values_row_closed(struct emit *e)
{
    struct n1_normalizer *n = e->n;
    size_t row_len = n->text.len - e->v_row_open;

    e->v_all_lit = e->v_all_lit && e->v_row_lit;
    if (e->v_rows == 0) {
        e->v_first = e->v_row_open;
        e->v_first_len = row_len;
        e->v_first_slot = e->v_row_slot0;
    } else if (e->v_same && row_len == e->v_first_len &&
               memcmp(n->text.buf + e->v_row_open, n->text.buf + e->v_first,
                      row_len) == 0) {
        for (size_t i = e->v_row_lit0; i < e->n_lits; i++) {
            struct lit_rec *r = &n->lrec[i];

            r->slot = e->v_first_slot + (r->slot - e->v_row_slot0);
            r->item = e->v_rows;
            r->pos = e->v_first + (r->pos - e->v_row_open);
        }
        n->text.len = e->v_row_mark;
        e->n_slots = e->v_row_slot0;
    } else {
        e->v_same = 0;
    }
    e->v_rows++;
    e->vs = VS_AFTER;
}

/*
 * Called before each significant token with its kind; keeps the IN and
 * VALUES watchers up to date. `is_lit` is 1 for literals and ?.
 */
static void watch_before(struct emit *e, enum prev kind, int is_lit)
{
    if (e->in_on) {
        int ok =
            is_lit || kind == PV_COMMA || kind == PV_OPEN || kind == PV_CLOSE;

        if (!ok || (e->in_first && kind == PV_CLOSE)) {
            e->in_on = 0;
        } else if (e->in_first) {
            e->in_rows = kind == PV_OPEN;
        }
        e->in_first = 0;
    }
    switch (e->vs) {
    case VS_ROW:
        if (!(is_lit || kind == PV_COMMA || kind == PV_CLOSE) ||
            (kind == PV_COMMA && e->v_depth > 1)) {
            e->v_row_lit = 0;
        }
        if (kind == PV_CLOSE && e->v_depth == 1 && e->n->text.len > 0 &&
            e->n->text.buf[e->n->text.len - 1] == '(') {
            e->v_row_lit = 0; /* empty row () */
        }
        break;
    case VS_AFTER:
        if (kind == PV_COMMA) {
            e->v_row_mark = e->n->text.len;
            e->vs = VS_COMMA;
        } else {
            values_finish(e);
        }
        break;
    case VS_COMMA:
        if (kind != PV_OPEN) {
            e->vs = VS_OFF; /* odd SQL: leave the rows as they are */
        }
        break;
    case VS_OFF:
        break;
    }
}

/* Emits an opening parenthesis and starts watchers it opens. */
static void emit_open(struct emit *e, int was_in, int was_values)
{
    int start_in = was_in && !e->in_on;
    int start_values = was_values && e->vs == VS_OFF;
    size_t mark = e->n->text.len;

    watch_before(e, PV_OPEN, 0);
    if (e->in_on) {
        e->in_depth++;
    }
    space_before(e, PV_OPEN);
    if (start_in) {
        e->in_on = 1;
        e->in_first = 1;
        e->in_rows = 0;
        e->in_depth = 1;
        e->in_mark = e->n->text.len;
        e->in_lit0 = e->n_lits;
        e->in_slot0 = e->n_slots;
    }
    if (e->vs == VS_ROW) {
        e->v_depth++;
    } else if (start_values || e->vs == VS_COMMA) {
        if (start_values) {
            e->v_mark = mark;
            e->v_lit0 = e->n_lits;
            e->v_slot0 = e->n_slots;
            e->v_rows = 0;
            e->v_all_lit = 1;
            e->v_same = 1;
        }
        e->vs = VS_ROW;
        e->v_depth = 1;
        e->v_row_lit = 1;
        e->v_row_open = e->n->text.len;
        e->v_row_lit0 = e->n_lits;
        e->v_row_slot0 = e->n_slots;
    }
    put(e, "(", 1);
    e->prev = PV_OPEN;
    e->depth++;
}

static void emit_close(struct emit *e)
{
    watch_before(e, PV_CLOSE, 0);
    space_before(e, PV_CLOSE);
    put(e, ")", 1);
    e->prev = PV_CLOSE;
    if (e->depth > 0) {
        e->depth--;
    }
    if (e->depth < e->ob_depth) {
        e->ob_on = 0; /* the subquery holding the ORDER BY closed */
    }
    if (e->in_on && --e->in_depth == 0) {
        e->in_on = 0;
        collapse(e, e->in_mark, e->in_lit0, e->in_slot0, e->in_rows);
    }
    if (e->vs == VS_ROW && --e->v_depth == 0) {
        values_row_closed(e);
    }
}

/* Emits a token that is neither a literal nor a parenthesis. */
static ALWAYS_INLINE void emit_tok(struct emit *e, enum prev kind,
                                   const char *s, size_t len)
{
    if (e->in_on || e->vs != VS_OFF) {
        watch_before(e, kind, 0); /* which does nothing otherwise */
    }
    space_before(e, kind);
    put(e, s, len);
    e->prev = kind;
}

/* Emits a literal, first letting the watchers see it. */
static void emit_literal(struct emit *e, enum n1_lit_type type, size_t off,
                         size_t len)
{
    watch_before(e, PV_LIT, 1);
    emit_lit(e, type, off, len);
}

/* Flushes a pending sign that turned out not to belong to a number. */
static void flush_sign(struct emit *e)
{
    if (e->sign != 0) {
        char s = e->sign;

        e->sign = 0;
        e->semi_mark = SIZE_MAX;
        emit_tok(e, PV_OP, &s, 1);
    }
}

/* 1 when a '-' or '+' here would be a sign rather than a binary operator. */
static int sign_position(const struct emit *e)
{
    switch (e->prev) {
    case PV_START:
    case PV_EXPR:
    case PV_OPEN:
    case PV_COMMA:
    case PV_SEMI:
    case PV_OP:
    case PV_VCOPEN:
        return 1;
    default:
        return 0;
    }
}

/* --- the token pass ----------------------------------------------------- */

/* Emits the lower-cased copy of a keyword. */
static void emit_keyword(struct emit *e, const struct kw_entry *k,
                         const char *s, size_t len, unsigned prev_kw)
{
    enum prev kind = (k->flags & KW_EXPR) ? PV_EXPR : PV_WORD;
    int prev_start = e->prev == PV_START || e->prev == PV_SEMI;

    emit_tok(e, kind, k->name, len);
    e->kw_flags = k->flags;
    /* SHOW TABLE STATUS: that TABLE names nothing */
    e->name_next = (k->flags & KW_NAME_NEXT) && !(prev_kw & KW_SHOW);
    /* UPDATE names a table only where it starts the statement, not in
       FOR UPDATE or ON UPDATE */
    if (e->name_next && kw_equal("update", k->name, 6) && prev_start == 0) {
        e->name_next = 0;
    }
    e->after_from = kw_equal("from", k->name, 4);
    e->ci_next = (k->flags & KW_CI_NEXT) ||
                 ((prev_kw & KW_CHARACTER) && kw_equal("set", k->name, 3));
    if (!e->failed) {
        e->kw_src = s;
        e->kw_len = len;
        e->kw_at = e->n->text.len - len;
    }
}

/* Lower-cases len bytes of the text at offset at. */
static void lower_at(struct emit *e, size_t at, size_t len)
{
    char *t = e->n->text.buf + at;

    if (e->failed || at + len > e->n->text.len) {
        return;
    }
    for (size_t i = 0; i < len; i++) {
        if (t[i] >= 'A' && t[i] <= 'Z') {
            t[i] = (char)(t[i] + ('a' - 'A'));
        }
    }
}

/* Lower-cases the last len bytes of the text (a case-insensitive name). */
static void lower_last(struct emit *e, size_t len)
{
    lower_at(e, e->n->text.len - len, len);
}

/*
 * A '.' follows the keyword kw_src[0..len) (flags kw_flags), written
 * lower-cased at kw_at: it was a qualifier (User.id, Status.x), a table
 * or schema name, so its spelling comes back. A reserved word cannot be
 * a bare name.
 */
static void name_before_dot(struct emit *e, const char *kw_src, size_t len,
                            size_t kw_at, unsigned kw_flags)
{
    if (!e->failed && kw_at + len <= e->n->text.len &&
        !(kw_flags & KW_RESERVED)) {
        memcpy(e->n->text.buf + kw_at, kw_src, len);
    }
}

/*
 * Follows ORDER BY lists for token_word(), which has found keyword k.
 * Returns 1 when k is an ASC that ends an ORDER BY item, to be left out:
 * ascending is the default, so "order by a asc" and "order by a" are one
 * statement (as pt-query-digest has it). DESC stays. GROUP BY a ASC (MySQL
 * 5.7 and older sort groups) is kept as written: rare, and removed in 8.0.
 */
static int order_by_asc(struct emit *e, const struct kw_entry *k,
                        unsigned prev_kw)
{
    if ((k->flags & KW_BY) && (prev_kw & KW_ORDER)) {
        e->ob_on = 1;
        e->ob_depth = e->depth;
    } else if ((k->flags & KW_OB_END) && e->depth <= e->ob_depth) {
        e->ob_on = 0;
    } else if ((k->flags & KW_ASC) && e->ob_on && e->depth == e->ob_depth) {
        /* only after an item: "order by asc" is not an item */
        return e->prev == PV_WORD || e->prev == PV_LIT || e->prev == PV_CLOSE;
    }
    return 0;
}

/* 'S': a quoted string, after its _charset introducer and N prefix. */
static void token_string(struct emit *e, const char *s, size_t len)
{
    size_t i = skip_introducer(s, len);
    size_t off;

    if (s[i] == 'n' || s[i] == 'N') {
        i++;
    }
    off = val_begin(e);
    unescape_string(e, s + i, len - i);
    emit_literal(e, N1_LIT_STRING, off, e->n->vals.len - off);
    val_end(e);
}

/*
 * 'X', 'B' (x'..', b'..') and 'x', 'b' (0x.., 0b..): a hex or bit
 * literal, whose value is the digits without the quotes or the prefix.
 */
static void token_radix(struct emit *e, char mark, const char *s, size_t len)
{
    size_t i = skip_introducer(s, len) + 2; /* past x' or 0x */
    int quoted = mark == 'X' || mark == 'B';
    int hex = mark == 'X' || mark == 'x';
    size_t off = val_begin(e);

    if (quoted) {
        val_put(e, s + i, len - i - (s[len - 1] == '\'' && len - i > 0));
    } else {
        val_put(e, s + i, len - i);
    }
    emit_literal(e, hex ? N1_LIT_HEX : N1_LIT_BIT, off, e->n->vals.len - off);
    val_end(e);
}

/* 'N': a number, taking a pending '-' sign into its value. */
static void token_number(struct emit *e, const char *s, size_t len)
{
    size_t off = val_begin(e);

    if (e->sign == '-') {
        val_put(e, "-", 1);
    }
    e->sign = 0;
    val_put(e, s, len);
    emit_literal(e, N1_LIT_NUMBER, off, e->n->vals.len - off);
    val_end(e);
}

/* 'P': a placeholder already in the text. */
static void token_placeholder(struct emit *e)
{
    watch_before(e, PV_LIT, 1);
    space_before(e, PV_LIT);
    put(e, "?", 1);
    e->n_slots++;
    e->prev = PV_LIT;
}

/* 'W': a bare word: a name, a keyword, or the literal NULL/TRUE/FALSE. */
static void token_word(struct emit *e, const char *s, size_t len,
                       unsigned prev_kw, int name_pos, int ci_pos)
{
    const struct kw_entry *k = kw_find(e->n, s, len);
    size_t off;

    if (k != NULL && name_pos && !(k->flags & KW_RESERVED)) {
        k = NULL; /* a keyword where a name stands is that name */
        if (name_pos == 2) {
            e->name_at = e->n->text.len + (e->prev != PV_DOT);
            e->name_len = len;
        }
    }
    if (k != NULL && order_by_asc(e, k, prev_kw)) {
        return;
    }
    if (k == NULL) {
        emit_tok(e, PV_WORD, s, len);
        if (ci_pos) {
            lower_last(e, len);
        }
    } else if (k->flags & (KW_NULL | KW_TRUE | KW_FALSE)) {
        off = val_begin(e);
        if (k->flags & KW_NULL) {
            emit_literal(e, N1_LIT_NULL, off, 0);
        } else {
            val_put(e, (k->flags & KW_TRUE) ? "1" : "0", 1);
            emit_literal(e, N1_LIT_BOOL, off, 1);
        }
        val_end(e);
    } else {
        emit_keyword(e, k, s, len, prev_kw);
    }
}

/* 1 when s[0..len), a word of [ID] bytes, is a reserved word. */
static int word_reserved(const struct emit *e, const char *s, size_t len)
{
    const struct kw_entry *k = kw_find(e->n, s, len);

    return k != NULL && (k->flags & KW_RESERVED) != 0;
}

/*
 * 'Q': a `quoted` name. The backticks of a plain name go; they stay when
 * the name holds anything a bare word could not (spaces, quotes, ?), is
 * a reserved word (`order`) or starts with a digit (`1e5`), so that the
 * text, and rewrites spliced from it, stay valid SQL.
 */
static void token_quoted_name(struct emit *e, const char *s, size_t len)
{
    size_t i;

    for (i = 1; i + 1 < len && n1_sqlword_byte((unsigned char)s[i]); i++) {
    }
    if (len > 2 && i == len - 1 && s[len - 1] == '`' &&
        !(s[1] >= '0' && s[1] <= '9') && !word_reserved(e, s + 1, len - 2)) {
        emit_tok(e, PV_WORD, s + 1, len - 2);
    } else {
        emit_tok(e, PV_WORD, s, len);
    }
}

/* 'E': the end of a versioned comment, or a '*' and a '/' outside one. */
static void token_comment_end(struct emit *e)
{
    if (e->in_vc) {
        e->in_vc = 0;
        emit_tok(e, PV_VCCLOSE, "*/", 2);
    } else {
        emit_tok(e, PV_OP, "*", 1);
        emit_tok(e, PV_OP, "/", 1);
    }
}

/*
 * 'V' right after an account's user name: the host of 'u'@'h', 'u'@h or
 * u@'h' (GRANT, CREATE USER, DEFINER = ...) is a value like the user, so
 * that one grant to several hosts is one statement: "?@?". Returns 1 when
 * s[0..len) was such a host and has been emitted, else 0. A variable never
 * follows a string or a name directly, so nothing else is taken.
 */
static int token_account_host(struct emit *e, const char *s, size_t len)
{
    int quoted = len >= 2 && (s[1] == '\'' || s[1] == '`');
    size_t off;

    if (len < 2 || s[1] == '@' ||
        !(e->prev == PV_LIT || (e->prev == PV_WORD && quoted))) {
        return 0;
    }
    watch_before(e, PV_OP, 0);
    put(e, "@", 1);
    e->prev = PV_DOT; /* glued to the user, and the ? to it */
    off = val_begin(e);
    if (quoted) {
        unescape_string(e, s + 1, len - 1);
    } else {
        val_put(e, s + 1, len - 1);
    }
    emit_literal(e, N1_LIT_STRING, off, e->n->vals.len - off);
    val_end(e);
    return 1;
}

/* The ';' operator. */
static void token_semicolon(struct emit *e, const char *s)
{
    /* let a VALUES list finish (and shrink) first */
    watch_before(e, PV_SEMI, 0);
    if (e->semi_mark == SIZE_MAX) {
        e->semi_mark = e->n->text.len;
    }
    emit_tok(e, PV_SEMI, s, 1);
    e->in_vc = 0;
    e->ob_on = 0;
}

/*
 * 'O': an operator. was_in and was_values say whether the previous token
 * was IN or VALUES, for an opening parenthesis.
 */
static void token_operator(struct emit *e, const char *s, size_t len,
                           int was_in, int was_values)
{
    if (len == 1) {
        switch (s[0]) {
        case '(':
            emit_open(e, was_in, was_values);
            return;
        case ')':
            emit_close(e);
            return;
        case ',':
            emit_tok(e, PV_COMMA, s, 1);
            return;
        case '.':
            emit_tok(e, PV_DOT, s, 1);
            return;
        case ';':
            token_semicolon(e, s);
            return;
        case '-':
        case '+':
            if (sign_position(e)) {
                e->sign = s[0];
                return;
            }
            break;
        default:
            break;
        }
    }
    emit_tok(e, PV_OP, s, len);
}

/*
 * Handles one token s[0..len) of class `mark`. The C loop inlines it for
 * its commonest marks, so that the tests of the mark fold away there.
 */
static ALWAYS_INLINE void token_inline(struct emit *e, char mark, const char *s,
                                       size_t len)
{
    size_t off;
    unsigned prev_kw = e->kw_flags;
    const char *kw_src = e->kw_src;
    /* 2: the name follows FROM */
    int name_pos = e->name_next ? 1 + e->after_from : e->prev == PV_DOT;
    int ci_pos = e->ci_next;

    if (mark == 'C' || mark == 'L') {
        if (mark == 'C' && len >= 4 && s[len - 1] == '/' && s[len - 2] == '*') {
            if (!parse_tags(e, s + 2, len - 4)) {
                parse_rails_tags(e, s + 2, len - 4);
            }
        }
        return; /* comments are not tokens; a pending sign survives them */
    }
    if (!(mark == 'O' && len == 1 && s[0] == ';')) {
        e->semi_mark = SIZE_MAX;
    }
    if (e->sign != 0 && mark != 'N') {
        flush_sign(e);
    }
    e->kw_flags = 0;
    e->kw_src = NULL;
    e->name_next = 0;
    if (!(mark == 'O' && len == 1 && s[0] == '(')) {
        e->name_at = SIZE_MAX;
    } else if (e->name_at != SIZE_MAX) {
        /* a function call after FROM (TRIM(x FROM y), EXTRACT(...)) */
        lower_at(e, e->name_at, e->name_len);
        e->name_at = SIZE_MAX;
    }
    e->after_from = 0;
    /* CHARSET = utf8mb4, ENGINE = InnoDB */
    e->ci_next = ci_pos && mark == 'O' && len == 1 && s[0] == '=';
    switch (mark) {
    case 'c':
    case 'h':
        e->in_vc = 1;
        emit_tok(e, PV_VCOPEN, s, len);
        break;
    case 'E':
        token_comment_end(e);
        break;
    case 'S':
        token_string(e, s, len);
        break;
    case 'X':
    case 'B':
    case 'x':
    case 'b':
        token_radix(e, mark, s, len);
        break;
    case 'N':
        token_number(e, s, len);
        break;
    case 'U':
        off = val_begin(e);
        emit_literal(e, N1_LIT_NULL, off, 0);
        val_end(e);
        break;
    case 'P':
        token_placeholder(e);
        break;
    case 'W':
        token_word(e, s, len, prev_kw, name_pos, ci_pos);
        break;
    case 'Q':
        token_quoted_name(e, s, len);
        break;
    case 'O':
        if (kw_src != NULL && len == 1 && s[0] == '.') {
            name_before_dot(e, kw_src, e->kw_len, e->kw_at, prev_kw);
        }
        token_operator(e, s, len, (prev_kw & KW_IN) != 0,
                       (prev_kw & KW_VALUES) != 0);
        break;
    case 'V':
        if (!token_account_host(e, s, len)) {
            /* variable names are case-insensitive */
            emit_tok(e, PV_WORD, s, len);
            lower_last(e, len);
        }
        break;
    default: /* 'Z' */
        emit_tok(e, PV_WORD, s, len);
        break;
    }
}

/* token_inline() out of line, for the pattern's tokens. */
static void token(struct emit *e, char mark, const char *s, size_t len)
{
    token_inline(e, mark, s, len);
}

static int emit_failed(const struct emit *e)
{
    return e->failed;
}

/* Builds the caller's views of literals and tags from the records. */
static int publish(struct emit *e, struct n1_norm *out)
{
    struct n1_normalizer *n = e->n;
    const char *vals = n1_strbuf_str(&n->vals);

    if (grow((void **)&n->lits, &n->lits_cap, e->n_lits, sizeof(*n->lits)) !=
        0) {
        return -1;
    }
    if (grow((void **)&n->tags, &n->tags_cap, e->n_tags, sizeof(*n->tags)) !=
        0) {
        return -1;
    }
    for (size_t i = 0; i < e->n_lits; i++) {
        const struct lit_rec *r = &n->lrec[i];
        struct n1_literal *l = &n->lits[i];

        l->type = r->type;
        l->value = vals + r->off;
        l->len = r->len;
        l->slot = r->slot;
        l->item = r->item;
        l->pos = r->pos;
        l->hash = n1_literal_hash(l->type, l->value, l->len);
    }
    for (size_t i = 0; i < e->n_tags; i++) {
        n->tags[i].key = vals + n->trec[i].key;
        n->tags[i].value = vals + n->trec[i].value;
    }
    out->text = n1_strbuf_str(&n->text);
    out->len = n->text.len;
    out->id = n1_fingerprint_id(out->text, out->len);
    n1_fingerprint_hex(out->id, out->hex);
    out->n_slots = e->n_slots;
    out->lits = n->lits;
    out->n_lits = e->n_lits;
    out->n_lits_dropped = e->n_lits_dropped;
    out->tags = n->tags;
    out->n_tags = e->n_tags;
    return 0;
}

uint64_t n1_literal_hash(enum n1_lit_type type, const char *value, size_t len)
{
    return (uint64_t)XXH3_64bits_withSeed(value, len, (XXH64_hash_t)type + 1);
}

/* 1 when s is one or more ASCII digits. */
static int all_digits(const char *s)
{
    if (*s == '\0') {
        return 0;
    }
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9') {
            return 0;
        }
    }
    return 1;
}

size_t n1_norm_location(const struct n1_norm *norm, char *buf, size_t cap)
{
    const char *file = NULL;
    const char *line = NULL;
    const char *src = NULL;
    const char *in;
    int n;

    for (size_t i = 0; i < norm->n_tags; i++) {
        const char *k = norm->tags[i].key;

        if (strcmp(k, "file") == 0) {
            file = norm->tags[i].value;
        } else if (strcmp(k, "line") == 0 || strcmp(k, "lineno") == 0) {
            line = norm->tags[i].value;
        } else if (strcmp(k, "source_location") == 0) {
            src = norm->tags[i].value;
        }
    }
    if (file != NULL && line != NULL) {
        n = snprintf(buf, cap, "%s:%s", file, line);
    } else if (file != NULL) {
        n = snprintf(buf, cap, "%s", file);
    } else if (src != NULL) {
        n = snprintf(buf, cap, "%s", src);
    } else if (line != NULL && !all_digits(line)) {
        /* Marginalia: "path:line:in `method'" */
        in = strstr(line, ":in ");
        n = snprintf(buf, cap, "%.*s",
                     (int)(in != NULL ? (size_t)(in - line) : strlen(line)),
                     line);
    } else {
        n = snprintf(buf, cap, "%s", "");
    }
    return n > 0 ? (size_t)n : 0;
}

/* --- tokenizing --------------------------------------------------------- */

/* Returns the end of the run of CL_DIGIT bytes of s[i..len). */
static size_t skip_digits(const unsigned char *cls, const char *s, size_t i,
                          size_t len)
{
    while (i < len && (cls[(unsigned char)s[i]] & CL_DIGIT)) {
        i++;
    }
    return i;
}

/*
 * The number alternative (N) at s[at], a digit: digits, a fraction, an
 * exponent, not followed by a word byte. This is the first way the
 * pattern tries (its optional parts are greedy); when the lookahead fails
 * there, the pattern would backtrack ("1.e", "1e5x", "2fa", "0x1"), so
 * the token is left to it: returns 0. Else returns the length.
 */
static size_t fast_number(const unsigned char *cls, const char *s, size_t at,
                          size_t len)
{
    size_t i = skip_digits(cls, s, at, len);

    if (i < len && s[i] == '.') {
        i = skip_digits(cls, s, i + 1, len);
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;

        if (j < len && (s[j] == '-' || s[j] == '+')) {
            j++;
        }
        if (j < len && (cls[(unsigned char)s[j]] & CL_DIGIT)) {
            i = skip_digits(cls, s, j, len);
        }
    }
    if (i < len && (cls[(unsigned char)s[i]] & CL_ID)) {
        return 0;
    }
    return i - at;
}

/* 1 when s[i] is a byte after "--" that makes it a line comment. */
static int comment_dash(const char *s, size_t i, size_t len)
{
    return i == len || (unsigned char)s[i] <= 0x20 || s[i] == 0x7f;
}

/*
 * The operators that start with - + < > ! at s[at], longest first as the
 * pattern lists them (<=> before <=, ->> before ->): returns the length,
 * or 0 for another byte or for "--" that starts a line comment.
 */
static size_t fast_operator(const char *s, size_t at, size_t len)
{
    char c1 = at + 1 < len ? s[at + 1] : '\0';
    char c2 = at + 2 < len ? s[at + 2] : '\0';

    switch (s[at]) {
    case '-':
        if (c1 == '-' && comment_dash(s, at + 2, len)) {
            return 0;
        }
        if (c1 == '>') {
            return c2 == '>' ? 3 : 2;
        }
        return 1;
    case '+':
        return 1;
    case '<':
        if (c1 == '=' && c2 == '>') {
            return 3;
        }
        return c1 == '<' || c1 == '=' || c1 == '>' ? 2 : 1;
    case '>':
        return c1 == '>' || c1 == '=' ? 2 : 1;
    case '!':
        return c1 == '=' ? 2 : 1;
    default:
        return 0;
    }
}

/*
 * The end of the quoted string or name that the quote s[at] opens, as the
 * pattern reads it: STR1 and STR2 (q ' or ", esc 1) and the Q alternative
 * (q `, esc 0). Its loop is possessive and tries a run of other bytes, a
 * backslash with the byte after it if there is one (esc only), then a
 * doubled quote; the optional closing quote follows. So a backslash
 * escapes one byte (none at the end of the input), a doubled quote stays
 * inside, the first quote that is not doubled closes, and an unterminated
 * one runs to the end of the input. Returns the offset past it.
 */
static size_t quoted_end(const char *s, size_t at, size_t len, char q, int esc)
{
    size_t i = at + 1;

    while (i < len) {
        if (s[i] == q) {
            if (i + 1 < len && s[i + 1] == q) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        if (esc && s[i] == '\\') {
            i += i + 1 < len ? 2 : 1;
            continue;
        }
        i++;
    }
    return len;
}

/*
 * A string after a _charset introducer at s[at], a '_': the pattern's S
 * alternatives read INTRO (_, one or more [A-Za-z0-9_] taken
 * possessively, then blanks) before '..' or "..". No earlier alternative
 * starts with '_'. Returns the length with the introducer, or 0 when no
 * quote follows it (_utf8 X'41', _utf8 0x41 and words like _id are other
 * classes: left to the pattern).
 */
static size_t fast_introduced(const unsigned char *cls, const char *s,
                              size_t at, size_t len)
{
    size_t i = at + 1;

    while (i < len && (cls[(unsigned char)s[i]] & CL_INTRO)) {
        i++;
    }
    if (i == at + 1) {
        return 0;
    }
    while (i < len && (cls[(unsigned char)s[i]] & CL_SPACE)) {
        i++;
    }
    if (i == len || (s[i] != '\'' && s[i] != '"')) {
        return 0;
    }
    return quoted_end(s, i, len, s[i], 1) - at;
}

/*
 * Reads the token at s[at] (not a blank) in C when it is one the pattern
 * would return unchanged: a word whose first byte no earlier alternative
 * takes (n N x X b B only when no quote follows: N'..', X'..', b'..'), a
 * number as fast_number() has it, ( ) , = ; ?, a '.' that no digit
 * follows (.5 is a number), a '*' that no '/' follows (the closer of a
 * comment), the operators of fast_operator(), a string ('..', "..",
 * N'..', or either quote after a _charset introducer) and a `name`. The
 * first bytes of strings and names (' " ` N n _) start no earlier
 * alternative of the pattern. Sets *mark to the pattern's mark and
 * returns the length, or returns 0 to leave the token to the pattern.
 */
static size_t fast_token(const unsigned char *cls, const char *s, size_t at,
                         size_t len, char *mark)
{
    unsigned k = cls[(unsigned char)s[at]];
    size_t i = at + 1;

    if ((k & CL_WORD) || ((k & CL_PFX) && (i == len || s[i] != '\''))) {
        while (i < len && (cls[(unsigned char)s[i]] & CL_ID)) {
            i++;
        }
        *mark = 'W';
        return i - at;
    }
    if ((k & CL_PFX) && (s[at] == 'n' || s[at] == 'N')) {
        *mark = 'S'; /* N'..': a quote follows */
        return quoted_end(s, i, len, '\'', 1) - at;
    }
    if (k & CL_PUNCT) {
        *mark = 'O';
        return 1;
    }
    if (k & CL_DIGIT) {
        *mark = 'N';
        return fast_number(cls, s, at, len);
    }
    switch (s[at]) {
    case '.':
        *mark = 'O';
        return i < len && (cls[(unsigned char)s[i]] & CL_DIGIT) ? 0 : 1;
    case '?':
        *mark = 'P';
        return 1;
    case '*':
        *mark = 'O';
        return i < len && s[i] == '/' ? 0 : 1;
    case '\'':
    case '"':
        *mark = 'S';
        return quoted_end(s, at, len, s[at], 1) - at;
    case '`':
        *mark = 'Q';
        return quoted_end(s, at, len, '`', 0) - at;
    case '_':
        *mark = 'S';
        return fast_introduced(cls, s, at, len);
    default:
        *mark = 'O';
        return fast_operator(s, at, len);
    }
}

/*
 * Matches the one token at sql[at] with the pattern (blanks first) and
 * hands it to token(). Returns the offset past it, len when only blanks
 * were left, or SIZE_MAX with err set when the match failed.
 */
static size_t pattern_token(struct n1_normalizer *n, struct emit *e,
                            const char *sql, size_t len, size_t at,
                            struct n1_error *err)
{
    int rc;
    PCRE2_SIZE *ov;
    PCRE2_SPTR mark;

    if (n->jit) {
        rc = pcre2_jit_match(n->tok, (PCRE2_SPTR)sql, len, at, 0, n->md,
                             n->mctx);
    } else {
        rc = pcre2_match(n->tok, (PCRE2_SPTR)sql, len, at, 0, n->md, n->mctx);
    }
    if (rc == PCRE2_ERROR_NOMATCH) {
        return len; /* only blanks were left */
    }
    if (rc < 0) {
        PCRE2_UCHAR msg[120];

        pcre2_get_error_message(rc, msg, sizeof(msg));
        n1_err_set(err, N1_ELIMIT, NULL, 0, "tokenizer failed at byte %zu: %s",
                   at, (const char *)msg);
        return SIZE_MAX;
    }
    ov = pcre2_get_ovector_pointer(n->md);
    mark = pcre2_get_mark(n->md);
    token(e, mark != NULL ? (char)mark[0] : 'Z', sql + ov[0], ov[1] - ov[0]);
    return ov[1];
}

/* The C loop of fast_token(), asking the pattern for other tokens. */
static int tokenize_fast(struct n1_normalizer *n, struct emit *e,
                         const char *sql, size_t len, struct n1_error *err)
{
    const unsigned char *cls = n->cls;
    size_t at = 0;

    while (!e->failed) {
        size_t tl;
        char mark = 'Z';

        while (at < len && (cls[(unsigned char)sql[at]] & CL_SPACE)) {
            at++;
        }
        if (at == len) {
            break;
        }
        tl = fast_token(cls, sql, at, len, &mark);
        if (tl > 0) {
            /* constant marks: see token_inline() */
            if (mark == 'W') {
                token_inline(e, 'W', sql + at, tl);
            } else if (mark == 'O') {
                token_inline(e, 'O', sql + at, tl);
            } else if (mark == 'N') {
                token_inline(e, 'N', sql + at, tl);
            } else if (mark == 'S') {
                token_inline(e, 'S', sql + at, tl);
            } else if (mark == 'Q') {
                token_inline(e, 'Q', sql + at, tl);
            } else {
                token(e, mark, sql + at, tl);
            }
            at += tl;
        } else {
            at = pattern_token(n, e, sql, len, at, err);
            if (at == SIZE_MAX) {
                return -1;
            }
        }
    }
    return 0;
}

/*
 * Hands every token of sql[0..len) to token(): see the file comment.
 * Returns 0, or -1 with err set when a match failed.
 */
static int tokenize(struct n1_normalizer *n, struct emit *e, const char *sql,
                    size_t len, struct n1_error *err)
{
    size_t at = 0;

    if (n->fast) {
        return tokenize_fast(n, e, sql, len, err);
    }
    if (n->all != NULL && len <= ONE_MATCH_MAX) {
        int rc;

        n->om.e = e;
        n->om.sql = sql;
        n->om.at = 0;
        rc = pcre2_jit_match(n->all, (PCRE2_SPTR)sql, len, 0, 0, n->md_all,
                             n->mctx);
        /* A match ends where only blanks are left, since "." takes any
           other byte. A failure leaves the rest to the loop below, from
           the last token handed over. */
        at = rc >= 0 ? len : n->om.at;
    }
    while (at < len && !e->failed) {
        at = pattern_token(n, e, sql, len, at, err);
        if (at == SIZE_MAX) {
            return -1;
        }
    }
    return 0;
}

void n1_normalizer_fast_path(struct n1_normalizer *n, int on)
{
    n->fast = on != 0;
}

int n1_normalize(struct n1_normalizer *n, const char *sql, size_t len,
                 struct n1_norm *out, struct n1_error *err)
{
    struct emit e;

    memset(&e, 0, sizeof(e));
    e.n = n;
    e.semi_mark = SIZE_MAX;
    e.name_at = SIZE_MAX;
    n1_strbuf_reset(&n->text);
    n1_strbuf_reset(&n->vals);
    if (sql == NULL) {
        sql = "";
        len = 0;
    }

    if (tokenize(n, &e, sql, len, err) != 0) {
        return -1;
    }
    if (e.sign != 0 && !e.failed) {
        flush_sign(&e);
    }
    if (e.vs == VS_AFTER) {
        values_finish(&e);
    }
    if (e.semi_mark != SIZE_MAX) {
        n->text.len = e.semi_mark; /* trailing ; are not part of it */
        if (n->text.buf != NULL) {
            n->text.buf[n->text.len] = '\0';
        }
    }
    if (n->text.buf != NULL) {
        n->text.buf[n->text.len] = '\0';
    }
    if (e.failed) {
        n1_err_set(err, N1_ELIMIT, NULL, 0,
                   "statement of %zu bytes too large to normalise", len);
        return -1;
    }
    if (publish(&e, out) != 0) {
        n1_err_oom(err, "normalising a statement");
        return -1;
    }
    return 0;
}
