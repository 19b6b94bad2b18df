#include <stdio.h>
#include <stdlib.h>
#include "net.h"

int
main (int argc, char **argv)
{
  int n = argc > 1 ? atoi (argv[1]) : 10;
  unsigned sum = 0;
  for (int i = 0; i < n; i++)
    sum += net_send (i);
  sum += net_recv (n);
  printf ("sent %d, checksum %u\n", n, sum);
  return 0;
}
