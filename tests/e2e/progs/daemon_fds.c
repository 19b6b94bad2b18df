/* daemon_fds HOW DIR: like a daemon, closes every descriptor above 2 first thing in main (HOW =
   loop: close() up to the descriptor limit; range: close_range(3, ~0U, 0)), then opens four files
   DIR/out0..out3 and writes 75 blocks of 4 KiB to each, in turn (307 200 bytes each, deterministic
   content), while making instrumented calls: fill_block 300 times, next_word 153 600 times.
   Prints the four descriptors it got and a checksum. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FILES 4
#define BLOCKS 75
#define WORDS 512 /* 4 KiB */

__attribute__((noipa)) uint64_t next_word(uint64_t x)
{
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
}

__attribute__((noipa)) uint64_t fill_block(uint64_t *w, uint64_t seed)
{
    for (int i = 0; i < WORDS; i++)
        w[i] = seed = next_word(seed);
    return seed;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: daemon_fds loop|range DIR\n");
        return 2;
    }
    if (strcmp(argv[1], "range") == 0) {
        if (close_range(3, ~0U, 0) != 0) {
            perror("close_range");
            return 1;
        }
    } else {
        long max = sysconf(_SC_OPEN_MAX);
        for (long fd = 3; fd < max; fd++)
            close((int)fd);
    }
    int fds[FILES];
    for (int f = 0; f < FILES; f++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/out%d", argv[2], f);
        fds[f] = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fds[f] < 0) {
            perror(path);
            return 1;
        }
    }
    uint64_t seed[FILES] = {1, 2, 3, 4}, sum = 0, w[WORDS];
    for (int b = 0; b < BLOCKS; b++)
        for (int f = 0; f < FILES; f++) {
            seed[f] = fill_block(w, seed[f]);
            sum += seed[f];
            if (write(fds[f], w, sizeof w) != (ssize_t)sizeof w) {
                perror("write");
                return 1;
            }
        }
    for (int f = 0; f < FILES; f++)
        if (close(fds[f]) != 0) {
            perror("close");
            return 1;
        }
    printf("descriptors %d %d %d %d\nchecksum %llu\n", fds[0], fds[1], fds[2], fds[3],
           (unsigned long long)sum);
    return 0;
}
