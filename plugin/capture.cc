/* cpu= and args=: the capturing entry and exit calls (runtime/capture.c, ctimer.h).
 *
 * A function named by cpu= calls __ctimer_enter_cpu (desc) / __ctimer_exit_cpu (t0); one named by
 * args= calls __ctimer_enter_args (desc, flags, a0, a1, a2, a3) / __ctimer_exit_args (t0, flags, ret),
 * with CTIMER_CAPTURE_CPU in flags if cpu= names it too.  Captured: the first four parameters and
 * the return value when their type is an integer type (any width up to 64 bits, signed values
 * sign-extended), an enum, bool or a pointer (its address as an integer).  Floating-point, complex,
 * vector, struct and union values are not captured (their bit is clear, the column NULL), nor
 * parameters after the fourth.  */

#include "capture.h"
#include "params.h"
#include "descriptors.h"
#include "tree-dfa.h" /* get_or_create_ssa_default_def */

static GTY (()) tree enter_cpu_decl;
static GTY (()) tree exit_cpu_decl;
static GTY (()) tree enter_args_decl;
static GTY (()) tree exit_args_decl;

const struct ggc_root_tab ctimer_capture_ggc_roots[] = {
  { &enter_cpu_decl, 1, sizeof (enter_cpu_decl), &gt_ggc_mx_tree_node, &gt_pch_nx_tree_node },
  { &exit_cpu_decl, 1, sizeof (exit_cpu_decl), &gt_ggc_mx_tree_node, &gt_pch_nx_tree_node },
  { &enter_args_decl, 1, sizeof (enter_args_decl), &gt_ggc_mx_tree_node, &gt_pch_nx_tree_node },
  { &exit_args_decl, 1, sizeof (exit_args_decl), &gt_ggc_mx_tree_node, &gt_pch_nx_tree_node },
  LAST_GGC_ROOT_TAB
};

static tree
u64_type (void)
{
  return long_long_unsigned_type_node;
}

static tree
decl_of (tree *cache, const char *name, tree type)
{
  if (!*cache)
    *cache = ctimer_runtime_fndecl (name, type);
  return *cache;
}

static tree
enter_cpu_fndecl (void)
{
  return decl_of (&enter_cpu_decl, "__ctimer_enter_cpu",
                  build_function_type_list (u64_type (), ptr_type_node, NULL_TREE));
}

static tree
exit_cpu_fndecl (void)
{
  return decl_of (&exit_cpu_decl, "__ctimer_exit_cpu",
                  build_function_type_list (void_type_node, u64_type (), NULL_TREE));
}

static tree
enter_args_fndecl (void)
{
  return decl_of (&enter_args_decl, "__ctimer_enter_args",
                  build_function_type_list (u64_type (), ptr_type_node, unsigned_type_node,
                                            u64_type (), u64_type (), u64_type (), u64_type (),
                                            NULL_TREE));
}

static tree
exit_args_fndecl (void)
{
  return decl_of (&exit_args_decl, "__ctimer_exit_args",
                  build_function_type_list (void_type_node, u64_type (), unsigned_type_node,
                                            u64_type (), NULL_TREE));
}

bool
ctimer_always_timed (const char *name, const char *file)
{
  (void) file;
  return ctimer_matches_any (ctimer_params.cpu, name)
         || ctimer_matches_any (ctimer_params.args, name);
}

/* An integer of at most 64 bits, an enum, bool or a pointer. */
static bool
capturable (tree type)
{
  if (!type)
    return false;
  if (POINTER_TYPE_P (type))
    return true;
  return INTEGRAL_TYPE_P (type) && TYPE_PRECISION (type) <= 64;
}

static int
count_parms (tree fndecl)
{
  int n = 0;
  for (tree p = DECL_ARGUMENTS (fndecl); p; p = DECL_CHAIN (p))
    n++;
  return n;
}

/* Whether the clone FNDECL still has SRC's parameters, of the same types, in the same order. */
static bool
same_parms (tree fndecl, tree src)
{
  if (fndecl == src)
    return true;
  if (count_parms (fndecl) != count_parms (src))
    return false;
  for (tree a = DECL_ARGUMENTS (fndecl), b = DECL_ARGUMENTS (src); a; a = DECL_CHAIN (a), b = DECL_CHAIN (b))
    if (TYPE_MAIN_VARIANT (TREE_TYPE (a)) != TYPE_MAIN_VARIANT (TREE_TYPE (b)))
      return false;
  return true;
}

