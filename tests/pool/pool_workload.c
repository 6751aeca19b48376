/* SPDX-License-Identifier: MIT */
/*
 * pool_workload.c: serve a mixed web-shop workload through a pool of
 * long-lived connections and write down every planted N+1 loop.
 *
 * usage: n1_pool_workload --socket PATH --truth FILE [--style STYLE]
 *                         [--requests N] [--pool P] [--concurrency C]
 *                         [--seed S] [--db NAME]
 *
 * The program creates a small shop schema with data, opens P connections
 * and serves N requests through them. Each request is one of a dozen
 * request types (product page, category listing, cart, checkout, ...).
 * Every request starts with the same hot statements (session by token,
 * user by id, cart badge count) with keys that change per request, so on
 * each pooled connection those fingerprints recur once per request. Some
 * request types hold a planted N+1 loop with a random iteration count;
 * others only look like loops (three lookups in three tables, two rows
 * read by id).
 *
 * A request is generated whole, as a script of statements with literal
 * values (as ORMs send them), bound to a free connection of the pool, and
 * then executed one statement at a time, interleaved with the other
 * requests in flight (up to C at once, one thread). So the logs show the
 * lines of several connections mixed, but one request runs wholly on one
 * connection, and a connection runs one request at a time.
 *
 * STYLE is what the pool does between requests:
 *   rollback     ROLLBACK when the connection returns to the pool (no
 *                transaction is open then); some requests also start
 *                with SET autocommit=1
 *   none         nothing
 *   traceparent  nothing, but every statement ends with a sqlcommenter
 *                comment holding route='...',traceparent='00-T-S-01',
 *                with a new trace id T per request and a new span id S
 *                per statement (keys sorted, values url-encoded)
 *   reset        mysql_reset_connection() on return (COM_RESET_CONNECTION)
 *   change_user  mysql_change_user() on return (COM_CHANGE_USER)
 *
 * The truth file gets one JSON object per line:
 *
 *   {"request":7,"conn":12,"style":"none","type":"cart","q_first":40,
 *    "q_last":52}
 *   {"conn":12,"request":7,"style":"none","kind":"n_plus_one",
 *    "loop":"cart.product","count":9,"q":[44,...],"statements":[...]}
 *
 * q_first/q_last and q count Query commands on the connection, 1-based,
 * from its connect: q[i] is the ordinal of statements[i], the exact text
 * sent. A request line covers the pool's own statements around it. A loop
 * whose body has two statements gives two loop lines. Any unexpected API
 * result ends the program with a one-line message and exit status 1.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#define WL_PROGRAM "n1_pool_workload"
#include "../integration/wl_common.h"

#define MAX_POOL  64
#define MAX_LOOPS 4
#define SQL_MAX   1024
#define TOKEN_LEN 32

/* Sizes of the seeded data; the generators below rely on them. */
#define N_CATEGORIES    40
#define N_PRODUCTS      2000
#define N_USERS         300  /* user i is customer i */
#define N_SESSIONS      1000 /* session s belongs to user 1 + s % N_USERS */
#define PER_CUSTOMER    40   /* seeded orders and project groups per user */
#define N_DAYS          30   /* seeded order o was placed on day o % N_DAYS */
#define FIRST_NEW_ORDER 100001

enum style {
    STYLE_ROLLBACK = 0, /* ROLLBACK on return */
    STYLE_NONE,         /* nothing between requests */
    STYLE_TRACEPARENT,  /* sqlcommenter tags on every statement */
    STYLE_RESET,        /* COM_RESET_CONNECTION on return */
    STYLE_CHANGE_USER,  /* COM_CHANGE_USER on return */
    STYLE_COUNT
};

static const char *const style_names[STYLE_COUNT] = {
    "rollback", "none", "traceparent", "reset", "change_user",
};

enum step_kind {
    STEP_QUERY = 0,  /* mysql_real_query() */
    STEP_RESET,      /* mysql_reset_connection() */
    STEP_CHANGE_USER /* mysql_change_user() */
};

/* One command of a request's script. */
struct step {
    enum step_kind kind;
    char *sql;       /* STEP_QUERY: the exact text; owned */
    int loop;        /* index into request.loops, or -1 */
    unsigned long q; /* Query ordinal on the connection, once run */
};

/* A request: its script, its loops, and how far it has run. */
struct request {
    unsigned long n;              /* 1-based request number */
    const char *type;             /* request type name */
    const char *route;            /* url-encoded route template */
    char trace[TOKEN_LEN + 1];    /* trace id (traceparent style) */
    struct step *steps;           /* the script; owned */
    size_t n_steps;               /* used entries of steps */
    size_t cap;                   /* allocated entries of steps */
    size_t next;                  /* next step to run */
    const char *loops[MAX_LOOPS]; /* planted loop names */
    size_t n_loops;               /* used entries of loops */
    int checkout;                 /* holds row locks until it ends */
};

