/* schema.c — all SQL.  See schema.h. */
#include "schema.h"

#include "batch.h"
#include "sqltext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void set_err(char *err, size_t errlen, const char *what)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", what ? what : "unknown error");
}

void ctimer_iso_time(char out[32], int64_t sec, long nsec)
{
    time_t t = (time_t)sec;
    struct tm tm;
    gmtime_r(&t, &tm);
    char base[24];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    unsigned ms = (unsigned)((nsec / 1000000) % 1000);
    snprintf(out, 32, "%.20s.%03uZ", base, ms);
}

/* The columns of runs ctimer reads and writes: a runs table without them is not ctimer's. */
static const char RUNS_PROBE[] =
    "SELECT id, table_name, app_id, program, argv, pid, host, started_at, ended_at, calls, dropped, unfinished,"
    " rows, clock, ticks_per_us, mode, min_ns, abi FROM runs LIMIT 0";

/*
 * Checks, before anything is written, that the file is a database ctimer can use: an SQLite file (or
 * empty), whose runs table, if any, is ctimer's.  A database ctimer refuses stays byte-for-byte as it
 * was (its journal mode too): the settings below come only after this check.
 */
static int usable(sqlite3 *db, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name = 'runs'", -1, &st, NULL);
    int has_runs = 0;
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        has_runs = sqlite3_column_int(st, 0) > 0;
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc != SQLITE_OK) {
        set_err(err, errlen, sqlite3_errmsg(db));
        return -1;
    }
    if (has_runs && sqlite3_prepare_v2(db, RUNS_PROBE, -1, &st, NULL) != SQLITE_OK) {
        char why[300];
        snprintf(why, sizeof why, "its runs table is not ctimer's (%s)", sqlite3_errmsg(db));
        set_err(err, errlen, why);
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_finalize(st);
    return 0;
}

