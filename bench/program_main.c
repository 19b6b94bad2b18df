/*
 * program_main.c — times a real program's own main around its whole run and prints the
 * CTIMER_BENCH line.  The program's main is compiled renamed (-Dmain=ctb_program_main), and this
 * file with -DCTB_WORKLOAD='"name"' (sqlite: the SQLite shell; lua: the Lua interpreter).
 * Usage: the program's own.
 */
#include "bench.h"

#ifndef CTB_WORKLOAD
#error "compile with -DCTB_WORKLOAD='\"name\"'"
#endif

int ctb_program_main(int argc, char **argv);

int main(int argc, char **argv)
{
    int64_t w0 = bench_wall_ns(), c0 = bench_cpu_ns();
    int rc = ctb_program_main(argc, argv);
    int64_t c1 = bench_cpu_ns(), w1 = bench_wall_ns();
    fflush(stdout);
    bench_report(CTB_WORKLOAD, w1 - w0, c1 - c0, 1);
    return rc;
}
