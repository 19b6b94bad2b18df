/* setjmp in main; 1000 times, recurse(49) goes 50 frames deep (depths 1..50) and longjmps back to
   main from the deepest; then main calls after() 1000 times (depth 1, parent main). */
#include <setjmp.h>
#include <stdio.h>

static jmp_buf env;
static volatile long sink;

__attribute__((noipa, noinline, noclone)) void recurse(int n)
{
    volatile int pad = n; /* and the add after the call: no tail call, no loop */
    if (n == 0)
        longjmp(env, 1);
    recurse(n - 1);
    sink += pad;
}

__attribute__((noipa, noinline, noclone)) void after(long i) { sink += i; }

int main(void)
{
    volatile int jumps = 0;
    for (volatile int i = 0; i < 1000; i++)
        if (setjmp(env) == 0)
            recurse(49);
        else
            jumps++;
    for (long i = 0; i < 1000; i++)
        after(i);
    printf("jumps %d\n", jumps);
    return 0;
}
