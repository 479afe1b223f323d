/*
 * The convolutions of conv.c on oneDNN (dnnl.h), for the builds that found it
 * (build.js defines CF_HAVE_DNNL and links -ldnnl): oneDNN's JIT kernels read
 * NHWC activations in place, with no patch matrix. Each primitive is kept in a
 * small LRU keyed by the geometry, so a training step creates none after the
 * first; a geometry oneDNN does not take (or any failure) returns false, and
 * conv.c runs its own OpenBLAS path instead.
 *
 * Threads: the batch is split over the addon's own pool (pool.h), each part
 * one single-threaded oneDNN call on its images (filter gradients summed in
 * order, as conv.c does). Debian's oneDNN would otherwise run an OpenMP team
 * of its own, whose threads spin between calls against the pool's: on a
 * loaded 2-core machine the ConvNet's convolutions ran 2-17x slower on a
 * 2-thread team than on one thread (2026-12-06).
 */
#include "kernels.h"
#include "pool.h"
#include "signals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CF_HAVE_DNNL

bool cf_dnnl_run(int op, const conv_geom *g, int64_t co, const float *a, const float *b, float *out) {
  (void)op, (void)g, (void)co, (void)a, (void)b, (void)out;
  return false;
}
void cf_dnnl_set_ops(int mask) { (void)mask; }
int cf_dnnl_ops(void) { return 0; }
const char *cf_dnnl_info(void) { return NULL; }
const char *cf_dnnl_impl(int op) { (void)op; return NULL; }
int64_t cf_dnnl_calls(void) { return 0; }

#else

#include <dnnl.h>
#include <pthread.h>

#ifdef CF_DNNL_OMP
/* libgomp's; declared here so the addon needs no -fopenmp (it has no OpenMP code of its own). */
void omp_set_num_threads(int n);
#endif

/* Primitives kept: ResNet-18 has 11 conv geometries, so 33 (op, geometry) pairs, twice that for a batch the threads do not split evenly. */
#define CACHE_SIZE 96

typedef struct {
  int op;
  conv_geom g;
  int64_t co;
} conv_key;

typedef struct {
  bool used;
  uint64_t last;
  conv_key key;
  dnnl_primitive_t prim;
  /* Per argument, in the (a, b, out) order of cf_dnnl_run: the caller's layout, and oneDNN's where it differs. */
  dnnl_memory_desc_t user[3], inner[3];
  dnnl_primitive_t reorder[3]; /* user to inner for a and b, inner to user for out; NULL where the layouts agree */
  /* The scratch memory of the conv (3) and of each reorder (0-2): the caller's (user mode), per part. */
  dnnl_memory_desc_t scratch[4];
  size_t scratch_bytes;
  char impl[64];
} cache_entry;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static dnnl_engine_t engine;
static dnnl_stream_t streams[POOL_MAX_THREADS]; /* one per part: a stream is not for concurrent use */
static bool init_failed;
/*
 * Every primitive takes its scratch memory from the part that runs it (user
 * scratchpad mode). With oneDNN's own, two parts running one primitive at once
 * got wrong sums (brgconv) or crashed (gemm convolutions), 2026-12-06.
 */
static dnnl_primitive_attr_t attr;
static void *part_scratch[POOL_MAX_THREADS];
static size_t part_scratch_len[POOL_MAX_THREADS];
static cache_entry cache[CACHE_SIZE];
static uint64_t clock_;
static int ops_mask = CF_DNNL_ALL;
static int64_t calls;
static char last_impl[3][64];
static char info[128];

/* The oneDNN argument each of (a, b, out) is, per op. */
static const int ARG[3][3] = {
  {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST},
  {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS},
  {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC},
};

static bool ready(void) {
  if (engine) return true;
  if (init_failed) return false;
  if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success || dnnl_primitive_attr_create(&attr) != dnnl_success ||
      dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user) != dnnl_success) {
    init_failed = true;
    return false;
  }
  return true;
}

/*
 * oneDNN's dims are logical NCHW / OIHW whatever the layout; the tags say
 * where the floats are: nhwc activations, hwio filters (TF.js's [KH,KW,CI,CO]).
 */
