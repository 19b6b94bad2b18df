/* -flto: the link-time half of the plugin, and a linker warning when it is missing. */
#ifndef CTIMER_LTO_H
#define CTIMER_LTO_H

#include "gcc_headers.h"

/* Remembers the plugin's command-line flags for the warning and, at link time, registers the
   callback that drops the warning from the unit. */
void ctimer_lto_init (const struct plugin_name_args *info);

/* At compile time under -flto (slim objects, late placement): functions will be instrumented
   when linking, so leave the linker a warning to print if the link lacks the plugin. */
void ctimer_lto_mark_unit (void);

#endif
