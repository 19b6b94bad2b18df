/*
 * shm.h — the memory the program and its recorder share: both sides include it.
 * See docs/runtime-design.md, "Shared memory".
 *
 * The program (libctimer) creates one memfd at its first instrumented call, maps it MAP_SHARED, lays
 * it out as below, hands the descriptor to the recorder it starts (ctimer-recorder) and closes its
 * own copy once the recorder has mapped it.  From then on the two sides talk only through this
 * memory: release/acquire stores, and futexes on words of it (no descriptor, no socket, no signal).
 *
 *     offset 0        struct ctimer_shm_header     layout, run facts, configuration, hand-shakes
 *     log_off         descriptor log               one record per instrumented function or method
 *     slots_off       struct ctimer_shm_thread[n_slots]   one per recording thread, recycled
 *     counts_off      uint64_t[n_slots][count_cap]  each slot's count words (ctimer.h, "Counted calls")
 *     links_off       uint32_t[n_chunks]           next-links of the free-chunk stack
 *     chunks_off      n_chunks chunks of CTIMER_CHUNK_BYTES (stream.h)
 *
 * Pages are touched only when used: the file is sparse, and chunks and slots are recycled, so memory
 * stays at what the busiest moment needed.
 *
 * Trust: the program writes all of this and the recorder validates every word it reads (offsets,
 * chunk indices, lengths, strings).  A program that scribbles here loses its own rows, nothing else.
 */
#ifndef CTIMER_SHM_H
#define CTIMER_SHM_H

#include <linux/futex.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ctimer.h"
#include "stream.h"

#define CTIMER_SHM_MAGIC UINT64_C(0x31524d4954435443) /* "CTCTIMR1" */
#define CTIMER_SHM_VERSION 2

/* Chunks in flight per thread: the rings below hold this many (CTIMER_BUFFER_KB's ceiling is
 * CTIMER_RING_MAX * 64 KiB = 128 MiB per thread). */
#define CTIMER_RING_MAX 2048
/* Recording threads alive at once (slots are recycled when the recorder has retired a thread). */
#define CTIMER_MAX_SLOTS 16384
/* The mapping's size when nothing limits it: virtual, sparse. */
#define CTIMER_SHM_DEFAULT_BYTES ((uint64_t)16 << 30)
#define CTIMER_SHM_MIN_BYTES ((uint64_t)1 << 20)
#define CTIMER_SHM_HEADER_BYTES ((uint64_t)256 << 10) /* struct ctimer_shm_header fits (static assert below) */
#define CTIMER_SHM_LOG_MAX ((uint64_t)16 << 20)

#define CTIMER_SHM_DB_MAX 4096
#define CTIMER_SHM_RUN_MAX 64
#define CTIMER_SHM_APP_MAX 256
#define CTIMER_SHM_TABLE_MAX 96
#define CTIMER_SHM_MSG_MAX 512

/* A single-producer single-consumer ring of chunks: entry = chunk index | words used << 32. */
struct ctimer_shm_ring {
    _Alignas(64) _Atomic uint32_t head; /* next entry to pop (consumer) */
    _Alignas(64) _Atomic uint32_t tail; /* next entry to fill (producer) */
    _Alignas(64) _Atomic uint64_t e[CTIMER_RING_MAX];
};

enum ctimer_slot_state {
    CTIMER_SLOT_FREE = 0,     /* on the free-slot stack */
    CTIMER_SLOT_ACTIVE = 1,   /* a live thread records into it */
    CTIMER_SLOT_FINISHED = 2  /* its thread ended: the last chunk is pushed; the recorder retires it */
};

/* No chunk: cur and held hold index + 1, so 0 means none.  Page-aligned: the recorder gives a
 * retired slot's pages back to the kernel (MADV_REMOVE), which also makes it all zero, i.e. FREE. */
