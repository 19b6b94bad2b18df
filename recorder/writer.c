/*
 * writer.c — the background writer.  See writer.h and docs/runtime-design.md, "Writer".
 *
 * Per application thread the stream is decoded in order with a shadow stack of open frames.  Call ids
 * are assigned at enter (run-wide, from 1), rows are produced when a frame closes: completed (its exit
 * matched) or abandoned (a longjmp skipped its exit, its exit was lost, or the run ended first).
 * Times are converted per timestamp, so children nest exactly inside parents and
 * self = dur - child is exact for every row.
 */
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "edgecache.h"
#include "funcs.h"
#include "log.h"
#include "schema.h"
#include "stream.h"

#define NO_AGG UINT32_MAX

struct frame {
    uint64_t id;       /* call id */
    uint64_t t0;       /* enter timestamp: what the exit carries back */
    uint64_t start_ns; /* ns since run start */
    uint64_t sp;       /* stack position at enter */
    uint64_t child_ns; /* sum of the direct children's durations */
    uint64_t bstart;   /* start_ns of the first call of its id block */
    uint32_t fid;      /* function id */
    uint32_t depth;
    uint32_t bdepth; /* depth of the first call of its id block */
    uint32_t agg;    /* index of its aggregate (thread, caller, callee) in aggs, or NO_AGG */
};

struct ctimer_wthread {
    uint32_t index;
    int64_t tid;
    struct frame *st;
    size_t n, cap;
    uint64_t last_ts; /* latest timestamp seen: the end of frames still open when the thread ends */
    uint64_t orphans; /* exits whose enter a gap discarded, still expected (already counted dropped) */
    uint64_t next_id, id_end; /* ids left in this thread's current block: [next_id, id_end) */
    uint64_t bstart;          /* start_ns and depth of the current block's first call */
    uint32_t bdepth;
    int jumped; /* a longjmp was announced: the next call also closes frames at its own position */
    struct ctimer_wthread *prev, *next;
};

/* What the last commit of a run adds to its runs row. */
struct run_end {
    const char *ended_at;   /* ISO-8601 */
    const char *reason;     /* "exit", "died", "exec" */
    int64_t duration_ns;
};

/* Exact aggregate of completed calls, keyed by (thread, caller function, callee function). */
struct agg {
    uint32_t thread, caller, callee, dirty;
    uint64_t calls, total, self, min, max;
};

/* A "<t>_blocks" row waiting for the next commit. */
struct pending_block {
    uint64_t id;
    uint64_t start;
    uint32_t thread, depth;
};

struct pending_thread {
    uint32_t index;
    int64_t tid;
    char name[16];
    int named;
};

struct ctimer_writer {
    sqlite3 *db;
    char *db_path;
    char table[96];
    int64_t run_id;
    struct ctimer_stmts st;
    const struct ctimer_clock *clock;
    int trace;
    uint64_t min_ns;
    size_t batch_rows; /* CTIMER_BATCH */
    long busy_ms;

    struct ctimer_funcs *funcs;
    uint32_t funcs_written; /* functions 1..funcs_written are in the database */
    uint64_t next_block;    /* the next id block to hand to a thread */
    struct ctimer_writer_stats stats;
    uint64_t write_ns; /* time spent writing to SQLite (sorting included, lock waits not): runs.writer_ms */

    struct ctimer_batch batch; /* rows of "<t>" waiting for the next commit */
    struct pending_block *blocks;
    size_t nblocks, blocks_cap;
    uint64_t *block_seen; /* bitmap: blocks queued for "<t>_blocks" (each is written once) */
    size_t block_seen_words;
    uint64_t *open; /* ids of unfinished rows waiting to be written */
    size_t nopen, open_cap;

    struct agg *aggs; /* entries; aggs_index[slot] = entry index + 1 */
    size_t naggs, aggs_cap;
    uint32_t *aggs_index;
    size_t aggs_mask;
    int aggs_dirty;

    struct pending_thread *pthreads;
    size_t npthreads, pthreads_cap;

