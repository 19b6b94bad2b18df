/* mcount_report.c — prints the count kept by mcount_count.S at exit (compiled without -pg). */
#include <stdio.h>

extern unsigned long long ctb_mcount_calls;

__attribute__((destructor, no_instrument_function)) static void report(void)
{
    fprintf(stderr, "CTIMER_BENCH_COUNT calls=%llu\n",
            __atomic_load_n(&ctb_mcount_calls, __ATOMIC_RELAXED));
}
