/*
 * queue.c — program side: thread slots, chunk hand-over and the slow path.
 * See queue.h, shm.h and docs/runtime-design.md, "Queues".
 */
#include "queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "counts.h"
#include "runtime.h"

/* ---------------------------------------------------------------- helpers */

/*
 * ThreadSanitizer cannot see the recorder, another process, pass a chunk or a slot that one thread
 * used on to another thread (through the free stacks): a thread that ends releases, a thread that
 * pops from a stack acquires, on the header.  Nothing in other builds.
 */
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define TSAN_HANDOFF_RELEASE(h) __tsan_release(h)
#define TSAN_HANDOFF_ACQUIRE(h) __tsan_acquire(h)
#else
#define TSAN_HANDOFF_RELEASE(h) ((void)(h))
#define TSAN_HANDOFF_ACQUIRE(h) ((void)(h))
#endif

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

static uint32_t chunk_index(struct ctimer_shm_header *h, const uint64_t *chunk)
{
    return (uint32_t)(((const char *)chunk - ((const char *)h + h->chunks_off)) / CTIMER_CHUNK_BYTES);
}

/*
 * A zeroed chunk from the shared pool: one the recorder gave back (the free-chunk stack), else one
 * never used (the file is sparse: its pages are zero until written).  NULL when the pool is empty.
 */
static uint64_t *chunk_alloc(struct ctimer_shm_header *h)
{
    int from_stack;
    int64_t i = ctimer_pool_take(&h->chunk_free, ctimer_shm_links(h), &h->chunk_next, h->n_chunks, &from_stack);
    if (from_stack)
        TSAN_HANDOFF_ACQUIRE(h);
    return i >= 0 ? ctimer_shm_chunk(h, (uint32_t)i) : NULL;
}

/*
 * Seqlock over (cur, held, the full ring) for the recorder's final snapshot: odd while the slow path
 * rearranges them.  Single writer (this thread), so plain increments suffice.
 */
static void gen_begin(struct ctimer_shm_thread *t)
{
    unsigned g = atomic_load_explicit(&t->gen, memory_order_relaxed);
    atomic_store_explicit(&t->gen, g + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst); /* pairs with the recorder's: frozen is read after */
}

static void gen_end(struct ctimer_shm_thread *t)
{
    unsigned g = atomic_load_explicit(&t->gen, memory_order_relaxed);
    atomic_store_explicit(&t->gen, g + 1, memory_order_release);
}

/*
 * Makes `chunk` current: pos first and end last, so a signal handler never sees pos < end while they
 * belong to different chunks.  When `filled` (the chunk just replaced, as a ring entry) is given, the
 * held chunk goes to the recorder and `filled` is held in its place (`hold`) or pushed after it.
 * Inside the seqlock, and in an order that leaves every chunk findable at any instant (pushed, held
 * or current: the recorder drops duplicates by index), so a program killed anywhere in here loses
 * nothing.  Once the recorder has frozen the slot (its final snapshot), nothing more is pushed.
 * The full ring holds every chunk the thread may own, so a push cannot fail.
 */
static void switch_chunk(struct ctimer_tls *tl, struct ctimer_shm_thread *t, uint64_t *chunk, uint64_t *pos,
                         const uint64_t *filled, int hold)
{
    struct ctimer_shm_header *h = ctimer_rt.shm;
    tl->end = NULL;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    gen_begin(t);
    int frozen = atomic_load_explicit(&t->frozen, memory_order_relaxed);
    if (filled) {
        uint64_t held = atomic_load_explicit(&t->held, memory_order_relaxed);
        if (held && !frozen)
            (void)ctimer_shm_ring_push(&t->full, h->ring_cap, held - 1);
        if (hold) {
            atomic_store_explicit(&t->held, *filled + 1, memory_order_relaxed);
        } else {
            if (!frozen)
                (void)ctimer_shm_ring_push(&t->full, h->ring_cap, *filled);
            atomic_store_explicit(&t->held, 0, memory_order_relaxed);
        }
    }
    atomic_store_explicit(&t->cur, chunk ? chunk_index(h, chunk) + 1 : 0, memory_order_relaxed);
    __atomic_store_n(&tl->pos, pos, __ATOMIC_RELAXED);
    gen_end(t);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    if (chunk)
        tl->end = chunk + CTIMER_CHUNK_WORDS - CTIMER_CHUNK_SLACK;
}

