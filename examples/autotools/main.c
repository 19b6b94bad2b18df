#include <stdio.h>
#include <stdlib.h>
#include "calc.h"

int
main (int argc, char **argv)
{
  int n = argc > 1 ? atoi (argv[1]) : 5;
  printf ("sum of squares 1..%d = %ld\n", n, calc_sum_squares (n));
  return 0;
}
