/*
 * mcount_count.S — a counting mcount for the -pg builds: counts the calls that gprof and
 * uftrace see (one mcount call per entry of a function compiled with -pg).  Preserves every
 * register but the flags.  Linked into an untimed counting build only; mcount_report.c prints it.
 */
        .text
        .globl  mcount
        .type   mcount, @function
mcount:
        lock incq ctb_mcount_calls(%rip)
        ret
        .size   mcount, .-mcount

        .bss
        .globl  ctb_mcount_calls
        .align  8
        .type   ctb_mcount_calls, @object
        .size   ctb_mcount_calls, 8
ctb_mcount_calls:
        .zero   8
        .section .note.GNU-stack,"",@progbits
