/* args N: arguments and return values (-fplugin-arg-ctimer-args=fib,mix,nothing,shape).  fib(N)
   recursively; mix(-3, "x", 1.5, GREEN, 2^40 + 7) takes a char, a pointer, a double, an enum and a
   64-bit integer (the fifth is past the fourth: not captured) and returns an int; nothing(-2)
   returns nothing; shape(s, 9) takes a struct by value and an int and returns a double.  Prints
   fib(N), the address of the string passed to mix in decimal, and mix's result. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum color { RED, GREEN };
struct pt { int x, y; };
static volatile int sink;

long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

__attribute__((noipa)) int mix(char c, const char *p, double d, enum color e, unsigned long long u)
{
    return c + (p != 0) + (int)d + (int)e + (int)(u & 0xff);
}

__attribute__((noipa)) void nothing(short s) { sink = s; }

__attribute__((noipa)) double shape(struct pt s, int k) { return s.x * k + s.y; }

static const char text[] = "x";

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10;
    printf("%ld\n", fib(n));
    printf("%llu\n", (unsigned long long)(uintptr_t)text);
    printf("%d\n", mix(-3, text, 1.5, GREEN, (1ULL << 40) + 7));
    nothing(-2);
    struct pt s = {2, 3};
    printf("%g\n", shape(s, 9));
    return 0;
}