/* One pooled connection. */
struct pconn {
    MYSQL *my;           /* the handle */
    unsigned long id;    /* mysql_thread_id() */
    unsigned long nq;    /* Query commands sent since connect */
    struct request *req; /* request running on it, or NULL; owned */
};

struct opts {
    const char *socket;     /* server socket */
    const char *truth;      /* truth file path */
    const char *db;         /* schema to create and use */
    enum style style;       /* pool style */
    unsigned long requests; /* requests to serve */
    unsigned pool;          /* pooled connections */
    unsigned concurrency;   /* requests in flight at most */
    uint64_t seed;          /* RNG seed */
};

struct pool {
    struct opts o;                 /* options */
    uint64_t rng;                  /* splitmix64 state */
    struct pconn conns[MAX_POOL];  /* the pool */
    FILE *truth;                   /* truth output */
    char (*tokens)[TOKEN_LEN + 1]; /* session tokens, index s - 1 */
    unsigned long started;         /* requests generated */
    unsigned long in_flight;       /* requests running */
    unsigned long next_order;      /* id of the next order checkout makes */
    int pending;                   /* drawn request type not started, -1 */
    int checkout_busy;             /* a checkout is in flight */
};

static uint64_t rnd(struct pool *p)
{
    uint64_t z;

    p->rng += 0x9e3779b97f4a7c15ULL;
    z = p->rng;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A uniform integer in [lo, hi]. */
static unsigned long between(struct pool *p, unsigned long lo, unsigned long hi)
{
    return lo + (unsigned long)(rnd(p) % (hi - lo + 1));
}

/* Writes n random lower-case hex digits and a NUL to out. */
static void hex_id(struct pool *p, char *out, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[i] = digits[rnd(p) & 15];
    }
    out[n] = '\0';
}

/* Writes s as a JSON string; every text here is ASCII or valid UTF-8. */
static void json_str(FILE *f, const char *s)
{
    for (fputc('"', f); *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;

        if (ch == '"' || ch == '\\') {
            fputc('\\', f);
            fputc(ch, f);
        } else if (ch < 0x20) {
            fprintf(f, "\\u%04x", ch);
        } else {
            fputc(ch, f);
        }
    }
    fputc('"', f);
}

/* ---- the server ---- */

static MYSQL *connect_to(const struct opts *o, const char *db)
{
    MYSQL *my = NULL;
    unsigned timeout = 10;

    my = mysql_init(NULL);
    if (my == NULL) {
        die("MYSQL mysql_init: out of memory");
    }
    if (mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4") != 0 ||
        mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &timeout) != 0) {
        die("MYSQL mysql_options: %s", mysql_error(my));
    }
    if (mysql_real_connect(my, NULL, "root", NULL, db, 0, o->socket, 0) ==
        NULL) {
        die("CONNECT %s: %s", o->socket, mysql_error(my));
    }
    return my;
}

/* Runs sql and drops its result. Returns the result when keep is set
   (caller frees with mysql_free_result), else NULL. */
static MYSQL_RES *run_sql(MYSQL *my, const char *sql, int keep)
{
    MYSQL_RES *res = NULL;

    if (mysql_real_query(my, sql, strlen(sql)) != 0) {
        die("QUERY %s: %s", sql, mysql_error(my));
    }
    res = mysql_store_result(my);
    if (res == NULL && mysql_field_count(my) != 0) {
        die("QUERY %s: fetching the result: %s", sql, mysql_error(my));
    }
    if (mysql_more_results(my)) {
        die("QUERY %s: unexpected extra result sets", sql);
    }
    if (!keep) {
        mysql_free_result(res);
        res = NULL;
    }
    return res;
}

/*
 * The schema and its data. Every table is filled by one INSERT ... SELECT
 * from MariaDB's sequence tables, so the setup connection shows no loop
 * of its own. The generators compute keys from the same formulas.
 */
