/*
 * queue.c — per-thread state, the thread registry, SPSC rings and the slow path.
 * See queue.h and docs/runtime-design.md, "Queues".
 */
#include "queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "runtime.h"

/* ---------------------------------------------------------------- rings */

int ctimer_ring_init(struct ctimer_ring *r, size_t min_capacity)
{
    size_t cap = 2;
    while (cap < min_capacity)
        cap <<= 1;
    r->slots = calloc(cap, sizeof *r->slots);
    if (!r->slots)
        return -1;
    r->mask = cap - 1;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    return 0;
}

void ctimer_ring_destroy(struct ctimer_ring *r)
{
    free(r->slots);
    r->slots = NULL;
}

int ctimer_ring_push(struct ctimer_ring *r, struct ctimer_slot s)
{
    size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (t - atomic_load_explicit(&r->head, memory_order_acquire) > r->mask)
        return -1;
    r->slots[t & r->mask] = s;
    atomic_store_explicit(&r->tail, t + 1, memory_order_release);
    return 0;
}

int ctimer_ring_pop(struct ctimer_ring *r, struct ctimer_slot *out)
{
    size_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (h == atomic_load_explicit(&r->tail, memory_order_acquire))
        return -1;
    *out = r->slots[h & r->mask];
    atomic_store_explicit(&r->head, h + 1, memory_order_release);
    return 0;
}

size_t ctimer_ring_count(struct ctimer_ring *r)
{
    size_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
    return t - atomic_load_explicit(&r->head, memory_order_acquire);
}

/* ---------------------------------------------------------------- helpers */

uint64_t ctimer_count_enters(const uint64_t *w, size_t n)
{
    uint64_t k = 0;
    size_t i = 0;
    while (i < n && w[i]) {
        size_t len = ctimer_event_words(w[i]);
        if (i + len > n)
            break;
        if (w[i] == CTIMER_MARK_GAP)
            k += w[i + 1];
        else if (!(w[i] & CTIMER_EXIT_BIT) && w[i] > CTIMER_MARK_MAX)
            k++;
        i += len;
    }
    return k;
}

/*
 * Chunks come straight from mmap, zeroed by the kernel as stream.h's zero-means-unwritten invariant
 * needs.  From malloc they cost twice: a memset over memory the kernel had just zeroed, and, in a
 * thread's own malloc arena, an mprotect to grow the arena whose TLB shoot-down interrupts every
 * other CPU (with 16 threads, ~10 % of the run in smp_call_function_many_cond under perf).
 */
