/*
 * demo.c — a first look at ctimer: four worker threads, a recursive function, a deliberately slow
 * function and a few struct-method calls.
 *
 *     gcc -O2 -fplugin=build/plugin/ctimer.so -Iruntime examples/demo.c \
 *         -Lbuild/runtime -Wl,-rpath,build/runtime -lctimer -o demo
 *     CTIMER_RUN=demo ./demo
 *     sqlite3 -column -header ctimer.db \
 *         'SELECT function, struct, calls, total_ns, self_ns, threads FROM demo_summary'
 *
 * Things to look for in the database:
 *   - slow_io: about 10 ms per call, nearly all of it self time, in five threads;
 *   - collatz_steps: 10 000 calls from the four workers (demo_summary.threads = 4);
 *   - fib: a recursive call tree (demo_calls.parent_id, depth).  At -O2 GCC inlines fib into
 *     itself, so fewer than its 21 891 source-level calls are real calls and timed; build with
 *     -fplugin-arg-ctimer-placement=early to time every one;
 *   - codec.encode / codec.decode: struct-method rows (kind 'method'), with the functions they
 *     landed in as children (demo_methods.callees).
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#define N_WORKERS 4

/* A recursive function: fib(20) makes 21 891 calls, at most 20 deep. */
static long fib(int n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/* A deliberately slow function: pretends to wait for a device.  noinline keeps it a real call at
   -O2, so that it has rows of its own: by default only calls that survive inlining are timed. */
__attribute__((noinline)) static void slow_io(void)
{
    struct timespec ts = { 0, 10 * 1000 * 1000 }; /* 10 ms */
    nanosleep(&ts, NULL);
}

/* Some CPU work for the threads. */
__attribute__((noinline)) static int collatz_steps(long n)
{
    int steps = 0;
    while (n != 1) {
        n = n % 2 ? 3 * n + 1 : n / 2;
        steps++;
    }
    return steps;
}

/* Struct methods: a codec chosen at run time. */
struct codec {
    const char *name;
    int (*encode)(int);
    int (*decode)(int);
};

static int xor_encode(int x) { return x ^ 0x5a; }
static int xor_decode(int x) { return x ^ 0x5a; }
static int add_encode(int x) { return x + 7; }
static int add_decode(int x) { return x - 7; }

static const struct codec codecs[] = {
    { "xor", xor_encode, xor_decode },
    { "add", add_encode, add_decode },
};

static int round_trip(const struct codec *c, int value)
{
    return c->decode(c->encode(value));
}

struct job {
    long first, count;
    int longest;
};

static void *worker(void *arg)
{
    struct job *job = arg;
    for (long n = job->first; n < job->first + job->count; n++) {
        int steps = collatz_steps(n);
        if (steps > job->longest)
            job->longest = steps;
    }
    slow_io();
    return NULL;
}

int main(void)
{
    pthread_t threads[N_WORKERS];
    struct job jobs[N_WORKERS];
    for (int i = 0; i < N_WORKERS; i++) {
        jobs[i] = (struct job){ .first = 1 + i * 2500, .count = 2500, .longest = 0 };
        pthread_create(&threads[i], NULL, worker, &jobs[i]);
    }

    long f = fib(20);
    slow_io();

    int ok = 0;
    for (int v = 0; v < 100; v++)
        ok += round_trip(&codecs[v % 2], v) == v;

    int longest = 0;
    for (int i = 0; i < N_WORKERS; i++) {
        pthread_join(threads[i], NULL);
        if (jobs[i].longest > longest)
            longest = jobs[i].longest;
    }

    printf("fib(20) = %ld\n", f);
    printf("codecs: %d/100 values survived a round trip\n", ok);
    printf("longest Collatz chain below %d: %d steps\n", N_WORKERS * 2500 + 1, longest);
    return 0;
}