ctimer_capture
ctimer_capture_for (function *fun, tree src, const char *name)
{
  ctimer_capture c;
  c.cpu = ctimer_matches_any (ctimer_params.cpu, name);
  c.args = ctimer_matches_any (ctimer_params.args, name);
  tree fndecl = fun->decl;
  std::string what;
  if (c.args)
    {
      if (same_parms (fndecl, src))
        {
          int i = 0;
          for (tree p = DECL_ARGUMENTS (fndecl); p && i < 4; p = DECL_CHAIN (p), i++)
            if (capturable (TREE_TYPE (p)))
              {
                c.flags |= CTIMER_CAPTURE_ARG (i);
                what += (what.empty () ? "argument " : ", ") + std::to_string (i);
              }
        }
      tree rt = TREE_TYPE (TREE_TYPE (fndecl)), srt = TREE_TYPE (TREE_TYPE (src));
      if (capturable (rt) && TYPE_MAIN_VARIANT (rt) == TYPE_MAIN_VARIANT (srt))
        {
          c.flags |= CTIMER_CAPTURE_RET;
          what += what.empty () ? "the return value" : " and the return value";
        }
      if (c.cpu)
        c.flags |= CTIMER_CAPTURE_CPU;
    }
  if (ctimer_params.verbose && (c.cpu || c.args))
    {
      const char *file = DECL_SOURCE_FILE (src);
      int line = DECL_SOURCE_LINE (src);
      if (c.cpu)
        fprintf (stderr, "%s:%d: %s gets CPU time\n", file, line, name);
      if (c.args)
        fprintf (stderr, "%s:%d: %s captures %s\n", file, line, name,
                 what.empty () ? "nothing (no integer or pointer argument or return value)"
                               : what.c_str ());
    }
  return c;
}

static tree
new_temp (function *fun, tree type)
{
  return gimple_in_ssa_p (fun) ? make_ssa_name (type) : create_tmp_var (type, "ctimer_v");
}

/* VAL (a parameter, an SSA name, a constant or a variable) as an unsigned 64-bit value, with the
   statements that compute it appended to SEQ.  */
static tree
as_u64 (function *fun, tree val, gimple_seq *seq)
{
  if (TREE_CODE (val) == PARM_DECL && gimple_in_ssa_p (fun) && is_gimple_reg (val))
    val = get_or_create_ssa_default_def (fun, val);
  else if (TREE_CODE (val) != SSA_NAME && !is_gimple_min_invariant (val))
    {
      /* a decl (memory, or any variable before SSA): read it into a temporary first */
      tree tmp = new_temp (fun, TREE_TYPE (val));
      gimple_seq_add_stmt (seq, gimple_build_assign (tmp, val));
      val = tmp;
    }
  tree u = new_temp (fun, u64_type ());
  gimple_seq_add_stmt (seq, gimple_build_assign (u, NOP_EXPR, val));
  return u;
}

gimple_seq
ctimer_build_fn_enter (function *fun, const ctimer_capture &c, tree desc_addr, tree *t0)
{
  gimple_seq seq = NULL;
  gcall *call;
  if (!c.args)
    {
      if (!c.cpu)
        {
          gimple_seq_add_stmt (&seq, ctimer_build_enter (desc_addr, t0));
          return seq;
        }
      call = gimple_build_call (enter_cpu_fndecl (), 1, desc_addr);
    }
  else
    {
      tree a[4];
      int i = 0;
      for (tree p = DECL_ARGUMENTS (fun->decl); i < 4; p = p ? DECL_CHAIN (p) : p, i++)
        a[i] = (c.flags & CTIMER_CAPTURE_ARG (i)) ? as_u64 (fun, p, &seq)
                                                  : build_int_cst (u64_type (), 0);
      call = gimple_build_call (enter_args_fndecl (), 6, desc_addr,
                                build_int_cst (unsigned_type_node, c.flags), a[0], a[1], a[2], a[3]);
    }
  *t0 = new_temp (fun, u64_type ());
  gimple_call_set_lhs (call, *t0);
  if (TREE_CODE (*t0) == SSA_NAME)
    SSA_NAME_DEF_STMT (*t0) = call;
  gimple_seq_add_stmt (&seq, call);
  return seq;
}

gimple_seq
ctimer_build_fn_exit (function *fun, const ctimer_capture &c, gimple *ret, tree t0)
{
  gimple_seq seq = NULL;
  if (!c.args)
    {
      gimple_seq_add_stmt (&seq, c.cpu ? gimple_build_call (exit_cpu_fndecl (), 1, t0)
                                       : ctimer_build_exit (t0));
      return seq;
    }
  unsigned flags = c.flags;
  tree rv = build_int_cst (u64_type (), 0);
  tree val = (flags & CTIMER_CAPTURE_RET) ? gimple_return_retval (as_a<greturn *> (ret)) : NULL_TREE;
  /* A return value in a register variable of SSA form other than an SSA name (a RESULT_DECL that
     is a register) cannot be read here: not captured at this return. */
  if (val && capturable (TREE_TYPE (val))
      && (TREE_CODE (val) == SSA_NAME || is_gimple_min_invariant (val) || !gimple_in_ssa_p (fun)
          || !is_gimple_reg (val)))
    rv = as_u64 (fun, val, &seq);
  else
    flags &= ~CTIMER_CAPTURE_RET;
  gimple_seq_add_stmt (&seq, gimple_build_call (exit_args_fndecl (), 3, t0,
                                                build_int_cst (unsigned_type_node, flags), rv));
  return seq;
}
