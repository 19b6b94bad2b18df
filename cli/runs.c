/* runs.c — `ctimer runs [DB]`: one line per run. */
#include <string.h>

#include "cli.h"

static const char USAGE[] =
    "usage: ctimer runs [DB] [--json]\n"
    "One line per run in DB (default $CTIMER_DB, else ./ctimer.db), oldest first: its table name,\n"
    "program, start (UTC), duration, completed calls, dropped records and unfinished calls.\n";

int cmd_runs(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, USAGE))
        return 0;
    const char *path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (argv[i][0] == '-') {
            cli_error("runs: unknown option '%s' (see ctimer runs --help)", argv[i]);
            return EXIT_USAGE;
        } else if (!path)
            path = argv[i];
        else {
            cli_error("runs: too many arguments: '%s' (expected [DB])", argv[i]);
            return EXIT_USAGE;
        }
    }
    if (!path)
        path = cli_default_db();
    sqlite3 *db = cli_open(path);
    if (!db)
        return EXIT_USAGE;
    if (!cli_has_column(db, "main", "runs", "table_name")) {
        cli_error("'%s' has no runs table: not a ctimer database", path);
        sqlite3_close(db);
        return EXIT_USAGE;
    }
    /* duration_ns when the recorder stored it, else from the ISO times (ms precision) */
    const char *dur = cli_has_column(db, "main", "runs", "duration_ns")
                          ? "coalesce(duration_ns, (julianday(ended_at) - julianday(started_at)) * 86400e9)"
                          : "(julianday(ended_at) - julianday(started_at)) * 86400e9";
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT table_name, program, started_at, %s, calls, dropped, unfinished FROM runs ORDER BY id", dur);
    sqlite3_stmt *st = cli_prepare(db, sql, NULL);
    if (!st) {
        sqlite3_close(db);
        return 1;
    }
    static const char *const H[] = {"<run", "<program", "<started_at", "duration", "calls", "dropped",
                                    "unfinished"};
    struct table *t = json ? NULL : table_new(7, H);
    int n = 0, rc;
    if (json)
        fputs("[", stdout);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *prog = (const char *)sqlite3_column_text(st, 1);
        const char *started = (const char *)sqlite3_column_text(st, 2);
        int has_dur = sqlite3_column_type(st, 3) != SQLITE_NULL;
        double d = sqlite3_column_double(st, 3);
        int64_t calls = sqlite3_column_int64(st, 4), dropped = sqlite3_column_int64(st, 5),
                unf = sqlite3_column_int64(st, 6);
        if (json) {
            fputs(n ? ",\n {" : "\n {", stdout);
            fputs("\"run\":", stdout);
            json_str(stdout, name);
            fputs(",\"program\":", stdout);
            json_str(stdout, prog);
            fputs(",\"started_at\":", stdout);
            json_str(stdout, started);
            if (has_dur)
                printf(",\"duration_ns\":%.0f", d);
            else
                fputs(",\"duration_ns\":null", stdout);
            printf(",\"calls\":%lld,\"dropped\":%lld,\"unfinished\":%lld}", (long long)calls, (long long)dropped,
                   (long long)unf);
        } else {
            char cd[32] = "-", cc[32], cdr[32], cu[32];
            if (has_dur)
                fmt_ns(cd, sizeof cd, d);
            fmt_count(cc, sizeof cc, calls);
            fmt_count(cdr, sizeof cdr, dropped);
            fmt_count(cu, sizeof cu, unf);
            const char *row[] = {name, prog ? prog : "", started ? started : "", cd, cc, cdr, cu};
            table_add(t, row);
        }
        n++;
    }
    if (json)
        fputs(n ? "\n]\n" : "]\n", stdout);
    else
        table_print(t, stdout);
    table_free(t);
    sqlite3_finalize(st);
    int ret = rc == SQLITE_DONE ? 0 : cli_sql_error(db, path);
    sqlite3_close(db);
    return ret;
}
