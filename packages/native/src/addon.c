/*
 * @clusterflow/native: OpenBLAS's sgemm for Node, and the kernels around it
 * (convolutions, BatchNorm, reductions, MaxPool's gradient: kernels.h), on
 * caller-owned memory.
 *
 * The arrays passed in are usually views into TF.js's wasm heap, so the
 * product is computed where the tensors already live: no copy in, no copy
 * out. Every size and stride is checked against the arrays' lengths before
 * OpenBLAS touches them, because a bad leading dimension would otherwise
 * write past the tensor into the rest of the wasm heap.
 *
 * Plain C against node_api.h (N-API version 8), so the built file works on
 * any later Node without node-addon-api.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <cblas.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"
#include "pool.h"

/* Throws a JS TypeError/RangeError and returns NULL from the calling function. */
#define THROW(kind, msg)                        \
  do {                                          \
    napi_throw_##kind##_error(env, NULL, msg);  \
    return NULL;                                \
  } while (0)

#define CHECK(call)                                             \
  do {                                                          \
    if ((call) != napi_ok) THROW(type, "native: bad argument"); \
  } while (0)

/* Data pointer and element count of a Float32Array (byte_offset honoured by N-API). */
static bool f32(napi_env env, napi_value v, float **data, size_t *len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return false;
  napi_typedarray_type type;
  void *ptr = NULL;
  if (napi_get_typedarray_info(env, v, &type, len, &ptr, NULL, NULL) != napi_ok) return false;
  if (type != napi_float32_array) return false;
  *data = (float *)ptr; /* already advanced by byte_offset */
  return true;
}

/* Integers arrive as JS numbers; reject fractions, negatives and values over int32 (blasint). */
static bool dim(napi_env env, napi_value v, int64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return false;
  if (!(d >= 0 && d <= 2147483647.0) || d != (double)(int64_t)d) return false;
  *out = (int64_t)d;
  return true;
}

/* Elements a row-major rows x cols matrix with leading dimension ld spans. */
static bool fits(int64_t rows, int64_t cols, int64_t ld, size_t len) {
  if (ld < (cols > 1 ? cols : 1)) return false;
  if (rows == 0 || cols == 0) return true;
  return (uint64_t)((rows - 1) * ld + cols) <= (uint64_t)len;
}

/*
 * sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc):
 * C = alpha * op(A) @ op(B) + beta * C, row-major, C overwritten in place.
 */
static napi_value sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 13) THROW(type, "native sgemm: expected 13 arguments");

  bool ta, tb;
  int64_t m, n, k, lda, ldb, ldc;
  double alpha, beta;
  float *a, *b, *c;
  size_t alen, blen, clen;
  CHECK(napi_get_value_bool(env, argv[0], &ta));
  CHECK(napi_get_value_bool(env, argv[1], &tb));
  if (!dim(env, argv[2], &m) || !dim(env, argv[3], &n) || !dim(env, argv[4], &k) ||
      !dim(env, argv[7], &lda) || !dim(env, argv[9], &ldb) || !dim(env, argv[12], &ldc))
    THROW(range, "native sgemm: sizes must be non-negative int32 integers");
  CHECK(napi_get_value_double(env, argv[5], &alpha));
  CHECK(napi_get_value_double(env, argv[10], &beta));
  if (!f32(env, argv[6], &a, &alen) || !f32(env, argv[8], &b, &blen) || !f32(env, argv[11], &c, &clen))
    THROW(type, "native sgemm: A, B and C must be Float32Arrays");

  /* op(A) is M x K: stored K x M when transposed. Likewise op(B) is K x N. */
  if (!(ta ? fits(k, m, lda, alen) : fits(m, k, lda, alen)))
    THROW(range, "native sgemm: A is too short for M, K, lda");
  if (!(tb ? fits(n, k, ldb, blen) : fits(k, n, ldb, blen)))
    THROW(range, "native sgemm: B is too short for K, N, ldb");
  if (!fits(m, n, ldc, clen)) THROW(range, "native sgemm: C is too short for M, N, ldc");
  if (m == 0 || n == 0) return NULL;

  /* Runs synchronously on the JS thread: the wasm heap cannot grow (and move) meanwhile. */
  sgemm_parallel(ta, tb, m, n, k, (float)alpha, a, lda, b, ldb, (float)beta, c, ldc);
  return NULL;
}

