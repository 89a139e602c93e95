/// "Did you mean ...?" for an unknown key: the known key closest to it.
enum KeySuggestion {
    /// The known key within two edits (insert, delete, replace, swap two neighbours; letter case
    /// ignored) of `key`, the closest first; `nil` when none is that close or `key` is too short
    /// for a guess to mean anything.
    static func closest(to key: String, among known: [String]) -> String? {
        let typed = Array(key.lowercased())
        guard typed.count >= 3, typed.count <= 64 else { return nil }
        var best: (name: String, distance: Int)?
        for name in known {
            let candidate = Array(name.lowercased())
            guard abs(candidate.count - typed.count) <= 2 else { continue }
            let distance = editDistance(typed, candidate)
            if distance <= 2, distance < (best?.distance ?? .max) { best = (name, distance) }
        }
        return best?.name
    }

    /// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, previous2[j - 2] + 1)
                }
                current[j] = value
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