static const char *const setup_sql[] = {
    "CREATE TABLE categories (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL,"
    " parent_id INT NULL)",
    "CREATE TABLE products (id INT PRIMARY KEY, category_id INT NOT NULL,"
    " name VARCHAR(96) NOT NULL, price DECIMAL(10,2) NOT NULL,"
    " rating DECIMAL(3,2) NOT NULL, KEY (category_id))",
    "CREATE TABLE stock (product_id INT PRIMARY KEY, qty INT NOT NULL)",
    "CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(96) NOT NULL,"
    " name VARCHAR(64) NOT NULL, role VARCHAR(16) NOT NULL,"
    " password_hash CHAR(32) NOT NULL, last_login DATETIME NULL,"
    " UNIQUE KEY (email))",
    "CREATE TABLE customers (id INT PRIMARY KEY, user_id INT NOT NULL,"
    " name VARCHAR(64) NOT NULL, city VARCHAR(32) NOT NULL)",
    "CREATE TABLE sessions (id INT AUTO_INCREMENT PRIMARY KEY,"
    " token CHAR(32) NOT NULL, user_id INT NOT NULL,"
    " expires_at DATETIME NOT NULL, UNIQUE KEY (token))",
    "CREATE TABLE cart_items (id INT AUTO_INCREMENT PRIMARY KEY,"
    " session_id INT NOT NULL, product_id INT NOT NULL, qty INT NOT NULL,"
    " KEY (session_id))",
    "CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL,"
    " status VARCHAR(16) NOT NULL, total DECIMAL(10,2) NOT NULL,"
    " created_at DATETIME NOT NULL, KEY (customer_id), KEY (created_at))",
    "CREATE TABLE order_items (id INT AUTO_INCREMENT PRIMARY KEY,"
    " order_id INT NOT NULL, product_id INT NOT NULL, qty INT NOT NULL,"
    " price DECIMAL(10,2) NOT NULL, KEY (order_id))",
    "CREATE TABLE reviews (id INT AUTO_INCREMENT PRIMARY KEY,"
    " product_id INT NOT NULL, user_id INT NOT NULL, stars INT NOT NULL,"
    " body VARCHAR(255) NOT NULL, KEY (product_id), KEY (user_id))",
    "CREATE TABLE project_groups (id INT PRIMARY KEY, owner_id INT NOT NULL,"
    " name VARCHAR(64) NOT NULL, KEY (owner_id))",
    "CREATE TABLE profile_settings (id INT AUTO_INCREMENT PRIMARY KEY,"
    " name VARCHAR(64) NOT NULL, value VARCHAR(255) NOT NULL,"
    " UNIQUE KEY (name))",
    "INSERT INTO categories SELECT seq, CONCAT('category ', seq),"
    " IF(seq > 8, 1 + seq % 8, NULL) FROM seq_1_to_40",
    "INSERT INTO products SELECT seq, 1 + (seq - 1) % 40,"
    " CONCAT(ELT(1 + seq % 6, 'red', 'blue', 'oak', 'steel', 'linen',"
    " 'glass'), ' ', ELT(1 + seq % 7, 'lamp', 'chair', 'table', 'mug',"
    " 'shelf', 'rug', 'clock'), ' ', seq), 1 + (seq * 37) % 500, 3"
    " FROM seq_1_to_2000",
    "INSERT INTO stock SELECT seq, 100 FROM seq_1_to_2000",
    "INSERT INTO users SELECT seq, CONCAT('user', seq, '@example.com'),"
    " CONCAT('User ', seq), IF(seq % 50 = 0, 'admin', 'member'),"
    " MD5(CONCAT('pw', seq)), NULL FROM seq_1_to_300",
    "INSERT INTO customers SELECT seq, seq, CONCAT('Customer ', seq),"
    " ELT(1 + seq % 4, 'Lyon', 'Porto', 'Graz', 'Turku') FROM seq_1_to_300",
    "INSERT INTO sessions (id, token, user_id, expires_at)"
    " SELECT seq, MD5(CONCAT('session-', seq)), 1 + seq % 300,"
    " '2030-01-01' FROM seq_1_to_1000",
    /* Session s has 3 + (7 s) % 38 cart items: see cart_size(). */
    "INSERT INTO cart_items (session_id, product_id, qty)"
    " SELECT s.seq, 1 + (s.seq * 131 + j.seq * 977) % 2000, 1 + j.seq % 3"
    " FROM seq_1_to_1000 s JOIN seq_0_to_39 j"
    " ON j.seq < 3 + (s.seq * 7) % 38",
    "INSERT INTO orders SELECT seq, 1 + (seq - 1) DIV 40,"
    " ELT(1 + seq % 3, 'paid', 'shipped', 'returned'), 10 + seq % 90,"
    " '2025-01-01' + INTERVAL (seq % 30) DAY + INTERVAL seq SECOND"
    " FROM seq_1_to_12000",
    "INSERT INTO order_items (order_id, product_id, qty, price)"
    " SELECT o.seq, 1 + (o.seq * 13 + i.seq * 101) % 2000, i.seq, 9.99"
    " FROM seq_1_to_12000 o JOIN seq_1_to_3 i",
    "INSERT INTO reviews (product_id, user_id, stars, body)"
    " SELECT 1 + seq % 2000, 1 + seq % 300, 1 + seq % 5, 'fine'"
    " FROM seq_1_to_4000",
    "INSERT INTO project_groups SELECT seq, 1 + (seq - 1) DIV 40,"
    " CONCAT('group ', seq) FROM seq_1_to_12000",
    "INSERT INTO profile_settings (name, value)"
    " SELECT CONCAT('proj:g', seq), '{\"notify\":true}'"
    " FROM seq_1_to_12000",
};

