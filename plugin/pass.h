/* The instrumentation pass. */
#ifndef CTIMER_PASS_H
#define CTIMER_PASS_H

#include "gcc_headers.h"

/* Registers the pass at the placement chosen by ctimer_params. */
void ctimer_register_pass (const char *plugin_name);

/* Wraps each struct-method call in FUN with enter/exit (methods.cc).  Returns how many. */
unsigned ctimer_instrument_methods (function *fun, const char *caller);

#endif
