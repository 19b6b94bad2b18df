/* Two threads call tick as fast as they can, forever; main returns after 20 ms. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static volatile long sink;

__attribute__((noinline)) void tick(long i) { sink += i; }

static void *spinner(void *arg)
{
    (void)arg;
    for (long i = 0;; i++)
        tick(i);
    return NULL;
}

int main(void)
{
    pthread_t t[2];
    for (int k = 0; k < 2; k++)
        pthread_create(&t[k], NULL, spinner, NULL);
    struct timespec ts = { 0, 20 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    printf("bye\n");
    return 0;
}
