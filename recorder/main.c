/*
 * main.c — recorder side: ctimer-recorder, the process that records one run of one instrumented
 * program.  See docs/runtime-design.md, "The recorder process".
 *
 *     ctimer-recorder --fd FD --pid PID
 *
 * libctimer starts it at the program's first instrumented call (runtime/spawn.c), with FD a memfd
 * the program has laid out (shm.h).  It is not the program's child and has a session of its own, so
 * the program's wait() loops never see it and a Ctrl-C to the program's process group does not reach
 * it.  It follows the program's death with a pidfd and its exec through /proc/PID/maps, and ends the
 * run however the program ends.  Not meant to be run by hand.
 *
 * 1. Become a quiet background process: own session, no stdin/stdout, only stderr (for the
 *    program's messages) and the memfd kept open, signals that would stop it early ignored.
 * 2. Map the memfd and validate its header; close it.
 * 3. Open the program's pidfd (before READY: the program is alive, waiting).
 * 4. Open the database, reserve the run, name its functions, say READY (or FAILED).
 * 5. Run the loop (drain.c) until the program ends; say DONE.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "recorder.h"
#include "timing.h"
#include "schema.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static int parse_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0)
        return -1;
    *out = v;
    return 0;
}

/* 1. */
static void become_background(int keep_fd)
{
    static const int ignored[] = {SIGINT, SIGQUIT, SIGHUP, SIGPIPE, SIGXFSZ, SIGTSTP, SIGTTIN, SIGTTOU,
                                  SIGUSR1, SIGUSR2, SIGALRM, SIGPROF, SIGVTALRM};
    for (size_t i = 0; i < sizeof ignored / sizeof *ignored; i++)
        signal(ignored[i], SIG_IGN);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL); /* the program blocked everything around the spawn */
    setsid();
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        if (null > 2 && null != keep_fd)
            close(null);
    }
    /* Descriptors the program had open without O_CLOEXEC: holding a pipe's write end would keep its
     * reader from ever seeing EOF. */
    if (keep_fd > 3)
        syscall(SYS_close_range, 3u, (unsigned)keep_fd - 1, 0u);
    syscall(SYS_close_range, (unsigned)keep_fd + 1, ~0u, 0u);
    prctl(PR_SET_NAME, "ctimer-recorder", 0, 0, 0);
}