struct ctimer_shm_thread {
    _Alignas(4096) char page_start[0];
    _Atomic uint32_t state;     /* enum ctimer_slot_state */
    uint32_t index;             /* 1, 2, ...: <t>_threads.id */
    int32_t tid;                /* kernel thread id */
    char name[16];              /* pthread name, written before state becomes FINISHED */
    _Alignas(64) _Atomic uint32_t gen; /* seqlock over cur / held / the full ring: odd while they move */
    _Atomic uint32_t cur;       /* the chunk being filled, index + 1 */
    _Atomic uint64_t held;      /* the chunk filled before cur, not pushed yet: (index + 1) | words << 32 */
    _Atomic uint32_t frozen;    /* set by the recorder's final snapshot: push nothing more */
    _Atomic uint32_t waiting;   /* the producer sleeps on space_seq for a free chunk */
    _Atomic uint32_t space_seq; /* futex: the recorder bumps it after giving a chunk back */
    uint32_t allocated;         /* chunks this thread owns (producer's count) */
    struct ctimer_shm_ring full; /* filled chunks, program -> recorder */
    struct ctimer_shm_ring free; /* zeroed chunks, recorder -> program */
};

enum ctimer_rec_state {
    CTIMER_REC_STARTING = 0, /* the program waits for the recorder */
    CTIMER_REC_READY = 1,    /* the run is reserved: table[] holds its name */
    CTIMER_REC_FAILED = 2,   /* the recorder could not start a run (it printed why) */
    CTIMER_REC_DONE = 3,     /* the final commit after stop_req is finished */
    CTIMER_REC_GONE = 4      /* the recorder stopped on its own (fatal error): record nothing more */
};

/* Descriptor log record: 8-byte aligned, `len` bytes in all. */
struct ctimer_shm_logrec {
    uint32_t len;       /* header + strings, rounded up to 8 */
    uint16_t kind;      /* enum ctimer_kind */
    uint16_t flags;     /* the descriptor's CTIMER_FLAG_* */
    uint64_t addr;      /* the descriptor's address: the key the events carry */
    uint32_t line;
    uint16_t slen[4];   /* name, strct, file, caller; CTIMER_LOG_NULL for NULL */
    uint32_t count_id;  /* the descriptor's id: its word in each thread's counts, or 0 (never counted) */
    /* then the four strings, back to back, without terminators */
};
#define CTIMER_LOG_NULL 0xffffu

struct ctimer_shm_header {
    uint64_t magic;   /* CTIMER_SHM_MAGIC, written last by the program before it starts the recorder */
    uint32_t version; /* CTIMER_SHM_VERSION */
    uint32_t slot_bytes; /* sizeof(struct ctimer_shm_thread), as the program saw it */
    uint64_t total_bytes;
    uint64_t log_off, log_bytes;
    uint64_t slots_off;
    uint32_t n_slots;
    uint32_t ring_cap;   /* entries of each ring in use: a power of two <= CTIMER_RING_MAX */
    uint64_t links_off, chunks_off;
    uint32_t n_chunks;
    uint32_t max_chunks; /* per thread */
    uint64_t counts_off; /* slot i's count words: counts_off + i * count_cap * 8, page-aligned */
    uint32_t count_cap;  /* count words per slot: every descriptor id is below it */
    int32_t timing;      /* enum ctimer_timing (config.h) */
    int64_t sample, adapt_calls, adapt_ns; /* CTIMER_SAMPLE, CTIMER_ADAPT_CALLS, CTIMER_ADAPT_NS */
    uint64_t probe_ticks; /* what an empty timed call measures (median, timestamp units), at the start */

    /* The run, as the program sees it. */
    int32_t pid;
    int32_t forked_child; /* a fork of a recording process: CTIMER_RUN gets a _<pid> suffix */
    int32_t clock_tsc;    /* 1: timestamps are TSC ticks; 0: CLOCK_MONOTONIC ns */
    int32_t pad0;
    uint64_t start_tick, start_mono; /* read together at the start (clock.h) */
    int64_t start_sec, start_nsec;   /* CLOCK_REALTIME at the start */
    /* The configuration (config.h), parsed once by the program. */
    int64_t min_ns, batch, busy_ms, buffer_kb;
    int32_t mode, on_full;
    char db[CTIMER_SHM_DB_MAX];
    char run[CTIMER_SHM_RUN_MAX];    /* "" : generate a name */
    char app_id[CTIMER_SHM_APP_MAX]; /* "" : the program name */
    char program[CTIMER_SHM_APP_MAX];

