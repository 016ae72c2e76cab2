#include "store/results_store.h"

#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <set>
#include <unordered_map>

#include "store/schema.h"

namespace tarmac {
namespace {

// `what` for messages about one scenario of one run.
std::string ScenarioWhat(std::string_view action, int64_t run_id, const std::string& scenario_id) {
  return std::string(action) + " of scenario '" + scenario_id + "' (run " + std::to_string(run_id) + ")";
}

std::string HashHex(uint64_t hash) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, hash);
  return buf;
}

Result<ScenarioStatus> ParseStatus(const std::string& path, const std::string& text) {
  if (text == "ok") return ScenarioStatus::kOk;
  if (text == "failed") return ScenarioStatus::kFailed;
  return Error{path + ": unknown results status '" + text + "'"};
}

// Column order of every runs query.
constexpr const char* kRunColumns =
    "id, name, planner, agents, checkpoint_sha256, config_json, suite_sha256, git_rev, seed, shard, "
    "num_scenarios, started_at, finished_at";

RunInfo ReadRun(const sqlite::Stmt& s) {
  RunInfo r;
  r.id = s.Int(0);
  r.name = s.Text(1);
  r.planner = s.Text(2);
  r.agents = s.Text(3);
  r.checkpoint_sha256 = s.Text(4);
  r.config_json = s.Text(5);
  r.suite_sha256 = s.Text(6);
  r.git_rev = s.Text(7);
  r.seed = s.Int(8);
  r.shard = s.Text(9);
  r.num_scenarios = s.Int(10);
  r.started_at = s.Text(11);
  r.finished_at = s.OptionalText(12);
  return r;
}

// Returns the error of a failed Result<...> expression from the enclosing function.
#define TARMAC_STORE_TRY(expr)                 \
  do {                                         \
    if (auto tarmac_r_ = (expr); !tarmac_r_) { \
      return tarmac_r_.error();                \
    }                                          \
  } while (false)

}  // namespace

const char* ScenarioStatusName(ScenarioStatus status) {
  return status == ScenarioStatus::kOk ? "ok" : "failed";
}

std::optional<double> ResultRow::Metric(std::string_view name) const {
  for (const auto& [column, value] : metrics) {
    if (column == name) return value;
  }
  return std::nullopt;
}

Result<std::unique_ptr<ResultsStore>> ResultsStore::Open(const std::filesystem::path& path,
                                                         bool read_only) {
  const std::string name = path.string();
  if (read_only && !std::filesystem::exists(path)) {
    return Error{name + ": cannot open the results database read-only: no such file"};
  }
  Result<sqlite::Db> db = sqlite::Db::Open(name, read_only);
  if (!db) return db.error();
  if (sqlite3_busy_timeout(db->get(), kBusyTimeoutMs) != SQLITE_OK) {
    return db->Fail("setting the busy timeout");
  }
  TARMAC_STORE_TRY(db->Exec("PRAGMA foreign_keys = ON", "enabling foreign keys"));
  if (read_only) {
    TARMAC_STORE_TRY(CheckSchema(*db));
  } else {
    // The schema first: a database of a newer version is refused before
    // anything about it changes.
    TARMAC_STORE_TRY(CreateOrMigrateSchema(&*db));
    // WAL: readers never block the writer and see every committed scenario.
    std::string mode;
    {  // scoped: an unfinished statement would block later COMMITs
      Result<sqlite::Stmt> wal =
          sqlite::Stmt::Prepare(*db, "PRAGMA journal_mode = WAL", "switching to WAL mode");
      if (!wal) return wal.error();
      Result<bool> row = wal->Step();
      if (!row) return row.error();
      if (*row) mode = wal->Text(0);
    }
    if (mode != "wal") {
      return Error{name + ": cannot switch the results database to WAL mode (journal mode is '" +
                   mode + "'); is it on a network file system?"};
    }
    // In WAL mode NORMAL keeps every commit across a crash of the process
    // (a power loss may lose the last commits, never corrupt the file).
    TARMAC_STORE_TRY(db->Exec("PRAGMA synchronous = NORMAL", "setting synchronous mode"));
  }
  Result<std::vector<std::string>> columns = TableColumns(*db, "results");
  if (!columns) return columns.error();
  Result<std::vector<std::string>> merged_from = TableColumns(*db, "merged_from");
  if (!merged_from) return merged_from.error();
  std::unique_ptr<ResultsStore> store(new ResultsStore(std::move(*db), read_only));
  for (const std::string& c : *columns) {
    if (!IsFixedResultColumn(c)) store->metric_columns_.push_back(c);
  }
  store->has_merged_from_ = !merged_from->empty();
  return store;
}

