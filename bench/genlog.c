/* SPDX-License-Identifier: MIT */
/* n1_genlog: writes large, realistic MySQL/MariaDB query logs for benchmarks.
 *
 * The generator simulates a pool of client connections that run an
 * application workload against a server and writes what the server would
 * log: the MariaDB 10.11 or MySQL 8.0 general log, or the slow log with
 * long_query_time=0. Each step picks one connection at random, so the
 * connections interleave as they do on a busy server. A connection connects,
 * sends a few session set-up statements, then runs ordinary statements,
 * transactions, N+1 loops (a parent query followed by 5-50 per-key lookups)
 * and now and then a fan-out (a burst of short-lived connections that each
 * run one lookup), and finally quits and is replaced by a new one.
 *
 * Statement shapes come from a table of templates (TEMPLATES). A class is a
 * template plus a variant: variant 0 uses the template's table names as they
 * are, variant v > 0 appends a letter suffix (`orders_b`), so `--classes N`
 * can ask for any number of distinct shapes. Letters rather than digits,
 * because some fingerprinters fold digits inside identifiers into `?`.
 *
 * Output is deterministic: the only source of randomness is a splitmix64
 * generator seeded from `--seed`, and the few transcendental functions the
 * distributions need are computed here rather than taken from libm, so the
 * same arguments give byte-identical files on every machine. Lines are
 * built by hand into a large buffer and written with fwrite(); there is no
 * printf on the hot path.
 *
 * What it does not do: it does not model a real schema or data (values are
 * random), it writes no error log or binary log, and it does not copy the
 * servers' quirks for statements the workload never sends (LOAD DATA,
 * stored routines, multi-statement packets).
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OUT_CAP     (4u << 20)         /* bytes buffered before fwrite() */
#define SQL_CAP     (1u << 20)         /* longest rendered statement */
#define MAX_CLASSES 10000000u          /* upper bound for --classes */
#define MAX_CONNS   100000u            /* upper bound for --connections */
#define EPOCH_US    1732536000000000LL /* 2024-11-25 12:00:00 UTC */
#define MEAN_GAP_US 150.0              /* mean time between two entries */

/* Exit codes, as the n1digest CLI uses them. */
enum exit_code {
    EXIT_OK = 0,    /* the log was written */
    EXIT_USAGE = 2, /* bad arguments, or the output could not be written */
};

enum flavour {
    FL_MARIADB_SLOW,    /* MariaDB 10.11 slow log, query_plan verbosity */
    FL_MYSQL_SLOW,      /* MySQL 8.0 slow log, log_slow_extra=OFF */
    FL_MARIADB_GENERAL, /* MariaDB 10.11 general log */
    FL_MYSQL_GENERAL,   /* MySQL 8.0 general log */
};

/* What a statement does, which decides its slow-log metrics. */
enum kind {
    K_PK,    /* point lookup by a unique key */
    K_RANGE, /* indexed range read */
    K_SCAN,  /* full table scan */
    K_AGG,   /* GROUP BY with a temporary table and a filesort */
    K_JOIN,  /* join of two or more tables */
    K_INS,   /* single-row INSERT or REPLACE */
    K_INSM,  /* multi-row INSERT; Rows_affected is the number of rows */
    K_UPD,   /* UPDATE */
    K_DEL,   /* DELETE */
    K_CTL,   /* SET, BEGIN, COMMIT, USE: no rows */
    K_SHOW,  /* SHOW and SELECT @@var: a small result set */
};

/* General-log command names, in the servers' spelling. */
enum cmd {
    CMD_CONNECT, /* "Connect" */
    CMD_QUERY,   /* "Query" */
    CMD_PREPARE, /* "Prepare" */
    CMD_EXECUTE, /* "Execute" */
    CMD_CLOSE,   /* "Close stmt" */
    CMD_INIT_DB, /* "Init DB" */
    CMD_QUIT,    /* "Quit" */
    CMD_COUNT,
};

static const char *const CMD_NAMES[CMD_COUNT] = {
    "Connect", "Query", "Prepare", "Execute", "Close stmt", "Init DB", "Quit",
};

/* A statement template. The text is SQL with two kinds of holes:
 *
 *   {name}  a table name; variant v > 0 appends "_" and a letter suffix
 *   #c      a value, by the letter c:
 *           i id (log-uniform 1..8M)   n small int 1..100   q signed int
 *           f decimal with cents       b 0 or 1             N int or NULL
 *           t unix time                d 'YYYY-MM-DD hh:mm:ss'
 *           s short word               S odd string (quotes, escapes, UTF-8)
 *           e e-mail address           p LIKE pattern       h 32 hex chars
 *           l IN list of ids           m IN list of words
 *           k the N+1 loop key         K the loop key as a string
 *           R[spec] 2..220 VALUES rows, one value per letter of spec
 *
 * In prepared mode every value prints as `?`, with the same number of
 * placeholders as the values would have had.
 */
struct tmpl {
    enum kind kind;  /* decides the metrics */
    const char *sql; /* the text with its holes */
};