static void descs(const conv_geom *g, int64_t co, dnnl_memory_desc_t *x, dnnl_memory_desc_t *w, dnnl_memory_desc_t *y) {
  const dnnl_dims_t xd = {g->n, g->c, g->h, g->w}, wd = {co, g->c, g->kh, g->kw}, yd = {g->n, co, g->oh, g->ow};
  dnnl_memory_desc_init_by_tag(x, 4, xd, dnnl_f32, dnnl_nhwc);
  dnnl_memory_desc_init_by_tag(w, 4, wd, dnnl_f32, dnnl_hwio);
  dnnl_memory_desc_init_by_tag(y, 4, yd, dnnl_f32, dnnl_nhwc);
}

/*
 * Strides and padding as oneDNN wants them. The addon gets the top and left
 * padding; the bottom and right are what the output size needs, at least 0
 * (TF.js's 'valid' may leave the last input rows unread, which oneDNN allows).
 */
typedef struct {
  dnnl_dims_t strides, pad_l, pad_r;
} conv_window;

static conv_window window_of(const conv_geom *g) {
  const int64_t pb = (g->oh - 1) * g->sh + g->kh - g->h - g->pad_top, pr = (g->ow - 1) * g->sw + g->kw - g->w - g->pad_left;
  conv_window s = {{g->sh, g->sw}, {g->pad_top, g->pad_left}, {pb > 0 ? pb : 0, pr > 0 ? pr : 0}};
  return s;
}

/* Notes the scratch memory primitive k of e needs (the conv is 3, the reorders 0-2). */
static bool keep_scratch(cache_entry *e, int k, const_dnnl_primitive_desc_t pd) {
  const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
  if (!md) return false;
  e->scratch[k] = *md;
  const size_t bytes = dnnl_memory_desc_get_size(md);
  if (bytes > e->scratch_bytes) e->scratch_bytes = bytes;
  return true;
}

/* Where layouts differ: the reorder to (a, b) or from (out) oneDNN's. */
static bool add_reorder(cache_entry *e, int i) {
  dnnl_primitive_desc_t rpd = NULL;
  const dnnl_memory_desc_t *from = i < 2 ? &e->user[i] : &e->inner[i], *to = i < 2 ? &e->inner[i] : &e->user[i];
  const bool ok = dnnl_reorder_primitive_desc_create(&rpd, from, engine, to, engine, attr) == dnnl_success &&
                  keep_scratch(e, i, rpd) && dnnl_primitive_create(&e->reorder[i], rpd) == dnnl_success;
  if (rpd) dnnl_primitive_desc_destroy(rpd);
  return ok;
}

