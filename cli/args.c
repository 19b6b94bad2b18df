/* args.c — the positional [DB] [RUN] arguments and numeric options every command parses alike. */
#include <errno.h>
#include <stdlib.h>

#include "cli.h"

int cli_db_run_args(int npos, char **pos, const char **db, const char **run)
{
    *db = cli_default_db();
    *run = NULL;
    if (npos == 1) {
        if (cli_looks_like_db(pos[0]))
            *db = pos[0];
        else
            *run = pos[0];
    } else if (npos == 2) {
        *db = pos[0];
        *run = pos[1];
    } else if (npos > 2) {
        cli_error("too many arguments: '%s' (expected [DB] [RUN])", pos[2]);
        return EXIT_USAGE;
    }
    return 0;
}

int cli_parse_count(const char *opt, const char *val, long *out)
{
    if (!val) {
        cli_error("%s needs a value", opt);
        return EXIT_USAGE;
    }
    char *end;
    errno = 0;
    long v = strtol(val, &end, 10);
    if (errno || end == val || *end || v < 0) {
        cli_error("%s: '%s' is not a non-negative integer", opt, val);
        return EXIT_USAGE;
    }
    *out = v;
    return 0;
}
