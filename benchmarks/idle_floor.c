// The floor under an idle Zinc node: raw libzmq doing only what an idle root and its child
// must, a 200-byte heartbeat every 100 ms each way (root PUB -> child SUB, child PUSH -> root
// PULL), polling with a timeout until the next send. No CRDT, no protocol, no Swift.
//   cc -O2 -o idle_floor benchmarks/idle_floor.c -lzmq
//   ./idle_floor root tcp://127.0.0.1:23740 & ./idle_floor leaf tcp://127.0.0.1:23740
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: idle_floor root|leaf tcp://HOST:PORT\n"); return 2; }
    int root = strcmp(argv[1], "root") == 0;
    char pub[256], pull[256];
    const char *colon = strrchr(argv[2], ':');
    int port = atoi(colon + 1);
    snprintf(pub, sizeof pub, "%.*s:%d", (int)(colon - argv[2]), argv[2], port);
    snprintf(pull, sizeof pull, "%.*s:%d", (int)(colon - argv[2]), argv[2], port + 1);
    void *context = zmq_ctx_new();
    void *down = zmq_socket(context, root ? ZMQ_PUB : ZMQ_SUB);
    void *up = zmq_socket(context, root ? ZMQ_PULL : ZMQ_PUSH);
    if (root) {
        zmq_bind(down, pub);
        zmq_bind(up, pull);
    } else {
        zmq_setsockopt(down, ZMQ_SUBSCRIBE, "", 0);
        zmq_connect(down, pub);
        zmq_connect(up, pull);
    }
    void *out = root ? down : up, *in = root ? up : down;
    char heartbeat[200], buffer[4096];
    memset(heartbeat, 7, sizeof heartbeat);
    long long next = now_ms() + 100;
    for (;;) {
        zmq_pollitem_t item = {in, 0, ZMQ_POLLIN, 0};
        long long wait = next - now_ms();
        zmq_poll(&item, 1, wait > 0 ? wait : 0);
        while (zmq_recv(in, buffer, sizeof buffer, ZMQ_DONTWAIT) >= 0) {}
        if (now_ms() >= next) {
            zmq_send(out, heartbeat, sizeof heartbeat, ZMQ_DONTWAIT);
            next += 100;
        }
    }
}