    struct ctimer_wthread *threads; /* every thread being decoded */
    struct ctimer_edge_slot *edge_cache; /* edgecache.h */
    uint64_t retry_after;  /* mono ns: a commit that found the database locked is retried from then on */
    int full_errors;       /* commits that failed for another reason than a lock (disk full, ...) */
    char first_error[200]; /* the first such failure's SQLite message, for the one line at the end */
    int busy_reported;     /* the "locked; retrying" line is printed once */
    int rows_off;          /* the database was full: rows are counted in rows_lost, not written */
    struct run_end end;    /* set by ctimer_writer_finish, for its retries */
    char ended_at[32], end_reason[16];
};

/* ---------------------------------------------------------------- small helpers */

static int grow(void **p, size_t *cap, size_t need, size_t elem, size_t first)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : first;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

static uint64_t agg_hash(uint32_t th, uint32_t caller, uint32_t callee)
{
    uint64_t k = ((uint64_t)caller << 32 | callee) ^ ((uint64_t)th * UINT64_C(0x9E3779B97F4A7C15));
    k ^= k >> 33;
    k *= UINT64_C(0xff51afd7ed558ccd);
    k ^= k >> 33;
    return k;
}

static int aggs_rehash(struct ctimer_writer *w, size_t slots)
{
    uint32_t *idx = calloc(slots, sizeof *idx);
    if (!idx)
        return -1;
    for (size_t e = 0; e < w->naggs; e++) {
        const struct agg *a = &w->aggs[e];
        size_t i = agg_hash(a->thread, a->caller, a->callee) & (slots - 1);
        while (idx[i])
            i = (i + 1) & (slots - 1);
        idx[i] = (uint32_t)(e + 1);
    }
    free(w->aggs_index);
    w->aggs_index = idx;
    w->aggs_mask = slots - 1;
    return 0;
}

static struct agg *agg_get(struct ctimer_writer *w, uint32_t th, uint32_t caller, uint32_t callee)
{
    size_t i = agg_hash(th, caller, callee) & w->aggs_mask;
    for (; w->aggs_index[i]; i = (i + 1) & w->aggs_mask) {
        struct agg *a = &w->aggs[w->aggs_index[i] - 1];
        if (a->callee == callee && a->caller == caller && a->thread == th)
            return a;
    }
    if ((w->naggs + 1) * 2 > w->aggs_mask + 1) {
        if (aggs_rehash(w, (w->aggs_mask + 1) * 2) != 0)
            return NULL;
        return agg_get(w, th, caller, callee);
    }
    if (grow((void **)&w->aggs, &w->aggs_cap, w->naggs + 1, sizeof *w->aggs, 256) != 0)
        return NULL;
    struct agg *a = &w->aggs[w->naggs];
    *a = (struct agg){th, caller, callee, 0, 0, 0, 0, UINT64_MAX, 0};
    w->aggs_index[i] = (uint32_t)(++w->naggs);
    return a;
}

static void queue_thread_row(struct ctimer_writer *w, uint32_t index, int64_t tid, const char *name)
{
    if (grow((void **)&w->pthreads, &w->pthreads_cap, w->npthreads + 1, sizeof *w->pthreads, 16) != 0)
        return;
    struct pending_thread *p = &w->pthreads[w->npthreads++];
    p->index = index;
    p->tid = tid;
    p->named = name != NULL;
    snprintf(p->name, sizeof p->name, "%s", name ? name : "");
}

/* ---------------------------------------------------------------- construction */

struct ctimer_writer *ctimer_writer_new(sqlite3 *db, const char *db_path, const char *table, int64_t run_id,
                                        const struct ctimer_config *cfg, const struct ctimer_clock *clock,
                                        pid_t source)
{
    struct ctimer_writer *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->db = db;
    w->db_path = strdup(db_path ? db_path : "");
    snprintf(w->table, sizeof w->table, "%s", table);
    w->run_id = run_id;
    w->clock = clock;
    w->trace = cfg->mode == CTIMER_MODE_TRACE;
    w->min_ns = cfg->min_ns > 0 ? (uint64_t)cfg->min_ns : 0;
    w->batch_rows = cfg->batch > 0 ? (size_t)cfg->batch : CTIMER_DEFAULT_BATCH;
    w->busy_ms = cfg->busy_ms;
    w->funcs = ctimer_funcs_new(source);
    w->edge_cache = calloc(CTIMER_EDGE_CACHE_SLOTS, sizeof *w->edge_cache);
    if (!w->db_path || !w->funcs || !w->edge_cache || aggs_rehash(w, 1024) != 0 ||
        ctimer_batch_attach(db, &w->batch) != SQLITE_OK ||
        ctimer_schema_prepare(db, table, &w->st) != SQLITE_OK) {
        ctimer_writer_free(w);
        return NULL;
    }
    sqlite3_busy_timeout(db, 0); /* the writer waits for the lock itself: begin_locked() */
    return w;
}

