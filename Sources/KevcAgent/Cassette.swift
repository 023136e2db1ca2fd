/// Record and replay of the agent's exchanges: a cassette is a JSON-lines file, one exchange a line, keyed by a
/// canonical request hash (provider and the request body with sorted keys; never a header, so never a key).
/// Recording appends each successful exchange; replay answers from the file only (no network): the exchange with
/// the same hash, else the next unused one in recorded order (a replayed search measures other times, so its
/// prompts differ), else a failure.
import Foundation
import KevcSearch

public final class Cassette: @unchecked Sendable {
  public struct Exchange: Codable, Sendable {
    public var hash: String
    public var provider: String
    public var request: String
    public var status: Int
    public var response: String
  }

  public let path: String
  let lock = NSLock()
  var exchanges: [Exchange] = []
  var used: Set<Int> = []

  /// Opens a cassette; a missing file is an empty cassette, a line that is not an exchange is skipped.
  public init(path: String) {
    self.path = path
    if let data = FileManager.default.contents(atPath: path) {
      for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
        if let e = try? JSONDecoder().decode(Exchange.self, from: Data(line.utf8)) { exchanges.append(e) }
      }
    }
  }

  public var count: Int {
    lock.lock()
    defer { lock.unlock() }
    return exchanges.count
  }

  public static func hash(provider: ProviderKind, body: Data) -> String {
    StructuralHash.of(provider.rawValue + "\n" + String(decoding: body, as: UTF8.self))
  }

  /// The recorded reply to this request.
  public func replay(hash: String) -> HTTPResponse? {
    lock.lock()
    defer { lock.unlock() }
    let index =
      exchanges.indices.first { !used.contains($0) && exchanges[$0].hash == hash }
      ?? exchanges.indices.first { !used.contains($0) }
    guard let i = index else { return nil }
    used.insert(i)
    return HTTPResponse(status: exchanges[i].status, body: Data(exchanges[i].response.utf8))
  }

  public func record(hash: String, provider: ProviderKind, request: Data, response: HTTPResponse) {
    let e = Exchange(
      hash: hash, provider: provider.rawValue, request: String(decoding: request, as: UTF8.self),
      status: response.status, response: String(decoding: response.body, as: UTF8.self))
    lock.lock()
    defer { lock.unlock() }
    exchanges.append(e)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard var line = try? encoder.encode(e) else { return }
    line.append(0x0A)
    if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
    if let handle = FileHandle(forWritingAtPath: path) {
      handle.seekToEndOfFile()
      handle.write(line)
      try? handle.close()
    }
  }
}
