/*
 * hooks_count.c — counting -finstrument-functions hooks: how many calls the -finstrument-functions
 * variant really instruments.  Linked into an untimed counting build only; prints
 * "CTIMER_BENCH_COUNT calls=N" on stderr at exit.
 */
#include <stdio.h>

#define NOINSTR __attribute__((no_instrument_function, noinline, used))

static unsigned long long calls;

NOINSTR void __cyg_profile_func_enter(void *fn, void *site)
{
    (void)fn;
    (void)site;
    __atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED);
}
NOINSTR void __cyg_profile_func_exit(void *fn, void *site) { (void)fn; (void)site; }

__attribute__((destructor)) NOINSTR static void report(void)
{
    fprintf(stderr, "CTIMER_BENCH_COUNT calls=%llu\n", __atomic_load_n(&calls, __ATOMIC_RELAXED));
}
