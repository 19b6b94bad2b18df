/* Four functions that match net_*: two are timed, one is excluded by the pattern *_inline and
   one by filter.txt.  noinline keeps every call a real call at -O2 and under LTO, so the counts
   are exact at any optimisation level. */
#include "net.h"

static volatile unsigned wire;

__attribute__ ((noinline)) static unsigned
net_checksum_inline (unsigned x)
{
  wire += x;
  return x * 2654435761u;
}

__attribute__ ((noinline)) static unsigned
net_debug (unsigned x)
{
  wire ^= x;
  return wire;
}

/* Does not match net_*: never timed. */
__attribute__ ((noinline)) static unsigned
frame (int i)
{
  wire += (unsigned) i;
  return wire >> 3;
}

__attribute__ ((noinline)) unsigned
net_send (int i)
{
  return net_checksum_inline ((unsigned) i) ^ frame (i);
}

__attribute__ ((noinline)) unsigned
net_recv (int n)
{
  unsigned s = 0;
  for (int i = 0; i < n; i++)
    s += net_debug ((unsigned) i) + frame (i);
  return s;
}
