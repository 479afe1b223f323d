/*
 * openblas-probe: what the linked OpenBLAS picks on its own, and what the CPU
 * can run, as one line of JSON for the loader (../core-choice.js):
 *   {"core":"Prescott","config":"OpenBLAS 0.3.21 ... DYNAMIC_ARCH ...","vendor":"intel",
 *    "flags":["avx2","fma",...]}
 * The loader runs it with OPENBLAS_CORETYPE unset, before it loads the addon:
 * OpenBLAS reads that variable once, in its library constructor, so the core
 * must be decided in a process of its own. About 10 ms.
 *
 * The flags come from the compiler's cpuid builtins, which also check that the
 * OS saves the wider registers (XCR0), as OpenBLAS's own support_avx512() does.
 */
#include <stdio.h>

char *openblas_get_corename(void);
char *openblas_get_config(void);

int main(void) {
  printf("{\"core\":\"%s\",\"config\":\"%s\"", openblas_get_corename(), openblas_get_config());
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
  __builtin_cpu_init();
  const char *vendor = __builtin_cpu_is("intel") ? "intel" : __builtin_cpu_is("amd") ? "amd" : "other";
  printf(",\"vendor\":\"%s\",\"flags\":[", vendor);
  /* String literals: __builtin_cpu_supports takes no variables. */
  int n = 0;
#define FLAG(name) if (__builtin_cpu_supports(name)) printf("%s\"%s\"", n++ ? "," : "", name)
  FLAG("avx");
  FLAG("avx2");
  FLAG("fma");
  FLAG("avx512f");
  FLAG("avx512cd");
  FLAG("avx512bw");
  FLAG("avx512dq");
  FLAG("avx512vl");
#undef FLAG
  printf("]");
#endif
  printf("}\n");
  return 0;
}
