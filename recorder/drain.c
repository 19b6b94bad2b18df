/*
 * drain.c — recorder side: the loop that reads the program's shared chunks, feeds the writer and
 * gives the chunks back; the end of the run, however the program ends.
 * See docs/runtime-design.md, "The recorder process".
 *
 * Every word read from shared memory is validated before it is used: chunk indices against the
 * layout, word counts against the chunk size, descriptor log records against their bounds.  A
 * program that scribbles over this memory loses its own rows; the recorder carries on.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "recorder.h"
#include "timing.h"

#define PER_THREAD_ROUND 16 /* chunks taken from one thread before looking at the next */

/* ---------------------------------------------------------------- the layout */

const char *ctimer_recorder_validate(struct ctimer_recorder *r, uint64_t bytes)
{
    struct ctimer_shm_header *h = r->h;
    struct ctimer_layout *L = &r->L;
    if (bytes < CTIMER_SHM_HEADER_BYTES || h->magic != CTIMER_SHM_MAGIC)
        return "no ctimer header (magic)";
    if (h->version != CTIMER_SHM_VERSION || h->slot_bytes != sizeof(struct ctimer_shm_thread))
        return "a header of another libctimer version";
    *L = (struct ctimer_layout){bytes,        h->log_off,  h->log_bytes, h->slots_off, h->links_off,
                                h->chunks_off, h->n_slots, h->ring_cap, h->n_chunks,  h->max_chunks, 0, 0};
    L->counts_off = h->counts_off;
    L->count_cap = h->count_cap;
    if (h->total_bytes != bytes)
        return "a size that is not the mapping's";
    if (L->count_cap > CTIMER_COUNT_MAX || L->counts_off % 4096 || L->counts_off > bytes ||
        (uint64_t)L->n_slots * L->count_cap * sizeof(uint64_t) > bytes - L->counts_off)
        return "count words outside the mapping";
    if (L->log_off < sizeof *h || L->log_off + L->log_bytes > bytes || L->log_off % 8)
        return "a log outside the mapping";
    if (L->n_slots == 0 || L->n_slots > CTIMER_MAX_SLOTS || L->slots_off % 64 ||
        L->slots_off + (uint64_t)L->n_slots * sizeof(struct ctimer_shm_thread) > bytes)
        return "thread slots outside the mapping";
    if (L->ring_cap < 2 || L->ring_cap > CTIMER_RING_MAX || (L->ring_cap & (L->ring_cap - 1)))
        return "a ring size that is not a power of two up to 2048";
    if (L->n_chunks == 0 || L->links_off % 8 || L->links_off + (uint64_t)L->n_chunks * 4 > bytes ||
        L->chunks_off % CTIMER_CHUNK_BYTES || L->chunks_off + (uint64_t)L->n_chunks * CTIMER_CHUNK_BYTES > bytes)
        return "chunks outside the mapping";
    return NULL;
}

static struct ctimer_shm_thread *slot(struct ctimer_recorder *r, uint32_t i)
{
    return (struct ctimer_shm_thread *)((char *)r->h + r->L.slots_off + (uint64_t)i * sizeof(struct ctimer_shm_thread));
}

static uint64_t *chunk(struct ctimer_recorder *r, uint32_t i)
{
    return (uint64_t *)((char *)r->h + r->L.chunks_off + (uint64_t)i * CTIMER_CHUNK_BYTES);
}

static _Atomic uint32_t *links(struct ctimer_recorder *r) { return (_Atomic uint32_t *)((char *)r->h + r->L.links_off); }

/* A ring entry or held word that names a real chunk and a plausible length. */
static int valid_entry(struct ctimer_recorder *r, uint64_t e)
{
    if ((uint32_t)e < r->L.n_chunks && (e >> 32) <= CTIMER_CHUNK_WORDS)
        return 1;
    r->corrupt++;
    return 0;
}