/* Creates the schema and data, and reads back the session tokens. */
static void setup(struct pool *p)
{
    MYSQL *my = NULL;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    char sql[SQL_MAX];
    size_t i;

    my = connect_to(&p->o, NULL);
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", p->o.db);
    run_sql(my, sql, 0);
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", p->o.db);
    run_sql(my, sql, 0);
    if (mysql_select_db(my, p->o.db) != 0) {
        die("INIT_DB %s: %s", p->o.db, mysql_error(my));
    }
    for (i = 0; i < sizeof(setup_sql) / sizeof(setup_sql[0]); i++) {
        run_sql(my, setup_sql[i], 0);
    }
    p->tokens = calloc(N_SESSIONS, sizeof(*p->tokens));
    if (p->tokens == NULL) {
        die("MEMORY session tokens");
    }
    res = run_sql(my, "SELECT id, token FROM sessions ORDER BY id", 1);
    i = 0;
    while ((row = mysql_fetch_row(res)) != NULL && i < N_SESSIONS) {
        if (strlen(row[1]) != TOKEN_LEN) {
            die("SETUP session %s: bad token", row[0]);
        }
        memcpy(p->tokens[i++], row[1], TOKEN_LEN + 1);
    }
    mysql_free_result(res);
    if (i != N_SESSIONS) {
        die("SETUP read %zu session tokens, expected %d", i, N_SESSIONS);
    }
    mysql_close(my);
}

/* ---- building a request ---- */

static struct request *request_new(struct pool *p, const char *type,
                                   const char *route)
{
    struct request *r = calloc(1, sizeof(*r));

    if (r == NULL) {
        die("MEMORY request");
    }
    r->n = ++p->started;
    r->type = type;
    r->route = route;
    hex_id(p, r->trace, TOKEN_LEN);
    return r;
}

static void request_free(struct request *r)
{
    size_t i;

    if (r == NULL) {
        return;
    }
    for (i = 0; i < r->n_steps; i++) {
        free(r->steps[i].sql);
    }
    free(r->steps);
    free(r);
}

static struct step *add_step(struct request *r, enum step_kind kind)
{
    struct step *s;

    if (r->n_steps == r->cap) {
        size_t cap = r->cap == 0 ? 32 : r->cap * 2;
        struct step *grown = realloc(r->steps, cap * sizeof(*grown));

        if (grown == NULL) {
            die("MEMORY request script");
        }
        r->steps = grown;
        r->cap = cap;
    }
    s = &r->steps[r->n_steps++];
    memset(s, 0, sizeof(*s));
    s->kind = kind;
    s->loop = -1;
    return s;
}

/*
 * Appends a statement to r's script, as part of loop (an index from
 * new_loop(), or -1). In the traceparent style the statement gets the
 * request's sqlcommenter comment with a new span id.
 */
static void add(struct pool *p, struct request *r, int loop, const char *fmt,
                ...) N1_PRINTF(4, 5);

static void add(struct pool *p, struct request *r, int loop, const char *fmt,
                ...)
{
    char sql[SQL_MAX];
    char span[17];
    struct step *s;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(sql)) {
        die("SQL statement too long: %s", fmt);
    }
    if (p->o.style == STYLE_TRACEPARENT) {
        hex_id(p, span, 16);
        n = snprintf(sql + n, sizeof(sql) - (size_t)n,
                     " /*route='%s',traceparent='00-%s-%s-01'*/", r->route,
                     r->trace, span);
        if (n < 0 || (size_t)n >= sizeof(sql) - strlen(sql)) {
            die("SQL statement too long with its comment: %s", fmt);
        }
    }
    s = add_step(r, STEP_QUERY);
    s->sql = strdup(sql);
    if (s->sql == NULL) {
        die("MEMORY statement");
    }
    s->loop = loop;
}

static int new_loop(struct request *r, const char *name)
{
    if (r->n_loops == MAX_LOOPS) {
        die("TOO MANY loops in request type %s", r->type);
    }
    r->loops[r->n_loops] = name;
    return (int)r->n_loops++;
}

static unsigned long session_user(unsigned long s)
{
    return 1 + s % N_USERS;
}

/* Seeded cart of session s: cart_size(s) items, see setup_sql. */
static unsigned long cart_size(unsigned long s)
{
    return 3 + (s * 7) % 38;
}

static unsigned long cart_product(unsigned long s, unsigned long j)
{
    return 1 + (s * 131 + j * 977) % N_PRODUCTS;
}

static unsigned long product_category(unsigned long id)
{
    return 1 + (id - 1) % N_CATEGORIES;
}

/* The hot statements every logged-in request starts with. Returns the
   session id; *user gets its user. */
static unsigned long hot(struct pool *p, struct request *r, unsigned long *user)
{
    unsigned long s = between(p, 1, N_SESSIONS);

    *user = session_user(s);
    add(p, r, -1,
        "SELECT id, user_id, expires_at FROM sessions WHERE token = '%s'",
        p->tokens[s - 1]);
    add(p, r, -1, "SELECT id, email, name, role FROM users WHERE id = %lu",
        *user);
    add(p, r, -1, "SELECT COUNT(*) FROM cart_items WHERE session_id = %lu", s);
    return s;
}

