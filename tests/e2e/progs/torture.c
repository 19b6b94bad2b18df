/*
 * torture.c — C constructs that instrumentation must not break.  Deterministic output; ends
 * through a noreturn function calling exit(5), or, with the argument "abort", one calling abort().
 *
 * Calls made at -O0 (checked by torture.sh): classify 4, tail_sum 101, tail_outer 1, tail_inner 1,
 * is_even 10, is_odd 9, fact 10, sum_ints 1, vla_sum 1, alloca_len 1, nested_outer 1, add 3, sq 1,
 * try_dive 1, dive 6 (all left by longjmp), interp 1, spin 2, knr_add 1, make_big 1, cmul 1,
 * mean2 1, ld_half 1, asm_add 1, asm_goto 1, raise_some 1, on_signal 3 (children of raise_some),
 * torture_init 1, main 1 and finish 1 (both open at exit), and at_exit_handler 1 and
 * torture_fini 1, both children of finish.
 */
#include <alloca.h>
#include <complex.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

static volatile int sink;

/* Runs before main, possibly before the runtime has seen this file's descriptors. */
static int ctor_ran;
__attribute__((constructor)) static void torture_init(void)
{
    ctor_ran = 1;
}

/* Run by exit(), inside finish(): still recorded, as children of finish. */
__attribute__((destructor)) static void torture_fini(void)
{
    printf("destructor\n");
}

static void at_exit_handler(void)
{
    printf("atexit handler\n");
}

/* Several returns. */
NOINLINE int classify(int x)
{
    if (x < 0)
        return -1;
    if (x == 0)
        return 0;
    if (x < 10)
        return 1;
    return 2;
}

/* Tail calls: self (tail recursion) and to another function. */
NOINLINE long tail_sum(long n, long acc)
{
    if (n == 0)
        return acc;
    return tail_sum(n - 1, acc + n);
}

NOINLINE int tail_inner(int x)
{
    return x * 3;
}

NOINLINE int tail_outer(int x)
{
    return tail_inner(x + 1);
}

/* Recursion and mutual recursion. */
NOINLINE long fact(int n)
{
    return n <= 1 ? 1 : n * fact(n - 1);
}

int is_odd(int n);

NOINLINE int is_even(int n)
{
    return n == 0 ? 1 : is_odd(n - 1);
}

NOINLINE int is_odd(int n)
{
    return n == 0 ? 0 : is_even(n - 1);
}

/* Variadic. */
NOINLINE int sum_ints(int n, ...)
{
    va_list ap;
    va_start(ap, n);
    int s = 0;
    for (int i = 0; i < n; i++)
        s += va_arg(ap, int);
    va_end(ap);
    return s;
}

/* A variable-length array: the stack is saved and restored around it. */
NOINLINE long vla_sum(int n)
{
    long a[n];
    for (int i = 0; i < n; i++)
        a[i] = (long)i * i;
    long s = 0;
    for (int i = 0; i < n; i++)
        s += a[i];
    return s;
}

NOINLINE int alloca_len(const char *s)
{
    char *copy = alloca(strlen(s) + 1);
    strcpy(copy, s);
    return (int)strlen(copy);
}

/* A GNU C nested function, using its parent's variables through the static chain. */
NOINLINE int nested_outer(int k)
{
    int base = 100;
    int add(int x)
    {
        return base + x + k;
    }
    int s = 0;
    for (int i = 0; i < 3; i++)
        s += add(i);
    return s;
}

static inline int sq(int x)
{
    return x * x;
}

/* longjmp from depth: dive(5) .. dive(0) never return. */
static jmp_buf jump_buffer;

NOINLINE void dive(int n)
{
    if (n == 0)
        longjmp(jump_buffer, 42);
    dive(n - 1);
    sink++;
}

NOINLINE int try_dive(int n)
{
    int r = setjmp(jump_buffer);
    if (r == 0) {
        dive(n);
        return -1;
    }
    return r;
}

