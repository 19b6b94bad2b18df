/* Plugin arguments: strict parsing, the filter file, and pattern matching.
 *
 * Every -fplugin-arg-ctimer-KEY[=VALUE] is checked here before any pass is registered: an unknown
 * key, a missing or superfluous value, or an unreadable filter file is an error() naming the
 * argument, so that a typo never silently times the wrong functions.  */

#include "params.h"
#include <fnmatch.h>

struct ctimer_params ctimer_params;

/* Appends the comma-separated globs in LIST to OUT.  Empty items are an error: "a,,b" is a typo. */
static bool
split_patterns (const char *key, const char *list, std::vector<std::string> &out)
{
  std::string item;
  for (const char *p = list;; p++)
    {
      if (*p != ',' && *p != '\0')
        {
          item += *p;
          continue;
        }
      if (item.empty ())
        {
          error ("ctimer: %<-fplugin-arg-ctimer-%s=%s%> has an empty pattern", key, list);
          return false;
        }
      out.push_back (item);
      item.clear ();
      if (*p == '\0')
        return true;
    }
}

static std::string
trim (const std::string &s)
{
  size_t b = s.find_first_not_of (" \t\r\n");
  size_t e = s.find_last_not_of (" \t\r\n");
  return b == std::string::npos ? std::string () : s.substr (b, e - b + 1);
}

/* Reads a filter file: one "+pattern" or "-pattern" per line, "file:" before a path pattern,
   "#" starts a comment line, blank lines are ignored. */
static bool
read_filter_file (const char *path)
{
  FILE *f = fopen (path, "r");
  if (!f)
    {
      error ("ctimer: %<-fplugin-arg-ctimer-filter=%s%>: cannot read the file: %m", path);
      return false;
    }
  bool ok = true;
  char buf[4096];
  for (int lineno = 1; fgets (buf, sizeof buf, f); lineno++)
    {
      std::string line = trim (buf);
      if (line.empty () || line[0] == '#')
        continue;
      char sign = line[0];
      std::string pat = trim (line.substr (1));
      bool is_file = pat.compare (0, 5, "file:") == 0;
      if (is_file)
        pat = trim (pat.substr (5));
      if ((sign != '+' && sign != '-') || pat.empty ())
        {
          error ("ctimer: %s:%d: expected %<+pattern%>, %<-pattern%>, %<+file:pattern%> or "
                 "%<-file:pattern%>, found %qs", path, lineno, line.c_str ());
          ok = false;
          continue;
        }
      std::vector<std::string> &dst
        = sign == '+' ? (is_file ? ctimer_params.include_file : ctimer_params.include)
                      : (is_file ? ctimer_params.exclude_file : ctimer_params.exclude);
      dst.push_back (pat);
    }
  if (ferror (f))
    {
      error ("ctimer: %<-fplugin-arg-ctimer-filter=%s%>: read error: %m", path);
      ok = false;
    }
  fclose (f);
  return ok;
}

static bool
parse_int (const char *key, const char *value, int lo, int hi, int *out)
{
  char *end;
  errno = 0;
  long v = strtol (value, &end, 10);
  if (errno || end == value || *end || v < lo || v > hi)
    {
      error ("ctimer: %<-fplugin-arg-ctimer-%s=%s%>: expected an integer from %d to %d", key, value,
             lo, hi);
      return false;
    }
  *out = (int) v;
  return true;
}

/* Checks that KEY has a value iff it needs one. */
static bool
check_value (const struct plugin_argument *arg, bool wants_value)
{
  if (wants_value && (!arg->value || !*arg->value))
    {
      error ("ctimer: %<-fplugin-arg-ctimer-%s%> needs a value (%<-fplugin-arg-ctimer-%s=...%>)",
             arg->key, arg->key);
      return false;
    }
  if (!wants_value && arg->value)
    {
      error ("ctimer: %<-fplugin-arg-ctimer-%s%> takes no value, got %qs", arg->key, arg->value);
      return false;
    }
  return true;
}

/* KEY=A or KEY=B, nothing else: sets *OUT to VA or VB. */
template <typename T>
static bool
parse_choice (const struct plugin_argument *arg, const char *a, const char *b, T *out, T va, T vb)
{
  if (!check_value (arg, true))
    return false;
  if (!strcmp (arg->value, a))
    *out = va;
  else if (!strcmp (arg->value, b))
    *out = vb;
  else
    {
      error ("ctimer: %<-fplugin-arg-ctimer-%s=%s%>: expected %qs or %qs", arg->key, arg->value, a,
             b);
      return false;
    }
  return true;
}

