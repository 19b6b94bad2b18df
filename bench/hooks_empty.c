/*
 * hooks_empty.c — empty -finstrument-functions hooks: the cost of the instrumentation calls alone.
 * Compiled without -finstrument-functions, in its own translation unit (so the calls stay calls).
 */
#define NOINSTR __attribute__((no_instrument_function, noinline, used))

NOINSTR void __cyg_profile_func_enter(void *fn, void *site) { (void)fn; (void)site; }
NOINSTR void __cyg_profile_func_exit(void *fn, void *site) { (void)fn; (void)site; }
