/* Call sites timed where they are: struct-method calls, and library calls (calls=).
 *
 * Struct-method call sites: indirect calls whose callee is loaded from a struct or union field of
 * pointer-to-function type, e.g. s->ops->area(s), (*s->fn)(x), arr[i].cb(i).
 *
 * Library calls: direct calls of a function not defined in the unit whose name matches a calls=
 * pattern (by default the blocking calls of libc: locks, condition waits, I/O, sleeps), kind CALL,
 * named after the callee.  Their time is then the callee's row, a child of the calling function,
 * instead of hiding in the caller's self time.
 *
 * Each is wrapped as
 *     t0 = __ctimer_enter (&site_desc);  call;  __ctimer_exit (t0);
 * with a descriptor of kind METHOD naming the struct (tag, or typedef for an anonymous struct),
 * the field, and the function holding the call site.  The call is timed at the call site, so the
 * target may be anything: a library callback, a function in another shared object, code compiled
 * without the plugin.
 *
 * This runs at the early placement ("cfg") whatever the function placement: optimisers later
 * devirtualise or inline some of these calls, and a method call must stay timed as written.
 * By "cfg" the gimplifier's temporaries are SSA names: `_2 = _1->area; _2 (s);`.  A call through a
 * plain function-pointer variable is not a method and is left alone; so is a call through a
 * named const table (`ops.area ()`), which the front end has already folded to a direct call.  */

#include "pass.h"
#include "params.h"
#include "descriptors.h"
#include "counted.h"

static bool
is_function_pointer (tree type)
{
  return POINTER_TYPE_P (type) && TREE_CODE (TREE_TYPE (type)) == FUNCTION_TYPE;
}

/* The struct's name: its tag, or the typedef through which the object was accessed when the
   struct is anonymous.  An anonymous struct nested in another is named by its path from the
   outer one ("holder.nested"); one with no name at all is "". */
static std::string
struct_name (tree field, tree object)
{
  tree types[] = { TYPE_MAIN_VARIANT (DECL_CONTEXT (field)), TREE_TYPE (object) };
  for (tree t : types)
    {
      tree name = t ? TYPE_NAME (t) : NULL_TREE;
      if (name && TREE_CODE (name) == TYPE_DECL)
        name = DECL_NAME (name);
      if (name && TREE_CODE (name) == IDENTIFIER_NODE)
        return IDENTIFIER_POINTER (name);
    }
  if (TREE_CODE (object) == COMPONENT_REF && DECL_NAME (TREE_OPERAND (object, 1)))
    {
      std::string outer = struct_name (TREE_OPERAND (object, 1), TREE_OPERAND (object, 0));
      if (!outer.empty ())
        return outer + "." + IDENTIFIER_POINTER (DECL_NAME (TREE_OPERAND (object, 1)));
    }
  return "";
}

/* The COMPONENT_REF that CALLEE was loaded from, if any. */
static tree
method_ref (tree callee)
{
  if (!callee || TREE_CODE (callee) != SSA_NAME)
    return NULL_TREE;
  gimple *def = SSA_NAME_DEF_STMT (callee);
  if (!def || !is_gimple_assign (def) || !gimple_assign_single_p (def))
    return NULL_TREE;
  tree rhs = gimple_assign_rhs1 (def);
  if (TREE_CODE (rhs) != COMPONENT_REF)
    return NULL_TREE;
  tree field = TREE_OPERAND (rhs, 1);
  return TREE_CODE (field) == FIELD_DECL && is_function_pointer (TREE_TYPE (field)) ? rhs
                                                                                   : NULL_TREE;
}

/* The exit after CALL: on the fall-through edge when the call ends its block (it may throw, or
   the function calls setjmp), else on the edge to a block split off right after it. */
static void
insert_exit_after_call (gcall *call, tree t0)
{
  if (!stmt_ends_bb_p (call))
    {
      ctimer_insert_exit_on_edge (split_block (gimple_bb (call), call), t0, true);
      return;
    }
  edge e;
  edge_iterator ei;
  FOR_EACH_EDGE (e, ei, gimple_bb (call)->succs)
    if (!(e->flags & (EDGE_EH | EDGE_ABNORMAL)))
      {
        ctimer_insert_exit_on_edge (e, t0, true);
        return;
      }
}

/* Wraps CALL in an enter/exit pair with descriptor DESC (with the inline counted test). */
static void
wrap_call (gcall *call, tree desc, bool count_only)
{
  tree t0 = ctimer_insert_enter_before (call, desc, true, count_only);
  gimple_call_set_tail (call, false);
  insert_exit_after_call (call, t0);
}

