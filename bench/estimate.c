/*
 * estimate.c — a calibrated function for ctimer's estimated times (issue 9): calibrated(), a
 * dependent chain of 256 multiply-adds (about 300 ns; every step waits for the previous one),
 * called CALLS times.  Usage: estimate [CALLS]   default 1000000.
 *
 * Under CTIMER_TIMING=adaptive (the default) the recorder switches calibrated() to counted after
 * its first calls and times one call in CTIMER_SAMPLE; its _summary.total_ns is then an estimate
 * (exact calls × the mean of the timed ones).  run.sh compares that estimate with the measured
 * total_ns of a CTIMER_TIMING=all run: the ratio should be within 10 %.
 */
#include <stdlib.h>

#include "bench.h"

__attribute__((noinline)) uint64_t calibrated(uint64_t x)
{
    for (int i = 0; i < 256; i++)
        x = x * 6364136223846793005UL + 1442695040888963407UL;
    return x;
}

int main(int argc, char **argv)
{
    long calls = argc > 1 ? atol(argv[1]) : 1000000;
    volatile uint64_t seed = 1; /* volatile: never folded at compile time */
    uint64_t x = seed;
    int64_t w0 = bench_wall_ns(), c0 = bench_cpu_ns();
    for (long i = 0; i < calls; i++)
        x = calibrated(x);
    int64_t c1 = bench_cpu_ns(), w1 = bench_wall_ns();
    printf("estimate: %ld calls, x = %llu\n", calls, (unsigned long long)x);
    bench_report("estimate", w1 - w0, c1 - c0, 1);
    return 0;
}
