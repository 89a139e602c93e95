import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PaywallClient

/// Conversions between Hummingbird's types and the simulator's.
enum HTTPBridge {
    /// The maximum request body the simulator reads.
    static let maxBody = 1 << 20

    static func response(_ answer: SimulatedAnswer) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        for (name, value) in answer.headers.sorted(by: { $0.key < $1.key }) {
            if let fieldName = HTTPField.Name(name) { headers[fieldName] = value }
        }
        return Response(
            status: HTTPResponse.Status(code: answer.status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body.serializedBytes())))
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(
            status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: Array(data))))
    }

    static func error(_ message: String, status: HTTPResponse.Status = .badRequest) -> Response {
        json(["error": message], status: status)
    }

    static func headers(_ fields: HTTPFields) -> PaywallHeaders {
        PaywallHeaders(fields.map { ($0.name.rawName, $0.value) })
    }

    static func body(_ request: inout Request) async throws -> [UInt8] {
        let buffer = try await request.collectBody(upTo: maxBody)
        return Array(buffer.readableBytesView)
    }

    /// Decodes an admin body; an empty body decodes as `{}`.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        let data = bytes.isEmpty ? Data("{}".utf8) : Data(bytes)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw SimulatorError(code: .badAdminRequest, message: "could not read the JSON body: \(error)")
        }
    }
}

/// Thrown after a connection was closed on purpose, so Hummingbird writes nothing.
struct ConnectionDropped: Error {}
