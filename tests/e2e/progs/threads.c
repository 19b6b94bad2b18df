/* 8 threads each call work_item 10 000 times.  Prints the kernel tid of main and of each worker. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#define N_THREADS 8
#define N_CALLS 10000

static pid_t tids[N_THREADS];
static __thread volatile long sink; /* per thread: no data race for TSan (e2e sanitizers) */

__attribute__((noipa)) void work_item(long i)
{
    sink += i;
}

static void *worker(void *arg)
{
    long k = (long)arg;
    tids[k] = gettid();
    for (long i = 0; i < N_CALLS; i++)
        work_item(i);
    return NULL;
}

int main(void)
{
    pthread_t t[N_THREADS];
    for (long k = 0; k < N_THREADS; k++)
        pthread_create(&t[k], NULL, worker, (void *)k);
    for (int k = 0; k < N_THREADS; k++)
        pthread_join(t[k], NULL);
    printf("main %d\n", (int)gettid());
    for (int k = 0; k < N_THREADS; k++)
        printf("worker %d\n", (int)tids[k]);
    return 0;
}
