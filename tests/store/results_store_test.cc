// The results store: schema creation and versioning, run and result round
// trips (NaN -> NULL), duplicate and failed writes leaving no partial rows, a
// second connection reading while the writer is open, migration of an older
// version-1 database, and SQL text in ids stored verbatim.
#include "store/results_store.h"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "metrics/scenario_metrics.h"
#include "store/schema.h"
#include "store/sqlite_util.h"

namespace tarmac {
namespace {

// A fresh database path per test (CTest runs test cases in parallel processes).
struct TempDb {
  explicit TempDb(const std::string& name)
      : dir(std::filesystem::temp_directory_path() /
            ("tarmac_store_" + name + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    path = dir / "results.db";
  }
  ~TempDb() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::filesystem::path dir, path;
};

std::unique_ptr<ResultsStore> OpenOrDie(const std::filesystem::path& path, bool read_only = false) {
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(path, read_only);
  INFO((store ? std::string() : store.error().message));
  REQUIRE(store.ok());
  return std::move(*store);
}

RunInfo SampleRun(const std::string& name) {
  RunInfo r;
  r.name = name;
  r.planner = "pdm";
  r.agents = "idm";
  r.config_json = R"({"planner":"pdm","agents":"idm","threads":2})";
  r.suite_sha256 = std::string(64, 'a');
  r.git_rev = "b6a90de";
  r.seed = 42;
  r.shard = "2/4";
  r.num_scenarios = 11;
  r.started_at = "2025-03-01T12:00:00Z";
  return r;
}

ScenarioRecord SampleRecord(const std::string& id) {
  ScenarioMetrics m;
  m.progress = 0.75;
  m.goal_reached = std::nan("");  // no goal: NaN -> NULL
  m.ade = 1.25;
  m.collisions = 2;
  ScenarioRecord r;
  r.scenario_id = id;
  r.scenario_file = "suites/default/" + id + ".xml";
  r.score = 0.6;
  r.metrics = MetricColumns(m);
  r.state_hash = 0x00ab'cdef'0123'4567ULL;
  r.steps = 150;
  r.sim_seconds = 15.0;
  r.wall_ms = 12.5;
  r.events = {{12, "collision", "agent 7", "vehicle", "active_front, at fault", 4.5},
              {30, "off_road", "", "", "", std::nan("")}};
  return r;
}

// Runs one query on a raw connection and returns the first column of the first row.
int64_t QueryInt(const std::filesystem::path& path, const std::string& sql) {
  Result<sqlite::Db> db = sqlite::Db::Open(path.string(), /*read_only=*/true);
  REQUIRE(db.ok());
  Result<sqlite::Stmt> s = sqlite::Stmt::Prepare(*db, sql, "test query");
  INFO((s ? std::string() : s.error().message));
  REQUIRE(s.ok());
  Result<bool> row = s->Step();
  REQUIRE(row.ok());
  REQUIRE(*row);
  return s->Int(0);
}

void ExecRaw(const std::filesystem::path& path, const std::string& sql) {
  Result<sqlite::Db> db = sqlite::Db::Open(path.string(), /*read_only=*/false);
  REQUIRE(db.ok());
  Result<void> r = db->Exec(sql, "test statement");
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r.ok());
}

TEST_CASE("Store: creates the schema with one version row, in WAL mode, and reopens", "[store]") {
  TempDb tmp("schema");
  int64_t run_id = 0;
  {
    auto store = OpenOrDie(tmp.path);
    run_id = *store->CreateRun(SampleRun("first"));
  }
  CHECK(QueryInt(tmp.path, "SELECT count(*) FROM schema_version") == 1);
  CHECK(QueryInt(tmp.path, "SELECT version FROM schema_version") == kResultsSchemaVersion);
  for (const char* table : {"runs", "results", "events", "traces"}) {
    CHECK(QueryInt(tmp.path, std::string("SELECT count(*) FROM sqlite_master WHERE name = '") + table +
                                 "'") == 1);
  }
  CHECK(QueryInt(tmp.path, "SELECT count(*) FROM sqlite_master WHERE name = 'events_by_scenario'") == 1);
  {
    Result<sqlite::Db> db = sqlite::Db::Open(tmp.path.string(), true);
    REQUIRE(db.ok());
    Result<sqlite::Stmt> s = sqlite::Stmt::Prepare(*db, "PRAGMA journal_mode", "journal mode");
    REQUIRE(s.ok());
    REQUIRE(*s->Step());
    CHECK(s->Text(0) == "wal");
    // The results columns: fixed ones, then one per metric in MetricColumns() order.
    Result<std::vector<std::string>> columns = TableColumns(*db, "results");
    REQUIRE(columns.ok());
    std::vector<std::string> expected = {"run_id", "scenario_id", "scenario_file", "status", "error",
                                         "score"};
    for (const auto& [name, value] : MetricColumns(ScenarioMetrics{})) expected.push_back(name);
    for (const char* c : {"state_hash", "steps", "sim_seconds", "wall_ms"}) expected.push_back(c);
    CHECK(*columns == expected);
  }
  // Reopening: same data, still one version row.
  auto again = OpenOrDie(tmp.path);
  Result<RunInfo> run = again->GetRun(run_id);
  REQUIRE(run.ok());
  CHECK(run->name == "first");
  CHECK(QueryInt(tmp.path, "SELECT count(*) FROM schema_version") == 1);
  auto reader = OpenOrDie(tmp.path, /*read_only=*/true);
  CHECK(reader->ListRuns()->size() == 1);
}

TEST_CASE("Store: refuses a database of a newer schema version", "[store]") {
  TempDb tmp("future");
  { OpenOrDie(tmp.path); }
  ExecRaw(tmp.path, "UPDATE schema_version SET version = 99");
  for (bool read_only : {false, true}) {
    Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(tmp.path, read_only);
    REQUIRE_FALSE(store.ok());
    const std::string& message = store.error().message;
    INFO(message);
    CHECK(message.find(tmp.path.string()) != std::string::npos);
    CHECK(message.find("version 99") != std::string::npos);
    CHECK(message.find("version " + std::to_string(kResultsSchemaVersion)) != std::string::npos);
  }
  // Refusing changed nothing.
  CHECK(QueryInt(tmp.path, "SELECT version FROM schema_version") == 99);
}

TEST_CASE("Store: refuses files that are not results databases", "[store]") {
  TempDb tmp("foreign");
  {
    std::ofstream text(tmp.path);
    for (int i = 0; i < 100; ++i) text << "this is not a database, just text\n";
    text.close();
    Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(tmp.path);
    REQUIRE_FALSE(store.ok());
    INFO(store.error().message);
    CHECK(store.error().message.find(tmp.path.string()) != std::string::npos);
    CHECK(store.error().message.find("not a database") != std::string::npos);
  }
  {
    const std::filesystem::path other = tmp.dir / "other.db";
    ExecRaw(other, "CREATE TABLE something (x INTEGER)");
    Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(other);
    REQUIRE_FALSE(store.ok());
    CHECK(store.error().message.find("not a tarmac results database") != std::string::npos);
  }
  {
    const std::filesystem::path missing = tmp.dir / "missing.db";
    Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(missing, /*read_only=*/true);
    REQUIRE_FALSE(store.ok());
    CHECK(store.error().message.find(missing.string()) != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(missing));
  }
}

TEST_CASE("Store: CreateRun, GetRun, ListRuns and FinishRun round trip", "[store]") {
  TempDb tmp("runs");
  auto store = OpenOrDie(tmp.path);
  RunInfo a = SampleRun("baseline");
  a.checkpoint_sha256 = std::string(64, 'f');
  RunInfo b = SampleRun("candidate");
  b.seed = -7;
  b.shard = "1/1";
  const Result<int64_t> id_a = store->CreateRun(a);
  const Result<int64_t> id_b = store->CreateRun(b);
  REQUIRE(id_a.ok());
  REQUIRE(id_b.ok());
  CHECK(*id_a != *id_b);
  a.id = *id_a;
  b.id = *id_b;
  CHECK(*store->GetRun(*id_a) == a);
  CHECK(*store->GetRun(*id_b) == b);
  CHECK_FALSE(store->GetRun(*id_a)->finished_at.has_value());

  REQUIRE(store->FinishRun(*id_b, "2025-03-01T12:30:00Z").ok());
  b.finished_at = "2025-03-01T12:30:00Z";
  const Result<std::vector<RunInfo>> runs = store->ListRuns();
  REQUIRE(runs.ok());
  REQUIRE(runs->size() == 2);
  CHECK((*runs)[0] == a);
  CHECK((*runs)[1] == b);

  const Result<RunInfo> missing = store->GetRun(12345);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("no run 12345") != std::string::npos);
  CHECK_FALSE(store->FinishRun(12345, "x").ok());
  CHECK(UtcNowIso8601().size() == 20);
}

TEST_CASE("Store: WriteResult and Results round trip, NaN stored as NULL, events stored", "[store]") {
  TempDb tmp("results");
  auto store = OpenOrDie(tmp.path);
  const int64_t run = *store->CreateRun(SampleRun("r"));
  const ScenarioRecord ok = SampleRecord("b-scenario");
  ScenarioRecord failed;
  failed.scenario_id = "a-scenario";
  failed.scenario_file = "a.xml";
  failed.status = ScenarioStatus::kFailed;
  failed.error = "step 3: planner threw: boom";
  failed.metrics = MetricColumns(ScenarioMetrics{});  // ignored: a failed scenario has no metrics
  Result<void> w1 = store->WriteResult(run, ok);
  INFO((w1 ? std::string() : w1.error().message));
  REQUIRE(w1.ok());
  REQUIRE(store->WriteResult(run, failed).ok());

  const Result<std::vector<ResultRow>> rows = store->Results(run);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 2);
  const ResultRow& r = (*rows)[0];  // in the order written
  CHECK(r.run_id == run);
  CHECK(r.scenario_id == "b-scenario");
  CHECK(r.scenario_file == "suites/default/b-scenario.xml");
  CHECK(r.status == ScenarioStatus::kOk);
  CHECK(r.error.empty());
  CHECK(r.score == 0.6);
  CHECK(r.state_hash == "00abcdef01234567");
  CHECK(r.steps == 150);
  CHECK(r.sim_seconds == 15.0);
  CHECK(r.wall_ms == 12.5);
  REQUIRE(r.metrics.size() == MetricColumnNames().size());
  for (const auto& [name, value] : ok.metrics) {
    INFO(name);
    if (std::isnan(value)) {
      CHECK_FALSE(r.Metric(name).has_value());
    } else {
      REQUIRE(r.Metric(name).has_value());
      CHECK(*r.Metric(name) == value);
    }
  }
  CHECK(r.Metric("progress") == 0.75);
  // One scenario's row reads the same as in the whole run's.
  const Result<std::optional<ResultRow>> one = store->ResultOf(run, "b-scenario");
  REQUIRE(one.ok());
  REQUIRE(one->has_value());
  CHECK((*one)->score == r.score);
  CHECK((*one)->state_hash == r.state_hash);
  CHECK((*one)->metrics == r.metrics);
  CHECK_FALSE(store->ResultOf(run, "no-such-scenario")->has_value());
  CHECK(r.Metric("collisions") == 2.0);
  CHECK_FALSE(r.Metric("goal_reached").has_value());
  CHECK_FALSE(r.Metric("no_such_metric").has_value());