void ctimer_writer_free(struct ctimer_writer *w)
{
    if (!w)
        return;
    ctimer_schema_finalize(&w->st);
    ctimer_batch_detach(w->db);
    while (w->threads) {
        struct ctimer_wthread *t = w->threads;
        w->threads = t->next;
        free(t->st);
        free(t);
    }
    ctimer_funcs_free(w->funcs);
    free(w->db_path);
    ctimer_batch_free(&w->batch);
    free(w->blocks);
    free(w->block_seen);
    free(w->open);
    free(w->aggs);
    free(w->aggs_index);
    free(w->edge_cache);
    free(w->pthreads);
    free(w);
}

struct ctimer_wthread *ctimer_writer_thread(struct ctimer_writer *w, uint32_t index, int64_t tid)
{
    struct ctimer_wthread *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->index = index;
    t->tid = tid;
    t->next = w->threads;
    if (w->threads)
        w->threads->prev = t;
    w->threads = t;
    queue_thread_row(w, index, tid, NULL);
    return t;
}

uint32_t ctimer_writer_add_function(struct ctimer_writer *w, uint64_t addr, uint16_t kind, uint32_t line,
                                    const char *name, const char *strct, const char *file, const char *caller)
{
    return ctimer_funcs_add(w->funcs, addr, kind, line, name, strct, file, caller);
}

void ctimer_writer_add_range(struct ctimer_writer *w, struct ctimer_desc *start, struct ctimer_desc *stop)
{
    long foreign = ctimer_funcs_add_range(w->funcs, (uintptr_t)start, (uintptr_t)stop);
    if (foreign < 0)
        ctimer_log("ctimer: a %s section of %zu bytes is not an array of %zu-byte descriptors; its functions "
                   "are listed only once called",
                   CTIMER_DESC_SECTION, (size_t)((uintptr_t)stop - (uintptr_t)start), sizeof(struct ctimer_desc));
    else if (foreign > 0)
        ctimer_log("ctimer: %ld records in a %s section are not ABI %d descriptors (another plugin version?); "
                   "skipped",
                   foreign, CTIMER_DESC_SECTION, CTIMER_ABI_VERSION);
}

void ctimer_writer_get_stats(const struct ctimer_writer *w, struct ctimer_writer_stats *out) { *out = w->stats; }

size_t ctimer_writer_pending_rows(const struct ctimer_writer *w) { return w->batch.n; }

void ctimer_writer_add_dropped(struct ctimer_writer *w, uint64_t n)
{
    w->stats.dropped += n;
    w->aggs_dirty = 1;
}

/* ---------------------------------------------------------------- decoding */

/* Queues the "<t>_blocks" row of f's id block, the first time one of its calls gets a row. */
static int queue_block(struct ctimer_writer *w, const struct frame *f, uint32_t thread)
{
    uint64_t blk = f->id >> CTIMER_ID_BLOCK_BITS;
    size_t word = (size_t)(blk / 64);
    if (word >= w->block_seen_words) {
        size_t words = w->block_seen_words ? w->block_seen_words : 64;
        while (words <= word)
            words *= 2;
        uint64_t *seen = realloc(w->block_seen, words * sizeof *seen);
        if (!seen)
            return -1;
        memset(seen + w->block_seen_words, 0, (words - w->block_seen_words) * sizeof *seen);
        w->block_seen = seen;
        w->block_seen_words = words;
    }
    uint64_t bit = UINT64_C(1) << (blk % 64);
    if (w->block_seen[word] & bit)
        return 0;
    if (grow((void **)&w->blocks, &w->blocks_cap, w->nblocks + 1, sizeof *w->blocks, 64) != 0)
        return -1;
    w->blocks[w->nblocks++] = (struct pending_block){blk, f->bstart, thread, f->bdepth};
    w->block_seen[word] |= bit;
    return 0;
}

