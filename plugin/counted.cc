/* The counted path: the test the plugin emits inline before each enter, so that a call the runtime
   only counts makes no function call at all (runtime/ctimer.h, "Counted calls").
 *
 * Before (what the instrumenters used to emit):
 *
 *     t0 = __ctimer_enter (&desc);
 *     ... body ...
 *     __ctimer_exit (t0);
 *
 * After:
 *
 *     id = desc.id;                                                      (1)
 *     counted = ASM (id);        x86-64: counts[id] < 0 (counted) and not sampled: counts[id] += 1
 *     if (counted == 0)                                                  (2)
 *       t0' = __ctimer_enter (&desc);
 *     t0 = PHI <0 (counted), t0' (timed)>                                (3)
 *     ... body ...
 *     if (t0 != 0)                                                       (4)
 *       __ctimer_exit (t0);
 *
 * The test is one asm statement, not GIMPLE arithmetic: the count must grow by one add instruction
 * on memory, so that an instrumented signal handler landing in the middle cannot lose an increment
 * (a load, add, store sequence could), and the per-thread words are reached through the TLS block
 * with the initial-exec model whatever the unit's TLS defaults.  The asm names __ctimer_counts
 * itself (@gottpoff, which the linker relaxes to a constant offset in an executable).
 *
 * Hosts other than x86-64 get the call alone (every call timed), as before.  */

#include "counted.h"
#include "cfgloop.h"
#include "descriptors.h"
#include "params.h"

/* (1) + the asm: returns the int SSA name / temporary that is 1 when the call was counted.
   The template, with %0 = counted, %1, %2 = scratch, %3 = id (64-bit):  */
static const char COUNT_TEST_SAMPLED[] =
  "movq __ctimer_counts@gottpoff(%%rip), %1\n\t"
  "movq %%fs:(%1), %2\n\t"
  "xorl %k0, %k0\n\t"
  "cmpq $0, (%2,%3,8)\n\t" /* CTIMER_COUNT_ON is the sign bit */
  "jns 1f\n\t"
  "subq $1, %%fs:8(%1)\n\t" /* countdown: negative means "time this one" */
  "js 1f\n\t"
  "addq $1, (%2,%3,8)\n\t"
  "movl $1, %k0\n"
  "1:";
/* count=: never sampled (the recorder also sets CTIMER_COUNT_NOSAMPLE on such words). */
static const char COUNT_TEST_NOSAMPLE[] =
  "movq __ctimer_counts@gottpoff(%%rip), %1\n\t"
  "movq %%fs:(%1), %2\n\t"
  "xorl %k0, %k0\n\t"
  "cmpq $0, (%2,%3,8)\n\t"
  "jns 1f\n\t"
  "addq $1, (%2,%3,8)\n\t"
  "movl $1, %k0\n"
  "1:";

static tree
new_temp (tree type, const char *name)
{
  return gimple_in_ssa_p (cfun) ? make_ssa_name (type) : create_tmp_var (type, name);
}

static tree
asm_operand (const char *constraint, tree value)
{
  tree c = build_string (strlen (constraint) + 1, constraint);
  return build_tree_list (build_tree_list (NULL_TREE, c), value);
}

/* Appends to SEQ the statements computing "this call is counted"; returns that value.  */
static tree
build_count_test (gimple_seq *seq, tree desc_addr, bool count_only)
{
  tree id32 = new_temp (unsigned_type_node, "ctimer_id");
  gimple_seq_add_stmt (seq, gimple_build_assign (id32, ctimer_desc_id_ref (desc_addr)));
  tree id = new_temp (long_unsigned_type_node, "ctimer_id");
  gimple_seq_add_stmt (seq, gimple_build_assign (id, NOP_EXPR, id32));

  tree counted = new_temp (unsigned_type_node, "ctimer_counted");
  tree s1 = new_temp (long_unsigned_type_node, "ctimer_s");
  tree s2 = new_temp (long_unsigned_type_node, "ctimer_s");
  vec<tree, va_gc> *outputs = NULL, *inputs = NULL, *clobbers = NULL;
  vec_safe_push (outputs, asm_operand ("=&r", counted));
  vec_safe_push (outputs, asm_operand ("=&r", s1));
  vec_safe_push (outputs, asm_operand ("=&r", s2));
  vec_safe_push (inputs, asm_operand ("r", id));
  vec_safe_push (clobbers, build_tree_list (NULL_TREE, build_string (3, "cc")));
  gasm *a = gimple_build_asm_vec (count_only ? COUNT_TEST_NOSAMPLE : COUNT_TEST_SAMPLED, inputs,
                                  outputs, clobbers, NULL);
  gimple_asm_set_volatile (a, true);
  gimple_seq_add_stmt (seq, a);
  if (gimple_in_ssa_p (cfun))
    for (tree o : { counted, s1, s2 })
      SSA_NAME_DEF_STMT (o) = a;
  return counted;
}

bool
ctimer_counted_path_available (void)
{
#if defined(__x86_64__)
  /* the asm is x86-64 code with 64-bit pointers; counting=off leaves it out */
  return ctimer_params.counting && TARGET_64BIT && TARGET_LP64;
#else
  return false;
#endif
}

/* Inserts the test and the enter call at the start of block BB (which must be empty and have a
   single successor): returns t0, defined in BB's successor.  */
