/* clock.c — clock selection and tick->ns calibration.  See clock.h. */
#include "clock.h"

#include <errno.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

int ctimer_clock_use_tsc;

uint64_t ctimer_mono_now(void) { return ctimer_mono_ns(); }

int ctimer_tsc_invariant(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u)
        return 0;
    __cpuid(0x80000007u, a, b, c, d);
    return (d >> 8) & 1u;
#else
    return 0;
#endif
}

/*
 * Reads a (tick, mono) pair as close together as possible: the pair from the tightest of a few
 * tsc/mono/tsc brackets, with the tick taken as the midpoint.  Keeps the error of a 2 ms
 * calibration within ~20 ppm even if one read is interrupted.
 */
static void read_pair(uint64_t *tick, uint64_t *mono)
{
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 5; i++) {
        uint64_t t1 = ctimer_now();
        uint64_t m = ctimer_mono_ns();
        uint64_t t2 = ctimer_now();
        if (t2 - t1 < best) {
            best = t2 - t1;
            *tick = t1 + (t2 - t1) / 2;
            *mono = m;
        }
    }
}

void ctimer_clock_identity(struct ctimer_clock *c, uint64_t start_tick)
{
    c->tsc = 0;
    c->start_tick = start_tick;
    c->start_mono = start_tick;
    c->mult = UINT64_C(1) << 32;
    c->ticks_per_us = 1000.0;
    c->calibrated = 1;
}

void ctimer_clock_start(struct ctimer_clock *c, int force_mono)
{
    ctimer_clock_use_tsc = !force_mono && ctimer_tsc_invariant();
    if (!ctimer_clock_use_tsc) {
        ctimer_clock_identity(c, ctimer_mono_ns());
        return;
    }
    c->tsc = 1;
    c->calibrated = 0;
    c->mult = 0;
    c->ticks_per_us = 0;
    read_pair(&c->start_tick, &c->start_mono);
}

void ctimer_clock_calibrate(struct ctimer_clock *c)
{
    if (c->calibrated)
        return;
    uint64_t elapsed = ctimer_mono_ns() - c->start_mono;
    if (elapsed < CTIMER_CALIBRATE_NS) {
        uint64_t rest = CTIMER_CALIBRATE_NS - elapsed;
        struct timespec ts = {(time_t)(rest / 1000000000u), (long)(rest % 1000000000u)};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
    uint64_t tick, mono;
    read_pair(&tick, &mono);
    uint64_t dt = tick - c->start_tick, dm = mono - c->start_mono;
    if (dt == 0 || dm == 0) { /* cannot happen with a working TSC; fall back to 1 tick = 1 ns */
        dt = dm = 1;
    }
    c->mult = (uint64_t)(((unsigned __int128)dm << 32) / dt);
    c->ticks_per_us = (double)dt * 1000.0 / (double)dm;
    c->calibrated = 1;
}
