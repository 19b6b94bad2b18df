/* endings MODE: main -> work -> leaf, 1000 completed calls of leaf from depth 2 (main is depth 0),
   then main -> d1 -> d2 -> end_now, and end_now (depth 3) ends the process as MODE says:
     return      end_now, d2, d1 return and main returns 0 (nothing left open)
     exit        exit(3)                 quick_exit  quick_exit(4)        _exit   _exit(5)
     abort       abort()                 segv        a real write through a null pointer
     sigkill     raise(SIGKILL)          sigint      raise(SIGINT), default action
     sigterm     raise(SIGTERM), default action
     exec_true   execv("/bin/true")      exec_self   execv of this program with MODE "child"
     child       (the exec'd image) 100 calls of leaf through work, returns 0
   Prints "ending: MODE" (flushed) before ending. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile long sink;
static const char *mode;

__attribute__((noipa)) void leaf(long i) { sink += i; }

__attribute__((noipa)) void work(long n)
{
    for (long i = 0; i < n; i++)
        leaf(i);
}

__attribute__((noipa)) void end_now(void)
{
    printf("ending: %s\n", mode);
    fflush(stdout);
    if (strcmp(mode, "exit") == 0)
        exit(3);
    if (strcmp(mode, "quick_exit") == 0)
        quick_exit(4);
    if (strcmp(mode, "_exit") == 0)
        _exit(5);
    if (strcmp(mode, "abort") == 0)
        abort();
    if (strcmp(mode, "segv") == 0) {
        int *volatile p = NULL; /* volatile: GCC would turn a constant null store into a trap */
        *p = 1;
    }
    if (strcmp(mode, "sigkill") == 0)
        raise(SIGKILL);
    if (strcmp(mode, "sigint") == 0) {
        signal(SIGINT, SIG_DFL); /* a shell may have started us with SIGINT ignored */
        raise(SIGINT);
    }
    if (strcmp(mode, "sigterm") == 0) {
        signal(SIGTERM, SIG_DFL);
        raise(SIGTERM);
    }
    if (strcmp(mode, "exec_true") == 0) {
        char *const args[] = {"true", NULL};
        execv("/bin/true", args);
        perror("execv /bin/true");
        _exit(99);
    }
    if (strcmp(mode, "exec_self") == 0) {
        char *const args[] = {"endings", "child", NULL};
        execv("/proc/self/exe", args);
        perror("execv /proc/self/exe");
        _exit(99);
    }
    if (strcmp(mode, "return") != 0) {
        printf("still here after %s\n", mode);
        fflush(stdout);
    }
    sink++;
}

__attribute__((noipa)) void d2(void) { end_now(); sink++; }
__attribute__((noipa)) void d1(void) { d2(); sink++; }

int main(int argc, char **argv)
{
    mode = argc > 1 ? argv[1] : "return";
    if (strcmp(mode, "child") == 0) {
        work(100);
        printf("child done\n");
        return 0;
    }
    work(1000);
    d1();
    return 0;
}
