/*
 * @clusterflow/native: OpenBLAS's sgemm for Node, on caller-owned memory.
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

/* Throws a JS TypeError/RangeError and returns NULL from the calling function. */
#define THROW(kind, msg)                        \
  do {                                          \
    napi_throw_##kind##_error(env, NULL, msg);  \
    return NULL;                                \
  } while (0)

#define CHECK(call)                                             \
  do {                                                          \
    if ((call) != napi_ok) THROW(type, "native sgemm: bad argument"); \
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
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              (blasint)m, (blasint)n, (blasint)k, (float)alpha, a, (blasint)lda, b, (blasint)ldb,
              (float)beta, c, (blasint)ldc);
  return NULL;
}

/*
 * im2col / col2im for NHWC convolutions (dilation 1), so a conv and both its
 * gradients become one sgemm each. Row r = (n*OH + oh)*OW + ow of the patch
 * matrix holds, for kh, kw, c in that order (the filter's [KH,KW,CI,CO] layout),
 * x[n, oh*SH - PT + kh, ow*SW - PL + kw, c], or 0 outside x.
 * im2col(x, N,H,W,C, KH,KW, SH,SW, PT,PL, OH,OW, col) fills col;
 * col2im(col, N,H,W,C, KH,KW, SH,SW, PT,PL, OH,OW, x) overwrites x with the
 * sum of every patch entry that came from each element (the adjoint).
 */
static napi_value patches(napi_env env, napi_callback_info info, bool to_col) {
  size_t argc = 14;
  napi_value argv[14];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 14) THROW(type, "native im2col/col2im: expected 14 arguments");
  int64_t d[12];
  for (int i = 0; i < 12; i++)
    if (!dim(env, argv[1 + i], &d[i])) THROW(range, "native im2col/col2im: sizes must be non-negative int32 integers");
  const int64_t N = d[0], H = d[1], W = d[2], C = d[3], KH = d[4], KW = d[5], SH = d[6], SW = d[7],
                PT = d[8], PL = d[9], OH = d[10], OW = d[11];
  float *src, *dst;
  size_t slen, dlen;
  if (!f32(env, argv[0], &src, &slen) || !f32(env, argv[13], &dst, &dlen))
    THROW(type, "native im2col/col2im: arrays must be Float32Arrays");
  const uint64_t xlen = (uint64_t)N * H * W * C, clen = (uint64_t)N * OH * OW * KH * KW * C;
  if ((to_col ? slen : dlen) < xlen || (to_col ? dlen : slen) < clen)
    THROW(range, "native im2col/col2im: an array is too short for its shape");
  float *x = to_col ? src : dst, *col = to_col ? dst : src;
  if (!to_col) memset(x, 0, xlen * sizeof(float));
  const size_t run = (size_t)C; /* NHWC: one (pixel, kh, kw) is C contiguous floats */
  for (int64_t n = 0; n < N; n++)
    for (int64_t oh = 0; oh < OH; oh++)
      for (int64_t ow = 0; ow < OW; ow++) {
        float *row = col + ((n * OH + oh) * OW + ow) * KH * KW * C;
        for (int64_t kh = 0; kh < KH; kh++) {
          const int64_t ih = oh * SH - PT + kh;
          for (int64_t kw = 0; kw < KW; kw++, row += C) {
            const int64_t iw = ow * SW - PL + kw;
            const bool inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
            float *px = x + ((n * H + ih) * W + iw) * C;
            if (to_col) {
              if (inside) memcpy(row, px, run * sizeof(float));
              else memset(row, 0, run * sizeof(float));
            } else if (inside) {
              for (int64_t c = 0; c < C; c++) px[c] += row[c];
            }
          }
        }
      }
  return NULL;
}

static napi_value im2col(napi_env env, napi_callback_info info) { return patches(env, info, true); }
static napi_value col2im(napi_env env, napi_callback_info info) { return patches(env, info, false); }

/* setNumThreads(n): OpenBLAS's worker count for later calls. */
static napi_value set_num_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t t;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 1 || !dim(env, argv[0], &t) || t < 1) THROW(range, "setNumThreads: expected a positive integer");
  openblas_set_num_threads((int)t);
  return NULL;
}

/* getNumThreads() and getConfig(): for logs, so a run says which BLAS it used. */
static napi_value get_num_threads(napi_env env, napi_callback_info info) {
  napi_value out;
  (void)info;
  napi_create_int32(env, openblas_get_num_threads(), &out);
  return out;
}

static napi_value get_config(napi_env env, napi_callback_info info) {
  napi_value out;
  (void)info;
  napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"sgemm", NULL, sgemm, NULL, NULL, NULL, napi_enumerable, NULL},
    {"im2col", NULL, im2col, NULL, NULL, NULL, napi_enumerable, NULL},
    {"col2im", NULL, col2im, NULL, NULL, NULL, napi_enumerable, NULL},
    {"setNumThreads", NULL, set_num_threads, NULL, NULL, NULL, napi_enumerable, NULL},
    {"getNumThreads", NULL, get_num_threads, NULL, NULL, NULL, napi_enumerable, NULL},
    {"getConfig", NULL, get_config, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(clusterflow_native, init)
