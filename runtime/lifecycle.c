/*
 * lifecycle.c — the runtime's life: lazy start on the first instrumented call, shutdown at exit,
 * a fresh run in a forked child, and the public API (ctimer_flush, ctimer_run_table).
 * See docs/runtime-design.md, "Life cycle".
 *
 * Nothing here ever ends or changes the outcome of the program: every failure prints one line and
 * turns recording off.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctimer.h"
#include "log.h"
#include "queue.h"
#include "registry.h"
#include "runtime.h"
#include "schema.h"
#include "writer.h"

struct ctimer_runtime ctimer_rt = {
    .init_mu = PTHREAD_MUTEX_INITIALIZER,
    .db_mu = PTHREAD_MUTEX_INITIALIZER,
    .reg_mu = PTHREAD_MUTEX_INITIALIZER,
    .wk_mu = PTHREAD_MUTEX_INITIALIZER,
    .wk_cv = PTHREAD_COND_INITIALIZER,
    .space_cv = PTHREAD_COND_INITIALIZER,
    .flush_cv = PTHREAD_COND_INITIALIZER,
};

/* ---------------------------------------------------------------- facts about the process */

/* argv joined with spaces, from /proc/self/cmdline (the runtime has no access to main's argv). */
static char *read_cmdline(void)
{
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        ssize_t k = read(fd, buf + n, cap - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        n += (size_t)k;
        if (n == cap) {
            if (cap >= (1u << 20))
                break; /* 1 MiB of arguments is plenty */
            char *b = realloc(buf, cap * 2 + 1);
            if (!b)
                break;
            buf = b;
            cap *= 2;
        }
    }
    close(fd);
    if (!buf)
        return NULL;
    while (n && buf[n - 1] == 0)
        n--;
    for (size_t i = 0; i < n; i++)
        if (buf[i] == 0)
            buf[i] = ' ';
    buf[n] = 0;
    return buf;
}

/* ---------------------------------------------------------------- start */

static void fork_prepare(void);
static void fork_parent(void);
static void fork_child(void);

/* Opens the database, reserves the run and starts the writer.  Returns 0, or -1 (message printed). */
static int start_run(void)
{
    struct ctimer_runtime *rt = &ctimer_rt;
    struct ctimer_config *cfg = &rt->cfg;

    ctimer_clock_start(&rt->clock, 0);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char started[32], host[256] = "", wanted[96];
    ctimer_iso_time(started, (int64_t)now.tv_sec, now.tv_nsec);
    gethostname(host, sizeof host - 1);
    char *argv = read_cmdline();
    const char *program = program_invocation_short_name;
    const char *want = cfg->run;
    if (want && rt->forked_child) { /* CTIMER_RUN names the parent's run; the child takes <run>_<pid> */
        snprintf(wanted, sizeof wanted, "%s_%ld", cfg->run, (long)getpid());
        want = wanted;
    }
    struct ctimer_run_info ri = {
        .app_id = cfg->app_id ? cfg->app_id : program,
        .program = program,
        .argv = argv,
        .host = host,
        .started_at = started,
        .clock = rt->clock.tsc ? "tsc" : "monotonic",
        .mode = cfg->mode == CTIMER_MODE_SUMMARY ? "summary" : "trace",
        .pid = (int64_t)getpid(),
        .min_ns = cfg->min_ns,
        .abi = CTIMER_ABI_VERSION,
        .start_time = (int64_t)now.tv_sec,
    };

    char err[256];
    int rc = ctimer_schema_open(cfg->db, cfg->busy_ms, &rt->db, err, sizeof err);
    if (rc == 0 && ctimer_schema_start_run(rt->db, &ri, want, "CTIMER_RUN", rt->table, sizeof rt->table,
                                           &rt->run_id, ctimer_log_line, NULL, err, sizeof err) != 0)
        rc = -1;
    free(argv);
    if (rc != 0) {
        ctimer_log("ctimer: cannot use CTIMER_DB='%s': %s; not recording", cfg->db, err);
        goto fail;
    }
    rt->writer = ctimer_writer_new(rt->db, cfg->db, rt->table, rt->run_id, cfg, &rt->clock, &rt->db_mu);
    if (!rt->writer) {
        ctimer_log("ctimer: cannot prepare statements in CTIMER_DB='%s': %s; not recording", cfg->db,
                   sqlite3_errmsg(rt->db));
        goto fail;
    }
    if (!rt->key_ok) {
        if (pthread_key_create(&rt->key, ctimer_queue_thread_exit) != 0) {
            ctimer_log("ctimer: out of thread-specific keys; not recording");
            goto fail;
        }
        rt->key_ok = 1;
    }
    rt->max_chunks = (size_t)cfg->buffer_kb * 1024 / CTIMER_CHUNK_BYTES;
    if (rt->max_chunks < 2)
        rt->max_chunks = 2;

    /* The writer takes no signals: they belong to the program's threads. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    atomic_store(&rt->writer_alive, 1);
    rc = pthread_create(&rt->writer_thread, NULL, ctimer_writer_main, rt->writer);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        atomic_store(&rt->writer_alive, 0);
        ctimer_log("ctimer: cannot start the writer thread: %s; not recording", strerror(rc));
        goto fail;
    }
    pthread_setname_np(rt->writer_thread, "ctimer-writer");

    if (!rt->atexit_done) { /* a forked child inherits the registration */
        pthread_atfork(fork_prepare, fork_parent, fork_child);
        rt->atexit_done = 1;
    }
    return 0;

