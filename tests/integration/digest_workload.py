#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the SQL script of the digest comparison workload to stdout.

About twenty statement shapes, a few hundred statements, literals and
timings varied by a fixed seed (SLEEP and BENCHMARK spread the query
times over four decades). The shapes avoid the spellings where n1digest
and pt-query-digest group differently on purpose (docs/fingerprint.md):
no hex literals, no LIMIT offsets, no TRUE/FALSE, lower-case names, and
no ';' inside strings (the comparer splits statements on it).
"""
import random
import sys

rng = random.Random(20241125)
out = []
emit = out.append

emit("CREATE DATABASE n1_dig")
emit("USE n1_dig")
emit("CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(64), "
     "email VARCHAR(64), KEY (email))")
emit("CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, user_id INT, "
     "amount INT, note VARCHAR(64), KEY (user_id))")
emit("CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, msg "
     "VARCHAR(64))")
for i in range(1, 41):
    emit(f"INSERT INTO users (id, name, email) VALUES ({i}, 'user{i}', "
         f"'u{i}@example.com')")


def id_list():
    """user_id IN list: 1 to 12 ids."""
    return ", ".join(str(rng.randint(1, 40))
                     for _ in range(rng.randint(1, 12)))


def audit_rows():
    """VALUES rows for audit: 1 to 6 of them."""
    return ", ".join(f"('m{rng.randint(1, 999)}')"
                     for _ in range(rng.randint(1, 6)))


def between():
    """BETWEEN bounds: a range of 1 to 20 ids from 1 to 100."""
    a = rng.randint(1, 100)
    return f"{a} AND {a + rng.randint(1, 20)}"


# The statement shapes, by number: each takes the random user id drawn
# for the statement and draws the rest of its literals in text order.
SHAPES = [
    lambda uid: f"SELECT * FROM users WHERE id = {uid}",
    lambda uid: f"SELECT name FROM users WHERE email = 'u{uid}@example.com'",
    lambda uid: f"SELECT COUNT(*) FROM orders WHERE user_id = {uid}",
    lambda uid: ("SELECT o.id, u.name FROM orders o JOIN users u ON "
                 f"u.id = o.user_id WHERE o.amount > {rng.randint(0, 900)}"),
    lambda uid: f"SELECT * FROM orders WHERE user_id IN ({id_list()})",
    lambda uid: ("INSERT INTO orders (user_id, amount, note) VALUES "
                 f"({uid}, {rng.randint(1, 1000)}, 'n{rng.randint(1, 99)}')"),
    lambda uid: f"INSERT INTO audit (msg) VALUES {audit_rows()}",
    lambda uid: (f"UPDATE users SET name = 'n{rng.randint(1, 999)}' "
                 f"WHERE id = {uid}"),
    lambda uid: f"DELETE FROM audit WHERE id = {rng.randint(1, 200)}",
    lambda uid: ("SELECT SLEEP("
                 f"{rng.choice([0.001, 0.002, 0.005, 0.01, 0.02])})"),
    lambda uid: ("SELECT user_id, SUM(amount) FROM orders GROUP BY user_id "
                 f"ORDER BY 2 DESC LIMIT {rng.randint(1, 10)}"),
    lambda uid: "SELECT * FROM orders ORDER BY amount DESC LIMIT 5",
    lambda uid: ("SELECT u.id FROM users u WHERE EXISTS (SELECT 1 FROM "
                 "orders o WHERE o.user_id = u.id AND o.amount > "
                 f"{rng.randint(0, 999)})"),
    lambda uid: ("UPDATE orders SET amount = amount + 1 WHERE id BETWEEN "
                 f"{between()}"),
    lambda uid: f"SELECT id FROM users WHERE name LIKE 'user{uid}%'",
    lambda uid: (f"SELECT BENCHMARK({rng.choice([100, 1000, 10000, 50000])}, "
                 f"MD5('x{uid}'))"),
    lambda uid: f"SELECT amount FROM orders WHERE id = {rng.randint(1, 100)}",
    lambda uid: "SHOW STATUS LIKE 'Threads%'",
    lambda uid: ("SELECT MAX(amount), MIN(amount) FROM orders WHERE "
                 f"user_id > {uid}"),
    lambda uid: f"SELECT email FROM users WHERE id < {uid} ORDER BY id DESC",
]


def shape(k):
    """Statement k, with a random user id drawn first."""
    uid = rng.randint(1, 40)
    return SHAPES[k](uid)


for _ in range(320):
    k = rng.randint(0, 19)
    if k == 19 and rng.random() < 0.3:
        emit("BEGIN")
        emit(f"SELECT * FROM users WHERE id = {rng.randint(1, 40)} FOR UPDATE")
        emit("COMMIT")
        continue
    emit(shape(k))

sys.stdout.write("".join(s + ";\n" for s in out))
