/* Calls plug_call (plugin_lib.c, a shared library linked at build time) 10 times. */
#include <stdio.h>

int plug_call(int x);

int main(void)
{
    int sum = 0;
    for (int i = 0; i < 10; i++)
        sum += plug_call(i);
    printf("sum %d\n", sum);
    return 0;
}
