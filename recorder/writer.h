/*
 * writer.h — recorder side: decodes each thread's event stream with a shadow stack, keeps exact
 * per-edge aggregates, and writes rows in batches.  See docs/runtime-design.md, "Writer".
 *
 * It needs no shared memory and no process: tests drive it with synthetic streams.  The recorder's
 * loop (drain.c) feeds it from the program's chunks.
 */
#ifndef CTIMER_WRITER_H
#define CTIMER_WRITER_H

#include <sqlite3.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "config.h"
#include "ctimer.h"

struct ctimer_writer;
struct ctimer_wthread; /* decoding state of one application thread */

struct ctimer_writer_stats {
    uint64_t calls;      /* completed calls (all modes, any duration) */
    uint64_t dropped;    /* calls lost: drop-mode gaps, exits whose enter was never seen */
    uint64_t unfinished; /* frames abandoned (longjmp, lost exits) or still open at the end */
    uint64_t rows;       /* rows committed to <t> */
    uint64_t rows_lost;  /* rows given up: the database was full, or locked for too long */
    uint64_t counted;    /* calls counted and not timed (<t>_counted), as last read */
};

/*
 * A writer for an open database whose run tables exist.  `db_path` is only used in messages;
 * descriptors the writer is not told about are read from process `source`.  The clock must be
 * calibrated before the first event is decoded.  Returns NULL (and leaves the database alone) on
 * failure.
 */
struct ctimer_writer *ctimer_writer_new(sqlite3 *db, const char *db_path, const char *table, int64_t run_id,
                                        const struct ctimer_config *cfg, const struct ctimer_clock *clock,
                                        pid_t source);
/* Finalizes statements and frees memory; does not close the database. */
void ctimer_writer_free(struct ctimer_writer *w);

/* A new thread's decoding state; queues its <t>_threads row. */
struct ctimer_wthread *ctimer_writer_thread(struct ctimer_writer *w, uint32_t index, int64_t tid);

/* Names the descriptor at addr (a record of the program's descriptor log); returns its function id. */
uint32_t ctimer_writer_add_function(struct ctimer_writer *w, uint64_t addr, uint16_t kind, uint32_t line,
                                    const char *name, const char *strct, const char *file, const char *caller);
/* Names every descriptor of an array in the source process (new <t>_functions rows). */
void ctimer_writer_add_range(struct ctimer_writer *w, struct ctimer_desc *start, struct ctimer_desc *stop);

/*
 * Decodes n words of one thread's stream.  With partial=1 (a live thread's chunk read at shutdown),
 * stops at the first event not yet completely written.  Returns the number of words consumed.
 */
size_t ctimer_writer_decode(struct ctimer_writer *w, struct ctimer_wthread *t, const uint64_t *words, size_t n,
                            int partial);

/* The thread ended: frames still open become unfinished rows ending at its last timestamp; its name
 * is recorded (may be NULL) and its state freed. */
void ctimer_writer_thread_done(struct ctimer_writer *w, struct ctimer_wthread *t, const char *name);
/* Records a live thread's name (at shutdown). */
void ctimer_writer_thread_name(struct ctimer_writer *w, struct ctimer_wthread *t, const char *name);

/*
 * Writes what is pending (functions, threads, rows, open ids; with_aggregates: the aggregates that
 * changed and the runs counters) in one transaction.  A locked database keeps everything pending for
 * a later commit; a full one gives up the rows and still writes the rest (writer.c, commit_ex).
 * Returns 0 or -1.
 */
int ctimer_writer_commit(struct ctimer_writer *w, int with_aggregates);

/* End of run: every open frame becomes unfinished (ending at end_ts, or at its thread's last event if
 * later), everything is committed and the runs row is completed with ended_at (ISO-8601; NULL: now),
 * duration_ns and end_reason ("exit", "died", "exec").  Rows given up are reported in one line.
 * Returns 0, -1 (failed: runs.complete stays 0), or 1 when another connection holds the lock: then
 * nothing is lost yet, and ctimer_writer_finish_retry tries again. */
int ctimer_writer_finish(struct ctimer_writer *w, uint64_t end_ts, const char *ended_at, const char *reason);
/* The last commit again, after finish returned 1; with give_up, a lock still held loses the rows
 * (counted and reported).  Returns as finish does. */
int ctimer_writer_finish_retry(struct ctimer_writer *w, int give_up);

void ctimer_writer_get_stats(const struct ctimer_writer *w, struct ctimer_writer_stats *out);
/* Calls the program could not record at all (no thread slot or chunk): counted in runs.dropped. */
void ctimer_writer_add_dropped(struct ctimer_writer *w, uint64_t n);
/* The calls of function fid that thread `thread` made counted and untimed, as read now from its
 * count words (an absolute value: it replaces the last one); written to <t>_counted. */
void ctimer_writer_set_counted(struct ctimer_writer *w, uint32_t thread, uint32_t fid, uint64_t calls);
/* Called with each completed timed call's function and duration (the timing rule, timing.c). */
typedef void (*ctimer_call_observer)(void *ctx, uint32_t fid, uint64_t dur_ns);
void ctimer_writer_set_observer(struct ctimer_writer *w, ctimer_call_observer fn, void *ctx);
/* What an empty timed call measures on this machine (runs.probe_ns). */
void ctimer_writer_set_probe_ns(struct ctimer_writer *w, double ns);
/* Rows waiting for the next commit. */
size_t ctimer_writer_pending_rows(const struct ctimer_writer *w);

#endif /* CTIMER_WRITER_H */
