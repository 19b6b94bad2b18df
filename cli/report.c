/* report.c — `ctimer report`: the top functions of a run, from its exact summary views. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char USAGE[] =
    "usage: ctimer report [DB] [RUN] [--by function|thread] [--sort calls|total|self|avg|max]\n"
    "                     [--limit N] [--json]\n"
    "The top functions of RUN (default: the latest) by self time: calls, total (inclusive) time,\n"
    "self time, average and longest call, and the number of threads that called each.  Methods are\n"
    "shown as struct.field.  Calls are exact in every recording mode (from RUN_summary /\n"
    "RUN_thread_summary); a time marked ~ is an estimate from sampled calls (the function was counted,\n"
    "CTIMER_TIMING), and - a function whose calls were counted and never timed.\n"
    "  --by thread   one block per thread (tid and name), its top functions\n"
    "  --sort KEY    order by calls, total, self (default), avg or max, largest first\n"
    "  --limit N     at most N functions (per thread with --by thread); default 20, 0 for all\n"
    "  --json        one JSON array of objects, times in ns\n";

static const char *const SORTS[] = {"calls", "total", "self", "avg", "max"};
static const char *const SORT_COLS[] = {"calls", "total_ns", "self_ns", "avg_ns", "max_ns"};

struct report_opts {
    const char *path, *run;
    int by_thread, json, sort;
    long limit;
};

static int parse(int argc, char **argv, struct report_opts *o)
{
    char *pos[3];
    int npos = 0;
    o->sort = 2;
    o->limit = 20;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0)
            o->json = 1;
        else if (strcmp(a, "--by") == 0) {
            const char *v = i + 1 < argc ? argv[++i] : NULL;
            if (v && strcmp(v, "thread") == 0)
                o->by_thread = 1;
            else if (v && strcmp(v, "function") == 0)
                o->by_thread = 0;
            else {
                cli_error("report: --by takes 'function' or 'thread', not '%s'", v ? v : "");
                return EXIT_USAGE;
            }
        } else if (strcmp(a, "--sort") == 0) {
            const char *v = i + 1 < argc ? argv[++i] : "";
            o->sort = -1;
            for (int k = 0; k < 5; k++)
                if (strcmp(v, SORTS[k]) == 0)
                    o->sort = k;
            if (o->sort < 0) {
                cli_error("report: --sort takes calls, total, self, avg or max, not '%s'", v);
                return EXIT_USAGE;
            }
        } else if (strcmp(a, "--limit") == 0) {
            if (cli_parse_count("--limit", i + 1 < argc ? argv[++i] : NULL, &o->limit))
                return EXIT_USAGE;
        } else if (a[0] == '-' && a[1]) {
            cli_error("report: unknown option '%s' (see ctimer report --help)", a);
            return EXIT_USAGE;
        } else if (npos < 3)
            pos[npos++] = argv[i];
        else {
            cli_error("report: too many arguments: '%s'", a);
            return EXIT_USAGE;
        }
    }
    return cli_db_run_args(npos, pos, &o->path, &o->run);
}

static void json_row(sqlite3_stmt *st, int by_thread, int first)
{
    fputs(first ? "\n {" : ",\n {", stdout);
    int c = 0;
    if (by_thread) {
        printf("\"thread\":%lld,\"tid\":%lld,\"thread_name\":", (long long)sqlite3_column_int64(st, 0),
               (long long)sqlite3_column_int64(st, 1));
        if (sqlite3_column_type(st, 2) == SQLITE_NULL)
            fputs("null", stdout);
        else
            json_str(stdout, (const char *)sqlite3_column_text(st, 2));
        fputc(',', stdout);
        c = 3;
    }
    fputs("\"name\":", stdout);
    json_str(stdout, (const char *)sqlite3_column_text(st, c));
    printf(",\"calls\":%lld", (long long)sqlite3_column_int64(st, c + 1));
    static const char *const keys[] = {"total_ns", "self_ns", "avg_ns", "max_ns"};
    for (int k = 0; k < 4; k++) {
        printf(",\"%s\":", keys[k]);
        if (sqlite3_column_type(st, c + 2 + k) == SQLITE_NULL)
            fputs("null", stdout); /* counted, never timed */
        else if (k == 2)
            printf("%.1f", sqlite3_column_double(st, c + 2 + k));
        else
            printf("%lld", (long long)sqlite3_column_int64(st, c + 2 + k));
    }
    int tc = c + 6;
    if (!by_thread)
        printf(",\"threads\":%lld", (long long)sqlite3_column_int64(st, tc++));
    fputs(",\"timing\":", stdout);
    json_str(stdout, (const char *)sqlite3_column_text(st, tc));
    fputs("}", stdout);
}

