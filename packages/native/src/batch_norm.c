/*
 * BatchNorm in training mode over [rows, C] (NHWC with N*H*W rows), the fused
 * replacement for the ~10 elementwise ops and reductions TF.js composes it of
 * (single-threaded on wasm). Two passes over the data each way: per-channel
 * sums split over row slices (each thread its own float64 partials, added in
 * order afterwards, so the result does not depend on timing), then the
 * elementwise pass with per-channel coefficients.
 */
#include "kernels.h"
#include "pool.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Rows per thread at least: a slice under ~64k floats is not worth a wake-up. */
static int64_t grain_rows(int64_t c) { return (1 << 16) / (c > 0 ? c : 1) + 1; }

typedef struct {
  const float *a, *b;  /* forward: x; backward: dy, x */
  const float *shift;  /* per channel: subtracted before summing (forward: x's first row; backward: the mean) */
  int64_t c;
  double *partials;    /* [parts][2][C] */
  /* the elementwise pass: out = k1 * a + k2 * b + k3 (forward: k2 unused) */
  const float *k1, *k2, *k3;
  float *out;
} bn_job;

/* Forward sums of d = x - shift: S1 = sum d, S2 = sum d^2 (shifted, so the variance does not cancel). */
static void forward_sums(void *ctx, int64_t b, int64_t e, int part) {
  const bn_job *j = ctx;
  const int64_t c = j->c;
  double *s1 = j->partials + part * 2 * c, *s2 = s1 + c;
  for (int64_t r = b; r < e; r++) {
    const float *x = j->a + r * c;
    for (int64_t i = 0; i < c; i++) {
      const double d = (double)x[i] - j->shift[i];
      s1[i] += d;
      s2[i] += d * d;
    }
  }
}

/* Backward sums: S1 = sum dy, S2 = sum dy * (x - mean). */
static void backward_sums(void *ctx, int64_t b, int64_t e, int part) {
  const bn_job *j = ctx;
  const int64_t c = j->c;
  double *s1 = j->partials + part * 2 * c, *s2 = s1 + c;
  for (int64_t r = b; r < e; r++) {
    const float *dy = j->a + r * c, *x = j->b + r * c;
    for (int64_t i = 0; i < c; i++) {
      s1[i] += dy[i];
      s2[i] += (double)dy[i] * ((double)x[i] - j->shift[i]);
    }
  }
}

/* out = k1 * x + k3 (forward). */
static void affine1(void *ctx, int64_t b, int64_t e, int part) {
  (void)part;
  const bn_job *j = ctx;
  const int64_t c = j->c;
  for (int64_t r = b; r < e; r++) {
    const float *x = j->a + r * c;
    float *o = j->out + r * c;
    for (int64_t i = 0; i < c; i++) o[i] = j->k1[i] * x[i] + j->k3[i];
  }
}

/* out = k1 * dy + k2 * x + k3 (backward). */
static void affine2(void *ctx, int64_t b, int64_t e, int part) {
  (void)part;
  const bn_job *j = ctx;
  const int64_t c = j->c;
  for (int64_t r = b; r < e; r++) {
    const float *dy = j->a + r * c, *x = j->b + r * c;
    float *o = j->out + r * c;
    for (int64_t i = 0; i < c; i++) o[i] = j->k1[i] * dy[i] + j->k2[i] * x[i] + j->k3[i];
  }
}

/* Runs fn over the rows with zeroed per-part partials, then leaves their sums in partials[0..2C). */
static bool sums(bn_job *j, int64_t rows, pool_fn fn) {
  const int parts = pool_parts(rows, grain_rows(j->c));
  j->partials = calloc((size_t)parts * 2 * j->c, sizeof(double));
  if (!j->partials) return false;
  parallel_for(rows, grain_rows(j->c), fn, j);
  for (int p = 1; p < parts; p++)
    for (int64_t i = 0; i < 2 * j->c; i++) j->partials[i] += j->partials[p * 2 * j->c + i];
  return true;
}

bool batch_norm_forward(const float *x, int64_t rows, int64_t c, const float *gamma, const float *beta, float eps,
                        float *y, float *mean, float *var) {
  float *k = malloc((size_t)c * 3 * sizeof(float));
  if (!k) return false;
  float *shift = k, *k1 = k + c, *k3 = k + 2 * c;
  memcpy(shift, x, (size_t)c * sizeof(float));
  bn_job j = {.a = x, .shift = shift, .c = c, .k1 = k1, .k3 = k3, .out = y};
  const bool ok = sums(&j, rows, forward_sums);
  if (ok) {
    for (int64_t i = 0; i < c; i++) {
      const double m1 = j.partials[i] / rows, v = j.partials[c + i] / rows - m1 * m1;
      const double mu = shift[i] + m1, inv = 1.0 / sqrt((v > 0 ? v : 0) + eps);
      mean[i] = (float)mu;
      var[i] = (float)(v > 0 ? v : 0);
      k1[i] = (float)(gamma[i] * inv);
      k3[i] = (float)(beta[i] - mu * gamma[i] * inv);
    }
    parallel_for(rows, grain_rows(c), affine1, &j);
  }
  free(j.partials);
  free(k);
  return ok;
}

bool batch_norm_backward(const float *dy, const float *x, int64_t rows, int64_t c, const float *gamma,
                         const float *mean, const float *var, const float *dmean, const float *dvar, float eps,
                         float *dx, float *dgamma, float *dbeta) {
  float *k = malloc((size_t)c * 3 * sizeof(float));
  if (!k) return false;
  float *k1 = k, *k2 = k + c, *k3 = k + 2 * c;
  bn_job j = {.a = dy, .b = x, .shift = mean, .c = c, .k1 = k1, .k2 = k2, .k3 = k3, .out = dx};
  const bool ok = sums(&j, rows, backward_sums);
  if (ok) {
    /*
     * With xhat = (x - mean) * inv: through y, dx = gamma * inv * (dy - S1 / rows - xhat * S2 * inv / rows);
     * through the mean and variance outputs, dmean / rows + dvar * 2 (x - mean) / rows. All of it is
     * k1 * dy + k2 * x + k3 per channel.
     */
    for (int64_t i = 0; i < c; i++) {
      const double s1 = j.partials[i], s2 = j.partials[c + i], mu = mean[i];
      const double inv = 1.0 / sqrt((double)var[i] + eps), g = gamma[i] * inv, t = g * inv * inv * s2 / rows;
      const double v2 = 2.0 * dvar[i] / rows;
      dbeta[i] = (float)s1;
      dgamma[i] = (float)(s2 * inv);
      k1[i] = (float)g;
      k2[i] = (float)(v2 - t);
      k3[i] = (float)((t - v2) * mu - g * s1 / rows + (double)dmean[i] / rows);
    }
    parallel_for(rows, grain_rows(c), affine2, &j);
  }
  free(j.partials);
  free(k);
  return ok;
}
