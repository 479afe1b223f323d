/*
 * The addon's float32 kernels on caller-owned memory (usually the wasm heap),
 * multi-threaded through pool.h. Sizes are checked by the N-API bindings in
 * addon.c before these run.
 */
#ifndef CLUSTERFLOW_KERNELS_H
#define CLUSTERFLOW_KERNELS_H
#include <stdbool.h>
#include <stdint.h>

/* NHWC conv or pool geometry, dilation 1: input N x H x W x C, window KH x KW, output OH x OW. */
typedef struct {
  int64_t n, h, w, c, kh, kw, sh, sw, pad_top, pad_left, oh, ow;
} conv_geom;

/* gemm.c: row-major C = alpha op(A) op(B) + beta C, split over the pool's threads (OpenBLAS single-threaded in each). */
void sgemm_parallel(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                    const float *b, int64_t ldb, float beta, float *c, int64_t ldc);

/*
 * dnnl_gemm.c: one (single-threaded) part of sgemm_parallel on oneDNN's sgemm,
 * when cf_dnnl_gemm() says oneDNN takes the products: by default where oneDNN
 * runs AVX-512 and OpenBLAS's core has none. false: OpenBLAS runs it.
 */
bool cf_dnnl_sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                   const float *b, int64_t ldb, float beta, float *c, int64_t ldc);
/* 1 on oneDNN, 0 on OpenBLAS (always 0 without oneDNN); set: 1 or 0 forces, -1 back to the automatic choice. */
int cf_dnnl_gemm(void);
void cf_dnnl_set_gemm(int on);

/*
 * conv.c: a conv (dilation 1) and its two gradients, patch rows built a block
 * at a time into per-thread buffers. y [N*OH*OW, CO], w [K, CO] with
 * K = KH*KW*C, dx and x [N, H, W, C]. false when scratch memory ran out.
 */
bool conv_forward(const conv_geom *g, int64_t co, const float *x, const float *w, float *y);
bool conv_filter_grad(const conv_geom *g, int64_t co, const float *x, const float *dy, float *dw);
bool conv_input_grad(const conv_geom *g, int64_t co, const float *dy, const float *w, float *dx);

/*
 * dnnl_conv.c: the same three convolutions on oneDNN, where the build found it
 * (CF_HAVE_DNNL). op is CF_DNNL_FORWARD (a = x, b = w, out = y),
 * CF_DNNL_FILTER_GRAD (x, dy, dw) or CF_DNNL_INPUT_GRAD (dy, w, dx). false
 * when the op is switched off, oneDNN is absent or does not take the geometry:
 * the caller then runs conv.c's own path. All three are on until
 * cf_dnnl_set_ops: each measured faster on oneDNN (docs/speed.md).
 */
enum { CF_DNNL_FORWARD = 0, CF_DNNL_FILTER_GRAD = 1, CF_DNNL_INPUT_GRAD = 2, CF_DNNL_ALL = 7 };
bool cf_dnnl_run(int op, const conv_geom *g, int64_t co, const float *a, const float *b, float *out);
/* Bit 1 << op per op on oneDNN; cf_dnnl_ops() is 0 without oneDNN. */
void cf_dnnl_set_ops(int mask);
int cf_dnnl_ops(void);
/* "oneDNN 2.6.3 (avx512_core)", or NULL without oneDNN. */
const char *cf_dnnl_info(void);
/* The implementation oneDNN last ran for op ("brg:avx512_core"), or NULL before any. */
const char *cf_dnnl_impl(int op);
/* Convolutions run on oneDNN so far (for tests). */
int64_t cf_dnnl_calls(void);

/*
 * batch_norm.c: BatchNorm in training mode over the rows of x [rows, C] (NHWC
 * flattened): batch mean and biased variance per channel, y = (x - mean) /
 * sqrt(var + eps) * gamma + beta. The backward pass gives dx (through the
 * batch statistics, including what dmean and dvar, the gradients of the mean and
 * variance outputs, add), dgamma and dbeta. false when scratch memory ran out.
 */
bool batch_norm_forward(const float *x, int64_t rows, int64_t c, const float *gamma, const float *beta, float eps,
                        float *y, float *mean, float *var);
bool batch_norm_backward(const float *dy, const float *x, int64_t rows, int64_t c, const float *gamma,
                         const float *mean, const float *var, const float *dmean, const float *dvar, float eps,
                         float *dx, float *dgamma, float *dbeta);

/* max_pool_grad.c: MaxPool's gradient over windows KH x KW (dx overwritten). */
void max_pool_grad(const conv_geom *g, const float *x, const float *dy, float *dx);

/*
 * max_pool.c: MaxPool without padding (pad_top, pad_left ignored) that also
 * writes, per output element, the flat offset into x of its window's first
 * maximum (-1: none, all NaN or -Inf); and its gradient from those offsets
 * alone: dx zeroed, dy added at each offset in [0, N*H*W*C).
 */
void max_pool_argmax(const conv_geom *g, const float *x, float *y, int32_t *index);
void max_pool_scatter(const conv_geom *g, const float *dy, const int32_t *index, float *dx);

/* reduce.c: out[o, i] = scale * sum over r of x[o, r, i], for x viewed as [outer, r, inner]; false when out of memory. */
bool sum_middle(const float *x, int64_t outer, int64_t r, int64_t inner, float scale, float *out);

/*
 * bias_relu.c: y = max(x + b, 0) over the rows of x [rows, C], and its gradient
 * dx = dy where y > 0 with db (NULL: not wanted) the column sums of dx, in one
 * pass each; false when scratch memory ran out.
 */
void bias_relu_forward(const float *x, int64_t rows, int64_t c, const float *b, float *y);
bool bias_relu_backward(const float *dy, const float *y, int64_t rows, int64_t c, float *dx, float *db);

/*
 * optim.c: one optimizer step over n elements, outputs separate from inputs.
 * SGD: g' = g + wd·p; buf' = momentum·buf + g' (buf and buf_out NULL without
 * momentum); p' = p - lr·(nesterov ? g' + momentum·buf' : buf'), or p' = p when lr is 0.
 */
void sgd_step(int64_t n, const float *p, const float *g, const float *buf, float *p_out, float *buf_out, float lr,
              float momentum, float weight_decay, bool nesterov);

/* Adam's scalars, each already float32 as TF.js would make it from the JS number. */
typedef struct {
  float lr_c1, beta1, one_minus_beta1, beta2, one_minus_beta2, sqrt_c2, eps, weight_decay, keep;
  bool decoupled, step;
} adam_scalars;

/*
 * Adam (decoupled false: g += wd·p) or AdamW (decoupled: p *= keep = 1 - lr·wd):
 * m' = b1·m + (1-b1)·g; v' = b2·v + (1-b2)·g²; p' = p - (m' / (sqrt(v') / sqrt(c2) + eps))·(lr/c1).
 */
void adam_step(int64_t n, const float *p, const float *g, const float *m, const float *v, float *p_out, float *m_out,
               float *v_out, const adam_scalars *s);

#endif
