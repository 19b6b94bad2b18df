/*
 * registry.h — program side: the descriptor ranges handed over by __ctimer_register, and their
 * publication in the shared descriptor log (shm.h) for the recorder, which names functions from it.
 */
#ifndef CTIMER_REGISTRY_H
#define CTIMER_REGISTRY_H

#include "ctimer.h"
#include "shm.h"

/*
 * Appends every registered descriptor not yet published to h's log (with h == NULL: nothing yet, but
 * later ranges are published at registration once a log is set).  Sets the log the next ranges go to.
 * Complaints about ranges that are not descriptor arrays go to stderr, one line each.
 */
void ctimer_registry_publish(struct ctimer_shm_header *h);
/* Forgets the log (fork child, shutdown): the next publish starts from the first range again. */
void ctimer_registry_detach(void);
/* The recorder's path the plugin compiled in (__ctimer_recorder_hint), or NULL. */
const char *ctimer_registry_recorder_hint(void);

/* For pthread_atfork: the range list's mutex. */
/* With the lock held: the descriptor ids handed out so far (all below it), and the bound for those
 * handed out from now on (the run's count_cap, shm.h). */
uint32_t ctimer_registry_ids_used_locked(void);
void ctimer_registry_limit_ids_locked(uint32_t cap);
void ctimer_registry_lock(void);
void ctimer_registry_unlock(void);

#endif /* CTIMER_REGISTRY_H */
