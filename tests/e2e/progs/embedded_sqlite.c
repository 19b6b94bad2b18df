/* embedded_sqlite DB: a program with SQLite compiled in (the amalgamation, built with it and
   instrumented with it).  Creates table t in DB, inserts 2000 rows with one sqlite3_exec each
   inside one transaction, then queries them; prints what the queries return.  exec makes exactly
   2006 calls of sqlite3_exec: create, begin, 2000 inserts, commit, and 3 queries (SQLite itself
   adds its own: sqlite3InitOne reads the schema with sqlite3_exec). */
#include <stdio.h>
#include <stdlib.h>
#include "sqlite3.h"

static sqlite3 *db;

static int print_row(void *arg, int n, char **values, char **names)
{
    (void)arg;
    (void)names;
    for (int i = 0; i < n; i++)
        printf("%s%s", i ? "|" : "", values[i] ? values[i] : "NULL");
    printf("\n");
    return 0;
}

__attribute__((noinline)) static void exec(const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, print_row, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", sql, err ? err : "?");
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: embedded_sqlite DB\n");
        return 2;
    }
    if (sqlite3_open(argv[1], &db) != SQLITE_OK) {
        fprintf(stderr, "cannot open %s\n", argv[1]);
        return 1;
    }
    exec("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, grp INTEGER, score REAL)");
    exec("BEGIN");
    for (int i = 1; i <= 2000; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "INSERT INTO t VALUES(%d, 'name-%05d', %d, %d.%02d)", i,
                 (i * 7907) % 100003, i % 7, (i * 31) % 1000, i % 100);
        exec(sql);
    }
    exec("COMMIT");
    exec("SELECT count(*), sum(id), sum(grp), round(sum(score), 2) FROM t");
    exec("SELECT grp, count(*), min(name), max(name), round(avg(score), 4) FROM t GROUP BY grp ORDER BY grp");
    exec("SELECT id, name FROM t WHERE id % 250 = 0 ORDER BY name DESC");
    sqlite3_close(db);
    printf("sqlite %s\n", sqlite3_libversion());
    return 0;
}
