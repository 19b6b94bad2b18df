/* tiny is called 1000 times and takes nanoseconds; nap is called once and sleeps 2 ms. */
#include <stdio.h>
#include <time.h>

static volatile long sink;

__attribute__((noinline)) void tiny(long i) { sink += i; }

__attribute__((noinline)) void nap(void)
{
    struct timespec ts = { 0, 2 * 1000 * 1000 };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

int main(void)
{
    for (long i = 0; i < 1000; i++)
        tiny(i);
    nap();
    printf("%ld\n", sink);
    return 0;
}
