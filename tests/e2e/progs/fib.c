/* fib(N) (default 25) makes 2 * F(N + 1) - 1 calls of fib: 242 785 for N = 25. */
#include <stdio.h>
#include <stdlib.h>

int fib(int n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 25;
    printf("fib(%d) = %d\n", n, fib(n));
    return 0;
}