void ctimer_wake_recorder(int force)
{
    struct ctimer_shm_header *h = ctimer_rt.shm;
    if (!h)
        return;
    atomic_thread_fence(memory_order_seq_cst); /* pairs with the recorder's fence before it sleeps */
    if (!force && !atomic_load_explicit(&h->rec_sleeping, memory_order_relaxed))
        return;
    atomic_fetch_add_explicit(&h->wake_seq, 1, memory_order_release);
    ctimer_futex_wake(&h->wake_seq);
}

/* The current chunk as a ring entry (index | words used << 32); 0 words when there is none. */
static uint64_t *current_chunk(struct ctimer_shm_thread *t)
{
    uint32_t c = atomic_load_explicit(&t->cur, memory_order_relaxed);
    return c ? ctimer_shm_chunk(ctimer_rt.shm, c - 1) : NULL;
}

/*
 * Hands the current chunk (used words [0, pos)) on.  When `hold`, it is held back and the chunk held
 * before it goes to the recorder instead.  Why: a refill may run inside a signal handler that
 * interrupted the hot path between its claim and its store of word 0.  That event belongs to the
 * chunk being replaced, and is written when the handler returns; a chunk pushed at once could
 * already be decoded (stopping at the unwritten event, and losing it and the handler's calls after
 * it) or recycled.  Held for one more chunk, it is complete when the recorder sees it.
 *
 * The recorder is woken only once a quarter of the thread's buffer is queued (or when `urgent`): a
 * wake-up is a system call, and an inter-processor interrupt under virtualisation, too dear for
 * every 64 KiB.  Otherwise the recorder's 10 ms poll finds it.
 */
static void push_current(struct ctimer_tls *tl, struct ctimer_shm_thread *t, int urgent, int hold)
{
    struct ctimer_shm_header *h = ctimer_rt.shm;
    uint64_t *cur = current_chunk(t);
    if (cur) {
        uint64_t filled = ctimer_ring_entry(chunk_index(h, cur), (uint32_t)(tl->pos - cur));
        switch_chunk(tl, t, NULL, NULL, &filled, hold);
    } else if (atomic_load_explicit(&t->held, memory_order_relaxed)) { /* only the held chunk is left */
        gen_begin(t);
        if (!atomic_load_explicit(&t->frozen, memory_order_relaxed))
            (void)ctimer_shm_ring_push(&t->full, h->ring_cap, atomic_load_explicit(&t->held, memory_order_relaxed) - 1);
        atomic_store_explicit(&t->held, 0, memory_order_relaxed);
        gen_end(t);
    } else {
        return;
    }
    if (urgent || ctimer_shm_ring_count(&t->full) * 4 >= h->max_chunks)
        ctimer_wake_recorder(0);
}

/* ---------------------------------------------------------------- thread setup and exit */

static pid_t current_tid(void) { return (pid_t)syscall(SYS_gettid); }

/* A free slot: one the recorder retired, else one never used.  NULL when all are in use. */
static struct ctimer_shm_thread *slot_alloc(struct ctimer_shm_header *h)
{
    int from_stack;
    int64_t i = ctimer_pool_take(&h->slot_free, h->slot_links, &h->slot_next, h->n_slots, &from_stack);
    if (from_stack)
        TSAN_HANDOFF_ACQUIRE(h);
    return i >= 0 ? ctimer_shm_slot(h, (uint32_t)i) : NULL;
}

/* Gives a slot this thread took but could not use back to the pool. */
static void slot_unalloc(struct ctimer_shm_header *h, struct ctimer_shm_thread *t)
{
    uint32_t i = (uint32_t)(((char *)t - ((char *)h + h->slots_off)) / sizeof *t);
    (void)ctimer_stack_push(&h->slot_free, h->slot_links, i);
}

static void put_tcpu(struct ctimer_tls *tl, int first);

