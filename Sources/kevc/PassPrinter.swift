import Foundation
import KevcDriver

/// Prints the IR around passes to standard error, as `--print-ir-after-all`, `--print-ir-after=PASS` and
/// `--print-ir-before=PASS` ask. A pass is named as the pipeline reports it (`parse-spec`, `bind-shapes`,
/// `lower-to-loops`, `optimize-llvm`, ...) or, for a schedule transform, by the transform's name (`tile` matches
/// `tile(y.n, [64])`) or its whole text. The IR before a pass is the IR after the one before it.
final class PassPrinter {
  let all: Bool
  let after: Set<String>
  let before: Set<String>
  private var previous: String?
  private(set) var seen: [String] = []
  /// Every pass's output, for `KEVC_DUMP_DIR` (kept only when `record` is set).
  var record = false
  private(set) var transcript = ""

  init(all: Bool, after: Set<String>, before: Set<String>) {
    self.all = all
    self.after = after
    self.before = before
  }

  static func matches(_ filter: Set<String>, _ pass: String) -> Bool {
    let name = pass.split(separator: "(", maxSplits: 1).first.map(String.init) ?? pass
    return filter.contains(pass) || filter.contains(name)
  }

  var observer: PassObserver {
    { [self] pass, changed, text in
      seen.append(pass)
      if Self.matches(before, pass) {
        emit("// ----- IR before \(pass) -----\n\(previous ?? "(the input)")\n")
      }
      if all || Self.matches(after, pass) {
        let mark = changed ? "" : " (unchanged)"
        emit("// ----- IR after \(pass)\(mark) -----\n\(text)\n")
      }
      if record { transcript += "// ----- IR after \(pass)\(changed ? "" : " (unchanged)") -----\n\(text)\n" }
      previous = text
    }
  }

  private func emit(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

  /// Names given to --print-ir-after / --print-ir-before that no pass of this compile matched.
  var unmatched: [String] {
    (after.union(before)).filter { f in !seen.contains { Self.matches([f], $0) } }.sorted()
  }
}
