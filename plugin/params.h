/* Plugin arguments: parsing, the filter file, and pattern matching. */
#ifndef CTIMER_PARAMS_H
#define CTIMER_PARAMS_H

#include "gcc_headers.h"

enum ctimer_placement {
  CTIMER_EARLY, /* after "cfg": every source-level call, like -finstrument-functions */
  CTIMER_LATE   /* after "optimized": only calls that survive inlining */
};

/* Which functions below min-stmts are skipped. */
enum ctimer_scope {
  CTIMER_SCOPE_LEAF,  /* functions that call nothing, loops or not */
  CTIMER_SCOPE_NOLOOP /* functions without a loop, calls or not (XRay's rule) */
};

/* The named set calls=blocking: the blocking calls of libc (locks, condition waits, I/O, sleeps,
   waits for processes). */
std::vector<std::string> ctimer_default_calls ();

struct ctimer_params {
  std::vector<std::string> include, exclude;           /* function name or STRUCT.FIELD */
  std::vector<std::string> include_file, exclude_file; /* source path */
  bool verbose = false;
  bool methods = true;      /* time calls through struct function-pointer fields */
  /* counting=on: the inline counted test before every enter (counted.cc); off: every call goes
     to the runtime and is timed, at the cost it had before counted calls existed */
  bool counting = true;
  /* Library calls timed at the call site: direct calls of functions not defined in the unit whose
     name matches one (calls=PATTERNS, "blocking" standing for the blocking libc calls, the
     default; "off" times none). */
  std::vector<std::string> calls = ctimer_default_calls ();
  /* Functions (by name) that record the thread's CPU time at entry and exit (cpu=PATTERNS), and
     that capture their first integer or pointer arguments and return value (args=PATTERNS).
     Both are always timed (min-stmts does not skip them): capture.cc. */
  std::vector<std::string> cpu, args;
  /* count=PATTERNS: functions and methods (NAME or STRUCT.FIELD) counted and never timed, from
     their thread's first recorded call on (descriptor flag CTIMER_FLAG_COUNT). */
  std::vector<std::string> count;
  enum ctimer_placement placement = CTIMER_LATE;
  int min_stmts = 0;        /* skip small functions: fewer GIMPLE statements than this */
  enum ctimer_scope min_stmts_scope = CTIMER_SCOPE_LEAF; /* ... and of this shape */
};

extern struct ctimer_params ctimer_params;

/* The option keys, comma-separated: the one list the error message and the plugin's help give. */
const char *ctimer_option_names (void);

/* Parses -fplugin-arg-ctimer-*; reports each bad argument with error().  False if any was bad. */
bool ctimer_parse_args (const struct plugin_name_args *info);

/* Whether NAME (a function, STRUCT.FIELD, or a library callee) matches count=. */
bool ctimer_count_only (const char *name);

/* Whether S matches one of the shell globs PATS. */
bool ctimer_matches_any (const std::vector<std::string> &pats, const char *s);

/* Whether a function (NAME is its name) or a method call site (NAME is "struct.field")
   whose source file is FILE passes the include/exclude rules. */
bool ctimer_selected (const char *name, const char *file);

#endif
