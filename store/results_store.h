// ResultsStore: the SQLite results database of evaluation runs
// (docs/results-db.md has every table and column, with units).
//
// Contract:
//  - Open creates the database (or checks and migrates an existing one) in
//    WAL mode with a busy timeout, so other processes can read it while a run
//    writes; it refuses a database of a newer schema version.
//  - A run is a row of `runs`; each finished scenario is one WriteResult:
//    its results row, events and trace in one transaction (all or nothing).
//    A second WriteResult for the same (run, scenario) fails and leaves the
//    first untouched, so --resume can never duplicate a row.
//  - WriteMergedRun writes a whole run (tarmac merge) in one transaction and
//    records its sources in merged_from.
//  - Values reach SQL only as bound parameters. NaN metrics are stored NULL.
//  - Every error names the database file, what failed and SQLite's message.
//  - The store only records; it never feeds back into a simulation.
//  - One ResultsStore is one connection; its methods are safe to call from
//    several threads (they serialise on an internal mutex). For parallel
//    readers open one store each.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/events.h"
#include "scenarios/result.h"
#include "store/encoded_trace.h"
#include "store/sqlite_util.h"

namespace tarmac {

// One row of `runs`: an evaluation run (one shard of it).
struct RunInfo {
  int64_t id = 0;                 // assigned by CreateRun; ignored on input
  std::string name;
  std::string planner;            // e.g. "pdm"
  std::string agents;             // e.g. "idm"
  std::string checkpoint_sha256;  // of a learned planner's weights; empty for none
  std::string config_json;        // the full run configuration
  std::string suite_sha256;       // identifies the scenario set
  std::string git_rev;            // tarmac's source revision
  int64_t seed = 0;
  std::string shard = "1/1";      // "K/N": this is shard K of N
  int64_t num_scenarios = 0;      // planned scenarios of this shard
  std::string started_at;         // ISO 8601 UTC, e.g. "2025-03-01T12:00:00Z"
  std::optional<std::string> finished_at;  // unset until FinishRun

  bool operator==(const RunInfo&) const = default;
};

enum class ScenarioStatus { kOk, kFailed };
const char* ScenarioStatusName(ScenarioStatus status);  // "ok", "failed"

// What WriteResult stores for one scenario of a run.
struct ScenarioRecord {
  std::string scenario_id;
  std::string scenario_file;
  ScenarioStatus status = ScenarioStatus::kOk;
  std::string error;                     // why it failed; empty when ok
  std::optional<double> score;           // CLS [0, 1]; NaN or unset -> NULL
  // Metric name -> value, names as MetricColumns() gives them (any order, any
  // subset; missing ones are NULL). NaN -> NULL. Ignored (all NULL) when failed.
  std::vector<std::pair<std::string, double>> metrics;
  std::optional<uint64_t> state_hash;    // stored as 16 lowercase hex digits
  std::optional<int64_t> steps;          // simulated steps
  std::optional<double> sim_seconds;     // simulated time [s]
  std::optional<double> wall_ms;         // wall-clock time of the rollout [ms]
  std::vector<MetricEvent> events;       // each needs a non-empty kind
  std::optional<EncodedTrace> trace;     // store/trace_codec.h; unset: no trace row
};

// One row of `results`, every column.
struct ResultRow {
  int64_t run_id = 0;
  std::string scenario_id;
  std::string scenario_file;
  ScenarioStatus status = ScenarioStatus::kOk;
  std::string error;
  std::optional<double> score;
  // Every metric column of the table, in table order; NULL -> nullopt.
  std::vector<std::pair<std::string, std::optional<double>>> metrics;
  std::optional<std::string> state_hash;
  std::optional<int64_t> steps;
  std::optional<double> sim_seconds;  // [s]
  std::optional<double> wall_ms;      // [ms]

