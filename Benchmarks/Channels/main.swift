// `make bench-channels`: our BoundedChannel beside AsyncStream and a buffered Go channel,
// measured alternately in one run; prints one JSON object per case and peer.
//
// Usage: ChannelsBenchmark [--go PATH] [--count N] [--rounds R]
@preconcurrency import Glibc

setvbuf(stdout, nil, _IOLBF, 0)

let options = try BenchmarkOptions(arguments: Array(CommandLine.arguments.dropFirst()))
let capacity = 1024
var samples = Samples()

// Alternating within each round spreads any drift in machine load over every contender.
for round in 1...options.rounds {
    for producers in [1, 4] {
        let key = "\(producers)p1c"
        if let go = options.go {
            samples.add("go/\(key)", try go.run(count: options.count, capacity: capacity, producers: producers))
        }
        samples.add("ours/\(key)", await channelSingle(count: options.count, capacity: capacity, producers: producers))
        samples.add("stream/\(key)", await asyncStream(count: options.count, capacity: capacity, producers: producers))
    }
    samples.add("ours/batch", await channelBatch(count: options.count, capacity: capacity, producers: 1))
    fputs("channels benchmark: round \(round) of \(options.rounds) done\n", stderr)
}

// The batch API is held against the peers' single-element rate, one producer.
let cases = [
    ("1p1c_cap\(capacity)", "ours/1p1c", "1p1c"),
    ("4p1c_cap\(capacity)", "ours/4p1c", "4p1c"),
    ("batch_1p1c_cap\(capacity)", "ours/batch", "1p1c"),
]
for (name, ours, peerKey) in cases {
    if options.go != nil {
        print(samples.line(case: name, ours: ours, peer: "go-chan", peerKey: "go/\(peerKey)"))
    }
    print(samples.line(case: name, ours: ours, peer: "asyncstream", peerKey: "stream/\(peerKey)"))
}