  const ResultRow& f = (*rows)[1];
  CHECK(f.status == ScenarioStatus::kFailed);
  CHECK(f.error == "step 3: planner threw: boom");
  CHECK_FALSE(f.score.has_value());
  CHECK_FALSE(f.state_hash.has_value());
  CHECK_FALSE(f.steps.has_value());
  for (const auto& [name, value] : f.metrics) CHECK_FALSE(value.has_value());
  CHECK(QueryInt(tmp.path, "SELECT count(*) FROM results WHERE goal_reached IS NULL") == 2);

  const Result<std::vector<MetricEvent>> events = store->Events(run, "b-scenario");
  REQUIRE(events.ok());
  REQUIRE(events->size() == 2);
  const MetricEvent& e = (*events)[0];
  CHECK(e.step == 12);
  CHECK(e.kind == "collision");
  CHECK(e.agent_id == "agent 7");
  CHECK(e.agent_type == "vehicle");
  CHECK(e.detail == "active_front, at fault");
  CHECK(e.value == 4.5);
  CHECK((*events)[1].kind == "off_road");
  CHECK(std::isnan((*events)[1].value));
  CHECK(store->Events(run, "a-scenario")->empty());
  CHECK_FALSE(store->Trace(run, "b-scenario")->has_value());

  CHECK(*store->DoneScenarioIds(run) == std::vector<std::string>{"a-scenario", "b-scenario"});
  CHECK(store->DoneScenarioIds(run + 1)->empty());
}

