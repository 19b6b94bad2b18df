/*
 * recorder.h — recorder side: the state of one ctimer-recorder process, which records one run of
 * one program from the memory they share (shm.h).  main.c sets it up; drain.c runs the loop.
 */
#ifndef CTIMER_RECORDER_H
#define CTIMER_RECORDER_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "clock.h"
#include "config.h"
#include "shm.h"
#include "writer.h"

/* The layout of the mapping as validated once at start (never re-read from shared memory). */
struct ctimer_layout {
    uint64_t bytes;
    uint64_t log_off, log_bytes, slots_off, links_off, chunks_off;
    uint32_t n_slots, ring_cap, n_chunks, max_chunks;
    uint64_t counts_off;
    uint32_t count_cap;
};

enum ctimer_end { CTIMER_END_NONE = 0, CTIMER_END_EXIT, CTIMER_END_DIED, CTIMER_END_EXEC };

struct ctimer_recorder {
    struct ctimer_shm_header *h; /* the mapping */
    struct ctimer_layout L;
    pid_t pid;      /* the program */
    int pidfd;      /* follows its death; -1 if pidfd_open is not available */
    uint64_t inode; /* the memfd's inode: the program maps it until it execs */

    struct ctimer_config cfg;
    struct ctimer_clock clock;
    sqlite3 *db;
    struct ctimer_writer *w;
    struct ctimer_adapt *timing;   /* timing.c: the adaptive rule, count words */
    char table[CTIMER_SHM_TABLE_MAX];

    uint64_t log_read;              /* bytes of the descriptor log already read */
    struct ctimer_wthread **wt;     /* wt[slot]: the decoding state of the thread in that slot */
    uint64_t *copy;                 /* two chunks: the final snapshot of a live thread */
    uint64_t corrupt;               /* words or entries of shared memory rejected by validation */
    int finish_rc;                  /* ctimer_writer_finish's result: 1 = the lock is still to be waited out */
};

/*
 * Validates the header of a mapping of `bytes` bytes into r->L.  Returns NULL, or what is wrong.
 */
const char *ctimer_recorder_validate(struct ctimer_recorder *r, uint64_t bytes);

/* Reads the descriptor log up to what the program has published. */
void ctimer_recorder_sync_log(struct ctimer_recorder *r);

/* The loop: decodes and commits until the program exits, dies or execs; then ends the run.
 * Returns how it ended. */
enum ctimer_end ctimer_recorder_run(struct ctimer_recorder *r);

#endif /* CTIMER_RECORDER_H */
