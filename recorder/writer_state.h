/*
 * writer_state.h — recorder side, inside the writer: the state that decoding (writer.c) and
 * committing (commit.c) share.  Not for other files: they use writer.h.
 */
#ifndef CTIMER_WRITER_STATE_H
#define CTIMER_WRITER_STATE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "clock.h"
#include "edgecache.h"
#include "funcs.h"
#include "schema.h"
#include "writer.h"

#define NO_AGG UINT32_MAX
/* The caller of an aggregate that holds counted calls (<t>_counted), not an edge: calls is the
 * absolute count last read; the other sums are unused. */
#define COUNTED_CALLER UINT32_MAX

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
    uint32_t cap;    /* CAP_INDEX bits: its entry in the thread's caps + 1 (0: none); CAP_FORCE_ROW */
};

/* frame.cap */
#define CAP_INDEX 0x7fffffffu
#define CAP_FORCE_ROW 0x80000000u /* a row even under CTIMER_MIN_NS: it or a descendant has args */

/* What a call of a cpu= or args= function captured at its entry (recorder/capture.c). */
struct capture_entry {
    uint64_t cpu0; /* thread CPU ns at entry, if CAPTURED_CPU */
    uint64_t a[4];
    uint32_t flags; /* CTIMER_CAPTURE_ARG bits, CAPTURED_CPU */
};
#define CAPTURED_CPU CTIMER_CAPTURE_CPU

/* wthread.pend: exit-side markers waiting for the exit they precede */
#define PEND_RET 1u
#define PEND_CPU 2u

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
    struct capture_entry *caps; /* one per open frame that captured something, in stack order */
    size_t ncaps, caps_cap;
    int after_enter;            /* the last event was an enter: entry markers (cpu in, args) are its */
    uint32_t pend;              /* PEND_*: exit markers seen, for the exit that must come next */
    uint64_t pend_ret, pend_cpu;
    uint64_t thread_cpu0, thread_cpu; /* its CPU time at its first and its last tcpu marker */
    uint64_t thread_ts0, thread_ts;   /* and the timestamps beside them */
    uint32_t tcpu_seen;               /* tcpu markers seen: cpu_ns needs two */
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
    uint64_t cpu, cpu_calls; /* CPU ns of the calls that recorded it (cpu=), and how many did */
    uint64_t unfinished;     /* calls that never returned (longjmp, exit, a lost exit): not in the sums */
};

/* A "<t>_args" row waiting for the next commit (with the batch its call's row is in). */
struct pending_args {
    uint64_t id;
    uint64_t a[4], ret;
    uint32_t flags; /* CTIMER_CAPTURE_ARG bits, CTIMER_CAPTURE_RET */
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
    int64_t cpu_ns, wall_ns; /* -1: NULL */
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
    struct pending_args *args; /* "<t>_args" rows of the batch's calls */
    size_t nargs, args_cap;

    struct agg *aggs; /* entries; aggs_index[slot] = entry index + 1 */
    size_t naggs, aggs_cap;
    uint32_t *aggs_index;
    size_t aggs_mask;
    int aggs_dirty;

    double probe_ns;              /* runs.probe_ns, 0 until known */
    ctimer_call_observer observe; /* timing.c's rule, or NULL */
    void *observe_ctx;

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

/* capture.c: an entry or exit marker (cpu in, args, ret, cpu out, tcpu) of thread t, at e. */
void ctimer_capture_marker(struct ctimer_writer *w, struct ctimer_wthread *t, const uint64_t *e);
/* capture.c: what closing frame f adds: its CPU ns into *cpu (-1: none), its arguments (a row for
 * "<t>_args" in *args, 1 returned; else 0).  Pops f's entry; marks the parent's row as forced when
 * f's is.  Returns whether f must have a row whatever its duration. */
int ctimer_capture_close(struct ctimer_wthread *t, struct frame *f, struct frame *parent, int unfinished,
                         int64_t *cpu, struct pending_args *args, int *has_args);

/* commit.c: the run's last commit with w->end, and the one line saying what was lost once it is
 * settled.  Returns as ctimer_writer_finish does. */
int ctimer_writer_commit_end(struct ctimer_writer *w);

#endif /* CTIMER_WRITER_STATE_H */
