#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""workload.py: the SQL the corpus capture (tests/corpus/capture.sh) sends
through the mariadb client (with --comments, so comments reach the
server), a few hundred statements written the way applications write
them: N+1 loops, multi-line statements, comments of the three kinds,
keyword case and spacing variants, IN lists of several lengths, UNIONs of
2 and 3 branches, CALLs with 1 and 2 arguments, SQL-level PREPARE and
EXECUTE, transactions, auto-increment inserts, SHOW and SET statements.

usage: workload.py SCHEMA > workload.sql
"""
import sys


def main():
    db = sys.argv[1]
    out = []
    w = out.append
    w("CREATE DATABASE IF NOT EXISTS %s;" % db)
    w("USE %s;" % db)
    w("CREATE TABLE customers (\n  id INT PRIMARY KEY,\n"
      "  name VARCHAR(64) NOT NULL,\n  city VARCHAR(64)\n) ENGINE=InnoDB;")
    w("CREATE TABLE orders (\n  id INT AUTO_INCREMENT PRIMARY KEY,\n"
      "  customer_id INT NOT NULL,\n  amount DECIMAL(10,2),\n"
      "  KEY (customer_id)\n) ENGINE=InnoDB;")
    w("CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, "
      "order_id INT, sku VARCHAR(16), KEY (order_id)) ENGINE=InnoDB;")
    w("DELIMITER //")
    w("CREATE PROCEDURE touch(IN c INT)\nBEGIN\n"
      "  UPDATE customers SET city = city WHERE id = c;\nEND//")
    w("CREATE PROCEDURE touch2(IN c INT, IN d INT)\nBEGIN\n"
      "  SELECT c + d;\nEND//")
    w("DELIMITER ;")
    for i in range(1, 41):
        w("INSERT INTO customers (id, name, city) VALUES (%d, 'c%d', '%s');"
          % (i, i, ["Oslo", "Lima", "Pune"][i % 3]))
    # An N+1 loop: a parent, then one query per order, and the inserts
    # that made them (auto-increment ids).
    for i in range(1, 31):
        w("INSERT INTO orders (customer_id, amount) VALUES (%d, %d.50);"
          % (1 + i % 7, i))
        w("INSERT INTO items (order_id, sku) VALUES (%d, 'S-%d');" % (i, i))
    w("SELECT id FROM orders WHERE customer_id = 3;")
    for i in range(1, 16):
        w("SELECT * FROM items WHERE order_id = %d;" % i)
    # Multi-line statements and comments.
    for i in range(1, 9):
        w("SELECT o.id,\n       o.amount\n  FROM orders o\n"
          "  JOIN customers c ON c.id = o.customer_id\n"
          " WHERE c.city = '%s'\n ORDER BY o.id;"
          % ["Oslo", "Lima"][i % 2])
        w("/* app:shop controller:orders */ SELECT COUNT(*) FROM orders "
          "WHERE customer_id = %d;" % i)
        w("SELECT name FROM customers WHERE id = %d -- trailing\n;" % i)
        w("SELECT name FROM customers # hash comment\nWHERE id = %d;" % i)
        w("SELECT name FROM customers WHERE id = %d "
          "/*controller='users',action='show'*/;" % i)
    # Case, spacing, ASC, IN lists.
    for i in range(1, 7):
        w("select id from customers where city = 'Oslo' order by id asc;")
        w("SELECT id FROM customers WHERE city = 'Lima' ORDER BY id;")
        w("SELECT   id\tFROM customers   WHERE id=%d;" % i)
        w("SELECT id FROM customers WHERE id IN (%s);"
          % ", ".join(str(k) for k in range(1, 2 + i)))
        w("SELECT id FROM customers WHERE id = %d OR id = -%d;" % (i, i))
        w("SELECT VERSION();")
        w("select version();")
        w("SELECT NOW(), SLEEP(0);")
    # UNIONs of two and three branches, CALL with one and two arguments.
    for i in range(1, 5):
        w("SELECT id FROM customers WHERE id = %d UNION SELECT id FROM "
          "orders WHERE id = %d;" % (i, i))
        w("SELECT id FROM customers WHERE id = %d UNION SELECT id FROM "
          "orders WHERE id = %d UNION SELECT id FROM items WHERE id = %d;"
          % (i, i, i))
        w("SELECT id FROM customers UNION ALL SELECT id FROM orders;")
        w("CALL touch(%d);" % i)
        w("CALL touch2(%d, %d);" % (i, i + 1))
    # SQL-level prepared statements.
    w("PREPARE ps FROM 'SELECT name FROM customers WHERE id = ?';")
    for i in range(1, 9):
        w("SET @k = %d;" % i)
        w("EXECUTE ps USING @k;")
    w("DEALLOCATE PREPARE ps;")
    # Transactions, updates, deletes, session statements.
    for i in range(1, 11):
        w("BEGIN;")
        w("UPDATE orders SET amount = amount + 1 WHERE id = %d;" % i)
        w("INSERT INTO items (order_id, sku) VALUES (%d, 'T-%d'), "
          "(%d, 'U-%d');" % (i, i, i, i))
        w("COMMIT;")
    w("DELETE FROM items WHERE sku LIKE 'U-%';")
    w("SET NAMES utf8mb4;")
    w("SET SESSION sql_mode = 'STRICT_TRANS_TABLES';")
    w("SHOW TABLES;")
    w("SHOW CREATE TABLE orders;")
    w("SHOW VARIABLES LIKE 'long_query_time';")
    w("show global status like 'Uptime';")
    w("EXPLAIN SELECT * FROM orders WHERE customer_id = 2;")
    w("ANALYZE TABLE orders;")
    w("OPTIMIZE TABLE items;")
    w("ALTER TABLE items ADD COLUMN qty INT DEFAULT 1;")
    w("CREATE INDEX items_sku ON items (sku);")
    w("SELECT SUM(amount) FROM orders GROUP BY customer_id WITH ROLLUP;")
    w("SELECT * FROM customers LIMIT 5 OFFSET 10;")
    w("SELECT * FROM customers WHERE name LIKE 'c1%' AND city IS NOT NULL;")
    w("INSERT INTO customers (id, name) VALUES (100, 'x') "
      "ON DUPLICATE KEY UPDATE name = VALUES(name);")
    w("REPLACE INTO customers (id, name) VALUES (101, 'y');")
    w("SELECT 'it''s', \"dq\", 0x41, 1.5e3, -2, NULL, TRUE;")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
