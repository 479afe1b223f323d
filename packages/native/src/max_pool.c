/*
 * MaxPool that remembers where each maximum was (PyTorch's
 * max_pool2d_with_indices), NHWC, no padding: forward writes y and, per output
 * element, the flat offset into x of its window's first maximum in row-major
 * window order (strict >, as tfjs-core's cpu maxPoolPositions picks it), in one
 * pass split over images. The backward is then a scatter: dx zeroed, dy added
 * at the saved offsets, with no second look at x (max_pool_grad.c recomputes
 * every window's maximum from x).
 *
 * NaN is never greater than the running maximum, so it is skipped, as on the
 * cpu backend: a window whose values are all NaN (or all -Inf) gives -Inf and
 * offset -1, which receives no gradient.
 */
#include "kernels.h"
#include "pool.h"

#include <math.h>
#include <string.h>

typedef struct {
  const conv_geom *g;
  const float *x, *dy;
  const int32_t *index_in;
  float *y, *dx;
  int32_t *index;
} argmax_job;

/*
 * Four channels a vector (GCC/Clang vector extensions: SSE, NEON or scalar,
 * whatever the target has). Written as masks: left to itself GCC turns the
 * compare-and-keep into a branch per element, mispredicted on real data (3x slower).
 */
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));
/* Vectors a block of channels: 16 channels, in registers through each window. */
#define VECS 4

static inline v4f load4(const float *p) {
  v4f v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* Channels [k0, k0 + 4 * VECS) of one window whose top-left element of channel 0 is x[base]. */
static inline void block_argmax(const argmax_job *j, int64_t base, int64_t k0, float *y, int32_t *index) {
  const conv_geom *g = j->g;
  v4f best[VECS];
  v4i where[VECS]; /* the offset of the maximum's channel k0 + 4v: lane i's is where + i */
  for (int v = 0; v < VECS; v++) {
    best[v] = (v4f){-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    where[v] = (v4i){-1, -1, -1, -1};
  }
  for (int64_t r = 0; r < g->kh; r++)
    for (int64_t q = 0; q < g->kw; q++) {
      const int32_t at = (int32_t)(base + (r * g->w + q) * g->c + k0);
      const v4i at4 = {at, at, at, at};
      for (int v = 0; v < VECS; v++) {
        const v4f p = load4(j->x + at + 4 * v);
        /* Strict >: the first maximum stays, and NaN (never greater) never wins. */
        const v4i gt = p > best[v];
        best[v] = (v4f)(((v4i)p & gt) | ((v4i)best[v] & ~gt));
        where[v] = ((at4 + 4 * v) & gt) | (where[v] & ~gt);
      }
    }
  const v4i lane = {0, 1, 2, 3};
  for (int v = 0; v < VECS; v++) {
    /* -1 (no maximum) stays -1: where >> 31 is all ones exactly then. */
    const v4i off = (where[v] + lane) | (where[v] >> 31);
    memcpy(y + 4 * v, &best[v], sizeof best[v]);
    memcpy(index + 4 * v, &off, sizeof off);
  }
}

/* The channels after the last whole block, one at a time. */
static inline void channel_argmax(const argmax_job *j, int64_t base, int64_t k, float *y, int32_t *index) {
  const conv_geom *g = j->g;
  float best = -INFINITY;
  int32_t where = -1;
  for (int64_t r = 0; r < g->kh; r++)
    for (int64_t q = 0; q < g->kw; q++) {
      const int64_t at = base + (r * g->w + q) * g->c + k;
      if (j->x[at] > best) best = j->x[at], where = (int32_t)at;
    }
  *y = best;
  *index = where;
}

static void forward_images(void *ctx, int64_t b, int64_t e, int part) {
  (void)part;
  const argmax_job *j = ctx;
  const conv_geom *g = j->g;
  const int64_t c = g->c, whole = c - c % (4 * VECS);
  for (int64_t n = b; n < e; n++)
    for (int64_t oh = 0; oh < g->oh; oh++)
      for (int64_t ow = 0; ow < g->ow; ow++) {
        const int64_t out = ((n * g->oh + oh) * g->ow + ow) * c;
        const int64_t base = ((n * g->h + oh * g->sh) * g->w + ow * g->sw) * c;
        for (int64_t k0 = 0; k0 < whole; k0 += 4 * VECS) block_argmax(j, base, k0, j->y + out + k0, j->index + out + k0);
        for (int64_t k = whole; k < c; k++) channel_argmax(j, base, k, j->y + out + k, j->index + out + k);
      }
}

static void backward_images(void *ctx, int64_t b, int64_t e, int part) {
  (void)part;
  const argmax_job *j = ctx;
  const conv_geom *g = j->g;
  const int64_t in_image = g->h * g->w * g->c, out_image = g->oh * g->ow * g->c;
  const uint64_t total = (uint64_t)(g->n * in_image);
  memset(j->dx + b * in_image, 0, (size_t)((e - b) * in_image) * sizeof(float));
  for (int64_t i = b * out_image; i < e * out_image; i++) {
    const int32_t at = j->index_in[i];
    /* -1 (no maximum) and anything outside dx add nothing: a bad index cannot write past dx. */
    if ((uint64_t)(int64_t)at < total) j->dx[at] += j->dy[i];
  }
}

/* At least ~32k input floats a part: a smaller slice is not worth waking a thread. */
static int64_t grain_of(const conv_geom *g) {
  const int64_t per_image = g->h * g->w * g->c;
  return per_image ? (1 << 15) / per_image + 1 : 1;
}

void max_pool_argmax(const conv_geom *g, const float *x, float *y, int32_t *index) {
  argmax_job j = {g, x, NULL, NULL, y, NULL, index};
  parallel_for(g->n, grain_of(g), forward_images, &j);
}

void max_pool_scatter(const conv_geom *g, const float *dy, const int32_t *index, float *dx) {
  argmax_job j = {g, NULL, dy, index, NULL, dx, NULL};
  parallel_for(g->n, grain_of(g), backward_images, &j);
}
