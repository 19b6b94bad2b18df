/*
 * sqlite_main.c — times the SQLite shell (shell.c of the amalgamation, compiled with
 * -Dmain=ctb_shell_main) around its whole run and prints the CTIMER_BENCH line.
 * Usage: same as the sqlite3 shell.
 */
#include "bench.h"

int ctb_shell_main(int argc, char **argv);

int main(int argc, char **argv)
{
    int64_t w0 = bench_wall_ns(), c0 = bench_cpu_ns();
    int rc = ctb_shell_main(argc, argv);
    int64_t c1 = bench_cpu_ns(), w1 = bench_wall_ns();
    fflush(stdout);
    bench_report("sqlite", w1 - w0, c1 - c0, 1);
    return rc;
}