/* Reads argv[i] as a Float32Array of at least `need` elements into *out, or throws. */
#define ARRAY(i, out, need, what)                                                   \
  do {                                                                              \
    size_t len_;                                                                    \
    if (!f32(env, argv[i], &(out), &len_)) THROW(type, what " must be a Float32Array"); \
    if ((uint64_t)len_ < (uint64_t)(need)) THROW(range, what " is too short for its shape"); \
  } while (0)

/* Reads exactly `want` arguments into argv. */
static bool args_of(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  return napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == want;
}

/*
 * conv2d(x, w, y), conv2dFilterGrad(x, dy, dw), conv2dInputGrad(dy, w, dx), each
 * followed by N,H,W,C, KH,KW, SH,SW, PT,PL, OH,OW, CO: conv.c's kernels.
 */
static napi_value conv_js(napi_env env, napi_callback_info info, int which) {
  size_t argc = 16;
  napi_value argv[16];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 16) THROW(type, "native conv2d: expected 16 arguments");
  int64_t d[13];
  for (int i = 0; i < 13; i++)
    if (!dim(env, argv[3 + i], &d[i])) THROW(range, "native conv2d: sizes must be non-negative int32 integers");
  const conv_geom g = {d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11]};
  const int64_t co = d[12], xlen = g.n * g.h * g.w * g.c, ylen = g.n * g.oh * g.ow * co, wlen = g.kh * g.kw * g.c * co;
  float *a, *b, *out;
  size_t alen, blen, olen;
  if (!f32(env, argv[0], &a, &alen) || !f32(env, argv[1], &b, &blen) || !f32(env, argv[2], &out, &olen))
    THROW(type, "native conv2d: arrays must be Float32Arrays");
  const int64_t need[3][3] = {{xlen, wlen, ylen}, {xlen, ylen, wlen}, {ylen, wlen, xlen}};
  if ((uint64_t)alen < (uint64_t)need[which][0] || (uint64_t)blen < (uint64_t)need[which][1] ||
      (uint64_t)olen < (uint64_t)need[which][2])
    THROW(range, "native conv2d: an array is too short for its shape");
  const bool ok = which == 0 ? conv_forward(&g, co, a, b, out)
                  : which == 1 ? conv_filter_grad(&g, co, a, b, out)
                               : conv_input_grad(&g, co, a, b, out);
  if (!ok) THROW(range, "native conv2d: out of memory");
  return NULL;
}

static napi_value conv2d_js(napi_env env, napi_callback_info info) { return conv_js(env, info, 0); }
static napi_value conv2d_filter_grad_js(napi_env env, napi_callback_info info) { return conv_js(env, info, 1); }
static napi_value conv2d_input_grad_js(napi_env env, napi_callback_info info) { return conv_js(env, info, 2); }

/* batchNormForward(x, rows, C, gamma, beta, eps, y, mean, variance) */
static napi_value batch_norm_forward_js(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  if (!args_of(env, info, 9, argv)) THROW(type, "native batchNormForward: expected 9 arguments");
  int64_t rows, c;
  double eps;
  if (!dim(env, argv[1], &rows) || !dim(env, argv[2], &c) || rows < 1)
    THROW(range, "native batchNormForward: rows and C must be int32 integers, rows >= 1");
  CHECK(napi_get_value_double(env, argv[5], &eps));
  float *x, *gamma, *beta, *y, *mean, *var;
  ARRAY(0, x, rows * c, "native batchNormForward: x");
  ARRAY(3, gamma, c, "native batchNormForward: gamma");
  ARRAY(4, beta, c, "native batchNormForward: beta");
  ARRAY(6, y, rows * c, "native batchNormForward: y");
  ARRAY(7, mean, c, "native batchNormForward: mean");
  ARRAY(8, var, c, "native batchNormForward: variance");
  if (!batch_norm_forward(x, rows, c, gamma, beta, (float)eps, y, mean, var))
    THROW(range, "native batchNormForward: out of memory");
  return NULL;
}

