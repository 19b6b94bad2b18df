/* diff.c — `ctimer diff`: per-function change between two runs, in one database or two. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char USAGE[] =
    "usage: ctimer diff [DB] RUN_A RUN_B [--limit N] [--json]\n"
    "       ctimer diff A.db:RUN_A B.db:RUN_B\n"
    "Per function (methods as struct.field), from run A to run B: calls, total time and average\n"
    "time of each, and the change in percent (B - A) / A; 'new' when only B has calls, 'gone' when\n"
    "only A has.  Functions of either run are listed, largest change of total time first.  Exact in\n"
    "every recording mode (from the runs' _summary views).  A side without 'FILE:' is in DB.\n"
    "  --limit N   at most N functions (default: all)\n"
    "  --json      one JSON array of objects, times in ns\n";

struct side {
    const char *path, *run;
};

/* "FILE:RUN" (the last ':' splits; a run name has none) or "RUN". */
static void split(char *arg, const char *dflt, struct side *s)
{
    char *c = strrchr(arg, ':');
    if (c && c != arg) {
        *c = 0;
        s->path = arg;
        s->run = c + 1;
    } else {
        s->path = dflt;
        s->run = arg;
    }
}

int cmd_diff(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, USAGE))
        return 0;
    char *pos[4];
    int npos = 0, json = 0;
    long limit = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--limit") == 0) {
            if (cli_parse_count("--limit", i + 1 < argc ? argv[++i] : NULL, &limit))
                return EXIT_USAGE;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            cli_error("diff: unknown option '%s' (see ctimer diff --help)", argv[i]);
            return EXIT_USAGE;
        } else if (npos < 4)
            pos[npos++] = argv[i];
        else {
            cli_error("diff: too many arguments: '%s'", argv[i]);
            return EXIT_USAGE;
        }
    }
    if (npos < 2 || npos > 3) {
        cli_error("diff: expected [DB] RUN_A RUN_B or A.db:RUN_A B.db:RUN_B, got %d argument%s", npos,
                  npos == 1 ? "" : "s");
        return EXIT_USAGE;
    }
    if (npos == 2 && !strchr(pos[0], ':') && cli_looks_like_db(pos[0])) {
        cli_error("diff: '%s' is a database; give two runs after it (or A.db:RUN_A B.db:RUN_B)", pos[0]);
        return EXIT_USAGE;
    }
    const char *dflt = npos == 3 ? pos[0] : cli_default_db();
    struct side a, b;
    split(pos[npos - 2], dflt, &a);
    split(pos[npos - 1], dflt, &b);
    if (!*a.run || !*b.run) {
        cli_error("diff: '%s:' names no run", !*a.run ? a.path : b.path);
        return EXIT_USAGE;
    }
    sqlite3 *db = cli_open(a.path);
    if (!db)
        return EXIT_USAGE;
    const char *bschema = "main";
    if (strcmp(a.path, b.path) != 0) {
        sqlite3 *probe = cli_open(b.path); /* the same messages as for A, before ATTACH */
        if (!probe) {
            sqlite3_close(db);
            return EXIT_USAGE;
        }
        sqlite3_close(probe);
        if (cli_attach(db, b.path, "b")) {
            sqlite3_close(db);
            return EXIT_USAGE;
        }
        bschema = "b";
    }
    char ta[128], tb[128];
    if (cli_resolve_run(db, "main", a.path, a.run, ta, sizeof ta) ||
        cli_resolve_run(db, bschema, b.path, b.run, tb, sizeof tb)) {
        sqlite3_close(db);
        return EXIT_USAGE;
    }
    char sql[2048];
    snprintf(sql, sizeof sql,
             "WITH a AS (SELECT CASE WHEN kind = 'method' THEN struct || '.' || function ELSE function END AS name,"
             "   sum(calls) AS calls, sum(total_ns) AS total FROM main.\"%s_summary\" GROUP BY name),"
             " b AS (SELECT CASE WHEN kind = 'method' THEN struct || '.' || function ELSE function END AS name,"
             "   sum(calls) AS calls, sum(total_ns) AS total FROM \"%s\".\"%s_summary\" GROUP BY name),"
             " n AS (SELECT name FROM a UNION SELECT name FROM b)"
             " SELECT n.name, coalesce(a.calls, 0), coalesce(b.calls, 0), coalesce(a.total, 0), coalesce(b.total, 0)"
             " FROM n LEFT JOIN a USING (name) LEFT JOIN b USING (name)"
             " WHERE coalesce(a.calls, 0) + coalesce(b.calls, 0) > 0"
             " ORDER BY abs(coalesce(b.total, 0) - coalesce(a.total, 0)) DESC, n.name"
             " LIMIT CASE WHEN ?1 = 0 THEN -1 ELSE ?1 END",
             ta, bschema, tb);
    sqlite3_stmt *st = cli_prepare(db, sql, NULL);
    if (!st) {
        sqlite3_close(db);
        return 1;
    }
    sqlite3_bind_int64(st, 1, limit);
    static const char *const H[] = {"<function", "calls A", "calls B", "calls", "total A", "total B",
                                    "total",     "avg A",   "avg B",   "avg"};
    struct table *t = json ? NULL : table_new(10, H);
    if (json)
        fputs("[", stdout);
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        double ca = sqlite3_column_double(st, 1), cb = sqlite3_column_double(st, 2);
        double sa = sqlite3_column_double(st, 3), sb = sqlite3_column_double(st, 4);
        double aa = ca > 0 ? sa / ca : 0, ab = cb > 0 ? sb / cb : 0;
        char pc[32], pt[32], pa[32];
        fmt_pct(pc, sizeof pc, ca, cb);
        fmt_pct(pt, sizeof pt, sa, sb);
        fmt_pct(pa, sizeof pa, aa, ab);
        if (json) {
            fputs(n ? ",\n {\"name\":" : "\n {\"name\":", stdout);
            json_str(stdout, name);
            printf(",\"calls_a\":%.0f,\"calls_b\":%.0f,\"total_ns_a\":%.0f,\"total_ns_b\":%.0f,"
                   "\"avg_ns_a\":%.1f,\"avg_ns_b\":%.1f,\"calls_change\":",
                   ca, cb, sa, sb, aa, ab);
            json_str(stdout, pc);
            fputs(",\"total_change\":", stdout);
            json_str(stdout, pt);
            fputs(",\"avg_change\":", stdout);
            json_str(stdout, pa);
            fputs("}", stdout);
        } else {
            char c1[32], c2[32], t1[32] = "-", t2[32] = "-", a1[32] = "-", a2[32] = "-";
            fmt_count(c1, sizeof c1, (int64_t)ca);
            fmt_count(c2, sizeof c2, (int64_t)cb);
            if (ca > 0) {
                fmt_ns(t1, sizeof t1, sa);
                fmt_ns(a1, sizeof a1, aa);
            }
            if (cb > 0) {
                fmt_ns(t2, sizeof t2, sb);
                fmt_ns(a2, sizeof a2, ab);
            }
            const char *row[] = {name, c1, c2, pc, t1, t2, pt, a1, a2, pa};
            table_add(t, row);
        }
        n++;
    }
    if (json)
        fputs(n ? "\n]\n" : "]\n", stdout);
    else {
        printf("A = %s:%s   B = %s:%s\n", a.path, ta, b.path, tb);
        table_print(t, stdout);
    }
    table_free(t);
    sqlite3_finalize(st);
    int ret = rc == SQLITE_DONE ? 0 : cli_sql_error(db, a.path);
    sqlite3_close(db);
    return ret;
}
