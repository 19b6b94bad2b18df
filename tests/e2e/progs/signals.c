/* A profiling timer's handler calls an instrumented function while instrumented code runs: the
   signal lands anywhere, in the middle of the runtime's hot path too.  Prints the checksum of the
   interrupted work, then the number of handler calls the program counted. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static volatile sig_atomic_t ticks;

__attribute__((noinline)) void on_tick(void) { ticks++; }

static void handler(int sig)
{
    (void)sig;
    on_tick();
}

__attribute__((noinline)) long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 100;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGPROF, &sa, NULL);
    struct itimerval it = {{0, 100}, {0, 100}}; /* as often as the kernel's tick allows */
    setitimer(ITIMER_PROF, &it, NULL);
    long s = 0;
    for (int i = 0; i < rounds; i++)
        s += fib(20);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_PROF, &off, NULL);
    printf("%ld\n%d\n", s, (int)ticks);
    return 0;
}
