/* Two threads call tick as fast as they can, forever; main returns 20 ms after both have started
   (on a loaded machine a thread may otherwise not have run at all by then). */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>

static volatile long sink;
static volatile int started;

__attribute__((noinline)) void tick(long i) { sink += i; }

static void *spinner(void *arg)
{
    (void)arg;
    __atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
    for (long i = 0;; i++)
        tick(i);
    return NULL;
}

int main(void)
{
    pthread_t t[2];
    for (int k = 0; k < 2; k++)
        pthread_create(&t[k], NULL, spinner, NULL);
    while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < 2)
        sched_yield();
    struct timespec ts = { 0, 20 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    printf("bye\n");
    return 0;
}
