/* Compiled without the plugin: see callback_main.c. */
int plain_square(int x)
{
    return x * x;
}
