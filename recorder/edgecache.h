/*
 * edgecache.h — the writer's cache of what a call resolves to: (thread, caller function, descriptor)
 * -> (function id, aggregate index).  Direct-mapped; both mappings never change during a run, so
 * entries are never invalidated, only overwritten.  See docs/runtime-design.md, "Writer".
 */
#ifndef CTIMER_EDGECACHE_H
#define CTIMER_EDGECACHE_H

#include <stdint.h>

/* 4096 entries (96 KiB) hold the hot edges of most programs; a miss costs the two hash lookups the
 * cache saves, plus one probe. */
#define CTIMER_EDGE_CACHE_BITS 12
#define CTIMER_EDGE_CACHE_SLOTS ((size_t)1 << CTIMER_EDGE_CACHE_BITS)

struct ctimer_edge_slot {
    uintptr_t desc; /* 0: empty */
    uint32_t thread, caller, fid, agg;
};

/* The slot a key lives in (cache has CTIMER_EDGE_CACHE_SLOTS entries). */
static inline struct ctimer_edge_slot *ctimer_edge_slot(struct ctimer_edge_slot *cache, uintptr_t desc,
                                                        uint32_t thread, uint32_t caller)
{
    uint64_t h = ((uint64_t)desc ^ ((uint64_t)caller << 40) ^ ((uint64_t)thread << 20)) * UINT64_C(0x9E3779B97F4A7C15);
    return &cache[h >> (64 - CTIMER_EDGE_CACHE_BITS)];
}

/* The slot if it holds exactly this key, else NULL. */
static inline const struct ctimer_edge_slot *ctimer_edge_find(struct ctimer_edge_slot *cache, uintptr_t desc,
                                                              uint32_t thread, uint32_t caller)
{
    const struct ctimer_edge_slot *s = ctimer_edge_slot(cache, desc, thread, caller);
    return s->desc == desc && s->caller == caller && s->thread == thread ? s : NULL;
}

static inline void ctimer_edge_store(struct ctimer_edge_slot *cache, uintptr_t desc, uint32_t thread,
                                     uint32_t caller, uint32_t fid, uint32_t agg)
{
    *ctimer_edge_slot(cache, desc, thread, caller) = (struct ctimer_edge_slot){desc, thread, caller, fid, agg};
}

#endif /* CTIMER_EDGECACHE_H */
