/* An instrumented shared library, linked into shared_main.c or loaded by dlopen_main.c. */
int plug_square(int x)
{
    return x * x;
}

int plug_call(int x)
{
    return plug_square(x) + 1;
}
