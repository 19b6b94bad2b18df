/* For min-stmts: add1 and bump are leaves with a handful of statements; loop_sum is a leaf with
   many; wrapper is small but calls another function, so it is no leaf. */
#include <stdio.h>

static volatile int sink;

__attribute__((noinline)) int add1(int x) { return x + 1; }
__attribute__((noinline)) void bump(void) { sink++; }

__attribute__((noinline)) int loop_sum(int n)
{
    int s = 0;
    for (int i = 0; i < n; i++) {
        if (i % 3 == 0)
            s += i * i;
        else
            s -= i;
    }
    return s;
}

__attribute__((noinline)) int wrapper(int x) { return add1(x); }

int main(void)
{
    bump();
    printf("%d %d\n", loop_sum(10), wrapper(41));
    return 0;
}