int ctimer_schema_open(const char *path, long busy_ms, sqlite3 **db, char *err, size_t errlen)
{
    *db = NULL;
    int rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        set_err(err, errlen, *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
        sqlite3_close(*db);
        *db = NULL;
        return -1;
    }
    sqlite3_busy_timeout(*db, (int)busy_ms);
    sqlite3_extended_result_codes(*db, 1);
    if (usable(*db, err, errlen) != 0) {
        sqlite3_close(*db);
        *db = NULL;
        return -1;
    }
    /* 16 KiB pages for a new file (an existing one keeps its own): ~10 % more rows per second than
     * 4 KiB for +1.5..4 % bytes per row (docs/runtime-design.md, "Measured").  Must come before WAL,
     * which fixes the page size.  WAL lets readers query while the program runs; synchronous=OFF
     * because a lost tail after a power failure is acceptable for profiling data and fsync would
     * dominate commit time.  None is fatal if refused (e.g. WAL on a network file system). */
    sqlite3_exec(*db, "PRAGMA page_size=16384", NULL, NULL, NULL);
    sqlite3_exec(*db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
    sqlite3_exec(*db, "PRAGMA synchronous=OFF", NULL, NULL, NULL);
    return 0;
}

static const char RUNS_SQL[] =
    "CREATE TABLE IF NOT EXISTS runs("
    "id INTEGER PRIMARY KEY, table_name TEXT UNIQUE NOT NULL, app_id TEXT, program TEXT, argv TEXT,"
    " pid INTEGER, host TEXT, started_at TEXT, ended_at TEXT, calls INTEGER, dropped INTEGER,"
    " unfinished INTEGER, rows INTEGER, clock TEXT, ticks_per_us REAL, mode TEXT, min_ns INTEGER,"
    " abi INTEGER, writer_ms INTEGER, duration_ns INTEGER, end_reason TEXT, rows_lost INTEGER, complete INTEGER,"
    " timing TEXT, sample INTEGER, probe_ns REAL)";

/* Columns added to runs since it was first released: a database made by an older libctimer gets them
 * when a newer one starts a run in it (inside the same write transaction). */
static int upgrade_runs(sqlite3 *db)
{
    static const char *const added[][2] = {
        {"writer_ms", "INTEGER"}, {"duration_ns", "INTEGER"}, {"end_reason", "TEXT"},
        {"rows_lost", "INTEGER"}, {"complete", "INTEGER"}, {"timing", "TEXT"}, {"sample", "INTEGER"},
        {"probe_ns", "REAL"},
    };
    for (size_t i = 0; i < sizeof added / sizeof *added; i++) {
        char sql[160];
        snprintf(sql, sizeof sql, "SELECT %s FROM runs LIMIT 0", added[i][0]);
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
        sqlite3_finalize(st);
        if (rc == SQLITE_OK)
            continue;
        snprintf(sql, sizeof sql, "ALTER TABLE runs ADD COLUMN %s %s", added[i][0], added[i][1]);
        if ((rc = sqlite3_exec(db, sql, NULL, NULL, NULL)) != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

/*
 * The run's objects.  %1$s is the validated table name.  <t> stores integers only; the views give
 * the readable form.  Summary and methods read <t>_edges, so they are exact in every mode and with any
 * CTIMER_MIN_NS.
 */
#define STR_(x) #x
#define STR(x) STR_(x)

static const char *const RUN_SQL[] = {
    /* One row per call, keyed by its id: parent = id - parent id (0 for a root); depth and start are
     * relative to the call's id block (see _blocks).  The columns are CTIMER_ROW_COLUMN_LIST
     * (batch.h), with their types: test_schema checks that the two agree. */
    "CREATE TABLE \"%1$s\"(id INTEGER PRIMARY KEY, parent INTEGER, depth INTEGER, func INTEGER,"
    " start INTEGER, dur INTEGER, child INTEGER, span INTEGER, cpu INTEGER)",

    /* Arguments and return values of the calls of args= functions, by call id: NULL where a value was
     * not captured (not an integer, enum, bool or pointer; a function returning nothing). */
    "CREATE TABLE \"%1$s_args\"(id INTEGER PRIMARY KEY, arg0 INTEGER, arg1 INTEGER, arg2 INTEGER,"
    " arg3 INTEGER, ret INTEGER)",

    /* One row per block of 2^CTIMER_ID_BLOCK_BITS call ids (id = call id >> CTIMER_ID_BLOCK_BITS):
     * the thread all its calls ran on, and the depth and start of its first call. */
    "CREATE TABLE \"%1$s_blocks\"(id INTEGER PRIMARY KEY, thread INTEGER, depth INTEGER, start INTEGER)",

    "CREATE TABLE \"%1$s_functions\"(id INTEGER PRIMARY KEY, kind TEXT, struct TEXT, name TEXT,"
    " file TEXT, line INTEGER, caller TEXT)",

    /* cpu_ns: the thread's CPU time, read by the thread at its end (NULL when it did not end
     * through the runtime: still running at exit, or its process died); wall_ns: from its first
     * timed call to its end. */
    "CREATE TABLE \"%1$s_threads\"(id INTEGER PRIMARY KEY, tid INTEGER, name TEXT, cpu_ns INTEGER,"
    " wall_ns INTEGER)",

    "CREATE TABLE \"%1$s_open\"(id INTEGER PRIMARY KEY)",

    /* calls: the calls that returned, whose times the sums are; unfinished: those that never did
     * (longjmp, exit, a lost exit), counted in the views' calls all the same. */
    "CREATE TABLE \"%1$s_edges\"(thread INTEGER, caller INTEGER, func INTEGER, calls INTEGER,"
    " total_ns INTEGER, self_ns INTEGER, min_ns INTEGER, max_ns INTEGER, cpu_ns INTEGER, unfinished INTEGER,"
    " PRIMARY KEY(thread, caller, func)) WITHOUT ROWID",

    /* Calls that were counted and not timed (CTIMER_TIMING, docs/runtime-design.md "Counted
     * calls"), per thread and function: exact.  Their callers are not known; <t>_edges has the
     * timed calls only. */
    "CREATE TABLE \"%1$s_counted\"(thread INTEGER, func INTEGER, calls INTEGER,"
    " PRIMARY KEY(thread, func)) WITHOUT ROWID",

    "CREATE VIEW \"%1$s_calls\" AS SELECT"
    " c.id AS id,"
    " CASE WHEN c.parent = 0 THEN NULL ELSE c.id - c.parent END AS parent_id,"
    " th.tid AS thread_id,"
    " b.depth + c.depth AS depth,"
    " f.name AS function,"
    " f.struct AS struct,"
    " f.kind AS kind,"
    " f.file AS file,"
    " f.line AS line,"
    " b.start + c.start AS start_ns,"
    " c.dur AS duration_ns,"
    " c.dur - c.child AS self_ns,"
    " EXISTS(SELECT 1 FROM \"%1$s_open\" o WHERE o.id = c.id) AS unfinished,"
    " c.id + c.span AS last_id,"
    " c.cpu AS cpu_ns"
    " FROM \"%1$s\" c"
    " LEFT JOIN \"%1$s_blocks\" b ON b.id = c.id >> " STR(CTIMER_ID_BLOCK_BITS)
    " LEFT JOIN \"%1$s_functions\" f ON f.id = c.func"
    " LEFT JOIN \"%1$s_threads\" th ON th.id = b.thread",

    /* Methods are grouped by (struct, field) over all their call sites, and show the file and line
     * of the first call site seen; functions by (name, file, line). */
    "CREATE VIEW \"%1$s_summary\" AS"
    " WITH fk AS (SELECT id, kind, name,"
    "   CASE WHEN kind = 'method' THEN struct END AS gstruct,"
    "   CASE WHEN kind IN ('method', 'call') THEN NULL ELSE file END AS gfile,"
    "   CASE WHEN kind IN ('method', 'call') THEN NULL ELSE line END AS gline"
    "   FROM \"%1$s_functions\"),"
    /* per function id: its timed calls (edges), its counted calls, and the estimated time of the
     * counted calls of its callees, shared out over their callers by timed-edge time */
    " ef AS (SELECT func, sum(calls) AS timed, sum(unfinished) AS unf, sum(total_ns) AS total,"
    "   sum(self_ns) AS self, min(min_ns) AS mn, max(max_ns) AS mx, sum(cpu_ns) AS cpu"
    "   FROM \"%1$s_edges\" GROUP BY func),"
    " cf AS (SELECT func, sum(calls) AS counted FROM \"%1$s_counted\" GROUP BY func),"
    " est AS (SELECT e.caller AS func, sum(e.total_ns * 1.0 * cf.counted / ef.timed) AS ns"
    "   FROM \"%1$s_edges\" e JOIN cf ON cf.func = e.func JOIN ef ON ef.func = e.func GROUP BY e.caller),"
    " th AS (SELECT thread, func FROM \"%1$s_edges\" UNION SELECT thread, func FROM \"%1$s_counted\"),"
    " grp AS (SELECT min(fk.id) AS rep, fk.kind AS kind, fk.name AS name, fk.gstruct AS gstruct,"
    "   fk.gfile AS gfile, fk.gline AS gline,"
    "   coalesce(sum(ef.timed), 0) AS timed, coalesce(sum(ef.unf), 0) AS unf,"
    "   coalesce(sum(cf.counted), 0) AS counted,"
    "   coalesce(sum(ef.total), 0) AS total, coalesce(sum(ef.self), 0) AS self,"
    "   coalesce(sum(est.ns), 0) AS child_est, min(ef.mn) AS min_ns, max(ef.mx) AS max_ns,"
    "   sum(ef.cpu) AS cpu_ns"
    "   FROM fk LEFT JOIN ef ON ef.func = fk.id LEFT JOIN cf ON cf.func = fk.id"
    "   LEFT JOIN est ON est.func = fk.id"
    "   GROUP BY fk.kind, fk.name, fk.gstruct, fk.gfile, fk.gline),"
    " gth AS (SELECT fk.kind AS kind, fk.name AS name, fk.gstruct AS gstruct, fk.gfile AS gfile,"
    "   fk.gline AS gline, count(DISTINCT th.thread) AS threads"
    "   FROM fk JOIN th ON th.func = fk.id GROUP BY fk.kind, fk.name, fk.gstruct, fk.gfile, fk.gline),"
    " val AS (SELECT grp.*, grp.timed + grp.unf + grp.counted AS calls,"
    "   CASE WHEN grp.counted = 0 THEN grp.total WHEN grp.timed > 0"
    "     THEN CAST(round(grp.total * 1.0 * (grp.timed + grp.counted) / grp.timed) AS INTEGER) END AS total_ns,"
    "   CASE WHEN grp.timed > 0 THEN max(0, CAST(round(grp.self * 1.0 * (grp.timed + grp.counted) / grp.timed"
    "     - grp.child_est) AS INTEGER)) END AS self_ns"
    "   FROM grp)"
    " SELECT val.name AS function, val.gstruct AS struct, val.kind AS kind, f.file AS file,"
    " f.line AS line, val.calls AS calls, val.total_ns AS total_ns, val.self_ns AS self_ns,"
    " CASE WHEN val.calls > val.unf THEN 1.0 * val.total_ns / (val.calls - val.unf) END AS avg_ns,"
    " val.min_ns AS min_ns, val.max_ns AS max_ns, coalesce(gth.threads, 0) AS threads, val.cpu_ns AS cpu_ns,"
    " val.timed + val.unf AS timed_calls, val.unf AS unfinished,"
    " CASE WHEN val.counted = 0 THEN 'exact' WHEN val.timed = 0 THEN 'counted' ELSE 'sampled' END AS timing"
    " FROM val JOIN \"%1$s_functions\" f ON f.id = val.rep"
    " LEFT JOIN gth ON gth.kind = val.kind AND gth.name = val.name AND gth.gstruct IS val.gstruct"
    "   AND gth.gfile IS val.gfile AND gth.gline IS val.gline",

    /* From _summary, which groups methods the same way (struct, field): counted calls included. */
    "CREATE VIEW \"%1$s_methods\" AS"
    " WITH m AS (SELECT id, struct, name FROM \"%1$s_functions\" WHERE kind = 'method'),"
    " cal AS (SELECT m.struct AS struct, m.name AS name,"
    "   group_concat(DISTINCT CASE WHEN f.kind = 'method' THEN f.struct || '.' || f.name"
    "     ELSE f.name END) AS callees"
    "   FROM m JOIN \"%1$s_edges\" e ON e.caller = m.id JOIN \"%1$s_functions\" f ON f.id = e.func"
    "   GROUP BY m.struct, m.name)"
    " SELECT s.struct AS struct, s.function AS method, s.calls AS calls, s.total_ns AS total_ns,"
    " s.avg_ns AS avg_ns, cal.callees AS callees"
    " FROM \"%1$s_summary\" s LEFT JOIN cal ON cal.struct IS s.struct AND cal.name = s.function"
    " WHERE s.kind = 'method'",

    "CREATE VIEW \"%1$s_edges_named\" AS SELECT"
    " CASE WHEN e.caller = 0 THEN NULL WHEN cf.kind = 'method' THEN cf.struct || '.' || cf.name"
    "   ELSE cf.name END AS caller,"
    " CASE WHEN f.kind = 'method' THEN f.struct || '.' || f.name ELSE f.name END AS callee,"
    " sum(e.calls) AS calls, sum(e.total_ns) AS total_ns, sum(e.self_ns) AS self_ns,"
    " min(e.min_ns) AS min_ns, max(e.max_ns) AS max_ns, sum(e.unfinished) AS unfinished,"
    /* exact: every call of the callee was timed; sampled: it also made counted calls, whose
     * callers are unknown, and these are its timed calls under the nearest timed frame */
    " CASE WHEN EXISTS(SELECT 1 FROM \"%1$s_counted\" c WHERE c.func = e.func) THEN 'sampled'"
    "   ELSE 'exact' END AS timing"
    " FROM \"%1$s_edges\" e JOIN \"%1$s_functions\" f ON f.id = e.func"
    " LEFT JOIN \"%1$s_functions\" cf ON cf.id = e.caller"
    " GROUP BY e.caller, e.func",

    /* Per thread and function, from edges: exact in every mode.  Grouped like _summary (methods by
     * struct and field, functions by name, file and line); name is struct.field for a method. */
    "CREATE VIEW \"%1$s_thread_summary\" AS"
    " WITH fk AS (SELECT id, kind, name,"
    "   CASE WHEN kind = 'method' THEN struct END AS gstruct,"
    "   CASE WHEN kind IN ('method', 'call') THEN NULL ELSE file END AS gfile,"
    "   CASE WHEN kind IN ('method', 'call') THEN NULL ELSE line END AS gline"
    "   FROM \"%1$s_functions\"),"
    " tf AS (SELECT thread, func, calls AS timed, unfinished AS unf, total_ns, self_ns, min_ns, max_ns,"
    "   0 AS counted FROM \"%1$s_edges\""
    "   UNION ALL SELECT thread, func, 0, 0, 0, 0, NULL, NULL, calls FROM \"%1$s_counted\"),"
    " g AS (SELECT tf.thread AS thread,"
    "   CASE WHEN fk.kind = 'method' THEN fk.gstruct || '.' || fk.name ELSE fk.name END AS name,"
    "   fk.kind AS kind, fk.gstruct AS struct, fk.gfile AS file, fk.gline AS line,"
    "   sum(tf.timed) AS timed, sum(tf.unf) AS unf, sum(tf.counted) AS counted, sum(tf.total_ns) AS total,"
    "   sum(tf.self_ns) AS self, min(tf.min_ns) AS min_ns, max(tf.max_ns) AS max_ns"
    "   FROM tf JOIN fk ON fk.id = tf.func"
    "   GROUP BY tf.thread, fk.kind, fk.name, fk.gstruct, fk.gfile, fk.gline),"
    " v AS (SELECT g.*, g.timed + g.unf + g.counted AS calls,"
    "   CASE WHEN g.counted = 0 THEN g.total WHEN g.timed > 0"
    "     THEN CAST(round(g.total * 1.0 * (g.timed + g.counted) / g.timed) AS INTEGER) END AS total_ns,"
    "   CASE WHEN g.counted = 0 THEN g.self WHEN g.timed > 0"
    "     THEN CAST(round(g.self * 1.0 * (g.timed + g.counted) / g.timed) AS INTEGER) END AS self_ns"
    "   FROM g)"
    " SELECT v.thread AS thread, th.tid AS tid, th.name AS thread_name, v.name AS name, v.kind AS kind,"
    " v.struct AS struct, v.file AS file, v.line AS line, v.calls AS calls, v.total_ns AS total_ns,"
    " v.self_ns AS self_ns, CASE WHEN v.calls > v.unf THEN 1.0 * v.total_ns / (v.calls - v.unf) END AS avg_ns,"
    " v.min_ns AS min_ns, v.max_ns AS max_ns, v.timed + v.unf AS timed_calls, v.unf AS unfinished,"
    " CASE WHEN v.counted = 0 THEN 'exact' WHEN v.timed = 0 THEN 'counted' ELSE 'sampled' END AS timing"
    " FROM v LEFT JOIN \"%1$s_threads\" th ON th.id = v.thread",

    /* One row per thread (the table _threads is the id -> tid, name map): busy_ns is the sum of its
     * outermost calls (caller 0 in edges), calls all its completed calls, top the function with the
     * most self time.  Exact in every mode. */
    "CREATE VIEW \"%1$s_thread_totals\" AS SELECT th.id AS thread, th.tid AS tid, th.name AS thread_name,"
    " coalesce((SELECT sum(e.total_ns) FROM \"%1$s_edges\" e WHERE e.thread = th.id AND e.caller = 0), 0)"
    "   AS busy_ns,"
    " coalesce((SELECT sum(e.calls + e.unfinished) FROM \"%1$s_edges\" e WHERE e.thread = th.id), 0)"
    " + coalesce((SELECT sum(c.calls) FROM \"%1$s_counted\" c WHERE c.thread = th.id), 0) AS calls,"
    " (SELECT s.name FROM \"%1$s_thread_summary\" s WHERE s.thread = th.id"
    "   ORDER BY s.self_ns DESC, s.name LIMIT 1) AS top_function,"
    " (SELECT max(s.self_ns) FROM \"%1$s_thread_summary\" s WHERE s.thread = th.id) AS top_self_ns,"
    " th.cpu_ns AS cpu_ns, th.wall_ns AS wall_ns"
    " FROM \"%1$s_threads\" th",
};

/* The suffixes of every object a run creates: a name is free only if none of them exists. */
static const char *const SUFFIXES[] = {CTIMER_RUN_SUFFIXES};

/* sqlite3_malloc64 for ctimer_sql_subst: the result is sqlite3_free'd. */
static void *sql_alloc(size_t n) { return sqlite3_malloc64(n); }


static int exec_fmt(sqlite3 *db, const char *tmpl, const char *table)
{
    char *sql = ctimer_sql_subst(tmpl, table, sql_alloc);
    if (!sql)
        return SQLITE_NOMEM;
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_free(sql);
    return rc;
}

int ctimer_schema_create_run_tables(sqlite3 *db, const char *table)
{
    if (!ctimer_valid_identifier(table, 80))
        return SQLITE_MISUSE;
    for (size_t i = 0; i < sizeof RUN_SQL / sizeof *RUN_SQL; i++) {
        int rc = exec_fmt(db, RUN_SQL[i], table);
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

/*
 * Once, when the run ends: the index that serves "<t>_calls".parent_id (the same expression, so the
 * view uses it), for children lookups and recursive walks.  Built at the end rather than kept during
 * the load: on 1 M rows of fib it costs 0.4 s once and ~12 B/row, while maintaining it through the
 * load made inserting 2.7x slower (docs/runtime-design.md, "Querying children").
 */

/* 1 if the name is in runs, 2 if an object it would create exists, 0 if free, -1 on error. */
static int name_taken(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st = NULL;
    int taken = -1;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM runs WHERE table_name = ?1 COLLATE NOCASE", -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc != SQLITE_DONE)
        return -1;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE name = ?1 COLLATE NOCASE", -1, &st, NULL) != SQLITE_OK)
        return -1;
    taken = 0;
    for (size_t i = 0; i < sizeof SUFFIXES / sizeof *SUFFIXES && taken == 0; i++) {
        char full[128];
        snprintf(full, sizeof full, "%s%s", name, SUFFIXES[i]);
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, full, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st);
        taken = rc == SQLITE_ROW ? 2 : rc == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(st);
    return taken;
}

static int insert_run(sqlite3 *db, const struct ctimer_run_info *ri, const char *table, int64_t *run_id)
{
    static const char sql[] =
        "INSERT INTO runs(table_name, app_id, program, argv, pid, host, started_at, calls, dropped,"
        " unfinished, rows, clock, mode, min_ns, abi, writer_ms, rows_lost, complete, timing, sample, probe_ns)"
        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, 0, 0, 0, ?8, ?9, ?10, ?11, 0, 0, 0, ?12, ?13, ?14)";
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ri->app_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, ri->program, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, ri->argv, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, ri->pid);
    sqlite3_bind_text(st, 6, ri->host, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, ri->started_at, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, ri->clock, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, ri->mode, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, ri->min_ns);
    sqlite3_bind_int(st, 11, ri->abi);
    if (ri->timing)
        sqlite3_bind_text(st, 12, ri->timing, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 13, ri->sample);
    if (ri->probe_ns > 0)
        sqlite3_bind_double(st, 14, ri->probe_ns);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rc;
    *run_id = sqlite3_last_insert_rowid(db);
    return SQLITE_OK;
}

/* Picks a free generated name into table; returns 0 or -1. */
static int generate_name(sqlite3 *db, const struct ctimer_run_info *ri, char *table, size_t tablen)
{
    time_t t = (time_t)ri->start_time;
    struct tm tm;
    gmtime_r(&t, &tm);
    char base[64];
    strftime(base, sizeof base, "run_%Y%m%d_%H%M%S", &tm);
    for (int k = 1; k < 100000; k++) {
        if (k == 1)
            snprintf(table, tablen, "%s_%lld", base, (long long)ri->pid);
        else
            snprintf(table, tablen, "%s_%lld_%d", base, (long long)ri->pid, k);
        int taken = name_taken(db, table);
        if (taken < 0)
            return -1;
        if (!taken)
            return 0;
    }
    return -1;
}

int ctimer_schema_start_run(sqlite3 *db, const struct ctimer_run_info *ri, const char *wanted,
                            const char *wanted_var, char *table, size_t tablen, int64_t *run_id,
                            ctimer_message_fn msg, void *msg_ctx, char *err, size_t errlen)
{
    /* IMMEDIATE: take the write lock first, so two processes cannot pick the same name. */
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        set_err(err, errlen, sqlite3_errmsg(db));
        return -1;
    }
    rc = sqlite3_exec(db, RUNS_SQL, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = upgrade_runs(db);
    int taken = 0;
    if (rc == SQLITE_OK && wanted) {
        taken = name_taken(db, wanted);
        if (taken == 0)
            snprintf(table, tablen, "%s", wanted);
        else if (taken < 0)
            rc = SQLITE_ERROR;
    }
    if (rc == SQLITE_OK && (!wanted || taken)) {
        if (generate_name(db, ri, table, tablen) != 0)
            rc = SQLITE_ERROR;
        else if (wanted && msg) {
            char line[256];
            snprintf(line, sizeof line, "ctimer: %s='%s' %s; using %s", wanted_var ? wanted_var : "CTIMER_RUN",
                     wanted, taken == 1 ? "is already in runs" : "names a table that already exists", table);
            msg(line, msg_ctx);
        }
    }
    if (rc == SQLITE_OK)
        rc = insert_run(db, ri, table, run_id);
    if (rc == SQLITE_OK)
        rc = ctimer_schema_create_run_tables(db, table);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        set_err(err, errlen, sqlite3_errmsg(db));
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

static int prep(sqlite3 *db, sqlite3_stmt **st, const char *tmpl, const char *table)
{
    char *sql = ctimer_sql_subst(tmpl, table, sql_alloc);
    if (!sql)
        return SQLITE_NOMEM;
    int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
    sqlite3_free(sql);
    return rc;
}

int ctimer_schema_prepare(sqlite3 *db, const char *table, struct ctimer_stmts *s)
{
    memset(s, 0, sizeof *s);
    if (!ctimer_valid_identifier(table, 80))
        return SQLITE_MISUSE;

    int rc = SQLITE_OK;
#define PREP(field, fmt)                                                                                  \
    if (rc == SQLITE_OK)                                                                                  \
    rc = prep(db, &s->field, fmt, table)
    PREP(begin, "BEGIN IMMEDIATE");
    PREP(commit, "COMMIT");
    PREP(rollback, "ROLLBACK");
    /* the whole batch, in id order, from the virtual table (batch.c) */
    PREP(rows, "INSERT INTO \"%1$s\"(" CTIMER_ROW_COLUMN_LIST ") SELECT " CTIMER_ROW_COLUMN_LIST
               " FROM temp.ctimer_batch");
    PREP(block, "INSERT OR REPLACE INTO \"%1$s_blocks\"(id, thread, depth, start) VALUES (?,?,?,?)");
    PREP(open, "INSERT OR IGNORE INTO \"%1$s_open\"(id) VALUES (?)");
    PREP(func, "INSERT OR REPLACE INTO \"%1$s_functions\"(id, kind, struct, name, file, line, caller)"
               " VALUES (?,?,?,?,?,?,?)");
    PREP(thread, "INSERT OR REPLACE INTO \"%1$s_threads\"(id, tid, name, cpu_ns, wall_ns) VALUES (?,?,?,?,?)");
    PREP(edge, "INSERT OR REPLACE INTO \"%1$s_edges\"(thread, caller, func, calls, total_ns, self_ns,"
               " min_ns, max_ns, cpu_ns, unfinished) VALUES (?,?,?,?,?,?,?,?,?,?)");
    PREP(counted, "INSERT OR REPLACE INTO \"%1$s_counted\"(thread, func, calls) VALUES (?,?,?)");
    PREP(args, "INSERT OR REPLACE INTO \"%1$s_args\"(id, arg0, arg1, arg2, arg3, ret) VALUES (?,?,?,?,?,?)");
    PREP(run_update, "UPDATE runs SET calls = ?1, dropped = ?2, unfinished = ?3, rows = ?4,"
                     " ticks_per_us = ?5, ended_at = coalesce(?6, ended_at), writer_ms = ?8,"
                     " duration_ns = coalesce(?9, duration_ns), end_reason = coalesce(?10, end_reason),"
                     " rows_lost = ?11, complete = ?12, probe_ns = coalesce(?13, probe_ns) WHERE id = ?7");
#undef PREP
    if (rc != SQLITE_OK)
        ctimer_schema_finalize(s);
    return rc;
}

void ctimer_schema_finalize(struct ctimer_stmts *s)
{
    sqlite3_stmt **all[] = {&s->begin, &s->commit, &s->rollback, &s->rows,  &s->block,
                            &s->open,  &s->func,   &s->thread,   &s->edge,  &s->counted, &s->args,
                            &s->run_update};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        sqlite3_finalize(*all[i]);
        *all[i] = NULL;
    }
}
