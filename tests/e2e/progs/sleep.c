/* nap() sleeps 20 ms. */
#include <stdio.h>
#include <time.h>

void nap(void)
{
    struct timespec ts = { 0, 20 * 1000 * 1000 };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

int main(void)
{
    nap();
    puts("slept");
    return 0;
}
