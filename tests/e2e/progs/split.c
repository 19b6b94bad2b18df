/* GCC's partial inlining (-O2) splits maybe() into its header, inlined into main, and maybe.part.0;
 * called through a pointer, the whole maybe() runs too: one function, two bodies, two descriptors,
 * and both are called.  Whether split or not, maybe() makes 30 000 real calls for N = 30 000:
 * 15 000 through the pointer, 7 500 of .part.0 from those, 7 500 of .part.0 from main's copy of
 * the header (or, unsplit, 15 000 direct calls). */
#include <stdio.h>
#include <stdlib.h>

volatile long sink;

__attribute__((noinline)) void work(long n)
{
    for (long i = 0; i < n; i++)
        sink += i;
}

void maybe(int flag)
{
    if (__builtin_expect(flag, 0)) {
        work(100);
        work(sink & 7);
        if (sink % 3 == 0)
            puts("three");
        work(200);
        sink ^= 5;
    }
}

void (*volatile indirect)(int) = maybe;

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 30000;
    for (long i = 0; i < n; i++) {
        if (i & 1)
            indirect((i & 3) == 1);
        else
            maybe((i & 3) == 0);
    }
    printf("%ld\n", (long)sink);
    return 0;
}
