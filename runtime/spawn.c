/*
 * spawn.c — program side: the shared mapping and the recorder process that reads it.
 * See docs/runtime-design.md, "The recorder process".
 *
 * 1. Size the mapping: 16 GiB of sparse memfd, less when RLIMIT_FSIZE (which limits a memfd's size
 *    too: beyond it ftruncate raises SIGXFSZ) or the address space is smaller.
 * 2. Lay it out (shm.h) and fill the header: layout, run facts, configuration.
 * 3. Start ctimer-recorder so that it is NOT the program's child: a vfork-like clone with no exit
 *    signal (invisible to the program's wait() and SIGCHLD) starts a second one that execs the
 *    recorder and is reparented to init when the first exits at once.  (An exec'd process gets
 *    SIGCHLD as its exit signal again, so the one that execs must not be the program's child.)
 * 4. Wait until the recorder has reserved the run (READY) or given up (it printed why).
 * 5. The memfd is closed as soon as the recorder has exec'd (it holds its own copy, which it maps
 *    and closes): the program keeps no descriptor of ctimer's.
 */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "counts.h"
#include "log.h"
#include "registry.h"
#include "runtime.h"
#include "spawn.h"

#ifndef CTIMER_RECORDER_INSTALLED
#define CTIMER_RECORDER_INSTALLED "/usr/local/lib/ctimer/ctimer-recorder"
#endif

extern char **environ;

/* ---------------------------------------------------------------- 1, 2: the mapping */

static uint64_t round_down(uint64_t v, uint64_t to) { return v / to * to; }
static uint64_t round_up(uint64_t v, uint64_t to) { return (v + to - 1) / to * to; }

/* Lays out `bytes` of mapping; 0, or -1 when it cannot hold a useful run. */
static int layout(struct ctimer_shm_header *h, uint64_t bytes, long buffer_kb, uint32_t count_cap)
{
    uint64_t log_bytes = round_down(bytes / 16 < CTIMER_SHM_LOG_MAX ? bytes / 16 : CTIMER_SHM_LOG_MAX, 4096);
    uint64_t off = CTIMER_SHM_HEADER_BYTES + log_bytes;
    uint64_t avail = bytes > off ? bytes - off : 0;
    uint64_t count_bytes = (uint64_t)count_cap * sizeof(uint64_t); /* whole pages (counts.c) */
    /* one slot per MiB plus its count words: 16384 in 16 GiB */
    uint64_t slots = avail / (((uint64_t)1 << 20) + count_bytes);
    if (slots > CTIMER_MAX_SLOTS)
        slots = CTIMER_MAX_SLOTS;
    if (slots < 2)
        slots = 2;
    uint64_t slots_off = round_up(off, 4096); /* slots are page-aligned (shm.h) */
    off = slots_off;
    off = round_up(off + slots * sizeof(struct ctimer_shm_thread), 4096);
    uint64_t counts_off = off;
    off += slots * count_bytes;
    uint64_t per_chunk = CTIMER_CHUNK_BYTES + sizeof(uint32_t);
    uint64_t n = bytes > off + CTIMER_CHUNK_BYTES ? (bytes - off - CTIMER_CHUNK_BYTES) / per_chunk : 0;
    if (n > UINT32_MAX - 1)
        n = UINT32_MAX - 1;
    if (n < 4)
        return -1;
    uint64_t links_off = off;
    uint64_t chunks_off = round_up(links_off + n * sizeof(uint32_t), CTIMER_CHUNK_BYTES);
    while (chunks_off + n * CTIMER_CHUNK_BYTES > bytes)
        n--;
    uint64_t per_thread = (uint64_t)buffer_kb * 1024 / CTIMER_CHUNK_BYTES;
    if (per_thread > CTIMER_RING_MAX)
        per_thread = CTIMER_RING_MAX;
    if (per_thread > n / 2)
        per_thread = n / 2;
    if (per_thread < 2)
        per_thread = 2;
    uint32_t cap = 2;
    while (cap < per_thread)
        cap <<= 1;
    h->version = CTIMER_SHM_VERSION;
    h->slot_bytes = sizeof(struct ctimer_shm_thread);
    h->total_bytes = bytes;
    h->log_off = CTIMER_SHM_HEADER_BYTES;
    h->log_bytes = log_bytes;
    h->slots_off = slots_off;
    h->n_slots = (uint32_t)slots;
    h->ring_cap = cap;
    h->links_off = links_off;
    h->chunks_off = chunks_off;
    h->n_chunks = (uint32_t)n;
    h->max_chunks = (uint32_t)per_thread;
    h->counts_off = counts_off;
    h->count_cap = count_cap;
    return 0;
}

