/* db_lock DIR: phase(10) (10 x fib(20): 218 910 calls of fib), then creates DIR/phase1 and waits
   (up to 20 s) for DIR/locked to exist, then phase(20) (437 820 calls of fib).  656 733 calls
   in all with main and the two of phase.  Lets a test take the database's write lock mid-run. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int fib(int n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

__attribute__((noipa)) long phase(int rounds)
{
    long s = 0;
    for (int r = 0; r < rounds; r++)
        s += fib(20);
    return s;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: db_lock DIR\n");
        return 2;
    }
    char path[4096];
    long s = phase(10);
    snprintf(path, sizeof path, "%s/phase1", argv[1]);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/locked", argv[1]);
    for (int i = 0; i < 2000 && access(path, F_OK) != 0; i++)
        usleep(10000);
    if (access(path, F_OK) != 0) {
        fprintf(stderr, "%s never appeared\n", path);
        return 1;
    }
    s += phase(20);
    printf("sum %ld\n", s);
    return 0;
}
