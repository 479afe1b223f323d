/*
 * NHWC convolutions (dilation 1) and both their gradients as patch-matrix
 * products, a block of output rows at a time: each thread builds the patches
 * of its block in its own cache-sized buffer and multiplies it at once with
 * single-threaded OpenBLAS, so the patch matrix never goes through memory
 * whole (at ResNet-18's first stage it would be 302 MB a batch).
 *
 * Row r = (n*OH + oh)*OW + ow of the patch matrix holds, for kh, kw, c in that
 * order (the filter's [KH,KW,CI,CO] layout), x[n, oh*SH - PT + kh, ow*SW - PL + kw, c],
 * or 0 outside x. With K = KH*KW*CI:
 *   forward:     y[r, :]   = patches[r, :] @ w[K, CO]
 *   filter grad: dw[K, CO] = sum over r of patches[r, :]^T dy[r, :]
 *   input grad:  dx        = the adjoint of the patches of (dy @ w^T)
 *
 * Each first offers the call to oneDNN (dnnl_conv.c), which takes it where
 * the build has oneDNN and that op is on; this file's path is the rest.
 */
#include "kernels.h"
#include "pool.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

/*
 * Patch floats per block (2 MiB): the ConvNet's step was fastest with 0.5-1M
 * floats, ResNet-18's (batch 32) with 0.25-1M; 128K floats (a core's L2)
 * were 5-15% slower (paired steps, 2026-11-27).
 */
#define BLOCK_FLOATS (1 << 19)

/*
 * Output rows per block, for m rows of k patch floats: about the budget over a
 * patch row, 16 to 4096 rows, as many blocks as a multiple of the threads so
 * they share them evenly, and in 16s (OpenBLAS's kernels' row unit).
 */
static int64_t block_rows(int64_t m, int64_t k) {
  int64_t r = BLOCK_FLOATS / (k > 0 ? k : 1);
  r = r < 16 ? 16 : r > 4096 ? 4096 : r;
  const int64_t t = pool_threads(), blocks = ((m + r - 1) / r + t - 1) / t * t;
  r = ((m + blocks - 1) / blocks + 15) / 16 * 16;
  return r > 0 ? r : 16;
}

/* One grow-only buffer per part: a part runs on one thread at a time. */
static float *scratch[POOL_MAX_THREADS];
static size_t scratch_len[POOL_MAX_THREADS];

static float *part_buffer(int part, size_t n) {
  if (scratch_len[part] < n) {
    free(scratch[part]);
    scratch[part] = malloc(n * sizeof(float));
    scratch_len[part] = scratch[part] ? n : 0;
  }
  return scratch[part];
}

/* Whether the input is the patch matrix already (1x1, stride 1, no padding). */
static bool direct(const conv_geom *g) {
  return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->oh == g->h && g->ow == g->w &&
         g->pad_top == 0 && g->pad_left == 0;
}

/*
 * Fills patch rows [r0, r1) into buf. One (pixel, kh, kw) is C contiguous
 * floats: copied by memcpy, or for fewer than 16 channels by a plain loop
 * (a ConvNet's 1-channel first layer built its patches in 2.0 ms of CPU
 * instead of 3.2 ms with memcpy calls of 4 bytes).
 */
static void patches(const conv_geom *g, const float *x, int64_t r0, int64_t r1, float *buf) {
  const int64_t c = g->c;
  const size_t run = (size_t)c * sizeof(float);
  for (int64_t r = r0; r < r1; r++) {
    const int64_t ow = r % g->ow, nh = r / g->ow, oh = nh % g->oh, n = nh / g->oh;
    for (int64_t kh = 0; kh < g->kh; kh++) {
      const int64_t ih = oh * g->sh - g->pad_top + kh;
      for (int64_t kw = 0; kw < g->kw; kw++, buf += c) {
        const int64_t iw = ow * g->sw - g->pad_left + kw;
        if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w) {
          memset(buf, 0, run);
          continue;
        }
        const float *px = x + ((n * g->h + ih) * g->w + iw) * c;
        if (c >= 16) memcpy(buf, px, run);
        else
          for (int64_t i = 0; i < c; i++) buf[i] = px[i];
      }
    }
  }
}

/* Adds patch rows [r0, r1) of buf back where they came from in dx (the adjoint of patches). */
static void unpatch(const conv_geom *g, const float *buf, int64_t r0, int64_t r1, float *dx) {
  for (int64_t r = r0; r < r1; r++) {
    const int64_t ow = r % g->ow, nh = r / g->ow, oh = nh % g->oh, n = nh / g->oh;
    for (int64_t kh = 0; kh < g->kh; kh++) {
      const int64_t ih = oh * g->sh - g->pad_top + kh;
      for (int64_t kw = 0; kw < g->kw; kw++, buf += g->c) {
        const int64_t iw = ow * g->sw - g->pad_left + kw;
        if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w) continue;
        float *px = dx + ((n * g->h + ih) * g->w + iw) * g->c;
        for (int64_t c = 0; c < g->c; c++) px[c] += buf[c];
      }
    }
  }
}

typedef struct {
  const conv_geom *g;
  int64_t co, k, rows_per_image, block;
  const float *in, *w;  /* forward: x, w; filter grad: x, dy; input grad: dy, w */
  float *out;           /* y, dw partials, dx */
  float **partials;     /* filter grad: one K x CO sum per part */
  bool ok;
} conv_job;

