/* The public API: ctimer_run_table() names the run (or is NULL when nothing is recorded), and after
   ctimer_flush() this thread's completed calls are in the database while the program still runs.
   Prints the table name and, read back through SQLite, the number of rows of step. */
#include <ctimer.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

static volatile int sink;

__attribute__((noinline)) void step(int i) { sink += i; }

static long count_rows(const char *table)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    char sql[256];
    long n = -1;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s_calls WHERE function = 'step'", table);
    if (sqlite3_open(getenv("CTIMER_DB"), &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
}

int main(void)
{
    for (int i = 0; i < 1000; i++)
        step(i);
    const char *table = ctimer_run_table();
    printf("table %s\n", table ? table : "(none)");
    ctimer_flush();
    if (table)
        printf("rows after flush %ld\n", count_rows(table));
    return 0;
}
