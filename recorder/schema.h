/*
 * schema.h — all of the runtime's SQL: the runs catalog, one run's tables and views, and the
 * prepared statements the writer re-uses.  The names are the user-facing contract (README,
 * "Database").  Identifiers are validated before they reach SQL and are always double-quoted;
 * every value goes through a bind parameter.
 */
#ifndef CTIMER_SCHEMA_H
#define CTIMER_SCHEMA_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Call ids come in blocks of 2^CTIMER_ID_BLOCK_BITS, each used by one thread; "<t>_blocks" has one row
 * per block (thread, depth and start of its first call) and the rows of "<t>" are relative to it. */
#define CTIMER_ID_BLOCK_BITS 8

/* The facts recorded in runs when the run starts. */
struct ctimer_run_info {
    const char *app_id, *program, *argv, *host;
    const char *started_at; /* ISO-8601 UTC with milliseconds */
    const char *clock;      /* "tsc" or "monotonic" */
    const char *mode;       /* "trace" or "summary" */
    int64_t pid, min_ns;
    int abi;
    const char *timing;     /* CTIMER_TIMING */
    int64_t sample;         /* CTIMER_SAMPLE */
    double probe_ns;        /* what an empty timed call measures */
    int64_t start_time; /* seconds since the epoch, UTC: for generated names */
};

struct ctimer_stmts {
    sqlite3_stmt *begin, *commit, *rollback;
    sqlite3_stmt *rows;        /* INSERT INTO "<t>" SELECT ... FROM temp.ctimer_batch (batch.h) */
    sqlite3_stmt *block;       /* INSERT OR REPLACE INTO "<t>_blocks" */
    sqlite3_stmt *open;        /* INSERT OR IGNORE INTO "<t>_open" */
    sqlite3_stmt *func;        /* INSERT OR REPLACE INTO "<t>_functions" */
    sqlite3_stmt *thread;      /* INSERT OR REPLACE INTO "<t>_threads" */
    sqlite3_stmt *edge;        /* INSERT OR REPLACE INTO "<t>_edges" */
    sqlite3_stmt *counted;     /* INSERT OR REPLACE INTO "<t>_counted" */
    sqlite3_stmt *args;        /* INSERT OR REPLACE INTO "<t>_args" */
    sqlite3_stmt *run_update;  /* UPDATE runs SET calls..., ended_at, writer_ms WHERE id = ? */
};

/*
 * Opens (creating if needed) the database with the busy timeout, WAL and synchronous=OFF.
 * Returns 0, or -1 with the SQLite message in err.
 */
int ctimer_schema_open(const char *path, long busy_ms, sqlite3 **db, char *err, size_t errlen);

/*
 * In one write transaction: creates runs if needed, picks this run's table name, inserts its runs
 * row and creates its tables and views.  `wanted` (may be NULL) is a validated name; if it is already
 * used, `msg` gets one line naming `wanted_var` and why, and a name is generated:
 * run_YYYYMMDD_HHMMSS_<pid>, then _2, _3, ...  Returns 0 with the name in table and runs.id in
 * *run_id, or -1 with the SQLite message in err.
 */
int ctimer_schema_start_run(sqlite3 *db, const struct ctimer_run_info *ri, const char *wanted,
                            const char *wanted_var, char *table, size_t tablen, int64_t *run_id,
                            ctimer_message_fn msg, void *msg_ctx, char *err, size_t errlen);

/* Creates a run's tables and views (part of start_run; separate for tests). */
int ctimer_schema_create_run_tables(sqlite3 *db, const char *table);

/* Prepares the writer's statements; temp.ctimer_batch must exist (ctimer_batch_attach). */
int ctimer_schema_prepare(sqlite3 *db, const char *table, struct ctimer_stmts *s);
void ctimer_schema_finalize(struct ctimer_stmts *s);

/* "2026-11-24T06:30:00.123Z" from a CLOCK_REALTIME reading. */
void ctimer_iso_time(char out[32], int64_t sec, long nsec);

#endif /* CTIMER_SCHEMA_H */
