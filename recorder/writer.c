/*
 * writer.c — recorder side: decoding and the exact aggregates.  See writer.h and
 * docs/runtime-design.md, "Writer".  Writing to SQLite, and what to do when that fails, is commit.c.
 *
 * Per program thread the stream is decoded in order with a shadow stack of open frames.  Call ids
 * are assigned at enter (run-wide, from 1), rows are produced when a frame closes: completed (its exit
 * matched) or abandoned (a longjmp skipped its exit, its exit was lost, or the run ended first).
 * Times are converted per timestamp, so children nest exactly inside parents and
 * self = dur - child is exact for every row.
 */
#include "writer_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grow.h"

#include "log.h"
#include "stream.h"

/* ---------------------------------------------------------------- small helpers */

#define grow ctimer_grow

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
    *a = (struct agg){th, caller, callee, 0, 0, 0, 0, UINT64_MAX, 0, 0, 0, 0};
    w->aggs_index[i] = (uint32_t)(++w->naggs);
    return a;
}

/* t's "<t>_threads" row (t NULL: a thread just seen, without CPU or wall time yet). */
static void queue_thread_row(struct ctimer_writer *w, uint32_t index, int64_t tid, const char *name,
                             const struct ctimer_wthread *t)
{
    if (grow((void **)&w->pthreads, &w->pthreads_cap, w->npthreads + 1, sizeof *w->pthreads, 16) != 0)
        return;
    struct pending_thread *p = &w->pthreads[w->npthreads++];
    p->index = index;
    p->tid = tid;
    p->named = name != NULL;
    snprintf(p->name, sizeof p->name, "%s", name ? name : "");
    /* from its first tcpu marker to its last (the thread's end); NULL without both (it did not end
     * through the runtime).  Without a first marker (a thread of an older libctimer), no wall time. */
    int both = t && t->tcpu_seen >= 2 && t->thread_cpu >= t->thread_cpu0 && t->thread_ts >= t->thread_ts0;
    p->cpu_ns = both ? (int64_t)(t->thread_cpu - t->thread_cpu0) : -1;
    p->wall_ns = both ? (int64_t)(ctimer_clock_ns(w->clock, t->thread_ts) - ctimer_clock_ns(w->clock, t->thread_ts0)) : -1;
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
        free(t->caps);
        free(t);
    }
    ctimer_funcs_free(w->funcs);
    free(w->db_path);
    ctimer_batch_free(&w->batch);
    free(w->blocks);
    free(w->block_seen);
    free(w->open);
    free(w->args);
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
    queue_thread_row(w, index, tid, NULL, NULL);
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

/*
 * A closed frame's row.  span = the last id given on its thread so far - its id: ids are handed out
 * in pre-order per thread, so the frame's descendants are exactly its thread's rows with ids in
 * (id, id + span] (docs/runtime-design.md, "Querying children").  0 for a leaf: no byte on disk.
 */
