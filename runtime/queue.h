/*
 * queue.h — program side: per-thread recording state and the slow path.  The chunks, rings and
 * thread slots themselves live in the memory shared with the recorder (shm.h).
 * See docs/runtime-design.md, "Queues".
 *
 * Ownership: an application thread (the producer) owns its TLS block, its current chunk and the
 * producer ends of its slot's two rings; the recorder owns the consumer ends and, once the slot is
 * FINISHED, the whole slot.
 */
#ifndef CTIMER_QUEUE_H
#define CTIMER_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "ctimer.h"
#include "shm.h"
#include "stream.h"

/*
 * The thread-local block the hot path uses.  Zero-initialised, so pos == end == NULL sends a thread's
 * first call to the slow path.  initial-exec: one %fs-relative access, no __tls_get_addr call.
 */
struct ctimer_tls {
    uint64_t *pos;                /* next free word of the current chunk */
    uint64_t *end;                /* pos >= end: take the slow path */
    struct ctimer_shm_thread *thr; /* this thread's slot, NULL until the thread is set up */
    int busy;                     /* inside the slow path: a nested (signal handler) call records nothing */
    int dead;                     /* never record on this thread again (it is exiting, or setup failed) */
    uint64_t lost;                /* calls a signal handler made while busy, not yet reported (LOST marker) */
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

/* Slow paths of __ctimer_enter / __ctimer_exit (hotpath.c): set up, refill, start the runtime. */
uint64_t ctimer_enter_slow(struct ctimer_desc *d, uint64_t sp);
void ctimer_exit_slow(uint64_t t0);
void ctimer_jump_slow(uint64_t sp);

/* The reservation behind every slow path: n words at tl->pos, after any set-up or refill needed;
 * NULL when nothing is recorded.  `enter`: the words hold an enter (counted if it is not recorded). */
uint64_t *ctimer_reserve_slow(struct ctimer_tls *tl, size_t n, int enter);


/* Pushes the calling thread's partly filled chunk to the recorder (ctimer_flush, exit). */
void ctimer_queue_handoff(void);
/* pthread key destructor: appends an end marker, pushes the last chunk, marks the slot FINISHED. */
void ctimer_queue_thread_exit(void *arg);
/* In a forked child: forget the parent's per-thread state of the calling thread. */
void ctimer_queue_forget_thread(void);

/* Number of enter events in a stream prefix, counting those a gap marker in it stands for. */
uint64_t ctimer_count_enters(const uint64_t *w, size_t n);

/* Wakes the recorder: always when force, else only if it is asleep. */
void ctimer_wake_recorder(int force);

#endif /* CTIMER_QUEUE_H */
