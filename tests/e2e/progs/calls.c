/* Library calls timed at the call site (-fplugin-arg-ctimer-calls): f sleeps 20 ms in usleep, g
   writes one byte 100 times to /dev/null, main opens and closes it.  Prints what it did. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

__attribute__((noinline)) void f(void) { usleep(20000); }

__attribute__((noinline)) long g(int fd)
{
    long n = 0;
    for (int i = 0; i < 100; i++)
        n += write(fd, "x", 1);
    return n;
}

int main(void)
{
    int fd = open("/dev/null", O_WRONLY);
    f();
    long n = g(fd);
    close(fd);
    printf("wrote %ld\n", n);
    return 0;
}