/* batchNormBackward(dy, x, rows, C, gamma, mean, variance, dmean, dvariance, eps, dx, dgamma, dbeta) */
static napi_value batch_norm_backward_js(napi_env env, napi_callback_info info) {
  napi_value argv[13];
  if (!args_of(env, info, 13, argv)) THROW(type, "native batchNormBackward: expected 13 arguments");
  int64_t rows, c;
  double eps;
  if (!dim(env, argv[2], &rows) || !dim(env, argv[3], &c) || rows < 1)
    THROW(range, "native batchNormBackward: rows and C must be int32 integers, rows >= 1");
  CHECK(napi_get_value_double(env, argv[9], &eps));
  float *dy, *x, *gamma, *mean, *var, *dmean, *dvar, *dx, *dgamma, *dbeta;
  ARRAY(0, dy, rows * c, "native batchNormBackward: dy");
  ARRAY(1, x, rows * c, "native batchNormBackward: x");
  ARRAY(4, gamma, c, "native batchNormBackward: gamma");
  ARRAY(5, mean, c, "native batchNormBackward: mean");
  ARRAY(6, var, c, "native batchNormBackward: variance");
  ARRAY(7, dmean, c, "native batchNormBackward: dmean");
  ARRAY(8, dvar, c, "native batchNormBackward: dvariance");
  ARRAY(10, dx, rows * c, "native batchNormBackward: dx");
  ARRAY(11, dgamma, c, "native batchNormBackward: dgamma");
  ARRAY(12, dbeta, c, "native batchNormBackward: dbeta");
  if (!batch_norm_backward(dy, x, rows, c, gamma, mean, var, dmean, dvar, (float)eps, dx, dgamma, dbeta))
    THROW(range, "native batchNormBackward: out of memory");
  return NULL;
}

/* maxPoolGrad(x, dy, N,H,W,C, KH,KW, SH,SW, PT,PL, OH,OW, dx): dy [N,OH,OW,C] routed to each window's first maximum. */
static napi_value max_pool_grad_js(napi_env env, napi_callback_info info) {
  napi_value argv[15];
  if (!args_of(env, info, 15, argv)) THROW(type, "native maxPoolGrad: expected 15 arguments");
  int64_t d[12];
  for (int i = 0; i < 12; i++)
    if (!dim(env, argv[2 + i], &d[i])) THROW(range, "native maxPoolGrad: sizes must be non-negative int32 integers");
  const conv_geom g = {d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11]};
  float *x, *dy, *dx;
  ARRAY(0, x, g.n * g.h * g.w * g.c, "native maxPoolGrad: x");
  ARRAY(1, dy, g.n * g.oh * g.ow * g.c, "native maxPoolGrad: dy");
  ARRAY(14, dx, g.n * g.h * g.w * g.c, "native maxPoolGrad: dx");
  max_pool_grad(&g, x, dy, dx);
  return NULL;
}

/* Data pointer and element count of an Int32Array (the pools' argmax offsets). */
static bool i32(napi_env env, napi_value v, int32_t **data, size_t *len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return false;
  napi_typedarray_type type;
  void *ptr = NULL;
  if (napi_get_typedarray_info(env, v, &type, len, &ptr, NULL, NULL) != napi_ok) return false;
  if (type != napi_int32_array) return false;
  *data = (int32_t *)ptr;
  return true;
}

#define INT32_ARRAY(i, out, need, what)                                             \
  do {                                                                              \
    size_t len_;                                                                    \
    if (!i32(env, argv[i], &(out), &len_)) THROW(type, what " must be an Int32Array"); \
    if ((uint64_t)len_ < (uint64_t)(need)) THROW(range, what " is too short for its shape"); \
  } while (0)

/*
 * maxPoolArgmax(x, N,H,W,C, KH,KW, SH,SW, OH,OW, y, index): 'valid' MaxPool, y
 * [N,OH,OW,C], and index (Int32Array, same shape) the flat offset into x of each
 * window's first maximum (-1 where none). Every window must lie inside x, and
 * x's offsets must fit int32.
 */