/* Computed goto: a tiny interpreter (0 halt, 1 increment, 2 double). */
NOINLINE int interp(const unsigned char *code)
{
    static const void *ops[] = { &&op_halt, &&op_inc, &&op_dbl };
    int acc = 0;
    goto *ops[*code++];
op_inc:
    acc++;
    goto *ops[*code++];
op_dbl:
    acc *= 2;
    goto *ops[*code++];
op_halt:
    return acc;
}

/* A goto to the function's first block: that block is a loop head, yet each call enters once. */
NOINLINE int spin(int n)
{
again:
    if (n > 0) {
        n -= 3;
        sink++;
        goto again;
    }
    return n;
}

/* A K&R definition. */
NOINLINE int knr_add(a, b)
int a;
int b;
{
    return a + b;
}

/* Returns in memory, in SSE and x87 registers. */
struct big {
    long v[6];
};

NOINLINE struct big make_big(long seed)
{
    struct big b;
    for (int i = 0; i < 6; i++)
        b.v[i] = seed * i;
    return b;
}

NOINLINE double complex cmul(double complex a, double complex b)
{
    return a * b;
}

NOINLINE long double ld_half(long double x)
{
    return x / 2;
}

/* Inline assembly, and asm goto. */
NOINLINE int asm_add(int a, int b)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__("addl %1, %0" : "+r"(a) : "r"(b));
    return a;
#else
    __asm__ volatile("" : "+r"(a));
    return a + b;
#endif
}

NOINLINE int asm_goto(int x)
{
    __asm__ goto("" : : : : skipped);
    return x;
skipped:
    return -x;
}

/* A signal handler, run on return from raise(): a child of the instrumented function calling it. */
static volatile sig_atomic_t signals_seen;

void on_signal(int sig)
{
    (void)sig;
    signals_seen++;
}

NOINLINE int raise_some(int n)
{
    signal(SIGUSR1, on_signal);
    for (int i = 0; i < n; i++)
        raise(SIGUSR1);
    return signals_seen;
}

NOINLINE double mean2(double a, double b)
{
    return (a + b) / 2;
}

/* noreturn. */
NOINLINE __attribute__((noreturn)) void finish(int code)
{
    printf("finish %d\n", code);
    exit(code);
}

NOINLINE __attribute__((noreturn)) void fatal(const char *why)
{
    printf("fatal: %s\n", why);
    fflush(stdout);
    abort();
}

int main(int argc, char **argv)
{
    static const unsigned char code[] = { 1, 1, 2, 1, 2, 2, 0 };
    atexit(at_exit_handler);
    printf("ctor %d\n", ctor_ran);
    printf("classify %d %d %d %d\n", classify(-5), classify(0), classify(5), classify(50));
    printf("tail %ld %d\n", tail_sum(100, 0), tail_outer(1));
    printf("even/odd %d %d\n", is_even(10), is_odd(7));
    printf("fact %ld\n", fact(10));
    printf("varargs %d\n", sum_ints(4, 1, 2, 3, 4));
    printf("vla %ld\n", vla_sum(10));
    printf("alloca %d\n", alloca_len("torture"));
    printf("nested %d\n", nested_outer(1));
    printf("inline %d\n", sq(argc + 6));
    printf("longjmp %d\n", try_dive(5));
    printf("computed goto %d\n", interp(code));
    printf("spin %d %d\n", spin(10), spin(0));
    printf("k&r %d\n", knr_add(2, 3));
    struct big b = make_big(3);
    printf("struct %ld\n", b.v[5]);
    double complex c = cmul(1 + 2 * I, 3 - I);
    printf("complex %.1f %.1f\n", creal(c), cimag(c));
    printf("double %.2f\n", mean2(1.0, 2.5));
    printf("long double %.2Lf\n", ld_half(5.0L));
    printf("asm %d %d\n", asm_add(40, 2), asm_goto(3));
    printf("signals %d\n", raise_some(3));
    if (argc > 1 && !strcmp(argv[1], "abort"))
        fatal("abort requested");
    finish(5);
}
