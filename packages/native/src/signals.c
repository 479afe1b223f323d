#include "signals.h"

#include <pthread.h>

void signals_hold(sigset_t *old) {
  sigset_t all;
  sigfillset(&all);
  /* A fault raised by the code itself must still reach its handler (V8's wasm traps use SIGSEGV). */
  static const int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP};
  for (unsigned i = 0; i < sizeof faults / sizeof *faults; i++) sigdelset(&all, faults[i]);
  pthread_sigmask(SIG_BLOCK, &all, old);
}

void signals_release(const sigset_t *old) { pthread_sigmask(SIG_SETMASK, old, NULL); }
