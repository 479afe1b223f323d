/*
 * Asynchronous signals held off while oneDNN's JIT code runs. oneDNN 2.6's
 * generated sgemm kernels (the products of dnnl_gemm.c, and the convolutions
 * oneDNN runs as products) point rsp into their heap workspace while they run,
 * so the kernel writes a signal's frame there and the heap is corrupt; a later
 * free aborts (oneDNN issue 4845, fixed upstream by pull request 4855, March 2026). Node's process takes such
 * signals in the normal course: SIGINT and SIGTERM (Ctrl-C, a scheduler),
 * SIGCHLD, SIGWINCH, and SIGPROF under a profiler. Held, a signal is delivered
 * when the call returns, a few milliseconds late at worst.
 */
#ifndef CLUSTERFLOW_SIGNALS_H
#define CLUSTERFLOW_SIGNALS_H
#include <signal.h>

/* Blocks this thread's asynchronous signals (not the faults: SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP); old gets the mask to restore. */
void signals_hold(sigset_t *old);

/* Restores the mask signals_hold saved: held signals are delivered now. */
void signals_release(const sigset_t *old);

#endif