static char *read_cmdline(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
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

/* A NUL-terminated copy of a fixed-size field of the shared header. */
static char *field(const char *src, size_t cap)
{
    return strndup(src, cap - 1);
}

/* The configuration the program parsed, from the header (config.h). */
static int load_config(struct ctimer_recorder *r)
{
    struct ctimer_shm_header *h = r->h;
    struct ctimer_config *c = &r->cfg;
    memset(c, 0, sizeof *c);
    c->db = field(h->db, sizeof h->db);
    c->run = h->run[0] ? field(h->run, sizeof h->run) : NULL;
    c->app_id = h->app_id[0] ? field(h->app_id, sizeof h->app_id) : NULL;
    c->batch = h->batch >= 1 && h->batch <= CTIMER_MAX_BATCH ? (long)h->batch : CTIMER_DEFAULT_BATCH;
    c->min_ns = h->min_ns >= 0 ? h->min_ns : CTIMER_DEFAULT_MIN_NS;
    c->mode = h->mode == CTIMER_MODE_SUMMARY ? CTIMER_MODE_SUMMARY : CTIMER_MODE_TRACE;
    c->busy_ms = h->busy_ms >= 0 && h->busy_ms <= CTIMER_MAX_BUSY_MS ? (long)h->busy_ms : CTIMER_DEFAULT_BUSY_MS;
    if (c->run && !ctimer_valid_identifier(c->run, CTIMER_TABLE_MAX)) {
        free(c->run);
        c->run = NULL;
    }
    return c->db ? 0 : -1;
}

/* 4. Returns 0, or -1 after one line on stderr. */
static int start_run(struct ctimer_recorder *r)
{
    struct ctimer_shm_header *h = r->h;
    struct ctimer_config *cfg = &r->cfg;
    ctimer_clock_use_tsc = h->clock_tsc != 0;
    r->clock = (struct ctimer_clock){.tsc = h->clock_tsc != 0, .start_tick = h->start_tick, .start_mono = h->start_mono};

    static const char *const timing_names[] = {CTIMER_TIMING_NAMES};
    char started[32], host[256] = "", wanted[96];
    ctimer_iso_time(started, h->start_sec, (long)h->start_nsec);
    gethostname(host, sizeof host - 1);
    char *argv = read_cmdline(r->pid);
    char *program = field(h->program, sizeof h->program);
    const char *want = cfg->run;
    if (want && h->forked_child) { /* CTIMER_RUN names the parent's run; the child takes <run>_<pid> */
        snprintf(wanted, sizeof wanted, "%s_%ld", cfg->run, (long)r->pid);
        want = wanted;
    }
    struct ctimer_run_info ri = {
        .app_id = cfg->app_id ? cfg->app_id : program,
        .program = program,
        .argv = argv,
        .host = host,
        .started_at = started,
        .clock = r->clock.tsc ? "tsc" : "monotonic",
        .mode = cfg->mode == CTIMER_MODE_SUMMARY ? "summary" : "trace",
        .pid = (int64_t)r->pid,
        .min_ns = cfg->min_ns,
        .abi = CTIMER_ABI_VERSION,
        .start_time = h->start_sec,
        .timing = timing_names[h->timing >= 0 && h->timing <= CTIMER_TIMING_COUNTED ? h->timing : 0],
        .sample = h->sample,
    };
    char err[320];
    int64_t run_id = 0;
    int rc = ctimer_schema_open(cfg->db, cfg->busy_ms, &r->db, err, sizeof err);
    if (rc == 0 && ctimer_schema_start_run(r->db, &ri, want, "CTIMER_RUN", r->table, sizeof r->table, &run_id,
                                           ctimer_log_line, NULL, err, sizeof err) != 0)
        rc = -1;
    free(argv);
    free(program);
    if (rc != 0) {
        ctimer_log("ctimer: cannot use CTIMER_DB='%s': %s; not recording", cfg->db, err);
        return -1;
    }
    r->w = ctimer_writer_new(r->db, cfg->db, r->table, run_id, cfg, &r->clock, r->pid);
    if (!r->w) {
        ctimer_log("ctimer: cannot prepare statements in CTIMER_DB='%s': %s; not recording", cfg->db,
                   sqlite3_errmsg(r->db));
        return -1;
    }
    r->timing = ctimer_timing_new(h, &r->L);
    if (r->timing)
        ctimer_writer_set_observer(r->w, ctimer_timing_observe, r->timing);
    /* Names of registered functions first: users see them even if the program never calls them. */
    ctimer_recorder_sync_log(r);
    ctimer_writer_commit(r->w, 0);
    return 0;
}

static void say(struct ctimer_shm_header *h, uint32_t state)
{
    atomic_store_explicit(&h->rec_state, state, memory_order_release);
    ctimer_futex_wake(&h->rec_state);
}

int main(int argc, char **argv)
{
    long fd = -1, pid = -1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--fd") == 0 && parse_long(argv[i + 1], &fd) == 0)
            continue;
        if (strcmp(argv[i], "--pid") == 0 && parse_long(argv[i + 1], &pid) == 0)
            continue;
        fd = -1;
        break;
    }
    if (fd < 0 || pid <= 0 || fd > INT_MAX || pid > INT_MAX) {
        fprintf(stderr, "ctimer-recorder: started by libctimer as 'ctimer-recorder --fd FD --pid PID'; "
                        "not meant to be run by hand\n");
        return 2;
    }
    become_background((int)fd);

    /* 2. */
    struct ctimer_recorder r = {.pid = (pid_t)pid, .pidfd = -1};
    struct stat sb;
    if (fstat((int)fd, &sb) != 0 || sb.st_size < (off_t)CTIMER_SHM_HEADER_BYTES) {
        ctimer_log("ctimer: the recorder got no shared buffer from pid %ld; not recording", pid);
        return 1;
    }
    void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, (int)fd, 0);
    close((int)fd);
    if (p == MAP_FAILED) {
        ctimer_log("ctimer: the recorder cannot map the shared buffer of pid %ld: %s; not recording", pid,
                   strerror(errno));
        return 1; /* the program sees the recorder gone and stops waiting */
    }
    r.h = p;
    r.inode = (uint64_t)sb.st_ino;
    const char *bad = ctimer_recorder_validate(&r, (uint64_t)sb.st_size);
    if (bad || r.h->pid != (int32_t)pid) {
        ctimer_log("ctimer: the shared buffer of pid %ld has %s; not recording", pid, bad ? bad : "another pid");
        say(r.h, CTIMER_REC_FAILED);
        return 1;
    }

    /* 3. */
    r.pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
    if (r.pidfd < 0 && errno == ESRCH) {
        say(r.h, CTIMER_REC_FAILED);
        return 1;
    }

    /* 4. */
    if (load_config(&r) != 0 || start_run(&r) != 0) {
        say(r.h, CTIMER_REC_FAILED);
        return 1;
    }
    memcpy(r.h->table, r.table, sizeof r.table);
    say(r.h, CTIMER_REC_READY);

    /* 5. */
    enum ctimer_end how = ctimer_recorder_run(&r);
    if (r.finish_rc > 0) {
        /* Another connection holds the write lock: nothing is thrown away.  The program need not
         * wait for that; the recorder waits the lock out, up to ten minutes, and then says what
         * it gave up. */
        if (how == CTIMER_END_EXIT)
            say(r.h, CTIMER_REC_DONE);
        uint64_t deadline = ctimer_mono_ns() + UINT64_C(600) * 1000000000u;
        while (r.finish_rc > 0) {
            struct timespec ts = {0, 100000000};
            nanosleep(&ts, NULL);
            r.finish_rc = ctimer_writer_finish_retry(r.w, ctimer_mono_ns() > deadline);
        }
    }
    ctimer_writer_free(r.w);
    ctimer_timing_free(r.timing);
    sqlite3_close(r.db); /* the last connection checkpoints and removes the -wal file: before DONE, so
                          * that an exited program's database is complete and settled */
    if (how == CTIMER_END_EXIT)
        say(r.h, CTIMER_REC_DONE);
    return 0;
}
