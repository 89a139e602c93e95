import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// With `outside --metrics`: reads the port a worker started with `--metrics-address
/// 127.0.0.1:0` logged, then GETs its `/metrics` once a second until cancelled: fifteen times as
/// often as Prometheus's usual 15 s, to err on the side of cost. The task's value is how many
/// scrapes answered 200.
enum MetricsScraper {
    static func start(worker: ChildProcess) -> Task<Int, Never> {
        Task {
            var port: Int?
            var scrapes = 0
            let pattern = try? Regex(#"metrics\.address=127\.0\.0\.1:([0-9]+)"#)
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                if Task.isCancelled { break }
                if port == nil, let pattern,
                    let text = try? String(contentsOfFile: worker.stderrPath, encoding: .utf8),
                    let match = text.firstMatch(of: pattern)
                {
                    port = Int(match.output[1].substring ?? "")
                }
                guard let port, let url = URL(string: "http://127.0.0.1:\(port)/metrics") else { continue }
                if let (_, response) = try? await URLSession.shared.data(from: url),
                    (response as? HTTPURLResponse)?.statusCode == 200
                {
                    scrapes += 1
                }
            }
            return scrapes
        }
    }
}
