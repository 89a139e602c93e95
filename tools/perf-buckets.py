#!/usr/bin/env python3
"""Where a running worker spends its CPU, from a `perf` profile, in the worker's own terms.

    perf record -F 999 -g -p "$(pgrep -f 'worker --db' | head -1)" -o worker.perf -- sleep 10
    perf script -i worker.perf | swift demangle --simplified | python3 tools/perf-buckets.py

Start a drain first (for example `.build/release/outbox-bench outside --sections drain --repeats 1
--backlog 15000`) and attach while it runs. Each sample is put in the bucket of the innermost
frame that names a step of the worker (claim, planning read, mark before send, record, request
building, answer classification, logging, HTTP client, change watcher, ...), and counted again
by where its leaf frame lives (kernel, SQLite, Swift runtime, libc/malloc, the worker's code).
The stacks past GRDB's DispatchQueue.sync are often cut short by the unwinder; the steps inside
the synchronous database closure are still named, so database work is attributed.
"""
import collections
import re
import sys

# Innermost match wins: order does not matter between buckets, only which frame is innermost.
BUCKETS = [
    ("planning read", r"planningContext"),
    ("fast lane decision (plan, validate)", r"FastLane"),
    ("claim", r"OutboxStore\.claim\(|claimOverdue|claimBatch|othersCommitted"),
    ("mark before send", r"markSending"),
    ("record outcome", r"recordEach|OutboxStore\.record\(|OutboxStore\.apply\(|GroupCommit"),
    ("holds, heartbeat, leases, checkpoint", r"refreshHolds|heartbeat|releaseExpiredLeases|extendLeases|checkpoint|Housekeeping|fileProblem"),
    ("request build + validation", r"PaywallRequestBuilder|BodySchema|PaywallRequestValidator"),
    ("answer classification", r"AnswerClassifier|PaywallAnswer|PhysicalError|OutcomeInterpreter"),
    ("logging", r"StructuredLogHandler|swift_log|Logging\.Logger|OutcomeLine"),
    ("HTTP client (AsyncHTTPClient, NIO)", r"HTTPClient|HTTP1|NIOPosix|SelectableEventLoop|ByteToMessage|HTTPDecoder|HTTPRequestEncoder|ChannelPipeline|ChannelHandlerContext|EventLoopFuture|PaywallAPIClient\.send|HTTPClientTransport"),
    ("change watcher thread (inotify)", r"ChangeWatcher"),
    ("dispatcher loop, task group", r"Dispatcher\.run|DispatchState|CircuitBreaker|CommandPlanner|withDiscardingTaskGroup|AsyncStream|EventMailbox"),
    ("command processor (other)", r"CommandProcessor"),
    ("GRDB, unattributed", r"SerializedDatabase|DatabasePool|DatabaseWriter|DatabaseQueue|GRDB"),
]
COMPILED = [(name, re.compile(pattern)) for name, pattern in BUCKETS]


def leaf_place(frame):
    if "[kernel.kallsyms]" in frame:
        return "kernel"
    if "libsqlite3" in frame:
        return "SQLite"
    if "libswiftCore" in frame or "libswift_Concurrency" in frame or "libswiftDispatch" in frame:
        return "Swift runtime"
    if "libc.so" in frame or "ld-linux" in frame:
        return "libc (malloc, locks)"
    if "libFoundation" in frame or "libFoundationEssentials" in frame or "ICU" in frame:
        return "Foundation"
    if "libdispatch" in frame:
        return "libdispatch"
    return "worker binary"


def main():
    counts = collections.Counter()
    places = collections.Counter()
    grid = collections.Counter()
    total = 0
    for block in sys.stdin.read().split("\n\n"):
        lines = [line.strip() for line in block.strip().split("\n") if line.strip()]
        if len(lines) < 2:
            continue
        frames = lines[1:]
        bucket = "other (runtime, threads, idle wake-ups)"
        for frame in frames:  # leaf first
            hit = next((name for name, rx in COMPILED if rx.search(frame)), None)
            if hit:
                bucket = hit
                break
        place = leaf_place(frames[0])
        counts[bucket] += 1
        places[place] += 1
        grid[(bucket, place)] += 1
        total += 1
    if not total:
        sys.exit("no samples on stdin (pipe `perf script` output in)")
    order = [p for p, _ in places.most_common()]
    print("%-40s %6s   " % ("bucket (innermost worker step)", "share") + " ".join("%9s" % p[:9] for p in order))
    for bucket, n in counts.most_common():
        row = " ".join("%8.1f%%" % (100 * grid[(bucket, p)] / total) for p in order)
        print("%-40s %5.1f%%   %s" % (bucket, 100 * n / total, row))
    print("%-40s %5.1f%%   %s" % ("all", 100.0, " ".join("%8.1f%%" % (100 * places[p] / total) for p in order)))
    print("\n%d samples; columns: where the sampled instruction was (leaf frame)" % total)


if __name__ == "__main__":
    main()
