/*
 * bias + ReLU as one pass each way, over the rows of x [rows, C] (an NHWC
 * tensor's N*H*W rows, or a dense layer's batch): y = max(x + b, 0) forward;
 * backward dx = dy where y > 0 and db = the column sums of dx, in the same pass.
 * Composed of tf ops the same work is five single-threaded wasm passes with two
 * intermediates (Add, Relu; Step, Multiply, Sum).
 *
 * NaN stays NaN both ways, as TF.js's Relu and its Step-based gradient keep it.
 */
#include "kernels.h"
#include "pool.h"

#include <stdlib.h>

typedef struct {
  const float *x, *b, *dy, *y;
  float *out;
  int64_t c;
  double *partials; /* [parts][c]: each part's column sums of dx */
} bias_relu_job;

static void forward_rows(void *ctx, int64_t rb, int64_t re, int part) {
  (void)part;
  const bias_relu_job *j = ctx;
  const int64_t c = j->c;
  for (int64_t r = rb; r < re; r++) {
    const float *x = j->x + r * c;
    float *y = j->out + r * c;
    for (int64_t i = 0; i < c; i++) {
      const float v = x[i] + j->b[i];
      y[i] = v > 0 ? v : (v != v ? v : 0.0f); /* NaN stays; -0 becomes 0, as on cpu */
    }
  }
}

static void backward_rows(void *ctx, int64_t rb, int64_t re, int part) {
  const bias_relu_job *j = ctx;
  const int64_t c = j->c;
  double *acc = j->partials ? j->partials + part * c : NULL;
  for (int64_t r = rb; r < re; r++) {
    const float *dy = j->dy + r * c, *y = j->y + r * c;
    float *dx = j->out + r * c;
    for (int64_t i = 0; i < c; i++) {
      /*
       * Both loads unconditional: with dy[i] read only where y > 0 the compiler
       * keeps a branch per element (mispredicted half the time; 10x slower).
       * Step(NaN) is NaN in TF.js, so NaN's gradient is NaN too.
       */
      const float g = dy[i], v = y[i];
      const float d = v > 0 ? g : (v != v ? v : 0.0f);
      dx[i] = d;
      if (acc) acc[i] += d; /* loop-invariant test: unswitched, both loops vectorise */
    }
  }
}

/* At least ~64k floats a part: a smaller slice is not worth waking a thread. */
static int64_t grain_of(int64_t c) { return (1 << 16) / (c > 0 ? c : 1) + 1; }

void bias_relu_forward(const float *x, int64_t rows, int64_t c, const float *b, float *y) {
  bias_relu_job j = {x, b, NULL, NULL, y, c, NULL};
  parallel_for(rows, grain_of(c), forward_rows, &j);
}

bool bias_relu_backward(const float *dy, const float *y, int64_t rows, int64_t c, float *dx, float *db) {
  bias_relu_job j = {NULL, NULL, dy, y, dx, c, NULL};
  const int64_t grain = grain_of(c);
  const int parts = pool_parts(rows, grain);
  if (db) {
    j.partials = calloc((size_t)(parts > 0 ? parts : 1) * (size_t)(c > 0 ? c : 1), sizeof(double));
    if (!j.partials) return false;
  }
  parallel_for(rows, grain, backward_rows, &j);
  if (db) {
    /* Parts summed in order: the same sums every run for a given thread count. */
    for (int64_t i = 0; i < c; i++) {
      double s = 0;
      for (int p = 0; p < parts; p++) s += j.partials[p * c + i];
      db[i] = (float)s;
    }
    free(j.partials);
  }
  return true;
}
