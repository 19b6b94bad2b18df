/* The instrumentation pass: gate and execute.
 *
 * Placement (-fplugin-arg-ctimer-placement):
 *   late  (default) after "optimized": inlining and tail-recursion elimination have happened, so
 *         only calls that really happen at run time are timed.  Compiler clones (.constprop,
 *         .isra, .part) are timed under the source function's name.
 *   early after "cfg", before any optimisation: every source-level call is timed, as with
 *         -finstrument-functions, at the price of blocking inlining's benefits.
 *
 * Both placements sit outside the all-optimizations pass list, so they also run at -O0.  */

#include "pass.h"
#include "plugin-version.h"
#include "params.h"
#include "descriptors.h"
#include "lto.h"
#include "counted.h"
#include "capture.h"

/* Names: the plugin's own symbols and the runtime's are never instrumented. */
static bool
is_runtime_name (const char *name)
{
  return !strncmp (name, "__ctimer", 8) || !strncmp (name, "ctimer_", 7);
}

/* The user-visible function behind FNDECL: a clone made by IPA (constprop, isra, part) points back
   to its origin through DECL_ABSTRACT_ORIGIN or the call graph. */
static tree
source_decl (tree fndecl)
{
  tree d = fndecl;
  while (DECL_ABSTRACT_ORIGIN (d) && DECL_ABSTRACT_ORIGIN (d) != d)
    d = DECL_ABSTRACT_ORIGIN (d);
  cgraph_node *node = cgraph_node::get (d);
  while (node && node->clone_of)
    node = node->clone_of;
  if (node && DECL_ARTIFICIAL (d) && !DECL_ARTIFICIAL (node->decl))
    d = node->decl;
  return d;
}

/* A clone without an origin link (an ipa-split ".part.N" body, an LTO-privatised static) is
   named after its source function by stripping the suffix GCC added.  Other compiler-made
   bodies keep their full name: "main._omp_fn.0" is an OpenMP region, not main.  */
static std::string
source_name (tree fndecl)
{
  tree d = source_decl (fndecl);
  std::string name = IDENTIFIER_POINTER (DECL_NAME (d));
  if (DECL_ARTIFICIAL (d))
    for (const char *suffix : { ".part.", ".constprop.", ".isra.", ".lto_priv." })
      {
        size_t at = name.find (suffix);
        if (at != std::string::npos && at > 0)
          name.erase (at);
      }
  return name;
}

static bool
has_attribute (tree decl, const char *attr)
{
  return lookup_attribute (attr, DECL_ATTRIBUTES (decl)) != NULL_TREE;
}

/* An IFUNC resolver runs while the dynamic linker relocates, before TLS exists. */
static bool
is_ifunc_resolver (tree fndecl)
{
  cgraph_node *node = cgraph_node::get (fndecl);
  if (!node)
    return false;
  if (node->ifunc_resolver)
    return true;
  ipa_ref *ref;
  FOR_EACH_ALIAS (node, ref)
    if (ref->referring->ifunc_resolver)
      return true;
  return false;
}

/* Functions no part of ctimer may touch: the user said so, or instrumenting them would break them. */
static bool
must_not_touch (tree fndecl, tree src)
{
  return DECL_EXTERNAL (fndecl)
         || (DECL_ARTIFICIAL (fndecl)
             && (DECL_STATIC_CONSTRUCTOR (fndecl) || DECL_STATIC_DESTRUCTOR (fndecl)))
         || in_system_header_at (DECL_SOURCE_LOCATION (src))
         || has_attribute (src, "no_instrument_function") || has_attribute (src, "naked")
         || is_ifunc_resolver (fndecl) || is_ifunc_resolver (src)
         || is_runtime_name (IDENTIFIER_POINTER (DECL_NAME (src)));
}

/* The size and shape min-stmts looks at.  A leaf calls nothing but internal functions and
   __builtin_* helpers that expand inline; a call to a library function GCC also knows as a builtin
   (printf, memcpy, exit) can take any time.  Calls into the runtime, which methods placed earlier,
   count for nothing: the function was that size before. */
struct fn_shape
{
  int stmts = 0;
  bool leaf = true;
  bool loop = false;
};

