/* tree.c — `ctimer tree`: the call tree of a run from its exact caller -> callee aggregates. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char USAGE[] =
    "usage: ctimer tree [DB] [RUN] [--thread TID] [--depth N]\n"
    "The call tree of RUN (default: the latest) from RUN_edges, exact in every recording mode: each\n"
    "line is one caller -> callee edge with its calls, inclusive (total) and self time, callees\n"
    "under their caller by total time.  A function already on the path is marked (recursive) and not\n"
    "expanded again; its total is '-' (nested levels would count twice), its self time adds up.\n"
    "A function called from several places has one set of callees (those of all its calls): they\n"
    "are listed under its first (heaviest) place, and later places say (callees above).\n"
    "  --thread TID  only the thread with this kernel thread id (default: all threads, summed)\n"
    "  --depth N     at most N levels (default: all)\n";

struct edge {
    int64_t caller, func, calls, total, self;
};

struct tree {
    struct edge *e;
    size_t n;
    char **names;
    size_t nnames;
    unsigned char *expanded; /* by function id */
    int64_t *path;
    long max_depth;
    struct table *out;
};

static const char *name_of(const struct tree *t, int64_t f)
{
    return f >= 0 && (size_t)f < t->nnames && t->names[f] ? t->names[f] : "?";
}

/* The range [lo, hi) of edges whose caller is c (edges sorted by caller). */
static void children(const struct tree *t, int64_t c, size_t *lo, size_t *hi)
{
    size_t a = 0, b = t->n;
    while (a < b) {
        size_t m = (a + b) / 2;
        if (t->e[m].caller < c)
            a = m + 1;
        else
            b = m;
    }
    *lo = a;
    while (a < t->n && t->e[a].caller == c)
        a++;
    *hi = a;
}

static void walk(struct tree *t, int64_t caller, int depth, char *prefix, size_t plen)
{
    size_t lo, hi;
    children(t, caller, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        const struct edge *e = &t->e[i];
        int last = i + 1 == hi;
        int recursive = 0;
        for (int d = 0; d < depth; d++)
            recursive |= t->path[d] == e->func;
        size_t clo, chi;
        children(t, e->func, &clo, &chi);
        int has_callees = clo < chi;
        int seen = e->func >= 0 && (size_t)e->func < t->nnames && t->expanded[e->func];
        char label[4608], tot[32], self[32], calls[32];
        snprintf(label, sizeof label, "%s%s%s%s", prefix, depth ? (last ? "\xe2\x94\x94\xe2\x94\x80 " : "\xe2\x94\x9c\xe2\x94\x80 ") : "",
                 name_of(t, e->func),
                 recursive ? "  (recursive)" : seen && has_callees ? "  (callees above)" : "");
        /* a recursive edge's total counts every nested level again: only its self time adds up */
        if (recursive)
            snprintf(tot, sizeof tot, "-");
        else
            fmt_ns(tot, sizeof tot, (double)e->total);
        fmt_ns(self, sizeof self, (double)e->self);
        fmt_count(calls, sizeof calls, e->calls);
        const char *row[] = {tot, self, calls, label};
        table_add(t->out, row);
        if (recursive || seen || (t->max_depth && depth + 1 >= t->max_depth) || plen + 8 >= 4000)
            continue;
        if (e->func >= 0 && (size_t)e->func < t->nnames)
            t->expanded[e->func] = 1;
        t->path[depth] = e->func;
        size_t np = plen;
        if (depth) {
            const char *ext = last ? "   " : "\xe2\x94\x82  ";
            strcpy(prefix + plen, ext);
            np += strlen(ext);
        }
        walk(t, e->func, depth + 1, prefix, np);
        prefix[plen] = 0;
    }
}

int cmd_tree(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, USAGE))
        return 0;
    char *pos[3];
    int npos = 0;
    long tid = -1, depth = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--thread") == 0) {
            if (cli_parse_count("--thread", i + 1 < argc ? argv[++i] : NULL, &tid))
                return EXIT_USAGE;
        } else if (strcmp(argv[i], "--depth") == 0) {
            if (cli_parse_count("--depth", i + 1 < argc ? argv[++i] : NULL, &depth))
                return EXIT_USAGE;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            cli_error("tree: unknown option '%s' (see ctimer tree --help)", argv[i]);
            return EXIT_USAGE;
        } else if (npos < 3)
            pos[npos++] = argv[i];
        else {
            cli_error("tree: too many arguments: '%s'", argv[i]);
            return EXIT_USAGE;
        }
    }
    const char *path, *run;
    if (cli_db_run_args(npos, pos, &path, &run))
        return EXIT_USAGE;
    char table[128];
    sqlite3 *db = cli_open_run(path, run, table, sizeof table);
    if (!db)
        return EXIT_USAGE;
    sqlite3_stmt *st = cli_prepare(db,
                                   "SELECT caller, func, sum(calls), sum(total_ns), sum(self_ns) FROM \"%1$s_edges\""
                                   " WHERE ?1 < 0 OR thread IN (SELECT id FROM \"%1$s_threads\" WHERE tid = ?1)"
                                   " GROUP BY caller, func ORDER BY caller, sum(total_ns) DESC, func",
                                   table);
    if (!st) {
        sqlite3_close(db);
        return 1;
    }
    sqlite3_bind_int64(st, 1, tid);
    struct tree t = {0};
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (t.n == cap) {
            cap = cap ? cap * 2 : 256;
            t.e = xrealloc(t.e, cap * sizeof *t.e);
        }
        t.e[t.n++] = (struct edge){sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                                   sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
                                   sqlite3_column_int64(st, 4)};
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(t.e);
        int r = cli_sql_error(db, path);
        sqlite3_close(db);
        return r;
    }
    if (tid >= 0 && t.n == 0) {
        cli_error("tree: no calls on thread %ld in run '%s'", tid, table);
        free(t.e);
        sqlite3_close(db);
        return EXIT_USAGE;
    }
    t.names = cli_function_names(db, table, &t.nnames);
    t.expanded = xcalloc(t.nnames + 1, 1);
    t.path = xcalloc(t.n + 2, sizeof *t.path);
    t.max_depth = depth;
    static const char *const H[] = {"total", "self", "calls", "<function"};
    t.out = table_new(4, H);
    char prefix[4096] = "";
    walk(&t, 0, 0, prefix, 0);
    table_print(t.out, stdout);
    table_free(t.out);
    cli_free_names(t.names, t.nnames);
    free(t.expanded);
    free(t.path);
    free(t.e);
    sqlite3_close(db);
    return 0;
}