/* The library function CALL calls directly, named as calls= patterns see it, or NULL: the callee
   must not be defined in this unit (an extern inline wrapper from a system header, as
   _FORTIFY_SOURCE makes of read, counts as the library's), and GCC's own builtins and the runtime's
   functions are never timed.  The fortified entry points (__read_chk, ...) are named after the
   function they check.  */
static std::string
library_callee (gcall *call)
{
  tree fn = gimple_call_fndecl (call);
  if (!fn || !DECL_NAME (fn) || gimple_call_internal_p (call))
    return "";
  bool defined_here = DECL_INITIAL (fn) && !DECL_EXTERNAL (fn)
                      && !in_system_header_at (DECL_SOURCE_LOCATION (fn));
  if (defined_here)
    return "";
  std::string name = IDENTIFIER_POINTER (DECL_NAME (fn));
  if (name.compare (0, 10, "__builtin_") == 0 || name.compare (0, 8, "__ctimer") == 0)
    return "";
  for (const char *suffix : {"_chk", "_alias"})
    {
      size_t n = strlen (suffix);
      if (name.size () > n + 2 && name.compare (0, 2, "__") == 0
          && name.compare (name.size () - n, n, suffix) == 0)
        name = name.substr (2, name.size () - n - 2);
    }
  return name;
}

/* A direct call of a library function that calls= names: timed at the call site, kind CALL. */
static bool
wrap_library_call (gcall *call, const char *caller)
{
  std::string name = library_callee (call);
  if (name.empty () || !ctimer_matches_any (ctimer_params.calls, name.c_str ()))
    return false;
  expanded_location loc = expand_location (gimple_location (call));
  const char *file = loc.file ? loc.file : DECL_SOURCE_FILE (current_function_decl);
  if (ctimer_matches_any (ctimer_params.exclude, name.c_str ())
      || ctimer_matches_any (ctimer_params.exclude_file, file))
    return false;
  bool count_only = ctimer_count_only (name.c_str ());
  if (ctimer_params.verbose)
    fprintf (stderr, "%s:%d: call %s (call site in function %s)%s\n", file, loc.line, name.c_str (),
             caller, count_only ? " [counted, never timed: count=]" : "");
  wrap_call (call,
             ctimer_desc_addr (CTIMER_KIND_CALL, name.c_str (), NULL, file, caller, loc.line,
                               count_only ? CTIMER_FLAG_COUNT : 0),
             count_only);
  return true;
}

static bool
wrap_site (gcall *call, const char *caller)
{
  if (gimple_call_fndecl (call))
    return wrap_library_call (call, caller);
  if (!ctimer_params.methods)
    return false;
  tree ref = method_ref (gimple_call_fn (call));
  if (!ref)
    return false;
  tree field = TREE_OPERAND (ref, 1);
  std::string sname = struct_name (field, TREE_OPERAND (ref, 0));
  std::string method = IDENTIFIER_POINTER (DECL_NAME (field));
  std::string full = sname + "." + method;

  expanded_location loc = expand_location (gimple_location (call));
  const char *file = loc.file ? loc.file : DECL_SOURCE_FILE (current_function_decl);
  if (!ctimer_selected (full.c_str (), file))
    return false;
  bool count_only = ctimer_count_only (full.c_str ());
  if (ctimer_params.verbose)
    fprintf (stderr, "%s:%d: %s (call site in function %s)%s\n", file, loc.line, full.c_str (),
             caller, count_only ? " [counted, never timed: count=]" : "");

  wrap_call (call,
             ctimer_desc_addr (CTIMER_KIND_METHOD, method.c_str (), sname.c_str (), file, caller,
                               loc.line, count_only ? CTIMER_FLAG_COUNT : 0),
             count_only);
  return true;
}

unsigned
ctimer_instrument_methods (function *fun, const char *caller)
{
  /* Collect first: wrapping splits blocks and edges under an iterator. */
  auto_vec<gcall *> sites;
  basic_block bb;
  FOR_EACH_BB_FN (bb, fun)
    for (gimple_stmt_iterator gsi = gsi_start_bb (bb); !gsi_end_p (gsi); gsi_next (&gsi))
      if (gcall *call = dyn_cast<gcall *> (gsi_stmt (gsi)))
        if (!gimple_call_internal_p (call)
            && (gimple_call_fndecl (call) ? !ctimer_params.calls.empty () : ctimer_params.methods))
          sites.safe_push (call);
  unsigned n = 0;
  for (gcall *call : sites)
    n += wrap_site (call, caller);
  return n;
}
