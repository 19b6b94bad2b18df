/* main calls leaf 100 times, then d1 -> d2 -> d3 -> d4 -> d5, each calling leaf once on the way
   down, and d5 calls exit(3): 105 completed calls, and main, d1..d5 (depths 0..5) still open. */
#include <stdio.h>
#include <stdlib.h>

static volatile int sink;

__attribute__((noinline)) void leaf(int i) { sink += i; }
__attribute__((noinline)) void d5(void) { leaf(5); printf("exiting from d5\n"); exit(3); }
__attribute__((noinline)) void d4(void) { leaf(4); d5(); sink++; }
__attribute__((noinline)) void d3(void) { leaf(3); d4(); sink++; }
__attribute__((noinline)) void d2(void) { leaf(2); d3(); sink++; }
__attribute__((noinline)) void d1(void) { leaf(1); d2(); sink++; }

int main(void)
{
    for (int i = 0; i < 100; i++)
        leaf(i);
    d1();
    return 0;
}
