/*
 * hotpath.c — __ctimer_enter and __ctimer_exit, the only runtime code on a timed call (a counted
 * call runs only the plugin's inline test, ctimer.h).
 *
 * Each is: one thread-local compare (and a test of the clock kind), a thread-local store that reserves
 * the words, one rdtsc, two or three stores into this thread's own chunk.  No atomic read-modify-write, no system call,
 * no lock, nothing written to memory another thread writes.  Everything else (first call of a
 * thread, full chunk, CTIMER_OFF, after shutdown) is in the slow path, queue.c.
 *
 * The words are reserved (pos advanced) before they are written, with a compiler-only fence between:
 * an instrumented signal handler that interrupts us appends its events after ours instead of
 * overwriting them.  Word 0 is stored last (stream.h) so a reader of a live chunk can tell a complete
 * event from a reserved one.
 */
#include "clock.h"
#include "counts.h"
#include "queue.h"

__thread struct ctimer_tls ctimer_tls __attribute__((tls_model("initial-exec")));

/* The stack position of the instrumented caller.  The writer compares positions to notice frames a
 * longjmp left behind (a deeper call has a lower position). */
static inline __attribute__((always_inline)) uint64_t stack_position(void)
{
#if defined(__x86_64__)
    uint64_t sp;
    __asm__ volatile("mov %%rsp, %0" : "=r"(sp));
    return sp;
#else
    return (uint64_t)(uintptr_t)__builtin_frame_address(0);
#endif
}

/*
 * The fast route reads the TSC inline.  Without an invariant TSC, every event goes through the slow
 * path, which reads CLOCK_MONOTONIC (~20 ns anyway): a clock_gettime call here would make the compiler
 * set up a stack frame on the fast route too.
 */
#if defined(__x86_64__) || defined(__i386__)
#define FAST_ROUTE(p, tl) (__builtin_expect((p) < (tl)->end && ctimer_clock_use_tsc, 1))
#define FAST_CLOCK() __builtin_ia32_rdtsc()
#else
#define FAST_ROUTE(p, tl) (__builtin_expect((p) < (tl)->end, 1))
#define FAST_CLOCK() ctimer_now()
#endif

/* sp: the stack position in __ctimer_enter itself, whatever calls it inlines or makes (the writer
 * compares the positions of calls made from the same frame). */
static inline __attribute__((always_inline)) uint64_t enter_event(struct ctimer_desc *desc, uint64_t sp)
{
    struct ctimer_tls *tl = &ctimer_tls;
    if (!FAST_ROUTE(tl->pos, tl))
        return ctimer_enter_slow(desc, sp);
    uint64_t *p = ctimer_claim(tl, CTIMER_ENTER_WORDS);
    uint64_t t = FAST_CLOCK();
    p[1] = t;
    p[2] = sp;
    ctimer_publish_word0(p, (uint64_t)(uintptr_t)desc);
    return t;
}

static inline __attribute__((always_inline)) void exit_event(uint64_t t0)
{
    struct ctimer_tls *tl = &ctimer_tls;
    if (!FAST_ROUTE(tl->pos, tl)) {
        ctimer_exit_slow(t0);
        return;
    }
    /* t0 == 0 (the enter recorded nothing) is not tested here: it only happens on a thread that is
     * not recording, whose pos == end; if it does reach a chunk the writer ignores it. */
    uint64_t *p = ctimer_claim(tl, CTIMER_EXIT_WORDS);
    p[1] = FAST_CLOCK();
    ctimer_publish_word0(p, t0 | CTIMER_EXIT_BIT);
}

/* A counted function's sampled call (the inline test's countdown went negative): the next gap is
 * picked, and t0 carries CTIMER_T0_SAMPLE so that its exit looks at how long it took (counts.c). */
static __attribute__((noinline)) uint64_t enter_sampled(struct ctimer_desc *desc, uint64_t sp)
{
    ctimer_counts_rearm();
    ctimer_sample_desc = desc;
    uint64_t t = enter_event(desc, sp);
    ctimer_sample_t0 = t;
    return t ? t | CTIMER_T0_SAMPLE : 0;
}

static __attribute__((noinline)) void exit_sampled(uint64_t t0)
{
    t0 &= ~CTIMER_T0_SAMPLE;
    exit_event(t0);
    ctimer_counts_sample_end(t0);
}

uint64_t __ctimer_enter(struct ctimer_desc *desc)
{
    if (__builtin_expect(__ctimer_counts.countdown < 0, 0))
        return enter_sampled(desc, stack_position());
    return enter_event(desc, stack_position());
}

void __ctimer_exit(uint64_t t0)
{
    if (__builtin_expect((t0 & CTIMER_T0_SAMPLE) != 0, 0)) {
        exit_sampled(t0);
        return;
    }
    exit_event(t0);
}

void __ctimer_jump(void)
{
    struct ctimer_tls *tl = &ctimer_tls;
    if (!FAST_ROUTE(tl->pos, tl)) {
        ctimer_jump_slow(stack_position());
        return;
    }
    uint64_t *p = ctimer_claim(tl, CTIMER_MARK_WORDS);
    p[1] = stack_position();
    ctimer_publish_word0(p, CTIMER_MARK_JUMP);
}
