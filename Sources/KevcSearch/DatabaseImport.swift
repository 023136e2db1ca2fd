/// `kevc db import FILE.json`: the inverse of `kevc db export`. The export's rows are loaded, ids and all, into a
/// fresh scratch database of this schema, which is then merged into the destination (`merge`: rows matched by
/// their natural keys), so importing the same export twice adds nothing. The agent's tables are not imported.
import Foundation

extension TuningDatabase {
  /// Imports an export's text; returns what `merge` added.
  public func importJSON(_ text: String) throws -> (candidates: Int, evaluations: Int) {
    guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)),
      let root = object as? [String: Any]
    else { throw TuningDatabaseError("the file is not a kevc database export (JSON object expected)") }
    guard (root["application_id"] as? NSNumber)?.intValue == Self.applicationID else {
      throw TuningDatabaseError("the file is not a kevc database export (no kevc application_id)")
    }
    let version = (root["schema_version"] as? NSNumber)?.intValue ?? 0
    guard version >= 1, version <= Self.schemaVersion else {
      throw TuningDatabaseError("the export has schema version \(version); this kevc reads 1 to \(Self.schemaVersion)")
    }
    let folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("kevc-import-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let scratch = try TuningDatabase(path: folder.appendingPathComponent("import.db").path, create: true)
    try scratch.connection.transaction {
      for table in Self.tables + ["confirmations"] {
        guard let rows = root[table] as? [[String: Any]] else { continue }
        for row in rows {
          let columns = row.keys.sorted()
          guard columns.allSatisfy({ $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } }) else {
            throw TuningDatabaseError("table \(table): a column name is not an identifier")
          }
          let values = try columns.map { column throws -> SQLValue in
            guard let value = Self.sqlValue(row[column]) else {
              throw TuningDatabaseError("table \(table), column \(column): not a number, string or null")
            }
            return value
          }
          let placeholders = (1...max(1, columns.count)).map { "?\($0)" }.joined(separator: ", ")
          do {
            try scratch.connection.query(
              "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders))", values)
          } catch {
            throw TuningDatabaseError("table \(table): \(error)")
          }
        }
      }
    }
    return try merge(scratch)
  }

  /// A JSON value as SQLite stores it; integral numbers as integers (column affinity restores REAL columns).
  static func sqlValue(_ value: Any?) -> SQLValue? {
    switch value {
    case nil, is NSNull: return .null
    case let s as String: return .text(s)
    case let n as NSNumber:
      let d = n.doubleValue
      if d == d.rounded(), abs(d) < 9.0e15 { return .int(n.int64Value) }
      return .double(d)
    default: return nil
    }
  }
}