static fn_shape
shape_of (function *fun)
{
  fn_shape sh;
  basic_block bb;
  FOR_EACH_BB_FN (bb, fun)
    for (gimple_stmt_iterator gsi = gsi_start_bb (bb); !gsi_end_p (gsi); gsi_next (&gsi))
      {
        gimple *stmt = gsi_stmt (gsi);
        if (is_gimple_debug (stmt) || gimple_code (stmt) == GIMPLE_LABEL
            || gimple_code (stmt) == GIMPLE_PREDICT || gimple_code (stmt) == GIMPLE_NOP)
          continue;
        if (is_gimple_call (stmt) && !gimple_call_internal_p (stmt))
          {
            tree callee = gimple_call_fndecl (stmt);
            const char *cname = callee ? IDENTIFIER_POINTER (DECL_NAME (callee)) : "";
            if (callee && is_runtime_name (cname))
              continue;
            if (!callee || !fndecl_built_in_p (callee) || strncmp (cname, "__builtin_", 10))
              sh.leaf = false;
          }
        sh.stmts++;
      }
  /* Any retreating edge, reducible loop or not: the loop tree may be stale this late. */
#if GCCPLUGIN_VERSION_MAJOR >= 12
  sh.loop = mark_dfs_back_edges (fun);
#else
  sh.loop = mark_dfs_back_edges (); /* GCC 11 works on cfun, which is FUN here */
#endif
  return sh;
}

/* Whether min-stmts skips FUN; if so, says why in WHY. */
static bool
too_small (function *fun, char *why, size_t len)
{
  if (ctimer_params.min_stmts <= 0)
    return false;
  fn_shape sh = shape_of (fun);
  if (sh.stmts >= ctimer_params.min_stmts)
    return false;
  if (ctimer_params.min_stmts_scope == CTIMER_SCOPE_LEAF ? !sh.leaf : sh.loop)
    return false;
  snprintf (why, len, "%s with %d statements < min-stmts=%d",
            ctimer_params.min_stmts_scope == CTIMER_SCOPE_LEAF ? "leaf" : "loopless function",
            sh.stmts, ctimer_params.min_stmts);
  return true;
}

/* A call of longjmp, _longjmp, siglongjmp or __longjmp_chk (what _FORTIFY_SOURCE makes of the
   first two).  __builtin_longjmp is GCC's own, used by nothing that ctimer's users write.  */
static bool
is_longjmp (gcall *call)
{
  tree fn = gimple_call_fndecl (call);
  if (!fn || !DECL_NAME (fn))
    return false;
  const char *n = IDENTIFIER_POINTER (DECL_NAME (fn));
  return !strcmp (n, "longjmp") || !strcmp (n, "_longjmp") || !strcmp (n, "siglongjmp")
         || !strcmp (n, "__longjmp_chk");
}

/* A call of one of the exec functions: the recorder is told, so that a process image replaced by
   an exec is not taken for one that died (both look the same from outside once it is gone).  */
static bool
is_exec (gcall *call)
{
  static const char *const names[] = {"execv", "execve", "execvp", "execvpe", "execl", "execlp",
                                      "execle", "fexecve", "execveat"};
  tree fn = gimple_call_fndecl (call);
  if (!fn || !DECL_NAME (fn))
    return false;
  const char *n = IDENTIFIER_POINTER (DECL_NAME (fn));
  for (const char *name : names)
    if (!strcmp (n, name))
      return true;
  return false;
}

/* Entry on the edge out of the entry block, never at the top of the first block: when that
   block is a loop head, the call would run on every iteration.  Exit before every return;
   returns are collected first because inserting changes the blocks being walked.  */
