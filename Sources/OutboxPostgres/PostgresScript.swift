/// Splits a migration file into its statements, for a driver that sends one statement per query
/// (postgres-nio speaks only the extended protocol). A `;` ends a statement unless it is inside a
/// single-quoted string (`''` escapes a quote), a double-quoted name, a dollar-quoted body
/// (`$$ ... $$`, `$tag$ ... $tag$`: functions, DO blocks), a `--` comment or a `/* */` comment.
/// Empty statements (only whitespace and comments) are dropped. `E'...'` strings with backslash
/// escapes are not supported (the schema files have none; a test checks the split of each).
enum PostgresScript {
    static func statements(_ sql: String) -> [String] {
        let chars = Array(sql.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var substantive = false
        var i = 0
        func take(_ n: Int) {
            for k in 0..<n where i + k < chars.count { current.append(chars[i + k]) }
            i += n
        }
        func starts(_ text: String, at index: Int) -> Bool {
            let t = Array(text.unicodeScalars)
            guard index + t.count <= chars.count else { return false }
            return Array(chars[index..<(index + t.count)]) == t
        }
        while i < chars.count {
            let c = chars[i]
            if starts("--", at: i) {
                while i < chars.count && chars[i] != "\n" { take(1) }
            } else if starts("/*", at: i) {
                take(2)
                while i < chars.count && !starts("*/", at: i) { take(1) }
                take(2)
            } else if c == "'" || c == "\"" {
                substantive = true
                take(1)
                while i < chars.count {
                    if chars[i] == c {
                        if i + 1 < chars.count && chars[i + 1] == c { take(2); continue }
                        take(1)
                        break
                    }
                    take(1)
                }
            } else if c == "$", let tag = dollarTag(chars, at: i) {
                substantive = true
                take(tag.count)
                while i < chars.count && !starts(tag, at: i) { take(1) }
                take(tag.count)
            } else if c == ";" {
                if substantive { statements.append(String(current).trimmingWhitespace()) }
                current = String.UnicodeScalarView()
                substantive = false
                i += 1
            } else {
                if !c.properties.isWhitespace { substantive = true }
                take(1)
            }
        }
        if substantive { statements.append(String(current).trimmingWhitespace()) }
        return statements
    }

    /// `$$` or `$tag$` starting at `index` (a tag: letters, digits, underscores, not first a digit).
    private static func dollarTag(_ chars: [Unicode.Scalar], at index: Int) -> String? {
        var j = index + 1
        while j < chars.count, chars[j] == "_" || chars[j].properties.isAlphabetic || ("0"..."9").contains(chars[j]) {
            if j == index + 1 && ("0"..."9").contains(chars[j]) { return nil }
            j += 1
        }
        guard j < chars.count, chars[j] == "$" else { return nil }
        return String(String.UnicodeScalarView(chars[index...j]))
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        let scalars = Array(unicodeScalars)
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}
