/*
 * Matrix products on oneDNN's JIT sgemm instead of OpenBLAS, where that is the
 * wider code: when oneDNN runs AVX-512 here and OpenBLAS's core has none
 * (Haswell, Zen, Prescott: a CPU OpenBLAS 0.3.21 does not know, or a core a
 * user set with OPENBLAS_CORETYPE). Single-threaded, each call one part of
 * gemm.c's split, AVX-512 doubles the multiply-adds per instruction: 1-thread
 * sgemm on the MLP's shapes ran at 197-219 GFLOP/s on oneDNN against 96-110 on
 * OpenBLAS's Haswell core (AMD EPYC Zen 5, 2026-12-06), while against an
 * AVX-512 core (SkylakeX: 203-211) oneDNN was no faster and slower on large
 * squares (1024^3: 133 against 199), so it is left to OpenBLAS there.
 */
#include "kernels.h"

#ifndef CF_HAVE_DNNL

bool cf_dnnl_sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                   const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
  (void)ta, (void)tb, (void)m, (void)n, (void)k, (void)alpha, (void)a, (void)lda, (void)b, (void)ldb, (void)beta, (void)c, (void)ldc;
  return false;
}
void cf_dnnl_set_gemm(int on) { (void)on; }
int cf_dnnl_gemm(void) { return 0; }

#else

#include <cblas.h>
#include <dnnl.h>
#include <pthread.h>
#include <strings.h>

#include "signals.h"

#ifdef CF_DNNL_OMP
void omp_set_num_threads(int n);
#endif

/* -1 until decided; then 1 when oneDNN takes the products. */
static int automatic = -1, forced = -1;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void decide(void) {
  const dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
  const bool dnnl_wide = (isa & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core;
  /* OpenBLAS 0.3.21's cores with AVX-512 kernels for sgemm. */
  static const char *wide_cores[] = {"skylakex", "cooperlake", "sapphirerapids"};
  const char *core = openblas_get_corename();
  bool blas_wide = false;
  for (unsigned i = 0; i < sizeof wide_cores / sizeof *wide_cores; i++) blas_wide |= core && strcasecmp(core, wide_cores[i]) == 0;
  automatic = dnnl_wide && !blas_wide;
}

int cf_dnnl_gemm(void) {
  pthread_once(&once, decide);
  return forced >= 0 ? forced : automatic;
}

void cf_dnnl_set_gemm(int on) { forced = on < 0 ? -1 : on != 0; }

bool cf_dnnl_sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                   const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
  if (!cf_dnnl_gemm()) return false;
#ifdef CF_DNNL_OMP
  /* This thread's OpenMP setting: oneDNN then runs inline, with no team spinning against the pool (dnnl_conv.c). */
  omp_set_num_threads(1);
#endif
  sigset_t held;
  signals_hold(&held); /* its JIT kernels are not safe to interrupt: signals.h */
  const bool ok = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) == dnnl_success;
  signals_release(&held);
  return ok;
}

#endif