std::vector<std::string>
ctimer_default_calls ()
{
  return {
    /* locks and waits */
    "pthread_mutex_lock", "pthread_mutex_timedlock", "pthread_mutex_clocklock",
    "pthread_rwlock_rdlock", "pthread_rwlock_wrlock", "pthread_rwlock_timedrdlock",
    "pthread_rwlock_timedwrlock", "pthread_spin_lock", "pthread_cond_wait",
    "pthread_cond_timedwait", "pthread_cond_clockwait", "pthread_barrier_wait", "pthread_join",
    "sem_wait", "sem_timedwait", "sem_clockwait", "flock", "lockf",
    /* I/O */
    "read", "write", "pread", "pwrite", "pread64", "pwrite64", "readv", "writev", "preadv",
    "pwritev", "recv", "recvfrom", "recvmsg", "send", "sendto", "sendmsg", "accept", "accept4",
    "connect", "open", "open64", "openat", "close", "fsync", "fdatasync", "sync_file_range",
    "msync", "sendfile", "splice", "fread", "fwrite", "fflush", "fgets", "getline",
    /* waiting for events, time and processes */
    "poll", "ppoll", "select", "pselect", "epoll_wait", "epoll_pwait", "sleep", "usleep",
    "nanosleep", "clock_nanosleep", "wait", "waitpid", "waitid", "pause", "sigwait",
    "sigwaitinfo", "sigtimedwait",
  };
}

/* calls=PATTERNS, calls=blocking (the default set) or calls=off. */
static bool
parse_calls (const struct plugin_argument *arg)
{
  if (!check_value (arg, true))
    return false;
  ctimer_params.calls.clear ();
  if (!strcmp (arg->value, "off"))
    return true;
  std::vector<std::string> pats;
  if (!split_patterns (arg->key, arg->value, pats))
    return false;
  for (const std::string &p : pats)
    if (p == "blocking")
      for (const std::string &d : ctimer_default_calls ())
        ctimer_params.calls.push_back (d);
    else if (p == "off")
      {
        error ("ctimer: %<-fplugin-arg-ctimer-calls=%s%>: %<off%> cannot be combined with "
               "patterns", arg->value);
        return false;
      }
    else
      ctimer_params.calls.push_back (p);
  return true;
}

static bool
parse_one (const struct plugin_argument *arg)
{
  const char *k = arg->key;
  std::vector<std::string> *list = NULL;
  if (!strcmp (k, "include"))
    list = &ctimer_params.include;
  else if (!strcmp (k, "exclude"))
    list = &ctimer_params.exclude;
  else if (!strcmp (k, "include-file"))
    list = &ctimer_params.include_file;
  else if (!strcmp (k, "exclude-file"))
    list = &ctimer_params.exclude_file;
  else if (!strcmp (k, "cpu"))
    list = &ctimer_params.cpu;
  else if (!strcmp (k, "args"))
    list = &ctimer_params.args;
  else if (!strcmp (k, "count"))
    list = &ctimer_params.count;
  if (list)
    return check_value (arg, true) && split_patterns (k, arg->value, *list);

  if (!strcmp (k, "filter"))
    return check_value (arg, true) && read_filter_file (arg->value);
  if (!strcmp (k, "verbose"))
    return check_value (arg, false) && (ctimer_params.verbose = true);
  if (!strcmp (k, "min-stmts"))
    return check_value (arg, true)
           && parse_int (k, arg->value, 0, 1000000, &ctimer_params.min_stmts);
  if (!strcmp (k, "placement"))
    return parse_choice (arg, "early", "late", &ctimer_params.placement, CTIMER_EARLY, CTIMER_LATE);
  if (!strcmp (k, "methods"))
    return parse_choice (arg, "on", "off", &ctimer_params.methods, true, false);
  if (!strcmp (k, "counting"))
    return parse_choice (arg, "on", "off", &ctimer_params.counting, true, false);
  if (!strcmp (k, "calls"))
    return parse_calls (arg);
  if (!strcmp (k, "min-stmts-scope"))
    return parse_choice (arg, "leaf", "noloop", &ctimer_params.min_stmts_scope, CTIMER_SCOPE_LEAF,
                         CTIMER_SCOPE_NOLOOP);
  error ("ctimer: unknown argument %<-fplugin-arg-ctimer-%s%>; known: %s", k,
         ctimer_option_names ());
  return false;
}

const char *
ctimer_option_names (void)
{
  return "include, exclude, include-file, exclude-file, filter, verbose, placement, methods, "
         "calls, cpu, args, count, counting, min-stmts, min-stmts-scope";
}

bool
ctimer_parse_args (const struct plugin_name_args *info)
{
  bool ok = true;
  for (int i = 0; i < info->argc; i++)
    ok &= parse_one (&info->argv[i]);
  if (ok && !ctimer_params.counting && !ctimer_params.count.empty ())
    {
      error ("ctimer: %<-fplugin-arg-ctimer-count=%> needs the inline counter test, which "
             "%<-fplugin-arg-ctimer-counting=off%> leaves out");
      ok = false;
    }
  return ok;
}

bool
ctimer_matches_any (const std::vector<std::string> &pats, const char *s)
{
  for (const std::string &p : pats)
    if (fnmatch (p.c_str (), s, 0) == 0)
      return true;
  return false;
}

bool
ctimer_selected (const char *name, const char *file)
{
  if (ctimer_matches_any (ctimer_params.exclude, name) || ctimer_matches_any (ctimer_params.exclude_file, file))
    return false;
  if (!ctimer_params.include.empty () && !ctimer_matches_any (ctimer_params.include, name))
    return false;
  if (!ctimer_params.include_file.empty () && !ctimer_matches_any (ctimer_params.include_file, file))
    return false;
  return true;
}

bool
ctimer_count_only (const char *name)
{
  return ctimer_matches_any (ctimer_params.count, name);
}
