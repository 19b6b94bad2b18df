/* Descriptors and runtime declarations.
 *
 * A descriptor is a `struct ctimer_desc` (runtime/ctimer.h) built here field by field.  It lives in
 * the writable section "ctimer_desc" so that the linker's __start_ctimer_desc/__stop_ctimer_desc
 * bound every descriptor of a module, and the runtime can list functions that were never called.
 * The record is 48 bytes with a user-fixed alignment of 8: without DECL_USER_ALIGN, x86 raises the
 * alignment of large static objects and leaves holes in the section.  */

#include "descriptors.h"

#define CTIMER_SECTION CTIMER_DESC_SECTION /* ctimer.h */

static GTY (()) tree desc_type;
static GTY (()) tree enter_decl;
static GTY (()) tree exit_decl;
static GTY (()) tree jump_decl;
static GTY (()) tree exec_decl;

const struct ggc_root_tab ctimer_ggc_roots[] = {
  { &desc_type, 1, sizeof (desc_type), &gt_ggc_mx_tree_node, &gt_pch_nx_tree_node },
  { &enter_decl, 1, sizeof (enter_decl), &gt_ggc_mx_tree_node, &gt_pch_nx_tree_node },
  { &exit_decl, 1, sizeof (exit_decl), &gt_ggc_mx_tree_node, &gt_pch_nx_tree_node },
  { &jump_decl, 1, sizeof (jump_decl), &gt_ggc_mx_tree_node, &gt_pch_nx_tree_node },
  { &exec_decl, 1, sizeof (exec_decl), &gt_ggc_mx_tree_node, &gt_pch_nx_tree_node },
  LAST_GGC_ROOT_TAB
};

/* Field order and types must match struct ctimer_desc. */
static const struct
{
  const char *name;
  int kind; /* 0: const char *, 32/16: unsigned integer of that width */
} desc_fields[] = {
  { "name", 0 },  { "strct", 0 }, { "file", 0 }, { "caller", 0 },
  { "line", 32 }, { "kind", 16 }, { "abi", 16 }, { "id", 32 },
  { "flags", 32 },
};
#define N_DESC_FIELDS (sizeof desc_fields / sizeof desc_fields[0])

static tree
field_type (int kind)
{
  if (kind == 32)
    return unsigned_type_node;
  if (kind == 16)
    return short_unsigned_type_node;
  return build_pointer_type (build_qualified_type (char_type_node, TYPE_QUAL_CONST));
}

static tree
get_desc_type (void)
{
  if (desc_type)
    return desc_type;
  tree type = make_node (RECORD_TYPE);
  /* finish_builtin_struct takes the fields last first. */
  tree fields = NULL_TREE;
  for (unsigned i = 0; i < N_DESC_FIELDS; i++)
    {
      tree f = build_decl (BUILTINS_LOCATION, FIELD_DECL, get_identifier (desc_fields[i].name),
                           field_type (desc_fields[i].kind));
      DECL_CHAIN (f) = fields;
      fields = f;
    }
  finish_builtin_struct (type, "ctimer_desc", fields, NULL_TREE);
  gcc_assert (tree_to_uhwi (TYPE_SIZE_UNIT (type)) == sizeof (struct ctimer_desc));
  desc_type = type;
  return type;
}

static tree
string_or_null (tree type, const char *s)
{
  if (!s)
    return build_int_cst (type, 0);
  return fold_convert (type, build_string_literal (strlen (s) + 1, s));
}

tree
ctimer_desc_addr (int kind, const char *name, const char *strct, const char *file,
                  const char *caller, int line, unsigned flags)
{
  static unsigned counter;
  tree type = get_desc_type ();
  char vname[32];
  snprintf (vname, sizeof vname, "__ctimer_desc_%u", counter++);

  tree var = build_decl (UNKNOWN_LOCATION, VAR_DECL, get_identifier (vname), type);
  TREE_STATIC (var) = 1;
  TREE_PUBLIC (var) = 0;
  DECL_ARTIFICIAL (var) = 1;
  DECL_IGNORED_P (var) = 1;
  TREE_ADDRESSABLE (var) = 1;
  DECL_PRESERVE_P (var) = 1;
  SET_DECL_ALIGN (var, 64);
  DECL_USER_ALIGN (var) = 1;
  set_decl_section_name (var, CTIMER_SECTION);

  const char *strings[] = { name, strct, file, caller };
  unsigned HOST_WIDE_INT ints[] = { (unsigned) line, (unsigned) kind, CTIMER_ABI_VERSION, 0, flags };
  vec<constructor_elt, va_gc> *elts = NULL;
  tree f = TYPE_FIELDS (type);
  for (unsigned i = 0; i < N_DESC_FIELDS; i++, f = DECL_CHAIN (f))
    {
      tree val = i < 4 ? string_or_null (TREE_TYPE (f), strings[i])
                       : build_int_cstu (TREE_TYPE (f), ints[i - 4]);
      CONSTRUCTOR_APPEND_ELT (elts, f, val);
    }
  DECL_INITIAL (var) = build_constructor (type, elts);
  varpool_node::finalize_decl (var);
  return build_fold_addr_expr (var);
}

tree
ctimer_desc_id_ref (tree desc_addr)
{
  tree var = TREE_OPERAND (desc_addr, 0);
  for (tree f = TYPE_FIELDS (TREE_TYPE (var)); f; f = DECL_CHAIN (f))
    if (DECL_NAME (f) && !strcmp (IDENTIFIER_POINTER (DECL_NAME (f)), "id"))
      return build3 (COMPONENT_REF, TREE_TYPE (f), var, f, NULL_TREE);
  gcc_unreachable ();
}

