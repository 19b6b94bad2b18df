/* Loads the shared library named by argv[1] (plugin_lib.c), calls plug_call 10 times, unloads it,
   and carries on calling instrumented code of its own. */
#include <dlfcn.h>
#include <stdio.h>

__attribute__((noinline)) int after(int x) { return x + 1; }

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    void *lib = dlopen(argv[1], RTLD_NOW);
    if (!lib) {
        printf("dlopen: %s\n", dlerror());
        return 1;
    }
    int (*plug_call)(int) = (int (*)(int))dlsym(lib, "plug_call");
    int sum = 0;
    for (int i = 0; i < 10; i++)
        sum += plug_call(i);
    dlclose(lib);
    for (int i = 0; i < 10; i++)
        sum = after(sum);
    printf("sum %d\n", sum);
    return 0;
}
