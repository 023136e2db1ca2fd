/// Reads a model's answer as untrusted data: the structured reply (`ReplySchema`), else the first JSON block in the
/// text (prose around it, a ```json fence), else trace text (lines such as `split(c, m, 8)`). Everything is capped:
/// reply bytes, proposals per reply, steps per proposal; each step is rebuilt as one line of trace syntax from the
/// catalogue and parsed by the trace parser, one step at a time, so no string can smuggle in a second step. What
/// does not make a trace is a rejection with a reason, never an error.
import Foundation
import KevcBasic
import KevcTransforms

public struct ReplyLimits: Sendable {
  public var maxBytes = 64 << 10
  public var maxProposals = 8
  public var maxSteps = 32
  public init() {}
}

public struct ParsedReply: Sendable {
  public var rationale: String = ""
  /// Proposals that parse: trace text (one step a line) and the model's reason for it.
  public var proposals: [(trace: String, rationale: String)] = []
  /// What was thrown away, and why.
  public var rejected: [(text: String, reason: String)] = []
  /// How the answer was read: "json", "json block", "trace text".
  public var form: String = "json"
}

public enum ReplyParser {
  public static func parse(_ answer: String, limits: ReplyLimits = ReplyLimits()) -> ParsedReply {
    var reply = ParsedReply()
    if answer.utf8.count > limits.maxBytes {
      reply.rejected.append(("(\(answer.utf8.count) bytes)", "reply larger than \(limits.maxBytes) bytes"))
      return reply
    }
    if let object = jsonObject(answer) {
      reply.form = "json"
      read(object, into: &reply, limits: limits)
      return reply
    }
    if let block = firstJSONBlock(answer), let object = jsonObject(block) {
      reply.form = "json block"
      read(object, into: &reply, limits: limits)
      return reply
    }
    // Trace text: lines that start like a catalogue transform.
    let names = Set(TraceText.catalogue.map(\.name))
    let lines = answer.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
      .map { $0.hasPrefix("- ") ? String($0.dropFirst(2)) : $0 }
      .filter { line in names.contains(String(line.prefix(while: { $0.isLetter || $0 == "_" }))) && line.contains("(") }
    reply.form = "trace text"
    guard !lines.isEmpty else {
      reply.rejected.append((String(answer.prefix(200)), "no JSON reply and no trace text in the answer"))
      return reply
    }
    guard lines.count <= limits.maxSteps else {
      reply.rejected.append((String(answer.prefix(200)), "more than \(limits.maxSteps) steps"))
      return reply
    }
    var steps: [String] = []
    for line in lines {
      switch checkedLine(line) {
      case .success(let s): steps.append(s)
      case .failure(let why):
        reply.rejected.append((line, why.message))
        return reply
      }
    }
    reply.proposals.append((steps.joined(separator: "\n") + "\n", ""))
    return reply
  }

  static func jsonObject(_ text: String) -> [String: Any]? {
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard trimmed.hasPrefix("{"), let data = trimmed.data(using: .utf8) else { return nil }
    return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
  }

  /// The first balanced `{...}` in the text (strings and escapes respected), preferring a ```json fence.
  public static func firstJSONBlock(_ text: String) -> String? {
    var search = Substring(text)
    if let fence = text.range(of: "```json") { search = text[fence.upperBound...] }
    let chars = Array(search)
    guard let start = chars.firstIndex(of: "{") else { return nil }
    var depth = 0
    var inString = false
    var escaped = false
    for i in start..<chars.count {
      let c = chars[i]
      if inString {
        if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
        continue
      }
      switch c {
      case "\"": inString = true
      case "{": depth += 1
      case "}":
        depth -= 1
        if depth == 0 { return String(chars[start...i]) }
      default: break
      }
    }
    return nil
  }