  // A metric by name; nullopt when NULL or not a column.
  std::optional<double> Metric(std::string_view name) const;
};

// One row of `merged_from`: a shard run that a merged run was made of.
struct MergeSource {
  std::string shard;          // "K/N" of the source run
  std::string source_db;      // the shard database, as given to tarmac merge
  int64_t source_run_id = 0;  // the run in it
  int64_t num_scenarios = 0;  // results taken from it
  std::string started_at;     // the source run's, ISO 8601 UTC
  std::string finished_at;    // the source run's, ISO 8601 UTC
  std::string fingerprint;    // SHA-256 (hex) of the source run's content (tools/merge_command.cc)

  bool operator==(const MergeSource&) const = default;
};

// Gives the records of a run one at a time; nullopt when there are no more.
using RecordFeed = std::function<Result<std::optional<ScenarioRecord>>()>;

class ResultsStore {
 public:
  // Opens or creates the database at `path`. Read-write: WAL mode, busy
  // timeout, creates or migrates the schema. Read-only: the file must exist
  // and be a results database this build can read. Refuses a newer schema
  // version with an error naming the file and both versions.
  static Result<std::unique_ptr<ResultsStore>> Open(const std::filesystem::path& path,
                                                    bool read_only = false);

  // Waits up to this long for another connection's write lock [ms].
  static constexpr int kBusyTimeoutMs = 30000;

  const std::string& path() const { return db_.path(); }
  bool read_only() const { return read_only_; }

  Result<int64_t> CreateRun(const RunInfo& run);  // returns the run id
  Result<RunInfo> GetRun(int64_t run_id);
  Result<std::vector<RunInfo>> ListRuns();        // by id
  Result<void> FinishRun(int64_t run_id, const std::string& finished_at);

  // One transaction: the results row, its events and its trace.
  Result<void> WriteResult(int64_t run_id, const ScenarioRecord& record);
  // Scenario ids that already have a row (ok or failed), sorted: what
  // --resume skips.
  Result<std::vector<std::string>> DoneScenarioIds(int64_t run_id);
  // Every results row of the run, in the order written.
  Result<std::vector<ResultRow>> Results(int64_t run_id);
  // One scenario's row, or nullopt if the run has none for it.
  Result<std::optional<ResultRow>> ResultOf(int64_t run_id, const std::string& scenario_id);
  // The events of one scenario, in the order written; NULL value -> NaN.
  Result<std::vector<MetricEvent>> Events(int64_t run_id, const std::string& scenario_id);
  // The trace of one scenario, or nullopt if none was stored.
  Result<std::optional<EncodedTrace>> Trace(int64_t run_id, const std::string& scenario_id);

  // A merged run in one transaction (all or nothing): its runs row as given
  // (finished_at included), every record `next` gives (as WriteResult would
  // write it; a scenario given twice fails the whole run), and one merged_from
  // row per source. Returns the new run's id.
  Result<int64_t> WriteMergedRun(const RunInfo& run, const std::vector<MergeSource>& sources,
                                 const RecordFeed& next);
  // The sources of a merged run in the order written (tarmac merge: by shard
  // number); empty for a run that was not merged (and for a version-1
  // database opened read-only).
  Result<std::vector<MergeSource>> MergeSources(int64_t run_id);

 private:
  // The rows of a prepared `SELECT * FROM results ...` statement.
  Result<std::vector<ResultRow>> ReadRows(sqlite::Stmt& s);
  ResultsStore(sqlite::Db db, bool read_only) : db_(std::move(db)), read_only_(read_only) {}
  Result<void> CheckWritable(std::string_view what) const;
  Result<void> CheckRunExists(int64_t run_id);
  Result<int64_t> InsertRun(const RunInfo& run);
  Result<void> InsertResultRow(int64_t run_id, const ScenarioRecord& record);
  Result<void> InsertEvents(int64_t run_id, const ScenarioRecord& record);
  Result<void> InsertTrace(int64_t run_id, const ScenarioRecord& record);

  std::mutex mu_;
  sqlite::Db db_;
  bool read_only_ = false;
  std::vector<std::string> metric_columns_;  // the results table's metric columns, table order
  bool has_merged_from_ = false;             // false only in a version-1 database opened read-only
};

// The current time as ISO 8601 UTC to the second ("2025-03-01T12:00:00Z"),
// for RunInfo::started_at and FinishRun.
std::string UtcNowIso8601();

}  // namespace tarmac