/* Blocks [b, e) of output rows: their patches, times w. */
static void forward_blocks(void *ctx, int64_t b, int64_t e, int part) {
  conv_job *j = ctx;
  const int64_t m = j->g->n * j->rows_per_image;
  float *buf = part_buffer(part, (size_t)(j->block * j->k));
  if (!buf) { j->ok = false; return; }
  for (int64_t blk = b; blk < e; blk++) {
    const int64_t r0 = blk * j->block, r1 = r0 + j->block < m ? r0 + j->block : m;
    patches(j->g, j->in, r0, r1, buf);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)(r1 - r0), (blasint)j->co, (blasint)j->k, 1, buf,
                (blasint)j->k, j->w, (blasint)j->co, 0, j->out + r0 * j->co, (blasint)j->co);
  }
}

static void filter_blocks(void *ctx, int64_t b, int64_t e, int part) {
  conv_job *j = ctx;
  const int64_t m = j->g->n * j->rows_per_image;
  const bool is_direct = direct(j->g);
  float *buf = is_direct ? NULL : part_buffer(part, (size_t)(j->block * j->k));
  float *dw = j->partials[part];
  if ((!is_direct && !buf) || !dw) { j->ok = false; return; }
  for (int64_t blk = b; blk < e; blk++) {
    const int64_t r0 = blk * j->block, r1 = r0 + j->block < m ? r0 + j->block : m;
    const float *p = is_direct ? j->in + r0 * j->k : buf;
    if (!is_direct) patches(j->g, j->in, r0, r1, buf);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (blasint)j->k, (blasint)j->co, (blasint)(r1 - r0), 1, p,
                (blasint)j->k, j->w + r0 * j->co, (blasint)j->co, blk == b ? 0 : 1, dw, (blasint)j->co);
  }
}

/* Images [b, e): zeroed, then every block of their rows multiplied and added back. */
static void input_images(void *ctx, int64_t b, int64_t e, int part) {
  conv_job *j = ctx;
  const conv_geom *g = j->g;
  const int64_t image = g->h * g->w * g->c, end = e * j->rows_per_image;
  float *buf = part_buffer(part, (size_t)(j->block * j->k));
  if (!buf) { j->ok = false; return; }
  memset(j->out + b * image, 0, (size_t)((e - b) * image) * sizeof(float));
  for (int64_t r0 = b * j->rows_per_image; r0 < end; r0 += j->block) {
    const int64_t r1 = r0 + j->block < end ? r0 + j->block : end;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)(r1 - r0), (blasint)j->k, (blasint)j->co, 1,
                j->in + r0 * j->co, (blasint)j->co, j->w, (blasint)j->co, 0, buf, (blasint)j->k);
    unpatch(g, buf, r0, r1, j->out);
  }
}

static conv_job job_of(const conv_geom *g, int64_t co, const float *in, const float *w, float *out) {
  const int64_t k = g->kh * g->kw * g->c, rows = g->oh * g->ow;
  conv_job j = {g, co, k, rows, block_rows(g->n * rows, k), in, w, out, NULL, true};
  return j;
}

bool conv_forward(const conv_geom *g, int64_t co, const float *x, const float *w, float *y) {
  if (cf_dnnl_run(CF_DNNL_FORWARD, g, co, x, w, y)) return true;
  conv_job j = job_of(g, co, x, w, y);
  const int64_t m = g->n * j.rows_per_image;
  if (direct(g)) {
    sgemm_parallel(false, false, m, co, j.k, 1, x, j.k, w, co, 0, y, co);
    return true;
  }
  parallel_for((m + j.block - 1) / j.block, 1, forward_blocks, &j);
  return j.ok;
}

bool conv_filter_grad(const conv_geom *g, int64_t co, const float *x, const float *dy, float *dw) {
  if (cf_dnnl_run(CF_DNNL_FILTER_GRAD, g, co, x, dy, dw)) return true;
  conv_job j = job_of(g, co, x, dy, dw);
  const int64_t m = g->n * j.rows_per_image, blocks = (m + j.block - 1) / j.block;
  const int parts = pool_parts(blocks, 1);
  float *partials[POOL_MAX_THREADS] = {dw};
  for (int p = 1; p < parts; p++) partials[p] = calloc((size_t)(j.k * co), sizeof(float));
  j.partials = partials;
  /*
   * Each part sums its blocks in order and the parts are added in order, so dw
   * is the same every run. A part that gets no block leaves its partial at zero
   * (calloc); part 0 always gets one and overwrites dw.
   */
  parallel_for(blocks, 1, filter_blocks, &j);
  for (int p = 1; p < parts; p++) {
    if (partials[p])
      for (int64_t i = 0; i < j.k * co; i++) dw[i] += partials[p][i];
    free(partials[p]);
  }
  return j.ok;
}

bool conv_input_grad(const conv_geom *g, int64_t co, const float *dy, const float *w, float *dx) {
  if (cf_dnnl_run(CF_DNNL_INPUT_GRAD, g, co, dy, w, dx)) return true;
  conv_job j = job_of(g, co, dy, w, dx);
  if (direct(g)) {
    sgemm_parallel(false, true, g->n * j.rows_per_image, j.k, co, 1, dy, co, w, co, 0, dx, j.k);
    return true;
  }
  /* By images, so no two threads add into the same pixels; each gets at least a block's rows. */
  parallel_for(g->n, (j.block + j.rows_per_image - 1) / j.rows_per_image, input_images, &j);
  return j.ok;
}
