/* daemonize HOW PIDFILE: the classic daemon.  Forks; the parent prints the child's pid and exits
   at once with exit(0); the child calls setsid, points 0..2 at /dev/null, calls work 2000 times
   (from daemon_body, at depth 1 of its own run), writes its pid to PIDFILE and ends with exit(0)
   (HOW = exit) or _exit(0) (HOW = _exit), from inside daemon_body. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile long sink;

__attribute__((noipa)) void work(long i) { sink += i; }

__attribute__((noipa)) void daemon_body(const char *how, const char *pidfile)
{
    setsid();
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    if (null > 2)
        close(null);
    for (long i = 0; i < 2000; i++)
        work(i);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", pidfile);
    FILE *f = fopen(tmp, "w");
    if (f) {
        fprintf(f, "%d\n", (int)getpid());
        fclose(f);
        rename(tmp, pidfile); /* whole, or not there */
    }
    if (strcmp(how, "_exit") == 0)
        _exit(0);
    exit(0);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: daemonize exit|_exit PIDFILE\n");
        return 2;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0)
        daemon_body(argv[1], argv[2]);
    printf("child %d\n", (int)pid);
    exit(0);
}
