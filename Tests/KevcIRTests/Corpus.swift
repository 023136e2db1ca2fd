import Foundation
import KevcBasic
import KevcIR

/// The `ir/` corpus, found from this file's path.
enum Corpus {
  static let repository = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// The `.kir` files of `ir/<folder>`, sorted by name.
  static func files(_ folder: String) -> [URL] {
    let dir = repository.appendingPathComponent("ir").appendingPathComponent(folder)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.filter { $0.hasSuffix(".kir") }.sorted().map { dir.appendingPathComponent($0) }
  }

  static func source(_ url: URL) throws -> SourceFile {
    let text = try String(contentsOf: url, encoding: .utf8)
    return SourceFile(path: "ir/" + url.deletingLastPathComponent().lastPathComponent + "/" + url.lastPathComponent, text: text)
  }
}
