/*
 * clock.h — timestamps for the hot path and their conversion to nanoseconds.
 *
 * A timestamp is a raw TSC reading when the CPU says its TSC is invariant (constant rate, runs in
 * every C-state: cpuid 0x80000007 EDX bit 8), otherwise CLOCK_MONOTONIC in ns.  The writer converts
 * each timestamp (never a difference) to ns since the run started, with a 32.32 fixed-point factor
 * measured over at least CTIMER_CALIBRATE_NS, so that a child's interval always lies inside its
 * parent's and self = duration - sum(children) is exact.
 */
#ifndef CTIMER_CLOCK_H
#define CTIMER_CLOCK_H

#include <stdint.h>
#include <time.h>

/*
 * 2 ms: each end of the window is read to within ~20 ns (clock.c, read_pair), so the factor is good
 * to ~20 ppm.  The writer decodes nothing before it has the factor, and a longer window made a
 * program that calls ~100 k functions in its first milliseconds fill its buffer and wait.
 */
#define CTIMER_CALIBRATE_NS UINT64_C(2000000)

struct ctimer_clock {
    int tsc;             /* 1: timestamps are TSC ticks; 0: CLOCK_MONOTONIC ns */
    uint64_t start_tick; /* timestamp at run start; ns are counted from here */
    uint64_t start_mono; /* CLOCK_MONOTONIC ns read together with start_tick */
    uint64_t mult;       /* ns per tick in 32.32 fixed point; valid when calibrated */
    double ticks_per_us; /* for runs.ticks_per_us */
    int calibrated;
};

/* Read by the hot path on every call: which clock to read.  Set once at init, before any recording.
 * Declared hidden so that the hot path reads it directly, not through the GOT. */
extern int ctimer_clock_use_tsc __attribute__((visibility("hidden")));

static inline uint64_t ctimer_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

/* The calling thread's CPU time in ns, 0 if it cannot be read: the clock cpu= and the thread totals
 * use (a system call, ~650 ns here: README, "CPU time"). */
static inline uint64_t ctimer_thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ctimer_mono_ns out of line: keeps the hot path free of a stack frame on the TSC route. */
uint64_t ctimer_mono_now(void) __attribute__((noinline, visibility("hidden")));

static inline uint64_t ctimer_now(void)
{
#if defined(__x86_64__) || defined(__i386__)
    if (__builtin_expect(ctimer_clock_use_tsc, 1))
        return __builtin_ia32_rdtsc();
#endif
    return ctimer_mono_now();
}

/* Timestamp -> ns since run start.  Monotonic in ts, so nesting survives the conversion; timestamps
 * from before the run (a forked child's inherited frames) map to 0. */
static inline uint64_t ctimer_clock_ns(const struct ctimer_clock *c, uint64_t ts)
{
    if (ts <= c->start_tick)
        return 0;
    return (uint64_t)(((unsigned __int128)(ts - c->start_tick) * c->mult) >> 32);
}

/* 1 if the TSC is invariant (and this is x86). */
int ctimer_tsc_invariant(void);
/* Chooses the clock (sets ctimer_clock_use_tsc unless force_mono) and records the run's start. */
void ctimer_clock_start(struct ctimer_clock *c, int force_mono);
/* Computes the tick->ns factor.  If less than CTIMER_CALIBRATE_NS has passed since start, sleeps for
 * the remainder: call it on the writer thread, never on an application thread. */
void ctimer_clock_calibrate(struct ctimer_clock *c);
/* Sets up a clock whose timestamps are ns with the given start (tests and the monotonic fallback). */
void ctimer_clock_identity(struct ctimer_clock *c, uint64_t start_tick);

#endif /* CTIMER_CLOCK_H */
