/*
 * bench.h — timing helpers shared by the benchmark workloads (bench/run.sh builds and runs them).
 *
 * Each workload measures its own work and prints, on stderr, one line that run.sh parses:
 *
 *   CTIMER_BENCH workload=NAME wall_ns=W cpu_ns=C threads=N
 *
 * wall_ns: CLOCK_MONOTONIC around the work; cpu_ns: CLOCK_THREAD_CPUTIME_ID of the thread(s) doing
 * the work (summed over worker threads), so neither includes ctimer's writer thread nor the final
 * flush at exit.  Results go to stdout, so instrumented and plain output can be compared.
 *
 * Everything here is inlined and excluded from every instrumentation: it must not add calls.
 */
#ifndef CTIMER_BENCH_H
#define CTIMER_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#if defined(__clang__)
#define BENCH_NOINSTR __attribute__((no_instrument_function, xray_never_instrument, always_inline))
#else
#define BENCH_NOINSTR __attribute__((no_instrument_function, always_inline))
#endif

static inline BENCH_NOINSTR int64_t bench_clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline BENCH_NOINSTR int64_t bench_wall_ns(void) { return bench_clock_ns(CLOCK_MONOTONIC); }
static inline BENCH_NOINSTR int64_t bench_cpu_ns(void) { return bench_clock_ns(CLOCK_THREAD_CPUTIME_ID); }

static inline BENCH_NOINSTR void bench_report(const char *workload, int64_t wall_ns, int64_t cpu_ns,
                                              int threads)
{
    fprintf(stderr, "CTIMER_BENCH workload=%s wall_ns=%lld cpu_ns=%lld threads=%d\n", workload,
            (long long)wall_ns, (long long)cpu_ns, threads);
}

#endif /* CTIMER_BENCH_H */
