/// The strict JSON parser behind ``JSONValue/parse(_:maxDepth:)``. Works on UTF-8 bytes.
public struct JSONParser: Sendable {
    /// The default maximum nesting depth of arrays and objects.
    public static let defaultMaxDepth = 64

    /// One step of the path to the value being read.
    private enum Step: Sendable {
        case key(String)
        case index(Int)
    }

    private let bytes: [UInt8]
    private let maxDepth: Int
    private var index = 0
    /// Where the parser is, for errors: the keys and indices leading to the current value.
    private var steps: [Step] = []
    /// Whether the parser is reading a key (errors then name the object, not a value).
    private var readingKey = false

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard index == bytes.count else { throw fail(.trailingData) }
        return value
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private func fail(_ code: JSONParseError.Code, at offset: Int? = nil, key: String? = nil) -> JSONParseError {
        JSONParseError(code: code, offset: offset ?? index, path: renderedPath, key: key, inKey: readingKey)
    }

    /// The steps as a path: `Products[0].Name`.
    private var renderedPath: String {
        var path = ""
        for step in steps {
            switch step {
            case .key(let key): path = PathText.member(path, key)
            case .index(let position): path = PathText.element(path, position)
            }
        }
        return path
    }

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw fail(.unexpectedEnd) }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = index
            do {
                index = try scanNumber(from: start)
            } catch {
                throw fail(error.code, at: error.offset)
            }
            return .number(String(decoding: bytes[start..<index], as: UTF8.self))
        default:
            throw fail(.unexpectedCharacter)
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        for offset in 0..<count {
            guard index + offset < bytes.count else { throw fail(.unexpectedEnd, at: index + offset) }
            guard bytes[index + offset] == expected[offset] else {
                throw fail(.unexpectedCharacter, at: index + offset)
            }
        }
        index += count
    }

    /// Scans a number starting at `start`; returns the index just after it.
    func scanNumber(from start: Int) throws(JSONParseError) -> Int {
        var i = start
        func isDigit(_ i: Int) -> Bool {
            i < bytes.count && bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9")
        }
        if i < bytes.count && bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard isDigit(i) else {
            throw JSONParseError(code: i < bytes.count ? .invalidNumber : .unexpectedEnd, offset: i)
        }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if isDigit(i) { throw JSONParseError(code: .invalidNumber, offset: i) }
        } else {
            while isDigit(i) { i += 1 }
        }
        if i < bytes.count && bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard isDigit(i) else { throw JSONParseError(code: .invalidNumber, offset: i) }
            while isDigit(i) { i += 1 }
        }
        if i < bytes.count && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            i += 1
            if i < bytes.count && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) { i += 1 }
            guard isDigit(i) else { throw JSONParseError(code: .invalidNumber, offset: i) }
            while isDigit(i) { i += 1 }
        }
        return i
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maxDepth else { throw fail(.tooDeep) }
        index += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            steps.append(.index(elements.count))
            elements.append(try parseValue(depth: depth))
            steps.removeLast()
            skipWhitespace()
            guard index < bytes.count else { throw fail(.unexpectedEnd) }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return .array(elements)
            default: throw fail(.unexpectedCharacter)
            }
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maxDepth else { throw fail(.tooDeep) }
        index += 1  // {
        var members: [JSONValue.Member] = []
        // Duplicate keys: compared one by one while the object is small (every Paywall body),
        // through a set from the 17th member on.
        var seen: Set<String> = []
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw fail(.unexpectedEnd) }
            guard bytes[index] == UInt8(ascii: "\"") else { throw fail(.unexpectedCharacter) }
            let keyOffset = index
            readingKey = true
            let key = try parseString()
            readingKey = false
            if members.count < 16 {
                guard !members.contains(where: { $0.key == key }) else {
                    throw fail(.duplicateKey, at: keyOffset, key: key)
                }
            } else {
                if seen.isEmpty { seen = Set(members.map(\.key)) }
                guard seen.insert(key).inserted else { throw fail(.duplicateKey, at: keyOffset, key: key) }
            }
            skipWhitespace()
            guard index < bytes.count else { throw fail(.unexpectedEnd) }
            guard bytes[index] == UInt8(ascii: ":") else { throw fail(.unexpectedCharacter) }
            index += 1
            skipWhitespace()
            steps.append(.key(key))
            members.append(JSONValue.Member(key, try parseValue(depth: depth)))
            steps.removeLast()
            skipWhitespace()
            guard index < bytes.count else { throw fail(.unexpectedEnd) }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return .object(members)
            default: throw fail(.unexpectedCharacter)
            }
        }
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        index += 1  // opening quote
        // Most strings (every key, GUIDs, names) have no escape: one scan, one String made from
        // the slice. At a backslash the general loop below goes on from the bytes read so far.
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: bytes[start..<(index - 1)], as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            index += 1
        }
        var output = Array(bytes[start..<index])
        while true {
            guard index < bytes.count else { throw fail(.unexpectedEnd) }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: output, as: UTF8.self)
            case UInt8(ascii: "\\"):
                let escapeOffset = index
                index += 1
                guard index < bytes.count else { throw fail(.unexpectedEnd) }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "\""): output.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "/"): output.append(UInt8(ascii: "/"))
                case UInt8(ascii: "b"): output.append(0x08)
                case UInt8(ascii: "f"): output.append(0x0C)
                case UInt8(ascii: "n"): output.append(0x0A)
                case UInt8(ascii: "r"): output.append(0x0D)
                case UInt8(ascii: "t"): output.append(0x09)
                case UInt8(ascii: "u"):
                    let scalar = try parseUnicodeEscape(escapeOffset: escapeOffset)
                    output.append(contentsOf: Array(String(Character(scalar)).utf8))
                default:
                    throw fail(.invalidEscape, at: escapeOffset)
                }
            case 0x00..<0x20:
                throw fail(.controlCharacterInString)
            default:
                output.append(byte)
                index += 1
            }
        }
    }

    /// Reads the 4 hex digits after `\u` (index is on the first digit), and a low surrogate
    /// escape after a high one.
    private mutating func parseUnicodeEscape(escapeOffset: Int) throws(JSONParseError) -> Unicode.Scalar {
        let first = try readHex4(escapeOffset: escapeOffset)
        switch first {
        case 0xD800...0xDBFF:
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else {
                throw fail(.invalidUnicodeEscape, at: escapeOffset)
            }
            index += 2
            let second = try readHex4(escapeOffset: escapeOffset)
            guard (0xDC00...0xDFFF).contains(second) else { throw fail(.invalidUnicodeEscape, at: escapeOffset) }
            let value = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            guard let scalar = Unicode.Scalar(value) else { throw fail(.invalidUnicodeEscape, at: escapeOffset) }
            return scalar
        case 0xDC00...0xDFFF:
            throw fail(.invalidUnicodeEscape, at: escapeOffset)
        default:
            guard let scalar = Unicode.Scalar(first) else { throw fail(.invalidUnicodeEscape, at: escapeOffset) }
            return scalar
        }
    }

    private mutating func readHex4(escapeOffset: Int) throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count else { throw fail(.unexpectedEnd) }
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw fail(.invalidEscape, at: escapeOffset)
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}
