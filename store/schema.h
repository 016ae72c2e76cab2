// The results database schema (docs/results-db.md): its version, the DDL, and
// the checks and migrations run when a database is opened.
//
// Version 2. The results table has one REAL column per metric, named as
// MetricColumns() names them; a database written before a metric existed gets
// the missing columns with ALTER TABLE on its next read-write open (older rows
// read NULL there). Version 2 added the merged_from table (the shard runs a
// merged run came from); a version-1 database gains it on its next read-write
// open. A database of a newer version is refused.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "scenarios/result.h"
#include "store/sqlite_util.h"

namespace tarmac {

inline constexpr int kResultsSchemaVersion = 2;

// The metric columns of the results table, in order: the names MetricColumns()
// gives a default ScenarioMetrics. Checked to be plain identifiers
// ([a-z_][a-z0-9_]*) that do not collide with the fixed columns.
const std::vector<std::string>& MetricColumnNames();

// The columns of `results` that are not metrics (run_id, scenario_id, ...).
bool IsFixedResultColumn(std::string_view name);

// Read-write: creates the schema in an empty database, or checks the version
// of an existing one and adds missing metric columns, in one transaction.
Result<void> CreateOrMigrateSchema(sqlite::Db* db);

// Read-only: checks that the database is a tarmac results database of a
// version this build can read.
Result<void> CheckSchema(const sqlite::Db& db);

// The columns of `table`, in table order.
Result<std::vector<std::string>> TableColumns(const sqlite::Db& db, const std::string& table);

}  // namespace tarmac
