/* The static descriptors the plugin emits and the runtime functions it calls. */
#ifndef CTIMER_DESCRIPTORS_H
#define CTIMER_DESCRIPTORS_H

#include "gcc_headers.h"
#include "ctimer.h" /* the ABI: kinds, CTIMER_ABI_VERSION, the descriptor's section, capture flags */

/* Emits a descriptor in section "ctimer_desc" and returns its address, ready to pass to
   __ctimer_enter.  STRCT and CALLER are NULL for a function. */
tree ctimer_desc_addr (int kind, const char *name, const char *strct, const char *file,
                       const char *caller, int line, unsigned flags = 0);

/* DESC_ADDR's id field (the runtime's count slot), as an rvalue to load. */
tree ctimer_desc_id_ref (tree desc_addr);

/* t0 = __ctimer_enter (DESC_ADDR), as a statement whose lhs is a fresh temporary (an SSA name in
   SSA form), and __ctimer_exit (T0): what every instrumenter builds on. */
gcall *ctimer_build_enter (tree desc_addr, tree *t0);
gcall *ctimer_build_exit (tree t0);

tree ctimer_enter_fndecl (void);
tree ctimer_exit_fndecl (void);
tree ctimer_jump_fndecl (void);
tree ctimer_exec_fndecl (void);
/* A runtime function NAME of TYPE, as the plugin declares them all (nothrow, leaf). */
tree ctimer_runtime_fndecl (const char *name, tree type);

/* Emits, once per translation unit, a constructor that registers this module's descriptor
   section with the runtime, so that it lists even the functions never called, and tells it
   where the recorder is (the ctimer-recorder beside this plugin). */
void ctimer_build_module_ctor (void);

/* Remembers the plugin's own path (as given to -fplugin), made absolute: the recorder the
   constructor names is the file "ctimer-recorder" in the same directory. */
void ctimer_set_plugin_path (const char *plugin_path);

/* The GGC roots for the trees cached here: without them a collection frees them between
   functions (observed with --param ggc-min-expand=0). */
extern const struct ggc_root_tab ctimer_ggc_roots[];

#endif
