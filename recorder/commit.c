/*
 * commit.c — recorder side: writing what the writer decoded to SQLite, in one transaction per
 * commit, and the database faults (a lock waited out, a full disk).  See writer.h and
 * docs/runtime-design.md, "Database faults".
 */
#include "writer_state.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"


/* Steps a statement to completion and resets it; returns an SQLite code. */
static int step(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return (rc == SQLITE_DONE || rc == SQLITE_ROW) ? SQLITE_OK : rc;
}

static void bind_text_or_null(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

/* v, or NULL when v < 0 */
static void bind_int_or_null(sqlite3_stmt *s, int i, int64_t v)
{
    if (v >= 0)
        sqlite3_bind_int64(s, i, v);
    else
        sqlite3_bind_null(s, i);
}

static int write_functions(struct ctimer_writer *w)
{
    uint32_t count = ctimer_funcs_count(w->funcs);
    for (uint32_t id = w->funcs_written + 1; id <= count; id++) {
        const struct ctimer_func *f = ctimer_funcs_get(w->funcs, id);
        sqlite3_stmt *s = w->st.func;
        sqlite3_bind_int64(s, 1, f->id);
        static const char *const kinds[] = {"function", "method", "call"};
        sqlite3_bind_text(s, 2, kinds[f->kind <= CTIMER_KIND_CALL ? f->kind : 0], -1, SQLITE_STATIC);
        bind_text_or_null(s, 3, f->strct);
        bind_text_or_null(s, 4, f->name);
        bind_text_or_null(s, 5, f->file);
        sqlite3_bind_int64(s, 6, f->line);
        bind_text_or_null(s, 7, f->caller);
        int rc = step(s);
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

static int write_threads(struct ctimer_writer *w)
{
    for (size_t i = 0; i < w->npthreads; i++) {
        const struct pending_thread *p = &w->pthreads[i];
        sqlite3_stmt *s = w->st.thread;
        sqlite3_bind_int64(s, 1, p->index);
        sqlite3_bind_int64(s, 2, p->tid);
        bind_text_or_null(s, 3, p->named ? p->name : NULL);
        bind_int_or_null(s, 4, p->cpu_ns);
        bind_int_or_null(s, 5, p->wall_ns);
        int rc = step(s);
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

static int write_blocks(struct ctimer_writer *w)
{
    for (size_t i = 0; i < w->nblocks; i++) {
        const struct pending_block *b = &w->blocks[i];
        sqlite3_stmt *s = w->st.block;
        sqlite3_bind_int64(s, 1, (int64_t)b->id);
        sqlite3_bind_int64(s, 2, b->thread);
        sqlite3_bind_int64(s, 3, b->depth);
        sqlite3_bind_int64(s, 4, (int64_t)b->start);
        int rc = step(s);
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

/* The batch (already in id order) in one statement through temp.ctimer_batch, then the open ids. */
static int write_rows(struct ctimer_writer *w)
{
    int rc = w->batch.n ? step(w->st.rows) : SQLITE_OK;
    for (size_t k = 0; rc == SQLITE_OK && k < w->nopen; k++) {
        sqlite3_bind_int64(w->st.open, 1, (int64_t)w->open[k]);
        rc = step(w->st.open);
    }
    for (size_t k = 0; rc == SQLITE_OK && k < w->nargs; k++) { /* "<t>_args": NULL where not captured */
        const struct pending_args *a = &w->args[k];
        sqlite3_stmt *s = w->st.args;
        sqlite3_bind_int64(s, 1, (int64_t)a->id);
        for (int i = 0; i < 4; i++)
            if (a->flags & CTIMER_CAPTURE_ARG(i))
                sqlite3_bind_int64(s, 2 + i, (int64_t)a->a[i]);
            else
                sqlite3_bind_null(s, 2 + i);
        if (a->flags & CTIMER_CAPTURE_RET)
            sqlite3_bind_int64(s, 6, (int64_t)a->ret);
        else
            sqlite3_bind_null(s, 6);
        rc = step(s);
    }
    return rc;
}

static int write_aggregates(struct ctimer_writer *w, const struct run_end *end, int rows_ok, uint64_t commit_start)
{
    int rc = SQLITE_OK;
    for (size_t e = 0; rc == SQLITE_OK && w->aggs_dirty && e < w->naggs; e++) {
        const struct agg *a = &w->aggs[e];
        if (!a->dirty)
            continue;
        if (a->caller == COUNTED_CALLER) {
            sqlite3_stmt *c = w->st.counted;
            sqlite3_bind_int64(c, 1, a->thread);
            sqlite3_bind_int64(c, 2, a->callee);
            sqlite3_bind_int64(c, 3, (int64_t)a->calls);
            rc = step(c);
            continue;
        }
        sqlite3_stmt *s = w->st.edge;
        sqlite3_bind_int64(s, 1, a->thread);
        sqlite3_bind_int64(s, 2, a->caller);
        sqlite3_bind_int64(s, 3, a->callee);
        sqlite3_bind_int64(s, 4, (int64_t)a->calls);
        sqlite3_bind_int64(s, 5, (int64_t)a->total);
        sqlite3_bind_int64(s, 6, (int64_t)a->self);
        sqlite3_bind_int64(s, 7, (int64_t)a->min);
        sqlite3_bind_int64(s, 8, (int64_t)a->max);
        bind_int_or_null(s, 9, a->cpu_calls ? (int64_t)a->cpu : -1);
        sqlite3_bind_int64(s, 10, (int64_t)a->unfinished);
        rc = step(s);
    }
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_stmt *s = w->st.run_update;
    /* every call entered: returned, never returned, counted */
    sqlite3_bind_int64(s, 1, (int64_t)(w->stats.calls + w->stats.unfinished + w->stats.counted));
    sqlite3_bind_int64(s, 2, (int64_t)w->stats.dropped);
    sqlite3_bind_int64(s, 3, (int64_t)w->stats.unfinished);
    sqlite3_bind_int64(s, 4, (int64_t)(w->stats.rows + (rows_ok ? w->batch.n : 0))); /* as if this commit succeeds */
    if (w->clock->calibrated)
        sqlite3_bind_double(s, 5, w->clock->ticks_per_us);
    else
        sqlite3_bind_null(s, 5);
    bind_text_or_null(s, 6, end ? end->ended_at : NULL);
    sqlite3_bind_int64(s, 7, w->run_id);
    sqlite3_bind_int64(s, 8, (int64_t)((w->write_ns + (ctimer_mono_ns() - commit_start)) / 1000000));
    if (end)
        sqlite3_bind_int64(s, 9, end->duration_ns);
    else
        sqlite3_bind_null(s, 9);
    bind_text_or_null(s, 10, end ? end->reason : NULL);
    uint64_t lost = w->stats.rows_lost + (rows_ok ? 0 : w->batch.n);
    sqlite3_bind_int64(s, 11, (int64_t)lost);
    sqlite3_bind_int(s, 12, end && lost == 0); /* complete: only the final commit, with nothing lost */
    if (w->probe_ns > 0)
        sqlite3_bind_double(s, 13, w->probe_ns);
    else
        sqlite3_bind_null(s, 13);
    return step(s);
}

/*
 * BEGIN IMMEDIATE, waiting up to wait_ms for another connection's write lock: retried with pauses
 * of 1 ms doubling to 16 ms, so that the wait is ours (SQLite's busy handler is off).
 */
static int begin_locked(struct ctimer_writer *w, long wait_ms)
{
    uint64_t deadline = ctimer_mono_ns() + (uint64_t)wait_ms * 1000000u;
    uint64_t pause = 1000000;
    for (;;) {
        int rc = step(w->st.begin);
        uint64_t now = ctimer_mono_ns();
        if ((rc & 0xff) != SQLITE_BUSY || now >= deadline)
            return rc;
        if (pause > deadline - now)
            pause = deadline - now;
        struct timespec ts = {0, (long)pause};
        nanosleep(&ts, NULL);
        if (pause < 16000000)
            pause *= 2;
    }
}

/* Rows kept in memory while the database stays locked, before they are given up (all of them). */
static size_t busy_bound(const struct ctimer_writer *w)
{
    size_t b = w->batch_rows * 16;
    return b < ((size_t)1 << 20) ? (size_t)1 << 20 : b;
}

/* One transaction with whatever is pending; with_rows = 0 leaves the batch out.  An SQLite code. */
static int write_all(struct ctimer_writer *w, int with_rows, int with_aggregates, const struct run_end *end,
                     uint64_t locked)
{
    int rc = write_functions(w);
    if (rc == SQLITE_OK)
        rc = write_threads(w);
    if (rc == SQLITE_OK)
        rc = write_blocks(w);
    if (rc == SQLITE_OK && with_rows)
        rc = write_rows(w);
    if (rc == SQLITE_OK && with_aggregates)
        rc = write_aggregates(w, end, with_rows, locked);
    if (rc == SQLITE_OK)
        rc = step(w->st.commit);
    if (rc != SQLITE_OK) {
        if (!w->first_error[0]) /* before the rollback, which sets a message of its own */
            snprintf(w->first_error, sizeof w->first_error, "%s", sqlite3_errmsg(w->db));
        step(w->st.rollback);
    }
    return rc;
}

static void committed(struct ctimer_writer *w, int with_rows, int with_aggregates)
{
    w->funcs_written = ctimer_funcs_count(w->funcs);
    w->npthreads = 0;
    w->nblocks = 0;
    if (with_rows)
        w->stats.rows += w->batch.n;
    if (with_aggregates && w->aggs_dirty) {
        for (size_t e = 0; e < w->naggs; e++)
            w->aggs[e].dirty = 0;
        w->aggs_dirty = 0;
    }
}

static void drop_rows(struct ctimer_writer *w)
{
    w->stats.rows_lost += w->batch.n;
    w->batch.n = 0;
    w->nopen = 0;
    w->nargs = 0;
}

/*
 * Commits what is pending.  The faults:
 * - Locked by another connection past CTIMER_BUSY_MS: nothing is thrown away.  Everything stays
 *   pending and is retried 50 ms later, while the rows kept stay under busy_bound(); past it, the
 *   batch is given up and counted in runs.rows_lost.
 * - Any other failure (disk full, RLIMIT_FSIZE, I/O error): the rows of this batch are given up and
 *   counted, and the same transaction is tried again without them, so that the exact aggregates,
 *   functions and threads still land.  One line at the end of the run says what was lost.
 * final: the run's last commit (waits the whole CTIMER_BUSY_MS, and records `end`).
 */
static int commit_ex(struct ctimer_writer *w, int with_aggregates, const struct run_end *end)
{
    size_t nrows = w->batch.n;
    int need = nrows || w->nopen || w->npthreads || w->nblocks || w->funcs_written < ctimer_funcs_count(w->funcs) ||
               (with_aggregates && (w->aggs_dirty || end));
    if (!need)
        return 0;
    uint64_t t0 = ctimer_mono_ns();
    if (!end && t0 < w->retry_after)
        return -1; /* the database was locked a moment ago: keep collecting */
    ctimer_batch_sort(&w->batch); /* before taking the lock: other writers wait less */
    uint64_t sorted = ctimer_mono_ns();
    w->write_ns += sorted - t0;
    int rc = begin_locked(w, w->busy_ms);
    uint64_t locked = ctimer_mono_ns();
    if ((rc & 0xff) == SQLITE_BUSY) {
        w->retry_after = locked + 50000000;
        if (!w->busy_reported) {
            w->busy_reported = 1;
            ctimer_log("ctimer: CTIMER_DB='%s' is locked by another connection; keeping the rows and retrying",
                       w->db_path);
        }
        if (end)
            return 1; /* the end of the run waits the lock out: ctimer_writer_finish_retry */
        if (w->batch.n > busy_bound(w)) {
            if (!w->first_error[0])
                snprintf(w->first_error, sizeof w->first_error, "%s", "locked by another connection");
            drop_rows(w);
        }
        return -1;
    }
    if (rc == SQLITE_OK)
        rc = write_all(w, 1, with_aggregates, end, locked);
    if (rc == SQLITE_OK) {
        committed(w, 1, with_aggregates);
    } else {
        /* The rows go, and no more are written in this run: they would take what little room is
         * left.  The aggregates, which make the summary exact, are tried alone, after a checkpoint
         * that empties the WAL (under RLIMIT_FSIZE it is the WAL file that reaches the limit, and a
         * WAL is only rewound after a checkpoint). */
        w->full_errors++;
        drop_rows(w);
        w->rows_off = 1;
        sqlite3_exec(w->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
        rc = step(w->st.begin);
        if (rc == SQLITE_OK)
            rc = write_all(w, 0, with_aggregates, end, locked);
        if (rc == SQLITE_OK)
            committed(w, 0, with_aggregates);
    }
    w->write_ns += ctimer_mono_ns() - locked;
    w->batch.n = 0;
    w->nopen = 0;
    w->nargs = 0;
    return rc == SQLITE_OK ? 0 : -1;
}

int ctimer_writer_commit(struct ctimer_writer *w, int with_aggregates) { return commit_ex(w, with_aggregates, NULL); }


/* Says, once the run's last commit is settled, what was lost; returns the commit's result. */
static int settle(struct ctimer_writer *w, int rc)
{
    if (rc > 0)
        return rc;
    if (w->stats.rows_lost)
        ctimer_log("ctimer: %llu rows not written to CTIMER_DB='%s' (%s); the summary is %s",
                   (unsigned long long)w->stats.rows_lost, w->db_path, w->first_error[0] ? w->first_error : "?",
                   rc == 0 ? "exact" : "incomplete (runs.complete = 0)");
    else if (rc != 0)
        ctimer_log("ctimer: could not write the end of the run to CTIMER_DB='%s' (%s); runs.complete = 0",
                   w->db_path, w->first_error[0] ? w->first_error : sqlite3_errmsg(w->db));
    return rc;
}

int ctimer_writer_commit_end(struct ctimer_writer *w) { return settle(w, commit_ex(w, 1, &w->end)); }

int ctimer_writer_finish_retry(struct ctimer_writer *w, int give_up)
{
    int rc = commit_ex(w, 1, &w->end);
    if (rc > 0 && give_up) {
        if (!w->first_error[0])
            snprintf(w->first_error, sizeof w->first_error, "%s", "locked by another connection");
        drop_rows(w);
        rc = -1;
    }
    return settle(w, rc);
}
