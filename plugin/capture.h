/* What a function records besides its time: the thread's CPU time (cpu=) and its arguments and
   return value (args=).  The pass asks here which entry and exit calls a function gets; functions
   without these options keep __ctimer_enter / __ctimer_exit and cost nothing more.  */
#ifndef CTIMER_CAPTURE_H
#define CTIMER_CAPTURE_H

#include "gcc_headers.h"

struct ctimer_capture
{
  bool cpu = false;   /* cpu=: __ctimer_enter_cpu / __ctimer_exit_cpu */
  unsigned flags = 0; /* args=: CTIMER_CAPTURE_ARG(i) and CTIMER_CAPTURE_RET (ctimer.h); with cpu,
                         CTIMER_CAPTURE_CPU too.  0: no args= */
  bool args = false;  /* args= named the function (flags may still be 0: nothing capturable) */
};

/* Whether the function NAME in FILE must always be timed with its own entry and exit calls, never
   skipped or counted only: cpu= or args= names it. */
bool ctimer_always_timed (const char *name, const char *file);

/* What FUN (the body of source function SRC, named NAME) captures; with verbose, says so on
   stderr.  A clone whose parameters GCC changed (.isra, .constprop) captures no arguments, and its
   return value only if it still has the source's return type.  */
ctimer_capture ctimer_capture_for (function *fun, tree src, const char *name);

/* The statements that enter FUN (t0 = __ctimer_enter... (DESC_ADDR, ...)), for the edge out of the
   entry block; *T0 is the timestamp to hand to the exits.  */
gimple_seq ctimer_build_fn_enter (function *fun, const ctimer_capture &c, tree desc_addr, tree *t0);
/* The statements that exit FUN before the return RET (__ctimer_exit... (t0, ...)).  */
gimple_seq ctimer_build_fn_exit (function *fun, const ctimer_capture &c, gimple *ret, tree t0);

extern const struct ggc_root_tab ctimer_capture_ggc_roots[];

#endif
