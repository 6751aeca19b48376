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


def shape(k):
    uid = rng.randint(1, 40)
    if k == 0:
        return f"SELECT * FROM users WHERE id = {uid}"
    if k == 1:
        return f"SELECT name FROM users WHERE email = 'u{uid}@example.com'"
    if k == 2:
        return f"SELECT COUNT(*) FROM orders WHERE user_id = {uid}"
    if k == 3:
        return ("SELECT o.id, u.name FROM orders o JOIN users u ON "
                f"u.id = o.user_id WHERE o.amount > {rng.randint(0, 900)}")
    if k == 4:
        ids = ", ".join(str(rng.randint(1, 40))
                        for _ in range(rng.randint(1, 12)))
        return f"SELECT * FROM orders WHERE user_id IN ({ids})"
    if k == 5:
        return ("INSERT INTO orders (user_id, amount, note) VALUES "
                f"({uid}, {rng.randint(1, 1000)}, 'n{rng.randint(1, 99)}')")
    if k == 6:
        rows = ", ".join(f"('m{rng.randint(1, 999)}')"
                         for _ in range(rng.randint(1, 6)))
        return f"INSERT INTO audit (msg) VALUES {rows}"
    if k == 7:
        return f"UPDATE users SET name = 'n{rng.randint(1, 999)}' WHERE id = {uid}"
    if k == 8:
        return f"DELETE FROM audit WHERE id = {rng.randint(1, 200)}"
    if k == 9:
        return f"SELECT SLEEP({rng.choice([0.001, 0.002, 0.005, 0.01, 0.02])})"
    if k == 10:
        return ("SELECT user_id, SUM(amount) FROM orders GROUP BY user_id "
                f"ORDER BY 2 DESC LIMIT {rng.randint(1, 10)}")
    if k == 11:
        return "SELECT * FROM orders ORDER BY amount DESC LIMIT 5"
    if k == 12:
        return ("SELECT u.id FROM users u WHERE EXISTS (SELECT 1 FROM orders o "
                f"WHERE o.user_id = u.id AND o.amount > {rng.randint(0, 999)})")
    if k == 13:
        a = rng.randint(1, 100)
        return (f"UPDATE orders SET amount = amount + 1 WHERE id BETWEEN {a} "
                f"AND {a + rng.randint(1, 20)}")
    if k == 14:
        return f"SELECT id FROM users WHERE name LIKE 'user{uid}%'"
    if k == 15:
        return (f"SELECT BENCHMARK({rng.choice([100, 1000, 10000, 50000])}, "
                f"MD5('x{uid}'))")
    if k == 16:
        return f"SELECT amount FROM orders WHERE id = {rng.randint(1, 100)}"
    if k == 17:
        return "SHOW STATUS LIKE 'Threads%'"
    if k == 18:
        return f"SELECT MAX(amount), MIN(amount) FROM orders WHERE user_id > {uid}"
    return f"SELECT email FROM users WHERE id < {uid} ORDER BY id DESC"


for _ in range(320):
    k = rng.randint(0, 19)
    if k == 19 and rng.random() < 0.3:
        emit("BEGIN")
        emit(f"SELECT * FROM users WHERE id = {rng.randint(1, 40)} FOR UPDATE")
        emit("COMMIT")
        continue
    emit(shape(k))

sys.stdout.write("".join(s + ";\n" for s in out))
