/*
 * capture.c — program side: the entry points of functions that record more than their time, the
 * thread's CPU time (cpu=) and arguments with the return value (args=).  See ctimer.h and
 * docs/runtime-design.md, "Captured values".
 *
 * Only functions compiled with those options call these; everything else keeps hotpath.c's
 * __ctimer_enter / __ctimer_exit, which this file does not touch.  Each call writes its enter or exit
 * and the markers that belong to it (stream.h) as one group: claimed in one instruction, word 0 of the
 * group stored last, so a reader never sees a marker without its event, and a signal handler's events
 * land before or after the whole group.
 *
 * The CPU clock is CLOCK_THREAD_CPUTIME_ID.  It is a system call (the vDSO does not serve thread
 * clocks): 620-690 ns here.  What was measured against it is in README, "CPU time".
 */
#include <errno.h>
#include <time.h>

#include "clock.h"
#include "queue.h"
#include "runtime.h"

/*
 * The stack position an enter records must be the one __ctimer_enter would record for the same
 * caller (its rsp at entry: it has no stack frame), or the recorder would take this frame for one a
 * longjmp left when the caller's next timed call comes from a higher position.  These entry points
 * have frames of their own, so they give their CFA (the caller's rsp before the call) minus the
 * return address's 8 bytes, read in the exported function itself.
 */
#define CALLER_POSITION() ((uint64_t)(uintptr_t)__builtin_dwarf_cfa() - sizeof(void *))

/* The words a group of n words may use: the fast route, or the slow path's reservation (NULL: this
 * call is not recorded).  *slow says which; the slow path runs with tl->busy set and errno saved,
 * undone by group_done. */
static uint64_t *group_claim(struct ctimer_tls *tl, size_t n, int enter, int *slow, int *saved_errno)
{
    *slow = 0;
#if defined(__x86_64__) || defined(__i386__)
    size_t over = n > CTIMER_ENTER_WORDS ? n - CTIMER_ENTER_WORDS : 0;
    if (__builtin_expect(tl->pos + over < tl->end && ctimer_clock_use_tsc, 1))
        return ctimer_claim(tl, n);
#endif
    int st = atomic_load_explicit(&ctimer_rt.state, memory_order_relaxed);
    if (st != CTIMER_ST_RUNNING && !(enter && st == CTIMER_ST_UNINIT))
        return NULL;
    if (tl->busy) { /* a signal handler interrupted the slow path: counted, reported later */
        if (enter && st == CTIMER_ST_RUNNING)
            __atomic_fetch_add(&tl->lost, 1, __ATOMIC_RELAXED);
        return NULL;
    }
    *slow = 1;
    *saved_errno = errno;
    tl->busy = 1;
    uint64_t *p = ctimer_reserve_slow(tl, n, enter);
    if (!p) {
        tl->busy = 0;
        errno = *saved_errno;
        *slow = 0;
    }
    return p;
}

static inline void group_done(struct ctimer_tls *tl, int slow, int saved_errno)
{
    if (slow) {
        tl->busy = 0;
        errno = saved_errno;
    }
}

static inline uint64_t group_clock(int slow)
{
#if defined(__x86_64__) || defined(__i386__)
    if (!slow)
        return __builtin_ia32_rdtsc();
#endif
    (void)slow;
    return ctimer_now();
}

/* enter [+ cpu] [+ args]: the wall clock first, the CPU clock after it, so that the CPU clock's own
 * cost falls inside the call's wall time. */
static uint64_t enter_group(struct ctimer_desc *desc, uint32_t flags, const uint64_t a[4], uint64_t sp)
{
    struct ctimer_tls *tl = &ctimer_tls;
    int cpu = (flags & CTIMER_CAPTURE_CPU) != 0, args = (flags & CTIMER_CAPTURE_ARGS_MASK) != 0;
    size_t n = CTIMER_ENTER_WORDS + (cpu ? CTIMER_MARK_WORDS : 0) + (args ? CTIMER_ARGS_WORDS : 0);
    int slow, saved_errno = 0;
    uint64_t *p = group_claim(tl, n, 1, &slow, &saved_errno);
    if (!p)
        return 0;
    uint64_t t = group_clock(slow);
    p[1] = t;
    p[2] = sp;
    uint64_t *m = p + CTIMER_ENTER_WORDS;
    if (cpu) {
        m[0] = CTIMER_MARK_CPU_IN;
        m[1] = ctimer_thread_cpu_ns();
        m += CTIMER_MARK_WORDS;
    }
    if (args) {
        m[0] = CTIMER_MARK_ARGS;
        m[1] = flags & CTIMER_CAPTURE_ARGS_MASK;
        for (int i = 0; i < 4; i++)
            m[2 + i] = (flags & CTIMER_CAPTURE_ARG(i)) ? a[i] : 0;
    }
    ctimer_publish_word0(p, (uint64_t)(uintptr_t)desc);
    group_done(tl, slow, saved_errno);
    return t;
}

/* [ret +] [cpu +] exit: the CPU clock before the wall clock, for the same reason. */
static void exit_group(uint64_t t0, uint32_t flags, uint64_t ret)
{
    if (t0 == 0)
        return; /* the enter recorded nothing */
    struct ctimer_tls *tl = &ctimer_tls;
    int cpu = (flags & CTIMER_CAPTURE_CPU) != 0, has_ret = (flags & CTIMER_CAPTURE_RET) != 0;
    size_t n = CTIMER_EXIT_WORDS + (cpu ? CTIMER_MARK_WORDS : 0) + (has_ret ? CTIMER_MARK_WORDS : 0);
    int slow, saved_errno = 0;
    uint64_t *p = group_claim(tl, n, 0, &slow, &saved_errno);
    if (!p)
        return;
    uint64_t *m = p;
    uint64_t w0 = 0;
    if (has_ret) {
        w0 = CTIMER_MARK_RET;
        m[1] = ret;
        m += CTIMER_MARK_WORDS;
    }
    if (cpu) {
        if (m != p)
            m[0] = CTIMER_MARK_CPU_OUT;
        else
            w0 = CTIMER_MARK_CPU_OUT;
        m[1] = ctimer_thread_cpu_ns();
        m += CTIMER_MARK_WORDS;
    }
    m[1] = group_clock(slow);
    if (m != p)
        m[0] = t0 | CTIMER_EXIT_BIT;
    else
        w0 = t0 | CTIMER_EXIT_BIT;
    ctimer_publish_word0(p, w0);
    group_done(tl, slow, saved_errno);
}

uint64_t __ctimer_enter_cpu(struct ctimer_desc *desc)
{
    static const uint64_t none[4];
    return enter_group(desc, CTIMER_CAPTURE_CPU, none, CALLER_POSITION());
}

void __ctimer_exit_cpu(uint64_t t0) { exit_group(t0, CTIMER_CAPTURE_CPU, 0); }

uint64_t __ctimer_enter_args(struct ctimer_desc *desc, uint32_t flags, uint64_t a0, uint64_t a1, uint64_t a2,
                             uint64_t a3)
{
    const uint64_t a[4] = {a0, a1, a2, a3};
    return enter_group(desc, flags, a, CALLER_POSITION());
}

void __ctimer_exit_args(uint64_t t0, uint32_t flags, uint64_t ret) { exit_group(t0, flags, ret); }