/* ---------------------------------------------------------------- the descriptor log */

void ctimer_recorder_sync_log(struct ctimer_recorder *r)
{
    uint64_t used = atomic_load_explicit(&r->h->log_used, memory_order_acquire);
    if (used > r->L.log_bytes)
        used = r->L.log_bytes;
    const char *log = (const char *)r->h + r->L.log_off;
    while (r->log_read + sizeof(struct ctimer_shm_logrec) <= used) {
        struct ctimer_shm_logrec rec;
        memcpy(&rec, log + r->log_read, sizeof rec);
        if (rec.len < sizeof rec || rec.len % 8 || r->log_read + rec.len > used) {
            r->corrupt++;
            r->log_read = used; /* nothing after a bad record can be trusted */
            return;
        }
        char *s[4] = {NULL, NULL, NULL, NULL};
        size_t at = r->log_read + sizeof rec, end = r->log_read + rec.len;
        int ok = rec.kind <= CTIMER_KIND_CALL;
        for (int k = 0; k < 4 && ok; k++) {
            if (rec.slen[k] == CTIMER_LOG_NULL)
                continue;
            if (at + rec.slen[k] > end || !(s[k] = malloc((size_t)rec.slen[k] + 1))) {
                ok = 0;
                break;
            }
            memcpy(s[k], log + at, rec.slen[k]);
            s[k][rec.slen[k]] = 0;
            at += rec.slen[k];
        }
        if (ok) {
            uint32_t fid = ctimer_writer_add_function(r->w, rec.addr, rec.kind, rec.line, s[0], s[1], s[2], s[3]);
            if (fid)
                ctimer_timing_add(r->timing, fid, rec.count_id, rec.flags);
        } else
            r->corrupt++;
        for (int k = 0; k < 4; k++)
            free(s[k]);
        r->log_read += rec.len;
    }
}

/* ---------------------------------------------------------------- chunks */

/* Zeroes the used words of a decoded chunk and gives it back to its thread (or to the pool). */
static void recycle(struct ctimer_recorder *r, struct ctimer_shm_thread *t, uint32_t c, size_t nwords)
{
    memset(chunk(r, c), 0, nwords * sizeof(uint64_t));
    if (t && ctimer_shm_ring_push(&t->free, r->L.ring_cap, c) == 0) {
        if (atomic_load_explicit(&t->waiting, memory_order_acquire)) {
            atomic_fetch_add_explicit(&t->space_seq, 1, memory_order_release);
            ctimer_futex_wake(&t->space_seq);
        }
        return;
    }
    (void)ctimer_stack_push(&r->h->chunk_free, links(r), c);
}

/* Gives memory back to the kernel: the pages of a memfd's hole read as zero, in both processes, and
 * leave both resident sets.  Falls back to zeroing them where hole punching is refused. */
static void give_back(void *p, size_t bytes)
{
    if (madvise(p, bytes, MADV_REMOVE) != 0)
        memset(p, 0, bytes);
}

/* Gives a chunk to the shared pool, zeroed and released: its thread is gone (memory returns to where
 * it was however many threads have come and gone). */
static void release_chunk(struct ctimer_recorder *r, uint32_t c)
{
    give_back(chunk(r, c), CTIMER_CHUNK_BYTES);
    (void)ctimer_stack_push(&r->h->chunk_free, links(r), c);
}

static void decode(struct ctimer_recorder *r, struct ctimer_wthread *wt, const uint64_t *words, size_t n, int partial)
{
    ctimer_recorder_sync_log(r); /* a descriptor published just before these events */
    ctimer_writer_decode(r->w, wt, words, n, partial);
}

static struct ctimer_wthread *wstate(struct ctimer_recorder *r, uint32_t i)
{
    if (!r->wt[i]) {
        struct ctimer_shm_thread *t = slot(r, i);
        r->wt[i] = ctimer_writer_thread(r->w, t->index, t->tid);
    }
    return r->wt[i];
}

