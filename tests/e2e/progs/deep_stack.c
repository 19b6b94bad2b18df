/* deep_stack N: deep(N) recurses N + 1 frames deep (deep(N) .. deep(0)) and returns N; the deepest
   frame calls at_bottom, which notes how many bytes of stack the recursion used (printed on stderr:
   it differs between builds).  No local variable in deep: its frame is as small as -O0 makes it. */
#include <stdio.h>
#include <stdlib.h>

static char *top;
static long used;

__attribute__((noinline)) void at_bottom(void)
{
    used = (long)(top - (char *)__builtin_frame_address(0));
}

int deep(int n)
{
    if (n == 0) {
        at_bottom();
        return 0;
    }
    return deep(n - 1) + 1;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100000;
    top = __builtin_frame_address(0);
    int r = deep(n);
    printf("deep(%d) = %d\n", n, r);
    fprintf(stderr, "stack used %ld bytes, %ld per frame\n", used, used / (n + 1));
    return 0;
}