static struct ctimer_shm_thread *thread_setup(struct ctimer_tls *tl)
{
    struct ctimer_shm_header *h = ctimer_rt.shm;
    struct ctimer_shm_thread *t = slot_alloc(h);
    if (!t)
        return NULL;
    uint64_t *chunk = chunk_alloc(h);
    if (!chunk) {
        slot_unalloc(h, t);
        return NULL;
    }
    /* The slot is FREE: the recorder does not look at it until state says ACTIVE (release). */
    t->index = atomic_fetch_add_explicit(&h->thread_index, 1, memory_order_relaxed) + 1;
    t->tid = current_tid();
    memset(t->name, 0, sizeof t->name);
    atomic_store_explicit(&t->gen, 0, memory_order_relaxed);
    atomic_store_explicit(&t->held, 0, memory_order_relaxed);
    atomic_store_explicit(&t->frozen, 0, memory_order_relaxed);
    atomic_store_explicit(&t->waiting, 0, memory_order_relaxed);
    atomic_store_explicit(&t->full.head, 0, memory_order_relaxed);
    atomic_store_explicit(&t->full.tail, 0, memory_order_relaxed);
    atomic_store_explicit(&t->free.head, 0, memory_order_relaxed);
    atomic_store_explicit(&t->free.tail, 0, memory_order_relaxed);
    t->allocated = 1;
    atomic_store_explicit(&t->cur, chunk_index(h, chunk) + 1, memory_order_relaxed);
    if (pthread_setspecific(ctimer_rt.key, t) != 0) {
        atomic_store_explicit(&t->cur, 0, memory_order_relaxed);
        (void)ctimer_stack_push(&h->chunk_free, ctimer_shm_links(h), chunk_index(h, chunk));
        slot_unalloc(h, t);
        return NULL;
    }
    atomic_store_explicit(&t->state, CTIMER_SLOT_ACTIVE, memory_order_seq_cst);
    ctimer_counts_attach(h, (uint32_t)(((char *)t - ((char *)h + h->slots_off)) / sizeof *t));

    tl->thr = t;
    __atomic_store_n(&tl->pos, chunk, __ATOMIC_RELAXED);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    tl->end = chunk + CTIMER_CHUNK_WORDS - CTIMER_CHUNK_SLACK;
    /* The thread's CPU time when it starts recording: its cpu_ns in <t>_threads is from here to its
     * end, the same span as its wall_ns (one clock read per thread). */
    put_tcpu(tl, 1);
    return t;
}

/* Appends a 2-word marker event at pos (the caller made sure it fits). */
static void put_marker(struct ctimer_tls *tl, uint64_t mark, uint64_t arg)
{
    uint64_t *m = ctimer_claim(tl, CTIMER_MARK_WORDS);
    m[1] = arg;
    ctimer_publish_word0(m, mark);
}

/* Appends a tcpu marker: the thread's CPU time and the time (the caller made sure it fits).  The
 * wall clock is read outside the CPU clock (before it in the first marker, after it in the others),
 * so that the wall time between two markers contains the CPU time between them, whatever the CPU
 * clock's own system call costs (~0.6 us; its first call in a process up to ~10 us). */
static void put_tcpu(struct ctimer_tls *tl, int first)
{
    uint64_t *m = ctimer_claim(tl, CTIMER_TCPU_WORDS);
    if (first)
        m[2] = ctimer_now();
    m[1] = ctimer_thread_cpu_ns();
    if (!first)
        m[2] = ctimer_now();
    ctimer_publish_word0(m, CTIMER_MARK_THREAD_CPU);
}

/*
 * Reports the calls signal handlers could not record (they ran while this thread was in the slow
 * path) with a LOST marker, if any are pending and the marker fits before the chunk's real end
 * with `keep` words to spare.  Called with tl->busy set.  A handler that adds to tl->lost meanwhile
 * leaves its count for the next report.
 */
static void report_lost(struct ctimer_tls *tl, struct ctimer_shm_thread *t, size_t keep)
{
    uint64_t *cur = current_chunk(t);
    uint64_t lost = __atomic_load_n(&tl->lost, __ATOMIC_RELAXED);
    if (!lost || !cur || tl->pos + CTIMER_MARK_WORDS + keep > cur + CTIMER_CHUNK_WORDS)
        return;
    __atomic_fetch_sub(&tl->lost, lost, __ATOMIC_RELAXED);
    put_marker(tl, CTIMER_MARK_LOST, lost);
}

void ctimer_queue_thread_exit(void *arg)
{
    struct ctimer_tls *tl = &ctimer_tls;
    struct ctimer_shm_thread *t = arg;
    tl->dead = 1; /* instrumented code in later destructors records nothing */
    if (!t || tl->thr != t || !ctimer_rt.shm)
        return;
    tl->busy = 1;
    pthread_getname_np(pthread_self(), t->name, sizeof t->name);
    /* stream.h: at least 5 words are always left after the last event, room for the thread's CPU
     * time and the end marker; usually 8, room for a LOST marker before them too. */
    report_lost(tl, t, CTIMER_TCPU_WORDS + CTIMER_MARK_WORDS);
    if (current_chunk(t)) {
        put_tcpu(tl, 0);
        put_marker(tl, CTIMER_MARK_END, ctimer_now());
    }
    push_current(tl, t, 0, 0); /* the held chunk too; the forced wake-up below follows */
    ctimer_counts_detach(); /* the slot's count words are the recorder's once FINISHED */
    tl->thr = NULL;
    TSAN_HANDOFF_RELEASE(ctimer_rt.shm);
    atomic_store_explicit(&t->state, CTIMER_SLOT_FINISHED, memory_order_release);
    tl->busy = 0;
    ctimer_wake_recorder(1);
}

