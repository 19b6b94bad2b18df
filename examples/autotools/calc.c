#include "calc.h"

/* noinline: every call is a real call at any optimisation level, so the counts are exact. */
__attribute__ ((noinline)) long
calc_square (long x)
{
  return x * x;
}

__attribute__ ((noinline)) long
calc_sum_squares (int n)
{
  long s = 0;
  for (int i = 1; i <= n; i++)
    s += calc_square (i);
  return s;
}
