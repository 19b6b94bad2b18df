/* -flto without the plugin at link time.
 *
 * With -flto and the default late placement, functions are instrumented when linking: the late
 * pass runs in lto1, and GCC does not carry -fplugin from the compile commands into the objects.
 * A link without the plugin would time method call sites (instrumented at compile time) and no
 * function, silently.  So each translation unit compiled with -flto adds a top-level asm
 * statement to its LTO IL: a ".gnu.warning" section, whose text GNU ld prints as a warning when
 * the object that holds it is linked.  When the plugin is there at link time, it deletes these
 * statements before anything is assembled, and the program links quietly; without it, they reach
 * the final object and the linker says exactly which flags to add.
 *
 * Fat objects (-ffat-lto-objects) get no marker: linked without -flto they are already
 * instrumented, and the marker would be a false alarm there.  */

#include "lto.h"
#include "params.h"
#include <string>

#define MARKER "ctimer-lto-marker"

static std::string link_flags; /* "-fplugin=... -fplugin-arg-ctimer-...", as given */

static std::string
asm_escape (const std::string &s)
{
  std::string out;
  for (char c : s)
    {
      if (c == '"' || c == '\\')
        out += '\\';
      out += c;
    }
  return out;
}

static bool
is_marker (const asm_node *node)
{
  return TREE_CODE (node->asm_str) == STRING_CST
         && strstr (TREE_STRING_POINTER (node->asm_str), MARKER);
}

/* At link time: unlink the markers of every unit before the asm statements are output (in an
   ltrans, or a -flto-partition=none lto1, this runs before the final expansion). */
static void
drop_markers (void *, void *)
{
  if (!in_lto_p)
    return;
  asm_node *prev = NULL;
  for (asm_node *node = symtab->asmnodes; node;)
    {
      asm_node *next = node->next;
      if (is_marker (node))
        {
          if (prev)
            prev->next = next;
          else
            symtab->asmnodes = next;
          if (symtab->asm_last_node == node)
            symtab->asm_last_node = prev;
        }
      else
        prev = node;
      node = next;
    }
}

void
ctimer_lto_init (const struct plugin_name_args *info)
{
  link_flags = std::string ("-fplugin=") + info->full_name;
  for (int i = 0; i < info->argc; i++)
    {
      link_flags += std::string (" -fplugin-arg-") + info->base_name + "-" + info->argv[i].key;
      if (info->argv[i].value)
        link_flags += std::string ("=") + info->argv[i].value;
    }
  register_callback (info->base_name, PLUGIN_ALL_IPA_PASSES_START, drop_markers, NULL);
}

void
ctimer_lto_mark_unit (void)
{
  static bool done;
  if (done || in_lto_p || !flag_generate_lto || flag_fat_lto_objects
      || ctimer_params.placement != CTIMER_LATE)
    return;
  done = true;
  std::string msg = "ctimer: objects compiled with -flto and the ctimer plugin were linked "
                    "without it, so none of their functions is timed; link with the same flags: "
                    + link_flags;
  std::string text = "\t# " MARKER "\n\t.pushsection .gnu.warning,\"\",@progbits\n\t.string \""
                     + asm_escape (msg) + "\"\n\t.popsection\n";
  symtab->finalize_toplevel_asm (build_string (text.size () + 1, text.c_str ()));
}