static napi_value max_pool_argmax_js(napi_env env, napi_callback_info info) {
  napi_value argv[13];
  if (!args_of(env, info, 13, argv)) THROW(type, "native maxPoolArgmax: expected 13 arguments");
  int64_t d[10];
  for (int i = 0; i < 10; i++)
    if (!dim(env, argv[1 + i], &d[i])) THROW(range, "native maxPoolArgmax: sizes must be non-negative int32 integers");
  const conv_geom g = {d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], 0, 0, d[8], d[9]};
  if (g.kh < 1 || g.kw < 1 || g.sh < 1 || g.sw < 1) THROW(range, "native maxPoolArgmax: window and strides must be at least 1");
  if ((g.oh > 0 && (g.oh - 1) * g.sh + g.kh > g.h) || (g.ow > 0 && (g.ow - 1) * g.sw + g.kw > g.w))
    THROW(range, "native maxPoolArgmax: OH or OW has windows outside x");
  if (g.n * g.h * g.w * g.c > 2147483647) THROW(range, "native maxPoolArgmax: x has more elements than int32 offsets reach");
  float *x, *y;
  int32_t *index;
  ARRAY(0, x, g.n * g.h * g.w * g.c, "native maxPoolArgmax: x");
  ARRAY(11, y, g.n * g.oh * g.ow * g.c, "native maxPoolArgmax: y");
  INT32_ARRAY(12, index, g.n * g.oh * g.ow * g.c, "native maxPoolArgmax: index");
  max_pool_argmax(&g, x, y, index);
  return NULL;
}

/*
 * maxPoolScatter(dy, index, N,H,W,C, OH,OW, dx): maxPoolArgmax's gradient, dx
 * [N,H,W,C] zeroed, then dy [N,OH,OW,C] added at index's offsets (those outside
 * dx, as -1, add nothing).
 */
static napi_value max_pool_scatter_js(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  if (!args_of(env, info, 9, argv)) THROW(type, "native maxPoolScatter: expected 9 arguments");
  int64_t d[6];
  for (int i = 0; i < 6; i++)
    if (!dim(env, argv[2 + i], &d[i])) THROW(range, "native maxPoolScatter: sizes must be non-negative int32 integers");
  const conv_geom g = {d[0], d[1], d[2], d[3], 1, 1, 1, 1, 0, 0, d[4], d[5]};
  float *dy, *dx;
  int32_t *index;
  ARRAY(0, dy, g.n * g.oh * g.ow * g.c, "native maxPoolScatter: dy");
  INT32_ARRAY(1, index, g.n * g.oh * g.ow * g.c, "native maxPoolScatter: index");
  ARRAY(8, dx, g.n * g.h * g.w * g.c, "native maxPoolScatter: dx");
  max_pool_scatter(&g, dy, index, dx);
  return NULL;
}

/* sumMiddle(x, outer, r, inner, scale, out): out[o, i] = scale * sum_k x[o, k, i]. */
static napi_value sum_middle_js(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!args_of(env, info, 6, argv)) THROW(type, "native sumMiddle: expected 6 arguments");
  int64_t outer, r, inner;
  double scale;
  if (!dim(env, argv[1], &outer) || !dim(env, argv[2], &r) || !dim(env, argv[3], &inner))
    THROW(range, "native sumMiddle: sizes must be non-negative int32 integers");
  CHECK(napi_get_value_double(env, argv[4], &scale));
  float *x, *out;
  ARRAY(0, x, outer * r * inner, "native sumMiddle: x");
  ARRAY(5, out, outer * inner, "native sumMiddle: out");
  if (!sum_middle(x, outer, r, inner, (float)scale, out)) THROW(range, "native sumMiddle: out of memory");
  return NULL;
}

