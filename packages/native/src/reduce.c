/*
 * Sums over the middle of [outer, r, inner]: bias gradients (outer = 1, a sum
 * over every row of an NHWC tensor) and global average pooling (over H*W per
 * image). wasm's Sum transposes the reduced axes last and runs one thread.
 * float64 accumulators, as the cpu backend's JavaScript sums.
 */
#include "kernels.h"
#include "pool.h"

#include <stdlib.h>

typedef struct {
  const float *x;
  int64_t outer, r, inner;
  float scale;
  float *out;
  double *partials; /* [parts][inner]: accumulators (split over outer) or partial sums (split over r) */
} sum_job;

/* Split over outer: each slice owns its outputs. */
static void over_outer(void *ctx, int64_t b, int64_t e, int part) {
  const sum_job *j = ctx;
  double *acc = j->partials + part * j->inner;
  for (int64_t o = b; o < e; o++) {
    for (int64_t i = 0; i < j->inner; i++) acc[i] = 0;
    const float *x = j->x + o * j->r * j->inner;
    for (int64_t k = 0; k < j->r; k++, x += j->inner)
      for (int64_t i = 0; i < j->inner; i++) acc[i] += x[i];
    for (int64_t i = 0; i < j->inner; i++) j->out[o * j->inner + i] = (float)(acc[i] * j->scale);
  }
}

/* Split over r (one outer): each slice its own partial sums. */
static void over_r(void *ctx, int64_t b, int64_t e, int part) {
  const sum_job *j = ctx;
  double *acc = j->partials + part * j->inner;
  const float *x = j->x + b * j->inner;
  for (int64_t k = b; k < e; k++, x += j->inner)
    for (int64_t i = 0; i < j->inner; i++) acc[i] += x[i];
}

bool sum_middle(const float *x, int64_t outer, int64_t r, int64_t inner, float scale, float *out) {
  sum_job j = {x, outer, r, inner, scale, out, NULL};
  /* Rows of `inner` floats per thread at least: a slice under ~64k floats is not worth a wake-up. */
  const int64_t grain = (1 << 16) / (inner > 0 ? inner : 1) + 1;
  const bool split_outer = outer > 1;
  const int64_t n = split_outer ? outer : r, g = split_outer ? grain / (r > 0 ? r : 1) + 1 : grain;
  const int parts = pool_parts(n, g);
  j.partials = calloc((size_t)parts * (inner > 0 ? inner : 1), sizeof(double));
  if (!j.partials) return false;
  parallel_for(n, g, split_outer ? over_outer : over_r, &j);
  if (split_outer) {
    free(j.partials);
    return true;
  }
  for (int64_t i = 0; i < inner; i++) {
    double s = 0;
    for (int p = 0; p < parts; p++) s += j.partials[p * inner + i];
    out[i] = (float)(s * scale);
  }
  free(j.partials);
  return true;
}