fail:
    ctimer_writer_free(rt->writer);
    rt->writer = NULL;
    sqlite3_close(rt->db);
    rt->db = NULL;
    rt->table[0] = 0;
    return -1;
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
    pthread_mutex_lock(&ctimer_rt.init_mu);
    if (atomic_load(&ctimer_rt.state) == CTIMER_ST_UNINIT)
        do_init();
    st = atomic_load(&ctimer_rt.state);
    pthread_mutex_unlock(&ctimer_rt.init_mu);
    return st;
}

/* ---------------------------------------------------------------- shutdown */

/*
 * Shutdown runs as a destructor, not an atexit handler: exit() runs every atexit handler first
 * (including those the program registered before our lazy start) and then the destructors, the
 * program's before libctimer.so's, since it depends on us.  Calls made by those handlers and
 * destructors are therefore recorded.  In the static library, priority 101 runs it after the
 * program's default-priority destructors.
 */
__attribute__((destructor(101))) static void at_exit(void)
{
    struct ctimer_runtime *rt = &ctimer_rt;
    pthread_mutex_lock(&rt->init_mu);
    if (atomic_load(&rt->state) != CTIMER_ST_RUNNING) {
        pthread_mutex_unlock(&rt->init_mu);
        return;
    }
    atomic_store(&rt->state, CTIMER_ST_STOPPING);
    pthread_mutex_unlock(&rt->init_mu);

    ctimer_queue_handoff(); /* this thread's last calls; its open frames end at shutdown */

    pthread_mutex_lock(&rt->wk_mu);
    rt->stop = 1;
    rt->wake_pending = 1;
    pthread_cond_signal(&rt->wk_cv);
    pthread_cond_broadcast(&rt->space_cv);
    pthread_cond_broadcast(&rt->flush_cv);
    pthread_mutex_unlock(&rt->wk_mu);
    pthread_join(rt->writer_thread, NULL);
    atomic_store(&rt->writer_alive, 0);

    pthread_mutex_lock(&rt->db_mu);
    ctimer_writer_free(rt->writer);
    rt->writer = NULL;
    sqlite3_close(rt->db);
    rt->db = NULL;
    pthread_mutex_unlock(&rt->db_mu);
    atomic_store(&rt->state, CTIMER_ST_STOPPED);
}

/* ---------------------------------------------------------------- fork */

