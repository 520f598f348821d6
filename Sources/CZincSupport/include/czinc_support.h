#ifndef ZINC_CZINC_SUPPORT_H
#define ZINC_CZINC_SUPPORT_H

#include <stddef.h>

/* Bytes currently allocated from the heap by malloc (glibc mallinfo2), for measuring the
   memory a data structure really holds. Returns 0 where unsupported. */
size_t czinc_heap_allocated_bytes(void);

#endif