static void category_lookup(struct pool *p, struct request *r, unsigned long c)
{
    add(p, r, -1, "SELECT id, name, parent_id FROM categories WHERE id = %lu",
        c);
}

static void product_lookup(struct pool *p, struct request *r, int loop,
                           unsigned long id)
{
    add(p, r, loop,
        "SELECT id, name, price, category_id FROM products WHERE id = %lu", id);
}

static void gen_product(struct pool *p, struct request *r)
{
    unsigned long u, id = between(p, 1, N_PRODUCTS);

    hot(p, r, &u);
    product_lookup(p, r, -1, id);
    category_lookup(p, r, product_category(id));
    add(p, r, -1, "SELECT qty FROM stock WHERE product_id = %lu", id);
    add(p, r, -1,
        "SELECT id, user_id, stars, body FROM reviews WHERE product_id = %lu"
        " ORDER BY id DESC LIMIT 10",
        id);
}

/* Loop: stock of each product of a category page. */
static void gen_category(struct pool *p, struct request *r)
{
    unsigned long u, i, c = between(p, 1, N_CATEGORIES);
    unsigned long n = between(p, 3, 40), off = between(p, 0, 10);
    int loop;

    hot(p, r, &u);
    category_lookup(p, r, c);
    add(p, r, -1,
        "SELECT id, name, price FROM products WHERE category_id = %lu"
        " ORDER BY id LIMIT %lu OFFSET %lu",
        c, n, off);
    loop = new_loop(r, "category.stock");
    for (i = 0; i < n; i++) {
        add(p, r, loop, "SELECT qty FROM stock WHERE product_id = %lu",
            c + N_CATEGORIES * (off + i));
    }
}

/* Loop: the product of each cart item. */
static void gen_cart(struct pool *p, struct request *r)
{
    unsigned long u, j, s;
    int loop;

    s = hot(p, r, &u);
    add(p, r, -1,
        "SELECT id, product_id, qty FROM cart_items WHERE session_id = %lu", s);
    loop = new_loop(r, "cart.product");
    for (j = 0; j < cart_size(s); j++) {
        product_lookup(p, r, loop, cart_product(s, j));
    }
}

/*
 * Loops: an INSERT per item and an UPDATE per item, either in one
 * transaction around the whole checkout or in one transaction per item
 * (then the two alternate: a two-statement body).
 */
static void gen_checkout(struct pool *p, struct request *r)
{
    unsigned long u, j, s, n, order = p->next_order++;
    int per_item = (int)between(p, 0, 1);
    int ins, upd;

    r->checkout = 1;
    s = hot(p, r, &u);
    n = cart_size(s);
    add(p, r, -1,
        "SELECT id, product_id, qty FROM cart_items WHERE session_id = %lu", s);
    ins = new_loop(r, per_item ? "checkout_item_tx.insert_item"
                               : "checkout_tx.insert_item");
    upd = new_loop(r, per_item ? "checkout_item_tx.update_stock"
                               : "checkout_tx.update_stock");
    if (!per_item) {
        add(p, r, -1, "BEGIN");
    }
    add(p, r, -1,
        "INSERT INTO orders (id, customer_id, status, total, created_at)"
        " VALUES (%lu, %lu, 'new', 0, NOW())",
        order, u);
    for (j = 0; j < n; j++) {
        if (per_item) {
            add(p, r, -1, "BEGIN");
        }
        add(p, r, ins,
            "INSERT INTO order_items (order_id, product_id, qty, price)"
            " VALUES (%lu, %lu, %lu, 9.99)",
            order, cart_product(s, j), 1 + j % 3);
        if (per_item) {
            add(p, r, upd,
                "UPDATE stock SET qty = qty - %lu WHERE product_id = %lu",
                1 + j % 3, cart_product(s, j));
            add(p, r, -1, "COMMIT");
        }
    }
    for (j = 0; !per_item && j < n; j++) {
        add(p, r, upd,
            "UPDATE stock SET qty = qty - %lu WHERE product_id = %lu",
            1 + j % 3, cart_product(s, j));
    }
    add(p, r, -1,
        "UPDATE orders SET status = 'paid', total = %lu WHERE id = %lu", 10 * n,
        order);
    if (!per_item) {
        add(p, r, -1, "COMMIT");
    }
}

static void items_of_order(struct pool *p, struct request *r, int loop,
                           unsigned long order)
{
    add(p, r, loop,
        "SELECT id, product_id, qty, price FROM order_items"
        " WHERE order_id = %lu",
        order);
}

/* Loop: the items of each of a customer's orders. */
static void gen_orders(struct pool *p, struct request *r)
{
    unsigned long u, i, n = between(p, 3, 40);
    int loop;

    hot(p, r, &u);
    add(p, r, -1,
        "SELECT id, status, total FROM orders WHERE customer_id = %lu"
        " ORDER BY id LIMIT %lu",
        u, n);
    loop = new_loop(r, "orders.items");
    for (i = 0; i < n; i++) {
        items_of_order(p, r, loop, (u - 1) * PER_CUSTOMER + 1 + i);
    }
}

