/*
 * lifecycle.c — program side: lazy start on the first instrumented call, the exit hand-shake with
 * the recorder, a fresh run in a forked child, and the public API (ctimer_flush, ctimer_run_table).
 * See docs/runtime-design.md, "Life cycle".
 *
 * Nothing here ever ends or changes the outcome of the program: every failure prints one line and
 * turns recording off.  The program holds no descriptor, thread or SQLite of ctimer's: only the
 * shared mapping.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ctimer.h"
#include "log.h"
#include "queue.h"
#include "registry.h"
#include "runtime.h"
#include "spawn.h"

struct ctimer_runtime ctimer_rt = {
    .init_mu = PTHREAD_MUTEX_INITIALIZER,
};

/* This run's table name, copied out of the shared header once the recorder has reserved it. */
static char run_table[CTIMER_SHM_TABLE_MAX];

/* ---------------------------------------------------------------- start */

static void fork_prepare(void);
static void fork_parent(void);
static void fork_child(void);

/* Starts the recorder and the run.  Returns 0, or -1 (message printed). */
static int start_run(void)
{
    struct ctimer_runtime *rt = &ctimer_rt;
    if (!rt->key_ok) {
        if (pthread_key_create(&rt->key, ctimer_queue_thread_exit) != 0) {
            ctimer_log("ctimer: out of thread-specific keys; not recording");
            return -1;
        }
        rt->key_ok = 1;
    }
    ctimer_clock_start(&rt->clock, 0);
    if (ctimer_spawn(rt) != 0)
        return -1;
    memcpy(run_table, rt->shm->table, sizeof run_table);
    run_table[sizeof run_table - 1] = 0;
    if (!rt->atfork_done) { /* a forked child inherits the registration */
        pthread_atfork(fork_prepare, fork_parent, fork_child);
        rt->atfork_done = 1;
    }
    return 0;
}

static void do_init(void)
{
    struct ctimer_runtime *rt = &ctimer_rt;
    int r = ctimer_config_parse(&rt->cfg, ctimer_getenv_process, NULL, rt->messages_shown ? NULL : ctimer_log_line,
                                NULL);
    rt->messages_shown = 1;
    if (r < 0) {
        ctimer_log("ctimer: out of memory reading the configuration; not recording");
        atomic_store(&rt->state, CTIMER_ST_OFF);
        return;
    }
    if (rt->cfg.off || start_run() != 0) {
        atomic_store(&rt->state, CTIMER_ST_OFF);
        return;
    }
    atomic_store_explicit(&rt->state, CTIMER_ST_RUNNING, memory_order_release);
}

int ctimer_ensure_init(void)
{
    int st = atomic_load_explicit(&ctimer_rt.state, memory_order_acquire);
    if (st != CTIMER_ST_UNINIT)
        return st;
    int saved_errno = errno;
    pthread_mutex_lock(&ctimer_rt.init_mu);
    if (atomic_load(&ctimer_rt.state) == CTIMER_ST_UNINIT)
        do_init();
    st = atomic_load(&ctimer_rt.state);
    pthread_mutex_unlock(&ctimer_rt.init_mu);
    errno = saved_errno;
    return st;
}

/* ---------------------------------------------------------------- waiting for the recorder */

/* Waits while *w == seen (and the recorder lives), in 50 ms futex waits.  Returns the last value. */
static uint32_t wait_while(_Atomic uint32_t *w, uint32_t seen)
{
    uint32_t v;
    while ((v = atomic_load_explicit(w, memory_order_acquire)) == seen && ctimer_recorder_alive())
        ctimer_futex_wait(w, seen, 50000000);
    return v;
}

/* ---------------------------------------------------------------- shutdown */

/*
 * Shutdown runs as a destructor, not an atexit handler: exit() runs every atexit handler first
 * (including those the program registered before our lazy start) and then the destructors, the
 * program's before libctimer.so's, since it depends on us.  Calls made by those handlers and
 * destructors are therefore recorded.  In the static library, priority 101 runs it after the
 * program's default-priority destructors.
 *
 * The program waits here until the recorder has committed the run, so that the database is complete
 * when the program has exited.  A program that ends any other way (_exit, a signal, exec) does not
 * wait: its recorder notices the end and commits on its own.
 */