  static func read(_ object: [String: Any], into reply: inout ParsedReply, limits: ReplyLimits) {
    reply.rationale = String((object["rationale"] as? String ?? "").prefix(2000))
    // A bare trace ({"steps": [...]}) is one proposal.
    let list: [Any]
    if let proposals = object["proposals"] as? [Any] {
      list = proposals
    } else if object["steps"] != nil {
      list = [object]
    } else {
      reply.rejected.append((String(describing: object).prefix(200).description, "the reply has no 'proposals' list"))
      return
    }
    for (i, item) in list.enumerated() {
      guard i < limits.maxProposals else {
        reply.rejected.append(("proposal \(i + 1) and later", "more than \(limits.maxProposals) proposals in one reply"))
        break
      }
      guard let p = item as? [String: Any], let steps = p["steps"] as? [Any] else {
        reply.rejected.append((String(describing: item).prefix(200).description, "a proposal needs a 'steps' list"))
        continue
      }
      guard steps.count <= limits.maxSteps else {
        reply.rejected.append(("proposal \(i + 1)", "more than \(limits.maxSteps) steps"))
        continue
      }
      var lines: [String] = []
      var failure: String?
      for step in steps {
        let line: Result<String, AgentFailure>
        if let s = step as? String {
          line = checkedLine(s)
        } else if let o = step as? [String: Any] {
          line = traceLine(o)
        } else {
          line = .failure(AgentFailure("a step must be an object or a line of trace text"))
        }
        switch line {
        case .success(let l): lines.append(l)
        case .failure(let why): failure = why.message
        }
        if failure != nil { break }
      }
      let text = lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")
      if let failure {
        reply.rejected.append((text.isEmpty ? "proposal \(i + 1)" : text, failure))
      } else {
        reply.proposals.append((text, String((p["rationale"] as? String ?? "").prefix(1000))))
      }
    }
  }

  /// A step object rebuilt as one line of trace syntax, checked by the trace parser.
  public static func traceLine(_ o: [String: Any]) -> Result<String, AgentFailure> {
    guard let name = (o["transform"] ?? o["op"] ?? o["name"]) as? String else {
      return .failure(AgentFailure("a step needs a 'transform' name"))
    }
    guard let signature = TraceText.catalogue.first(where: { $0.name == name }) else {
      return .failure(
        AgentFailure(
          "unknown transform '\(name.prefix(40))'; known: \(TraceText.catalogue.map(\.name).joined(separator: ", "))"))
    }
    var args: [String] = []
    for p in signature.parameters {
      guard let value = o[p.key] else { return .failure(AgentFailure("'\(name)' needs '\(p.key)': \(signature.usage)")) }
      switch p {
      case .name, .scope, .gpuDimension, .precision:
        guard let s = value as? String, isWord(s) else {
          return .failure(AgentFailure("'\(p.key)' of '\(name)' must be a name (letters, digits, '_', '.')"))
        }
        args.append(s)
      case .integer:
        guard let v = integer(value) else { return .failure(AgentFailure("'\(p.key)' of '\(name)' must be an integer")) }
        args.append(String(v))
      case .names:
        guard let xs = value as? [Any], xs.count <= 16, let words = xs as? [String], words.allSatisfy(isWord) else {
          return .failure(AgentFailure("'\(p.key)' of '\(name)' must be a list of names"))
        }
        args.append("[" + words.joined(separator: ", ") + "]")
      case .integers:
        guard let xs = value as? [Any], xs.count <= 16 else {
          return .failure(AgentFailure("'\(p.key)' of '\(name)' must be a list of integers"))
        }
        let ints = xs.compactMap(integer)
        guard ints.count == xs.count else {
          return .failure(AgentFailure("'\(p.key)' of '\(name)' must be a list of integers"))
        }
        args.append("[" + ints.map(String.init).joined(separator: ", ") + "]")
      }
    }
    return checkedLine("\(name)(" + args.joined(separator: ", ") + ")")
  }

  /// One line of trace text, parsed alone by the trace parser (a newline or a second step inside it fails).
  public static func checkedLine(_ raw: String) -> Result<String, AgentFailure> {
    let line = raw.trimmingCharacters(in: .whitespaces)
    guard line.count <= 400, !line.contains(where: { $0.isNewline || $0 == "#" }) else {
      return .failure(AgentFailure("a step must be one line of at most 400 characters"))
    }
    do {
      let step = try TraceText.parseOne(line, at: SourceLocation(file: "<agent>", line: 1, column: 1))
      return .success(TraceText.print(step))
    } catch {
      return .failure(AgentFailure("does not parse: " + error.diagnostics.map(\.message).joined(separator: "; ")))
    }
  }

  static func isWord(_ s: String) -> Bool {
    !s.isEmpty && s.count <= 64 && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ".") }
  }

  static func integer(_ v: Any) -> Int? {
    if let i = v as? Int { return abs(i) <= 1 << 20 ? i : nil }
    if let d = v as? Double, d.isFinite, d == d.rounded(), abs(d) <= Double(1 << 20) { return Int(d) }
    return nil
  }
}