void ctimer_queue_handoff(void)
{
    struct ctimer_tls *tl = &ctimer_tls;
    struct ctimer_shm_thread *t = tl->thr;
    if (!t || tl->busy)
        return;
    tl->busy = 1;
    report_lost(tl, t, 0);
    uint64_t *cur = current_chunk(t);
    /* The thread's CPU time so far: at the exit hand-shake, the total of the thread making it (the
     * main thread, usually, which runs no key destructor).  The last one the recorder sees wins. */
    if (cur && tl->pos + CTIMER_TCPU_WORDS <= cur + CTIMER_CHUNK_WORDS)
        put_tcpu(tl, 0);
    if ((cur && tl->pos > cur) || atomic_load_explicit(&t->held, memory_order_relaxed)) {
        push_current(tl, t, 1, 0); /* the thread's next call takes a fresh chunk (refill) */
    }
    tl->busy = 0;
}

void ctimer_queue_forget_thread(void)
{
    struct ctimer_tls *tl = &ctimer_tls;
    tl->pos = tl->end = NULL;
    tl->thr = NULL;
    tl->busy = 0;
    tl->dead = 0;
    tl->lost = 0;
    ctimer_counts_detach(); /* the parent's words are unmapped */
    if (ctimer_rt.key_ok)
        pthread_setspecific(ctimer_rt.key, NULL);
}

/* ---------------------------------------------------------------- refill */

/* Waits (block mode) until the recorder gives a chunk back.  Sleeps on the slot's futex with a short
 * timeout, re-waking the recorder each round; gives up when the run stops or the recorder is gone. */
static uint64_t *wait_for_chunk(struct ctimer_shm_thread *t)
{
    struct ctimer_shm_header *h = ctimer_rt.shm;
    uint64_t e = 0;
    uint64_t *chunk = NULL;
    atomic_store(&t->waiting, 1);
    for (;;) {
        uint32_t seen = atomic_load(&t->space_seq);
        if (ctimer_shm_ring_pop(&t->free, h->ring_cap, &e) == 0) {
            if ((uint32_t)e < h->n_chunks)
                chunk = ctimer_shm_chunk(h, (uint32_t)e);
            break;
        }
        if (atomic_load(&ctimer_rt.state) != CTIMER_ST_RUNNING || !ctimer_recorder_alive())
            break;
        ctimer_wake_recorder(1);
        ctimer_futex_wait(&t->space_seq, seen, 2000000);
    }
    atomic_store(&t->waiting, 0);
    return chunk;
}

/*
 * Drop mode with no chunk to spare: discard what the current chunk holds and reuse it, starting with a
 * gap marker that tells the recorder how many calls were lost (including those of earlier gaps in it).
 */
static void drop_and_reuse(struct ctimer_tls *tl, struct ctimer_shm_thread *t, uint64_t *cur)
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
static int refill(struct ctimer_tls *tl, struct ctimer_shm_thread *t)
{
    struct ctimer_shm_header *h = ctimer_rt.shm;
    uint64_t *cur = current_chunk(t);
    uint64_t *fresh = NULL;
    uint64_t e;
    if (ctimer_shm_ring_pop(&t->free, h->ring_cap, &e) == 0 && (uint32_t)e < h->n_chunks) {
        fresh = ctimer_shm_chunk(h, (uint32_t)e);
    } else if (t->allocated < h->max_chunks && (fresh = chunk_alloc(h)) != NULL) {
        t->allocated++;
    } else if (cur && ctimer_rt.cfg.on_full == CTIMER_FULL_DROP) {
        drop_and_reuse(tl, t, cur);
        return 0;
    }
    push_current(tl, t, 0, 1);
    if (!fresh && !(fresh = wait_for_chunk(t)))
        return -1;
    switch_chunk(tl, t, fresh, fresh, NULL, 0);
    return 0;
}

/* Counts a call that no slot or chunk could hold, so that it is reported, not silently lost. */
static void count_unrecorded(void)
{
    if (ctimer_rt.shm)
        atomic_fetch_add_explicit(&ctimer_rt.shm->unrecorded, 1, memory_order_relaxed);
}

/*
 * Reserves n words (at most CTIMER_GROUP_MAX_WORDS) for an event or a group of them, doing whatever
 * the thread needs first: start the runtime, set the thread up, replace a chunk too full for them.
 * Returns NULL when this call is not recorded.  Called with tl->busy set.
 */
