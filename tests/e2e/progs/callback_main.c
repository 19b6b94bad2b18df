/* A callback into code compiled without the plugin (callback_plain.c): each of the 5 calls through
   hook.cb is timed at the call site, and has no child row. */
#include <stdio.h>

int plain_square(int x);

struct hook {
    const char *name;
    int (*cb)(int);
};

static int fire(const struct hook *h, int x)
{
    return h->cb(x);
}

int main(void)
{
    struct hook h = { "square", plain_square };
    int sum = 0;
    for (int i = 1; i <= 5; i++)
        sum += fire(&h, i);
    printf("%s sum %d\n", h.name, sum);
    return 0;
}
