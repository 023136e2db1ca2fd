/// LLM providers of the agent: OpenAI-compatible chat completions (OpenAI, vLLM, SGLang, Ollama's `/v1`,
/// llama.cpp's `llama-server`), with the reply's shape as a `response_format` JSON schema, and Anthropic Messages,
/// with the same schema as the input of a forced tool. The schema is generated from the trace parser's transform
/// catalogue (`TraceText.catalogue`), so the CLI, the search and the agent speak one language. The API key comes
/// from an environment variable and only ever travels in a request header: never in a cassette, the database or a log.
import Foundation
import KevcIR
import KevcTransforms

public enum ProviderKind: String, Sendable, CaseIterable {
  case openai, anthropic
}

public struct AgentEndpoint: Sendable {
  public var provider: ProviderKind
  public var model: String
  /// The base URL: `https://api.openai.com/v1` (chat completions at `/chat/completions`) or
  /// `https://api.anthropic.com` (messages at `/v1/messages`; a base ending in `/v1` takes `/messages`).
  public var baseURL: String
  /// The API key, read from the environment; nil when the variable is unset (local servers need none).
  public var apiKey: String?
  public var maxReplyTokens = 4096
  public var temperature: Double? = nil

  public init(provider: ProviderKind, model: String, baseURL: String?, apiKey: String?) {
    self.provider = provider
    self.model = model
    self.baseURL = baseURL ?? Self.defaultURL(provider)
    self.apiKey = apiKey
  }

  public static func defaultURL(_ p: ProviderKind) -> String {
    switch p {
    case .openai: return "https://api.openai.com/v1"
    case .anthropic: return "https://api.anthropic.com"
    }
  }

  /// The environment variable the key is read from unless `--agent-key-env` names another.
  public static func defaultKeyVariable(_ p: ProviderKind) -> String {
    switch p {
    case .openai: return "OPENAI_API_KEY"
    case .anthropic: return "ANTHROPIC_API_KEY"
    }
  }

  public var url: String {
    var base = baseURL
    while base.hasSuffix("/") { base.removeLast() }
    switch provider {
    case .openai: return base + "/chat/completions"
    case .anthropic: return base + (base.hasSuffix("/v1") ? "/messages" : "/v1/messages")
    }
  }
}

/// A prompt: the system part (rules, catalogue, reply format) and the user part (this candidate).
public struct Prompt: Sendable, Hashable {
  public var system: String
  public var user: String
  public init(system: String, user: String) {
    self.system = system
    self.user = user
  }
}

/// What a provider's reply holds once parsed: the text or structured answer, and the usage.
public struct ProviderReply: Sendable {
  public var answer: String
  public var tokensIn: Int?
  public var tokensOut: Int?
  public var cachedTokens: Int?
}

public enum ProviderProtocol {
  public static let toolName = "propose_traces"