uint64_t *ctimer_reserve_slow(struct ctimer_tls *tl, size_t n, int enter)
{
    int st = atomic_load_explicit(&ctimer_rt.state, memory_order_acquire);
    if (st == CTIMER_ST_UNINIT)
        st = ctimer_ensure_init();
    if (st != CTIMER_ST_RUNNING)
        return NULL;
    if (tl->dead) {
        if (enter && tl->dead == 2)
            count_unrecorded();
        return NULL;
    }
    struct ctimer_shm_thread *t = tl->thr;
    if (!t) {
        if (!(t = thread_setup(tl))) {
            tl->dead = 2; /* no slot or chunk left: do not retry on every call, but count them */
            if (enter)
                count_unrecorded();
            return NULL;
        }
    }
    /* stream.h, CTIMER_CHUNK_SLACK: a group longer than an enter must start before end - (n - 3) */
    size_t over = n > CTIMER_ENTER_WORDS ? n - CTIMER_ENTER_WORDS : 0;
    if (tl->pos + over >= tl->end && refill(tl, t) != 0)
        return NULL;
    if (__atomic_load_n(&tl->lost, __ATOMIC_RELAXED)) { /* never silently lost */
        report_lost(tl, t, 0); /* pos < end: it fits */
        if (tl->pos + over >= tl->end && refill(tl, t) != 0)
            return NULL;
    }
    return ctimer_claim(tl, n);
}

/*
 * A thread's first call sets the thread up before anything else; if the function it calls is
 * counted already (count=, CTIMER_TIMING=counted: the bitmap the thread just copied), the call is
 * counted like the ones after it instead of timed.  Returns 1 if it was.  Called with tl->busy set.
 */
static int counted_at_setup(struct ctimer_tls *tl, struct ctimer_desc *d)
{
    int st = atomic_load_explicit(&ctimer_rt.state, memory_order_acquire);
    if (st == CTIMER_ST_UNINIT)
        st = ctimer_ensure_init();
    if (st != CTIMER_ST_RUNNING || tl->dead || !thread_setup(tl))
        return 0; /* reserve() says why, counts what is unrecorded */
    uint32_t id = d->id;
    if (id == 0 || id >= ctimer_rt.shm->count_cap)
        return 0;
    _Atomic uint64_t *w = (_Atomic uint64_t *)&__ctimer_counts.counts[id];
    if (!(atomic_load_explicit(w, memory_order_relaxed) & CTIMER_COUNT_ON))
        return 0;
    atomic_fetch_add_explicit(w, 1, memory_order_relaxed);
    return 1;
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
    int saved_errno = errno; /* the slow path makes system calls; the program's errno is its own */
    tl->busy = 1;
    if (!tl->thr && counted_at_setup(tl, d)) {
        tl->busy = 0;
        errno = saved_errno;
        return 0;
    }
    uint64_t *p = ctimer_reserve_slow(tl, CTIMER_ENTER_WORDS, 1);
    uint64_t t = 0;
    if (p) {
        t = ctimer_now();
        p[1] = t;
        p[2] = sp;
        ctimer_publish_word0(p, (uint64_t)(uintptr_t)d);
    }
    tl->busy = 0;
    errno = saved_errno;
    return t;
}

void ctimer_exit_slow(uint64_t t0)
{
    struct ctimer_tls *tl = &ctimer_tls;
    int st = atomic_load_explicit(&ctimer_rt.state, memory_order_relaxed);
    if (t0 == 0 || st != CTIMER_ST_RUNNING || tl->busy)
        return;
    int saved_errno = errno;
    tl->busy = 1;
    uint64_t *p = ctimer_reserve_slow(tl, CTIMER_EXIT_WORDS, 0);
    if (p) {
        p[1] = ctimer_now();
        ctimer_publish_word0(p, t0 | CTIMER_EXIT_BIT);
    }
    tl->busy = 0;
    errno = saved_errno;
}

void ctimer_jump_slow(uint64_t sp)
{
    struct ctimer_tls *tl = &ctimer_tls;
    int st = atomic_load_explicit(&ctimer_rt.state, memory_order_relaxed);
    if (st != CTIMER_ST_RUNNING || tl->busy || !tl->thr)
        return; /* a thread that records nothing has no frames to close */
    int saved_errno = errno;
    tl->busy = 1;
    uint64_t *p = ctimer_reserve_slow(tl, CTIMER_MARK_WORDS, 0);
    if (p) {
        p[1] = sp;
        ctimer_publish_word0(p, CTIMER_MARK_JUMP);
    }
    tl->busy = 0;
    errno = saved_errno;
}
