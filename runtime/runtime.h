/*
 * runtime.h — the process-wide state shared by the runtime's files (lifecycle.c owns it).
 */
#ifndef CTIMER_RUNTIME_H
#define CTIMER_RUNTIME_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>

#include "clock.h"
#include "config.h"

enum ctimer_state {
    CTIMER_ST_UNINIT = 0, /* nothing happened yet (or a forked child before its first call) */
    CTIMER_ST_OFF,        /* CTIMER_OFF=1, or the database could not be used: record nothing */
    CTIMER_ST_RUNNING,
    CTIMER_ST_STOPPING, /* the atexit handler is draining: no new chunks, no new threads */
    CTIMER_ST_STOPPED
};

struct ctimer_thread;
struct ctimer_writer;

struct ctimer_runtime {
    _Atomic int state; /* enum ctimer_state */

    /* Lock order: init_mu -> db_mu -> reg_mu -> (registry ranges) ; wk_mu is never held with others. */
    pthread_mutex_t init_mu; /* init, shutdown */
    pthread_mutex_t db_mu;   /* held by the writer around SQLite calls, so fork never copies one in flight */
    pthread_mutex_t reg_mu;  /* thread list changes; a thread's exit vs the final snapshot */
    pthread_mutex_t wk_mu;   /* the writer's sleep, producers' waits for chunks, flush hand-shakes */
    pthread_cond_t wk_cv;    /* writer sleeps here */
    pthread_cond_t space_cv; /* producers wait here for a free chunk */
    pthread_cond_t flush_cv; /* ctimer_flush waits here */
    _Atomic int writer_sleeping;
    int wake_pending;    /* under wk_mu */
    int stop;            /* under wk_mu: the atexit handler asks the writer to finish */
    uint64_t flush_req;  /* under wk_mu: flush requests so far */
    uint64_t flush_done; /* under wk_mu: requests the writer has completed */
    _Atomic int writer_alive;

    struct ctimer_config cfg;
    struct ctimer_clock clock;
    size_t max_chunks; /* per thread */

    pthread_key_t key; /* its destructor flushes a thread's last chunk */
    int key_ok;
    struct ctimer_thread *_Atomic threads; /* registry list head (insert at head under reg_mu) */
    uint32_t next_thread_index;

    sqlite3 *db;
    char table[96]; /* this run's table name */
    int64_t run_id; /* runs.id */
    struct ctimer_writer *writer;
    pthread_t writer_thread;

    int forked_child;    /* this process is a fork of a recording process */
    int messages_shown;  /* configuration complaints are printed once per process tree */
    int atexit_done;     /* atexit and pthread_atfork are registered once (a child inherits them) */
};

extern struct ctimer_runtime ctimer_rt __attribute__((visibility("hidden")));

/* Starts the runtime if it has not started (any thread, any time); returns the resulting state. */
int ctimer_ensure_init(void);

#endif /* CTIMER_RUNTIME_H */
