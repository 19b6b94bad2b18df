/*
 * capture.c — recorder side: the markers of functions compiled with cpu= or args= (stream.h), and
 * what they add to a call's row: cpu_ns, and a "<t>_args" row.  See docs/runtime-design.md,
 * "Captured values".  The rest of the decoding is writer.c.
 *
 * Entry markers (cpu in, args) belong to the enter right before them; exit markers (ret, cpu out) to
 * the exit right after them.  The program writes each group in one claim, so anything else between
 * them is damage: an entry marker that does not follow an enter is ignored, and exit markers not
 * followed by their exit are forgotten at the next event (writer.c clears t->pend).  A value is
 * used only where it makes sense (a CPU time at exit not below the one at entry, flags naming
 * arguments 0..3 only); others are ignored, so the row shows NULL.
 *
 * A thread's tcpu markers, the first when it starts recording and the last at its end, give its
 * cpu_ns and wall_ns in "<t>_threads" over the same span.
 */
#include "writer_state.h"

#include <string.h>

#include "grow.h"
#include "stream.h"

/* The capture entry of the innermost frame, new if it has none; NULL when out of memory. */
static struct capture_entry *top_entry(struct ctimer_wthread *t)
{
    struct frame *f = &t->st[t->n - 1];
    if (f->cap & CAP_INDEX)
        return &t->caps[(f->cap & CAP_INDEX) - 1];
    if (ctimer_grow((void **)&t->caps, &t->caps_cap, t->ncaps + 1, sizeof *t->caps, 16) != 0)
        return NULL;
    struct capture_entry *c = &t->caps[t->ncaps++];
    memset(c, 0, sizeof *c);
    f->cap |= (uint32_t)t->ncaps;
    return c;
}

void ctimer_capture_marker(struct ctimer_writer *w, struct ctimer_wthread *t, const uint64_t *e)
{
    (void)w;
    uint64_t mark = e[0];
    if (mark == CTIMER_MARK_THREAD_CPU) {
        if (!t->tcpu_seen++) {
            t->thread_cpu0 = e[1];
            t->thread_ts0 = e[2];
        }
        t->thread_cpu = e[1];
        t->thread_ts = e[2];
        return;
    }
    if (mark == CTIMER_MARK_RET || mark == CTIMER_MARK_CPU_OUT) {
        t->after_enter = 0;
        if (mark == CTIMER_MARK_RET) {
            t->pend |= PEND_RET;
            t->pend_ret = e[1];
        } else {
            t->pend |= PEND_CPU;
            t->pend_cpu = e[1];
        }
        return;
    }
    /* cpu in, args: only right after an enter, which pushed the frame they describe */
    if (!t->after_enter || !t->n)
        return;
    struct capture_entry *c = top_entry(t);
    if (!c)
        return;
    if (mark == CTIMER_MARK_CPU_IN) {
        c->cpu0 = e[1];
        c->flags |= CAPTURED_CPU;
    } else if (mark == CTIMER_MARK_ARGS && e[1] && (e[1] & ~(uint64_t)CTIMER_CAPTURE_ARGS_MASK) == 0) {
        c->flags |= (uint32_t)e[1];
        memcpy(c->a, e + 2, sizeof c->a);
    }
}

int ctimer_capture_close(struct ctimer_wthread *t, struct frame *f, struct frame *parent, int unfinished,
                         int64_t *cpu, struct pending_args *args, int *has_args)
{
    *cpu = -1;
    *has_args = 0;
    int force = (f->cap & CAP_FORCE_ROW) != 0;
    uint32_t idx = f->cap & CAP_INDEX;
    if (idx && idx <= t->ncaps) {
        const struct capture_entry *c = &t->caps[idx - 1];
        if (!unfinished && (c->flags & CAPTURED_CPU) && (t->pend & PEND_CPU) && t->pend_cpu >= c->cpu0)
            *cpu = (int64_t)(t->pend_cpu - c->cpu0);
        if (c->flags & CTIMER_CAPTURE_ARGS_MASK) {
            *has_args = 1;
            force = 1;
            args->id = f->id;
            memcpy(args->a, c->a, sizeof args->a);
            args->flags = c->flags & CTIMER_CAPTURE_ARGS_MASK;
            args->ret = 0;
            if (!unfinished && (t->pend & PEND_RET)) {
                args->flags |= CTIMER_CAPTURE_RET;
                args->ret = t->pend_ret;
            }
        }
        t->ncaps = idx - 1; /* entries are in stack order: f's is the last */
    }
    if (force && parent)
        parent->cap |= CAP_FORCE_ROW;
    return force;
}
