/*
 * cli.h — what the files of the `ctimer` command share.  Each subcommand is one function
 * `int cmd_NAME(int argc, char **argv)` (argv[0] is the subcommand) returning the exit status:
 * 0, 1 when SQLite failed while reading, 2 for bad arguments or a missing database or run.
 */
#ifndef CTIMER_CLI_H
#define CTIMER_CLI_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define EXIT_USAGE 2

int cmd_runs(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_tree(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_merge(int argc, char **argv);

/* ---- memory (main.c): these print one line and exit(1) when memory runs out */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* ---- messages (main.c) */
/* "ctimer: ..." on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints `usage` (a command's help) to stdout when argv has -h/--help and returns 1, else 0. */
int cli_wants_help(int argc, char **argv, const char *usage);

/* ---- the database and its runs (db.c) */
/* The database when none is given: $CTIMER_DB, else ./ctimer.db. */
const char *cli_default_db(void);
/* 1 if a lone positional argument names a database (an existing file, or a name ending in .db or
 * containing '/'), 0 if it names a run. */
int cli_looks_like_db(const char *arg);
/* Opens an existing database read-only (never creates one); on failure names it and returns NULL. */
sqlite3 *cli_open(const char *path);
/* The run's table name in `schema` ("main" or an attached name), checked to exist: `wanted` or,
 * when NULL, the latest run.  Writes it to out; on failure names the run, the database and the
 * runs there, and returns -1. */
int cli_resolve_run(sqlite3 *db, const char *schema, const char *path, const char *wanted, char *out,
                    size_t outlen);
/* cli_open, then cli_resolve_run in "main": the database read-only and the run's table name in out,
 * or NULL after a message (nothing left open). */
sqlite3 *cli_open_run(const char *path, const char *wanted, char *out, size_t outlen);
/* A prepared statement for the SQL after replacing every "%1$s" by `table`; NULL after an error
 * message. */
sqlite3_stmt *cli_prepare(sqlite3 *db, const char *tmpl, const char *table);
/* 1 if the table/view in schema has the column. */
int cli_has_column(sqlite3 *db, const char *schema, const char *table, const char *column);
/* The runs row's mode and min_ns (mode "" and -1 when unknown). */
void cli_run_mode(sqlite3 *db, const char *table, char *mode, size_t modelen, int64_t *min_ns);
/* ATTACHes the database at path read-only as schema `name`; 0, or -1 after a message. */
int cli_attach(sqlite3 *db, const char *path, const char *name);
/* The error for a failed step/prepare: prints SQLite's message, returns 1. */
int cli_sql_error(sqlite3 *db, const char *what);

/* Parses [DB] [RUN] positionals (0, 1 or 2 of them); returns 0, or EXIT_USAGE after a message. */
int cli_db_run_args(int npos, char **pos, const char **db, const char **run);
/* A non-negative integer option value; returns 0 or EXIT_USAGE after a message naming the option. */
int cli_parse_count(const char *opt, const char *val, long *out);

/* ---- units and tables (units.c, table.c) */
/* "123 ns", "4.56 µs", "78.9 ms", "1.23 s". */
void fmt_ns(char *out, size_t n, double ns);
/* "1,234,567" */
void fmt_count(char *out, size_t n, int64_t v);
/* "+12.3%", "-4.0%", or "new"/"gone" when a side is 0 */
void fmt_pct(char *out, size_t n, double before, double after);

struct table;
/* A text table: columns right-aligned unless their header starts with '<' (the '<' is not shown). */
struct table *table_new(int ncols, const char *const *headers);
void table_add(struct table *t, const char *const *cells); /* copies the cells */
void table_print(struct table *t, FILE *f);
void table_free(struct table *t);

/* ---- JSON (json.c) */
/* Writes s as a JSON string literal (with the quotes). */
void json_str(FILE *f, const char *s);

/* ---- call stacks from the rows (stacks.c), for folded stacks and the flame graph */
struct stack_node {
    int64_t func;          /* _functions.id; -1 for the root */
    int parent;            /* node index; -1 for the root */
    int first_child, next; /* children list */
    int64_t self_ns;       /* dur of the rows ending here minus the dur of their child rows */
    int64_t total_ns;      /* dur of the rows ending here */
    int64_t calls;         /* rows ending here */
};
struct stacks {
    struct stack_node *nodes;
    size_t n, cap;
    char **names; /* by function id: struct.field or name */
    size_t nnames;
    int64_t rows;
    /* child lookup: open addressing (parent, func) -> node */
    int *slots;
    size_t nslots;
};
/* Folds every row of the run into a tree of call paths (node 0 the root), streaming the rows.
 * Returns 0, or 1 after a message. */
int stacks_build(sqlite3 *db, const char *table, struct stacks *s);
void stacks_free(struct stacks *s);
/* Inclusive weight of each node: self (or calls, if by_calls) of it and below.  malloc'd array. */
int64_t *stacks_inclusive(const struct stacks *s, int by_calls);
/* Children of a node in name order (malloc'd, *n of them). */
int *stacks_children_sorted(const struct stacks *s, int node, size_t *n);

/* ---- exports (perfetto.c, folded.c, flamegraph.c) */
int export_perfetto(sqlite3 *db, const char *table, FILE *out);
int export_folded(const struct stacks *s, int by_calls, FILE *out);
int export_svg(const struct stacks *s, int by_calls, const char *title, FILE *out);

/* ---- names (db.c): display names of a run's functions, by id (struct.field for methods) */
char **cli_function_names(sqlite3 *db, const char *table, size_t *n);
void cli_free_names(char **names, size_t n);

#endif /* CTIMER_CLI_H */
