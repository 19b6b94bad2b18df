/* export.c — `ctimer export`: the options, the run, and which writer (perfetto, folded, svg). */
#include <string.h>

#include "cli.h"

static const char USAGE[] =
    "usage: ctimer export --perfetto [DB] [RUN] > trace.json\n"
    "       ctimer export --folded [--count] [DB] [RUN] > stacks.folded\n"
    "       ctimer export --svg [--count] [--title TEXT] [DB] [RUN] > flame.svg\n"
    "  --perfetto  Chrome trace-event JSON for ui.perfetto.dev or chrome://tracing: one complete\n"
    "              event per row (ts, dur in µs), one named track per thread.  Streams the rows.\n"
    "  --folded    folded stacks, 'main;fib;fib 123' per call path, weight = self time in ns (the\n"
    "              input of flamegraph.pl, speedscope, inferno); --count: number of calls instead\n"
    "  --svg       a flame graph of the same stacks, one self-contained SVG\n"
    "Folded stacks and the flame graph come from the rows.  A full trace (CTIMER_MIN_NS=0) gives\n"
    "exact paths, times and counts.  With CTIMER_MIN_NS > 0 the calls shorter than it have no row:\n"
    "their time stays in their caller's frame (so every frame's total is still exact) but they are\n"
    "not counted by --count; a note on stderr says so.  A summary-mode run has no rows: use\n"
    "`ctimer tree`, which is exact from the aggregates.\n";

int cmd_export(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, USAGE))
        return 0;
    char *pos[3];
    int npos = 0, by_calls = 0;
    const char *format = NULL, *title = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--perfetto") == 0 || strcmp(a, "--folded") == 0 || strcmp(a, "--svg") == 0) {
            if (format && strcmp(format, a + 2) != 0) {
                cli_error("export: give one of --perfetto, --folded, --svg (got --%s and %s)", format, a);
                return EXIT_USAGE;
            }
            format = a + 2;
        } else if (strcmp(a, "--count") == 0)
            by_calls = 1;
        else if (strcmp(a, "--title") == 0) {
            if (i + 1 >= argc) {
                cli_error("export: --title needs a value");
                return EXIT_USAGE;
            }
            title = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            cli_error("export: unknown option '%s' (see ctimer export --help)", a);
            return EXIT_USAGE;
        } else if (npos < 3)
            pos[npos++] = argv[i];
        else {
            cli_error("export: too many arguments: '%s'", a);
            return EXIT_USAGE;
        }
    }
    if (!format) {
        cli_error("export: say which format: --perfetto, --folded or --svg");
        return EXIT_USAGE;
    }
    if (by_calls && strcmp(format, "perfetto") == 0) {
        cli_error("export: --count applies to --folded and --svg, not --perfetto");
        return EXIT_USAGE;
    }
    const char *path, *run;
    if (cli_db_run_args(npos, pos, &path, &run))
        return EXIT_USAGE;
    char table[128];
    sqlite3 *db = cli_open_run(path, run, table, sizeof table);
    if (!db)
        return EXIT_USAGE;
    int ret;
    if (strcmp(format, "perfetto") == 0) {
        ret = export_perfetto(db, table, stdout);
    } else {
        char mode[32];
        int64_t min_ns;
        cli_run_mode(db, table, mode, sizeof mode, &min_ns);
        if (strcmp(mode, "summary") == 0) {
            cli_error("export: run '%s' was recorded with CTIMER_MODE=summary and has no rows to stack;"
                      " `ctimer tree` shows its exact call tree", table);
            sqlite3_close(db);
            return EXIT_USAGE;
        }
        if (min_ns > 0)
            cli_error("note: run '%s' has rows only for calls of %lld ns or more (CTIMER_MIN_NS): shorter calls"
                      " are in their caller's frame%s", table, (long long)min_ns,
                      by_calls ? " and not counted" : "");
        struct stacks s;
        ret = stacks_build(db, table, &s);
        if (ret == 0) {
            char deft[200];
            snprintf(deft, sizeof deft, "%s%s", table, by_calls ? " (calls)" : "");
            ret = strcmp(format, "folded") == 0 ? export_folded(&s, by_calls, stdout)
                                                : export_svg(&s, by_calls, title ? title : deft, stdout);
        }
        stacks_free(&s);
    }
    sqlite3_close(db);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("export: could not write the output");
        ret = 1;
    }
    return ret;
}