static const struct tmpl TEMPLATES[] = {
    {K_PK, "SELECT id, email, name, created_at FROM {users} WHERE id = #i"},
    {K_PK, "SELECT * FROM {users} WHERE email = #e LIMIT 1"},
    {K_RANGE, "SELECT id, user_id, status, total FROM {orders} WHERE "
              "user_id = #i ORDER BY created_at DESC LIMIT #n"},
    {K_JOIN, "SELECT o.id, o.total, u.email FROM {orders} o JOIN {users} u "
             "ON u.id = o.user_id WHERE o.status = #s AND o.created_at >= #d "
             "ORDER BY o.id LIMIT 50"},
    {K_RANGE, "SELECT id, name, price FROM {products} WHERE id IN (#l)"},
    {K_RANGE, "SELECT id, sku, name FROM {products} WHERE sku IN (#m)"},
    {K_AGG, "SELECT u.id,\n       u.name,\n       COUNT(o.id) AS n\n"
            "  FROM {users} u\n  LEFT JOIN {orders} o ON o.user_id = u.id\n"
            " WHERE u.id IN (#l)\n GROUP BY u.id, u.name\n ORDER BY u.id"},
    {K_SCAN, "SELECT COUNT(*) FROM {orders} WHERE status = #s"},
    {K_AGG, "SELECT product_id, SUM(qty) AS q FROM {order_items} WHERE "
            "created_at BETWEEN #d AND #d GROUP BY product_id "
            "ORDER BY q DESC LIMIT 10"},
    {K_PK, "SELECT * FROM {sessions} WHERE token = #h"},
    {K_PK, "SELECT value FROM {settings} WHERE name = #s AND scope = #s"},
    {K_RANGE, "SELECT p.id, p.title, p.body FROM {posts} p WHERE "
              "p.author_id = #i AND p.published = 1 ORDER BY "
              "p.published_at DESC LIMIT #n OFFSET #n"},
    {K_RANGE, "SELECT c.id, c.body, c.created_at FROM {comments} c "
              "WHERE c.post_id = #i ORDER BY c.id"},
    {K_JOIN, "SELECT t.name FROM {tags} t JOIN {post_tags} pt ON "
             "pt.tag_id = t.id WHERE pt.post_id IN (#l)"},
    {K_SCAN, "SELECT id, name FROM {users} WHERE name LIKE #p "
             "ORDER BY name LIMIT 20"},
    {K_SCAN, "SELECT SQL_NO_CACHE COUNT(DISTINCT user_id) FROM {events} "
             "WHERE kind = #s AND ts > #t"},
    {K_PK, "SELECT i.warehouse_id, i.qty FROM {inventory} i WHERE "
           "i.product_id = #i FOR UPDATE"},
    {K_RANGE, "SELECT a.line1, a.city, a.zip FROM {addresses} a WHERE "
              "a.user_id = #i AND a.kind IN (#m)"},
    {K_RANGE, "SELECT id FROM {notifications} WHERE user_id = #i AND "
              "read_at IS NULL ORDER BY id DESC LIMIT 100"},
    {K_RANGE, "SELECT MAX(cpu), AVG(mem) FROM {metrics} WHERE host_id = #i "
              "AND ts BETWEEN #t AND #t"},
    {K_JOIN, "SELECT u.id, u.email\nFROM {users} u\nWHERE EXISTS (\n"
             "    SELECT 1 FROM {orders} o\n"
             "     WHERE o.user_id = u.id AND o.total > #f\n)\nLIMIT #n"},
    {K_PK, "SELECT * FROM {coupons} WHERE code = #s AND valid_until > NOW()"},
    {K_PK, "SELECT id, status FROM {payments} WHERE order_id = #i"},
    {K_JOIN, "SELECT s.id, s.carrier, s.tracking FROM {shipments} s JOIN "
             "{orders} o ON o.id = s.order_id WHERE o.user_id = #i AND "
             "s.status <> #s"},
    {K_AGG, "SELECT COUNT(*) AS n, status FROM {orders} GROUP BY status"},
    {K_RANGE, "SELECT r.rating, r.body FROM {reviews} r WHERE "
              "r.product_id = #i AND r.rating >= #n ORDER BY r.helpful DESC "
              "LIMIT 5"},
    {K_SCAN, "SELECT id, name FROM {categories} WHERE parent_id IS NULL "
             "ORDER BY position"},
    {K_JOIN, "SELECT ci.product_id, ci.qty, p.price FROM {cart_items} ci "
             "JOIN {products} p ON p.id = ci.product_id WHERE ci.cart_id = #i"},
    {K_RANGE, "SELECT id, total FROM {invoices} WHERE customer_id = #i AND "
              "issued_at >= #d AND status IN (#m)"},
    {K_RANGE, "SELECT DISTINCT project_id FROM {project_groups} WHERE "
              "gid IN (#l)"},
    {K_PK, "SELECT {profile_settings}.id, {profile_settings}.name, "
           "{profile_settings}.value FROM {profile_settings} WHERE "
           "{profile_settings}.name = #s LIMIT 1"},
    {K_RANGE, "SELECT `id`, `name`, `price` FROM `{products}` WHERE "
              "`category_id` = #i AND `price` BETWEEN #f AND #f "
              "ORDER BY `price` ASC LIMIT #n"},
    {K_SCAN, "select id, email from {users} where lower(email) = lower(#e)"},
    {K_PK, "SELECT o.id, o.total FROM {orders} AS o WHERE o.id = #i "
           "/* fetch order */"},
    {K_PK, "SELECT /*+ MAX_EXECUTION_TIME(1000) */ id FROM {events} WHERE "
           "user_id = #i ORDER BY ts DESC LIMIT 1"},
    {K_SCAN, "SELECT id, body FROM {posts} WHERE MATCH(title, body) "
             "AGAINST (#s IN BOOLEAN MODE) LIMIT 20"},
    {K_INS, "INSERT INTO {orders} (user_id, status, total, created_at) "
            "VALUES (#i, #s, #f, #d)"},
    {K_INSM, "INSERT INTO {order_items} (order_id, product_id, qty, price) "
             "VALUES #R[iinf]"},
    {K_INS, "INSERT INTO {audit_log} (user_id, action, payload) "
            "VALUES (#i, #s, #S)"},
    {K_INSM, "INSERT INTO {events} (user_id, kind, ts, data) VALUES #R[istS]"},
    {K_INS, "INSERT IGNORE INTO {post_tags} (post_id, tag_id) "
            "VALUES (#i, #i)"},
    {K_INS, "INSERT INTO {sessions} (token, user_id, expires_at) VALUES "
            "(#h, #i, #d) ON DUPLICATE KEY UPDATE "
            "expires_at = VALUES(expires_at)"},
    {K_INS, "REPLACE INTO {settings} (name, scope, value) VALUES (#s, #s, #S)"},
    {K_UPD, "UPDATE {users} SET last_seen_at = #d WHERE id = #i"},
    {K_UPD, "UPDATE {orders} SET status = #s, updated_at = NOW() WHERE "
            "id = #i AND status = #s"},
    {K_UPD, "UPDATE {inventory} SET qty = qty - #n WHERE product_id = #i "
            "AND warehouse_id = #i AND qty >= #n"},
    {K_UPD, "UPDATE {products}\n   SET price = #f,\n       name = #S\n"
            " WHERE id = #i"},
    {K_UPD, "UPDATE {notifications} SET read_at = NOW() WHERE "
            "user_id = #i AND id IN (#l)"},
    {K_DEL, "DELETE FROM {sessions} WHERE expires_at < #d LIMIT 1000"},
    {K_DEL, "DELETE FROM {cart_items} WHERE cart_id = #i AND "
            "product_id = #i"},
    {K_UPD, "UPDATE {users} SET name = #S WHERE id = #i"},
    {K_INS, "INSERT INTO {comments} (post_id, author_id, body) "
            "VALUES (#i, #i, #S)"},
    {K_UPD, "UPDATE {metrics} SET cpu = #f WHERE host_id = #i AND ts = #t"},
    {K_DEL, "DELETE FROM {notifications} WHERE created_at < #d"},
    {K_INS, "INSERT INTO {payments} (order_id, amount, currency, "
            "provider_ref) VALUES (#i, #f, 'EUR', #h)"},
    {K_RANGE, "SELECT id, qty FROM {inventory} WHERE "
              "(product_id, warehouse_id) IN ((#i, #i), (#i, #i))"},
    {K_PK, "SELECT * FROM {warehouses} WHERE id = #q"},
    {K_RANGE, "SELECT id FROM {users} WHERE deleted_at IS NULL AND id > #i "
              "ORDER BY id LIMIT 1000"},
    {K_RANGE, "SELECT COUNT(*) FROM {comments} WHERE post_id = #i"},
    {K_PK, "SELECT id,\n\tname\n\tFROM {categories}\n\tWHERE slug = #s"},
    {K_JOIN, "SELECT a.id, b.id FROM {users} a, {orders} b WHERE "
             "a.id = b.user_id AND b.total > #f"},
    {K_UPD, "UPDATE {carts} SET updated_at = NOW(), item_count = "
            "item_count + 1 WHERE id = #i"},
    {K_INS, "INSERT INTO {carts} (user_id, created_at) VALUES (#N, NOW())"},
    {K_SCAN, "SELECT 0x1F AS flags, b'101' AS bits, -#i AS neg, 1.5e3 AS sci "
             "FROM {warehouses} LIMIT 1"},
};
#define N_TEMPLATES (sizeof(TEMPLATES) / sizeof(TEMPLATES[0]))