static void emit_row(struct ctimer_writer *w, const struct frame *f, const struct frame *parent,
                     const struct ctimer_wthread *t, uint64_t dur, int unfinished, int64_t cpu,
                     const struct pending_args *args)
{
    struct ctimer_batch *b = &w->batch;
    if (w->rows_off) {
        w->stats.rows_lost++;
        return;
    }
    if ((b->n == b->cap && ctimer_batch_reserve(b, b->n + 1) != 0) || queue_block(w, f, t->index) != 0) {
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
    if (args) {
        if (grow((void **)&w->args, &w->args_cap, w->nargs + 1, sizeof *w->args, 64) == 0)
            w->args[w->nargs++] = *args;
    }
    int64_t *v = b->rows[b->n++].v;
    v[CTIMER_COL_ID] = (int64_t)f->id;
    v[CTIMER_COL_PARENT] = parent ? (int64_t)(f->id - parent->id) : 0;
    v[CTIMER_COL_DEPTH] = (int64_t)f->depth - (int64_t)f->bdepth;
    v[CTIMER_COL_FUNC] = f->fid;
    v[CTIMER_COL_START] = (int64_t)(f->start_ns - f->bstart);
    v[CTIMER_COL_DUR] = (int64_t)dur;
    v[CTIMER_COL_CHILD] = (int64_t)f->child_ns;
    v[CTIMER_COL_SPAN] = (int64_t)(t->next_id - 1 - f->id);
    v[CTIMER_COL_CPU] = cpu >= 0 ? cpu : CTIMER_ROW_NULL;
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
    int64_t cpu = -1;
    struct pending_args args;
    int has_args = 0, force = f->cap && ctimer_capture_close(t, f, parent, unfinished, &cpu, &args, &has_args);
    if (unfinished) {
        w->stats.unfinished++;
        if (f->agg != NO_AGG) { /* a call all the same: counted, but in none of the sums */
            struct agg *a = &w->aggs[f->agg];
            a->unfinished++;
            if (!a->dirty) {
                a->dirty = 1;
                w->aggs_dirty = 1;
            }
        }
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
            if (cpu >= 0) {
                a->cpu += (uint64_t)cpu;
                a->cpu_calls++;
            }
            if (!a->dirty) {
                a->dirty = 1;
                w->aggs_dirty = 1;
            }
        }
    }
    if (w->observe && !unfinished)
        w->observe(w->observe_ctx, f->fid, dur);
    if (w->trace && (dur >= w->min_ns || force))
        emit_row(w, f, parent, t, dur, unfinished, cpu, has_args ? &args : NULL);
}

void ctimer_writer_set_probe_ns(struct ctimer_writer *w, double ns) { w->probe_ns = ns; }

void ctimer_writer_set_observer(struct ctimer_writer *w, ctimer_call_observer fn, void *ctx)
{
    w->observe = fn;
    w->observe_ctx = ctx;
}

void ctimer_writer_set_counted(struct ctimer_writer *w, uint32_t thread, uint32_t fid, uint64_t calls)
{
    struct agg *a = agg_get(w, thread, COUNTED_CALLER, fid);
    if (!a || a->calls == calls)
        return;
    w->stats.counted += calls - a->calls; /* counts only grow: a slot's words are read, then zeroed */
    a->calls = calls;
    if (!a->dirty) {
        a->dirty = 1;
        w->aggs_dirty = 1;
    }
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
               !(ctimer_funcs_kind(w->funcs, ctimer_funcs_resolve(w->funcs, d)) != CTIMER_KIND_FUNCTION &&
                 ctimer_funcs_kind(w->funcs, t->st[t->n - 1].fid) == CTIMER_KIND_FUNCTION))
            close_top(w, t, ts, 1);
    t->jumped = 0;
    if (t->n == t->cap && grow((void **)&t->st, &t->cap, t->n + 1, sizeof *t->st, 64) != 0) {
        w->stats.dropped++;
        return;
    }
    struct frame *f = &t->st[t->n];
    f->cap = 0;
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
    t->after_enter = 1;
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
        if (w0 >= CTIMER_MARK_CPU_IN && w0 <= CTIMER_MARK_THREAD_CPU) { /* capture.c */
            ctimer_capture_marker(w, t, words + i);
            i += len;
            continue;
        }
        t->after_enter = 0;
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
            t->last_ts = ts; /* the end of its wall time */
            while (t->n)
                close_top(w, t, ts, 1);
        } else if (w0 > CTIMER_MARK_MAX) {
            on_enter_event(w, t, w0, words[i + 1], words[i + 2]);
        } /* other markers: reserved, skipped */
        t->pend = 0; /* exit markers belong to the exit right after them, if it was this event */
        i += len;
    }
    return i;
}

void ctimer_writer_thread_name(struct ctimer_writer *w, struct ctimer_wthread *t, const char *name)
{
    queue_thread_row(w, t->index, t->tid, name ? name : "", t);
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
    free(t->caps);
    free(t);
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
    return ctimer_writer_commit_end(w);
}
