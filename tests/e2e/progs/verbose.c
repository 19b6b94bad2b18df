/* Every line marked "@ TEXT" is one that -fplugin-arg-ctimer-verbose must print as
   "FILE:LINE: TEXT", and no other. */
#include <stdio.h>

struct greeter {
    void (*greet)(const char *who);
};

static void hello(const char *who) /* @ hello */
{
    printf("hello %s\n", who);
}

static int square(int x) /* @ square */
{
    return x * x;
}

/* Not instrumented: never emitted, or opted out. */
static inline int unused_inline(int x)
{
    return x;
}

__attribute__((no_instrument_function)) static int untimed(int x)
{
    return x + 1;
}

int main(void) /* @ main */
{
    struct greeter g = { hello };
    g.greet("world"); /* @ greeter.greet (call site in function main) */
    return square(untimed(2)) - 9;
}
