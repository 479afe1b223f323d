/*
 * sgemm split over the pool's threads, each part one single-threaded OpenBLAS
 * call (or oneDNN's, dnnl_gemm.c): C's rows (or, when it has more columns than rows, its columns) are
 * divided, never the inner dimension, so the parts write disjoint parts of C.
 * Against OpenBLAS's own 2 threads, the MLP's step took 0.96-0.97 of the time
 * (paired steps, 2026-11-27), and the conv kernels need OpenBLAS single-threaded
 * inside their own parts anyway.
 */
#include "kernels.h"
#include "pool.h"

#include <cblas.h>
#include <stdlib.h>

/* Parts smaller than this many multiply-adds are not worth a thread. */
#define GRAIN_WORK (1 << 20)

typedef struct {
  bool ta, tb, by_rows;
  int64_t m, n, k, lda, ldb, ldc;
  float alpha, beta;
  const float *a, *b;
  float *c;
} gemm_job;

static void gemm_part(void *ctx, int64_t lo, int64_t hi, int part) {
  (void)part;
  const gemm_job *j = ctx;
  const CBLAS_TRANSPOSE ta = j->ta ? CblasTrans : CblasNoTrans, tb = j->tb ? CblasTrans : CblasNoTrans;
  if (j->by_rows) {
    /* Rows lo..hi of op(A): rows of A, or columns of A when it is stored transposed. */
    const float *a = j->ta ? j->a + lo : j->a + lo * j->lda;
    if (!cf_dnnl_sgemm(j->ta, j->tb, hi - lo, j->n, j->k, j->alpha, a, j->lda, j->b, j->ldb, j->beta, j->c + lo * j->ldc, j->ldc))
      cblas_sgemm(CblasRowMajor, ta, tb, (blasint)(hi - lo), (blasint)j->n, (blasint)j->k, j->alpha, a, (blasint)j->lda,
                j->b, (blasint)j->ldb, j->beta, j->c + lo * j->ldc, (blasint)j->ldc);
  } else {
    const float *b = j->tb ? j->b + lo * j->ldb : j->b + lo;
    if (!cf_dnnl_sgemm(j->ta, j->tb, j->m, hi - lo, j->k, j->alpha, j->a, j->lda, b, j->ldb, j->beta, j->c + lo, j->ldc))
      cblas_sgemm(CblasRowMajor, ta, tb, (blasint)j->m, (blasint)(hi - lo), (blasint)j->k, j->alpha, j->a, (blasint)j->lda,
                b, (blasint)j->ldb, j->beta, j->c + lo, (blasint)j->ldc);
  }
}

void sgemm_parallel(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                    const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
  gemm_job j = {ta, tb, m >= n, m, n, k, lda, ldb, ldc, alpha, beta, a, b, c};
  const int64_t along = j.by_rows ? m : n, per = (j.by_rows ? n : m) * (k > 0 ? k : 1);
  parallel_for(along, GRAIN_WORK / (per > 0 ? per : 1) + 1, gemm_part, &j);
}