  /// The request body (no credentials) as canonical JSON bytes (sorted keys): what is hashed for cassettes.
  public static func body(_ endpoint: AgentEndpoint, _ prompt: Prompt) -> Data {
    var body: [String: Any] = ["model": endpoint.model, "max_tokens": endpoint.maxReplyTokens]
    if let t = endpoint.temperature { body["temperature"] = t }
    switch endpoint.provider {
    case .openai:
      body["messages"] = [["role": "system", "content": prompt.system], ["role": "user", "content": prompt.user]]
      body["response_format"] = [
        "type": "json_schema",
        "json_schema": ["name": "kevc_proposals", "schema": ReplySchema.schema, "strict": false],
      ]
    case .anthropic:
      body["system"] = prompt.system
      body["messages"] = [["role": "user", "content": prompt.user]]
      body["tools"] = [
        [
          "name": toolName, "description": "Propose traces of kevc schedule transforms for the kernel.",
          "input_schema": ReplySchema.schema,
        ]
      ]
      body["tool_choice"] = ["type": "tool", "name": toolName]
    }
    return (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
  }

  /// The request with its headers; the key only here.
  public static func request(_ endpoint: AgentEndpoint, body: Data) -> HTTPRequest {
    var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
    switch endpoint.provider {
    case .openai:
      if let key = endpoint.apiKey, !key.isEmpty { headers.append(("Authorization", "Bearer \(key)")) }
    case .anthropic:
      headers.append(("anthropic-version", "2023-06-01"))
      if let key = endpoint.apiKey, !key.isEmpty { headers.append(("x-api-key", key)) }
    }
    return HTTPRequest(url: endpoint.url, headers: headers, body: body)
  }

  /// Why a failed reply must not be retried: Anthropic's spend limit (a 429 that waiting does not cure).
  public static func neverRetry(_ endpoint: AgentEndpoint, _ response: HTTPResponse) -> String? {
    guard response.status == 429 else { return nil }
    let text = String(decoding: response.body.prefix(4000), as: UTF8.self).lowercased()
    if endpoint.provider == .anthropic,
      text.contains("spend limit") || text.contains("credit balance") || text.contains("usage limit")
    {
      return "spend limit reached"
    }
    return nil
  }

  /// Reads a provider's reply: the answer (a JSON object as text, or free text for the fallback parser) and usage.
  public static func parse(_ endpoint: AgentEndpoint, _ data: Data) -> Result<ProviderReply, AgentFailure> {
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      return .failure(AgentFailure("the provider's reply is not a JSON object"))
    }
    if let error = object["error"], !(error is NSNull) {
      return .failure(AgentFailure("the provider reported an error: \(String(describing: error).prefix(300))"))
    }
    switch endpoint.provider {
    case .openai:
      guard let choices = object["choices"] as? [[String: Any]], let message = choices.first?["message"] as? [String: Any]
      else { return .failure(AgentFailure("the reply has no choices[0].message")) }
      var answer = message["content"] as? String ?? ""
      if answer.isEmpty, let calls = message["tool_calls"] as? [[String: Any]],
        let f = calls.first?["function"] as? [String: Any], let args = f["arguments"] as? String
      {
        answer = args
      }
      if answer.isEmpty, let refusal = message["refusal"] as? String {
        return .failure(AgentFailure("the model refused: \(refusal.prefix(300))"))
      }
      let usage = object["usage"] as? [String: Any]
      let details = usage?["prompt_tokens_details"] as? [String: Any]
      return .success(
        ProviderReply(
          answer: answer, tokensIn: usage?["prompt_tokens"] as? Int, tokensOut: usage?["completion_tokens"] as? Int,
          cachedTokens: details?["cached_tokens"] as? Int))
    case .anthropic:
      guard let content = object["content"] as? [[String: Any]] else {
        return .failure(AgentFailure("the reply has no content"))
      }
      var answer = ""
      if let tool = content.first(where: { $0["type"] as? String == "tool_use" }), let input = tool["input"],
        let json = try? JSONSerialization.data(withJSONObject: input, options: [.sortedKeys])
      {
        answer = String(decoding: json, as: UTF8.self)
      } else {
        answer = content.compactMap { $0["text"] as? String }.joined(separator: "\n")
      }
      let usage = object["usage"] as? [String: Any]
      let cached = (usage?["cache_read_input_tokens"] as? Int)
      return .success(
        ProviderReply(
          answer: answer, tokensIn: usage?["input_tokens"] as? Int, tokensOut: usage?["output_tokens"] as? Int,
          cachedTokens: cached))
    }
  }
}

/// A reason an agent call produced nothing; recorded, fed back, never fatal.
public struct AgentFailure: Error, Sendable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// The reply's JSON schema: `{"rationale": ..., "proposals": [{"rationale": ..., "steps": [STEP, ...]}]}`, each STEP
/// one transform of the catalogue as `{"transform": "split", "tensor": "c", "loop": "m", "factor": 8}`.
public enum ReplySchema {
  public static let scopes = MemoryScope.allCases.map(\.rawValue)
  public static let dimensions = GPUDimension.allCases.map(\.rawValue)

  static func parameterSchema(_ p: TransformSignature.Parameter) -> [String: Any] {
    switch p {
    case .name: return ["type": "string"]
    case .integer: return ["type": "integer"]
    case .names: return ["type": "array", "items": ["type": "string"]]
    case .integers: return ["type": "array", "items": ["type": "integer"]]
    case .scope: return ["type": "string", "enum": scopes]
    case .gpuDimension: return ["type": "string", "enum": dimensions]
    case .precision: return ["type": "string", "enum": DotPrecision.allCases.map(\.rawValue)]
    }
  }

  public static var stepSchema: [String: Any] {
    [
      "anyOf": TraceText.catalogue.map { t -> [String: Any] in
        var properties: [String: Any] = ["transform": ["type": "string", "const": t.name, "description": t.summary]]
        for p in t.parameters { properties[p.key] = parameterSchema(p) }
        return [
          "type": "object", "properties": properties, "required": ["transform"] + t.parameters.map(\.key),
          "additionalProperties": false,
        ]
      }
    ]
  }

  public static var schema: [String: Any] {
    [
      "type": "object",
      "properties": [
        "rationale": ["type": "string", "description": "what you read in the measurements and why these rewrites"],
        "proposals": [
          "type": "array",
          "items": [
            "type": "object",
            "properties": [
              "rationale": ["type": "string"],
              "steps": ["type": "array", "items": stepSchema, "description": "a complete trace, applied to the bound IR"],
            ],
            "required": ["steps"],
          ],
        ],
      ],
      "required": ["proposals"],
    ]
  }

  /// The schema as pretty JSON (docs, `kevc agent schema`).
  public static var text: String {
    (try? JSONSerialization.data(withJSONObject: schema, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]))
      .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
  }
}
