/*
 * queue.h — per-thread recording state, the thread registry, the SPSC chunk rings and the slow path.
 * See docs/runtime-design.md, "Queues".
 *
 * Ownership: an application thread (the producer) owns its TLS block, its current chunk and the
 * producer ends of its two rings; the writer owns the consumer ends, the thread's decoding state and,
 * once the thread has finished, the whole struct ctimer_thread.
 */
#ifndef CTIMER_QUEUE_H
#define CTIMER_QUEUE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctimer.h"
#include "stream.h"

/*
 * The thread-local block the hot path uses.  Zero-initialised, so pos == end == NULL sends a thread's
 * first call to the slow path.  initial-exec: one %fs-relative access, no __tls_get_addr call.
 */
struct ctimer_tls {
    uint64_t *pos;             /* next free word of the current chunk */
    uint64_t *end;             /* pos >= end: take the slow path */
    struct ctimer_thread *thr; /* NULL until the thread is set up */
    int busy;                  /* inside the slow path: a nested (signal handler) call records nothing */
    int dead;                  /* never record on this thread again (it is exiting, or setup failed) */
    uint64_t lost;             /* calls a signal handler made while busy, not yet reported (LOST marker) */
};
extern __thread struct ctimer_tls ctimer_tls __attribute__((tls_model("initial-exec"), visibility("hidden")));

/*
 * Claims n words at tl->pos in one instruction and returns where they start.  A signal handler that
 * records calls runs either before it (and we claim after its events) or after it (and it appends
 * after ours): with a separate load and store, a handler landing between them had its events
 * overwritten.  Not `lock`ed: only this thread and its signal handlers touch pos.  The words claimed
 * may start past end when a handler filled the chunk after our test: the slack covers them.
 * The slow path claims the same way: once it has made room, a handler's calls take the fast route
 * even while tl->busy is set.
 */
static inline __attribute__((always_inline)) uint64_t *ctimer_claim(struct ctimer_tls *tl, size_t n)
{
#if defined(__x86_64__)
    uintptr_t p = n * sizeof(uint64_t);
    __asm__ volatile("xaddq %0, %1" : "+r"(p), "+m"(tl->pos) : : "memory");
    return (uint64_t *)p;
#else
    uint64_t *p = tl->pos;
    __atomic_store_n(&tl->pos, p + n, __ATOMIC_RELAXED);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    return p;
#endif
}

struct ctimer_slot {
    uint64_t *chunk;
    size_t nwords; /* words used */
};

/* Single-producer single-consumer ring; head and tail on their own cache lines. */
struct ctimer_ring {
    _Alignas(64) _Atomic size_t head; /* next slot to pop (consumer) */
    _Alignas(64) _Atomic size_t tail; /* next slot to fill (producer) */
    _Alignas(64) size_t mask;         /* capacity - 1, capacity a power of two */
    struct ctimer_slot *slots;
};

int ctimer_ring_init(struct ctimer_ring *r, size_t min_capacity); /* 0, or -1 if out of memory */
void ctimer_ring_destroy(struct ctimer_ring *r);
int ctimer_ring_push(struct ctimer_ring *r, struct ctimer_slot s);  /* 0, or -1 when full */
int ctimer_ring_pop(struct ctimer_ring *r, struct ctimer_slot *out); /* 0, or -1 when empty */
size_t ctimer_ring_count(struct ctimer_ring *r);
static inline size_t ctimer_ring_capacity(const struct ctimer_ring *r) { return r->mask + 1; }

struct ctimer_thread {
    struct ctimer_thread *next; /* registry list; changed only under ctimer_rt.reg_mu */
    struct ctimer_ring full;    /* chunks the producer has filled (producer -> writer) */
    struct ctimer_ring free;    /* zeroed chunks ready for reuse (writer -> producer) */

    /* Published by the producer for the writer's final snapshot (queue.c, ctimer_queue_snapshot). */
    _Alignas(64) _Atomic(uint64_t *) cur; /* the chunk being filled, or NULL */
    struct ctimer_slot held;              /* the chunk filled before cur, not pushed yet (queue.c, refill) */
    _Atomic unsigned gen;                 /* odd while the producer's slow path moves cur/pos */
    struct ctimer_tls *tls;               /* the thread's TLS block; dereferenced only while !finished */
    size_t allocated;                     /* chunks malloc'd so far (producer) */
    size_t max_chunks;                    /* CTIMER_BUFFER_KB / 64 */
    _Atomic int waiting;                  /* the producer is blocked for a free chunk */
    _Atomic int finished;                 /* the thread ended: its last chunk has been pushed */

    uint32_t index; /* 1, 2, ...: <t>_threads.id */
    pid_t tid;      /* kernel thread id */
    char name[16];  /* pthread name, captured at thread end */

    /* Writer-owned. */
    void *wstate; /* the writer's decoding state (struct ctimer_wthread) */
    int frozen;   /* the final snapshot was taken: ignore anything pushed later */
};

/* Slow paths of __ctimer_enter / __ctimer_exit (hotpath.c): set up, refill, start the runtime. */
uint64_t ctimer_enter_slow(struct ctimer_desc *d, uint64_t sp);
void ctimer_exit_slow(uint64_t t0);

/* Pushes the calling thread's partly filled chunk to the writer (ctimer_flush, atexit). */
void ctimer_queue_handoff(void);
/* pthread key destructor: appends an end marker, pushes the last chunk, marks the thread finished. */
void ctimer_queue_thread_exit(void *arg);
/* In a forked child: forget the parent's per-thread state of the calling thread. */
void ctimer_queue_forget_thread(void);

/* Writer side. */
/* Zeroes the used words of a decoded chunk and gives it back to its producer. */
void ctimer_queue_recycle(struct ctimer_thread *t, uint64_t *chunk, size_t nwords);
/*
 * Copies the events a live thread has not pushed, its held chunk then the published prefix of its
 * current chunk, into buf (2 * CTIMER_CHUNK_WORDS words).
 * Call with ctimer_rt.reg_mu held and t not finished.  Returns the number of words copied, or -1
 * if the producer stayed inside its slow path for too long.  The copy may end with an incomplete
 * event (word 0 still zero): decode it with partial=1.
 */
long ctimer_queue_snapshot(struct ctimer_thread *t, uint64_t *buf);
/* Frees a finished thread's chunks and state (writer, after the last chunk was decoded). */
void ctimer_queue_free_thread(struct ctimer_thread *t);

/* Number of enter events in a stream prefix, counting those a gap marker in it stands for. */
uint64_t ctimer_count_enters(const uint64_t *w, size_t n);

/* Wakes the writer: always when force, else only if it is asleep. */
void ctimer_wake_writer(int force);

#endif /* CTIMER_QUEUE_H */