/* biasReluForward(x, rows, C, b, y): y = max(x + b, 0) over the rows of x [rows, C]. */
static napi_value bias_relu_forward_js(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!args_of(env, info, 5, argv)) THROW(type, "native biasReluForward: expected 5 arguments");
  int64_t rows, c;
  if (!dim(env, argv[1], &rows) || !dim(env, argv[2], &c))
    THROW(range, "native biasReluForward: rows and C must be non-negative int32 integers");
  float *x, *b, *y;
  ARRAY(0, x, rows * c, "native biasReluForward: x");
  ARRAY(3, b, c, "native biasReluForward: b");
  ARRAY(4, y, rows * c, "native biasReluForward: y");
  bias_relu_forward(x, rows, c, b, y);
  return NULL;
}

/* A Float32Array of at least `need` elements, or null (*out = NULL): optional arrays. */
static bool f32_or_null(napi_env env, napi_value v, float **out, int64_t need) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return false;
  if (t == napi_null) {
    *out = NULL;
    return true;
  }
  size_t len;
  return f32(env, v, out, &len) && (uint64_t)len >= (uint64_t)need;
}

/* biasReluBackward(dy, y, rows, C, dx, db): dx = dy where y > 0; db (or null) the column sums of dx. */
static napi_value bias_relu_backward_js(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!args_of(env, info, 6, argv)) THROW(type, "native biasReluBackward: expected 6 arguments");
  int64_t rows, c;
  if (!dim(env, argv[2], &rows) || !dim(env, argv[3], &c))
    THROW(range, "native biasReluBackward: rows and C must be non-negative int32 integers");
  float *dy, *y, *dx, *db;
  ARRAY(0, dy, rows * c, "native biasReluBackward: dy");
  ARRAY(1, y, rows * c, "native biasReluBackward: y");
  ARRAY(4, dx, rows * c, "native biasReluBackward: dx");
  if (!f32_or_null(env, argv[5], &db, c)) THROW(type, "native biasReluBackward: db must be a Float32Array of C elements, or null");
  if (!bias_relu_backward(dy, y, rows, c, dx, db)) THROW(range, "native biasReluBackward: out of memory");
  return NULL;
}

/* sgdStep(p, g, buf, pOut, bufOut, lr, momentum, weightDecay, nesterov): buf and bufOut both null without momentum. */
static napi_value sgd_step_js(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  if (!args_of(env, info, 9, argv)) THROW(type, "native sgdStep: expected 9 arguments");
  float *p, *g, *buf, *p_out, *buf_out;
  size_t n;
  if (!f32(env, argv[0], &p, &n)) THROW(type, "native sgdStep: p must be a Float32Array");
  ARRAY(1, g, n, "native sgdStep: g");
  ARRAY(3, p_out, n, "native sgdStep: pOut");
  if (!f32_or_null(env, argv[2], &buf, (int64_t)n) || !f32_or_null(env, argv[4], &buf_out, (int64_t)n) || (!buf) != (!buf_out))
    THROW(type, "native sgdStep: buf and bufOut must both be Float32Arrays as long as p, or both null");
  double lr, momentum, wd;
  bool nesterov;
  CHECK(napi_get_value_double(env, argv[5], &lr));
  CHECK(napi_get_value_double(env, argv[6], &momentum));
  CHECK(napi_get_value_double(env, argv[7], &wd));
  CHECK(napi_get_value_bool(env, argv[8], &nesterov));
  sgd_step((int64_t)n, p, g, buf, p_out, buf_out, (float)lr, (float)momentum, (float)wd, nesterov);
  return NULL;
}

/*
 * adamStep(p, g, m, v, pOut, mOut, vOut, lrOverC1, beta1, oneMinusBeta1, beta2, oneMinusBeta2, sqrtC2, eps,
 * weightDecay, keep, decoupled, step): the scalars as core's composed ops compute them (optim.c).
 */
