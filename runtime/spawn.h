/*
 * spawn.h — program side: creates the shared mapping and starts the recorder (spawn.c).
 */
#ifndef CTIMER_SPAWN_H
#define CTIMER_SPAWN_H

#include "runtime.h"

/*
 * Maps the shared buffer into rt->shm, publishes the registered descriptors, starts ctimer-recorder
 * and waits until it has reserved the run.  Returns 0, or -1 after one line on stderr (nothing is
 * left mapped or open).
 */
int ctimer_spawn(struct ctimer_runtime *rt);

#endif /* CTIMER_SPAWN_H */