    /* Recorder -> program. */
    _Alignas(64) _Atomic uint32_t rec_state; /* futex; enum ctimer_rec_state */
    int32_t rec_pid;
    char table[CTIMER_SHM_TABLE_MAX]; /* the run's table name, valid once READY */

    /* Program -> recorder. */
    _Alignas(64) _Atomic uint32_t wake_seq;     /* futex the recorder sleeps on */
    _Atomic uint32_t rec_sleeping;
    _Atomic uint32_t stop_req;                  /* the program is exiting: final snapshot, then DONE */
    _Atomic uint32_t flush_req;                 /* ctimer_flush requests so far */
    _Atomic int32_t execs;                      /* exec calls under way (__ctimer_exec) */
    _Alignas(64) _Atomic uint32_t flush_done;   /* futex: requests the recorder has committed */

    /* Pools. */
    _Alignas(64) _Atomic uint32_t chunk_next;   /* chunks never used start here */
    _Atomic uint64_t chunk_free;                /* free-chunk stack: (index + 1) | tag << 32 */
    _Alignas(64) _Atomic uint32_t slot_next;    /* slots never used start here */
    _Atomic uint64_t slot_free;                 /* free-slot stack, linked through slot_links */
    _Atomic uint32_t thread_index;              /* last thread index handed out */
    _Atomic uint64_t unrecorded;                /* calls made on threads that got no slot or chunk */
    _Alignas(64) _Atomic uint64_t log_used;     /* bytes of the log published (release) */
    /* Recorder -> program: the functions counted now (bit id), and those of them never sampled.  A
     * thread being set up copies them into its words after it is ACTIVE; the recorder sets a bit
     * here before it sets the words of the ACTIVE slots, so one of the two always sees the other. */
    _Atomic uint64_t long_ticks; /* a sampled call longer than this sends its thread back to timing
                                    the function (timing.c's bound in timestamp units); 0: not yet */
    _Alignas(64) _Atomic uint64_t count_on[CTIMER_COUNT_MAX / 64];
    _Atomic uint64_t count_nosample[CTIMER_COUNT_MAX / 64];
    _Atomic uint32_t slot_links[CTIMER_MAX_SLOTS]; /* next-links of the free-slot stack */
};

_Static_assert(sizeof(struct ctimer_shm_header) <= CTIMER_SHM_HEADER_BYTES, "the header outgrew its place");

/* ---------------------------------------------------------------- futexes (shared, not private) */

static inline void ctimer_futex_wake(_Atomic uint32_t *w)
{
    syscall(SYS_futex, (uint32_t *)w, FUTEX_WAKE, 0x7fffffff, NULL, NULL, 0);
}

/* Sleeps while *w == seen, at most ns nanoseconds (spurious returns are fine). */
static inline void ctimer_futex_wait(_Atomic uint32_t *w, uint32_t seen, uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    syscall(SYS_futex, (uint32_t *)w, FUTEX_WAIT, seen, &ts, NULL, 0);
}

/* ---------------------------------------------------------------- layout accessors */

static inline struct ctimer_shm_thread *ctimer_shm_slot(struct ctimer_shm_header *h, uint32_t i)
{
    return (struct ctimer_shm_thread *)((char *)h + h->slots_off + (uint64_t)i * sizeof(struct ctimer_shm_thread));
}

static inline uint64_t *ctimer_shm_chunk(struct ctimer_shm_header *h, uint32_t i)
{
    return (uint64_t *)((char *)h + h->chunks_off + (uint64_t)i * CTIMER_CHUNK_BYTES);
}

static inline _Atomic uint32_t *ctimer_shm_links(struct ctimer_shm_header *h)
{
    return (_Atomic uint32_t *)((char *)h + h->links_off);
}

static inline _Atomic uint64_t *ctimer_shm_counts(struct ctimer_shm_header *h, uint32_t slot)
{
    return (_Atomic uint64_t *)((char *)h + h->counts_off + (uint64_t)slot * h->count_cap * sizeof(uint64_t));
}

