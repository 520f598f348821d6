#include "czmq_bench.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct sender_args {
    const char *endpoint;
    long count;
    size_t size;
    double seconds;
    int failed;
};

static void *sender_main(void *raw) {
    struct sender_args *args = raw;
    void *context = zmq_ctx_new();
    void *push = zmq_socket(context, ZMQ_PUSH);
    int linger = 1000;
    zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof linger);
    char *payload = malloc(args->size);
    memset(payload, 'z', args->size);
    if (zmq_connect(push, args->endpoint) != 0) { args->failed = 1; goto done; }
    double start = now_seconds();
    for (long i = 0; i < args->count; i++) {
        if (zmq_send(push, payload, args->size, 0) < 0) { args->failed = 1; break; }
    }
    args->seconds = now_seconds() - start;
done:
    free(payload);
    zmq_close(push);
    zmq_ctx_term(context);
    return NULL;
}

int czmq_bench_push_pull(const char *endpoint, long count, size_t size,
                         double *send_seconds, double *receive_seconds) {
    void *context = zmq_ctx_new();
    void *pull = zmq_socket(context, ZMQ_PULL);
    if (zmq_bind(pull, endpoint) != 0) { zmq_close(pull); zmq_ctx_term(context); return -1; }
    char bound[256];
    size_t bound_size = sizeof bound;
    zmq_getsockopt(pull, ZMQ_LAST_ENDPOINT, bound, &bound_size);

    struct sender_args args = { bound, count, size, 0.0, 0 };
    pthread_t sender;
    pthread_create(&sender, NULL, sender_main, &args);

    zmq_msg_t message;
    double start = 0.0;
    int failed = 0;
    for (long i = 0; i < count; i++) {
        zmq_msg_init(&message);
        if (zmq_msg_recv(&message, pull, 0) < 0) { failed = 1; zmq_msg_close(&message); break; }
        if (i == 0) start = now_seconds();
        zmq_msg_close(&message);
    }
    double elapsed = now_seconds() - start;
    pthread_join(sender, NULL);
    zmq_close(pull);
    zmq_ctx_term(context);
    *send_seconds = args.seconds;
    *receive_seconds = elapsed;
    return (failed || args.failed) ? -1 : 0;
}