TEST_CASE("Store: a second WriteResult for the same scenario fails and keeps the first", "[store]") {
  TempDb tmp("duplicate");
  auto store = OpenOrDie(tmp.path);
  const int64_t run = *store->CreateRun(SampleRun("r"));
  REQUIRE(store->WriteResult(run, SampleRecord("s1")).ok());
  ScenarioRecord again = SampleRecord("s1");
  again.score = 0.1;
  again.events.push_back({99, "red_light", "", "", "light 3", 1.0});
  const Result<void> second = store->WriteResult(run, again);
  REQUIRE_FALSE(second.ok());
  INFO(second.error().message);
  CHECK(second.error().message.find(tmp.path.string()) != std::string::npos);
  CHECK(second.error().message.find("already has a result for scenario 's1'") != std::string::npos);
  const Result<std::vector<ResultRow>> rows = store->Results(run);
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0].score == 0.6);
  CHECK(store->Events(run, "s1")->size() == 2);
  // The same scenario in another run is fine.
  const int64_t other = *store->CreateRun(SampleRun("r2"));
  CHECK(store->WriteResult(other, again).ok());
  // A run that does not exist.
  const Result<void> orphan = store->WriteResult(999, SampleRecord("s2"));
  REQUIRE_FALSE(orphan.ok());
  CHECK(orphan.error().message.find("no run 999") != std::string::npos);
}

