/* threads_memory [TOTAL [AT_ONCE]]: creates TOTAL (default 40 000) short-lived threads, AT_ONCE
   (default 4) at a time, each calling tcall 10 times; prints its VmRSS (kB, from /proc/self/status)
   after the first 2000 threads have been joined and after all of them, then the totals. */
#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile long sink;

__attribute__((noipa)) void tcall(long i) { sink += i; }

static void *thread_main(void *arg)
{
    (void)arg;
    for (long i = 0; i < 10; i++)
        tcall(i);
    return NULL;
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atol(line + 6);
    if (f)
        fclose(f);
    return kb;
}

int main(int argc, char **argv)
{
    long total = argc > 1 ? atol(argv[1]) : 40000, at_once = argc > 2 ? atol(argv[2]) : 4, made = 0;
    pthread_t t[64];
    if (at_once < 1 || at_once > 64)
        return 2;
    while (made < total) {
        long n = total - made < at_once ? total - made : at_once;
        for (long k = 0; k < n; k++)
            if (pthread_create(&t[k], NULL, thread_main, NULL) != 0) {
                perror("pthread_create");
                return 1;
            }
        for (long k = 0; k < n; k++)
            pthread_join(t[k], NULL);
        made += n;
        if (made == 2000)
            fprintf(stderr, "rss_kb after 2000 %ld\n", rss_kb());
    }
    /* The threads are gone; what was kept for them is given back once the recorder has retired them,
       which may take it a moment behind on a loaded machine: half a second, in both builds. */
    struct timespec settle = {0, 500000000};
    nanosleep(&settle, NULL);
    fprintf(stderr, "rss_kb after %ld %ld\n", made, rss_kb());
    printf("threads %ld, calls %ld\n", made, made * 10);
    return 0;
}