static tree
build_enter_in (basic_block bb, tree desc_addr, bool count_only)
{
  gimple_seq seq = NULL;
  tree counted = build_count_test (&seq, desc_addr, count_only);
  gimple_stmt_iterator gsi = gsi_start_bb (bb);
  gsi_insert_seq_after (&gsi, seq, GSI_CONTINUE_LINKING);
  gimple *last = gsi_stmt (gsi);

  tree t0;
  gcall *enter = ctimer_build_enter (desc_addr, &t0);
  /* (2) */
  gcond *cond = gimple_build_cond (EQ_EXPR, counted, build_zero_cst (unsigned_type_node), NULL_TREE,
                                   NULL_TREE);
  basic_block timed = insert_cond_bb (bb, last, cond, profile_probability::even ());
  gimple_stmt_iterator tg = gsi_start_bb (timed);
  gsi_insert_after (&tg, enter, GSI_NEW_STMT);
  basic_block join = single_succ (timed);

  /* (3) */
  if (!gimple_in_ssa_p (cfun))
    {
      /* t0 = 0 before the test; the timed block overwrites it. */
      gimple_stmt_iterator c = gsi_for_stmt (cond);
      gsi_insert_before (&c, gimple_build_assign (t0, build_zero_cst (TREE_TYPE (t0))),
                         GSI_SAME_STMT);
      return t0;
    }
  tree merged = make_ssa_name (TREE_TYPE (t0));
  gphi *phi = create_phi_node (merged, join);
  add_phi_arg (phi, t0, single_succ_edge (timed), UNKNOWN_LOCATION);
  add_phi_arg (phi, build_zero_cst (TREE_TYPE (t0)), find_edge (bb, join), UNKNOWN_LOCATION);
  return merged;
}

tree
ctimer_insert_enter_on_edge (edge e, tree desc_addr, bool counted_path, bool count_only)
{
  if (!counted_path || !ctimer_counted_path_available ())
    {
      tree t0;
      gsi_insert_on_edge_immediate (e, ctimer_build_enter (desc_addr, &t0));
      return t0;
    }
  return build_enter_in (split_edge (e), desc_addr, count_only);
}

tree
ctimer_insert_enter_before (gimple *stmt, tree desc_addr, bool counted_path, bool count_only)
{
  gimple_stmt_iterator gsi = gsi_for_stmt (stmt);
  if (!counted_path || !ctimer_counted_path_available ())
    {
      tree t0;
      gsi_insert_before (&gsi, ctimer_build_enter (desc_addr, &t0), GSI_SAME_STMT);
      return t0;
    }
  /* A block of its own, between STMT's predecessors in its block and STMT. */
  basic_block bb = gimple_bb (stmt);
  gsi_prev (&gsi);
  edge e = split_block (bb, gsi_end_p (gsi) ? NULL : gsi_stmt (gsi));
  return build_enter_in (split_edge (e), desc_addr, count_only);
}

/* (4) */
void
ctimer_insert_exit_before (gimple *stmt, tree t0, bool counted_path)
{
  gimple_stmt_iterator gsi = gsi_for_stmt (stmt);
  if (!counted_path || !ctimer_counted_path_available ())
    {
      gsi_insert_before (&gsi, ctimer_build_exit (t0), GSI_SAME_STMT);
      return;
    }
  gsi_prev (&gsi);
  gcond *cond = gimple_build_cond (NE_EXPR, t0, build_zero_cst (TREE_TYPE (t0)), NULL_TREE,
                                   NULL_TREE);
  basic_block bb = gimple_bb (stmt);
  basic_block timed = insert_cond_bb (bb, gsi_end_p (gsi) ? NULL : gsi_stmt (gsi), cond,
                                      profile_probability::even ());
  gimple_stmt_iterator tg = gsi_start_bb (timed);
  gsi_insert_after (&tg, ctimer_build_exit (t0), GSI_NEW_STMT);
}

void
ctimer_insert_exit_on_edge (edge e, tree t0, bool counted_path)
{
  if (!counted_path || !ctimer_counted_path_available ())
    {
      gsi_insert_on_edge_immediate (e, ctimer_build_exit (t0));
      return;
    }
  basic_block bb = split_edge (e);
  gcond *cond = gimple_build_cond (NE_EXPR, t0, build_zero_cst (TREE_TYPE (t0)), NULL_TREE,
                                   NULL_TREE);
  gimple_stmt_iterator gsi = gsi_start_bb (bb);
  gsi_insert_after (&gsi, cond, GSI_NEW_STMT);
  /* insert_cond_bb wants a statement to split after; the block holds only the condition, so
     build the branch by hand: BB -> TIMED -> SUCC on true, BB -> SUCC on false. */
  basic_block succ = single_succ (bb);
  edge fall = single_succ_edge (bb);
  basic_block timed = create_empty_bb (bb);
  edge t = make_edge (bb, timed, EDGE_TRUE_VALUE);
  t->probability = profile_probability::even ();
  timed->count = t->count ();
  make_single_succ_edge (timed, succ, EDGE_FALLTHRU);
  fall->flags = EDGE_FALSE_VALUE;
  fall->probability = profile_probability::even ();
  if (dom_info_available_p (CDI_DOMINATORS))
    set_immediate_dominator (CDI_DOMINATORS, timed, bb);
  if (current_loops)
    add_bb_to_loop (timed, bb->loop_father);
  gimple_stmt_iterator tg = gsi_start_bb (timed);
  gsi_insert_after (&tg, ctimer_build_exit (t0), GSI_NEW_STMT);
}