static void emit_row(struct ctimer_writer *w, const struct frame *f, const struct frame *parent,
                     uint32_t thread, uint64_t dur, int unfinished)
{
    struct ctimer_batch *b = &w->batch;
    if (w->rows_off) {
        w->stats.rows_lost++;
        return;
    }
    if ((b->n == b->cap && ctimer_batch_reserve(b, b->n + 1) != 0) || queue_block(w, f, thread) != 0) {
        w->stats.rows_lost++;
        return;
    }
    if (unfinished) {
        if (grow((void **)&w->open, &w->open_cap, w->nopen + 1, sizeof *w->open, 64) != 0) {
            w->stats.rows_lost++;
            return;
        }
        w->open[w->nopen++] = f->id;
    }
    int64_t *v = b->rows[b->n++].v;
    v[CTIMER_COL_ID] = (int64_t)f->id;
    v[CTIMER_COL_PARENT] = parent ? (int64_t)(f->id - parent->id) : 0;
    v[CTIMER_COL_DEPTH] = (int64_t)f->depth - (int64_t)f->bdepth;
    v[CTIMER_COL_FUNC] = f->fid;
    v[CTIMER_COL_START] = (int64_t)(f->start_ns - f->bstart);
    v[CTIMER_COL_DUR] = (int64_t)dur;
    v[CTIMER_COL_CHILD] = (int64_t)f->child_ns;
    if (b->n >= w->batch_rows)
        ctimer_writer_commit(w, 0);
}

/* Closes the innermost open frame at timestamp ts. */
static void close_top(struct ctimer_writer *w, struct ctimer_wthread *t, uint64_t ts, int unfinished)
{
    struct frame *f = &t->st[--t->n];
    struct frame *parent = t->n ? &t->st[t->n - 1] : NULL;
    uint64_t end_ns = ctimer_clock_ns(w->clock, ts);
    uint64_t dur = end_ns > f->start_ns ? end_ns - f->start_ns : 0;
    if (parent)
        parent->child_ns += dur; /* abandoned children too: every row's self stays dur - child */
    if (unfinished) {
        w->stats.unfinished++;
    } else {
        w->stats.calls++;
        if (f->agg != NO_AGG) {
            struct agg *a = &w->aggs[f->agg];
            uint64_t self = dur > f->child_ns ? dur - f->child_ns : 0;
            a->calls++;
            a->total += dur;
            a->self += self;
            if (dur < a->min)
                a->min = dur;
            if (dur > a->max)
                a->max = dur;
            if (!a->dirty) {
                a->dirty = 1;
                w->aggs_dirty = 1;
            }
        }
    }
    if (w->trace && dur >= w->min_ns)
        emit_row(w, f, parent, t->index, dur, unfinished);
}

/* f->fid and f->agg for a call of d made by function `caller` (0 for a thread's outermost call). */
static void resolve_call(struct ctimer_writer *w, struct ctimer_wthread *t, uint64_t d, uint32_t caller,
                         struct frame *f)
{
    const struct ctimer_edge_slot *s = ctimer_edge_find(w->edge_cache, (uintptr_t)d, t->index, caller);
    if (s) {
        f->fid = s->fid;
        f->agg = s->agg;
        return;
    }
    f->fid = ctimer_funcs_resolve(w->funcs, d);
    struct agg *a = agg_get(w, t->index, caller, f->fid);
    f->agg = a ? (uint32_t)(a - w->aggs) : NO_AGG;
    if (f->fid && a)
        ctimer_edge_store(w->edge_cache, (uintptr_t)d, t->index, caller, f->fid, f->agg);
}

