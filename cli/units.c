/* units.c — durations, counts and percentages as people read them. */
#include <math.h>
#include <stdio.h>

#include "cli.h"

/* Three significant digits. */
static void sig3(char *out, size_t n, double v, const char *unit)
{
    const char *fmt = v < 9.995 ? "%.2f %s" : v < 99.95 ? "%.1f %s" : "%.0f %s";
    snprintf(out, n, fmt, v, unit);
}

void fmt_ns(char *out, size_t n, double ns)
{
    double a = fabs(ns);
    if (a < 999.5)
        snprintf(out, n, "%.0f ns", ns);
    else if (a < 999.5e3)
        sig3(out, n, ns / 1e3, "\xc2\xb5s"); /* µs */
    else if (a < 999.5e6)
        sig3(out, n, ns / 1e6, "ms");
    else
        sig3(out, n, ns / 1e9, "s");
}

void fmt_count(char *out, size_t n, int64_t v)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? -v : v));
    size_t o = 0;
    if (v < 0 && o + 1 < n)
        out[o++] = '-';
    for (int i = 0; i < len && o + 1 < n; i++) {
        if (i > 0 && (len - i) % 3 == 0 && o + 1 < n)
            out[o++] = ',';
        if (o + 1 < n)
            out[o++] = digits[i];
    }
    out[o] = 0;
}

void fmt_pct(char *out, size_t n, double before, double after)
{
    if (before == 0 && after == 0)
        snprintf(out, n, "0.0%%");
    else if (before == 0)
        snprintf(out, n, "new");
    else if (after == 0)
        snprintf(out, n, "gone");
    else
        snprintf(out, n, "%+.1f%%", 100.0 * (after - before) / before);
}