/* Decodes up to max chunks of slot i's full ring.  Returns how many. */
static size_t drain_ring(struct ctimer_recorder *r, uint32_t i, size_t max, int give_back)
{
    struct ctimer_shm_thread *t = slot(r, i);
    struct ctimer_wthread *wt = wstate(r, i);
    size_t k = 0;
    uint64_t e;
    while (k < max && wt && ctimer_shm_ring_pop(&t->full, r->L.ring_cap, &e) == 0) {
        k++;
        if (!valid_entry(r, e))
            continue;
        uint32_t c = (uint32_t)e;
        size_t n = (size_t)(e >> 32);
        decode(r, wt, chunk(r, c), n, 0);
        if (give_back)
            recycle(r, t, c, n);
    }
    return k;
}

static void copy_name(char out[16], const char *name)
{
    memcpy(out, name, 15);
    out[15] = 0;
}

static uint32_t slots_used(struct ctimer_recorder *r);
static struct ctimer_shm_thread *used_slot(struct ctimer_recorder *r, uint32_t i, uint32_t *st);

/* Reads slot i's count words (counted calls) into the writer. */
static void collect_counts(struct ctimer_recorder *r, uint32_t i)
{
    ctimer_timing_collect(r->timing, r->w, i, slot(r, i)->index);
}

/* Every recording thread's counts, read now (live threads' are a snapshot). */
static void collect_all_counts(struct ctimer_recorder *r)
{
    uint32_t n = slots_used(r);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t st;
        if (used_slot(r, i, &st))
            collect_counts(r, i);
    }
}

/* Slot i's thread ended and everything it pushed is decoded: close it and free the slot. */
static void retire(struct ctimer_recorder *r, uint32_t i)
{
    struct ctimer_shm_thread *t = slot(r, i);
    char name[16];
    copy_name(name, t->name);
    ctimer_writer_thread_done(r->w, r->wt[i], name);
    r->wt[i] = NULL;
    uint64_t e;
    while (ctimer_shm_ring_pop(&t->free, r->L.ring_cap, &e) == 0)
        if (valid_entry(r, e))
            release_chunk(r, (uint32_t)e);
    uint32_t cur = atomic_load(&t->cur);
    if (cur && cur - 1 < r->L.n_chunks)
        release_chunk(r, cur - 1);
    collect_counts(r, i);
    give_back(ctimer_shm_counts(r->h, i), (size_t)r->L.count_cap * sizeof(uint64_t));
    give_back(t, sizeof *t); /* all zero now: state FREE, rings empty */
    atomic_store_explicit(&t->state, CTIMER_SLOT_FREE, memory_order_release);
    (void)ctimer_stack_push(&r->h->slot_free, r->h->slot_links, i);
}

static uint32_t slots_used(struct ctimer_recorder *r)
{
    uint32_t n = atomic_load_explicit(&r->h->slot_next, memory_order_acquire);
    return n < r->L.n_slots ? n : r->L.n_slots;
}

/* Slot i when a thread records into it or has finished with it (its state in *st), else NULL. */
static struct ctimer_shm_thread *used_slot(struct ctimer_recorder *r, uint32_t i, uint32_t *st)
{
    struct ctimer_shm_thread *t = slot(r, i);
    *st = atomic_load_explicit(&t->state, memory_order_acquire);
    return *st == CTIMER_SLOT_ACTIVE || *st == CTIMER_SLOT_FINISHED ? t : NULL;
}

/* One round over every thread; returns whether anything was done. */
static int drain_threads(struct ctimer_recorder *r, int everything)
{
    int did = 0;
    uint32_t n = slots_used(r);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t st;
        struct ctimer_shm_thread *t = used_slot(r, i, &st);
        if (!t)
            continue;
        did |= drain_ring(r, i, everything ? SIZE_MAX : PER_THREAD_ROUND, 1) > 0;
        /* FINISHED is stored after the last push, so an empty ring read after it is really the end */
        if (st == CTIMER_SLOT_FINISHED && ctimer_shm_ring_count(&t->full) == 0) {
            drain_ring(r, i, SIZE_MAX, 1);
            retire(r, i);
            did = 1;
        }
    }
    return did;
}