__attribute__((destructor(101))) static void at_exit(void)
{
    struct ctimer_runtime *rt = &ctimer_rt;
    int saved_errno = errno;
    pthread_mutex_lock(&rt->init_mu);
    if (atomic_load(&rt->state) != CTIMER_ST_RUNNING) {
        pthread_mutex_unlock(&rt->init_mu);
        errno = saved_errno;
        return;
    }
    atomic_store(&rt->state, CTIMER_ST_STOPPING);
    pthread_mutex_unlock(&rt->init_mu);

    ctimer_queue_handoff(); /* this thread's last calls; its open frames end at shutdown */
    struct ctimer_shm_header *h = rt->shm;
    atomic_store_explicit(&h->stop_req, 1, memory_order_release);
    ctimer_wake_recorder(1);
    wait_while(&h->rec_state, CTIMER_REC_READY);
    atomic_store(&rt->state, CTIMER_ST_STOPPED);
    errno = saved_errno;
    /* The mapping stays: other threads may still be inside the hot path, writing into it. */
}

/* ---------------------------------------------------------------- fork */

/* Hold the locks across fork, so the child never inherits one held by a thread it does not have. */
static void fork_prepare(void)
{
    pthread_mutex_lock(&ctimer_rt.init_mu);
    ctimer_registry_lock();
}

static void fork_parent(void)
{
    ctimer_registry_unlock();
    pthread_mutex_unlock(&ctimer_rt.init_mu);
}

/*
 * The child starts a run of its own on its next call, with a recorder of its own.  The parent's
 * mapping is unmapped here, before the child can write into it: the parent's recorder reads it.
 * (A child made by a raw clone or _Fork runs no fork handler; its calls would land in the parent's
 * chunks, and the recorder would take them for the parent's.)
 */
static void fork_child(void)
{
    struct ctimer_runtime *rt = &ctimer_rt;
    ctimer_queue_forget_thread();
    ctimer_registry_unlock();
    pthread_mutex_unlock(&rt->init_mu);
    int st = atomic_load(&rt->state);
    if (st == CTIMER_ST_RUNNING || st == CTIMER_ST_STOPPING || st == CTIMER_ST_STOPPED) {
        ctimer_registry_detach();
        if (rt->shm)
            munmap(rt->shm, rt->shm_bytes);
        rt->shm = NULL;
        rt->shm_bytes = 0;
        run_table[0] = 0;
        rt->forked_child = 1;
        ctimer_config_free(&rt->cfg);
        atomic_store(&rt->state, CTIMER_ST_UNINIT);
    }
}

/* ---------------------------------------------------------------- public API */

void ctimer_flush(void)
{
    struct ctimer_runtime *rt = &ctimer_rt;
    struct ctimer_tls *tl = &ctimer_tls;
    if (atomic_load(&rt->state) != CTIMER_ST_RUNNING || tl->busy)
        return;
    int saved_errno = errno;
    ctimer_queue_handoff();
    tl->busy = 1; /* an instrumented signal handler records nothing while we wait */
    struct ctimer_shm_header *h = rt->shm;
    uint32_t target = atomic_fetch_add(&h->flush_req, 1) + 1;
    ctimer_wake_recorder(1);
    uint32_t done;
    while ((int32_t)((done = atomic_load(&h->flush_done)) - target) < 0 &&
           atomic_load(&rt->state) == CTIMER_ST_RUNNING) {
        if (wait_while(&h->flush_done, done) == done)
            break; /* the recorder is gone */
    }
    tl->busy = 0;
    errno = saved_errno;
}

void __ctimer_exec(int starting)
{
    struct ctimer_shm_header *h = ctimer_rt.shm;
    if (atomic_load(&ctimer_rt.state) != CTIMER_ST_RUNNING || !h)
        return;
    atomic_fetch_add_explicit(&h->execs, starting ? 1 : -1, memory_order_seq_cst);
}

const char *ctimer_run_table(void)
{
    struct ctimer_tls *tl = &ctimer_tls;
    int st = atomic_load(&ctimer_rt.state);
    if (st == CTIMER_ST_UNINIT && !tl->busy) {
        tl->busy = 1; /* instrumented code reached from the start-up records nothing */
        st = ctimer_ensure_init();
        tl->busy = 0;
    }
    if (st == CTIMER_ST_UNINIT || st == CTIMER_ST_OFF || !run_table[0])
        return NULL;
    return run_table;
}
