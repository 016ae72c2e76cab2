#include "store/schema.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string_view>

#include "metrics/scenario_metrics.h"

namespace tarmac {
namespace {

// Columns of the results table that are not metrics.
constexpr std::string_view kFixedResultColumns[] = {
    "run_id", "scenario_id", "scenario_file", "status", "error", "score",
    "state_hash", "steps", "sim_seconds", "wall_ms"};

bool PlainIdentifier(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  if (!(name[0] == '_' || (name[0] >= 'a' && name[0] <= 'z'))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

std::vector<std::string> BuildMetricColumnNames() {
  std::vector<std::string> names;
  std::set<std::string> seen(std::begin(kFixedResultColumns), std::end(kFixedResultColumns));
  for (const auto& [name, value] : MetricColumns(ScenarioMetrics{})) {
    // Column names are spliced into DDL (identifiers cannot be bound), so they
    // must be plain identifiers; they come from code, never from input.
    TARMAC_CHECK(PlainIdentifier(name));
    TARMAC_CHECK(seen.insert(name).second);
    names.push_back(name);
  }
  return names;
}

std::string CreateResultsSql() {
  std::string sql =
      "CREATE TABLE results (\n"
      "  run_id INTEGER NOT NULL REFERENCES runs(id),\n"
      "  scenario_id TEXT NOT NULL,\n"
      "  scenario_file TEXT NOT NULL,\n"
      "  status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),\n"
      "  error TEXT NOT NULL DEFAULT '',\n"
      "  score REAL,\n";
  for (const std::string& name : MetricColumnNames()) sql += "  \"" + name + "\" REAL,\n";
  sql +=
      "  state_hash TEXT CHECK (state_hash IS NULL OR length(state_hash) = 16),\n"
      "  steps INTEGER,\n"
      "  sim_seconds REAL,\n"
      "  wall_ms REAL,\n"
      "  PRIMARY KEY (run_id, scenario_id)\n"
      ")";
  return sql;
}

constexpr const char* kCreateSchemaVersion = "CREATE TABLE schema_version (version INTEGER NOT NULL)";

constexpr const char* kCreateRuns =
    "CREATE TABLE runs (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  name TEXT NOT NULL,\n"
    "  planner TEXT NOT NULL,\n"
    "  agents TEXT NOT NULL,\n"
    "  checkpoint_sha256 TEXT NOT NULL DEFAULT '',\n"
    "  config_json TEXT NOT NULL,\n"
    "  suite_sha256 TEXT NOT NULL,\n"
    "  git_rev TEXT NOT NULL,\n"
    "  seed INTEGER NOT NULL,\n"
    "  shard TEXT NOT NULL,\n"
    "  num_scenarios INTEGER NOT NULL,\n"
    "  started_at TEXT NOT NULL,\n"
    "  finished_at TEXT\n"
    ")";

constexpr const char* kCreateEvents =
    "CREATE TABLE events (\n"
    "  run_id INTEGER NOT NULL,\n"
    "  scenario_id TEXT NOT NULL,\n"
    "  step INTEGER NOT NULL,\n"
    "  kind TEXT NOT NULL CHECK (kind <> ''),\n"
    "  agent_id TEXT NOT NULL DEFAULT '',\n"
    "  agent_type TEXT NOT NULL DEFAULT '',\n"
    "  detail TEXT NOT NULL DEFAULT '',\n"
    "  value REAL,\n"
    "  FOREIGN KEY (run_id, scenario_id) REFERENCES results (run_id, scenario_id)\n"
    ")";

constexpr const char* kCreateEventsIndex =
    "CREATE INDEX events_by_scenario ON events (run_id, scenario_id)";

constexpr const char* kCreateTraces =
    "CREATE TABLE traces (\n"
    "  run_id INTEGER NOT NULL,\n"
    "  scenario_id TEXT NOT NULL,\n"
    "  dt REAL NOT NULL,\n"
    "  start_step INTEGER NOT NULL,\n"
    "  num_steps INTEGER NOT NULL,\n"
    "  agent_meta TEXT NOT NULL,\n"
    "  ego BLOB NOT NULL,\n"
    "  agents BLOB NOT NULL,\n"
    "  plans BLOB NOT NULL,\n"
    "  PRIMARY KEY (run_id, scenario_id),\n"
    "  FOREIGN KEY (run_id, scenario_id) REFERENCES results (run_id, scenario_id)\n"
    ")";

// Version 2: where a merged run (tarmac merge) came from, one row per source
// shard run. `fingerprint` identifies the source run's content (its runs row
// and every scenario's id, status and state hash), so merging the same shards
// again is recognised wherever their files were copied to.
constexpr const char* kCreateMergedFrom =
    "CREATE TABLE merged_from (\n"
    "  run_id INTEGER NOT NULL REFERENCES runs(id),\n"
    "  shard TEXT NOT NULL,\n"
    "  source_db TEXT NOT NULL,\n"
    "  source_run_id INTEGER NOT NULL,\n"
    "  num_scenarios INTEGER NOT NULL,\n"
    "  started_at TEXT NOT NULL,\n"
    "  finished_at TEXT NOT NULL,\n"
    "  fingerprint TEXT NOT NULL CHECK (length(fingerprint) = 64),\n"
    "  PRIMARY KEY (run_id, shard)\n"
    ")";

// Whether `name` is a table of the database.
Result<bool> HasTable(const sqlite::Db& db, const std::string& name) {
  Result<sqlite::Stmt> stmt = sqlite::Stmt::Prepare(
      db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
      "reading the table list");
  if (!stmt) return stmt.error();
  if (Result<void> r = stmt->BindText(1, name); !r) return r.error();
  Result<bool> row = stmt->Step();
  if (!row) return row.error();
  return *row && stmt->Int(0) > 0;
}

Result<int64_t> CountUserTables(const sqlite::Db& db) {
  Result<sqlite::Stmt> stmt = sqlite::Stmt::Prepare(
      db,
      "SELECT count(*) FROM sqlite_master "
      "WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
      "reading the table list");
  if (!stmt) return stmt.error();
  Result<bool> row = stmt->Step();
  if (!row) return row.error();
  return *row ? stmt->Int(0) : 0;
}

// The schema version, or nullopt when there is no schema_version table.
Result<std::optional<int64_t>> ReadVersion(const sqlite::Db& db) {
  Result<bool> has = HasTable(db, "schema_version");
  if (!has) return has.error();
  if (!*has) return std::optional<int64_t>();
  Result<sqlite::Stmt> stmt =
      sqlite::Stmt::Prepare(db, "SELECT version FROM schema_version", "reading the schema version");
  if (!stmt) return stmt.error();
  std::vector<int64_t> versions;
  while (true) {
    Result<bool> row = stmt->Step();
    if (!row) return row.error();
    if (!*row) break;
    versions.push_back(stmt->Int(0));
  }
  if (versions.size() != 1) {
    return Error{db.path() + ": the schema_version table has " + std::to_string(versions.size()) +
                 " rows, expected exactly 1"};
  }
  return std::optional<int64_t>(versions[0]);
}

Result<void> CheckVersion(const sqlite::Db& db, int64_t version) {
  if (version > kResultsSchemaVersion) {
    return Error{db.path() + ": results database schema version " + std::to_string(version) +
                 " is newer than this tarmac supports (version " +
                 std::to_string(kResultsSchemaVersion) + "); open it with a newer tarmac"};
  }
  if (version < 1) {
    return Error{db.path() + ": invalid results database schema version " + std::to_string(version)};
  }
  return {};
}

Result<void> CreateSchema(sqlite::Db* db) {
  for (const std::string& sql :
       {std::string(kCreateSchemaVersion), std::string(kCreateRuns), CreateResultsSql(),
        std::string(kCreateEvents), std::string(kCreateEventsIndex), std::string(kCreateTraces),
        std::string(kCreateMergedFrom)}) {
    if (Result<void> r = db->Exec(sql, "creating the schema"); !r) return r;
  }
  Result<sqlite::Stmt> insert = sqlite::Stmt::Prepare(
      *db, "INSERT INTO schema_version (version) VALUES (?)", "writing the schema version");
  if (!insert) return insert.error();
  if (Result<void> r = insert->BindInt(1, kResultsSchemaVersion); !r) return r;
  return insert->Run();
}

// Today's metrics in a database of this version: adds the metric columns an
// older build did not have.
Result<void> AddMissingMetricColumns(sqlite::Db* db) {
  Result<std::vector<std::string>> columns = TableColumns(*db, "results");
  if (!columns) return columns.error();
  if (columns->empty()) return Error{db->path() + ": the results table is missing"};
  const std::set<std::string> have(columns->begin(), columns->end());
  for (const std::string& name : MetricColumnNames()) {
    if (have.count(name) != 0) continue;
    const std::string sql = "ALTER TABLE results ADD COLUMN \"" + name + "\" REAL";
    if (Result<void> r = db->Exec(sql, "adding metric column " + name); !r) return r;
  }
  return {};
}

// Version 1 -> 2: adds the merged_from table.
Result<void> MigrateToVersion2(sqlite::Db* db) {
  if (Result<void> r = db->Exec(kCreateMergedFrom, "migrating to schema version 2 (merged_from)"); !r) return r;
  return db->Exec("UPDATE schema_version SET version = 2", "migrating to schema version 2");
}

}  // namespace

bool IsFixedResultColumn(std::string_view name) {
  return std::find(std::begin(kFixedResultColumns), std::end(kFixedResultColumns), name) !=
         std::end(kFixedResultColumns);
}

const std::vector<std::string>& MetricColumnNames() {
  static const std::vector<std::string> names = BuildMetricColumnNames();
  return names;
}

Result<std::vector<std::string>> TableColumns(const sqlite::Db& db, const std::string& table) {
  Result<sqlite::Stmt> stmt = sqlite::Stmt::Prepare(
      db, "SELECT name FROM pragma_table_info(?) ORDER BY cid", "reading the columns of " + table);
  if (!stmt) return stmt.error();
  if (Result<void> r = stmt->BindText(1, table); !r) return r.error();
  std::vector<std::string> names;
  while (true) {
    Result<bool> row = stmt->Step();
    if (!row) return row.error();
    if (!*row) break;
    names.push_back(stmt->Text(0));
  }
  return names;
}

Result<void> CreateOrMigrateSchema(sqlite::Db* db) {
  // One IMMEDIATE transaction: two processes creating the same new database
  // at once serialise here, and the second sees the first one's schema.
  Result<sqlite::Transaction> tx = sqlite::Transaction::Begin(db, "creating or checking the schema");
  if (!tx) return tx.error();
  Result<std::optional<int64_t>> version = ReadVersion(*db);
  if (!version) return version.error();
  if (!*version) {
    Result<int64_t> tables = CountUserTables(*db);
    if (!tables) return tables.error();
    if (*tables > 0) {
      return Error{db->path() +
                   ": not a tarmac results database (it has tables but no schema_version table)"};
    }
    if (Result<void> r = CreateSchema(db); !r) return r;
  } else {
    if (Result<void> r = CheckVersion(*db, **version); !r) return r;
    if (**version < 2) {
      if (Result<void> r = MigrateToVersion2(db); !r) return r;
    }
    if (Result<void> r = AddMissingMetricColumns(db); !r) return r;
  }
  return tx->Commit();
}

Result<void> CheckSchema(const sqlite::Db& db) {
  Result<std::optional<int64_t>> version = ReadVersion(db);
  if (!version) return version.error();
  if (!*version) {
    return Error{db.path() + ": not a tarmac results database (no schema_version table)"};
  }
  return CheckVersion(db, **version);
}

}  // namespace tarmac