static uint64_t *chunk_alloc(void)
{
    void *p = mmap(NULL, CTIMER_CHUNK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void chunk_free(uint64_t *chunk)
{
    if (chunk)
        munmap(chunk, CTIMER_CHUNK_BYTES);
}

/*
 * Seqlock over (cur, tls->pos) for the writer's final snapshot: odd while the slow path rearranges
 * them.  Single writer (this thread), so plain increments suffice.
 */
static void gen_begin(struct ctimer_thread *t)
{
    unsigned g = atomic_load_explicit(&t->gen, memory_order_relaxed);
    atomic_store_explicit(&t->gen, g + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
}

static void gen_end(struct ctimer_thread *t)
{
    unsigned g = atomic_load_explicit(&t->gen, memory_order_relaxed);
    atomic_store_explicit(&t->gen, g + 1, memory_order_release);
}

/*
 * Makes `chunk` current: pos first and end last, so a signal handler never sees pos < end while they
 * belong to different chunks.  When `filled` (the chunk just replaced) is given, the held chunk goes
 * to the writer and `filled` is held in its place (`hold`) or pushed after it: inside the same seqlock
 * section, so the writer's final snapshot never sees a chunk twice or not at all.  The full ring
 * holds every chunk the thread may own, so a push cannot fail.
 */
static void switch_chunk(struct ctimer_tls *tl, struct ctimer_thread *t, uint64_t *chunk, uint64_t *pos,
                         const struct ctimer_slot *filled, int hold)
{
    tl->end = NULL;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    gen_begin(t);
    atomic_store_explicit(&t->cur, chunk, memory_order_relaxed);
    __atomic_store_n(&tl->pos, pos, __ATOMIC_RELAXED);
    if (filled) {
        struct ctimer_slot out[2] = {t->held, hold ? (struct ctimer_slot){NULL, 0} : *filled};
        t->held = hold ? *filled : (struct ctimer_slot){NULL, 0};
        for (int i = 0; i < 2; i++)
            if (out[i].chunk)
                (void)ctimer_ring_push(&t->full, out[i]);
    }
    gen_end(t);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    if (chunk)
        tl->end = chunk + CTIMER_CHUNK_WORDS - CTIMER_CHUNK_SLACK;
}

static void set_current(struct ctimer_tls *tl, struct ctimer_thread *t, uint64_t *chunk, uint64_t *pos)
{
    switch_chunk(tl, t, chunk, pos, NULL, 0);
}

void ctimer_wake_writer(int force)
{
    atomic_thread_fence(memory_order_seq_cst); /* pairs with the writer's fence before it sleeps */
    if (!force && !atomic_load_explicit(&ctimer_rt.writer_sleeping, memory_order_relaxed))
        return;
    pthread_mutex_lock(&ctimer_rt.wk_mu);
    ctimer_rt.wake_pending = 1;
    pthread_cond_signal(&ctimer_rt.wk_cv);
    pthread_mutex_unlock(&ctimer_rt.wk_mu);
}

/*
 * Hands the current chunk (used words [0, pos)) on.  When `hold`, it is held back and the chunk held
 * before it goes to the writer instead.  Why: a refill may run inside a signal handler that
 * interrupted the hot path between its claim and its store of word 0.  That event belongs to the
 * chunk being replaced, and is written when the handler returns; a chunk pushed at once could
 * already be decoded (stopping at the unwritten event, and losing it and the handler's calls after
 * it) or recycled.  Held for one more chunk, it is complete when the writer sees it.
 *
 * The writer is woken only once a quarter of the thread's buffer is queued (or when `urgent`): a
 * wake-up is a system call, and an inter-processor interrupt under virtualisation, too dear for
 * every 64 KiB.  Otherwise the writer's 10 ms poll finds it.
 */
static void push_current(struct ctimer_tls *tl, struct ctimer_thread *t, int urgent, int hold)
{
    uint64_t *cur = atomic_load_explicit(&t->cur, memory_order_relaxed);
    if (!cur && !t->held.chunk)
        return;
    struct ctimer_slot s = {cur, cur ? (size_t)(tl->pos - cur) : 0};
    switch_chunk(tl, t, NULL, NULL, &s, hold);
    if (urgent || ctimer_ring_count(&t->full) * 4 >= t->max_chunks)
        ctimer_wake_writer(0);
}

/* ---------------------------------------------------------------- thread setup and exit */

static pid_t current_tid(void) { return (pid_t)syscall(SYS_gettid); }

static struct ctimer_thread *thread_setup(struct ctimer_tls *tl)
{
    struct ctimer_thread *t = NULL;
    if (posix_memalign((void **)&t, 64, sizeof *t) != 0)
        return NULL;
    memset(t, 0, sizeof *t);
    t->max_chunks = ctimer_rt.max_chunks;
    uint64_t *chunk = NULL;
    if (ctimer_ring_init(&t->full, t->max_chunks) || ctimer_ring_init(&t->free, t->max_chunks) ||
        !(chunk = chunk_alloc()))
        goto fail;
    t->allocated = 1;
    t->tls = tl;
    t->tid = current_tid();
    if (pthread_setspecific(ctimer_rt.key, t) != 0)
        goto fail;

    tl->thr = t;
    tl->end = NULL;
    atomic_store_explicit(&t->cur, chunk, memory_order_relaxed);
    __atomic_store_n(&tl->pos, chunk, __ATOMIC_RELAXED);

    pthread_mutex_lock(&ctimer_rt.reg_mu);
    if (atomic_load(&ctimer_rt.state) != CTIMER_ST_RUNNING) {
        pthread_mutex_unlock(&ctimer_rt.reg_mu);
        pthread_setspecific(ctimer_rt.key, NULL);
        tl->thr = NULL;
        tl->pos = NULL;
        goto fail;
    }
    t->index = ++ctimer_rt.next_thread_index;
    t->next = atomic_load_explicit(&ctimer_rt.threads, memory_order_relaxed);
    atomic_store_explicit(&ctimer_rt.threads, t, memory_order_release);
    pthread_mutex_unlock(&ctimer_rt.reg_mu);

    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    tl->end = chunk + CTIMER_CHUNK_WORDS - CTIMER_CHUNK_SLACK;
    return t;

fail:
    chunk_free(chunk);
    ctimer_ring_destroy(&t->full);
    ctimer_ring_destroy(&t->free);
    free(t);
    return NULL;
}

/* Appends a 2-word marker event at pos (the caller made sure it fits). */
static void put_marker(struct ctimer_tls *tl, uint64_t mark, uint64_t arg)
{
    uint64_t *m = ctimer_claim(tl, CTIMER_MARK_WORDS);
    m[1] = arg;
    ctimer_publish_word0(m, mark);
}

/*
 * Reports the calls signal handlers could not record (they ran while this thread was in the slow
 * path) with a LOST marker, if any are pending and the marker fits before the chunk's real end
 * with `keep` words to spare.  Called with tl->busy set.  A handler that adds to tl->lost meanwhile
 * leaves its count for the next report.
 */
static void report_lost(struct ctimer_tls *tl, struct ctimer_thread *t, size_t keep)
{
    uint64_t *cur = atomic_load_explicit(&t->cur, memory_order_relaxed);
    uint64_t lost = __atomic_load_n(&tl->lost, __ATOMIC_RELAXED);
    if (!lost || !cur || tl->pos + CTIMER_MARK_WORDS + keep > cur + CTIMER_CHUNK_WORDS)
        return;
    __atomic_fetch_sub(&tl->lost, lost, __ATOMIC_RELAXED);
    put_marker(tl, CTIMER_MARK_LOST, lost);
}

void ctimer_queue_thread_exit(void *arg)
{
    struct ctimer_tls *tl = &ctimer_tls;
    struct ctimer_thread *t = arg;
    tl->dead = 1; /* instrumented code in later destructors records nothing */
    if (!t || tl->thr != t)
        return;
    tl->busy = 1;
    pthread_mutex_lock(&ctimer_rt.reg_mu); /* not while the writer snapshots this thread */
    pthread_getname_np(pthread_self(), t->name, sizeof t->name);
    uint64_t *cur = atomic_load_explicit(&t->cur, memory_order_relaxed);
    /* stream.h: at least 3 words are always left after the last event, room for the end marker;
     * usually 6, room for a LOST marker before it too. */
    report_lost(tl, t, CTIMER_MARK_WORDS);
    if (cur)
        put_marker(tl, CTIMER_MARK_END, ctimer_now());
    push_current(tl, t, 0, 0); /* the held chunk too; the forced wake-up below follows */
    tl->thr = NULL;
    atomic_store_explicit(&t->finished, 1, memory_order_release);
    pthread_mutex_unlock(&ctimer_rt.reg_mu);
    tl->busy = 0;
    ctimer_wake_writer(1);
}

void ctimer_queue_handoff(void)
{
    struct ctimer_tls *tl = &ctimer_tls;
    struct ctimer_thread *t = tl->thr;
    if (!t || tl->busy)
        return;
    tl->busy = 1;
    report_lost(tl, t, 0);
    uint64_t *cur = atomic_load_explicit(&t->cur, memory_order_relaxed);
    if ((cur && tl->pos > cur) || t->held.chunk)
        push_current(tl, t, 1, 0);
    tl->busy = 0;
}

void ctimer_queue_forget_thread(void)
{
    struct ctimer_tls *tl = &ctimer_tls;
    tl->pos = tl->end = NULL;
    tl->thr = NULL;
    tl->busy = 0;
    tl->dead = 0;
    if (ctimer_rt.key_ok)
        pthread_setspecific(ctimer_rt.key, NULL);
}

/* ---------------------------------------------------------------- refill */

/* Waits (block mode) until the writer returns a chunk.  Sleeps on a condition variable with a short
 * timeout, re-waking the writer each round; gives up when the run stops. */
static uint64_t *wait_for_chunk(struct ctimer_thread *t)
{
    struct ctimer_slot s = {NULL, 0};
    atomic_store(&t->waiting, 1);
    for (;;) {
        if (ctimer_ring_pop(&t->free, &s) == 0)
            break;
        if (atomic_load(&ctimer_rt.state) != CTIMER_ST_RUNNING || !atomic_load(&ctimer_rt.writer_alive)) {
            s.chunk = NULL;
            break;
        }
        ctimer_wake_writer(1);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 2000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_mutex_lock(&ctimer_rt.wk_mu);
        if (ctimer_ring_count(&t->free) == 0)
            pthread_cond_timedwait(&ctimer_rt.space_cv, &ctimer_rt.wk_mu, &ts);
        pthread_mutex_unlock(&ctimer_rt.wk_mu);
    }
    atomic_store(&t->waiting, 0);
    return s.chunk;
}

/*
 * Drop mode with no chunk to spare: discard what the current chunk holds and reuse it, starting with a
 * gap marker that tells the writer how many calls were lost (including those of earlier gaps in it).
 */
static void drop_and_reuse(struct ctimer_tls *tl, struct ctimer_thread *t, uint64_t *cur)
{
    size_t used = (size_t)(tl->pos - cur);
    uint64_t lost = ctimer_count_enters(cur, used);
    tl->end = NULL;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    gen_begin(t);
    memset(cur, 0, used * sizeof *cur);
    cur[1] = lost;
    ctimer_publish_word0(cur, CTIMER_MARK_GAP);
    __atomic_store_n(&tl->pos, cur + CTIMER_MARK_WORDS, __ATOMIC_RELAXED);
    gen_end(t);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    tl->end = cur + CTIMER_CHUNK_WORDS - CTIMER_CHUNK_SLACK;
}

/* Gives the thread room for at least one event.  Returns 0, or -1 when nothing can be recorded. */
static int refill(struct ctimer_tls *tl, struct ctimer_thread *t)
{
    uint64_t *cur = atomic_load_explicit(&t->cur, memory_order_relaxed);
    struct ctimer_slot s;
    uint64_t *fresh = NULL;
    if (ctimer_ring_pop(&t->free, &s) == 0) {
        fresh = s.chunk;
    } else if (t->allocated < t->max_chunks && (fresh = chunk_alloc()) != NULL) {
        t->allocated++;
    } else if (cur && ctimer_rt.cfg.on_full == CTIMER_FULL_DROP) {
        drop_and_reuse(tl, t, cur);
        return 0;
    }
    push_current(tl, t, 0, 1);
    if (!fresh && !(fresh = wait_for_chunk(t)))
        return -1;
    set_current(tl, t, fresh, fresh);
    return 0;
}

/*
 * Reserves n words for an event, doing whatever the thread needs first: start the runtime, set the
 * thread up, replace a full chunk.  Returns NULL when this call is not recorded.  Called with
 * tl->busy set.
 */
static uint64_t *reserve(struct ctimer_tls *tl, size_t n)
{
    int st = atomic_load_explicit(&ctimer_rt.state, memory_order_acquire);
    if (st == CTIMER_ST_UNINIT)
        st = ctimer_ensure_init();
    if (st != CTIMER_ST_RUNNING || tl->dead)
        return NULL;
    struct ctimer_thread *t = tl->thr;
    if (!t) {
        if (!(t = thread_setup(tl))) {
            tl->dead = 1; /* out of memory, or the run is stopping: do not retry on every call */
            return NULL;
        }
    }
    if (tl->pos >= tl->end && refill(tl, t) != 0)
        return NULL;
    if (__atomic_load_n(&tl->lost, __ATOMIC_RELAXED)) { /* never silently lost */
        report_lost(tl, t, 0); /* pos < end: it fits */
        if (tl->pos >= tl->end && refill(tl, t) != 0)
            return NULL;
    }
    return ctimer_claim(tl, n);
}

uint64_t ctimer_enter_slow(struct ctimer_desc *d, uint64_t sp)
{
    struct ctimer_tls *tl = &ctimer_tls;
    /* CTIMER_OFF and after shutdown: return before anything else, without reading the clock. */
    int st = atomic_load_explicit(&ctimer_rt.state, memory_order_relaxed);
    if (st != CTIMER_ST_RUNNING && st != CTIMER_ST_UNINIT)
        return 0;
    if (tl->busy) { /* a signal handler interrupted the slow path: count the call, reported later */
        if (st == CTIMER_ST_RUNNING)
            __atomic_fetch_add(&tl->lost, 1, __ATOMIC_RELAXED);
        return 0;
    }
    tl->busy = 1;
    uint64_t *p = reserve(tl, CTIMER_ENTER_WORDS);
    uint64_t t = 0;
    if (p) {
        t = ctimer_now();
        p[1] = t;
        p[2] = sp;
        ctimer_publish_word0(p, (uint64_t)(uintptr_t)d);
    }
    tl->busy = 0;
    return t;
}

void ctimer_exit_slow(uint64_t t0)
{
    struct ctimer_tls *tl = &ctimer_tls;
    int st = atomic_load_explicit(&ctimer_rt.state, memory_order_relaxed);
    if (t0 == 0 || st != CTIMER_ST_RUNNING || tl->busy)
        return;
    tl->busy = 1;
    uint64_t *p = reserve(tl, CTIMER_EXIT_WORDS);
    if (p) {
        p[1] = ctimer_now();
        ctimer_publish_word0(p, t0 | CTIMER_EXIT_BIT);
    }
    tl->busy = 0;
}

/* ---------------------------------------------------------------- writer side */

void ctimer_queue_recycle(struct ctimer_thread *t, uint64_t *chunk, size_t nwords)
{
    memset(chunk, 0, nwords * sizeof *chunk);
    struct ctimer_slot s = {chunk, 0};
    (void)ctimer_ring_push(&t->free, s); /* holds every chunk the thread owns: cannot fail */
    if (atomic_load(&t->waiting)) {
        pthread_mutex_lock(&ctimer_rt.wk_mu);
        pthread_cond_broadcast(&ctimer_rt.space_cv);
        pthread_mutex_unlock(&ctimer_rt.wk_mu);
    }
}

long ctimer_queue_snapshot(struct ctimer_thread *t, uint64_t *buf)
{
    for (int tries = 0; tries < 2000; tries++) {
        unsigned g1 = atomic_load_explicit(&t->gen, memory_order_acquire);
        if (!(g1 & 1)) {
            struct ctimer_slot held = t->held;
            uint64_t *cur = atomic_load_explicit(&t->cur, memory_order_relaxed);
            uint64_t *pos = __atomic_load_n(&t->tls->pos, __ATOMIC_ACQUIRE);
            long n = -1;
            if (held.nwords <= CTIMER_CHUNK_WORDS && (!cur || (pos >= cur && pos <= cur + CTIMER_CHUNK_WORDS))) {
                n = 0;
                for (size_t i = 0; held.chunk && i < held.nwords; i++)
                    buf[n++] = __atomic_load_n(&held.chunk[i], __ATOMIC_ACQUIRE);
                for (long i = 0; cur && i < pos - cur; i++)
                    buf[n++] = __atomic_load_n(&cur[i], __ATOMIC_ACQUIRE);
            }
            atomic_thread_fence(memory_order_acquire);
            if (n >= 0 && atomic_load_explicit(&t->gen, memory_order_relaxed) == g1)
                return n;
        }
        struct timespec ts = {0, 100000}; /* the producer is inside its slow path: let it finish */
        nanosleep(&ts, NULL);
    }
    return -1;
}

void ctimer_queue_free_thread(struct ctimer_thread *t)
{
    struct ctimer_slot s;
    while (ctimer_ring_pop(&t->full, &s) == 0)
        chunk_free(s.chunk);
    while (ctimer_ring_pop(&t->free, &s) == 0)
        chunk_free(s.chunk);
    chunk_free(atomic_load(&t->cur));
    chunk_free(t->held.chunk);
    ctimer_ring_destroy(&t->full);
    ctimer_ring_destroy(&t->free);
    free(t);
}
