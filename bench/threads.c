/*
 * threads.c — the same small function called from T threads: does the per-call cost stay flat as
 * threads are added?  Usage: threads [T [TOTAL_CALLS]]   defaults 4 1500000.
 *
 * Each worker calls step() TOTAL_CALLS / T times (one call of worker() per thread besides).  Each
 * worker measures its own CPU time (CLOCK_THREAD_CPUTIME_ID); the line reports their sum, and the
 * wall time of the main thread from the first pthread_create to the last pthread_join.
 */
#include <pthread.h>
#include <stdlib.h>

#include "bench.h"

__attribute__((noinline)) uint64_t step(uint64_t x, uint64_t i)
{
    /* a few dependent operations: a real body, not just a return */
    x ^= i + 0x9e3779b97f4a7c15ull;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 31;
    return x;
}

struct job {
    pthread_t tid;
    long calls;
    uint64_t result;
    int64_t cpu_ns;
};

void *worker(void *arg)
{
    struct job *j = arg;
    int64_t c0 = bench_cpu_ns();
    uint64_t x = (uint64_t)j->calls;
    for (long i = 0; i < j->calls; i++)
        x = step(x, (uint64_t)i);
    j->result = x;
    j->cpu_ns = bench_cpu_ns() - c0;
    return NULL;
}

int main(int argc, char **argv)
{
    int nthreads = argc > 1 ? atoi(argv[1]) : 4;
    long total = argc > 2 ? atol(argv[2]) : 1500000;
    if (nthreads < 1 || nthreads > 1024 || total < nthreads) {
        fprintf(stderr, "usage: threads [T [TOTAL_CALLS]]\n");
        return 2;
    }
    struct job *jobs = calloc((size_t)nthreads, sizeof *jobs);
    if (!jobs)
        return 1;
    for (int t = 0; t < nthreads; t++)
        jobs[t].calls = total / nthreads + (t < total % nthreads);

    int64_t w0 = bench_wall_ns();
    for (int t = 0; t < nthreads; t++)
        if (pthread_create(&jobs[t].tid, NULL, worker, &jobs[t]) != 0) {
            fprintf(stderr, "threads: pthread_create failed\n");
            return 1;
        }
    for (int t = 0; t < nthreads; t++)
        pthread_join(jobs[t].tid, NULL);
    int64_t w1 = bench_wall_ns();

    uint64_t sum = 0;
    int64_t cpu = 0;
    for (int t = 0; t < nthreads; t++) {
        sum += jobs[t].result;
        cpu += jobs[t].cpu_ns;
    }
    printf("threads %d, calls %ld, checksum %llu\n", nthreads, total, (unsigned long long)sum);
    bench_report("threads", w1 - w0, cpu, nthreads);
    free(jobs);
    return 0;
}