static napi_value adam_step_js(napi_env env, napi_callback_info info) {
  napi_value argv[18];
  if (!args_of(env, info, 18, argv)) THROW(type, "native adamStep: expected 18 arguments");
  float *p, *g, *m, *v, *p_out, *m_out, *v_out;
  size_t n;
  if (!f32(env, argv[0], &p, &n)) THROW(type, "native adamStep: p must be a Float32Array");
  ARRAY(1, g, n, "native adamStep: g");
  ARRAY(2, m, n, "native adamStep: m");
  ARRAY(3, v, n, "native adamStep: v");
  ARRAY(4, p_out, n, "native adamStep: pOut");
  ARRAY(5, m_out, n, "native adamStep: mOut");
  ARRAY(6, v_out, n, "native adamStep: vOut");
  double d[9];
  for (int i = 0; i < 9; i++) CHECK(napi_get_value_double(env, argv[7 + i], &d[i]));
  bool decoupled, step;
  CHECK(napi_get_value_bool(env, argv[16], &decoupled));
  CHECK(napi_get_value_bool(env, argv[17], &step));
  const adam_scalars s = {(float)d[0], (float)d[1], (float)d[2], (float)d[3], (float)d[4], (float)d[5], (float)d[6],
                          (float)d[7], (float)d[8], decoupled, step};
  adam_step((int64_t)n, p, g, m, v, p_out, m_out, v_out, &s);
  return NULL;
}

/*
 * setNumThreads(n): threads for later calls. They are the addon's own pool's:
 * OpenBLAS runs single-threaded inside each part of a split product (gemm.c),
 * so there is one set of threads, which sleep between calls instead of
 * spinning against each other.
 */
static napi_value set_num_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t t;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 1 || !dim(env, argv[0], &t) || t < 1) THROW(range, "setNumThreads: expected a positive integer");
  openblas_set_num_threads(1);
  pool_set_threads((int)t);
  return NULL;
}

/* setWorkSharing(on): pool.h's pool_set_sharing, for the kernel ablation. */
static napi_value set_work_sharing(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  bool on;
  if (!args_of(env, info, 1, argv) || napi_get_value_bool(env, argv[0], &on) != napi_ok)
    THROW(type, "setWorkSharing: expected a boolean");
  pool_set_sharing(on);
  return NULL;
}

/* getNumThreads() and getConfig(): for logs, so a run says which BLAS it used. */
static napi_value get_num_threads(napi_env env, napi_callback_info info) {
  napi_value out;
  (void)info;
  napi_create_int32(env, pool_threads(), &out);
  return out;
}

static napi_value get_config(napi_env env, napi_callback_info info) {
  napi_value out;
  (void)info;
  napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &out);
  return out;
}

/* getCorename(): the kernel set OpenBLAS runs on ("SkylakeX", "Prescott"...), which a DYNAMIC_ARCH build picks at load. */
static napi_value get_corename(napi_env env, napi_callback_info info) {
  napi_value out;
  (void)info;
  napi_create_string_utf8(env, openblas_get_corename(), NAPI_AUTO_LENGTH, &out);
  return out;
}

/* setConvDnnl(mask): which convolutions run on oneDNN (bit 1 forward, 2 filter grad, 4 input grad), for the ablation and CLUSTERFLOW_NO_DNNL. */
static napi_value set_conv_dnnl(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int64_t mask;
  if (!args_of(env, info, 1, argv) || !dim(env, argv[0], &mask) || mask > CF_DNNL_ALL)
    THROW(range, "setConvDnnl: expected a mask from 0 to 7");
  cf_dnnl_set_ops((int)mask);
  return NULL;
}

/* setGemmDnnl(mode): matrix products on oneDNN (1), on OpenBLAS (0), or the automatic choice of dnnl_gemm.c (-1). */
static napi_value set_gemm_dnnl(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  double mode;
  if (!args_of(env, info, 1, argv) || napi_get_value_double(env, argv[0], &mode) != napi_ok || (mode != -1 && mode != 0 && mode != 1))
    THROW(range, "setGemmDnnl: expected -1 (automatic), 0 (OpenBLAS) or 1 (oneDNN)");
  cf_dnnl_set_gemm((int)mode);
  return NULL;
}

/* getGemmDnnl(): whether matrix products run on oneDNN's sgemm (always false without oneDNN). */
static napi_value get_gemm_dnnl(napi_env env, napi_callback_info info) {
  napi_value out;
  (void)info;
  napi_get_boolean(env, cf_dnnl_gemm() != 0, &out);
  return out;
}

