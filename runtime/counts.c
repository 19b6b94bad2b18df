/*
 * counts.c — program side: the per-thread words the plugin's inline counted test uses, and the
 * sampling countdown.  See counts.h and ctimer.h, "Counted calls".
 */
#include "counts.h"

#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "runtime.h"

/* What every thread's counts points at until it records (and again once it has stopped): no word
 * has CTIMER_COUNT_ON, so the inline test only reads it.  In .bss: it costs no memory. */
static uint64_t zero_counts[CTIMER_COUNT_MAX];

__thread struct ctimer_counts_tls __ctimer_counts __attribute__((tls_model("initial-exec"))) = {zero_counts, 0};

/* The calling thread's xorshift64* state for sampling gaps; 0 until its first gap. */
static __thread uint64_t gap_rng __attribute__((tls_model("initial-exec")));
__thread struct ctimer_desc *ctimer_sample_desc __attribute__((tls_model("initial-exec")));
__thread uint64_t ctimer_sample_t0 __attribute__((tls_model("initial-exec")));
/* The function whose last sampled calls on this thread were long, and how many in a row. */
static __thread struct ctimer_desc *long_desc __attribute__((tls_model("initial-exec")));
static __thread int long_run __attribute__((tls_model("initial-exec")));

/* Long sampled calls in a row that send a thread back to timing their function: one could be a
 * preemption (on a loaded machine one sampled call in a few hundred is), two in a row rarely are. */
#define LONG_RUN 2

void ctimer_counts_attach(struct ctimer_shm_header *h, uint32_t slot)
{
    _Atomic uint64_t *w = ctimer_shm_counts(h, slot);
    uint32_t words = h->count_cap / 64;
    for (uint32_t i = 0; i < words; i++) {
        uint64_t on = atomic_load_explicit(&h->count_on[i], memory_order_seq_cst);
        uint64_t nos = atomic_load_explicit(&h->count_nosample[i], memory_order_relaxed);
        while (on) {
            uint32_t id = i * 64 + (uint32_t)__builtin_ctzll(on);
            on &= on - 1;
            uint64_t bits = CTIMER_COUNT_ON | ((nos >> (id % 64)) & 1 ? CTIMER_COUNT_NOSAMPLE : 0);
            atomic_fetch_or_explicit(&w[id], bits, memory_order_relaxed);
        }
    }
    __ctimer_counts.counts = (uint64_t *)w;
    ctimer_counts_rearm(); /* the first gap too: a countdown of 0 would sample the first counted call */
}

void ctimer_counts_detach(void)
{
    __ctimer_counts.counts = zero_counts;
    __ctimer_counts.countdown = 0;
}

void ctimer_counts_rearm(void)
{
    int64_t n = ctimer_rt.cfg.sample;
    if (n <= 0) {
        __ctimer_counts.countdown = INT64_MAX; /* CTIMER_SAMPLE=0: counted calls are never timed */
        return;
    }
    uint64_t x = gap_rng;
    if (!x)
        x = (uint64_t)syscall(SYS_gettid) * UINT64_C(0x9E3779B97F4A7C15) ^ ctimer_now() ^ 1;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    gap_rng = x;
    /* Uniform in 0 .. 2(n-1): mean n - 1 counted calls, then one timed.  Random, so that no
     * pattern of the program's (two functions in strict alternation) always lands on the same
     * function. */
    uint64_t r = (x * UINT64_C(2685821657736338717)) >> 11;
    __ctimer_counts.countdown = (int64_t)(r % (uint64_t)(2 * n - 1));
}

void ctimer_counts_sample_end(uint64_t t0)
{
    struct ctimer_shm_header *h = ctimer_rt.shm;
    struct ctimer_desc *d = ctimer_sample_desc;
    if (t0 != ctimer_sample_t0 || !d || !h || __ctimer_counts.counts == zero_counts)
        return; /* a sample nested in this one replaced it, or the thread stopped recording */
    uint64_t bound = atomic_load_explicit(&h->long_ticks, memory_order_relaxed);
    ctimer_sample_desc = NULL;
    if (!bound || d->id == 0 || d->id >= h->count_cap)
        return;
    if (ctimer_now() - t0 <= bound) {
        if (long_desc == d)
            long_run = 0;
        return;
    }
    if (long_desc != d) {
        long_desc = d;
        long_run = 0;
    }
    if (++long_run < LONG_RUN)
        return;
    long_run = 0;
    /* Only this thread adds to the word; the recorder or's and and's bits: an atomic and keeps both. */
    atomic_fetch_and_explicit((_Atomic uint64_t *)&__ctimer_counts.counts[d->id], ~CTIMER_COUNT_ON,
                              memory_order_relaxed);
}

uint32_t ctimer_counts_cap(uint32_t ids_used)
{
    uint64_t cap = (uint64_t)ids_used * 2;
    if (cap < 4096)
        cap = 4096;
    cap = (cap + 511) / 512 * 512; /* whole pages of words */
    return cap > CTIMER_COUNT_MAX ? CTIMER_COUNT_MAX : (uint32_t)cap;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

uint64_t ctimer_counts_probe_ticks(void)
{
    enum { TRIALS = 1001 };
    static uint64_t d[TRIALS];
    volatile uint64_t sink[5];
    for (int i = 0; i < TRIALS; i++) {
        uint64_t t0 = ctimer_now();
        sink[0] = (uint64_t)(uintptr_t)&sink;
        sink[1] = t0;
        sink[2] = (uint64_t)i;
        uint64_t t1 = ctimer_now();
        sink[3] = t1;
        sink[4] = t0;
        d[i] = t1 - t0;
    }
    qsort(d, TRIALS, sizeof d[0], cmp_u64);
    return d[TRIALS / 2];
}
