/* Lists this process's open descriptors (from /proc/self/fd, sorted, without the one used to read
   the directory; the target of those above 2, whose 0..2 differ between runs) three times: first
   thing in main, after main's first call of an instrumented function, and after 1000 more calls.
   Build with +exclude=list_fds, so that nothing but main is timed before the first listing. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile long sink;

__attribute__((noipa)) void work(long i) { sink += i; }

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

__attribute__((noipa)) void list_fds(const char *when)
{
    int fds[4096], n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d) {
        perror("opendir");
        exit(1);
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 4096) {
        if (e->d_name[0] == '.')
            continue;
        int fd = atoi(e->d_name);
        if (fd != dirfd(d))
            fds[n++] = fd;
    }
    qsort(fds, (size_t)n, sizeof fds[0], cmp_int);
    printf("%s:", when);
    for (int i = 0; i < n; i++) {
        char path[64], target[4096] = "";
        snprintf(path, sizeof path, "/proc/self/fd/%d", fds[i]);
        ssize_t len = readlink(path, target, sizeof target - 1);
        if (len >= 0)
            target[len] = 0;
        if (fds[i] <= 2)
            printf(" %d", fds[i]);
        else
            printf(" %d=%s", fds[i], target);
    }
    printf("\n");
    closedir(d);
}

int main(void)
{
    list_fds("start");
    work(0);
    list_fds("after the first call");
    for (long i = 0; i < 1000; i++)
        work(i);
    list_fds("after 1000 calls");
    return 0;
}
