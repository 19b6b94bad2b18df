#ifndef NET_H
#define NET_H
unsigned net_send (int i);
unsigned net_recv (int n);
#endif