static int work_waiting(struct ctimer_recorder *r)
{
    uint32_t n = slots_used(r);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t st;
        struct ctimer_shm_thread *t = used_slot(r, i, &st);
        if (t && (ctimer_shm_ring_count(&t->full) || st == CTIMER_SLOT_FINISHED))
            return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- how the program ends */

/*
 * Whether the process still maps the memfd with inode `ino`: 1 it does; 0 it has mappings and none
 * is ours, which only an exec (a new image) makes; -1 it shows no mappings at all, or none can be
 * read: it is ending (its memory goes before its pidfd says so), its main thread has exited while
 * others run on (pthread_exit from main), or it is gone.  Only 0 means an exec.
 */
static int maps_state(pid_t pid, uint64_t ino)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    char line[4096];
    int state = -1;
    while (state != 1 && fgets(line, sizeof line, f)) {
        unsigned long long inode = 0;
        state = 0;
        if (sscanf(line, "%*s %*s %*s %*s %llu", &inode) == 1 && inode == ino && strstr(line, "memfd:ctimer"))
            state = 1;
    }
    fclose(f);
    return state;
}

/* 1 once the program's process has ended: its pidfd is readable, or without one it is gone. */
static int program_gone(const struct ctimer_recorder *r)
{
    if (r->pidfd < 0)
        return kill(r->pid, 0) != 0 && errno == ESRCH;
    struct pollfd p = {r->pidfd, POLLIN, 0};
    return poll(&p, 1, 0) > 0;
}

static enum ctimer_end program_ended(struct ctimer_recorder *r, int check_exec)
{
    /* Gone while an exec was under way (__ctimer_exec): the image was replaced, then ended. */
    enum ctimer_end gone = atomic_load(&r->h->execs) > 0 ? CTIMER_END_EXEC : CTIMER_END_DIED;
    if (program_gone(r))
        return gone;
    /* Other mappings and not ours: an exec, unless the process ended between the two checks. */
    if (check_exec && maps_state(r->pid, r->inode) == 0)
        return program_gone(r) ? gone : CTIMER_END_EXEC;
    return CTIMER_END_NONE;
}

static void read_comm(pid_t pid, pid_t tid, char name[16])
{
    char path[64];
    name[0] = 0;
    snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int)pid, (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, name, 15);
    close(fd);
    if (n <= 0)
        n = 0;
    name[n] = 0;
    char *nl = strchr(name, '\n');
    if (nl)
        *nl = 0;
}

/* Copies a chunk's first n words with acquire loads (word 0 of an event is stored last). */
static void copy_words(uint64_t *dst, const uint64_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = __atomic_load_n(&src[i], __ATOMIC_ACQUIRE);
}

/*
 * The final snapshot of a thread whose program is still running (it is exiting): freeze the slot (no
 * more pushes), then read held and cur consistently under the seqlock, then decode what was pushed
 * before, then the copies.  Whatever the thread records afterwards is not part of the run.
 */