static void
instrument_entry_exit (function *fun, tree desc_addr, const ctimer_capture &cap, bool count_only)
{
  /* A function that captures (cpu=, args=) is always timed, through its capturing entry and exits
     (capture.cc); every other one gets the inline counted test with its entry, and every exit
     then tests t0 (counted.cc). */
  bool counted_path = !cap.cpu && !cap.args;
  tree t0;
  edge entry = single_succ_edge (ENTRY_BLOCK_PTR_FOR_FN (fun));
  if (counted_path)
    t0 = ctimer_insert_enter_on_edge (entry, desc_addr, true, count_only);
  else
    gsi_insert_seq_on_edge_immediate (entry, ctimer_build_fn_enter (fun, cap, desc_addr, &t0));

  auto_vec<gimple *> returns, jumps, execs;
  basic_block bb;
  FOR_EACH_BB_FN (bb, fun)
    for (gimple_stmt_iterator gsi = gsi_start_bb (bb); !gsi_end_p (gsi); gsi_next (&gsi))
      {
        gimple *stmt = gsi_stmt (gsi);
        if (gimple_code (stmt) == GIMPLE_RETURN)
          returns.safe_push (stmt);
        /* An exit call placed after a call marked as a tail call would be lost: the call
           becomes a jump and never comes back here. */
        else if (gcall *call = dyn_cast<gcall *> (stmt))
          {
            gimple_call_set_tail (call, false);
            if (is_longjmp (call))
              jumps.safe_push (stmt);
            else if (is_exec (call))
              execs.safe_push (stmt);
          }
      }
  for (gimple *ret : returns)
    if (counted_path)
      ctimer_insert_exit_before (ret, t0, true);
    else
      {
        gimple_stmt_iterator gsi = gsi_for_stmt (ret);
        gsi_insert_seq_before (&gsi, ctimer_build_fn_exit (fun, cap, ret, t0), GSI_SAME_STMT);
      }
  /* __ctimer_jump () before each longjmp: the recorder then knows that the next call may sit at the
     very stack position of a frame the jump abandoned (ctimer.h). */
  for (gimple *jmp : jumps)
    {
      gimple_stmt_iterator gsi = gsi_for_stmt (jmp);
      gsi_insert_before (&gsi, gimple_build_call (ctimer_jump_fndecl (), 0), GSI_SAME_STMT);
    }
  /* __ctimer_exec (1) before each exec, __ctimer_exec (0) after it: an exec that returns failed.  */
  for (gimple *ex : execs)
    {
      gimple_stmt_iterator gsi = gsi_for_stmt (ex);
      gsi_insert_before (&gsi, gimple_build_call (ctimer_exec_fndecl (), 1, integer_one_node),
                         GSI_SAME_STMT);
      if (!stmt_ends_bb_p (ex))
        gsi_insert_after (&gsi, gimple_build_call (ctimer_exec_fndecl (), 1, integer_zero_node),
                          GSI_NEW_STMT);
    }
}

/* Decides whether FUN's own entry and exits are timed, and prints the verbose line. */
static bool
want_function (function *fun, const std::string &name, tree src)
{
  const char *file = DECL_SOURCE_FILE (src);
  int line = DECL_SOURCE_LINE (src);
  if (!ctimer_selected (name.c_str (), file))
    return false;
  char why[96];
  if (!ctimer_always_timed (name.c_str (), file) && too_small (fun, why, sizeof why))
    {
      if (ctimer_params.verbose)
        fprintf (stderr, "%s:%d: %s skipped: %s\n", file, line, name.c_str (), why);
      return false;
    }
  if (ctimer_params.verbose)
    {
      const char *asm_name = IDENTIFIER_POINTER (DECL_NAME (fun->decl));
      const char *counted = ctimer_count_only (name.c_str ()) ? " [counted, never timed: count=]" : "";
      if (name != asm_name)
        fprintf (stderr, "%s:%d: %s (clone %s)%s\n", file, line, name.c_str (), asm_name, counted);
      else
        fprintf (stderr, "%s:%d: %s%s\n", file, line, name.c_str (), counted);
    }
  return true;
}

bool
ctimer_may_instrument (tree fndecl)
{
  return !must_not_touch (fndecl, source_decl (fndecl));
}

/* What one instance of the pass does: the early instance may do both. */
enum { DO_FUNCTIONS = 1, DO_METHODS = 2 };

