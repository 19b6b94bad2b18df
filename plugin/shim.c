/*
 * ctimer.so: the plugin GCC loads, whatever its version.
 *
 * A real plugin build (ctimer-gccM.so) binds to GCC's internal symbols, so loaded by another GCC
 * it fails in the dynamic loader ("undefined symbol") before its own version check can say
 * anything.  This shim references no GCC symbol: it reads the loading GCC's version from the
 * argument GCC passes to plugin_init, dlopens ctimer-gccMAJOR.so from its own directory and
 * forwards plugin_init to it.  The plugin's arguments (-fplugin-arg-ctimer-*) reach the real
 * plugin unchanged, because GCC keys them by the base name of the file given to -fplugin, this
 * file's, and the real plugin registers its callbacks under info->base_name, also "ctimer".
 *
 * The real build's path is absolute (the shim's directory through realpath), so the real plugin
 * finds files beside itself with dladdr whatever path -fplugin was given.
 *
 * A GCC with no matching build gets one line naming its version and the versions there are, and
 * the compilation fails (a non-zero plugin_init makes GCC report an error).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* From GCC's plugin.h; unchanged since GCC 4.5.  Only basever is read here. */
struct plugin_gcc_version {
  const char *basever;
  const char *datestamp;
  const char *devphase;
  const char *revision;
  const char *configuration_arguments;
};
struct plugin_name_args; /* passed on untouched */

typedef int (*plugin_init_fn) (struct plugin_name_args *, struct plugin_gcc_version *);

__attribute__ ((visibility ("default"))) int plugin_is_GPL_compatible;

#define PREFIX "ctimer-gcc"
#define SUFFIX ".so"

/* One diagnostic line in GCC's own format ("cc1: error: ..."). */
__attribute__ ((format (printf, 1, 2))) static void
shim_error (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  fprintf (stderr, "%s: error: ctimer: ", program_invocation_short_name);
  vfprintf (stderr, fmt, ap);
  fputc ('\n', stderr);
  va_end (ap);
}

/* The major versions with a build in DIR, as "11, 12", sorted; "none" when there is none. */
static void
list_builds (const char *dir, char *out, size_t len)
{
  int majors[64], n = 0;
  DIR *d = opendir (dir);
  struct dirent *e;
  while (d && (e = readdir (d)) && n < 64)
    {
      size_t l = strlen (e->d_name);
      char *end;
      if (strncmp (e->d_name, PREFIX, strlen (PREFIX)) || l <= strlen (PREFIX SUFFIX)
          || strcmp (e->d_name + l - strlen (SUFFIX), SUFFIX))
        continue;
      long m = strtol (e->d_name + strlen (PREFIX), &end, 10);
      if (end != e->d_name + l - strlen (SUFFIX) || m <= 0)
        continue;
      int i = n++;
      for (; i > 0 && majors[i - 1] > m; i--)
        majors[i] = majors[i - 1];
      majors[i] = (int) m;
    }
  if (d)
    closedir (d);
  out[0] = '\0';
  if (n == 0)
    snprintf (out, len, "none");
  for (int i = 0; i < n; i++)
    snprintf (out + strlen (out), len - strlen (out), "%s%d", i ? ", " : "", majors[i]);
}

__attribute__ ((visibility ("default"))) int
plugin_init (struct plugin_name_args *info, struct plugin_gcc_version *version)
{
  const char *gcc = version && version->basever ? version->basever : "?";
  int major = atoi (gcc);

  /* This file's directory, absolute. */
  Dl_info self;
  char here[PATH_MAX], dir[PATH_MAX];
  if (!dladdr ((void *) plugin_init, &self) || !self.dli_fname
      || !realpath (self.dli_fname, here))
    {
      shim_error ("cannot find the directory of ctimer.so: %s", strerror (errno));
      return 1;
    }
  snprintf (dir, sizeof dir, "%s", dirname (here));

  char path[PATH_MAX + 32];
  snprintf (path, sizeof path, "%s/" PREFIX "%d" SUFFIX, dir, major);
  if (access (path, R_OK) != 0)
    {
      char have[256];
      list_builds (dir, have, sizeof have);
      shim_error ("this is GCC %s, and ctimer in %s has plugin builds for GCC %s only; rebuild "
                  "ctimer where gcc-%d and gcc-%d-plugin-dev are installed",
                  gcc, dir, have, major, major);
      return 1;
    }
  void *real = dlopen (path, RTLD_NOW | RTLD_LOCAL);
  if (!real)
    {
      shim_error ("GCC %s cannot load %s: %s", gcc, path, dlerror ());
      return 1;
    }
  plugin_init_fn init = (plugin_init_fn) dlsym (real, "plugin_init");
  if (!dlsym (real, "plugin_is_GPL_compatible") || !init)
    {
      shim_error ("%s is not a GCC plugin (no plugin_init or plugin_is_GPL_compatible)", path);
      return 1;
    }
  /* The real plugin stays loaded for the whole compilation, as GCC keeps its own. */
  return init (info, version);
}
