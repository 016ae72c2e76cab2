// Small RAII wrappers over the SQLite C API: a connection (Db) and a prepared
// statement (Stmt), plus a transaction guard that rolls back unless
// committed. Every failure becomes an Error whose message names the database
// file, what was being done, and SQLite's own message. Values reach SQL only
// through bound parameters (sqlite3_bind_*); the only SQL text built at run
// time is the schema DDL from fixed, validated column names (store/schema.cc).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/result.h"

namespace tarmac::sqlite {

class Db {
 public:
  Db() = default;
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  Db(Db&& other) noexcept;
  Db& operator=(Db&& other) noexcept;

  // Opens `path` (read-write, created if missing, or read-only). The returned
  // Db is open even when the file is not yet known to be a database; the
  // first statement finds that out.
  static Result<Db> Open(const std::string& path, bool read_only);

  sqlite3* get() const { return db_; }
  const std::string& path() const { return path_; }

  // "<path>: <what>: <sqlite message>" for the connection's last error.
  Error Fail(std::string_view what) const;
  // Runs SQL text without parameters (DDL, PRAGMA, BEGIN/COMMIT).
  Result<void> Exec(const std::string& sql, std::string_view what);
  // Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t Changes() const;
  // SQLite's extended result code of the last failure (SQLITE_CONSTRAINT_PRIMARYKEY...).
  int ExtendedErrcode() const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

// A prepared statement. Bind indexes are 1-based, as in SQLite.
class Stmt {
 public:
  Stmt() = default;
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& other) noexcept;
  Stmt& operator=(Stmt&& other) noexcept;

  // `what` describes the statement in error messages ("inserting the results row").
  static Result<Stmt> Prepare(const Db& db, const std::string& sql, std::string what);

  Result<void> BindText(int index, std::string_view value);
  Result<void> BindInt(int index, int64_t value);
  // NaN and infinities bind as NULL (SQLite would store NaN as NULL anyway,
  // and infinities are no metric value).
  Result<void> BindReal(int index, double value);
  Result<void> BindBlob(int index, std::span<const uint8_t> value);
  Result<void> BindNull(int index);
  Result<void> BindOptionalInt(int index, const std::optional<int64_t>& value);
  Result<void> BindOptionalReal(int index, const std::optional<double>& value);
  Result<void> BindOptionalText(int index, const std::optional<std::string>& value);

  // Steps once: true when a row is ready, false when done.
  Result<bool> Step();
  // Steps a statement that returns no rows.
  Result<void> Run();
  // Resets for another execution with new bindings.
  void Reset();

  // Column access on the current row (0-based, as in SQLite).
  int ColumnCount() const;
  std::string ColumnName(int col) const;
  bool IsNull(int col) const;
  int64_t Int(int col) const;
  double Real(int col) const;
  std::string Text(int col) const;
  std::vector<uint8_t> Blob(int col) const;
  std::optional<int64_t> OptionalInt(int col) const;
  std::optional<double> OptionalReal(int col) const;
  std::optional<std::string> OptionalText(int col) const;

 private:
  Result<void> Check(int rc, std::string_view action);
  sqlite3_stmt* stmt_ = nullptr;
  const Db* db_ = nullptr;
  std::string what_;
};

// BEGIN IMMEDIATE on construction (Begin), ROLLBACK on destruction unless
// Commit() succeeded.
class Transaction {
 public:
  static Result<Transaction> Begin(Db* db, std::string_view what);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;

  Result<void> Commit();

 private:
  explicit Transaction(Db* db, std::string what) : db_(db), what_(std::move(what)) {}
  Db* db_ = nullptr;
  std::string what_;
};

}  // namespace tarmac::sqlite
