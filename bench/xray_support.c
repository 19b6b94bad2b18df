/*
 * xray_support.c — linked into the XRay builds, not instrumented itself.  Two jobs:
 *
 * 1. FDR mode.  XRAY_OPTIONS="xray_mode=xray-fdr" only *selects* FDR mode: unlike basic mode, FDR is
 *    not initialized by the runtime, so the patched sleds would call no handler and no log would
 *    ever be written.  A program using FDR initializes it (__xray_log_init_mode) and at the end
 *    finalizes and flushes it (FDR keeps its records in memory until then).  This file does both,
 *    so the benchmark's FDR time includes recording and writing the log, as a real user's would.
 *    Basic mode initializes itself and writes its log as it goes, flushing at exit.
 *
 * 2. Counting (CTB_XRAY_COUNT=1, without XRAY_OPTIONS): installs a handler that counts function
 *    entries, patches the sleds, and prints "CTIMER_BENCH_COUNT calls=N" on stderr at exit: the
 *    number of calls XRay instruments in this very binary.  Untimed.
 *
 * The XRay headers are C++ only; the C entry points are declared here, with the enum values of
 * xray/xray_interface.h and xray/xray_log_interface.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CTB_XRAY_LOG_INITIALIZED = 2, CTB_XRAY_LOG_FINALIZED = 4, CTB_XRAY_LOG_FLUSHED = 2 };
enum { CTB_XRAY_ENTRY = 0, CTB_XRAY_LOG_ARGS_ENTRY = 3 };
enum { CTB_XRAY_PATCHING_SUCCESS = 1 };

int __xray_log_init_mode(const char *mode, const char *config);
int __xray_log_finalize(void);
int __xray_log_flushLog(void);
int __xray_set_handler(void (*entry)(int32_t, int));
int __xray_patch(void);

#define CTB_NOINSTR __attribute__((xray_never_instrument, no_instrument_function))

static int fdr_on, counting;
static unsigned long long calls;

static CTB_NOINSTR void count_entry(int32_t fid, int type)
{
    (void)fid;
    if (type == CTB_XRAY_ENTRY || type == CTB_XRAY_LOG_ARGS_ENTRY)
        __atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED);
}

/* Priority 65535: after the XRay runtime's own initializers (which register the modes). */
__attribute__((constructor(65535))) CTB_NOINSTR static void ctb_xray_init(void)
{
    const char *count = getenv("CTB_XRAY_COUNT");
    if (count && strcmp(count, "1") == 0) {
        int h = __xray_set_handler(count_entry), p = __xray_patch();
        if (h != 1 || p != CTB_XRAY_PATCHING_SUCCESS) {
            fprintf(stderr, "xray_support: could not install the counting handler (%d, %d)\n", h, p);
            return;
        }
        counting = 1;
        return;
    }
    const char *o = getenv("XRAY_OPTIONS");
    if (!o || !strstr(o, "xray_mode=xray-fdr"))
        return;
    int st = __xray_log_init_mode("xray-fdr", "");
    if (st != CTB_XRAY_LOG_INITIALIZED) {
        fprintf(stderr, "xray_support: __xray_log_init_mode(xray-fdr) returned %d\n", st);
        return;
    }
    fdr_on = 1;
}

__attribute__((destructor)) CTB_NOINSTR static void ctb_xray_fini(void)
{
    if (counting)
        fprintf(stderr, "CTIMER_BENCH_COUNT calls=%llu\n", __atomic_load_n(&calls, __ATOMIC_RELAXED));
    if (!fdr_on)
        return;
    int st = __xray_log_finalize();
    if (st != CTB_XRAY_LOG_FINALIZED) {
        fprintf(stderr, "xray_support: __xray_log_finalize returned %d\n", st);
        return;
    }
    st = __xray_log_flushLog();
    if (st != CTB_XRAY_LOG_FLUSHED)
        fprintf(stderr, "xray_support: __xray_log_flushLog returned %d\n", st);
}