static bool create(cache_entry *e) {
  const conv_geom *g = &e->key.g;
  const int op = e->key.op;
  dnnl_memory_desc_t x, w, y, cw;
  descs(g, e->key.co, &x, &w, &y);
  /*
   * Filters in the layout oneDNN picks (format_tag any), reordered from and to
   * HWIO each call; activations stay NHWC. With HWIO filters oneDNN 2.6 falls
   * back to its own patch-matrix convolutions (gemm:jit), and with blocked
   * activations too (reorders of x, y, dx, dy) the ConvNet's step was slower:
   * ratio to PyTorch 3.09, 3.0, 2.69 against 2.53, 2.66, 2.58 (2026-12-06, load 12-16).
   */
  dnnl_memory_desc_init_by_tag(&cw, 4, w.dims, dnnl_f32, dnnl_format_tag_any);
  dnnl_convolution_desc_t fwd, bwd;
  dnnl_primitive_desc_t hint = NULL, pd = NULL;
  const conv_window s = window_of(g);
  /* The backward primitives take the forward's as a hint. */
  bool ok = dnnl_convolution_forward_desc_init(&fwd, dnnl_forward_training, dnnl_convolution_direct, &x, &cw, NULL, &y,
                                               s.strides, s.pad_l, s.pad_r) == dnnl_success &&
            dnnl_primitive_desc_create(&hint, &fwd, attr, engine, NULL) == dnnl_success;
  if (ok && op == CF_DNNL_FORWARD) {
    pd = hint;
    hint = NULL;
  } else if (ok) {
    ok = (op == CF_DNNL_FILTER_GRAD
              ? dnnl_convolution_backward_weights_desc_init(&bwd, dnnl_convolution_direct, &x, &cw, NULL, &y, s.strides,
                                                            s.pad_l, s.pad_r)
              : dnnl_convolution_backward_data_desc_init(&bwd, dnnl_convolution_direct, &x, &cw, &y, s.strides, s.pad_l,
                                                         s.pad_r)) == dnnl_success &&
         dnnl_primitive_desc_create(&pd, &bwd, attr, engine, hint) == dnnl_success;
  }
  if (hint) dnnl_primitive_desc_destroy(hint);
  if (!ok) {
    if (pd) dnnl_primitive_desc_destroy(pd);
    return false;
  }
  const char *impl = NULL;
  dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
  snprintf(e->impl, sizeof e->impl, "%s", impl ? impl : "?");
  const dnnl_memory_desc_t *user[3][3] = {{&x, &w, &y}, {&x, &y, &w}, {&y, &w, &x}};
  ok = keep_scratch(e, 3, pd) && dnnl_primitive_create(&e->prim, pd) == dnnl_success;
  for (int i = 0; i < 3 && ok; i++) {
    const dnnl_memory_desc_t *want = dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, ARG[op][i]);
    ok = want != NULL;
    if (!ok) break;
    e->user[i] = *user[op][i];
    e->inner[i] = *want;
    if (!dnnl_memory_desc_equal(want, user[op][i])) ok = add_reorder(e, i);
  }
  dnnl_primitive_desc_destroy(pd);
  return ok;
}

static void release(cache_entry *e) {
  if (e->prim) dnnl_primitive_destroy(e->prim);
  for (int i = 0; i < 3; i++)
    if (e->reorder[i]) dnnl_primitive_destroy(e->reorder[i]);
  memset(e, 0, sizeof *e);
}

/*
 * This thread's OpenMP setting (a per-thread one): oneDNN then runs inline, with
 * no team. Also where primitives are created: some (brgconv) fix their thread
 * count then, and ran a 2-thread team, with wrong sums, from single-threaded parts.
 */
static void single_threaded(void) {
#ifdef CF_DNNL_OMP
  omp_set_num_threads(1);
#endif
}

/* Runs a reorder between two memories. */
static bool reorder(dnnl_primitive_t r, dnnl_stream_t stream, dnnl_memory_t from, dnnl_memory_t to, dnnl_memory_t scratch) {
  dnnl_exec_arg_t args[3] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}, {DNNL_ARG_SCRATCHPAD, scratch}};
  return dnnl_primitive_execute(r, stream, 3, args) == dnnl_success;
}

/* Part p's scratch buffer, grown to at least bytes (64-byte aligned, as oneDNN's own). */
static void *scratch_of(int64_t p, size_t bytes) {
  if (part_scratch_len[p] < bytes) {
    free(part_scratch[p]);
    if (posix_memalign(&part_scratch[p], 64, bytes) != 0) part_scratch[p] = NULL;
    part_scratch_len[p] = part_scratch[p] ? bytes : 0;
  }
  return part_scratch[p];
}