static void on_enter_event(struct ctimer_writer *w, struct ctimer_wthread *t, uint64_t d, uint64_t ts, uint64_t sp)
{
    if (ts > t->last_ts)
        t->last_ts = ts;
    /* Frames above the new call's stack position cannot be its ancestors: a longjmp left them.
     * (Equal positions are kept: a method call is timed at its call site, inside its caller's frame,
     * and a function inlined into its caller at placement=early enters in the caller's frame.) */
    while (t->n && t->st[t->n - 1].sp < sp)
        close_top(w, t, ts, 1);
    /* After a longjmp, a function frame at the same position is an abandoned sibling (the same
     * function frame called both), not the new call's parent, unless the new call is a method timed
     * at its call site in that very function. */
    if (t->jumped)
        while (t->n && t->st[t->n - 1].sp == sp &&
               !(ctimer_funcs_kind(w->funcs, ctimer_funcs_resolve(w->funcs, d)) == CTIMER_KIND_METHOD &&
                 ctimer_funcs_kind(w->funcs, t->st[t->n - 1].fid) == CTIMER_KIND_FUNCTION))
            close_top(w, t, ts, 1);
    t->jumped = 0;
    if (t->n == t->cap && grow((void **)&t->st, &t->cap, t->n + 1, sizeof *t->st, 64) != 0) {
        w->stats.dropped++;
        return;
    }
    struct frame *f = &t->st[t->n];
    f->t0 = ts;
    f->start_ns = ctimer_clock_ns(w->clock, ts);
    f->sp = sp;
    f->child_ns = 0;
    f->depth = (uint32_t)t->n;
    if (t->next_id == t->id_end) {
        /* a new block of ids for this thread; its first call is the base of depth and start */
        uint64_t blk = w->next_block++;
        t->next_id = blk ? blk << CTIMER_ID_BLOCK_BITS : 1; /* ids start at 1 */
        t->id_end = (blk + 1) << CTIMER_ID_BLOCK_BITS;
        t->bstart = f->start_ns;
        t->bdepth = f->depth;
    }
    f->id = t->next_id++;
    f->bstart = t->bstart;
    f->bdepth = t->bdepth;
    resolve_call(w, t, d, t->n ? t->st[t->n - 1].fid : 0, f);
    t->n++;
}

static void on_exit_event(struct ctimer_writer *w, struct ctimer_wthread *t, uint64_t t0, uint64_t ts)
{
    if (t0 == 0)
        return; /* its enter recorded nothing */
    t->jumped = 0; /* the jump's target returned: the frames it left are closed below */
    if (ts > t->last_ts)
        t->last_ts = ts;
    if (t0 < w->clock->start_tick)
        return; /* entered before this run began: a forked child returning through its parent's frames */
    size_t k = t->n;
    while (k && t->st[k - 1].t0 != t0)
        k--;
    if (!k) {
        if (t->orphans)
            t->orphans--; /* its enter was in a drop gap, already counted */
        else
            w->stats.dropped++;
        return;
    }
    while (t->n > k)
        close_top(w, t, ts, 1); /* exits skipped by longjmp, or lost */
    close_top(w, t, ts, 0);
}

size_t ctimer_writer_decode(struct ctimer_writer *w, struct ctimer_wthread *t, const uint64_t *words, size_t n,
                            int partial)
{
    size_t i = 0;
    while (i < n) {
        uint64_t w0 = partial ? __atomic_load_n(&words[i], __ATOMIC_ACQUIRE) : words[i];
        if (w0 == 0)
            break; /* not written yet (partial), or a corrupt chunk: nothing after it can be trusted */
        size_t len = ctimer_event_words(w0);
        if (i + len > n)
            break;
        if (w0 & CTIMER_EXIT_BIT) {
            on_exit_event(w, t, w0 & ~CTIMER_EXIT_BIT, words[i + 1]);
        } else if (w0 == CTIMER_MARK_GAP) {
            w->stats.dropped += words[i + 1];
            t->orphans += words[i + 1];
        } else if (w0 == CTIMER_MARK_JUMP) {
            t->jumped = 1;
        } else if (w0 == CTIMER_MARK_LOST) {
            w->stats.dropped += words[i + 1]; /* no exit will follow: the enter returned 0 */
        } else if (w0 == CTIMER_MARK_END) {
            uint64_t ts = words[i + 1] > t->last_ts ? words[i + 1] : t->last_ts;
            while (t->n)
                close_top(w, t, ts, 1);
        } else if (w0 > CTIMER_MARK_MAX) {
            on_enter_event(w, t, w0, words[i + 1], words[i + 2]);
        } /* other markers: reserved, skipped */
        i += len;
    }
    return i;
}