/* Creates and maps the memfd.  Returns its descriptor (the mapping in *out), or -1 (message printed). */
static int create_mapping(long buffer_kb, uint32_t count_cap, struct ctimer_shm_header **out, size_t *out_bytes)
{
    uint64_t bytes = CTIMER_SHM_DEFAULT_BYTES;
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < bytes)
        bytes = round_down(rl.rlim_cur, CTIMER_CHUNK_BYTES);
    if (bytes < CTIMER_SHM_MIN_BYTES) {
        ctimer_log("ctimer: RLIMIT_FSIZE (ulimit -f) allows %llu KiB, less than the %llu KiB ctimer's shared "
                   "buffers need; not recording",
                   (unsigned long long)(rl.rlim_cur / 1024), (unsigned long long)(CTIMER_SHM_MIN_BYTES / 1024));
        return -1;
    }
    int fd = memfd_create("ctimer", MFD_CLOEXEC);
    if (fd < 0) {
        ctimer_log("ctimer: cannot create the shared buffer (memfd_create): %s; not recording", strerror(errno));
        return -1;
    }
    for (;;) {
        void *p = MAP_FAILED;
        if (ftruncate(fd, (off_t)bytes) == 0)
            p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
        if (p != MAP_FAILED) {
            struct ctimer_shm_header *h = p;
            if (layout(h, bytes, buffer_kb, count_cap) == 0) {
                *out = h;
                *out_bytes = bytes;
                return fd;
            }
            munmap(p, bytes);
            errno = ENOMEM;
        }
        if (bytes / 2 < CTIMER_SHM_MIN_BYTES || (errno != ENOMEM && errno != EFBIG && errno != EINVAL)) {
            ctimer_log("ctimer: cannot map a shared buffer of %llu KiB: %s; not recording",
                       (unsigned long long)(bytes / 1024), strerror(errno));
            close(fd);
            return -1;
        }
        bytes = round_down(bytes / 2, CTIMER_CHUNK_BYTES); /* a smaller address space (ulimit -v) */
    }
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static void fill_header(struct ctimer_shm_header *h, const struct ctimer_runtime *rt)
{
    const struct ctimer_config *c = &rt->cfg;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    h->pid = (int32_t)getpid();
    h->forked_child = rt->forked_child;
    h->clock_tsc = rt->clock.tsc;
    h->start_tick = rt->clock.start_tick;
    h->start_mono = rt->clock.start_mono;
    h->start_sec = (int64_t)now.tv_sec;
    h->start_nsec = now.tv_nsec;
    h->min_ns = c->min_ns;
    h->batch = c->batch;
    h->busy_ms = c->busy_ms;
    h->buffer_kb = c->buffer_kb;
    h->mode = c->mode;
    h->on_full = c->on_full;
    h->timing = c->timing;
    h->sample = c->sample;
    h->adapt_calls = c->adapt_calls;
    h->adapt_ns = c->adapt_ns;
    h->probe_ticks = ctimer_counts_probe_ticks();
    copy_str(h->db, sizeof h->db, c->db);
    copy_str(h->run, sizeof h->run, c->run);
    copy_str(h->app_id, sizeof h->app_id, c->app_id);
    copy_str(h->program, sizeof h->program, program_invocation_short_name);
}

/* ---------------------------------------------------------------- 3: the recorder process */

/* Where the recorder is: CTIMER_RECORDER; else the first executable one of: the path the plugin
 * compiled in, beside libctimer.so (LIBDIR/ctimer/), the configured install path. */
static const char *find_recorder(const struct ctimer_config *c, char *buf, size_t cap)
{
    if (c->recorder)
        return c->recorder;
    const char *hint = ctimer_registry_recorder_hint();
    if (hint && access(hint, X_OK) == 0)
        return hint;
    Dl_info info;
    if (dladdr((void *)find_recorder, &info) && info.dli_fname && strstr(info.dli_fname, ".so")) {
        const char *slash = strrchr(info.dli_fname, '/');
        if (slash) {
            snprintf(buf, cap, "%.*s/ctimer/ctimer-recorder", (int)(slash - info.dli_fname), info.dli_fname);
            if (access(buf, X_OK) == 0)
                return buf;
        }
    }
    if (access(CTIMER_RECORDER_INSTALLED, X_OK) == 0 || !hint)
        return CTIMER_RECORDER_INSTALLED;
    return hint;
}

/* Shared by the program and its two short-lived helpers (they run in the program's memory). */
struct spawn_ctx {
    const char *path;
    char *argv[6];
    int fd;
    char *stack2;            /* the second helper's stack */
    volatile int exec_errno; /* set by the second helper when exec fails */
    volatile pid_t pid;      /* the recorder's pid */
};

/* The second helper: execs the recorder.  Raw system calls only: it runs on the program's memory. */
static int exec_recorder(void *arg)
{
    struct spawn_ctx *s = arg;
    long r = syscall(SYS_fcntl, s->fd, F_SETFD, 0); /* inheritable, in this process only */
    if (r == 0)
        syscall(SYS_execve, s->path, s->argv, environ);
    s->exec_errno = r == 0 ? errno : EBADF;
    if (!s->exec_errno)
        s->exec_errno = ENOEXEC;
    syscall(SYS_exit, 127);
    return 127;
}