static unsigned
instrument (function *fun, int what)
{
  tree src = source_decl (fun->decl);
  if (must_not_touch (fun->decl, src))
    return 0;
  std::string name = source_name (fun->decl);

  /* Methods first: their enter/exit pairs are whole statements inside the body, which the
     function's own entry and exits then enclose. */
  unsigned n = 0;
  if (what & DO_METHODS)
    n += ctimer_instrument_methods (fun, name.c_str ());
  if ((what & DO_FUNCTIONS) && want_function (fun, name, src))
    {
      /* cpu= and args= win over count=: such a function is always timed */
      bool count_only = ctimer_count_only (name.c_str ())
                        && !ctimer_always_timed (name.c_str (), DECL_SOURCE_FILE (src));
      instrument_entry_exit (fun,
                             ctimer_desc_addr (CTIMER_KIND_FUNCTION, name.c_str (), NULL,
                                               DECL_SOURCE_FILE (src), NULL, DECL_SOURCE_LINE (src),
                                               count_only ? CTIMER_FLAG_COUNT : 0),
                             ctimer_capture_for (fun, src, name.c_str ()), count_only);
      n++;
    }
  return n;
}

namespace {

const pass_data early_data = {
  GIMPLE_PASS, "ctimer_early", OPTGROUP_NONE, TV_NONE, PROP_gimple_any | PROP_cfg, 0, 0, 0, 0,
};

/* Late, the new calls carry bare virtual operands: TODO_update_ssa renames them, without which
   execute_function_todo ICEs. */
const pass_data late_data = {
  GIMPLE_PASS, "ctimer_late", OPTGROUP_NONE, TV_NONE, PROP_cfg | PROP_ssa, 0, 0, 0, 0,
};

class ctimer_pass : public gimple_opt_pass
{
  int what;

public:
  ctimer_pass (const pass_data &data, int what) : gimple_opt_pass (data, g), what (what) {}
  bool gate (function *) final override { return true; }
  unsigned int execute (function *fun) final override
  {
    unsigned n = instrument (fun, what);
    if (n)
      free_dominance_info (CDI_DOMINATORS); /* the counted path added blocks */
    return n && gimple_in_ssa_p (fun) ? TODO_update_ssa : 0;
  }
  opt_pass *clone () final override { return this; }
};

/* The module constructor is built by a small IPA pass right after "visibility": a new function
   joins the unit safely there, as GCC's own IPA passes add theirs (building it inside the GIMPLE
   pass resets cfun under the pass manager's feet, and building it before "free_lang_data" crashes
   that pass under -flto).  Early placement has already run by then; late placement has not, so the
   test is whether any function here could be instrumented.  */
const pass_data ctor_data = {
  SIMPLE_IPA_PASS, "ctimer_ctor", OPTGROUP_NONE, TV_NONE, 0, 0, 0, 0, 0,
};

class ctimer_ctor_pass : public simple_ipa_opt_pass
{
public:
  ctimer_ctor_pass () : simple_ipa_opt_pass (ctor_data, g) {}
  unsigned int execute (function *) final override
  {
    cgraph_node *node;
    FOR_EACH_DEFINED_FUNCTION (node)
      if (gimple_has_body_p (node->decl) && ctimer_may_instrument (node->decl))
        {
          ctimer_build_module_ctor ();
          ctimer_lto_mark_unit ();
          break;
        }
    return 0;
  }
};

} // namespace

void
ctimer_register_pass (const char *plugin_name)
{

  bool late = ctimer_params.placement == CTIMER_LATE;
  int early_work = (late ? 0 : DO_FUNCTIONS) |
                   (ctimer_params.methods || !ctimer_params.calls.empty () ? DO_METHODS : 0);
  struct register_pass_info info;
  info.ref_pass_instance_number = 1;
  info.pos_op = PASS_POS_INSERT_AFTER;
  if (early_work)
    {
      info.pass = new ctimer_pass (early_data, early_work);
      info.reference_pass_name = "cfg";
      register_callback (plugin_name, PLUGIN_PASS_MANAGER_SETUP, NULL, &info);
    }
  if (late)
    {
      info.pass = new ctimer_pass (late_data, DO_FUNCTIONS);
      info.reference_pass_name = "optimized";
      register_callback (plugin_name, PLUGIN_PASS_MANAGER_SETUP, NULL, &info);
    }
  info.pass = new ctimer_ctor_pass ();
  info.reference_pass_name = "visibility";
  register_callback (plugin_name, PLUGIN_PASS_MANAGER_SETUP, NULL, &info);
}
