#include "store/sqlite_util.h"

#include <cmath>
#include <limits>
#include <utility>

namespace tarmac::sqlite {

// ---------------------------------------------------------------- Db

Db::~Db() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Db::Db(Db&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

Db& Db::operator=(Db&& other) noexcept {
  if (this != &other) {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

Result<Db> Db::Open(const std::string& path, bool read_only) {
  Db db;
  db.path_ = path;
  const int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  const int rc = sqlite3_open_v2(path.c_str(), &db.db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db.db_ != nullptr ? sqlite3_errmsg(db.db_) : sqlite3_errstr(rc);
    return Error{path + ": cannot open the results database" +
                 (read_only ? " read-only" : "") + ": " + message};
  }
  sqlite3_extended_result_codes(db.db_, 1);
  return db;
}

Error Db::Fail(std::string_view what) const {
  const char* message = db_ != nullptr ? sqlite3_errmsg(db_) : "not open";
  return Error{path_ + ": " + std::string(what) + ": " + message};
}

Result<void> Db::Exec(const std::string& sql, std::string_view what) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string text = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    return Error{path_ + ": " + std::string(what) + ": " + text};
  }
  return {};
}

int64_t Db::Changes() const { return sqlite3_changes64(db_); }

int Db::ExtendedErrcode() const { return sqlite3_extended_errcode(db_); }

// ---------------------------------------------------------------- Stmt

Stmt::~Stmt() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

Stmt::Stmt(Stmt&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), db_(other.db_), what_(std::move(other.what_)) {}

Stmt& Stmt::operator=(Stmt&& other) noexcept {
  if (this != &other) {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = other.db_;
    what_ = std::move(other.what_);
  }
  return *this;
}

Result<Stmt> Stmt::Prepare(const Db& db, const std::string& sql, std::string what) {
  Stmt s;
  s.db_ = &db;
  s.what_ = std::move(what);
  const int rc = sqlite3_prepare_v2(db.get(), sql.c_str(), static_cast<int>(sql.size() + 1),
                                    &s.stmt_, nullptr);
  if (rc != SQLITE_OK) return db.Fail(s.what_ + " (preparing)");
  return s;
}

Result<void> Stmt::Check(int rc, std::string_view action) {
  if (rc == SQLITE_OK) return {};
  return db_->Fail(what_ + " (" + std::string(action) + ")");
}

Result<void> Stmt::BindText(int index, std::string_view value) {
  if (value.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return Error{db_->path() + ": " + what_ + ": text too long"};
  }
  // SQLITE_TRANSIENT: SQLite copies the bytes (the caller's view may not outlive the step).
  return Check(sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                                 SQLITE_TRANSIENT),
               "binding text");
}

Result<void> Stmt::BindInt(int index, int64_t value) {
  return Check(sqlite3_bind_int64(stmt_, index, value), "binding an integer");
}

Result<void> Stmt::BindReal(int index, double value) {
  if (!std::isfinite(value)) return BindNull(index);
  return Check(sqlite3_bind_double(stmt_, index, value), "binding a real");
}

Result<void> Stmt::BindBlob(int index, std::span<const uint8_t> value) {
  if (value.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return Error{db_->path() + ": " + what_ + ": blob too large"};
  }
  // An empty blob with a null pointer would bind NULL: bind a zero-length blob instead.
  if (value.empty()) return Check(sqlite3_bind_zeroblob(stmt_, index, 0), "binding a blob");
  return Check(sqlite3_bind_blob(stmt_, index, value.data(), static_cast<int>(value.size()),
                                 SQLITE_TRANSIENT),
               "binding a blob");
}

Result<void> Stmt::BindNull(int index) {
  return Check(sqlite3_bind_null(stmt_, index), "binding NULL");
}

Result<void> Stmt::BindOptionalInt(int index, const std::optional<int64_t>& value) {
  return value ? BindInt(index, *value) : BindNull(index);
}

Result<void> Stmt::BindOptionalReal(int index, const std::optional<double>& value) {
  return value ? BindReal(index, *value) : BindNull(index);
}

Result<void> Stmt::BindOptionalText(int index, const std::optional<std::string>& value) {
  return value ? BindText(index, *value) : BindNull(index);
}

Result<bool> Stmt::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Fail(what_);
}

Result<void> Stmt::Run() {
  Result<bool> row = Step();
  if (!row) return row.error();
  return {};
}

void Stmt::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int Stmt::ColumnCount() const { return sqlite3_column_count(stmt_); }

std::string Stmt::ColumnName(int col) const {
  const char* name = sqlite3_column_name(stmt_, col);
  return name != nullptr ? name : "";
}

bool Stmt::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

int64_t Stmt::Int(int col) const { return sqlite3_column_int64(stmt_, col); }

double Stmt::Real(int col) const { return sqlite3_column_double(stmt_, col); }

std::string Stmt::Text(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_, col);
  const int n = sqlite3_column_bytes(stmt_, col);
  if (text == nullptr || n <= 0) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(n));
}

std::vector<uint8_t> Stmt::Blob(int col) const {
  const void* data = sqlite3_column_blob(stmt_, col);
  const int n = sqlite3_column_bytes(stmt_, col);
  if (data == nullptr || n <= 0) return {};
  const auto* bytes = static_cast<const uint8_t*>(data);
  return std::vector<uint8_t>(bytes, bytes + n);
}

std::optional<int64_t> Stmt::OptionalInt(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Int(col);
}

std::optional<double> Stmt::OptionalReal(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Real(col);
}

std::optional<std::string> Stmt::OptionalText(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Text(col);
}

// ---------------------------------------------------------------- Transaction

Result<Transaction> Transaction::Begin(Db* db, std::string_view what) {
  // IMMEDIATE takes the write lock now (waiting up to the busy timeout), so a
  // transaction never fails halfway for want of the lock.
  if (Result<void> r = db->Exec("BEGIN IMMEDIATE", std::string(what) + " (starting a transaction)"); !r) {
    return r.error();
  }
  return Transaction(db, std::string(what));
}

Transaction::Transaction(Transaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), what_(std::move(other.what_)) {}

Transaction::~Transaction() {
  if (db_ != nullptr) {
    // Nothing to report on failure: a failed ROLLBACK means SQLite already rolled back.
    static_cast<void>(db_->Exec("ROLLBACK", what_));
  }
}

Result<void> Transaction::Commit() {
  TARMAC_CHECK(db_ != nullptr);
  Result<void> r = db_->Exec("COMMIT", what_ + " (committing)");
  if (r) db_ = nullptr;  // committed: nothing to roll back
  return r;
}

}  // namespace tarmac::sqlite