TEST_CASE("Store: a reader connection sees committed rows while the writer is open", "[store]") {
  TempDb tmp("reader");
  auto writer = OpenOrDie(tmp.path);
  const int64_t run = *writer->CreateRun(SampleRun("live"));
  auto reader = OpenOrDie(tmp.path, /*read_only=*/true);
  CHECK(reader->Results(run)->empty());
  REQUIRE(writer->WriteResult(run, SampleRecord("s1")).ok());
  CHECK(reader->Results(run)->size() == 1);
  REQUIRE(writer->WriteResult(run, SampleRecord("s2")).ok());
  CHECK(*reader->DoneScenarioIds(run) == std::vector<std::string>{"s1", "s2"});
  CHECK(reader->Events(run, "s2")->size() == 2);

  // While another connection holds an open write transaction, the reader
  // still reads (WAL) and sees only committed rows.
  Result<sqlite::Db> raw = sqlite::Db::Open(tmp.path.string(), false);
  REQUIRE(raw.ok());
  REQUIRE(raw->Exec("BEGIN IMMEDIATE", "begin").ok());
  REQUIRE(raw->Exec("UPDATE runs SET name = 'uncommitted'", "update").ok());
  const Result<RunInfo> seen = reader->GetRun(run);
  REQUIRE(seen.ok());
  CHECK(seen->name == "live");
  REQUIRE(raw->Exec("ROLLBACK", "rollback").ok());

  // Writes through a read-only store are refused.
  const Result<int64_t> refused = reader->CreateRun(SampleRun("x"));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("read-only") != std::string::npos);
}

TEST_CASE("Store: a WriteResult that fails midway leaves no partial row", "[store]") {
  TempDb tmp("atomic");
  auto store = OpenOrDie(tmp.path);
  const int64_t run = *store->CreateRun(SampleRun("r"));

  // The second event breaks the events table's CHECK (kind <> ''), after the
  // results row and the first event were inserted.
  ScenarioRecord bad_event = SampleRecord("s1");
  bad_event.events[1].kind = "";
  bad_event.trace = EncodedTrace{0.1, 0, 1, "[]", {1}, {1}, {1}};
  const Result<void> r1 = store->WriteResult(run, bad_event);
  REQUIRE_FALSE(r1.ok());
  INFO(r1.error().message);
  CHECK(r1.error().message.find(tmp.path.string()) != std::string::npos);
  CHECK(r1.error().message.find("events") != std::string::npos);
  CHECK(r1.error().message.find("CHECK constraint failed") != std::string::npos);

  // The trace insert fails after the row and every event went in.
  ScenarioRecord bad_trace = SampleRecord("s2");
  bad_trace.trace = EncodedTrace{std::nan(""), 0, 1, "[]", {1}, {1}, {1}};
  REQUIRE_FALSE(store->WriteResult(run, bad_trace).ok());

  // An unknown metric is refused before anything is written.
  ScenarioRecord bad_metric = SampleRecord("s3");
  bad_metric.metrics.emplace_back("no_such_metric", 1.0);
  const Result<void> r3 = store->WriteResult(run, bad_metric);
  REQUIRE_FALSE(r3.ok());
  CHECK(r3.error().message.find("unknown metric 'no_such_metric'") != std::string::npos);

  CHECK(store->Results(run)->empty());
  CHECK(store->DoneScenarioIds(run)->empty());
  CHECK(QueryInt(tmp.path, "SELECT count(*) FROM events") == 0);
  CHECK(QueryInt(tmp.path, "SELECT count(*) FROM traces") == 0);

  // The connection is usable afterwards and the scenario can be written.
  bad_event.events[1].kind = "off_road";
  REQUIRE(store->WriteResult(run, bad_event).ok());
  CHECK(store->Results(run)->size() == 1);
  CHECK(store->Trace(run, "s1")->has_value());
}

