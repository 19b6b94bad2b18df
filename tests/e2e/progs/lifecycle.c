/* Three threads call tick 100 times each and end before main goes on; then the process forks: the
   child calls child_work 50 times and exits with status 4, the parent waits for it and calls
   parent_work 20 times.  Prints both pids and the child's status. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile long sink;

/* The three threads add at once: atomically, so that the program has no race of its own (e2e
   sanitizers runs it under ThreadSanitizer). */
__attribute__((noinline)) void tick(long i) { __atomic_fetch_add(&sink, i, __ATOMIC_RELAXED); }
__attribute__((noinline)) void child_work(long i) { sink -= i; }
__attribute__((noinline)) void parent_work(long i) { sink ^= i; }

static void *short_lived(void *arg)
{
    (void)arg;
    for (long i = 0; i < 100; i++)
        tick(i);
    return NULL;
}

int main(void)
{
    pthread_t t[3];
    for (int k = 0; k < 3; k++)
        pthread_create(&t[k], NULL, short_lived, NULL);
    for (int k = 0; k < 3; k++)
        pthread_join(t[k], NULL);

    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        for (long i = 0; i < 50; i++)
            child_work(i);
        exit(4);
    }
    int status;
    waitpid(pid, &status, 0);
    for (long i = 0; i < 20; i++)
        parent_work(i);
    printf("parent pid %d\nchild pid %d\n", (int)getpid(), (int)pid);
    printf("child status %d\n", WEXITSTATUS(status));
    return 0;
}
