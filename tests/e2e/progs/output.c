/* Deterministic output and exit status 7; with argument "abort" it dies of SIGABRT, with "segv" of
   SIGSEGV, after printing (and flushing) its first lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct stats {
    long n;
    double sum, sum_sq;
};

/* Kept out of line so that -O2 runs have its rows too. */
__attribute__((noinline)) static void add_sample(struct stats *s, double x)
{
    s->n++;
    s->sum += x;
    s->sum_sq += x * x;
}

static double mean(const struct stats *s)
{
    return s->sum / s->n;
}

static unsigned hash(const char *str)
{
    unsigned h = 5381;
    while (*str)
        h = h * 33 + (unsigned char)*str++;
    return h;
}

static int *volatile null_pointer;

static void crash(const char *how)
{
    fflush(stdout);
    if (!strcmp(how, "abort"))
        abort();
    if (!strcmp(how, "segv"))
        *null_pointer = 1;
}

int main(int argc, char **argv)
{
    struct stats s = { 0, 0, 0 };
    for (int i = 1; i <= 1000; i++)
        add_sample(&s, i * 0.5);
    printf("n=%ld mean=%.4f sum_sq=%.1f\n", s.n, mean(&s), s.sum_sq);
    printf("hash=%u\n", hash("the quick brown fox"));
    if (argc > 1)
        crash(argv[1]);
    printf("done\n");
    return 7;
}
