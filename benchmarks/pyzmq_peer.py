#!/usr/bin/env python3
"""pyzmq PUSH/PULL throughput between two processes over tcp loopback: the same work as
`zinc bench messages` (N messages of SIZE bytes, sender and receiver rates), for the
side-by-side table in docs/benchmarks.md.

    benchmarks/.venv/bin/python benchmarks/pyzmq_peer.py --count 1000000 --size 1024 --rounds 3 --json out.json
"""
import argparse
import json
import multiprocessing
import statistics
import time

import zmq


def receiver(address, count, ready, result):
    context = zmq.Context()
    pull = context.socket(zmq.PULL)
    pull.setsockopt(zmq.RCVHWM, 0)
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    ready.put(port)
    pull.recv()  # the first message starts the clock
    start = time.perf_counter()
    for _ in range(count - 1):
        pull.recv(copy=False)
    elapsed = time.perf_counter() - start
    result.put((count - 1) / elapsed)
    pull.close(linger=0)
    context.term()


def one_round(count, size):
    ready, result = multiprocessing.Queue(), multiprocessing.Queue()
    process = multiprocessing.Process(target=receiver, args=(None, count, ready, result))
    process.start()
    port = ready.get(timeout=10)
    context = zmq.Context()
    push = context.socket(zmq.PUSH)
    push.setsockopt(zmq.SNDHWM, 0)
    push.connect(f"tcp://127.0.0.1:{port}")
    body = b"x" * size
    push.send(body)
    start = time.perf_counter()
    for _ in range(count - 1):
        push.send(body, copy=True)
    sender_rate = (count - 1) / (time.perf_counter() - start)
    receiver_rate = result.get(timeout=600)
    process.join(timeout=10)
    push.close(linger=1000)
    context.term()
    return sender_rate, receiver_rate


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="write the result to this file")
    args = parser.parse_args()
    senders, receivers = [], []
    for _ in range(args.rounds):
        sender, receiver_rate = one_round(args.count, args.size)
        senders.append(sender)
        receivers.append(receiver_rate)
        print(f"pyzmq {zmq.__version__} (libzmq {zmq.zmq_version()}): sender {sender:,.0f}/s  receiver {receiver_rate:,.0f}/s")
    result = {
        "library": "pyzmq",
        "version": zmq.__version__,
        "libzmq": zmq.zmq_version(),
        "count": args.count,
        "size": args.size,
        "rounds": args.rounds,
        "senderRate": statistics.median(senders),
        "receiverRate": statistics.median(receivers),
        "senderRates": senders,
        "receiverRates": receivers,
    }
    if args.json:
        with open(args.json, "w") as output:
            json.dump(result, output, indent=2, sort_keys=True)
    print(f"median: sender {result['senderRate']:,.0f}/s  receiver {result['receiverRate']:,.0f}/s")


if __name__ == "__main__":
    main()