/* One entry's conv on the caller's arrays ptr (a, b, out), single-threaded, on the part's stream. */
static bool execute(const cache_entry *e, int op, int64_t p, void *const ptr[3]) {
  single_threaded();
  dnnl_stream_t stream = streams[p];
  dnnl_memory_t user[3] = {NULL, NULL, NULL}, inner[3] = {NULL, NULL, NULL}, scratch[4] = {NULL, NULL, NULL, NULL};
  dnnl_exec_arg_t args[4];
  void *buf = scratch_of(p, e->scratch_bytes ? e->scratch_bytes : 64);
  bool ok = buf != NULL;
  for (int k = 0; k < 4 && ok; k++)
    ok = (k < 3 && !e->reorder[k]) || dnnl_memory_create(&scratch[k], &e->scratch[k], engine, buf) == dnnl_success;
  for (int i = 0; i < 3 && ok; i++) {
    ok = dnnl_memory_create(&user[i], &e->user[i], engine, ptr[i]) == dnnl_success &&
         (!e->reorder[i] || dnnl_memory_create(&inner[i], &e->inner[i], engine, DNNL_MEMORY_ALLOCATE) == dnnl_success);
    args[i].arg = ARG[op][i];
    args[i].memory = inner[i] ? inner[i] : user[i];
  }
  args[3].arg = DNNL_ARG_SCRATCHPAD;
  args[3].memory = scratch[3];
  sigset_t held;
  signals_hold(&held); /* a geometry oneDNN runs as products runs its JIT sgemm: signals.h */
  for (int i = 0; i < 2 && ok; i++)
    if (e->reorder[i]) ok = reorder(e->reorder[i], stream, user[i], inner[i], scratch[i]);
  ok = ok && dnnl_primitive_execute(e->prim, stream, 4, args) == dnnl_success;
  if (ok && e->reorder[2]) ok = reorder(e->reorder[2], stream, inner[2], user[2], scratch[2]);
  ok = ok && dnnl_stream_wait(stream) == dnnl_success;
  signals_release(&held);
  for (int i = 0; i < 3; i++) {
    if (user[i]) dnnl_memory_destroy(user[i]);
    if (inner[i]) dnnl_memory_destroy(inner[i]);
  }
  for (int k = 0; k < 4; k++)
    if (scratch[k]) dnnl_memory_destroy(scratch[k]);
  return ok;
}

/* The entry for key, created in the least recently used slot when missing; NULL when oneDNN does not take it. */
static cache_entry *lookup(const conv_key *key) {
  cache_entry *slot = &cache[0];
  for (int i = 0; i < CACHE_SIZE; i++) {
    cache_entry *e = &cache[i];
    if (e->used && memcmp(&e->key, key, sizeof *key) == 0) {
      e->last = ++clock_;
      return e->prim ? e : NULL; /* a geometry that failed once stays on OpenBLAS */
    }
    if (!e->used || (slot->used && e->last < slot->last)) slot = e;
  }
  if (slot->used) release(slot);
  slot->used = true;
  slot->last = ++clock_;
  slot->key = *key;
  if (!create(slot)) {
    cache_entry failed = {.used = true, .last = slot->last, .key = *key};
    release(slot);
    *slot = failed;
    return NULL;
  }
  return slot;
}

/* A call split by images: part p of parts takes images [p*n/parts, (p+1)*n/parts), so at most two sub-batch sizes. */
typedef struct {
  int op;
  const conv_geom *g;
  int64_t co, parts;
  const float *a, *b;
  float *out;
  cache_entry *small, *large; /* the primitives for n/parts images and for one more */
  float *partials[POOL_MAX_THREADS]; /* filter grad: part p's dw (part 0's is out) */
  bool ok[POOL_MAX_THREADS];
} dnnl_job;

static int64_t first_image(const dnnl_job *j, int64_t p) { return p * j->g->n / j->parts; }

static void run_parts(void *ctx, int64_t begin, int64_t end, int part) {
  (void)part;
  dnnl_job *j = ctx;
  const conv_geom *g = j->g;
  const int64_t x_image = g->h * g->w * g->c, y_image = g->oh * g->ow * j->co;
  for (int64_t p = begin; p < end; p++) {
    const int64_t i0 = first_image(j, p), n = first_image(j, p + 1) - i0;
    const cache_entry *e = n == j->small->key.g.n ? j->small : j->large;
    void *ptr[3];
    if (j->op == CF_DNNL_FORWARD) {
      ptr[0] = (void *)(j->a + i0 * x_image), ptr[1] = (void *)j->b, ptr[2] = j->out + i0 * y_image;
    } else if (j->op == CF_DNNL_FILTER_GRAD) {
      ptr[0] = (void *)(j->a + i0 * x_image), ptr[1] = (void *)(j->b + i0 * y_image), ptr[2] = j->partials[p];
    } else {
      ptr[0] = (void *)(j->a + i0 * y_image), ptr[1] = (void *)j->b, ptr[2] = j->out + i0 * x_image;
    }
    j->ok[p] = ptr[2] && execute(e, j->op, p, ptr);
  }
}

