/* main starts 2 threads and ends with pthread_exit: the threads sleep 50 ms (so they outlive main),
   then each calls work 5000 times (a 20 us sleep every 500 calls); the last one to finish prints
   the total.  The process exits with 0 when the last thread ends. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static volatile long sink;
static atomic_int done;

__attribute__((noipa)) void work(long i) { sink += i; }

static void *worker(void *arg)
{
    (void)arg;
    usleep(50000);
    for (long i = 0; i < 5000; i++) {
        work(i);
        if (i % 500 == 0)
            usleep(20);
    }
    if (atomic_fetch_add(&done, 1) == 1) {
        printf("all %d calls made\n", 2 * 5000);
        fflush(stdout);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[2];
    for (int k = 0; k < 2; k++)
        if (pthread_create(&t[k], NULL, worker, NULL) != 0) {
            perror("pthread_create");
            return 1;
        }
    pthread_exit(NULL);
}
