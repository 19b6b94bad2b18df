#ifndef CALC_H
#define CALC_H
long calc_square (long x);
long calc_sum_squares (int n);
#endif
