/// A small HTTP client over libcurl (the CCurl target, the only code that touches it) for the LLM agent: one POST
/// with connect and total timeouts, retried with exponential backoff and jitter on 408, 409, 429, 5xx and timeouts,
/// honouring `retry-after-ms` / `retry-after` up to a cap (longer: no retry); a reply that says not to retry
/// (`x-should-retry: false`, an Anthropic spend limit) is never retried. Every failure is a reason, never a crash.
import CCurl
import Foundation

public struct HTTPRequest: Sendable {
  public var url: String
  /// Header lines; those named in `secretHeaders` never appear in a cassette, a log or the database.
  public var headers: [(name: String, value: String)]
  public var body: Data

  public init(url: String, headers: [(name: String, value: String)], body: Data) {
    self.url = url
    self.headers = headers
    self.body = body
  }

  public static let secretHeaders: Set<String> = ["authorization", "x-api-key", "api-key", "cookie"]
}

public struct HTTPResponse: Sendable {
  public var status: Int
  /// Lower-cased names.
  public var headers: [String: String]
  public var body: Data
  public var truncated: Bool

  public init(status: Int, headers: [String: String] = [:], body: Data, truncated: Bool = false) {
    self.status = status
    self.headers = headers
    self.body = body
    self.truncated = truncated
  }
}

public struct RetryPolicy: Sendable {
  public var attempts = 4
  /// Delay before the first retry; doubled each time, up to `maxDelay`, minus up to 25% jitter.
  public var baseDelay = 1.0
  public var maxDelay = 30.0
  /// A server asking for a longer wait than this is not retried.
  public var maxRetryAfter = 120.0
  public var connectTimeout = 10.0
  public var totalTimeout = 120.0
  /// Reply bytes kept; the rest is dropped and the reply marked truncated.
  public var maxReplyBytes = 1 << 20
  public init() {}
}

/// What one `post` came to: a response (any status, after retries) or a failure reason, and what each attempt did.
public struct HTTPOutcome: Sendable {
  public var response: HTTPResponse?
  public var failure: String?
  public var attempts: [String]
  public var seconds: Double
}

public struct HTTPClient: Sendable {
  public var policy: RetryPolicy
  /// Waits between attempts (tests pass a short one through the policy's delays instead).
  public var sleep: @Sendable (Double) -> Void = { s in if s > 0 { usleep(UInt32(min(s, 4000) * 1e6)) } }

  public init(policy: RetryPolicy) {
    self.policy = policy
    _ = kevc_curl_global_init_once
  }

  /// Sends the request once; a transport failure is a reason.
  public func send(_ request: HTTPRequest) -> (HTTPResponse?, String?, Double) {
    let lines = request.headers.map { "\($0.name): \($0.value)" }
    var result = kevc_curl_result()
    let cLines = lines.map { strdup($0) }
    defer { cLines.forEach { free($0) } }
    let pointers: [UnsafePointer<CChar>?] = cLines.map { $0.map { UnsafePointer($0) } }
    let body = request.body + Data([0])
    body.withUnsafeBytes { raw in
      let bodyPointer = raw.bindMemory(to: CChar.self).baseAddress
      pointers.withUnsafeBufferPointer { headerPointer in
        kevc_curl_post(
          request.url, headerPointer.baseAddress, Int32(lines.count), bodyPointer, request.body.count,
          Int(policy.connectTimeout * 1000), Int(policy.totalTimeout * 1000), policy.maxReplyBytes, &result)
      }
    }
    defer { kevc_curl_result_free(&result) }
    let seconds = result.seconds
    guard result.curl_code == 0 else {
      let message = withUnsafePointer(to: &result.error) { p in
        p.withMemoryRebound(to: CChar.self, capacity: Int(CURL_ERROR_SIZE)) { String(cString: $0) }
      }
      let kind =
        kevc_curl_is_timeout(result.curl_code) != 0
        ? "timeout" : kevc_curl_is_connect_failure(result.curl_code) != 0 ? "cannot connect" : "transport error"
      return (nil, "\(kind): \(message)", seconds)
    }
    let bodyData = result.body.data.map { Data(bytes: $0, count: result.body.size) } ?? Data()
    let headerText = result.headers.data.map { String(decoding: Data(bytes: $0, count: result.headers.size), as: UTF8.self) } ?? ""
    var headers: [String: String] = [:]
    for line in headerText.split(whereSeparator: \.isNewline) {
      guard let colon = line.firstIndex(of: ":") else { continue }
      let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
      headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return (
      HTTPResponse(status: Int(result.status), headers: headers, body: bodyData, truncated: result.body.truncated != 0),
      nil, seconds
    )
  }

  /// Sends with retries. `neverRetry` looks at a failed response and says why it must not be retried (a spend limit).
  public func post(_ request: HTTPRequest, neverRetry: (HTTPResponse) -> String? = { _ in nil }) -> HTTPOutcome {
    var attempts: [String] = []
    var total = 0.0
    var generator = SystemRandomNumberGenerator()
    for attempt in 0..<max(1, policy.attempts) {
      let (response, failure, seconds) = send(request)
      total += seconds
      var retryable = false
      var why = ""
      var wait: Double?
      if let response {
        if (200..<300).contains(response.status) {
          attempts.append("HTTP \(response.status)")
          return HTTPOutcome(response: response, failure: nil, attempts: attempts, seconds: total)
        }
        why = "HTTP \(response.status)" + Self.errorExcerpt(response.body)
        if let never = neverRetry(response) ?? (response.headers["x-should-retry"] == "false" ? "the server says not to retry" : nil) {
          attempts.append(why)
          return HTTPOutcome(response: response, failure: "\(why) (not retried: \(never))", attempts: attempts, seconds: total)
        }
        retryable = [408, 409, 429].contains(response.status) || (500..<600).contains(response.status)
        wait = Self.retryAfter(response.headers)
        if let w = wait, w > policy.maxRetryAfter {
          attempts.append(why)
          return HTTPOutcome(
            response: response,
            failure: "\(why) (not retried: the server asks to wait \(Int(w)) s, more than \(Int(policy.maxRetryAfter)) s)",
            attempts: attempts, seconds: total)
        }
      } else {
        why = failure ?? "no response"
        retryable = why.hasPrefix("timeout")
      }
      attempts.append(why)
      guard retryable, attempt + 1 < max(1, policy.attempts) else {
        return HTTPOutcome(response: response, failure: why, attempts: attempts, seconds: total)
      }
      let backoff = min(policy.maxDelay, policy.baseDelay * pow(2, Double(attempt)))
      let delay = wait ?? backoff * (1 - 0.25 * Double.random(in: 0..<1, using: &generator))
      sleep(delay)
      total += delay
    }
    return HTTPOutcome(response: nil, failure: "no attempt", attempts: attempts, seconds: total)
  }

  /// Seconds a reply asks to wait: `retry-after-ms`, else `retry-after` (seconds or an HTTP date).
  public static func retryAfter(_ headers: [String: String]) -> Double? {
    if let ms = headers["retry-after-ms"].flatMap(Double.init), ms >= 0 { return ms / 1000 }
    guard let value = headers["retry-after"] else { return nil }
    if let s = Double(value), s >= 0 { return s }
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
    return formatter.date(from: value).map { max(0, $0.timeIntervalSinceNow) }
  }

  static func errorExcerpt(_ body: Data) -> String {
    let text = String(decoding: body.prefix(300), as: UTF8.self)
      .replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
    return text.isEmpty ? "" : ": " + text
  }
}

/// curl_global_init once per process, before any thread uses libcurl.
private let kevc_curl_global_init_once: Void = kevc_curl_global_init()
