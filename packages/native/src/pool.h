/*
 * The addon's one thread pool, for products (gemm.c, conv.c: OpenBLAS runs
 * single-threaded in each part) and the memory-bound kernels alike: the calling
 * thread plus up to POOL_MAX_THREADS - 1 workers that sleep on a condition
 * variable between jobs, instead of spinning as OpenBLAS's own threads do
 * (against the next kernel's threads, on a 2-core machine).
 */
#ifndef CLUSTERFLOW_POOL_H
#define CLUSTERFLOW_POOL_H
#include <stdbool.h>
#include <stdint.h>

#define POOL_MAX_THREADS 64

/* Runs fn over [begin, end) slices of [0, n); part is the slice's index (0 = the calling thread). */
typedef void (*pool_fn)(void *ctx, int64_t begin, int64_t end, int part);

/* Threads a job may use, the caller included (clamped to 1..POOL_MAX_THREADS). */
void pool_set_threads(int threads);
int pool_threads(void);

/*
 * Whether a thread done with its part runs parts no other thread has started
 * (default on; off: part i waits for worker i, for the kernel ablation).
 */
void pool_set_sharing(bool on);

/*
 * How many parts parallel_for(n, grain, ...) splits into: at most the pool's
 * thread count, and no part smaller than grain items. Callers size per-part
 * scratch with it.
 */
int pool_parts(int64_t n, int64_t grain);

/*
 * Splits [0, n) into pool_parts(n, grain) contiguous slices run in parallel;
 * returns when all are done. Jobs run one at a time; fn must not call
 * parallel_for itself.
 */
void parallel_for(int64_t n, int64_t grain, pool_fn fn, void *ctx);

#endif
