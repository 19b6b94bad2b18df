/* Counted calls (CTIMER_TIMING).  Modes (argv[1]):
 *   fib N           prints fib(N): 2 F(N+1) - 1 calls of fib
 *   busy N          calls busy() N times, a loop of about 300 ns (ctimer_flush() after 20 001;
 *                   the CPU time of the other calls on stderr)
 *   shortlong       50 000 short calls of phase(), ctimer_flush(), then 400 calls of 1 ms each
 *   threads T N     T threads call leaf() N times each (and main calls it N times)
 *   die N           N calls of leaf(), ctimer_flush(), N more, then SIGKILL
 *   fork N          N calls of leaf() in the parent, then a child makes 2 N and exits
 */
#include <ctimer.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

__attribute__((noinline)) int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

/* A chain of 256 dependent multiply-adds: ~300 ns here, and no CPU can shortcut it. */
__attribute__((noinline)) void busy(void)
{
    unsigned long x = sink;
    for (int i = 0; i < 256; i++)
        x = x * 6364136223846793005UL + 1442695040888963407UL;
    sink = x;
}

__attribute__((noinline)) void leaf(void) { sink++; }

__attribute__((noinline)) void phase(int slow)
{
    if (slow) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    } else {
        sink++;
    }
}

static long per_thread;

static void *worker(void *arg)
{
    (void)arg;
    for (long i = 0; i < per_thread; i++)
        leaf();
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "fib";
    long n = argc > 2 ? atol(argv[2]) : 25;
    if (!strcmp(mode, "fib")) {
        printf("fib(%ld) = %d\n", n, fib((int)n));
    } else if (!strcmp(mode, "busy")) {
        for (long i = 0; i <= 20000; i++)
            busy();
        ctimer_flush(); /* however busy the machine, the recorder has seen 20 000 calls */
        struct timespec a, b;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
        for (long i = 20001; i < n; i++)
            busy();
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
        /* the loop's CPU time (not its wall time: a loaded machine preempts the loop, and rarely a
         * sampled call), for the estimate of busy()'s time over the same calls */
        fprintf(stderr, "loop_ns %lld\n", (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
        printf("busy %ld\n", n);
    } else if (!strcmp(mode, "shortlong")) {
        for (int i = 0; i < 50000; i++)
            phase(0);
        ctimer_flush(); /* the recorder has seen the short calls: phase() is counted by now */
        for (int i = 0; i < 400; i++)
            phase(1);
        puts("shortlong");
    } else if (!strcmp(mode, "threads")) {
        int t = (int)n;
        per_thread = argc > 3 ? atol(argv[3]) : 100000;
        pthread_t th[64];
        for (int i = 0; i < t && i < 64; i++)
            pthread_create(&th[i], NULL, worker, NULL);
        worker(NULL);
        for (int i = 0; i < t && i < 64; i++)
            pthread_join(th[i], NULL);
        printf("threads %d x %ld\n", t, per_thread);
    } else if (!strcmp(mode, "die")) {
        for (long i = 0; i < n; i++)
            leaf();
        ctimer_flush();
        for (long i = 0; i < n; i++)
            leaf();
        printf("dying\n");
        fflush(stdout);
        kill(getpid(), SIGKILL);
    } else if (!strcmp(mode, "fork")) {
        for (long i = 0; i < n; i++)
            leaf();
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            for (long i = 0; i < 2 * n; i++)
                leaf();
            printf("child\n");
            exit(0);
        }
        int st;
        waitpid(pid, &st, 0);
        printf("parent\n");
    }
    return 0;
}