/* Session set-up and chatter; fixed shapes that every class count has. */
static const struct tmpl NOISE[] = {
    {K_CTL, "SET NAMES utf8mb4"},
    {K_CTL, "SET autocommit=1"},
    {K_CTL, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"},
    {K_CTL, "SET sql_mode = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION'"},
    {K_SHOW, "SELECT @@max_allowed_packet"},
    {K_SHOW, "SELECT CONNECTION_ID()"},
    {K_SHOW, "SHOW WARNINGS"},
    {K_SHOW, "SHOW VARIABLES LIKE 'sql_mode'"},
    {K_SHOW, "SHOW SESSION STATUS LIKE 'Handler%'"},
    {K_SHOW, "SHOW FULL PROCESSLIST"},
    {K_SHOW, "SELECT 1"},
};
#define N_NOISE (sizeof(NOISE) / sizeof(NOISE[0]))
#define N_SETUP 4 /* NOISE[0..3] are what a client sends after connecting */

/* N+1 shapes: a parent that returns keys, and the per-key child. */
struct pair {
    struct tmpl parent; /* runs once */
    struct tmpl child;  /* runs once per key, with #k or #K */
};

static const struct pair PAIRS[] = {
    {{K_RANGE, "SELECT id, user_id FROM {orders} WHERE status = #s "
               "ORDER BY id DESC LIMIT #n"},
     {K_PK, "SELECT id, name, email FROM {users} WHERE id = #k"}},
    {{K_RANGE, "SELECT id FROM {posts} WHERE author_id = #i ORDER BY id "
               "LIMIT #n"},
     {K_RANGE, "SELECT COUNT(*) FROM {comments} WHERE post_id = #k"}},
    {{K_RANGE, "SELECT {project_groups}.gid FROM {project_groups} WHERE "
               "{project_groups}.project_id = #i ORDER BY "
               "{project_groups}.gid"},
     {K_PK, "SELECT {profile_settings}.id, {profile_settings}.name, "
            "{profile_settings}.value FROM {profile_settings} WHERE "
            "{profile_settings}.name = #K LIMIT 1"}},
    {{K_RANGE, "SELECT id, product_id FROM {order_items} WHERE "
               "order_id = #i"},
     {K_PK, "SELECT id, name, price FROM {products} WHERE id = #k"}},
    {{K_JOIN, "SELECT ci.id, ci.product_id FROM {cart_items} ci WHERE "
              "ci.cart_id = #i"},
     {K_PK, "SELECT qty FROM {inventory} WHERE product_id = #k FOR UPDATE"}},
    {{K_RANGE, "SELECT id FROM {users} WHERE id IN (#l)"},
     {K_RANGE, "SELECT a.line1,\n       a.city\n  FROM {addresses} a\n"
               " WHERE a.user_id = #k"}},
    {{K_RANGE, "SELECT id FROM {notifications} WHERE user_id = #i AND "
               "read_at IS NULL"},
     {K_UPD, "UPDATE {notifications} SET read_at = NOW() WHERE id = #k"}},
    {{K_SCAN, "SELECT id FROM {categories} WHERE parent_id = #i"},
     {K_RANGE, "SELECT id, name FROM {products} WHERE category_id = #k "
               "ORDER BY name LIMIT 10"}},
    {{K_RANGE, "SELECT gid FROM {project_groups} WHERE project_id = #i"},
     {K_RANGE, "SELECT MAX(cpu) FROM {metrics} WHERE gid = #K"}},
};
#define N_PAIRS (sizeof(PAIRS) / sizeof(PAIRS[0]))

/* Plain words for #s, #m and #p. */
static const char *const WORDS[] = {
    "pending", "paid",  "shipped", "cancelled", "refunded", "alice",
    "bob",     "carol", "dave",    "admin",     "en_US",    "de_DE",
    "dark",    "light", "daily",   "weekly",    "proj:g7",  "beta",
    "web",     "ios",   "android", "login",     "logout",   "checkout",
};
#define N_WORDS (sizeof(WORDS) / sizeof(WORDS[0]))

/* Odd string literals for #S, written exactly as clients send them. The
 * captured MariaDB logs in fixtures/captured/ show the same shapes. */
static const char *const ODD[] = {
    "'it''s'",
    "'O\\'Brien \\\\ co'",
    "'back\\\\slash and \\'escaped\\' quote'",
    "'\\\"dq\\\" \\'sq\\''",
    "'Zoë naïve café 日本語 😀'",
    "'two\\nlines; # Time: 241125 12:00:00'",
    "'tab\there'",
    "'100% off; -- not a comment'",
    "'/* not a comment */'",
    "'?'",
    "''",
    "'C:\\\\temp\\\\new'",
    "'{\"k\": [1, 2, \"x\"], \"s\": \"a\\\\\"b\"}'",
    "'SELECT * FROM users WHERE id = 1'",
};
#define N_ODD (sizeof(ODD) / sizeof(ODD[0]))

/* Strings with a raw newline followed by something that looks like a log
 * header. Real servers write them as they are (see the captured slow log);
 * --clean leaves them out, because they make line-based parsers, among
 * them pt-query-digest, split or merge entries. */
static const char *const HOSTILE[] = {
    "'first\n# Time: 241125 12:00:00\nlast'",
    "'a;\n# User@Host: x'",
    "'q\n# Query_time: 9.000000  Lock_time: 0.000000'",
};
#define N_HOSTILE (sizeof(HOSTILE) / sizeof(HOSTILE[0]))

/* Trailing tags that ORMs and sqlcommenter append. */
static const char *const TAGS[] = {
    " /*controller='orders',action='show'*/",
    " /*controller='settings',file='utils.py%3A42'*/",
    " /* app:checkout */",
};
#define N_TAGS (sizeof(TAGS) / sizeof(TAGS[0]))

static const char *const DBS[] = {"shop", "billing", "settings", "metrics",
                                  "analytics"};
#define N_DBS (sizeof(DBS) / sizeof(DBS[0]))

/* Client accounts; host "" means the server does not resolve names. */
struct account {
    const char *user; /* user name */
    const char *host; /* host name, or "" */
    const char *ip;   /* address, or "" for a local socket */
};

static const struct account ACCOUNTS[] = {
    {"app", "", "10.0.3.17"},   {"app", "", "10.0.3.18"},
    {"app", "", "10.0.3.19"},   {"app", "", "10.0.3.20"},
    {"worker", "", "10.0.4.2"}, {"worker", "", "10.0.4.3"},
    {"report", "", "10.0.5.9"}, {"root", "localhost", ""},
};
#define N_ACCOUNTS (sizeof(ACCOUNTS) / sizeof(ACCOUNTS[0]))

/* What a connection is in the middle of. */
enum act {
    ACT_IDLE, /* next step starts something new */
    ACT_LOOP, /* running the children of an N+1 loop */
    ACT_TXN,  /* inside BEGIN ... COMMIT */
};

struct conn {
    uint32_t id;        /* thread id */
    int account;        /* index into ACCOUNTS */
    int db;             /* index into DBS, the current schema */
    int prepared;       /* 1: uses server-side prepared statements */
    int connected;      /* 0 until its Connect has been written */
    uint32_t left;      /* ordinary steps before it quits */
    enum act act;       /* what it is doing */
    int pair;           /* ACT_LOOP: index into PAIRS */
    uint32_t variant;   /* ACT_LOOP: table-name variant */
    uint32_t loop_left; /* ACT_LOOP: children still to run */
    uint32_t loop_done; /* ACT_LOOP: children already run */
    uint64_t key;       /* ACT_LOOP: the current key */
    uint32_t txn_left;  /* ACT_TXN: statements before COMMIT */
};

/* Slow-log metrics of one entry. */
struct metrics {
    uint64_t query_us; /* Query_time in microseconds */
    uint64_t lock_us;  /* Lock_time in microseconds */
    uint64_t sent;     /* Rows_sent */
    uint64_t examined; /* Rows_examined */
    uint64_t affected; /* Rows_affected */
    uint64_t bytes;    /* Bytes_sent */
    uint64_t tmp_size; /* Tmp_table_sizes, 0 without a temporary table */
    int full_scan;     /* Full_scan: Yes */
    int full_join;     /* Full_join: Yes */
    int filesort;      /* Filesort: Yes */
};

/* Counts printed at the end, so that a benchmark can check a parser. */
struct stats {
    uint64_t entries; /* slow-log entries, or general-log command lines */
    uint64_t cmds[CMD_COUNT]; /* general log: lines per command */
    uint64_t loops;           /* N+1 loops */
    uint64_t children;        /* statements inside N+1 loops */
    uint64_t fanouts;         /* fan-out bursts */
    uint64_t fan_conns;       /* short-lived connections in fan-outs */
    uint64_t txns;            /* transactions */
    uint64_t hostile;         /* header look-alike strings written */
    uint64_t classes;         /* distinct ordinary classes written */
};

/* The default share of steps that start an N+1 loop, in 1/1000. */
#define DEFAULT_LOOPS_PM 15

struct options {
    enum flavour flavour; /* which log to write */
    uint64_t size;        /* stop after this many bytes */
    uint32_t classes;     /* distinct ordinary statement shapes */
    uint32_t conns;       /* concurrent connections */
    uint64_t seed;        /* PRNG seed */
    int clean;            /* 1: no header look-alike strings */
    uint32_t loops_pm;    /* chance per step to start an N+1 loop, in 1/1000 */
    uint32_t loop_max;    /* most children of one loop (at least 5) */
    const char *path;     /* output file, "-" for stdout */
};

struct gen {
    struct options opt;  /* as parsed */
    FILE *fp;            /* output; not owned when it is stdout */
    char *out;           /* output buffer, OUT_CAP bytes */
    size_t out_len;      /* bytes in out */
    uint64_t flushed;    /* bytes already written to fp */
    int write_failed;    /* 1 once fwrite() failed */
    char *sql;           /* the statement being built, SQL_CAP bytes */
    size_t sql_len;      /* bytes in sql */
    uint64_t rng;        /* splitmix64 state */
    int64_t now_us;      /* the log's clock, microseconds since 1970 */
    int64_t last_sec;    /* second of the last "# Time:" or time prefix */
    int64_t day_sec;     /* second that day and hms spell */
    char day[48];        /* "YYMMDD" or "YYYY-MM-DD" of day_sec */
    char hms[48];        /* " h:mm:ss" (MariaDB) or "hh:mm:ss" (MySQL) */
    int last_db;         /* slow log: schema of the previous entry, or -1 */
    uint32_t next_id;    /* next thread id to hand out */
    struct conn *conns;  /* opt.conns connections */
    unsigned char *seen; /* bitmap of the classes written */
    uint64_t rows;       /* rows the last #R wrote */
    struct stats st;     /* counts */
};

/* --- random numbers -------------------------------------------------- */

static uint64_t rnd(struct gen *g)
{
    uint64_t z;

    g->rng += 0x9e3779b97f4a7c15ULL;
    z = g->rng;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n); n must be below 2^32. */
static uint32_t rnd_below(struct gen *g, uint32_t n)
{
    return (uint32_t)(((rnd(g) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [0, 1). */
static double rnd_unit(struct gen *g)
{
    return (double)(rnd(g) >> 11) * (1.0 / 9007199254740992.0);
}

static int chance(struct gen *g, double p)
{
    return rnd_unit(g) < p;
}

/* Natural logarithm for x > 0, to about 1e-12; see the file comment for why
 * this is not log(). */
static double ln(double x)
{
    static const double LN2 = 0.69314718055994530942;
    double s;
    double s2;
    double term;
    double sum;
    int e = 0;
    int i;

    while (x >= 2.0) {
        x *= 0.5;
        e++;
    }
    while (x < 1.0) {
        x *= 2.0;
        e--;
    }
    /* ln(x) = 2 atanh(s) with s = (x - 1) / (x + 1), |s| <= 1/3. */
    s = (x - 1.0) / (x + 1.0);
    s2 = s * s;
    term = s;
    sum = 0.0;
    for (i = 1; i < 40; i += 2) {
        sum += term / i;
        term *= s2;
    }
    return 2.0 * sum + e * LN2;
}

/* e^x for |x| < 700. */
static double expo(double x)
{
    static const double LN2 = 0.69314718055994530942;
    double r;
    double term = 1.0;
    double sum = 1.0;
    int k;
    int i;

    k = (int)(x / LN2 + (x < 0 ? -0.5 : 0.5));
    r = x - k * LN2;
    for (i = 1; i < 20; i++) {
        term *= r / i;
        sum += term;
    }
    while (k > 0) {
        sum *= 2.0;
        k--;
    }
    while (k < 0) {
        sum *= 0.5;
        k++;
    }
    return sum;
}

/* Approximately standard normal: the sum of 12 uniforms minus 6. Its tails
 * stop at +-6, which the Pareto tail in metrics() makes up for. */
static double gauss(struct gen *g)
{
    double s = 0.0;
    int i;

    for (i = 0; i < 12; i++) {
        s += rnd_unit(g);
    }
    return s - 6.0;
}

/* Exponential with the given mean. */
static double expovariate(struct gen *g, double mean)
{
    return -mean * ln(1.0 - rnd_unit(g));
}

/* --- output ----------------------------------------------------------- */

static void flush_out(struct gen *g)
{
    if (g->out_len > 0 && !g->write_failed) {
        if (fwrite(g->out, 1, g->out_len, g->fp) != g->out_len) {
            g->write_failed = 1;
        }
    }
    g->flushed += g->out_len;
    g->out_len = 0;
}

static void put(struct gen *g, const char *s, size_t n)
{
    if (n > OUT_CAP - g->out_len) {
        flush_out(g);
    }
    if (n > OUT_CAP) {
        /* Never happens: statements are capped at SQL_CAP < OUT_CAP. */
        n = OUT_CAP;
    }
    memcpy(g->out + g->out_len, s, n);
    g->out_len += n;
}

static void puts_(struct gen *g, const char *s)
{
    put(g, s, strlen(s));
}

static void putc_(struct gen *g, char c)
{
    put(g, &c, 1);
}

#define UINT_CAP 24 /* room for any uint64_t in decimal, and padding */

/* Formats v in decimal at the end of tmp, right-aligned in width columns
 * (0 for none); returns the number of bytes, which end tmp. */
static int fmt_uint(char tmp[UINT_CAP], uint64_t v, int width)
{
    int n = 0;

    do {
        tmp[UINT_CAP - 1 - n] = (char)('0' + v % 10);
        v /= 10;
        n++;
    } while (v > 0);
    while (n < width && n < UINT_CAP) {
        tmp[UINT_CAP - 1 - n] = ' ';
        n++;
    }
    return n;
}

/* Writes v in decimal, right-aligned in width columns (0 for none). */
static void put_uint(struct gen *g, uint64_t v, int width)
{
    char tmp[UINT_CAP];
    int n = fmt_uint(tmp, v, width);

    put(g, tmp + UINT_CAP - n, (size_t)n);
}

/* Writes microseconds as seconds with six decimals: "0.000123". */
static void put_secs(struct gen *g, uint64_t us)
{
    char frac[7];
    uint64_t f = us % 1000000;
    int i;

    put_uint(g, us / 1000000, 0);
    for (i = 5; i >= 0; i--) {
        frac[i] = (char)('0' + f % 10);
        f /= 10;
    }
    frac[6] = '\0';
    putc_(g, '.');
    put(g, frac, 6);
}

/* --- the statement buffer --------------------------------------------- */

static void sql_put(struct gen *g, const char *s, size_t n)
{
    if (n > SQL_CAP - g->sql_len) {
        n = SQL_CAP - g->sql_len; /* clips runaway IN lists; none reach it */
    }
    memcpy(g->sql + g->sql_len, s, n);
    g->sql_len += n;
}

static void sql_puts(struct gen *g, const char *s)
{
    sql_put(g, s, strlen(s));
}

static void sql_uint(struct gen *g, uint64_t v)
{
    char tmp[UINT_CAP];
    int n = fmt_uint(tmp, v, 0);

    sql_put(g, tmp + UINT_CAP - n, (size_t)n);
}

/* Two digits with a leading zero. */
static void sql_2d(struct gen *g, int v)
{
    char tmp[2];

    tmp[0] = (char)('0' + v / 10 % 10);
    tmp[1] = (char)('0' + v % 10);
    sql_put(g, tmp, 2);
}

/* The letter suffix of variant v > 0: 1 -> "a", 26 -> "z", 27 -> "aa". */
static void sql_suffix(struct gen *g, uint32_t v)
{
    char tmp[8];
    int n = 0;

    while (v > 0 && n < (int)sizeof(tmp)) {
        v--;
        tmp[sizeof(tmp) - 1 - n] = (char)('a' + v % 26);
        v /= 26;
        n++;
    }
    sql_put(g, "_", 1);
    sql_put(g, tmp + sizeof(tmp) - n, (size_t)n);
}

/* --- values ------------------------------------------------------------ */

/* Ids spread log-uniformly, so small ids are common and large ones exist. */
static uint64_t rnd_id(struct gen *g)
{
    uint32_t bits = 1 + rnd_below(g, 23);

    return 1 + rnd_below(g, 1u << bits);
}

static void sql_datetime(struct gen *g)
{
    time_t t = (time_t)(g->now_us / 1000000) - (time_t)rnd_below(g, 8640000);
    struct tm tm;

    gmtime_r(&t, &tm);
    sql_puts(g, "'");
    sql_uint(g, (uint64_t)tm.tm_year + 1900);
    sql_puts(g, "-");
    sql_2d(g, tm.tm_mon + 1);
    sql_puts(g, "-");
    sql_2d(g, tm.tm_mday);
    sql_puts(g, " ");
    sql_2d(g, tm.tm_hour);
    sql_puts(g, ":");
    sql_2d(g, tm.tm_min);
    sql_puts(g, ":");
    sql_2d(g, tm.tm_sec);
    sql_puts(g, "'");
}

static void sql_odd_string(struct gen *g)
{
    if (!g->opt.clean && chance(g, 0.002)) {
        sql_puts(g, HOSTILE[rnd_below(g, N_HOSTILE)]);
        g->st.hostile++;
    } else if (chance(g, 0.25)) {
        sql_puts(g, ODD[rnd_below(g, N_ODD)]);
    } else {
        sql_puts(g, "'");
        sql_puts(g, WORDS[rnd_below(g, N_WORDS)]);
        sql_puts(g, " ");
        sql_uint(g, rnd_id(g));
        sql_puts(g, "'");
    }
}

/* Writes one value for the letter c. The random draws are the same whether
 * or not prep is set, so a Prepare and its Execute agree. */
static void sql_value(struct gen *g, char c, int prep, uint64_t key)
{
    static const char HEX[] = "0123456789abcdef";
    size_t mark = g->sql_len;
    uint64_t v;
    int i;

    switch (c) {
    case 'i':
        sql_uint(g, rnd_id(g));
        break;
    case 'n':
        sql_uint(g, 1 + rnd_below(g, 100));
        break;
    case 'q':
        v = rnd_id(g);
        if (chance(g, 0.3)) {
            sql_puts(g, "-");
        }
        sql_uint(g, v);
        break;
    case 'f':
        v = rnd_below(g, 5000000);
        sql_uint(g, v / 100);
        sql_puts(g, ".");
        sql_2d(g, (int)(v % 100));
        break;
    case 'b':
        sql_uint(g, rnd_below(g, 2));
        break;
    case 'N':
        v = rnd_id(g);
        if (chance(g, 0.2)) {
            sql_puts(g, "NULL");
        } else {
            sql_uint(g, v);
        }
        break;
    case 't':
        sql_uint(g, (uint64_t)(g->now_us / 1000000) - rnd_below(g, 8640000));
        break;
    case 'd':
        sql_datetime(g);
        break;
    case 's':
        sql_puts(g, "'");
        sql_puts(g, WORDS[rnd_below(g, N_WORDS)]);
        sql_puts(g, "'");
        break;
    case 'S':
        sql_odd_string(g);
        break;
    case 'e':
        sql_puts(g, "'user");
        sql_uint(g, rnd_id(g));
        sql_puts(g, "@example.com'");
        break;
    case 'p':
        sql_puts(g, chance(g, 0.5) ? "'%" : "'");
        sql_put(g, WORDS[rnd_below(g, N_WORDS)], 3);
        sql_puts(g, "%'");
        break;
    case 'h':
        v = rnd(g);
        sql_puts(g, "'");
        for (i = 0; i < 32; i++) {
            if (i == 16) {
                v = rnd(g);
            }
            sql_put(g, &HEX[v & 15], 1);
            v >>= 4;
        }
        sql_puts(g, "'");
        break;
    case 'k':
        sql_uint(g, key);
        break;
    case 'K':
        sql_puts(g, "'proj:g");
        sql_uint(g, key);
        sql_puts(g, "'");
        break;
    default:
        sql_put(g, &c, 1);
        break;
    }
    if (prep) {
        g->sql_len = mark;
        sql_puts(g, "?");
    }
}

/* A list of n values of letter c, comma separated. */
static void sql_list(struct gen *g, char c, uint32_t n, int prep)
{
    uint32_t i;

    for (i = 0; i < n; i++) {
        if (i > 0) {
            sql_puts(g, ", ");
        }
        sql_value(g, c, prep, 0);
    }
}

/* Length of an IN list: mostly short, sometimes hundreds. */
static uint32_t list_len(struct gen *g)
{
    if (chance(g, 0.05)) {
        return 20 + rnd_below(g, 480);
    }
    return 1 + rnd_below(g, 12);
}

/* Renders template text into g->sql. variant 0 keeps table names as they
 * are; prep 1 writes `?` for every value; key is the N+1 loop key. */
static void render(struct gen *g, const char *t, uint32_t variant, int prep,
                   uint64_t key)
{
    const char *p = t;
    const char *run = t;
    const char *end;
    uint32_t n;
    uint32_t i;
    size_t j;

    g->sql_len = 0;
    g->rows = 1;
    while (*p != '\0') {
        if (*p != '{' && *p != '#') {
            p++;
            continue;
        }
        sql_put(g, run, (size_t)(p - run));
        if (*p == '{') {
            end = strchr(p, '}');
            sql_put(g, p + 1, (size_t)(end - p - 1));
            if (variant > 0) {
                sql_suffix(g, variant);
            }
            p = end + 1;
        } else if (p[1] == 'l' || p[1] == 'm') {
            n = p[1] == 'l' ? list_len(g) : 1 + rnd_below(g, 6);
            sql_list(g, p[1] == 'l' ? 'i' : 's', n, prep);
            p += 2;
        } else if (p[1] == 'R') {
            end = strchr(p, ']');
            n = 2 + rnd_below(g, chance(g, 0.1) ? 200 : 20);
            for (i = 0; i < n; i++) {
                sql_puts(g, i > 0 ? ", (" : "(");
                for (j = 3; p + j < end; j++) {
                    if (j > 3) {
                        sql_puts(g, ", ");
                    }
                    sql_value(g, p[j], prep, 0);
                }
                sql_puts(g, ")");
            }
            g->rows = n;
            p = end + 1;
        } else {
            sql_value(g, p[1], prep, key);
            p += 2;
        }
        run = p;
    }
    sql_put(g, run, (size_t)(p - run));
}

/* --- metrics ------------------------------------------------------------ */

/* Median Query_time per kind, in microseconds. */
static const double MEDIAN_US[] = {
    [K_PK] = 60,     [K_RANGE] = 250, [K_SCAN] = 6000, [K_AGG] = 12000,
    [K_JOIN] = 1200, [K_INS] = 180,   [K_INSM] = 1500, [K_UPD] = 300,
    [K_DEL] = 450,   [K_CTL] = 8,     [K_SHOW] = 90,
};

/* Long-tailed Query_time: log-normal around the kind's median, with one
 * statement in 300 multiplied by a Pareto factor (lock waits, cold caches,
 * the odd report), capped at two minutes. */
static uint64_t query_time(struct gen *g, enum kind k)
{
    double us = MEDIAN_US[k] * expo(0.9 * gauss(g));

    if (chance(g, 1.0 / 300)) {
        us *= expo(-ln(1.0 - rnd_unit(g)) / 1.1);
    }
    if (us > 120e6) {
        us = 120e6;
    }
    return us < 1.0 ? 1 : (uint64_t)us;
}

static void metrics(struct gen *g, enum kind k, struct metrics *m)
{
    int write = k == K_INS || k == K_INSM || k == K_UPD || k == K_DEL;
    uint64_t width = 40 + rnd_below(g, 160);

    memset(m, 0, sizeof(*m));
    m->query_us = query_time(g, k);
    if (k == K_CTL) {
        m->lock_us = 0;
    } else {
        m->lock_us = (uint64_t)(10.0 * expo(0.8 * gauss(g))) + (write ? 8 : 0);
        if (write && chance(g, 0.002)) {
            m->lock_us += rnd_below(g, 3000000); /* a row lock wait */
        }
    }
    switch (k) {
    case K_PK:
        m->sent = rnd_below(g, 10) < 8;
        m->examined = m->sent;
        break;
    case K_RANGE:
        m->sent = rnd_below(g, 60);
        m->examined = m->sent + rnd_below(g, 3 * (uint32_t)m->sent + 1);
        break;
    case K_SCAN:
        m->sent = rnd_below(g, 30);
        m->examined = 1000 + rnd_id(g) / 4;
        m->full_scan = 1;
        m->filesort = chance(g, 0.4);
        break;
    case K_AGG:
        m->sent = 1 + rnd_below(g, 100);
        m->examined = m->sent * 10 + rnd_id(g) / 8;
        m->full_scan = chance(g, 0.5);
        m->filesort = 1;
        m->tmp_size = 1048544 + 32 * rnd_below(g, 4096);
        break;
    case K_JOIN:
        m->sent = rnd_below(g, 50);
        m->examined = m->sent * 3 + rnd_below(g, 5000);
        m->full_join = chance(g, 0.1);
        m->full_scan = m->full_join;
        break;
    case K_INS:
        m->affected = 1;
        break;
    case K_INSM:
        m->affected = g->rows;
        break;
    case K_UPD:
    case K_DEL:
        m->affected = rnd_below(g, 4);
        m->examined = m->affected + rnd_below(g, 3);
        break;
    case K_SHOW:
        m->sent = 1 + rnd_below(g, 20);
        m->examined = m->sent;
        break;
    case K_CTL:
        break;
    }
    if (k == K_PK || k == K_RANGE || k == K_SCAN || k == K_AGG || k == K_JOIN ||
        k == K_SHOW) {
        m->bytes = 50 + 20 * 4 + m->sent * width;
    } else {
        m->bytes = 11;
    }
}

/* --- log lines ----------------------------------------------------------- */

/* Moves the clock on by one gap and refreshes the cached date strings. */
static void tick(struct gen *g, double mean_us)
{
    int64_t sec;
    time_t t;
    struct tm tm;

    g->now_us += (int64_t)expovariate(g, mean_us) + 1;
    sec = g->now_us / 1000000;
    if (sec == g->day_sec) {
        return;
    }
    g->day_sec = sec;
    t = (time_t)sec;
    gmtime_r(&t, &tm);
    if (g->opt.flavour == FL_MYSQL_SLOW || g->opt.flavour == FL_MYSQL_GENERAL) {
        snprintf(g->day, sizeof(g->day), "%04d-%02d-%02d", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday);
        snprintf(g->hms, sizeof(g->hms), "%02d:%02d:%02d", tm.tm_hour,
                 tm.tm_min, tm.tm_sec);
    } else {
        snprintf(g->day, sizeof(g->day), "%02d%02d%02d", tm.tm_year % 100,
                 tm.tm_mon + 1, tm.tm_mday);
        snprintf(g->hms, sizeof(g->hms), "%2d:%02d:%02d", tm.tm_hour, tm.tm_min,
                 tm.tm_sec);
    }
}

/* MySQL's "2024-11-25T12:00:00.123456Z". */
static void put_iso(struct gen *g)
{
    char frac[8];
    uint64_t f = (uint64_t)(g->now_us % 1000000);
    int i;

    puts_(g, g->day);
    putc_(g, 'T');
    puts_(g, g->hms);
    frac[0] = '.';
    for (i = 6; i >= 1; i--) {
        frac[i] = (char)('0' + f % 10);
        f /= 10;
    }
    frac[7] = 'Z';
    put(g, frac, 8);
}

static int is_general(const struct gen *g)
{
    return g->opt.flavour == FL_MARIADB_GENERAL ||
           g->opt.flavour == FL_MYSQL_GENERAL;
}

/* One general-log line: time prefix, thread id, command, tab, argument.
 * MariaDB prints the time only when the second changed and pads the id to
 * six columns; MySQL prints the time on every line and pads to five. */
static void general_line(struct gen *g, const struct conn *c, enum cmd cmd,
                         const char *arg, size_t arg_len)
{
    if (g->opt.flavour == FL_MYSQL_GENERAL) {
        put_iso(g);
        putc_(g, '\t');
        put_uint(g, c->id, 5);
    } else {
        if (g->now_us / 1000000 != g->last_sec) {
            g->last_sec = g->now_us / 1000000;
            puts_(g, g->day);
            putc_(g, ' ');
            puts_(g, g->hms);
            putc_(g, '\t');
        } else {
            puts_(g, "\t\t");
        }
        put_uint(g, c->id, 6);
    }
    putc_(g, ' ');
    puts_(g, CMD_NAMES[cmd]);
    putc_(g, '\t');
    put(g, arg, arg_len);
    putc_(g, '\n');
    g->st.cmds[cmd]++;
    g->st.entries++;
}

static void user_host(struct gen *g, const struct account *a)
{
    puts_(g, "# User@Host: ");
    puts_(g, a->user);
    putc_(g, '[');
    puts_(g, a->user);
    puts_(g, "] @ ");
    puts_(g, a->host);
    puts_(g, " [");
    puts_(g, a->ip);
    putc_(g, ']');
}

static const char *yes_no(int v)
{
    return v ? "Yes" : "No";
}

/* The timings and row counts of a slow-log entry, from "# Query_time: "
 * to the number of rows examined (no newline). sent is what stands
 * before the number of rows sent: MySQL has one space before
 * "Rows_sent:", MariaDB two. */
static void put_timings(struct gen *g, const struct metrics *m,
                        const char *sent)
{
    puts_(g, "# Query_time: ");
    put_secs(g, m->query_us);
    puts_(g, "  Lock_time: ");
    put_secs(g, m->lock_us);
    puts_(g, sent);
    put_uint(g, m->sent, 0);
    puts_(g, "  Rows_examined: ");
    put_uint(g, m->examined, 0);
}

/* One slow-log entry for the statement in g->sql. */
static void slow_entry(struct gen *g, const struct conn *c,
                       const struct metrics *m)
{
    const struct account *a = &ACCOUNTS[c->account];
    int64_t sec = g->now_us / 1000000;
    int plan = m->full_scan || m->full_join || m->filesort || m->tmp_size;

    if (g->opt.flavour == FL_MYSQL_SLOW) {
        puts_(g, "# Time: ");
        put_iso(g);
        putc_(g, '\n');
        user_host(g, a);
        puts_(g, "  Id: ");
        put_uint(g, c->id, 5);
        putc_(g, '\n');
        put_timings(g, m, " Rows_sent: ");
        putc_(g, '\n');
    } else {
        if (sec != g->last_sec) {
            g->last_sec = sec;
            puts_(g, "# Time: ");
            puts_(g, g->day);
            putc_(g, ' ');
            puts_(g, g->hms);
            putc_(g, '\n');
        }
        user_host(g, a);
        puts_(g, "\n# Thread_id: ");
        put_uint(g, c->id, 0);
        puts_(g, "  Schema: ");
        puts_(g, DBS[c->db]);
        puts_(g, "  QC_hit: No\n");
        put_timings(g, m, "  Rows_sent: ");
        puts_(g, "\n# Rows_affected: ");
        put_uint(g, m->affected, 0);
        puts_(g, "  Bytes_sent: ");
        put_uint(g, m->bytes, 0);
        putc_(g, '\n');
        if (m->tmp_size > 0) {
            puts_(g, "# Tmp_tables: 1  Tmp_disk_tables: 0  Tmp_table_sizes: ");
            put_uint(g, m->tmp_size, 0);
            putc_(g, '\n');
        }
        if (plan) {
            puts_(g, "# Full_scan: ");
            puts_(g, yes_no(m->full_scan));
            puts_(g, "  Full_join: ");
            puts_(g, yes_no(m->full_join));
            puts_(g, "  Tmp_table: ");
            puts_(g, yes_no(m->tmp_size > 0));
            puts_(g, "  Tmp_table_on_disk: No\n# Filesort: ");
            puts_(g, yes_no(m->filesort));
            puts_(g, "  Filesort_on_disk: No  Merge_passes: 0  "
                     "Priority_queue: No\n");
        }
    }
    /* A change of schema: MySQL writes the name bare, MariaDB quoted. */
    if (c->db != g->last_db) {
        puts_(g, "use ");
        puts_(g, g->opt.flavour == FL_MYSQL_SLOW ? "" : "`");
        puts_(g, DBS[c->db]);
        puts_(g, g->opt.flavour == FL_MYSQL_SLOW ? ";\n" : "`;\n");
    }
    g->last_db = c->db;
    puts_(g, "SET timestamp=");
    put_uint(g, (uint64_t)sec, 0);
    puts_(g, ";\n");
    put(g, g->sql, g->sql_len);
    puts_(g, ";\n");
    g->st.entries++;
}

/* --- the workload --------------------------------------------------------- */

/* How a statement reaches the server on a connection that uses server-side
 * prepared statements; on other connections every statement is a Query. */
enum prep {
    P_QUERY = 0,   /* a plain Query all the same (set-up, BEGIN, USE) */
    P_PREPARE = 1, /* write a Prepare line first */
    P_EXECUTE = 2, /* the statement is an Execute */
    P_CLOSE = 4,   /* write a Close stmt line after it */
    P_ONCE = 7,    /* prepare, execute, close */
};

/* Runs the template on connection c: one entry in the slow log; in the
 * general log a Query line, or Prepare/Execute/Close stmt lines as prep
 * says when c uses prepared statements. gap_us is the mean time since the
 * previous entry. */
static void run_stmt(struct gen *g, struct conn *c, const struct tmpl *t,
                     uint32_t variant, uint64_t key, unsigned prep,
                     double gap_us)
{
    struct metrics m;
    uint64_t saved;

    if (!c->prepared) {
        prep = P_QUERY;
    }
    tick(g, gap_us);
    if (!is_general(g)) {
        render(g, t->sql, variant, 0, key);
        if (chance(g, 0.03)) {
            sql_puts(g, TAGS[rnd_below(g, N_TAGS)]);
        }
        metrics(g, t->kind, &m);
        slow_entry(g, c, &m);
        return;
    }
    if (prep & P_PREPARE) {
        saved = g->rng;
        render(g, t->sql, variant, 1, key);
        general_line(g, c, CMD_PREPARE, g->sql, g->sql_len);
        g->rng = saved;
        tick(g, 15);
    }
    render(g, t->sql, variant, 0, key);
    if (prep == P_QUERY && chance(g, 0.03)) {
        sql_puts(g, TAGS[rnd_below(g, N_TAGS)]);
    }
    general_line(g, c, (prep & P_EXECUTE) ? CMD_EXECUTE : CMD_QUERY, g->sql,
                 g->sql_len);
    if (prep & P_CLOSE) {
        tick(g, 15);
        general_line(g, c, CMD_CLOSE, "", 0);
    }
}

/* A class index, skewed so that a few shapes dominate as in real traffic,
 * with a uniform share so that every class turns up in a large log. */
static uint32_t pick_class(struct gen *g)
{
    uint32_t n = g->opt.classes;
    double u;
    uint32_t k;

    if (chance(g, 0.35)) {
        k = rnd_below(g, n);
    } else {
        u = rnd_unit(g);
        k = (uint32_t)(u * u * u * n);
        if (k >= n) {
            k = n - 1;
        }
    }
    if (!(g->seen[k / 8] & (1u << (k % 8)))) {
        g->seen[k / 8] |= (unsigned char)(1u << (k % 8));
        g->st.classes++;
    }
    return k;
}

static void run_class(struct gen *g, struct conn *c)
{
    uint32_t k = pick_class(g);

    run_stmt(g, c, &TEMPLATES[k % N_TEMPLATES], k / N_TEMPLATES, 0, P_ONCE,
             MEAN_GAP_US);
}

static void run_text(struct gen *g, struct conn *c, enum kind kind,
                     const char *sql)
{
    struct tmpl t;

    t.kind = kind;
    t.sql = sql;
    run_stmt(g, c, &t, 0, 0, P_QUERY, MEAN_GAP_US);
}

/* The number of table-name variants N+1 shapes may use. */
static uint32_t pair_variants(const struct gen *g)
{
    uint32_t v = g->opt.classes / N_TEMPLATES;

    return v > 0 ? v : 1;
}

/* Most connections work in the main schema; a few in the others. */
static int pick_db(struct gen *g)
{
    uint32_t r = rnd_below(g, 100);

    if (r < 80) {
        return 0;
    }
    return 1 + (int)((r - 80) % (N_DBS - 1));
}

static void new_conn(struct gen *g, struct conn *c)
{
    memset(c, 0, sizeof(*c));
    c->id = g->next_id++;
    c->account = (int)rnd_below(g, N_ACCOUNTS);
    c->db = pick_db(g);
    c->prepared = chance(g, 0.15);
    /* Geometric lifetime, mean 400 steps. */
    c->left = (uint32_t)expovariate(g, 400.0);
    c->act = ACT_IDLE;
}

static void connect_line(struct gen *g, struct conn *c)
{
    const struct account *a = &ACCOUNTS[c->account];
    char arg[160];
    int n;

    if (!is_general(g)) {
        return;
    }
    n = snprintf(arg, sizeof(arg), "%s@%s on %s using %s", a->user,
                 a->ip[0] != '\0' ? a->ip : "localhost", DBS[c->db],
                 a->ip[0] != '\0' ? "TCP/IP" : "Socket");
    general_line(g, c, CMD_CONNECT, arg, (size_t)n);
}

static void do_connect(struct gen *g, struct conn *c)
{
    uint32_t i;
    uint32_t n = rnd_below(g, N_SETUP + 1);

    tick(g, MEAN_GAP_US);
    connect_line(g, c);
    for (i = 0; i < n; i++) {
        run_text(g, c, NOISE[i].kind, NOISE[i].sql);
    }
    c->connected = 1;
}

static void do_quit(struct gen *g, struct conn *c)
{
    if (is_general(g)) {
        tick(g, MEAN_GAP_US);
        general_line(g, c, CMD_QUIT, "", 0);
    }
    new_conn(g, c);
}

/* Switches c to another schema: Init DB from a connector, or a USE query.
 * The slow log shows the USE query, and Schema changes either way. */
static void change_db(struct gen *g, struct conn *c)
{
    char sql[64];

    c->db = (int)((c->db + 1 + rnd_below(g, N_DBS - 1)) % N_DBS);
    if (chance(g, 0.5)) {
        snprintf(sql, sizeof(sql), "USE %s", DBS[c->db]);
        run_text(g, c, K_CTL, sql);
    } else if (is_general(g)) {
        tick(g, MEAN_GAP_US);
        general_line(g, c, CMD_INIT_DB, DBS[c->db], strlen(DBS[c->db]));
    }
}

/* Keys of an N+1 loop: ascending with small gaps, like ids read back from
 * the parent's result. */
static void next_key(struct gen *g, struct conn *c)
{
    c->key += 1 + rnd_below(g, 4);
}

static void start_loop(struct gen *g, struct conn *c)
{
    c->pair = (int)rnd_below(g, N_PAIRS);
    c->variant = rnd_below(g, pair_variants(g));
    c->loop_left = 5 + rnd_below(g, g->opt.loop_max - 4);
    c->loop_done = 0;
    c->key = rnd_id(g);
    c->act = ACT_LOOP;
    g->st.loops++;
    run_stmt(g, c, &PAIRS[c->pair].parent, c->variant, 0, P_ONCE, MEAN_GAP_US);
}

/* Runs a burst of 1-4 children: a loop in application code is tight. A
 * prepared child is prepared before the first key, executed once per key
 * and closed after the last one. */
static void step_loop(struct gen *g, struct conn *c)
{
    uint32_t burst = 1 + rnd_below(g, 4);
    unsigned prep;

    while (burst > 0 && c->loop_left > 0) {
        next_key(g, c);
        prep = P_EXECUTE;
        if (c->loop_done == 0) {
            prep |= P_PREPARE;
        }
        if (c->loop_left == 1) {
            prep |= P_CLOSE;
        }
        run_stmt(g, c, &PAIRS[c->pair].child, c->variant, c->key, prep,
                 MEAN_GAP_US / 4);
        g->st.children++;
        c->loop_done++;
        c->loop_left--;
        burst--;
    }
    if (c->loop_left == 0) {
        c->act = ACT_IDLE;
    }
}

/* A parent query on c, then short-lived connections that each run one
 * child: connect all, query all, quit all. */
static void fan_out(struct gen *g, struct conn *c)
{
    struct conn burst[32];
    uint32_t n = 5 + rnd_below(g, 26);
    uint32_t pair = rnd_below(g, N_PAIRS);
    uint32_t variant = rnd_below(g, pair_variants(g));
    uint64_t key = rnd_id(g);
    uint32_t i;

    g->st.fanouts++;
    g->st.fan_conns += n;
    run_stmt(g, c, &PAIRS[pair].parent, variant, 0, P_ONCE, MEAN_GAP_US);
    for (i = 0; i < n; i++) {
        new_conn(g, &burst[i]);
        burst[i].account = c->account;
        burst[i].db = c->db;
        burst[i].prepared = 0;
        tick(g, 20);
        connect_line(g, &burst[i]);
    }
    for (i = 0; i < n; i++) {
        key += 1 + rnd_below(g, 4);
        run_stmt(g, &burst[i], &PAIRS[pair].child, variant, key, P_QUERY, 40);
    }
    for (i = 0; i < n; i++) {
        if (is_general(g)) {
            tick(g, 20);
            general_line(g, &burst[i], CMD_QUIT, "", 0);
        }
    }
}

static void step_txn(struct gen *g, struct conn *c)
{
    if (c->txn_left > 0) {
        c->txn_left--;
        run_class(g, c);
        return;
    }
    run_text(g, c, K_CTL, chance(g, 0.95) ? "COMMIT" : "ROLLBACK");
    c->act = ACT_IDLE;
}

/* One step of connection c. */
static void step(struct gen *g, struct conn *c)
{
    const struct tmpl *t = NULL;
    double r;

    if (!c->connected) {
        do_connect(g, c);
        return;
    }
    if (c->act == ACT_LOOP) {
        step_loop(g, c);
        return;
    }
    if (c->act == ACT_TXN) {
        step_txn(g, c);
        return;
    }
    if (c->left == 0) {
        do_quit(g, c);
        return;
    }
    c->left--;
    r = rnd_unit(g);
    if (g->opt.loops_pm != DEFAULT_LOOPS_PM) {
        /* Another loop share: the rest keep their proportions. */
        double lp = g->opt.loops_pm / 1000.0;

        r = r < lp ? 0.0 : 0.015 + (r - lp) * (1.0 - 0.015) / (1.0 - lp);
    }
    if (r < 0.015) {
        start_loop(g, c);
    } else if (r < 0.050) {
        g->st.txns++;
        c->act = ACT_TXN;
        c->txn_left = 1 + rnd_below(g, 6);
        run_text(g, c, K_CTL, chance(g, 0.7) ? "BEGIN" : "START TRANSACTION");
    } else if (r < 0.0503) {
        fan_out(g, c);
    } else if (r < 0.070) {
        t = &NOISE[N_SETUP + rnd_below(g, N_NOISE - N_SETUP)];
        run_text(g, c, t->kind, t->sql);
    } else if (r < 0.071) {
        change_db(g, c);
    } else {
        run_class(g, c);
    }
}

/* --- set-up ------------------------------------------------------------ */

/* The three lines a server writes when it opens a log file. */
static void banner(struct gen *g)
{
    if (g->opt.flavour == FL_MYSQL_SLOW || g->opt.flavour == FL_MYSQL_GENERAL) {
        puts_(g, "/usr/sbin/mysqld, Version: 8.0.36 (MySQL Community Server "
                 "- GPL). started with:\n"
                 "Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock\n"
                 "Time                 Id Command    Argument\n");
    } else {
        puts_(g, "/usr/sbin/mariadbd, Version: 10.11.19-MariaDB-0+deb12u1-log "
                 "(Debian 12). started with:\n"
                 "Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\n"
                 "Time\t\t    Id Command\tArgument\n");
    }
}

static const char *const FLAVOURS[] = {
    [FL_MARIADB_SLOW] = "mariadb-slow",
    [FL_MYSQL_SLOW] = "mysql-slow",
    [FL_MARIADB_GENERAL] = "mariadb-general",
    [FL_MYSQL_GENERAL] = "mysql-general",
};

static void usage(FILE *fp)
{
    fputs("usage: n1_genlog [options] -o FILE|-\n"
          "Writes a large, realistic MySQL/MariaDB query log; the same\n"
          "options always give the same bytes.\n"
          "\n"
          "  --flavour F       mariadb-slow (default), mysql-slow,\n"
          "                    mariadb-general or mysql-general\n"
          "  --size N          stop after N bytes; K, M, G suffixes are\n"
          "                    powers of 1024 (default 100M)\n"
          "  --classes N       distinct ordinary statement shapes\n"
          "                    (default 300); about 40 fixed noise, control\n"
          "                    and N+1 shapes come on top\n"
          "  --connections N   concurrent, interleaved connections\n"
          "                    (default 64)\n"
          "  --seed S          PRNG seed (default 1)\n"
          "  --clean           leave out strings holding a raw newline and\n"
          "                    a header look-alike (# Time:, # User@Host:)\n"
          "  --loops PM        steps that start an N+1 loop, per mille\n"
          "                    (default 15); a findings-dense log has more\n"
          "  --loop-max N      most lookups in one loop, 5..1000 (default\n"
          "                    50)\n"
          "  -o FILE           output file, - for standard output\n"
          "  -h, --help        this text\n"
          "\n"
          "At the end, one line of counts goes to standard error:\n"
          "entries= is the number of slow-log entries or general-log\n"
          "command lines.\n",
          fp);
}

/* Parses "123", "200M", "1G", "1GiB". Returns 0, or -1 if s is not one. */
static int parse_size(const char *s, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v;
    uint64_t mult = 1;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s) {
        return -1;
    }
    switch (*end) {
    case 'k':
    case 'K':
        mult = 1ULL << 10;
        end++;
        break;
    case 'm':
    case 'M':
        mult = 1ULL << 20;
        end++;
        break;
    case 'g':
    case 'G':
        mult = 1ULL << 30;
        end++;
        break;
    default:
        break;
    }
    if (mult > 1 && (strcmp(end, "iB") == 0 || strcmp(end, "B") == 0)) {
        end += strlen(end);
    }
    if (*end != '\0' || v == 0 || v > UINT64_MAX / mult) {
        return -1;
    }
    *out = (uint64_t)v * mult;
    return 0;
}

static int parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
    char *end = NULL;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

/* Returns 0 on success, 1 after --help, -1 on a usage error (reported). */
static int parse_args(int argc, char **argv, struct options *opt)
{
    const char *name;
    const char *val;
    const char *eq;
    char flag[32];
    int i;
    int f;

    opt->flavour = FL_MARIADB_SLOW;
    opt->size = 100ULL << 20;
    opt->classes = 300;
    opt->conns = 64;
    opt->seed = 1;
    opt->clean = 0;
    opt->loops_pm = DEFAULT_LOOPS_PM;
    opt->loop_max = 50;
    opt->path = NULL;
    for (i = 1; i < argc; i++) {
        name = argv[i];
        val = NULL;
        if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
            usage(stdout);
            return 1;
        }
        if (strcmp(name, "--clean") == 0) {
            opt->clean = 1;
            continue;
        }
        eq = strchr(name, '=');
        if (strncmp(name, "--", 2) == 0 && eq != NULL &&
            (size_t)(eq - name) < sizeof(flag)) {
            memcpy(flag, name, (size_t)(eq - name));
            flag[eq - name] = '\0';
            name = flag;
            val = eq + 1;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            fprintf(stderr, "n1_genlog: USAGE %s needs a value\n", name);
            return -1;
        }
        if (strcmp(name, "--flavour") == 0 || strcmp(name, "--flavor") == 0) {
            for (f = 0; f < 4; f++) {
                if (strcmp(val, FLAVOURS[f]) == 0) {
                    break;
                }
            }
            if (f == 4) {
                fprintf(stderr, "n1_genlog: USAGE unknown flavour '%s'\n", val);
                return -1;
            }
            opt->flavour = (enum flavour)f;
        } else if (strcmp(name, "--size") == 0) {
            if (parse_size(val, &opt->size) != 0) {
                fprintf(stderr, "n1_genlog: USAGE bad size '%s'\n", val);
                return -1;
            }
        } else if (strcmp(name, "--classes") == 0) {
            if (parse_u32(val, 1, MAX_CLASSES, &opt->classes) != 0) {
                fprintf(stderr, "n1_genlog: USAGE --classes wants 1..%u\n",
                        MAX_CLASSES);
                return -1;
            }
        } else if (strcmp(name, "--connections") == 0) {
            if (parse_u32(val, 1, MAX_CONNS, &opt->conns) != 0) {
                fprintf(stderr, "n1_genlog: USAGE --connections wants 1..%u\n",
                        MAX_CONNS);
                return -1;
            }
        } else if (strcmp(name, "--seed") == 0) {
            errno = 0;
            opt->seed = strtoull(val, NULL, 10);
            if (errno != 0) {
                fprintf(stderr, "n1_genlog: USAGE bad seed '%s'\n", val);
                return -1;
            }
        } else if (strcmp(name, "--loops") == 0) {
            if (parse_u32(val, 0, 900, &opt->loops_pm) != 0) {
                fprintf(stderr, "n1_genlog: USAGE --loops wants 0..900\n");
                return -1;
            }
        } else if (strcmp(name, "--loop-max") == 0) {
            if (parse_u32(val, 5, 1000, &opt->loop_max) != 0) {
                fprintf(stderr, "n1_genlog: USAGE --loop-max wants 5..1000\n");
                return -1;
            }
        } else if (strcmp(name, "-o") == 0 || strcmp(name, "--output") == 0) {
            opt->path = val;
        } else {
            fprintf(stderr, "n1_genlog: USAGE unknown option '%s'\n", name);
            return -1;
        }
    }
    if (opt->path == NULL) {
        fprintf(stderr, "n1_genlog: USAGE -o FILE is required (- for "
                        "standard output); see --help\n");
        return -1;
    }
    return 0;
}

static void report(const struct gen *g)
{
    const struct stats *s = &g->st;
    uint64_t queries = s->entries;

    if (is_general(g)) {
        queries = s->cmds[CMD_QUERY] + s->cmds[CMD_EXECUTE];
    }

    fprintf(stderr,
            "n1_genlog: flavour=%s bytes=%llu entries=%llu queries=%llu "
            "connects=%llu quits=%llu prepares=%llu executes=%llu "
            "closes=%llu init_db=%llu loops=%llu loop_children=%llu "
            "txns=%llu fanouts=%llu fanout_conns=%llu hostile=%llu "
            "classes=%llu/%u\n",
            FLAVOURS[g->opt.flavour], (unsigned long long)g->flushed,
            (unsigned long long)s->entries, (unsigned long long)queries,
            (unsigned long long)s->cmds[CMD_CONNECT],
            (unsigned long long)s->cmds[CMD_QUIT],
            (unsigned long long)s->cmds[CMD_PREPARE],
            (unsigned long long)s->cmds[CMD_EXECUTE],
            (unsigned long long)s->cmds[CMD_CLOSE],
            (unsigned long long)s->cmds[CMD_INIT_DB],
            (unsigned long long)s->loops, (unsigned long long)s->children,
            (unsigned long long)s->txns, (unsigned long long)s->fanouts,
            (unsigned long long)s->fan_conns, (unsigned long long)s->hostile,
            (unsigned long long)s->classes, g->opt.classes);
}

int main(int argc, char **argv)
{
    struct gen g;
    uint32_t i;
    int rc = EXIT_USAGE;
    int parsed;

    memset(&g, 0, sizeof(g));
    parsed = parse_args(argc, argv, &g.opt);
    if (parsed != 0) {
        return parsed > 0 ? EXIT_OK : EXIT_USAGE;
    }
    g.out = malloc(OUT_CAP);
    g.sql = malloc(SQL_CAP);
    g.conns = calloc(g.opt.conns, sizeof(*g.conns));
    g.seen = calloc(g.opt.classes / 8 + 1, 1);
    if (g.out == NULL || g.sql == NULL || g.conns == NULL || g.seen == NULL) {
        fprintf(stderr, "n1_genlog: NOMEM out of memory\n");
        goto out;
    }
    if (strcmp(g.opt.path, "-") == 0) {
        g.fp = stdout;
    } else {
        g.fp = fopen(g.opt.path, "wb");
        if (g.fp == NULL) {
            fprintf(stderr, "n1_genlog: IO cannot open %s: %s\n", g.opt.path,
                    strerror(errno));
            goto out;
        }
    }
    g.rng = g.opt.seed;
    g.now_us = EPOCH_US;
    g.last_sec = -1;
    g.day_sec = -1;
    g.last_db = -1;
    g.next_id = 1000;
    tick(&g, 1.0);
    for (i = 0; i < g.opt.conns; i++) {
        new_conn(&g, &g.conns[i]);
    }
    banner(&g);
    while (g.flushed + g.out_len < g.opt.size && !g.write_failed) {
        step(&g, &g.conns[rnd_below(&g, g.opt.conns)]);
    }
    flush_out(&g);
    if (fflush(g.fp) != 0) {
        g.write_failed = 1;
    }
    if (g.write_failed) {
        fprintf(stderr, "n1_genlog: IO cannot write %s: %s\n", g.opt.path,
                strerror(errno));
        goto out;
    }
    report(&g);
    rc = EXIT_OK;
out:
    if (g.fp != NULL && g.fp != stdout && fclose(g.fp) != 0 && rc == EXIT_OK) {
        fprintf(stderr, "n1_genlog: IO cannot close %s: %s\n", g.opt.path,
                strerror(errno));
        rc = EXIT_USAGE;
    }
    free(g.seen);
    free(g.conns);
    free(g.sql);
    free(g.out);
    return rc;
}