static void final_live(struct ctimer_recorder *r, uint32_t i, struct ctimer_wthread *wt)
{
    struct ctimer_shm_thread *t = slot(r, i);
    atomic_store_explicit(&t->frozen, 1, memory_order_seq_cst);
    atomic_thread_fence(memory_order_seq_cst);
    uint64_t held = 0;
    uint32_t cur = 0;
    int ok = 0;
    for (int tries = 0; tries < 2000 && !ok; tries++) {
        uint32_t g1 = atomic_load_explicit(&t->gen, memory_order_acquire);
        if (!(g1 & 1)) {
            held = atomic_load_explicit(&t->held, memory_order_relaxed);
            cur = atomic_load_explicit(&t->cur, memory_order_relaxed);
            atomic_thread_fence(memory_order_acquire);
            ok = atomic_load_explicit(&t->gen, memory_order_relaxed) == g1;
        }
        if (!ok) {
            struct timespec ts = {0, 100000}; /* the producer is inside its slow path: let it finish */
            nanosleep(&ts, NULL);
        }
    }
    size_t nh = 0;
    if (held && valid_entry(r, held - 1)) {
        nh = (size_t)((held - 1) >> 32);
        copy_words(r->copy, chunk(r, (uint32_t)(held - 1)), nh);
    }
    int have_cur = cur && cur - 1 < r->L.n_chunks;
    if (have_cur)
        copy_words(r->copy + nh, chunk(r, cur - 1), CTIMER_CHUNK_WORDS);
    drain_ring(r, i, SIZE_MAX, 1); /* pushed before the snapshot: comes first in the stream */
    if (nh)
        decode(r, wt, r->copy, nh, 0);
    if (have_cur)
        decode(r, wt, r->copy + nh, CTIMER_CHUNK_WORDS, 1);
}

/*
 * The program is gone (died or exec'd): nothing moves any more.  Decode the ring, then the held chunk,
 * then the current one up to its first unwritten event, each once (a program killed inside
 * switch_chunk can leave a chunk both pushed and held, or held and current).
 */
static void final_dead(struct ctimer_recorder *r, uint32_t i, struct ctimer_wthread *wt)
{
    struct ctimer_shm_thread *t = slot(r, i);
    uint64_t held = atomic_load(&t->held);
    uint32_t cur = atomic_load(&t->cur);
    uint32_t held_c = held && valid_entry(r, held - 1) ? (uint32_t)(held - 1) : UINT32_MAX;
    uint32_t cur_c = cur && cur - 1 < r->L.n_chunks ? cur - 1 : UINT32_MAX;
    uint64_t e;
    while (ctimer_shm_ring_pop(&t->full, r->L.ring_cap, &e) == 0) {
        if (!valid_entry(r, e))
            continue;
        decode(r, wt, chunk(r, (uint32_t)e), (size_t)(e >> 32), 0);
        if ((uint32_t)e == held_c)
            held_c = UINT32_MAX;
        if ((uint32_t)e == cur_c)
            cur_c = UINT32_MAX;
    }
    if (held_c != UINT32_MAX) {
        decode(r, wt, chunk(r, held_c), (size_t)((held - 1) >> 32), 0);
        if (held_c == cur_c)
            cur_c = UINT32_MAX;
    }
    if (cur_c != UINT32_MAX)
        decode(r, wt, chunk(r, cur_c), CTIMER_CHUNK_WORDS, 1);
}

static void final_phase(struct ctimer_recorder *r, enum ctimer_end how)
{
    uint32_t n = slots_used(r);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t st;
        struct ctimer_shm_thread *t = used_slot(r, i, &st);
        if (!t)
            continue;
        struct ctimer_wthread *wt = wstate(r, i);
        if (!wt)
            continue;
        if (how == CTIMER_END_EXIT)
            final_live(r, i, wt);
        else
            final_dead(r, i, wt);
        collect_counts(r, i);
        char name[16];
        copy_name(name, t->name);
        if (!name[0] && how == CTIMER_END_EXIT)
            read_comm(r->pid, t->tid, name);
        if (st == CTIMER_SLOT_FINISHED) {
            ctimer_writer_thread_done(r->w, wt, name);
            r->wt[i] = NULL;
        } else {
            ctimer_writer_thread_name(r->w, wt, name[0] ? name : NULL);
        }
    }
    uint64_t unrecorded = atomic_load(&r->h->unrecorded);
    if (unrecorded)
        ctimer_writer_add_dropped(r->w, unrecorded);
    if (r->corrupt)
        ctimer_log("ctimer: the recorder rejected %llu damaged records in the shared buffer of pid %d; their "
                   "calls are not recorded",
                   (unsigned long long)r->corrupt, (int)r->pid);
    static const char *const reason[] = {"exit", "exit", "died", "exec"};
    r->finish_rc = ctimer_writer_finish(r->w, how == CTIMER_END_EXIT ? ctimer_now() : 0, NULL, reason[how]);
}

