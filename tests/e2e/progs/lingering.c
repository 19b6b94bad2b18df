/* A thread calls tick 500 times, then blocks in wait_forever; main returns while it is still
   there. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static volatile long sink;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready;

__attribute__((noinline)) void tick(long i) { sink += i; }

__attribute__((noinline)) void wait_forever(void)
{
    pthread_mutex_lock(&mu);
    ready = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    for (;;)
        pause();
}

static void *lingerer(void *arg)
{
    (void)arg;
    for (long i = 0; i < 500; i++)
        tick(i);
    wait_forever();
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, lingerer, NULL);
    pthread_mutex_lock(&mu);
    while (!ready)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    printf("exiting with a live thread\n");
    return 0;
}