TEST_CASE("Store: ids with quotes and SQL in them are stored and read back verbatim", "[store]") {
  TempDb tmp("injection");
  auto store = OpenOrDie(tmp.path);
  const std::string nasty = "it's \"quoted\" '; DROP TABLE runs; --";
  RunInfo info = SampleRun(nasty);
  info.config_json = "{\"name\": \"" + std::string("'); DELETE FROM results; --") + "\"}";
  const int64_t run = *store->CreateRun(info);
  ScenarioRecord record = SampleRecord(nasty);
  record.scenario_file = "dir/" + nasty + ".pb";
  record.error = "x'); DROP TABLE results; --";
  record.events[0].agent_id = "'; DROP TABLE events; --";
  REQUIRE(store->WriteResult(run, record).ok());

  CHECK(store->GetRun(run)->name == nasty);
  CHECK(store->GetRun(run)->config_json == info.config_json);
  const Result<std::vector<ResultRow>> rows = store->Results(run);
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0].scenario_id == nasty);
  CHECK((*rows)[0].scenario_file == record.scenario_file);
  CHECK((*rows)[0].error == record.error);
  CHECK(*store->DoneScenarioIds(run) == std::vector<std::string>{nasty});
  CHECK((*store->Events(run, nasty))[0].agent_id == "'; DROP TABLE events; --");
  for (const char* table : {"runs", "results", "events", "traces"}) {
    CHECK(QueryInt(tmp.path, std::string("SELECT count(*) FROM sqlite_master WHERE name = '") + table +
                                 "'") == 1);
  }
  CHECK(QueryInt(tmp.path, "SELECT count(*) FROM runs") == 1);
}

TEST_CASE("Store: an older version-1 database gains the metric columns it lacks", "[store]") {
  TempDb tmp("migrate");
  int64_t run = 0;
  {
    auto store = OpenOrDie(tmp.path);
    run = *store->CreateRun(SampleRun("old"));
    REQUIRE(store->WriteResult(run, SampleRecord("before")).ok());
  }
  // Pretend the database was written before the last two metrics existed.
  const std::string last = MetricColumnNames().back();
  const std::string second_last = MetricColumnNames()[MetricColumnNames().size() - 2];
  ExecRaw(tmp.path, "ALTER TABLE results DROP COLUMN \"" + last + "\"");
  ExecRaw(tmp.path, "ALTER TABLE results DROP COLUMN \"" + second_last + "\"");
  {
    // Read-only: readable as it is, the missing metrics absent.
    auto reader = OpenOrDie(tmp.path, true);
    const Result<std::vector<ResultRow>> rows = reader->Results(run);
    REQUIRE(rows->size() == 1);
    CHECK((*rows)[0].metrics.size() == MetricColumnNames().size() - 2);
    CHECK_FALSE((*rows)[0].Metric(last).has_value());
  }
  auto store = OpenOrDie(tmp.path);  // read-write: migrates
  Result<sqlite::Db> db = sqlite::Db::Open(tmp.path.string(), true);
  const Result<std::vector<std::string>> columns = TableColumns(*db, "results");
  CHECK(std::count(columns->begin(), columns->end(), last) == 1);
  CHECK(std::count(columns->begin(), columns->end(), second_last) == 1);
  REQUIRE(store->WriteResult(run, SampleRecord("after")).ok());
  const Result<std::vector<ResultRow>> rows = store->Results(run);
  REQUIRE(rows->size() == 2);
  CHECK_FALSE((*rows)[0].Metric(last).has_value());  // older row: NULL
  CHECK((*rows)[1].Metric(last).has_value());
  CHECK(QueryInt(tmp.path, "SELECT count(*) FROM schema_version") == 1);
}

}  // namespace
}  // namespace tarmac