static inline char *ctimer_shm_log(struct ctimer_shm_header *h) { return (char *)h + h->log_off; }

static inline uint64_t ctimer_ring_entry(uint32_t chunk, uint32_t nwords)
{
    return (uint64_t)chunk | (uint64_t)nwords << 32;
}

/* ---------------------------------------------------------------- rings (SPSC) */

/* 0, or -1 when full. */
static inline int ctimer_shm_ring_push(struct ctimer_shm_ring *r, uint32_t cap, uint64_t e)
{
    uint32_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (t - atomic_load_explicit(&r->head, memory_order_acquire) >= cap)
        return -1;
    atomic_store_explicit(&r->e[t & (cap - 1)], e, memory_order_relaxed);
    atomic_store_explicit(&r->tail, t + 1, memory_order_release);
    return 0;
}

/* 0, or -1 when empty.  The consumer validates what it pops. */
static inline int ctimer_shm_ring_pop(struct ctimer_shm_ring *r, uint32_t cap, uint64_t *out)
{
    uint32_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint32_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (h == t || t - h > cap)
        return -1;
    *out = atomic_load_explicit(&r->e[h & (cap - 1)], memory_order_relaxed);
    atomic_store_explicit(&r->head, h + 1, memory_order_release);
    return 0;
}

static inline uint32_t ctimer_shm_ring_count(struct ctimer_shm_ring *r)
{
    return atomic_load_explicit(&r->tail, memory_order_acquire) - atomic_load_explicit(&r->head, memory_order_acquire);
}

/* ---------------------------------------------------------------- index stacks (Treiber, tagged) */

/* Pushes index i (< n) on a stack whose top is *top and whose links are links[]: the tag in the top's
 * high half makes a pop that raced with a pop and a push fail its compare-and-swap (no ABA).
 * Bounded: gives up (the index is leaked) if the top keeps changing, so a scribbled stack cannot
 * hold the recorder. */
static inline int ctimer_stack_push(_Atomic uint64_t *top, _Atomic uint32_t *links, uint32_t i)
{
    uint64_t old = atomic_load_explicit(top, memory_order_relaxed);
    for (int tries = 0; tries < 100000; tries++) {
        atomic_store_explicit(&links[i], (uint32_t)old, memory_order_relaxed);
        uint64_t nw = ((old >> 32) + 1) << 32 | (uint64_t)(i + 1);
        if (atomic_compare_exchange_weak_explicit(top, &old, nw, memory_order_release, memory_order_relaxed))
            return 0;
    }
    return -1;
}

/* Pops an index < n, or returns -1 when empty. */
static inline int64_t ctimer_stack_pop(_Atomic uint64_t *top, _Atomic uint32_t *links, uint32_t n)
{
    uint64_t old = atomic_load_explicit(top, memory_order_acquire);
    for (int tries = 0; tries < 100000; tries++) {
        uint32_t first = (uint32_t)old;
        if (first == 0 || first > n)
            return -1;
        uint32_t next = atomic_load_explicit(&links[first - 1], memory_order_relaxed);
        uint64_t nw = ((old >> 32) + 1) << 32 | next;
        if (atomic_compare_exchange_weak_explicit(top, &old, nw, memory_order_acquire, memory_order_acquire))
            return (int64_t)first - 1;
    }
    return -1;
}

/*
 * An index from a pool of n: one given back (the stack at *top), else the next never used one
 * (*next, bumped with compare-and-swap).  -1 when the pool is empty.  *acquired says which: an
 * index from the stack was handed over through the recorder.
 */
static inline int64_t ctimer_pool_take(_Atomic uint64_t *top, _Atomic uint32_t *links, _Atomic uint32_t *next,
                                       uint32_t n, int *from_stack)
{
    int64_t i = ctimer_stack_pop(top, links, n);
    *from_stack = i >= 0;
    if (i >= 0)
        return i;
    uint32_t k = atomic_load_explicit(next, memory_order_relaxed);
    while (k < n)
        if (atomic_compare_exchange_weak_explicit(next, &k, k + 1, memory_order_relaxed, memory_order_relaxed))
            return k;
    return -1;
}

#endif /* CTIMER_SHM_H */
