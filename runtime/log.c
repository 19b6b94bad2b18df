/* log.c — see log.h.  One write per line so lines from several threads or processes never interleave. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void ctimer_log(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof buf - 2)
        n = (int)(sizeof buf - 2);
    buf[n++] = '\n';
    ssize_t r = write(2, buf, (size_t)n);
    (void)r; /* nothing sensible to do if stderr is gone */
}

void ctimer_log_line(const char *line, void *ctx)
{
    (void)ctx;
    ctimer_log("%s", line);
}
