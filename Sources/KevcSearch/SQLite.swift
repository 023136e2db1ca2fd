/// A small SQLite connection over the C API: prepared statements, typed binding and reading, transactions.
/// Errors become `SQLiteError` with SQLite's own message; nothing here traps on what a file contains.
import CSQLite
import Foundation

public struct SQLiteError: Error, CustomStringConvertible, Sendable {
  public var code: Int32
  public var message: String
  public var description: String { message }
}

/// SQLite's "copy this buffer now" destructor (the C macro SQLITE_TRANSIENT is not imported into Swift).
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A value bound to or read from a statement.
public enum SQLValue: Hashable, Sendable {
  case null
  case int(Int64)
  case double(Double)
  case text(String)

  public var int: Int? { if case .int(let v) = self { return Int(v) } else { return nil } }
  public var double: Double? {
    switch self {
    case .double(let v): return v
    case .int(let v): return Double(v)
    case .null, .text: return nil
    }
  }
  public var text: String? { if case .text(let v) = self { return v } else { return nil } }
}

extension SQLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByNilLiteral {
  public init(stringLiteral value: String) { self = .text(value) }
  public init(integerLiteral value: Int) { self = .int(Int64(value)) }
  public init(nilLiteral: ()) { self = .null }
  public init(_ v: Int?) { self = v.map { .int(Int64($0)) } ?? .null }
  public init(_ v: Double?) { self = v.map { $0.isFinite ? .double($0) : .null } ?? .null }
  public init(_ v: String?) { self = v.map { .text($0) } ?? .null }
}

/// One row of a query result, by column name.
public struct SQLRow: Sendable {
  public var values: [String: SQLValue]
  public subscript(_ column: String) -> SQLValue { values[column] ?? .null }
}

/// An open database file. Not thread-safe: one connection per thread.
public final class SQLiteConnection {
  private var db: OpaquePointer?
  public let path: String

  /// Opens `path`; `readOnly` never writes (no journal files are created); `immutable` also promises SQLite that
  /// nobody changes the file meanwhile, which lets it read a WAL database in a folder it cannot write.
  public init(path: String, readOnly: Bool = false, immutable: Bool = false) throws(SQLiteError) {
    self.path = path
    var flags = readOnly || immutable ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
    var name = path
    if immutable {
      flags |= SQLITE_OPEN_URI
      let allowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#%"))
      name = "file:" + (path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path) + "?immutable=1"
    }
    let rc = sqlite3_open_v2(name, &db, flags | SQLITE_OPEN_NOMUTEX, nil)
    if rc != SQLITE_OK {
      let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
      sqlite3_close(db)
      db = nil
      throw SQLiteError(code: rc, message: message)
    }
    sqlite3_busy_timeout(db, Int32(Self.busyTimeout * 1000))
  }

  /// How long a statement waits for another connection's lock before failing with SQLITE_BUSY.
  public static let busyTimeout = 10.0

  /// Runs `sql`, retrying while another connection holds a lock that SQLite does not wait for by itself (changing
  /// the journal mode), up to `busyTimeout`.
  public func execWaiting(_ sql: String) throws(SQLiteError) {
    let deadline = Date().addingTimeInterval(Self.busyTimeout)
    while true {
      do {
        try exec(sql)
        return
      } catch {
        guard error.code == SQLITE_BUSY || error.code == SQLITE_LOCKED, Date() < deadline else { throw error }
        usleep(20_000)
      }
    }
  }

  deinit { sqlite3_close(db) }

  func error(_ rc: Int32) -> SQLiteError {
    SQLiteError(code: rc, message: db.map { String(cString: sqlite3_errmsg($0)) } ?? "error \(rc)")
  }

  /// Runs one or more statements without results.
  public func exec(_ sql: String) throws(SQLiteError) {
    var message: UnsafeMutablePointer<CChar>?
    let rc = sqlite3_exec(db, sql, nil, nil, &message)
    if rc != SQLITE_OK {
      let text = message.map { String(cString: $0) } ?? "error \(rc)"
      sqlite3_free(message)
      throw SQLiteError(code: rc, message: text)
    }
  }

  /// Runs a statement with parameters `?1, ?2, ...` and returns all rows.
  @discardableResult
  public func query(_ sql: String, _ arguments: [SQLValue] = []) throws(SQLiteError) -> [SQLRow] {
    var statement: OpaquePointer?
    var rc = sqlite3_prepare_v2(db, sql, -1, &statement, nil)
    guard rc == SQLITE_OK, let statement else { throw error(rc) }
    defer { sqlite3_finalize(statement) }
    for (i, a) in arguments.enumerated() {
      let index = Int32(i + 1)
      switch a {
      case .null: rc = sqlite3_bind_null(statement, index)
      case .int(let v): rc = sqlite3_bind_int64(statement, index, v)
      case .double(let v): rc = sqlite3_bind_double(statement, index, v)
      case .text(let v): rc = sqlite3_bind_text(statement, index, v, -1, transient)
      }
      guard rc == SQLITE_OK else { throw error(rc) }
    }
    var rows: [SQLRow] = []
    while true {
      rc = sqlite3_step(statement)
      if rc == SQLITE_DONE { break }
      guard rc == SQLITE_ROW else { throw error(rc) }
      var values: [String: SQLValue] = [:]
      for c in 0..<sqlite3_column_count(statement) {
        let name = sqlite3_column_name(statement, c).map { String(cString: $0) } ?? "\(c)"
        switch sqlite3_column_type(statement, c) {
        case SQLITE_INTEGER: values[name] = .int(sqlite3_column_int64(statement, c))
        case SQLITE_FLOAT: values[name] = .double(sqlite3_column_double(statement, c))
        case SQLITE_TEXT, SQLITE_BLOB:
          if let p = sqlite3_column_text(statement, c) {
            values[name] = .text(String(cString: p))
          } else {
            values[name] = .null
          }
        default: values[name] = .null
        }
      }
      rows.append(SQLRow(values: values))
    }
    return rows
  }

  /// The rowid of the last INSERT.
  public var lastInsertID: Int { Int(sqlite3_last_insert_rowid(db)) }

  /// Runs `body` in one transaction (IMMEDIATE, so the write lock is taken up front); rolls back on error.
  public func transaction<T>(_ body: () throws -> T) throws -> T {
    try exec("BEGIN IMMEDIATE")
    do {
      let value = try body()
      try exec("COMMIT")
      return value
    } catch {
      try? exec("ROLLBACK")
      throw error
    }
  }

  /// A single integer from the first column of the first row.
  public func scalar(_ sql: String, _ arguments: [SQLValue] = []) throws(SQLiteError) -> Int? {
    guard let row = try query(sql, arguments).first else { return nil }
    return row.values.values.first?.int
  }
}