/* Two-statement body: for each order of a day, its items, then its
   customer. */
static void gen_report(struct pool *p, struct request *r)
{
    unsigned long u, i, d = between(p, 0, N_DAYS - 1);
    unsigned long n = between(p, 3, 40), off = between(p, 0, 300);
    int items, cust;

    hot(p, r, &u);
    add(p, r, -1,
        "SELECT id, customer_id FROM orders WHERE created_at >= "
        "'2025-01-%02lu' AND created_at < '2025-01-%02lu'"
        " ORDER BY id LIMIT %lu OFFSET %lu",
        d + 1, d + 2, n, off);
    items = new_loop(r, "report.items");
    cust = new_loop(r, "report.customer");
    for (i = 0; i < n; i++) {
        unsigned long o = (d == 0 ? N_DAYS : d) + N_DAYS * (off + i);

        items_of_order(p, r, items, o);
        add(p, r, cust, "SELECT id, name, city FROM customers WHERE id = %lu",
            1 + (o - 1) / PER_CUSTOMER);
    }
}

/* Loop: one settings row per project group. */
static void gen_settings(struct pool *p, struct request *r)
{
    unsigned long u, i, n = between(p, 3, 40);
    int loop;

    hot(p, r, &u);
    add(p, r, -1,
        "SELECT id, name FROM project_groups WHERE owner_id = %lu"
        " ORDER BY id LIMIT %lu",
        u, n);
    loop = new_loop(r, "settings.gid");
    for (i = 0; i < n; i++) {
        add(p, r, loop,
            "SELECT value FROM profile_settings WHERE name = 'proj:g%lu'"
            " LIMIT 1",
            (u - 1) * PER_CUSTOMER + 1 + i);
    }
}

static void gen_dashboard(struct pool *p, struct request *r)
{
    unsigned long u;

    hot(p, r, &u);
    add(p, r, -1, "SELECT COUNT(*) FROM orders WHERE customer_id = %lu", u);
    add(p, r, -1, "SELECT COUNT(*) FROM reviews WHERE user_id = %lu", u);
    add(p, r, -1, "SELECT COUNT(*) FROM project_groups WHERE owner_id = %lu",
        u);
}

/* Not a loop: a search, then two rows read by id. */
static void gen_search(struct pool *p, struct request *r)
{
    static const char *const words[] = {"lamp",  "chair", "oak",   "mug",
                                        "steel", "rug",   "glass", "clock"};
    unsigned long u;

    hot(p, r, &u);
    add(p, r, -1,
        "SELECT id, name, price FROM products WHERE name LIKE '%%%s%%'"
        " ORDER BY rating DESC, id LIMIT 20",
        words[between(p, 0, 7)]);
    product_lookup(p, r, -1, between(p, 1, N_PRODUCTS));
    product_lookup(p, r, -1, between(p, 1, N_PRODUCTS));
}

static void gen_login(struct pool *p, struct request *r)
{
    char token[TOKEN_LEN + 1];
    unsigned long u = between(p, 1, N_USERS);

    hex_id(p, token, TOKEN_LEN);
    add(p, r, -1,
        "SELECT id, email, name, role, password_hash FROM users"
        " WHERE email = 'user%lu@example.com'",
        u);
    add(p, r, -1,
        "INSERT INTO sessions (token, user_id, expires_at)"
        " VALUES ('%s', %lu, NOW() + INTERVAL 1 DAY)",
        token, u);
    add(p, r, -1, "UPDATE users SET last_login = NOW() WHERE id = %lu", u);
}

static void gen_review(struct pool *p, struct request *r)
{
    unsigned long u, id = between(p, 1, N_PRODUCTS);

    hot(p, r, &u);
    add(p, r, -1,
        "INSERT INTO reviews (product_id, user_id, stars, body)"
        " VALUES (%lu, %lu, %lu, 'great value')",
        id, u, between(p, 1, 5));
    add(p, r, -1,
        "UPDATE products SET rating = (SELECT AVG(stars) FROM reviews"
        " WHERE product_id = %lu) WHERE id = %lu",
        id, id);
}

/* Not a loop: one lookup in each of three tables. */
static void gen_profile(struct pool *p, struct request *r)
{
    unsigned long u;

    hot(p, r, &u);
    add(p, r, -1, "SELECT id, name, city FROM customers WHERE id = %lu", u);
    add(p, r, -1, "SELECT id, name FROM project_groups WHERE id = %lu",
        (u - 1) * PER_CUSTOMER + between(p, 1, PER_CUSTOMER));
    add(p, r, -1, "SELECT id, user_id, stars, body FROM reviews WHERE id = %lu",
        between(p, 1, 4000));
}

/* The request types: name, route template (url-encoded as sqlcommenter
   writes it), weight, generator. */
