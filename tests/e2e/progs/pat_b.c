/* The second file of the selection tests (see pat_a.c). */
int b_alpha(int x) { return x - 1; }
int b_beta(int x) { return x - 2; }
int helper(int x) { return x * x; }
