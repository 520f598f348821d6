// The floor under an idle Zinc node: raw libzmq doing only what an idle root and its child
// must, a 200-byte heartbeat every 100 ms each way (root PUB -> child SUB, child PUSH -> root
// PULL), polling with a timeout until the next send. No CRDT, no protocol, no Swift.
//   cc -O2 -o idle_floor benchmarks/idle_floor.c -lzmq
//   ./idle_floor root tcp://127.0.0.1:23740 & ./idle_floor leaf tcp://127.0.0.1:23740
// An optional third argument polls that many more (silent) sockets beside the one that
// receives, as a Zinc node polls eight.
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
    if (argc < 3) { fprintf(stderr, "usage: idle_floor root|leaf tcp://HOST:PORT [EXTRA_SOCKETS]\n"); return 2; }
    int extra = argc > 3 ? atoi(argv[3]) : 0;
    if (extra < 0 || extra > 15) extra = 0;
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
    zmq_pollitem_t items[16] = {{in, 0, ZMQ_POLLIN, 0}};
    for (int i = 1; i <= extra; i++) {
        char name[64];
        snprintf(name, sizeof name, "inproc://silent-%d", i);
        items[i].socket = zmq_socket(context, ZMQ_PAIR);
        zmq_bind(items[i].socket, name);
        items[i].events = ZMQ_POLLIN;
    }
    char heartbeat[200], buffer[4096];
    memset(heartbeat, 7, sizeof heartbeat);
    long long next = now_ms() + 100;
    for (;;) {
        long long wait = next - now_ms();
        zmq_poll(items, 1 + extra, wait > 0 ? wait : 0);
        while (zmq_recv(in, buffer, sizeof buffer, ZMQ_DONTWAIT) >= 0) {}
        if (now_ms() >= next) {
            zmq_send(out, heartbeat, sizeof heartbeat, ZMQ_DONTWAIT);
            next += 100;
        }
    }
}
