#ifndef ZINC_CZMQ_BENCH_H
#define ZINC_CZMQ_BENCH_H

#include <stddef.h>

/* The reference loop for the binding's overhead benchmark, written directly against libzmq:
   a PUSH thread sends `count` frames of `size` bytes to a PULL socket in the calling thread.
   Each side has its own context, as two processes would. Returns 0 on success, -1 on a libzmq
   error (errno set). Times are wall seconds from the first to the last message on each side. */
int czmq_bench_push_pull(const char *endpoint, long count, size_t size,
                         double *send_seconds, double *receive_seconds);

/* Bytes the process holds from malloc (glibc's mallinfo2().uordblks), or -1 where unknown. */
long zinc_bench_allocated_bytes(void);

#endif
