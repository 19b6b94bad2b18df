/*
 * writer.h — the background writer: decodes each thread's event stream with a shadow stack, keeps
 * exact per-edge aggregates, and writes rows in batches.  See docs/runtime-design.md, "Writer".
 *
 * The decoding half (ctimer_writer_new ... ctimer_writer_finish) needs no threads and no runtime
 * state: tests drive it with synthetic streams.  ctimer_writer_main is the thread that feeds it from
 * the queues.
 */
#ifndef CTIMER_WRITER_H
#define CTIMER_WRITER_H

#include <pthread.h>
#include <sqlite3.h>
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
    uint64_t rows_lost;  /* rows whose commit failed */
};

/*
 * A writer for an open database whose run tables exist.  `db_path` is only used in messages;
 * `db_mu` (may be NULL) is held around every SQLite call.  The clock must be calibrated before the
 * first event is decoded.  Returns NULL (and leaves the database alone) on failure.
 */
struct ctimer_writer *ctimer_writer_new(sqlite3 *db, const char *db_path, const char *table, int64_t run_id,
                                        const struct ctimer_config *cfg, const struct ctimer_clock *clock,
                                        pthread_mutex_t *db_mu);
/* Finalizes statements and frees memory; does not close the database. */
void ctimer_writer_free(struct ctimer_writer *w);

/* A new thread's decoding state; queues its <t>_threads row. */
struct ctimer_wthread *ctimer_writer_thread(struct ctimer_writer *w, uint32_t index, int64_t tid);

/* Names every descriptor of a registered range (new <t>_functions rows). */
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
 * changed and the runs counters) in one transaction.  On failure prints one line naming the problem
 * and the rows not written, and carries on.  Returns 0 or -1.
 */
int ctimer_writer_commit(struct ctimer_writer *w, int with_aggregates);

/* End of run: every open frame becomes unfinished (ending at end_ts or later), everything is
 * committed and the runs row is completed with ended_at (ISO-8601). */
void ctimer_writer_finish(struct ctimer_writer *w, uint64_t end_ts, const char *ended_at);

void ctimer_writer_get_stats(const struct ctimer_writer *w, struct ctimer_writer_stats *out);
/* Rows waiting for the next commit. */
size_t ctimer_writer_pending_rows(const struct ctimer_writer *w);

/* The writer thread (pthread start routine; uses ctimer_rt). */
void *ctimer_writer_main(void *arg);

#endif /* CTIMER_WRITER_H */
