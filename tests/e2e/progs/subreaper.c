/* subreaper OUT PROG [ARGS...]: runs PROG as a child subreaper would, so that every process PROG
   leaves behind (a recorder following its death, a daemon) is reparented to us.  Waits for PROG,
   then for all of those, and writes "orphans N" to OUT: how many processes outlived PROG.  Exits
   with PROG's status (128 + signal when it was killed).  Never instrumented. */
#include <errno.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: subreaper OUT PROG [ARGS...]\n");
        return 2;
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
        perror("prctl(PR_SET_CHILD_SUBREAPER)");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror(argv[2]);
        _exit(127);
    }
    int status = 0, st;
    if (waitpid(pid, &status, 0) < 0) {
        perror("waitpid");
        return 2;
    }
    int orphans = 0;
    while (wait(&st) > 0)
        orphans++;
    if (errno != ECHILD)
        perror("wait");
    FILE *f = fopen(argv[1], "w");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    fprintf(f, "orphans %d\n", orphans);
    fclose(f);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
