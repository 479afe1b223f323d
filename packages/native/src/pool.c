#include "pool.h"

#include "signals.h"

#include <pthread.h>
#include <stdbool.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
/* One job at a time, even if several JS threads (worker_threads) load the addon: jobs share the workers and the per-part scratch. */
static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t start = PTHREAD_COND_INITIALIZER, done = PTHREAD_COND_INITIALIZER;
static int threads = 1;  /* per job, the caller included */
static int started = 0;  /* workers running */
/* The current job: parts 1..parts-1 are claimed by whichever thread is free first (claim_parts). */
static uint64_t generation = 0;
static int parts = 1, pending = 0, next_part = 1; /* next_part: the first part no thread has claimed */
static pool_fn job_fn;
static void *job_ctx;
static int64_t job_n;

static void run_part(int part, int of) {
  const int64_t b = job_n * part / of, e = job_n * (part + 1) / of;
  if (b < e) job_fn(job_ctx, b, e, part);
}

/*
 * Runs parts of the current job until none is left unclaimed; called with mu
 * held, returns with it held. Any thread may run any part: on a machine where
 * other processes hold the cores, a worker woken for part 1 may not get a core
 * for milliseconds, and the caller, done with part 0, runs part 1 itself
 * instead of waiting. A part's index, and so its slice and its scratch, does
 * not depend on which thread runs it: results are the same either way.
 */
static void run_claimed(int part) {
  const int of = parts;
  pthread_mutex_unlock(&mu);
  run_part(part, of);
  pthread_mutex_lock(&mu);
  if (--pending == 0) pthread_cond_signal(&done);
}

static void claim_parts(void) {
  while (next_part < parts) run_claimed(next_part++);
}

/* Off: worker i runs part i and the caller waits for it (the kernel ablation's "without"). */
static bool sharing = true;

void pool_set_sharing(bool on) { sharing = on; }

static void *worker(void *arg) {
  const int id = (int)(intptr_t)arg;
  uint64_t seen = 0;
  pthread_mutex_lock(&mu);
  for (;;) {
    while (generation == seen) pthread_cond_wait(&start, &mu);
    seen = generation;
    if (sharing) claim_parts();
    else if (id < parts) run_claimed(id);
  }
  return NULL;
}

void pool_set_threads(int t) {
  threads = t < 1 ? 1 : t > POOL_MAX_THREADS ? POOL_MAX_THREADS : t;
}

/* Starts workers up to `want` - 1; returns how many parts can run (fewer if a thread would not start). */
static int ensure_workers(int want) {
  /* Workers start with every asynchronous signal blocked (they inherit the mask) and keep it: the process's signals go to JS's thread. */
  sigset_t held;
  signals_hold(&held);
  while (started < want - 1) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    const int ok = pthread_create(&t, &attr, worker, (void *)(intptr_t)(started + 1)) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) break;
    started++;
  }
  signals_release(&held);
  return started + 1 < want ? started + 1 : want;
}

int pool_threads(void) { return threads; }

int pool_parts(int64_t n, int64_t grain) {
  int64_t p = grain > 0 ? n / grain : n;
  if (p > threads) p = threads;
  return p < 1 ? 1 : (int)p;
}

void parallel_for(int64_t n, int64_t grain, pool_fn fn, void *ctx) {
  pthread_mutex_lock(&job_lock);
  int p = pool_parts(n, grain);
  if (p > 1) p = ensure_workers(p);
  if (p <= 1) {
    if (n > 0) fn(ctx, 0, n, 0);
    pthread_mutex_unlock(&job_lock);
    return;
  }
  pthread_mutex_lock(&mu);
  job_fn = fn;
  job_ctx = ctx;
  job_n = n;
  parts = p;
  pending = p - 1;
  next_part = 1;
  generation++;
  pthread_cond_broadcast(&start);
  pthread_mutex_unlock(&mu);
  run_part(0, p);
  pthread_mutex_lock(&mu);
  if (sharing) claim_parts();
  while (pending > 0) pthread_cond_wait(&done, &mu);
  pthread_mutex_unlock(&mu);
  pthread_mutex_unlock(&job_lock);
}
