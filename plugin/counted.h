/* The inline counted path around enter and exit (counted.cc). */
#ifndef CTIMER_COUNTED_H
#define CTIMER_COUNTED_H

#include "gcc_headers.h"

/* Whether this target gets the inline test (x86-64, LP64); elsewhere every call is timed. */
bool ctimer_counted_path_available (void);

/* t0 = (counted inline ? 0 : __ctimer_enter (DESC_ADDR)), placed on edge E or before STMT.
   With COUNTED_PATH false (or no inline test on this target) it is the enter call alone.
   COUNT_ONLY: the descriptor says count= (never sampled).  Returns t0. */
tree ctimer_insert_enter_on_edge (edge e, tree desc_addr, bool counted_path, bool count_only);
tree ctimer_insert_enter_before (gimple *stmt, tree desc_addr, bool counted_path, bool count_only);

/* if (t0 != 0) __ctimer_exit (t0), before STMT or on edge E (the test only with COUNTED_PATH). */
void ctimer_insert_exit_before (gimple *stmt, tree t0, bool counted_path);
void ctimer_insert_exit_on_edge (edge e, tree t0, bool counted_path);

#endif
