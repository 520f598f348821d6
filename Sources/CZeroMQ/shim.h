#ifndef ZINC_CZEROMQ_SHIM_H
#define ZINC_CZEROMQ_SHIM_H

#include <zmq.h>
#include <errno.h>
#include <string.h>

/* libzmq's own errno values are macro expressions over ZMQ_HAUSNUMERO, which the
   Swift importer does not evaluate reliably; expose them as functions. */
static inline int czmq_errno_eterm(void) { return ETERM; }
static inline int czmq_errno_efsm(void) { return EFSM; }
static inline int czmq_errno_emthread(void) { return EMTHREAD; }
static inline int czmq_errno_enocompatproto(void) { return ENOCOMPATPROTO; }

/* zmq_msg_t must never be copied as a value; these helpers let Swift work with a
   pointer to a message that lives at a stable, heap-allocated address. */
static inline size_t czmq_msg_size(zmq_msg_t *msg) { return zmq_msg_size(msg); }

#if defined(__linux__)
#include <pthread.h>
/* pthread_setname_np is a GNU extension that Glibc's Swift overlay does not export. */
int pthread_setname_np(pthread_t thread, const char *name);
static inline void czmq_set_thread_name(const char *name) { pthread_setname_np(pthread_self(), name); }
#include <sys/eventfd.h>
/* A non-blocking, close-on-exec eventfd for the binding's Waker. */
static inline int czmq_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }
#endif

#endif
