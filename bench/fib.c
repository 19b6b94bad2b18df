/*
 * fib.c — recursive Fibonacci: the classic worst case for a function timer (a tiny body per call).
 * Usage: fib [N]   (default 32: 7 049 155 source-level calls; fewer real calls at -O2, where GCC
 * inlines part of the recursion into itself).
 */
#include <stdlib.h>

#include "bench.h"

long fib(int n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(int argc, char **argv)
{
    volatile int n = argc > 1 ? atoi(argv[1]) : 32; /* volatile: never folded at compile time */
    int64_t w0 = bench_wall_ns(), c0 = bench_cpu_ns();
    long r = fib(n);
    int64_t c1 = bench_cpu_ns(), w1 = bench_wall_ns();
    printf("fib(%d) = %ld\n", n, r);
    bench_report("fib", w1 - w0, c1 - c0, 1);
    return 0;
}