/*
 * Hold every runtime lock across fork, so the child never inherits one held by a thread that does not
 * exist there, nor an SQLite call in progress (db_mu): the child then starts a fresh run of its own.
 */
static void fork_prepare(void)
{
    pthread_mutex_lock(&ctimer_rt.init_mu);
    pthread_mutex_lock(&ctimer_rt.db_mu);
    pthread_mutex_lock(&ctimer_rt.reg_mu);
    ctimer_registry_lock();
}

static void fork_parent(void)
{
    ctimer_registry_unlock();
    pthread_mutex_unlock(&ctimer_rt.reg_mu);
    pthread_mutex_unlock(&ctimer_rt.db_mu);
    pthread_mutex_unlock(&ctimer_rt.init_mu);
}

/* What a forked child inherited from its parent's run and never touches. */
static struct fork_orphans {
    sqlite3 *db;
    struct ctimer_writer *writer;
    struct ctimer_thread *threads;
    struct fork_orphans *next;
} *orphans;

static void fork_child(void)
{
    struct ctimer_runtime *rt = &ctimer_rt;
    ctimer_registry_unlock();
    pthread_mutex_unlock(&rt->reg_mu);
    pthread_mutex_unlock(&rt->db_mu);
    pthread_mutex_unlock(&rt->init_mu);
    /* Threads that held these in the parent do not exist here. */
    pthread_mutex_init(&rt->wk_mu, NULL);
    pthread_cond_init(&rt->wk_cv, NULL);
    pthread_cond_init(&rt->space_cv, NULL);
    pthread_cond_init(&rt->flush_cv, NULL);

    int st = atomic_load(&rt->state);
    if (st == CTIMER_ST_RUNNING || st == CTIMER_ST_STOPPING || st == CTIMER_ST_STOPPED) {
        /* The parent's connection, writer and thread states are left as they are: touching an SQLite
         * connection across fork is unsafe.  They stay reachable (for leak checkers) from here. */
        struct fork_orphans *o = malloc(sizeof *o);
        if (o) {
            *o = (struct fork_orphans){rt->db, rt->writer, atomic_load(&rt->threads), orphans};
            orphans = o;
        }
        rt->forked_child = 1;
        rt->db = NULL;
        rt->writer = NULL;
        rt->table[0] = 0;
        rt->run_id = 0;
        atomic_store(&rt->threads, NULL);
        rt->next_thread_index = 0;
        atomic_store(&rt->writer_sleeping, 0);
        atomic_store(&rt->writer_alive, 0);
        rt->wake_pending = 0;
        rt->stop = 0;
        rt->flush_req = rt->flush_done = 0;
        ctimer_config_free(&rt->cfg);
        atomic_store(&rt->state, CTIMER_ST_UNINIT);
    }
    ctimer_queue_forget_thread();
}

/* ---------------------------------------------------------------- public API */

void ctimer_flush(void)
{
    struct ctimer_runtime *rt = &ctimer_rt;
    struct ctimer_tls *tl = &ctimer_tls;
    if (atomic_load(&rt->state) != CTIMER_ST_RUNNING || tl->busy)
        return;
    ctimer_queue_handoff();
    tl->busy = 1; /* an instrumented signal handler must not reach wk_mu through the slow path now */
    pthread_mutex_lock(&rt->wk_mu);
    uint64_t target = ++rt->flush_req;
    rt->wake_pending = 1;
    pthread_cond_signal(&rt->wk_cv);
    while (rt->flush_done < target && atomic_load(&rt->state) == CTIMER_ST_RUNNING &&
           atomic_load(&rt->writer_alive)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&rt->flush_cv, &rt->wk_mu, &ts);
    }
    pthread_mutex_unlock(&rt->wk_mu);
    tl->busy = 0;
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
    if (st == CTIMER_ST_UNINIT || st == CTIMER_ST_OFF || !ctimer_rt.table[0])
        return NULL;
    return ctimer_rt.table;
}
