/*
 * ctimer.so — a GCC plugin that times C functions and struct-method calls.
 *
 * At the entry and every exit of each function defined in the translation unit, and around each
 * indirect call through a struct field of function-pointer type, it inserts calls to libctimer,
 * which writes one row per call into SQLite.  Each timed function or call site gets a static
 * descriptor (name, struct, file, line, kind) in the section "ctimer_desc".
 *
 * Options (-fplugin-arg-ctimer-KEY[=VALUE]; patterns are comma-separated shell globs):
 *   include=PATTERNS       time only functions (name) or methods (STRUCT.FIELD) matching one
 *   exclude=PATTERNS       never time those; exclude wins over include
 *   include-file=PATTERNS  time only code whose source path matches one
 *   exclude-file=PATTERNS  never time code whose source path matches one
 *   filter=FILE            the same rules from FILE: "+pattern", "-pattern", "+file:pattern",
 *                          "-file:pattern", one per line, "#" comments
 *   verbose                list each instrumented function (file:line: name) and method call site
 *                          (file:line: struct.field (call site in function F)) on stderr
 *   placement=late|early   late (default): after inlining, only real calls are timed;
 *                          early: every source-level call, like -finstrument-functions
 *   methods=on|off         time calls through struct function-pointer fields (default on)
 *   calls=blocking|PATTERNS|off
 *                          time direct calls of library functions at the call site; blocking
 *                          (default): libc's locks, waits, I/O and sleeps
 *   cpu=PATTERNS           these functions also record the thread's CPU time (capture.cc)
 *   args=PATTERNS          these functions also record up to 4 integer or pointer arguments and
 *                          the integer return value
 *   min-stmts=N            skip small functions: fewer than N GIMPLE statements, counted where
 *                          the pass runs (after inlining when late); default 0, none skipped
 *   min-stmts-scope=leaf|noloop
 *                          which small functions: leaf (default) those that call nothing;
 *                          noloop those without a loop, leaf or not (XRay's rule)
 *
 * Always skipped: functions from system headers, __attribute__((no_instrument_function)) and
 * naked functions, IFUNC resolvers, and the runtime's own functions (__ctimer*, ctimer_*).
 *
 * Usage:
 *   gcc -fplugin=/path/to/ctimer.so -fplugin-arg-ctimer-include='parse_*' app.c -lctimer
 *   gcc $(pkg-config --cflags ctimer) app.c $(pkg-config --libs ctimer)
 */

#include "gcc_headers.h"
#include "plugin-version.h"
#include "params.h"
#include "descriptors.h"
#include "pass.h"
#include "lto.h"
#include "capture.h"

int plugin_is_GPL_compatible;

static struct plugin_info ctimer_info = { "0.1.0", NULL /* set from ctimer_option_names () */ };

int
plugin_init (struct plugin_name_args *info, struct plugin_gcc_version *version)
{
  if (!plugin_default_version_check (version, &gcc_version))
    {
      error ("ctimer: %s was built for GCC %s (%s) but is loaded by GCC %s (%s); rebuild ctimer "
             "with this compiler", info->full_name, gcc_version.basever, gcc_version.datestamp,
             version->basever, version->datestamp);
      return 1;
    }
  if (!ctimer_parse_args (info))
    return 1;
  ctimer_set_plugin_path (info->full_name);

  ctimer_lto_init (info);
  static std::string help = std::string ("Times functions and struct-method calls into SQLite. "
                                         "Options: ") + ctimer_option_names ();
  ctimer_info.help = help.c_str ();
  register_callback (info->base_name, PLUGIN_INFO, NULL, &ctimer_info);
  register_callback (info->base_name, PLUGIN_REGISTER_GGC_ROOTS, NULL,
                     (void *) ctimer_ggc_roots);
  register_callback (info->base_name, PLUGIN_REGISTER_GGC_ROOTS, NULL,
                     (void *) ctimer_capture_ggc_roots);
  ctimer_register_pass (info->base_name);
  return 0;
}
