-- sqlite_workload.sql — the SQL the SQLite shell runs in the benchmark, on a :memory: database.
-- run.sh first creates params(n) (orders to insert) and reads customers.sql, which it generates:
-- n/5 customers, one INSERT statement each, in one transaction (so the parser runs per row).
CREATE TABLE orders(id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, amount REAL,
                    status TEXT, note TEXT);
BEGIN;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c, params WHERE x < params.n)
INSERT INTO orders
SELECT x, (x * 7919) % (SELECT n / 5 FROM params) + 1, ((x * 104729) % 100000) / 100.0,
       CASE x % 5 WHEN 0 THEN 'new' WHEN 1 THEN 'paid' WHEN 2 THEN 'shipped'
                  WHEN 3 THEN 'returned' ELSE 'closed' END,
       printf('order %d of batch %d', x, x / 1000)
FROM c;
COMMIT;
CREATE INDEX orders_customer ON orders(customer_id);
CREATE INDEX orders_status_amount ON orders(status, amount);
CREATE INDEX customer_region ON customer(region, name);
SELECT 'by status', status, count(*), round(sum(amount), 2), round(avg(amount), 4)
FROM orders GROUP BY status ORDER BY status;
SELECT 'by region', c.region, count(*), round(sum(o.amount), 2)
FROM orders o JOIN customer c ON c.id = o.customer_id GROUP BY c.region ORDER BY c.region;
UPDATE orders SET amount = amount * 1.25 WHERE status = 'new';
UPDATE customer SET score = score + 1.5 WHERE region % 3 = 0;
UPDATE orders SET note = upper(note) WHERE id % 7 = 0;
DELETE FROM orders WHERE status = 'returned' AND amount < 300;
DELETE FROM customer WHERE id % 97 = 0;
SELECT 'top', c.name, count(*), round(sum(o.amount), 2) AS total
FROM customer c JOIN orders o ON o.customer_id = c.id
GROUP BY c.id ORDER BY total DESC, c.name LIMIT 10;
SELECT 'orphans', count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM customer c WHERE c.id = o.customer_id);
SELECT 'like', count(*) FROM orders WHERE note LIKE '%BATCH 7%';
SELECT 'above avg', count(*), round(max(amount), 2) FROM orders WHERE amount > (SELECT avg(amount) FROM orders);
SELECT 'regions', region, count(*), round(avg(score), 3), min(name), max(name)
FROM customer GROUP BY region HAVING count(*) > 10 ORDER BY region LIMIT 20;
SELECT 'totals', count(*), round(sum(amount), 2), count(DISTINCT customer_id) FROM orders;
PRAGMA integrity_check;