/* The cached primitive for op on n images of g's geometry, or NULL. */
static cache_entry *entry_for(int op, const conv_geom *g, int64_t co, int64_t n) {
  conv_key key;
  memset(&key, 0, sizeof key); /* padding bytes too: the key is compared with memcmp */
  key.op = op;
  key.g = *g;
  key.g.n = n;
  key.co = co;
  return lookup(&key);
}

bool cf_dnnl_run(int op, const conv_geom *g, int64_t co, const float *a, const float *b, float *out) {
  if (!(ops_mask & (1 << op)) || g->n < 1) return false;
  dnnl_job j = {.op = op, .g = g, .co = co, .a = a, .b = b, .out = out};
#ifdef CF_DNNL_OMP
  j.parts = pool_parts(g->n, 1);
#else
  j.parts = 1; /* a TBB or sequential oneDNN threads (or not) on its own */
#endif
  /* The whole call under the lock: its entries stay in the cache until it is done (the pool runs one job at a time anyway). */
  pthread_mutex_lock(&lock);
  single_threaded();
  bool ok = ready();
  for (int64_t p = 0; p < j.parts && ok; p++)
    ok = streams[p] || dnnl_stream_create(&streams[p], engine, dnnl_stream_default_flags) == dnnl_success;
  if (ok) {
    j.small = entry_for(op, g, co, g->n / j.parts);
    j.large = g->n % j.parts ? entry_for(op, g, co, g->n / j.parts + 1) : j.small;
    ok = j.small && j.large;
  }
  if (!ok) {
    pthread_mutex_unlock(&lock);
    return false;
  }
  const int64_t w_len = g->kh * g->kw * g->c * co;
  if (op == CF_DNNL_FILTER_GRAD) {
    j.partials[0] = out;
    for (int64_t p = 1; p < j.parts; p++) j.partials[p] = malloc((size_t)w_len * sizeof(float));
  }
  parallel_for(j.parts, 1, run_parts, &j);
  for (int64_t p = 0; p < j.parts; p++) ok = ok && j.ok[p];
  if (op == CF_DNNL_FILTER_GRAD) {
    /* In part order, so dw is the same every run. */
    for (int64_t p = 1; p < j.parts; p++) {
      if (ok)
        for (int64_t i = 0; i < w_len; i++) out[i] += j.partials[p][i];
      free(j.partials[p]);
    }
  }
  if (ok) {
    calls++;
    memcpy(last_impl[op], j.small->impl, sizeof j.small->impl);
  }
  pthread_mutex_unlock(&lock);
  return ok;
}

void cf_dnnl_set_ops(int mask) { ops_mask = mask & CF_DNNL_ALL; }
int cf_dnnl_ops(void) { return ops_mask; }
int64_t cf_dnnl_calls(void) { return calls; }
const char *cf_dnnl_impl(int op) { return op >= 0 && op < 3 && last_impl[op][0] ? last_impl[op] : NULL; }

/* "oneDNN 2.6.3 (avx512_core_amx)": the library and the widest instructions its JIT uses here. */
const char *cf_dnnl_info(void) {
  if (info[0]) return info;
  const dnnl_version_t *v = dnnl_version();
  const char *isa = "?";
  switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_sse41: isa = "sse41"; break;
    case dnnl_cpu_isa_avx: isa = "avx"; break;
    case dnnl_cpu_isa_avx2: isa = "avx2"; break;
    case dnnl_cpu_isa_avx512_mic: isa = "avx512_mic"; break;
    case dnnl_cpu_isa_avx512_mic_4ops: isa = "avx512_mic_4ops"; break;
    case dnnl_cpu_isa_avx512_core: isa = "avx512_core"; break;
    case dnnl_cpu_isa_avx512_core_vnni: isa = "avx512_core_vnni"; break;
    case dnnl_cpu_isa_avx512_core_bf16: isa = "avx512_core_bf16"; break;
    case dnnl_cpu_isa_avx512_core_amx: isa = "avx512_core_amx"; break;
    case dnnl_cpu_isa_avx2_vnni: isa = "avx2_vnni"; break;
    default: break;
  }
  snprintf(info, sizeof info, "oneDNN %d.%d.%d (%s)", v->major, v->minor, v->patch, isa);
  return info;
}

#endif
