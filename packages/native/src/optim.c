/*
 * One optimizer step for one variable in one pass over its elements, on the
 * pool's threads: SGD (PyTorch's: coupled decay, momentum, Nesterov) and
 * Adam/AdamW with bias correction. Composed of tf ops, SGD with momentum and
 * decay is 6 single-threaded wasm kernels over the parameters, Adam 12, each
 * reading and writing every element again.
 *
 * Float32 arithmetic in the order core's composed ops use (optim/sgd.ts,
 * optim/adam.ts), with the scalars as float32 as TF.js makes them, so both
 * paths give the same values to rounding.
 */
#include "kernels.h"
#include "pool.h"

#include <math.h>

/* Slices under this many elements are not worth a thread's wake-up. */
#define GRAIN (1 << 15)

typedef struct {
  const float *p, *g, *buf;
  float *p_out, *buf_out;
  float lr, momentum, wd;
  bool nesterov, step;
} sgd_job;

static void sgd_part(void *ctx, int64_t b, int64_t e, int part) {
  (void)part;
  const sgd_job *j = ctx;
  for (int64_t i = b; i < e; i++) {
    float g = j->g[i];
    if (j->wd != 0.0f) g = g + j->p[i] * j->wd;
    if (j->buf_out) {
      const float buf = j->buf[i] * j->momentum + g;
      j->buf_out[i] = buf;
      g = j->nesterov ? g + buf * j->momentum : buf;
    }
    j->p_out[i] = j->step ? j->p[i] - g * j->lr : j->p[i];
  }
}

void sgd_step(int64_t n, const float *p, const float *g, const float *buf, float *p_out, float *buf_out, float lr,
              float momentum, float weight_decay, bool nesterov) {
  sgd_job j = {p, g, buf, p_out, buf_out, lr, momentum, weight_decay, nesterov, lr != 0.0f};
  parallel_for(n, GRAIN, sgd_part, &j);
}

typedef struct {
  const float *p, *g, *m, *v;
  float *p_out, *m_out, *v_out;
  float lr_c1, b1, one_b1, b2, one_b2, sqrt_c2, eps, wd, keep;
  bool decoupled, step;
} adam_job;

static void adam_part(void *ctx, int64_t b, int64_t e, int part) {
  (void)part;
  const adam_job *j = ctx;
  for (int64_t i = b; i < e; i++) {
    float p = j->p[i], g = j->g[i];
    if (j->decoupled) p = p * j->keep;         /* p *= 1 - lr·wd (keep is 1 without decay) */
    else if (j->wd != 0.0f) g = g + p * j->wd; /* g += wd·p */
    const float m = j->m[i] * j->b1 + g * j->one_b1;
    const float v = j->v[i] * j->b2 + (g * g) * j->one_b2;
    j->m_out[i] = m;
    j->v_out[i] = v;
    const float denom = sqrtf(v) / j->sqrt_c2 + j->eps;
    j->p_out[i] = j->step ? p - (m / denom) * j->lr_c1 : p;
  }
}

void adam_step(int64_t n, const float *p, const float *g, const float *m, const float *v, float *p_out, float *m_out,
               float *v_out, const adam_scalars *s) {
  adam_job j = {p, g, m, v, p_out, m_out, v_out, s->lr_c1, s->beta1, s->one_minus_beta1, s->beta2, s->one_minus_beta2,
                s->sqrt_c2, s->eps, s->weight_decay, s->keep, s->decoupled, s->step};
  parallel_for(n, GRAIN, adam_part, &j);
}