Result<void> ResultsStore::CheckWritable(std::string_view what) const {
  if (read_only_) return Error{path() + ": " + std::string(what) + ": the store was opened read-only"};
  return {};
}

Result<int64_t> ResultsStore::CreateRun(const RunInfo& run) {
  std::lock_guard lock(mu_);
  TARMAC_STORE_TRY(CheckWritable("creating a run"));
  return InsertRun(run);
}

Result<int64_t> ResultsStore::InsertRun(const RunInfo& run) {
  Result<sqlite::Stmt> s = sqlite::Stmt::Prepare(
      db_,
      "INSERT INTO runs (name, planner, agents, checkpoint_sha256, config_json, suite_sha256, "
      "git_rev, seed, shard, num_scenarios, started_at, finished_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      "creating run '" + run.name + "'");
  if (!s) return s.error();
  TARMAC_STORE_TRY(s->BindText(1, run.name));
  TARMAC_STORE_TRY(s->BindText(2, run.planner));
  TARMAC_STORE_TRY(s->BindText(3, run.agents));
  TARMAC_STORE_TRY(s->BindText(4, run.checkpoint_sha256));
  TARMAC_STORE_TRY(s->BindText(5, run.config_json));
  TARMAC_STORE_TRY(s->BindText(6, run.suite_sha256));
  TARMAC_STORE_TRY(s->BindText(7, run.git_rev));
  TARMAC_STORE_TRY(s->BindInt(8, run.seed));
  TARMAC_STORE_TRY(s->BindText(9, run.shard));
  TARMAC_STORE_TRY(s->BindInt(10, run.num_scenarios));
  TARMAC_STORE_TRY(s->BindText(11, run.started_at));
  TARMAC_STORE_TRY(s->BindOptionalText(12, run.finished_at));
  TARMAC_STORE_TRY(s->Run());
  return static_cast<int64_t>(sqlite3_last_insert_rowid(db_.get()));
}

Result<RunInfo> ResultsStore::GetRun(int64_t run_id) {
  std::lock_guard lock(mu_);
  Result<sqlite::Stmt> s = sqlite::Stmt::Prepare(
      db_, std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?",
      "reading run " + std::to_string(run_id));
  if (!s) return s.error();
  TARMAC_STORE_TRY(s->BindInt(1, run_id));
  Result<bool> row = s->Step();
  if (!row) return row.error();
  if (!*row) return Error{path() + ": no run " + std::to_string(run_id)};
  return ReadRun(*s);
}

Result<std::vector<RunInfo>> ResultsStore::ListRuns() {
  std::lock_guard lock(mu_);
  Result<sqlite::Stmt> s = sqlite::Stmt::Prepare(
      db_, std::string("SELECT ") + kRunColumns + " FROM runs ORDER BY id", "listing runs");
  if (!s) return s.error();
  std::vector<RunInfo> runs;
  while (true) {
    Result<bool> row = s->Step();
    if (!row) return row.error();
    if (!*row) break;
    runs.push_back(ReadRun(*s));
  }
  return runs;
}

Result<void> ResultsStore::FinishRun(int64_t run_id, const std::string& finished_at) {
  std::lock_guard lock(mu_);
  const std::string what = "finishing run " + std::to_string(run_id);
  TARMAC_STORE_TRY(CheckWritable(what));
  Result<sqlite::Stmt> s =
      sqlite::Stmt::Prepare(db_, "UPDATE runs SET finished_at = ? WHERE id = ?", what);
  if (!s) return s.error();
  TARMAC_STORE_TRY(s->BindText(1, finished_at));
  TARMAC_STORE_TRY(s->BindInt(2, run_id));
  TARMAC_STORE_TRY(s->Run());
  if (db_.Changes() == 0) return Error{path() + ": " + what + ": no run " + std::to_string(run_id)};
  return {};
}

Result<void> ResultsStore::CheckRunExists(int64_t run_id) {
  Result<sqlite::Stmt> s = sqlite::Stmt::Prepare(db_, "SELECT 1 FROM runs WHERE id = ?",
                                                 "looking up run " + std::to_string(run_id));
  if (!s) return s.error();
  TARMAC_STORE_TRY(s->BindInt(1, run_id));
  Result<bool> row = s->Step();
  if (!row) return row.error();
  if (!*row) return Error{path() + ": no run " + std::to_string(run_id)};
  return {};
}

Result<void> ResultsStore::InsertResultRow(int64_t run_id, const ScenarioRecord& record) {
  const std::string what = ScenarioWhat("writing the results row", run_id, record.scenario_id);
  // Metric values by column; names are checked against the table's columns,
  // and the SQL names only those columns (never text from the record).
  std::unordered_map<std::string, double> values;
  for (const auto& [name, value] : record.metrics) {
    if (!values.emplace(name, value).second) {
      return Error{path() + ": " + what + ": metric '" + name + "' given twice"};
    }
  }
  std::set<std::string> known(metric_columns_.begin(), metric_columns_.end());
  for (const auto& [name, value] : values) {
    if (known.count(name) == 0) {
      return Error{path() + ": " + what + ": unknown metric '" + name +
                   "' (not a column of the results table)"};
    }
  }
  std::string sql =
      "INSERT INTO results (run_id, scenario_id, scenario_file, status, error, score, state_hash, "
      "steps, sim_seconds, wall_ms";
  std::string params = "?, ?, ?, ?, ?, ?, ?, ?, ?, ?";
  for (const std::string& c : metric_columns_) {
    sql += ", \"" + c + "\"";
    params += ", ?";
  }
  sql += ") VALUES (" + params + ")";
  Result<sqlite::Stmt> s = sqlite::Stmt::Prepare(db_, sql, what);
  if (!s) return s.error();
  TARMAC_STORE_TRY(s->BindInt(1, run_id));
  TARMAC_STORE_TRY(s->BindText(2, record.scenario_id));
  TARMAC_STORE_TRY(s->BindText(3, record.scenario_file));
  TARMAC_STORE_TRY(s->BindText(4, ScenarioStatusName(record.status)));
  TARMAC_STORE_TRY(s->BindText(5, record.error));
  TARMAC_STORE_TRY(s->BindOptionalReal(6, record.score));
  if (record.state_hash) {
    TARMAC_STORE_TRY(s->BindText(7, HashHex(*record.state_hash)));
  } else {
    TARMAC_STORE_TRY(s->BindNull(7));
  }
  TARMAC_STORE_TRY(s->BindOptionalInt(8, record.steps));
  TARMAC_STORE_TRY(s->BindOptionalReal(9, record.sim_seconds));
  TARMAC_STORE_TRY(s->BindOptionalReal(10, record.wall_ms));
  int index = 11;
  for (const std::string& c : metric_columns_) {
    const auto it = values.find(c);
    if (record.status == ScenarioStatus::kFailed || it == values.end()) {
      TARMAC_STORE_TRY(s->BindNull(index));
    } else {
      TARMAC_STORE_TRY(s->BindReal(index, it->second));  // NaN -> NULL
    }
    ++index;
  }
  if (Result<void> r = s->Run(); !r) {
    if (db_.ExtendedErrcode() == SQLITE_CONSTRAINT_PRIMARYKEY) {
      return Error{path() + ": run " + std::to_string(run_id) + " already has a result for scenario '" +
                   record.scenario_id + "' (" + sqlite3_errmsg(db_.get()) + ")"};
    }
    return r;
  }
  return {};
}

Result<void> ResultsStore::InsertEvents(int64_t run_id, const ScenarioRecord& record) {
  if (record.events.empty()) return {};
  const std::string what = ScenarioWhat("writing the events", run_id, record.scenario_id);
  Result<sqlite::Stmt> s = sqlite::Stmt::Prepare(
      db_,
      "INSERT INTO events (run_id, scenario_id, step, kind, agent_id, agent_type, detail, value) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      what);
  if (!s) return s.error();
  for (const MetricEvent& e : record.events) {
    s->Reset();
    TARMAC_STORE_TRY(s->BindInt(1, run_id));
    TARMAC_STORE_TRY(s->BindText(2, record.scenario_id));
    TARMAC_STORE_TRY(s->BindInt(3, e.step));
    TARMAC_STORE_TRY(s->BindText(4, e.kind));
    TARMAC_STORE_TRY(s->BindText(5, e.agent_id));
    TARMAC_STORE_TRY(s->BindText(6, e.agent_type));
    TARMAC_STORE_TRY(s->BindText(7, e.detail));
    TARMAC_STORE_TRY(s->BindReal(8, e.value));
    TARMAC_STORE_TRY(s->Run());
  }
  return {};
}

Result<void> ResultsStore::InsertTrace(int64_t run_id, const ScenarioRecord& record) {
  if (!record.trace) return {};
  const EncodedTrace& t = *record.trace;
  const std::string what = ScenarioWhat("writing the trace", run_id, record.scenario_id);
  Result<sqlite::Stmt> s = sqlite::Stmt::Prepare(
      db_,
      "INSERT INTO traces (run_id, scenario_id, dt, start_step, num_steps, agent_meta, ego, agents, "
      "plans) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      what);
  if (!s) return s.error();
  if (!std::isfinite(t.dt)) return Error{path() + ": " + what + ": dt is not finite"};
  TARMAC_STORE_TRY(s->BindInt(1, run_id));
  TARMAC_STORE_TRY(s->BindText(2, record.scenario_id));
  TARMAC_STORE_TRY(s->BindReal(3, t.dt));
  TARMAC_STORE_TRY(s->BindInt(4, t.start_step));
  TARMAC_STORE_TRY(s->BindInt(5, t.num_steps));
  TARMAC_STORE_TRY(s->BindText(6, t.agent_meta));
  TARMAC_STORE_TRY(s->BindBlob(7, t.ego));
  TARMAC_STORE_TRY(s->BindBlob(8, t.agents));
  TARMAC_STORE_TRY(s->BindBlob(9, t.plans));
  return s->Run();
}

Result<void> ResultsStore::WriteResult(int64_t run_id, const ScenarioRecord& record) {
  std::lock_guard lock(mu_);
  const std::string what = ScenarioWhat("writing the result", run_id, record.scenario_id);
  TARMAC_STORE_TRY(CheckWritable(what));
  Result<sqlite::Transaction> tx = sqlite::Transaction::Begin(&db_, what);
  if (!tx) return tx.error();
  // Any early return below rolls the transaction back: nothing partial stays.
  TARMAC_STORE_TRY(CheckRunExists(run_id));
  TARMAC_STORE_TRY(InsertResultRow(run_id, record));
  TARMAC_STORE_TRY(InsertEvents(run_id, record));
  TARMAC_STORE_TRY(InsertTrace(run_id, record));
  return tx->Commit();
}

Result<std::vector<std::string>> ResultsStore::DoneScenarioIds(int64_t run_id) {
  std::lock_guard lock(mu_);
  Result<sqlite::Stmt> s = sqlite::Stmt::Prepare(
      db_, "SELECT scenario_id FROM results WHERE run_id = ? ORDER BY scenario_id",
      "listing the finished scenarios of run " + std::to_string(run_id));
  if (!s) return s.error();
  TARMAC_STORE_TRY(s->BindInt(1, run_id));
  std::vector<std::string> ids;
  while (true) {
    Result<bool> row = s->Step();
    if (!row) return row.error();
    if (!*row) break;
    ids.push_back(s->Text(0));
  }
  return ids;
}

Result<std::vector<ResultRow>> ResultsStore::Results(int64_t run_id) {
  std::lock_guard lock(mu_);
  Result<sqlite::Stmt> s =
      sqlite::Stmt::Prepare(db_, "SELECT * FROM results WHERE run_id = ? ORDER BY rowid",
                            "reading the results of run " + std::to_string(run_id));
  if (!s) return s.error();
  TARMAC_STORE_TRY(s->BindInt(1, run_id));
  return ReadRows(*s);
}

Result<std::optional<ResultRow>> ResultsStore::ResultOf(int64_t run_id, const std::string& scenario_id) {
  std::lock_guard lock(mu_);
  Result<sqlite::Stmt> s = sqlite::Stmt::Prepare(db_, "SELECT * FROM results WHERE run_id = ? AND scenario_id = ?",
                                                 ScenarioWhat("reading the result", run_id, scenario_id));
  if (!s) return s.error();
  TARMAC_STORE_TRY(s->BindInt(1, run_id));
  TARMAC_STORE_TRY(s->BindText(2, scenario_id));
  Result<std::vector<ResultRow>> rows = ReadRows(*s);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<ResultRow>();
  return std::optional<ResultRow>(std::move(rows->front()));
}

Result<std::vector<ResultRow>> ResultsStore::ReadRows(sqlite::Stmt& stmt) {
  sqlite::Stmt* s = &stmt;
  std::vector<std::string> names;
  for (int c = 0; c < s->ColumnCount(); ++c) names.push_back(s->ColumnName(c));
  std::vector<ResultRow> rows;
  while (true) {
    Result<bool> more = s->Step();
    if (!more) return more.error();
    if (!*more) break;
    ResultRow row;
    for (int c = 0; c < static_cast<int>(names.size()); ++c) {
      const std::string& n = names[static_cast<size_t>(c)];
      if (n == "run_id") {
        row.run_id = s->Int(c);
      } else if (n == "scenario_id") {
        row.scenario_id = s->Text(c);
      } else if (n == "scenario_file") {
        row.scenario_file = s->Text(c);
      } else if (n == "status") {
        Result<ScenarioStatus> status = ParseStatus(path(), s->Text(c));
        if (!status) return status.error();
        row.status = *status;
      } else if (n == "error") {
        row.error = s->Text(c);
      } else if (n == "score") {
        row.score = s->OptionalReal(c);
      } else if (n == "state_hash") {
        row.state_hash = s->OptionalText(c);
      } else if (n == "steps") {
        row.steps = s->OptionalInt(c);
      } else if (n == "sim_seconds") {
        row.sim_seconds = s->OptionalReal(c);
      } else if (n == "wall_ms") {
        row.wall_ms = s->OptionalReal(c);
      } else {
        row.metrics.emplace_back(n, s->OptionalReal(c));
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<std::vector<MetricEvent>> ResultsStore::Events(int64_t run_id, const std::string& scenario_id) {
  std::lock_guard lock(mu_);
  Result<sqlite::Stmt> s = sqlite::Stmt::Prepare(
      db_,
      "SELECT step, kind, agent_id, agent_type, detail, value FROM events "
      "WHERE run_id = ? AND scenario_id = ? ORDER BY rowid",
      ScenarioWhat("reading the events", run_id, scenario_id));
  if (!s) return s.error();
  TARMAC_STORE_TRY(s->BindInt(1, run_id));
  TARMAC_STORE_TRY(s->BindText(2, scenario_id));
  std::vector<MetricEvent> events;
  while (true) {
    Result<bool> row = s->Step();
    if (!row) return row.error();
    if (!*row) break;
    MetricEvent e;
    const int64_t step = s->Int(0);
    if (step < std::numeric_limits<int>::min() || step > std::numeric_limits<int>::max()) {
      return Error{path() + ": " + ScenarioWhat("reading the events", run_id, scenario_id) +
                   ": step " + std::to_string(step) + " out of range"};
    }
    e.step = static_cast<int>(step);
    e.kind = s->Text(1);
    e.agent_id = s->Text(2);
    e.agent_type = s->Text(3);
    e.detail = s->Text(4);
    e.value = s->IsNull(5) ? std::nan("") : s->Real(5);
    events.push_back(std::move(e));
  }
  return events;
}

Result<std::optional<EncodedTrace>> ResultsStore::Trace(int64_t run_id, const std::string& scenario_id) {
  std::lock_guard lock(mu_);
  Result<sqlite::Stmt> s = sqlite::Stmt::Prepare(
      db_,
      "SELECT dt, start_step, num_steps, agent_meta, ego, agents, plans FROM traces "
      "WHERE run_id = ? AND scenario_id = ?",
      ScenarioWhat("reading the trace", run_id, scenario_id));
  if (!s) return s.error();
  TARMAC_STORE_TRY(s->BindInt(1, run_id));
  TARMAC_STORE_TRY(s->BindText(2, scenario_id));
  Result<bool> row = s->Step();
  if (!row) return row.error();
  if (!*row) return std::optional<EncodedTrace>();
  EncodedTrace t;
  t.dt = s->Real(0);
  t.start_step = s->Int(1);
  t.num_steps = s->Int(2);
  t.agent_meta = s->Text(3);
  t.ego = s->Blob(4);
  t.agents = s->Blob(5);
  t.plans = s->Blob(6);
  return std::optional<EncodedTrace>(std::move(t));
}

Result<int64_t> ResultsStore::WriteMergedRun(const RunInfo& run, const std::vector<MergeSource>& sources,
                                             const RecordFeed& next) {
  std::lock_guard lock(mu_);
  const std::string what = "writing merged run '" + run.name + "'";
  TARMAC_STORE_TRY(CheckWritable(what));
  Result<sqlite::Transaction> tx = sqlite::Transaction::Begin(&db_, what);
  if (!tx) return tx.error();
  // Any early return below rolls everything back: no partial merged run stays.
  Result<int64_t> run_id = InsertRun(run);
  if (!run_id) return run_id.error();
  while (true) {
    Result<std::optional<ScenarioRecord>> record = next();
    if (!record) return record.error();
    if (!*record) break;
    TARMAC_STORE_TRY(InsertResultRow(*run_id, **record));
    TARMAC_STORE_TRY(InsertEvents(*run_id, **record));
    TARMAC_STORE_TRY(InsertTrace(*run_id, **record));
  }
  Result<sqlite::Stmt> s = sqlite::Stmt::Prepare(
      db_,
      "INSERT INTO merged_from (run_id, shard, source_db, source_run_id, num_scenarios, started_at, "
      "finished_at, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      what + " (its sources)");
  if (!s) return s.error();
  for (const MergeSource& m : sources) {
    s->Reset();
    TARMAC_STORE_TRY(s->BindInt(1, *run_id));
    TARMAC_STORE_TRY(s->BindText(2, m.shard));
    TARMAC_STORE_TRY(s->BindText(3, m.source_db));
    TARMAC_STORE_TRY(s->BindInt(4, m.source_run_id));
    TARMAC_STORE_TRY(s->BindInt(5, m.num_scenarios));
    TARMAC_STORE_TRY(s->BindText(6, m.started_at));
    TARMAC_STORE_TRY(s->BindText(7, m.finished_at));
    TARMAC_STORE_TRY(s->BindText(8, m.fingerprint));
    TARMAC_STORE_TRY(s->Run());
  }
  TARMAC_STORE_TRY(tx->Commit());
  return *run_id;
}

Result<std::vector<MergeSource>> ResultsStore::MergeSources(int64_t run_id) {
  std::lock_guard lock(mu_);
  std::vector<MergeSource> sources;
  if (!has_merged_from_) return sources;
  Result<sqlite::Stmt> s = sqlite::Stmt::Prepare(
      db_,
      "SELECT shard, source_db, source_run_id, num_scenarios, started_at, finished_at, fingerprint "
      "FROM merged_from WHERE run_id = ? ORDER BY rowid",
      "reading the sources of run " + std::to_string(run_id));
  if (!s) return s.error();
  TARMAC_STORE_TRY(s->BindInt(1, run_id));
  while (true) {
    Result<bool> row = s->Step();
    if (!row) return row.error();
    if (!*row) break;
    MergeSource m;
    m.shard = s->Text(0);
    m.source_db = s->Text(1);
    m.source_run_id = s->Int(2);
    m.num_scenarios = s->Int(3);
    m.started_at = s->Text(4);
    m.finished_at = s->Text(5);
    m.fingerprint = s->Text(6);
    sources.push_back(std::move(m));
  }
  return sources;
}

std::string UtcNowIso8601() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

}  // namespace tarmac