/* A time column: "-" when NULL (never timed), "~" before an estimate. */
static void fmt_time(char *out, size_t n, sqlite3_stmt *st, int col, int estimate)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL) {
        snprintf(out, n, "-");
        return;
    }
    size_t k = 0;
    if (estimate && n > 1)
        out[k++] = '~';
    fmt_ns(out + k, n - k, sqlite3_column_double(st, col));
}

int cmd_report(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, USAGE))
        return 0;
    struct report_opts o = {0};
    if (parse(argc, argv, &o))
        return EXIT_USAGE;
    char table[128];
    sqlite3 *db = cli_open_run(o.path, o.run, table, sizeof table);
    if (!db)
        return EXIT_USAGE;
    char sql[1536];
    const char *col = SORT_COLS[o.sort];
    if (o.by_thread)
        snprintf(sql, sizeof sql,
                 "SELECT thread, tid, thread_name, name, calls, total_ns, self_ns, avg_ns, max_ns, timing FROM"
                 " (SELECT *, row_number() OVER (PARTITION BY thread ORDER BY %s DESC, name) AS k"
                 "  FROM \"%%1$s_thread_summary\" WHERE calls > 0)"
                 " WHERE ?1 = 0 OR k <= ?1 ORDER BY thread, k",
                 col);
    else
        snprintf(sql, sizeof sql,
                 "SELECT CASE WHEN kind = 'method' THEN struct || '.' || function ELSE function END AS name,"
                 " calls, total_ns, self_ns, avg_ns, max_ns, threads, timing FROM \"%%1$s_summary\" WHERE calls > 0"
                 " ORDER BY %s DESC, name LIMIT CASE WHEN ?1 = 0 THEN -1 ELSE ?1 END",
                 col);
    sqlite3_stmt *st = cli_prepare(db, sql, table);
    if (!st) {
        sqlite3_close(db);
        return 1;
    }
    sqlite3_bind_int64(st, 1, o.limit);
    static const char *const HF[] = {"<function", "calls", "total", "self", "avg", "max", "threads"};
    static const char *const HT[] = {"<thread", "<function", "calls", "total", "self", "avg", "max"};
    struct table *t = o.json ? NULL : table_new(7, o.by_thread ? HT : HF);
    int n = 0, rc;
    if (o.json)
        fputs("[", stdout);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (o.json) {
            json_row(st, o.by_thread, n == 0);
            n++;
            continue;
        }
        int c = o.by_thread ? 3 : 0;
        char th[96] = "", calls[32], tot[32], self[32], avg[32], max[32], threads[32] = "";
        if (o.by_thread) {
            const char *tn = (const char *)sqlite3_column_text(st, 2);
            snprintf(th, sizeof th, "%lld%s%s", (long long)sqlite3_column_int64(st, 1), tn ? " " : "", tn ? tn : "");
        }
        fmt_count(calls, sizeof calls, sqlite3_column_int64(st, c + 1));
        const char *timing = (const char *)sqlite3_column_text(st, o.by_thread ? 9 : 7);
        int estimate = timing && strcmp(timing, "exact") != 0;
        fmt_time(tot, sizeof tot, st, c + 2, estimate);
        fmt_time(self, sizeof self, st, c + 3, estimate);
        fmt_time(avg, sizeof avg, st, c + 4, estimate);
        fmt_time(max, sizeof max, st, c + 5, 0); /* the longest timed call: measured */
        const char *name = (const char *)sqlite3_column_text(st, c);
        if (o.by_thread) {
            const char *row[] = {th, name, calls, tot, self, avg, max};
            table_add(t, row);
        } else {
            fmt_count(threads, sizeof threads, sqlite3_column_int64(st, 6));
            const char *row[] = {name, calls, tot, self, avg, max, threads};
            table_add(t, row);
        }
        n++;
    }
    if (o.json)
        fputs(n ? "\n]\n" : "]\n", stdout);
    else
        table_print(t, stdout);
    table_free(t);
    sqlite3_finalize(st);
    int ret = rc == SQLITE_DONE ? 0 : cli_sql_error(db, o.path);
    sqlite3_close(db);
    return ret;
}