/* A JS string, or null for NULL. */
static napi_value string_or_null(napi_env env, const char *s) {
  napi_value out;
  if (s) napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &out);
  else napi_get_null(env, &out);
  return out;
}

/*
 * getConvInfo(): { dnnl: "oneDNN 2.6.3 (avx512_core)" or null when the build has
 * no oneDNN, ops: the mask setConvDnnl set, calls: convolutions run on oneDNN,
 * impl: [forward, filter grad, input grad], oneDNN's implementation last run, or null }.
 */
static napi_value get_conv_info(napi_env env, napi_callback_info info) {
  napi_value out, v, impl;
  (void)info;
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "dnnl", string_or_null(env, cf_dnnl_info()));
  napi_create_int32(env, cf_dnnl_info() ? cf_dnnl_ops() : 0, &v);
  napi_set_named_property(env, out, "ops", v);
  napi_create_double(env, (double)cf_dnnl_calls(), &v);
  napi_set_named_property(env, out, "calls", v);
  napi_create_array_with_length(env, 3, &impl);
  for (uint32_t op = 0; op < 3; op++) napi_set_element(env, impl, op, string_or_null(env, cf_dnnl_impl((int)op)));
  napi_set_named_property(env, out, "impl", impl);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"sgemm", NULL, sgemm, NULL, NULL, NULL, napi_enumerable, NULL},
    {"batchNormForward", NULL, batch_norm_forward_js, NULL, NULL, NULL, napi_enumerable, NULL},
    {"batchNormBackward", NULL, batch_norm_backward_js, NULL, NULL, NULL, napi_enumerable, NULL},
    {"sumMiddle", NULL, sum_middle_js, NULL, NULL, NULL, napi_enumerable, NULL},
    {"maxPoolGrad", NULL, max_pool_grad_js, NULL, NULL, NULL, napi_enumerable, NULL},
    {"maxPoolArgmax", NULL, max_pool_argmax_js, NULL, NULL, NULL, napi_enumerable, NULL},
    {"maxPoolScatter", NULL, max_pool_scatter_js, NULL, NULL, NULL, napi_enumerable, NULL},
    {"biasReluForward", NULL, bias_relu_forward_js, NULL, NULL, NULL, napi_enumerable, NULL},
    {"biasReluBackward", NULL, bias_relu_backward_js, NULL, NULL, NULL, napi_enumerable, NULL},
    {"sgdStep", NULL, sgd_step_js, NULL, NULL, NULL, napi_enumerable, NULL},
    {"adamStep", NULL, adam_step_js, NULL, NULL, NULL, napi_enumerable, NULL},
    {"conv2d", NULL, conv2d_js, NULL, NULL, NULL, napi_enumerable, NULL},
    {"conv2dFilterGrad", NULL, conv2d_filter_grad_js, NULL, NULL, NULL, napi_enumerable, NULL},
    {"conv2dInputGrad", NULL, conv2d_input_grad_js, NULL, NULL, NULL, napi_enumerable, NULL},
    {"setNumThreads", NULL, set_num_threads, NULL, NULL, NULL, napi_enumerable, NULL},
    {"setWorkSharing", NULL, set_work_sharing, NULL, NULL, NULL, napi_enumerable, NULL},
    {"getNumThreads", NULL, get_num_threads, NULL, NULL, NULL, napi_enumerable, NULL},
    {"getConfig", NULL, get_config, NULL, NULL, NULL, napi_enumerable, NULL},
    {"getCorename", NULL, get_corename, NULL, NULL, NULL, napi_enumerable, NULL},
    {"setConvDnnl", NULL, set_conv_dnnl, NULL, NULL, NULL, napi_enumerable, NULL},
    {"getConvInfo", NULL, get_conv_info, NULL, NULL, NULL, napi_enumerable, NULL},
    {"setGemmDnnl", NULL, set_gemm_dnnl, NULL, NULL, NULL, napi_enumerable, NULL},
    {"getGemmDnnl", NULL, get_gemm_dnnl, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(clusterflow_native, init)
