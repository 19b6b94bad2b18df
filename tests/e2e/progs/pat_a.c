/* Two files for the selection tests: this one and pat_b.c. */
#include <stdio.h>

int b_alpha(int);
int b_beta(int);
int helper(int);

int alpha_one(int x) { return x + 1; }
int alpha_two(int x) { return x + 2; }
int beta_one(int x) { return x * 3; }

int main(void)
{
    printf("%d\n", alpha_one(1) + alpha_two(2) + beta_one(3) + b_alpha(4) + b_beta(5) + helper(6));
    return 0;
}
