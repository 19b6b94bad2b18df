/* cpu [die]: CPU time beside wall time (-fplugin-arg-ctimer-cpu=sleeper,busy).  sleeper sleeps
   20 ms (usleep); busy spins for about 2 ms (short, so that some calls run unpreempted on a loaded
   machine), calibrated first by an uninstrumented loop, and is called 10 times by main and 10 times
   by a second thread; plain is called 10 times and records no
   CPU time.  With "die", main ends with _exit(0) after its work (no exit hand-shake).  Prints
   "done". */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile double sink;
static long spins; /* busy's iterations for ~2 ms */

static __attribute__((no_instrument_function)) double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static __attribute__((no_instrument_function)) void spin(long n)
{
    double x = 0;
    for (long i = 0; i < n; i++)
        x += i * 0.5;
    sink = x;
}

__attribute__((noipa)) void sleeper(void) { usleep(20000); }
__attribute__((noipa)) void busy(void) { spin(spins); }
__attribute__((noipa)) void plain(void) { sink += 1; }

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 10; i++)
        busy();
    return NULL;
}

int main(int argc, char **argv)
{
    /* calibration: the best of 5 runs of a million iterations */
    double best = 1e9;
    for (int i = 0; i < 5; i++) {
        double t0 = now_ms();
        spin(1000000);
        double dt = now_ms() - t0;
        if (dt < best)
            best = dt;
    }
    spins = (long)(2.0 / best * 1000000);
    sleeper();
    for (int i = 0; i < 10; i++)
        busy();
    for (int i = 0; i < 10; i++)
        plain();
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_join(t, NULL);
    printf("done\n");
    fflush(stdout);
    if (argc > 1 && strcmp(argv[1], "die") == 0)
        _exit(0);
    return 0;
}
