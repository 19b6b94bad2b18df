/* A timer's handler calls an instrumented function while instrumented code runs: the signal lands
   anywhere, in the middle of the runtime's hot path and slow path too.  Usage: signals ROUNDS
   prof|real.  prof: SIGPROF at the kernel's tick; real: SIGALRM every 20 us (high-resolution
   timer), thousands of times more often.  Prints the checksum of the interrupted work, then the
   number of handler calls the program counted. */
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
    int real = argc > 2 && strcmp(argv[2], "real") == 0;
    int sig = real ? SIGALRM : SIGPROF, timer = real ? ITIMER_REAL : ITIMER_PROF;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    sigaction(sig, &sa, NULL);
    struct itimerval it = {{0, real ? 20 : 100}, {0, real ? 20 : 100}};
    setitimer(timer, &it, NULL);
    long s = 0;
    for (int i = 0; i < rounds; i++)
        s += fib(20);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(timer, &off, NULL);
    printf("%ld\n%d\n", s, (int)ticks);
    return 0;
}