/* The first helper: the program's clone child, with no exit signal.  Starts the second and exits. */
static int start_second(void *arg)
{
    struct spawn_ctx *s = arg;
    pid_t pid = clone(exec_recorder, s->stack2 + 32768, CLONE_VM | CLONE_VFORK | SIGCHLD, s);
    s->pid = pid;
    if (pid < 0)
        s->exec_errno = errno ? errno : EAGAIN;
    else if (s->exec_errno) /* it could not exec and has exited: reap it, leave nothing behind */
        syscall(SYS_wait4, pid, NULL, 0, NULL);
    syscall(SYS_exit, 0);
    return 0;
}

/* Returns the recorder's pid, or -1 (message printed). */
static pid_t start_recorder(const char *path, int fd)
{
    struct spawn_ctx s = {.path = path, .fd = fd, .exec_errno = 0, .pid = -1};
    char fdbuf[16], pidbuf[24];
    snprintf(fdbuf, sizeof fdbuf, "%d", fd);
    snprintf(pidbuf, sizeof pidbuf, "%ld", (long)getpid());
    s.argv[0] = "ctimer-recorder";
    s.argv[1] = "--fd";
    s.argv[2] = fdbuf;
    s.argv[3] = "--pid";
    s.argv[4] = pidbuf;
    s.argv[5] = NULL;
    char *stacks = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stacks == MAP_FAILED) {
        ctimer_log("ctimer: cannot start the recorder '%s': %s; not recording", path, strerror(errno));
        return -1;
    }
    s.stack2 = stacks + 32768;
    /* No signal handler of the program may run in the helpers, which share its memory. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t first = clone(start_second, stacks + 32768, CLONE_VM | CLONE_VFORK, &s);
    int clone_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (first > 0) {
        int status;
        while (waitpid(first, &status, __WCLONE) < 0 && errno == EINTR)
            ;
    } else {
        s.exec_errno = clone_errno;
    }
    munmap(stacks, 65536);
    if (s.exec_errno || s.pid <= 0) {
        ctimer_log("ctimer: cannot start the recorder '%s': %s; not recording", path,
                   strerror(s.exec_errno ? s.exec_errno : EAGAIN));
        return -1;
    }
    return s.pid;
}

/* ---------------------------------------------------------------- 4: the hand-shake */

/* Waits for READY or FAILED.  0 when READY. */
static int wait_ready(struct ctimer_shm_header *h, pid_t rec, long busy_ms, const char *path)
{
    uint64_t deadline = ctimer_mono_ns() + ((uint64_t)busy_ms + 30000) * 1000000u;
    for (;;) {
        uint32_t st = atomic_load_explicit(&h->rec_state, memory_order_acquire);
        if (st == CTIMER_REC_READY)
            return 0;
        if (st != CTIMER_REC_STARTING)
            return -1; /* the recorder printed why */
        if (kill(rec, 0) != 0 && errno == ESRCH) {
            ctimer_log("ctimer: the recorder '%s' ended before it started the run; not recording", path);
            return -1;
        }
        if (ctimer_mono_ns() > deadline) {
            ctimer_log("ctimer: the recorder '%s' did not start the run within %ld ms; not recording", path,
                       busy_ms + 30000);
            atomic_store(&h->stop_req, 1);
            return -1;
        }
        ctimer_futex_wait(&h->rec_state, st, 50000000);
    }
}

int ctimer_spawn(struct ctimer_runtime *rt)
{
    struct ctimer_shm_header *h = NULL;
    size_t bytes = 0;
    /* Every descriptor id handed out so far must fit in each slot's count words, and none handed
     * out later may pass them: the registry stays locked from choosing the size to fixing the bound. */
    ctimer_registry_lock();
    uint32_t count_cap = ctimer_counts_cap(ctimer_registry_ids_used_locked());
    int fd = create_mapping(rt->cfg.buffer_kb, count_cap, &h, &bytes);
    if (fd >= 0)
        ctimer_registry_limit_ids_locked(count_cap);
    ctimer_registry_unlock();
    if (fd < 0)
        return -1;
    fill_header(h, rt);
    atomic_thread_fence(memory_order_release);
    h->magic = CTIMER_SHM_MAGIC;
    rt->shm = h;
    rt->shm_bytes = bytes;
    ctimer_registry_publish(h);

    char buf[PATH_MAX];
    const char *path = find_recorder(&rt->cfg, buf, sizeof buf);
    pid_t rec = start_recorder(path, fd);
    close(fd);
    h->rec_pid = rec;
    if (rec < 0 || wait_ready(h, rec, rt->cfg.busy_ms, path) != 0) {
        ctimer_registry_detach();
        rt->shm = NULL;
        munmap(h, bytes);
        return -1;
    }
    return 0;
}

int ctimer_recorder_alive(void)
{
    struct ctimer_shm_header *h = ctimer_rt.shm;
    if (!h)
        return 0;
    uint32_t st = atomic_load_explicit(&h->rec_state, memory_order_acquire);
    if (st != CTIMER_REC_READY)
        return 0;
    return !(kill(h->rec_pid, 0) != 0 && errno == ESRCH);
}