/* Runtime entry points are nothrow and leaf: they never unwind and never call back into this
   unit, so optimisers keep everything they knew across them. */
tree
ctimer_runtime_fndecl (const char *name, tree type)
{
  tree decl = build_fn_decl (name, type);
  TREE_NOTHROW (decl) = 1;
  DECL_ATTRIBUTES (decl) = tree_cons (get_identifier ("leaf"), NULL_TREE, DECL_ATTRIBUTES (decl));
  DECL_ATTRIBUTES (decl)
    = tree_cons (get_identifier ("no_instrument_function"), NULL_TREE, DECL_ATTRIBUTES (decl));
  return decl;
}

tree
ctimer_enter_fndecl (void)
{
  if (!enter_decl)
    enter_decl = ctimer_runtime_fndecl ("__ctimer_enter",
                                 build_function_type_list (long_long_unsigned_type_node,
                                                           ptr_type_node, NULL_TREE));
  return enter_decl;
}

tree
ctimer_exit_fndecl (void)
{
  if (!exit_decl)
    exit_decl = ctimer_runtime_fndecl ("__ctimer_exit",
                                build_function_type_list (void_type_node,
                                                          long_long_unsigned_type_node, NULL_TREE));
  return exit_decl;
}

tree
ctimer_jump_fndecl (void)
{
  if (!jump_decl)
    jump_decl = ctimer_runtime_fndecl ("__ctimer_jump", build_function_type_list (void_type_node, NULL_TREE));
  return jump_decl;
}

tree
ctimer_exec_fndecl (void)
{
  if (!exec_decl)
    exec_decl = ctimer_runtime_fndecl ("__ctimer_exec",
                                build_function_type_list (void_type_node, integer_type_node, NULL_TREE));
  return exec_decl;
}

/* extern struct ctimer_desc NAME[] __attribute__((weak, visibility("hidden"))): defined by the
   linker when the module holds the section, and 0 otherwise. */
static tree
section_bound (const char *name)
{
  tree type = build_array_type (get_desc_type (), NULL_TREE);
  tree var = build_decl (UNKNOWN_LOCATION, VAR_DECL, get_identifier (name), type);
  TREE_PUBLIC (var) = 1;
  DECL_EXTERNAL (var) = 1;
  DECL_ARTIFICIAL (var) = 1;
  DECL_VISIBILITY (var) = VISIBILITY_HIDDEN;
  DECL_VISIBILITY_SPECIFIED (var) = 1;
  declare_weak (var);
  return build_fold_addr_expr (var);
}

/* Absolute path of the ctimer-recorder beside this plugin, or "" if the plugin's path could not be
   made absolute (the runtime then looks beside libctimer.so and in the install directory). */
static char recorder_path[4096];

void
ctimer_set_plugin_path (const char *plugin_path)
{
  char *abs = realpath (plugin_path, NULL);
  if (!abs)
    return;
  const char *slash = strrchr (abs, '/');
  if (slash)
    snprintf (recorder_path, sizeof recorder_path, "%.*s/ctimer-recorder", (int) (slash - abs), abs);
  free (abs);
}

void
ctimer_build_module_ctor (void)
{
  static bool built;
  if (built)
    return;
  tree type = build_function_type_list (void_type_node, ptr_type_node, ptr_type_node, NULL_TREE);
  tree reg = ctimer_runtime_fndecl ("__ctimer_register", type);
  tree call = build_call_expr (reg, 2, section_bound ("__start_" CTIMER_SECTION),
                               section_bound ("__stop_" CTIMER_SECTION));
  if (recorder_path[0])
    {
      /* __ctimer_recorder_hint ("DIR/ctimer-recorder"); first, then the registration. */
      tree htype = build_function_type_list (void_type_node, const_ptr_type_node, NULL_TREE);
      tree hint = ctimer_runtime_fndecl ("__ctimer_recorder_hint", htype);
      tree str = build_string_literal (strlen (recorder_path) + 1, recorder_path);
      call = build2 (COMPOUND_EXPR, void_type_node, build_call_expr (hint, 1, str), call);
    }
  /* Registration must come before user constructors that might call instrumented code; the
     runtime copes with either order, this only lets it list functions early. */
  int first_new_uid = symtab->cgraph_max_uid;
  cgraph_build_static_cdtor ('I', call, MAX_RESERVED_INIT_PRIORITY + 1);
  built = true;
  /* Under -flto, GCC merges unit constructors at link time and clears their constructor flag, so
     the late pass would time ours: mark it as never to be instrumented. */
  cgraph_node *node;
  FOR_EACH_FUNCTION (node)
    if (node->get_uid () >= first_new_uid)
      DECL_ATTRIBUTES (node->decl) = tree_cons (get_identifier ("no_instrument_function"),
                                                NULL_TREE, DECL_ATTRIBUTES (node->decl));
}

/* The two calls every instrumenter builds on (pass.cc, methods.cc through counted.cc, capture.cc). */
gcall *
ctimer_build_enter (tree desc_addr, tree *t0)
{
  gcall *call = gimple_build_call (ctimer_enter_fndecl (), 1, desc_addr);
  *t0 = gimple_in_ssa_p (cfun) ? make_ssa_name (long_long_unsigned_type_node, call)
                               : create_tmp_var (long_long_unsigned_type_node, "ctimer_t0");
  gimple_call_set_lhs (call, *t0);
  return call;
}

gcall *
ctimer_build_exit (tree t0)
{
  return gimple_build_call (ctimer_exit_fndecl (), 1, t0);
}
