/*
 * MaxPool's gradient, NHWC, dilation 1: dx (overwritten) gets each window's dy
 * at the window's first maximum in row-major order, as tfjs-core's cpu backend
 * routes it. Split over images, whose windows never reach another image, so
 * the threads' scatter-adds never meet.
 */
#include "kernels.h"
#include "pool.h"

#include <math.h>
#include <string.h>

typedef struct {
  const conv_geom *g;
  const float *x, *dy;
  float *dx;
} pool_job;

/* Channels handled together: local arrays of this width stay in vector registers. */
#define LANES 16

/* The window's first maximum per channel, for channels [k0, k0 + kn), as the pixel (row * W + column) in the image. */
static inline void window_argmax(const pool_job *j, int64_t n, int64_t r0, int64_t r1, int64_t c0, int64_t c1,
                                 int64_t k0, int64_t kn, int32_t *where) {
  const conv_geom *g = j->g;
  float best[LANES];
  for (int i = 0; i < LANES; i++) {
    best[i] = -INFINITY;
    where[i] = -1;
  }
  for (int64_t r = r0; r < r1; r++)
    for (int64_t q = c0; q < c1; q++) {
      const float *px = j->x + ((n * g->h + r) * g->w + q) * g->c + k0;
      const int32_t at = (int32_t)(r * g->w + q);
      /* Branch-free, so it vectorises; strict >, so the first maximum stays. */
      if (kn == LANES) {
        for (int i = 0; i < LANES; i++) {
          const int gt = px[i] > best[i];
          best[i] = gt ? px[i] : best[i];
          where[i] = gt ? at : where[i];
        }
      } else {
        for (int i = 0; i < kn; i++) {
          const int gt = px[i] > best[i];
          best[i] = gt ? px[i] : best[i];
          where[i] = gt ? at : where[i];
        }
      }
    }
}

static void images(void *ctx, int64_t b, int64_t e, int part) {
  (void)part;
  const pool_job *j = ctx;
  const conv_geom *g = j->g;
  const int64_t c = g->c;
  memset(j->dx + b * g->h * g->w * c, 0, (size_t)((e - b) * g->h * g->w * c) * sizeof(float));
  int32_t where[LANES];
  for (int64_t n = b; n < e; n++) {
    float *dxn = j->dx + n * g->h * g->w * c;
    for (int64_t oh = 0; oh < g->oh; oh++) {
      const int64_t top = oh * g->sh - g->pad_top;
      const int64_t r0 = top > 0 ? top : 0, r1 = top + g->kh < g->h ? top + g->kh : g->h;
      for (int64_t ow = 0; ow < g->ow; ow++) {
        const int64_t left = ow * g->sw - g->pad_left;
        const int64_t c0 = left > 0 ? left : 0, c1 = left + g->kw < g->w ? left + g->kw : g->w;
        const float *dy = j->dy + ((n * g->oh + oh) * g->ow + ow) * c;
        for (int64_t k0 = 0; k0 < c; k0 += LANES) {
          const int64_t kn = c - k0 < LANES ? c - k0 : LANES;
          window_argmax(j, n, r0, r1, c0, c1, k0, kn, where);
          for (int64_t i = 0; i < kn; i++)
            if (where[i] >= 0) dxn[(int64_t)where[i] * c + k0 + i] += dy[k0 + i];
        }
      }
    }
  }
}

void max_pool_grad(const conv_geom *g, const float *x, const float *dy, float *dx) {
  const int64_t per_image = g->h * g->w * g->c;
  const int64_t grain = per_image ? (1 << 15) / per_image + 1 : 1;
  pool_job j = {g, x, dy, dx};
  parallel_for(g->n, grain, images, &j);
}