void ctimer_writer_thread_name(struct ctimer_writer *w, struct ctimer_wthread *t, const char *name)
{
    queue_thread_row(w, t->index, t->tid, name ? name : "");
}

void ctimer_writer_thread_done(struct ctimer_writer *w, struct ctimer_wthread *t, const char *name)
{
    while (t->n)
        close_top(w, t, t->last_ts, 1);
    ctimer_writer_thread_name(w, t, name);
    if (t->prev)
        t->prev->next = t->next;
    else
        w->threads = t->next;
    if (t->next)
        t->next->prev = t->prev;
    free(t->st);
    free(t);
}

/* ---------------------------------------------------------------- committing */

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

static int write_functions(struct ctimer_writer *w)
{
    uint32_t count = ctimer_funcs_count(w->funcs);
    for (uint32_t id = w->funcs_written + 1; id <= count; id++) {
        const struct ctimer_func *f = ctimer_funcs_get(w->funcs, id);
        sqlite3_stmt *s = w->st.func;
        sqlite3_bind_int64(s, 1, f->id);
        sqlite3_bind_text(s, 2, f->kind == CTIMER_KIND_METHOD ? "method" : "function", -1, SQLITE_STATIC);
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
    return rc;
}

static int write_aggregates(struct ctimer_writer *w, const struct run_end *end, int rows_ok, uint64_t commit_start)
{
    int rc = SQLITE_OK;
    for (size_t e = 0; rc == SQLITE_OK && w->aggs_dirty && e < w->naggs; e++) {
        const struct agg *a = &w->aggs[e];
        if (!a->dirty)
            continue;
        sqlite3_stmt *s = w->st.edge;
        sqlite3_bind_int64(s, 1, a->thread);
        sqlite3_bind_int64(s, 2, a->caller);
        sqlite3_bind_int64(s, 3, a->callee);
        sqlite3_bind_int64(s, 4, (int64_t)a->calls);
        sqlite3_bind_int64(s, 5, (int64_t)a->total);
        sqlite3_bind_int64(s, 6, (int64_t)a->self);
        sqlite3_bind_int64(s, 7, (int64_t)a->min);
        sqlite3_bind_int64(s, 8, (int64_t)a->max);
        rc = step(s);
    }
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_stmt *s = w->st.run_update;
    sqlite3_bind_int64(s, 1, (int64_t)w->stats.calls);
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
    /* The last commit also builds the children index (schema.c): in the same transaction, so that
     * a reader who sees ended_at sees the index, and never finds the database locked by it. */
    if (rc == SQLITE_OK && end && with_rows && !w->rows_off)
        rc = ctimer_schema_finish_run(w->db, w->table);
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

int ctimer_writer_finish(struct ctimer_writer *w, uint64_t end_ts, const char *ended_at, const char *reason)
{
    uint64_t last = end_ts;
    for (struct ctimer_wthread *t = w->threads; t; t = t->next)
        if (t->last_ts > last)
            last = t->last_ts;
    for (struct ctimer_wthread *t = w->threads; t; t = t->next) {
        uint64_t ts = end_ts > t->last_ts ? end_ts : t->last_ts;
        while (t->n)
            close_top(w, t, ts, 1);
    }
    if (ended_at)
        snprintf(w->ended_at, sizeof w->ended_at, "%s", ended_at);
    else {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        ctimer_iso_time(w->ended_at, (int64_t)now.tv_sec, now.tv_nsec);
    }
    snprintf(w->end_reason, sizeof w->end_reason, "%s", reason ? reason : "exit");
    w->end = (struct run_end){w->ended_at, w->end_reason, (int64_t)ctimer_clock_ns(w->clock, last)};
    return settle(w, commit_ex(w, 1, &w->end));
}

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