static const struct rtype {
    const char *name;
    const char *route;
    unsigned weight;
    void (*gen)(struct pool *p, struct request *r);
} rtypes[] = {
    {"product", "%2Fproduct%2F%3Aid", 14, gen_product},
    {"category", "%2Fcategory%2F%3Aid", 11, gen_category},
    {"cart", "%2Fcart", 10, gen_cart},
    {"checkout", "%2Fcheckout", 7, gen_checkout},
    {"orders", "%2Faccount%2Forders", 9, gen_orders},
    {"report", "%2Fadmin%2Freports%2Fday", 5, gen_report},
    {"settings", "%2Fsettings", 8, gen_settings},
    {"dashboard", "%2Fdashboard", 10, gen_dashboard},
    {"search", "%2Fsearch", 9, gen_search},
    {"login", "%2Flogin", 6, gen_login},
    {"review", "%2Fproduct%2F%3Aid%2Freviews", 5, gen_review},
    {"profile", "%2Faccount", 6, gen_profile},
};

#define N_RTYPES (sizeof(rtypes) / sizeof(rtypes[0]))

static int draw_type(struct pool *p)
{
    unsigned total = 0, x;
    size_t i;

    for (i = 0; i < N_RTYPES; i++) {
        total += rtypes[i].weight;
    }
    x = (unsigned)between(p, 0, total - 1);
    for (i = 0; x >= rtypes[i].weight; i++) {
        x -= rtypes[i].weight;
    }
    return (int)i;
}

/* Builds request type t with the pool's own commands around it. */
static struct request *generate(struct pool *p, int t)
{
    struct request *r = request_new(p, rtypes[t].name, rtypes[t].route);

    if (p->o.style == STYLE_ROLLBACK && between(p, 0, 1) == 1) {
        add(p, r, -1, "SET autocommit=1");
    }
    rtypes[t].gen(p, r);
    switch (p->o.style) {
    case STYLE_ROLLBACK:
        add(p, r, -1, "ROLLBACK");
        break;
    case STYLE_RESET:
        add_step(r, STEP_RESET);
        break;
    case STYLE_CHANGE_USER:
        add_step(r, STEP_CHANGE_USER);
        break;
    default:
        break;
    }
    return r;
}

/* ---- running requests ---- */

static void write_truth(struct pool *p, const struct pconn *c,
                        const struct request *r)
{
    FILE *f = p->truth;
    const char *style = style_names[p->o.style];
    unsigned long first = 0, last = 0, count;
    size_t i, l;
    const char *sep;

    for (i = 0; i < r->n_steps; i++) {
        if (r->steps[i].kind == STEP_QUERY) {
            first = first == 0 ? r->steps[i].q : first;
            last = r->steps[i].q;
        }
    }
    fprintf(f,
            "{\"request\":%lu,\"conn\":%lu,\"style\":\"%s\",\"type\":\"%s\","
            "\"q_first\":%lu,\"q_last\":%lu}\n",
            r->n, c->id, style, r->type, first, last);
    for (l = 0; l < r->n_loops; l++) {
        count = 0;
        for (i = 0; i < r->n_steps; i++) {
            count += r->steps[i].loop == (int)l;
        }
        fprintf(f,
                "{\"conn\":%lu,\"request\":%lu,\"style\":\"%s\","
                "\"type\":\"%s\",\"kind\":\"n_plus_one\",\"loop\":\"%s\","
                "\"count\":%lu,\"q\":[",
                c->id, r->n, style, r->type, r->loops[l], count);
        sep = "";
        for (i = 0; i < r->n_steps; i++) {
            if (r->steps[i].loop == (int)l) {
                fprintf(f, "%s%lu", sep, r->steps[i].q);
                sep = ",";
            }
        }
        fputs("],\"statements\":[", f);
        sep = "";
        for (i = 0; i < r->n_steps; i++) {
            if (r->steps[i].loop == (int)l) {
                fputs(sep, f);
                json_str(f, r->steps[i].sql);
                sep = ",";
            }
        }
        fputs("]}\n", f);
    }
    if (ferror(f)) {
        die("WRITE %s: %s", p->o.truth, strerror(errno));
    }
}

/* Runs the next step of the request on c; ends the request after its
   last step. */
static void step_once(struct pool *p, struct pconn *c)
{
    struct request *r = c->req;
    struct step *s = &r->steps[r->next++];

    switch (s->kind) {
    case STEP_QUERY:
        run_sql(c->my, s->sql, 0);
        s->q = ++c->nq;
        break;
    case STEP_RESET:
        if (mysql_reset_connection(c->my) != 0) {
            die("RESET connection %lu: %s", c->id, mysql_error(c->my));
        }
        break;
    case STEP_CHANGE_USER:
        if (mysql_change_user(c->my, "root", NULL, p->o.db) != 0) {
            die("CHANGE_USER connection %lu: %s", c->id, mysql_error(c->my));
        }
        break;
    }
    if (r->next < r->n_steps) {
        return;
    }
    write_truth(p, c, r);
    if (r->checkout) {
        p->checkout_busy = 0;
    }
    request_free(r);
    c->req = NULL;
    p->in_flight--;
}

