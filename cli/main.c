/* main.c — `ctimer SUBCOMMAND ...`: dispatch, the top-level help, and the shared messages. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char USAGE[] =
    "usage: ctimer COMMAND [ARGS]   read the runs that programs built with ctimer recorded\n"
    "\n"
    "  runs   [DB]                     one line per run\n"
    "  report [DB] [RUN]               top functions: calls, total, self, avg, max, threads\n"
    "  tree   [DB] [RUN]               the call tree with inclusive times and counts (exact)\n"
    "  diff   [DB] RUN_A RUN_B         per-function change from run A to run B\n"
    "         A.db:RUN_A B.db:RUN_B    the same across two files\n"
    "  export --perfetto|--folded|--svg [DB] [RUN]\n"
    "                                  Chrome trace JSON, folded stacks, or a flame graph SVG\n"
    "  merge  OUT.db IN.db...          one database from many\n"
    "\n"
    "DB defaults to $CTIMER_DB, else ./ctimer.db; RUN to the latest run in it.  A lone argument is\n"
    "taken as DB if it names an existing file, ends in .db or contains '/', else as RUN.\n"
    "Databases are opened read-only (merge writes OUT.db only).  `ctimer COMMAND --help` for more.\n"
    "Exit status: 0 ok, 1 a database error, 2 bad arguments or no such database or run.\n";

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ctimer: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void *need(void *p)
{
    if (!p) {
        fputs("ctimer: out of memory\n", stderr);
        exit(1);
    }
    return p;
}

void *xmalloc(size_t n) { return need(malloc(n ? n : 1)); }
void *xcalloc(size_t n, size_t size) { return need(calloc(n ? n : 1, size ? size : 1)); }
void *xrealloc(void *p, size_t n) { return need(realloc(p, n ? n : 1)); }
char *xstrdup(const char *s) { return need(strdup(s)); }

int cli_wants_help(int argc, char **argv, const char *usage)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {{"runs", cmd_runs}, {"report", cmd_report}, {"tree", cmd_tree},
                {"diff", cmd_diff}, {"export", cmd_export}, {"merge", cmd_merge}};
    if (argc < 2) {
        fputs(USAGE, stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(USAGE, stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
        if (strcmp(argv[1], cmds[i].name) == 0)
            return cmds[i].fn(argc - 1, argv + 1);
    cli_error("unknown command '%s' (commands: runs, report, tree, diff, export, merge; see ctimer --help)",
              argv[1]);
    return EXIT_USAGE;
}
