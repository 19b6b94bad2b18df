/*
 * runtime.h — program side: the process-wide state shared by libctimer's files (lifecycle.c owns
 * it).  Everything the recorder needs is in the shared header (shm.h), not here.
 */
#ifndef CTIMER_RUNTIME_H
#define CTIMER_RUNTIME_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "clock.h"
#include "config.h"
#include "shm.h"

enum ctimer_state {
    CTIMER_ST_UNINIT = 0, /* nothing happened yet (or a forked child before its first call) */
    CTIMER_ST_OFF,        /* CTIMER_OFF=1, or the recorder could not start: record nothing */
    CTIMER_ST_RUNNING,
    CTIMER_ST_STOPPING, /* exiting: no new chunks, no new threads */
    CTIMER_ST_STOPPED
};

struct ctimer_runtime {
    _Atomic int state;       /* enum ctimer_state */
    pthread_mutex_t init_mu; /* init, shutdown, fork */

    struct ctimer_config cfg;
    struct ctimer_clock clock;

    struct ctimer_shm_header *shm; /* the mapping shared with the recorder, or NULL */
    size_t shm_bytes;

    pthread_key_t key; /* its destructor flushes a thread's last chunk */
    int key_ok;

    int forked_child;   /* this process is a fork of a recording process */
    int messages_shown; /* configuration complaints are printed once per process tree */
    int atfork_done;    /* pthread_atfork is registered once (a child inherits it) */
};

extern struct ctimer_runtime ctimer_rt __attribute__((visibility("hidden")));

/* Starts the runtime if it has not started (any thread, any time); returns the resulting state. */
int ctimer_ensure_init(void);

/* 1 while the recorder can still take chunks: it has not said it stopped, and its process exists. */
int ctimer_recorder_alive(void);

#endif /* CTIMER_RUNTIME_H */