/* A random connection whose busy state is busy, or NULL. */
static struct pconn *pick(struct pool *p, int busy)
{
    struct pconn *cand[MAX_POOL];
    unsigned i, n = 0;

    for (i = 0; i < p->o.pool; i++) {
        if ((p->conns[i].req != NULL) == busy) {
            cand[n++] = &p->conns[i];
        }
    }
    return n == 0 ? NULL : cand[between(p, 0, n - 1)];
}

/*
 * Starts requests on free connections while there is room. A checkout
 * holds row locks until its COMMIT and this one thread cannot wait for a
 * lock, so a second checkout waits until the first has ended.
 */
static void start_requests(struct pool *p)
{
    struct pconn *c;

    while (p->started < p->o.requests && p->in_flight < p->o.concurrency) {
        if (p->pending < 0) {
            p->pending = draw_type(p);
        }
        if (rtypes[p->pending].gen == gen_checkout && p->checkout_busy) {
            return;
        }
        c = pick(p, 0);
        if (c == NULL) {
            return;
        }
        c->req = generate(p, p->pending);
        p->checkout_busy |= c->req->checkout;
        p->pending = -1;
        p->in_flight++;
    }
}

static void serve(struct pool *p)
{
    unsigned i;

    for (i = 0; i < p->o.pool; i++) {
        p->conns[i].my = connect_to(&p->o, p->o.db);
        p->conns[i].id = mysql_thread_id(p->conns[i].my);
    }
    p->pending = -1;
    p->next_order = FIRST_NEW_ORDER;
    for (;;) {
        start_requests(p);
        if (p->in_flight == 0) {
            break;
        }
        step_once(p, pick(p, 1));
    }
    for (i = 0; i < p->o.pool; i++) {
        mysql_close(p->conns[i].my);
    }
}

/* ---- command line ---- */

static void usage(FILE *f)
{
    fputs("usage: n1_pool_workload --socket PATH --truth FILE\n"
          "         [--style rollback|none|traceparent|reset|change_user]\n"
          "         [--requests N] [--pool P] [--concurrency C] [--seed S]\n"
          "         [--db NAME]\n",
          f);
}

static unsigned long parse_num(const char *opt, const char *s,
                               unsigned long max)
{
    char *end = NULL;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v == 0 || v > max) {
        die("USAGE %s: not a number in 1..%lu: %s", opt, max, s);
    }
    return v;
}

static void parse_args(struct opts *o, int argc, char **argv)
{
    int i, k;

    o->db = "n1_pool";
    o->style = STYLE_NONE;
    o->requests = 3000;
    o->pool = 8;
    o->concurrency = 4;
    o->seed = 1;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (v == NULL) {
            usage(stderr);
            die("USAGE %s needs a value", a);
        }
        i++;
        if (strcmp(a, "--socket") == 0) {
            o->socket = v;
        } else if (strcmp(a, "--truth") == 0) {
            o->truth = v;
        } else if (strcmp(a, "--db") == 0) {
            o->db = v;
        } else if (strcmp(a, "--requests") == 0) {
            o->requests = parse_num(a, v, 10000000);
        } else if (strcmp(a, "--pool") == 0) {
            o->pool = (unsigned)parse_num(a, v, MAX_POOL);
        } else if (strcmp(a, "--concurrency") == 0) {
            o->concurrency = (unsigned)parse_num(a, v, MAX_POOL);
        } else if (strcmp(a, "--seed") == 0) {
            o->seed = parse_num(a, v, ~0UL);
        } else if (strcmp(a, "--style") == 0) {
            for (k = 0; k < STYLE_COUNT; k++) {
                if (strcmp(v, style_names[k]) == 0) {
                    break;
                }
            }
            if (k == STYLE_COUNT) {
                die("USAGE --style: unknown style %s", v);
            }
            o->style = (enum style)k;
        } else {
            usage(stderr);
            die("USAGE unknown option %s", a);
        }
    }
    if (o->socket == NULL || o->truth == NULL) {
        usage(stderr);
        die("USAGE --socket and --truth are required");
    }
    if (o->concurrency > o->pool) {
        o->concurrency = o->pool;
    }
}

int main(int argc, char **argv)
{
    struct pool p;

    memset(&p, 0, sizeof(p));
    parse_args(&p.o, argc, argv);
    p.rng = p.o.seed;
    if (mysql_library_init(0, NULL, NULL) != 0) {
        die("MYSQL mysql_library_init failed");
    }
    p.truth = fopen(p.o.truth, "w");
    if (p.truth == NULL) {
        die("OPEN %s: %s", p.o.truth, strerror(errno));
    }
    setup(&p);
    serve(&p);
    if (fclose(p.truth) != 0) {
        die("WRITE %s: %s", p.o.truth, strerror(errno));
    }
    free(p.tokens);
    mysql_library_end();
    return 0;
}