/* ---------------------------------------------------------------- the loop */

static void sleep_until_work(struct ctimer_recorder *r)
{
    struct ctimer_shm_header *h = r->h;
    atomic_store(&h->rec_sleeping, 1);
    atomic_thread_fence(memory_order_seq_cst); /* pairs with ctimer_wake_recorder's fence */
    uint32_t seen = atomic_load(&h->wake_seq);
    if (!work_waiting(r) && !atomic_load(&h->stop_req) &&
        atomic_load(&h->flush_req) == atomic_load(&h->flush_done))
        ctimer_futex_wait(&h->wake_seq, seen, 10000000); /* idle poll: work is seen within ~10 ms anyway */
    atomic_store(&h->rec_sleeping, 0);
}

enum ctimer_end ctimer_recorder_run(struct ctimer_recorder *r)
{
    struct ctimer_shm_header *h = r->h;
    r->wt = calloc(r->L.n_slots, sizeof *r->wt);
    r->copy = malloc(2 * CTIMER_CHUNK_BYTES);
    ctimer_clock_calibrate(&r->clock); /* sleeps out the rest of the 2 ms calibration if needed */
    ctimer_timing_clock(r->timing, &r->clock);
    ctimer_writer_set_probe_ns(r->w, r->clock.tsc ? (double)h->probe_ticks * (double)r->clock.mult / 4294967296.0
                                                  : (double)h->probe_ticks);
    uint64_t last_aggregates = ctimer_mono_ns(), last_exec_check = 0;
    enum ctimer_end how = CTIMER_END_NONE;
    if (!r->wt || !r->copy) {
        ctimer_log("ctimer: the recorder is out of memory; the run of pid %d ends here", (int)r->pid);
        atomic_store(&h->rec_state, CTIMER_REC_GONE);
        ctimer_futex_wake(&h->rec_state);
        return CTIMER_END_DIED;
    }
    for (;;) {
        uint64_t now = ctimer_mono_ns();
        ctimer_recorder_sync_log(r);
        uint32_t flush_target = atomic_load_explicit(&h->flush_req, memory_order_acquire);
        uint32_t flush_done = atomic_load_explicit(&h->flush_done, memory_order_relaxed);
        int stop = atomic_load_explicit(&h->stop_req, memory_order_acquire);
        int did = drain_threads(r, stop || flush_target != flush_done);
        if (stop) {
            how = CTIMER_END_EXIT;
            break;
        }
        int check_exec = now - last_exec_check >= 100000000; /* /proc/PID/maps, ten times a second */
        if (check_exec)
            last_exec_check = now;
        if ((how = program_ended(r, check_exec)) != CTIMER_END_NONE)
            break;
        if (flush_target != flush_done) {
            collect_all_counts(r);
            ctimer_writer_commit(r->w, 1);
            last_aggregates = now;
            atomic_store_explicit(&h->flush_done, flush_target, memory_order_release);
            ctimer_futex_wake(&h->flush_done);
        } else if (now - last_aggregates >= UINT64_C(1000000000)) {
            collect_all_counts(r);
            ctimer_writer_commit(r->w, 1); /* rows of a slow trickle and the aggregates, once a second */
            last_aggregates = now;
        }
        if (!did)
            sleep_until_work(r);
    }
    ctimer_recorder_sync_log(r);
    final_phase(r, how);
    return how;
}
