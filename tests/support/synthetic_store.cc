#include "tests/support/synthetic_store.h"

#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <vector>

#include "scenarios/scenario_io.h"
#include "store/results_store.h"
#include "store/schema.h"
#include "store/sqlite_util.h"
#include "store/trace_codec.h"

namespace tarmac::testing {

std::string SyntheticScenarioId(int s) { return fmt::format("syn-{:05d}", s); }
bool SyntheticFailed(int run, int s) { return (run + s) % 97 == 0; }
bool SyntheticAtFault(int run, int s) { return !SyntheticFailed(run, s) && (run + s) % 50 == 0; }
double SyntheticScore(int run, int s) {
  return SyntheticAtFault(run, s) ? 0.0 : static_cast<double>((7 * run + 13 * s) % 101) / 100.0;
}
bool SyntheticMetricIsNull(int s, const std::string& column) {
  if (column == "goal_reached") return s % 3 == 0;
  if (column == "ade" || column == "fde") return s % 4 == 0;
  if (column == "min_distance") return s % 5 == 0;
  return false;
}
double SyntheticMetric(int run, int s, int k) { return static_cast<double>((run + 3 * s + k) % 11) / 10.0; }

namespace {

constexpr int kTraceSteps = 150;
constexpr int kTraceAgents = 12;
constexpr double kDt = 0.1;  // [s]

// Ego along +x at 10 m/s on the middle lane; agents on the three lanes at
// 8 m/s, agent i appearing at step i; plans of 8 poses 2.5 m apart.
RolloutTrace SyntheticTrace() {
  RolloutTrace t;
  t.num_agents = kTraceAgents;
  t.plan_stride = 5;
  t.plan_start.push_back(0);
  for (int k = 0; k < kTraceSteps; ++k) {
    EgoSample e;
    e.step = k;
    e.x = 10.0 * kDt * k;
    e.speed = 10.0;
    t.ego.push_back(e);
    for (int i = 0; i < kTraceAgents; ++i) {
      const bool active = k >= i;
      t.agent_active.push_back(active ? 1 : 0);
      t.agent_x.push_back(active ? static_cast<float>(20.0 + 15.0 * (i / 3) + 8.0 * kDt * k) : 0.0f);
      t.agent_y.push_back(active ? static_cast<float>(3.5 * (i % 3 - 1)) : 0.0f);
      t.agent_heading.push_back(0.0f);
      t.agent_vx.push_back(active ? 8.0f : 0.0f);
      t.agent_vy.push_back(0.0f);
    }
    for (int p = 0; p < 8; ++p) t.plan_poses.push_back({e.x + 2.5 * p, 0.0, 0.0});
    t.plan_start.push_back(static_cast<int>(t.plan_poses.size()));
  }
  return t;
}

v1::Scenario SyntheticScenario(const std::string& id) {
  v1::Scenario s;
  s.set_id(id);
  s.mutable_time()->set_dt_s(kDt);
  s.mutable_time()->set_num_steps(kTraceSteps);
  s.mutable_ego()->set_length_m(4.8);
  s.mutable_ego()->set_width_m(2.0);
  auto line = [](v1::Polyline* p, double y) {
    p->add_x(-50.0);
    p->add_y(y);
    p->add_x(500.0);
    p->add_y(y);
  };
  for (int lane = -1; lane <= 1; ++lane) {
    v1::Lane* l = s.mutable_map()->add_lanes();
    l->set_id(fmt::format("lane{}", lane + 1));
    l->set_type(v1::LANE_TYPE_VEHICLE);
    line(l->mutable_centerline(), 3.5 * lane);
    line(l->mutable_left_boundary(), 3.5 * lane + 1.75);
    line(l->mutable_right_boundary(), 3.5 * lane - 1.75);
  }
  for (double y : {-5.25, 5.25}) {
    v1::RoadEdge* e = s.mutable_map()->add_road_edges();
    e->set_id(fmt::format("edge{}", y));
    line(e->mutable_polyline(), y);
  }
  v1::Track* ego = s.add_tracks();
  ego->set_id("ego");
  ego->set_type(v1::TRACK_TYPE_VEHICLE);
  ego->set_length_m(4.8);
  ego->set_width_m(2.0);
  for (int k = 0; k < kTraceSteps; ++k) {
    ego->add_x(10.0 * kDt * k);
    ego->add_y(0.0);
    ego->add_heading(0.0);
    ego->add_vx(10.0);
    ego->add_vy(0.0);
    ego->add_valid(true);
  }
  s.mutable_ego()->set_track_id("ego");
  return s;
}

#define TARMAC_TRY(expr)                          \
  do {                                            \
    if (auto tarmac_r_ = (expr); !tarmac_r_.ok()) \
      return tarmac_r_.error();                   \
  } while (false)

}  // namespace

Result<void> MakeSyntheticStore(const std::filesystem::path& path, const SyntheticStoreOptions& o) {
  if (std::filesystem::exists(path)) return Error{path.string() + ": exists already"};
  {  // The schema, made by the store itself.
    Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(path);
    if (!store.ok()) return store.error();
  }
  const std::vector<std::string>& metrics = MetricColumnNames();
  Result<sqlite::Db> db = sqlite::Db::Open(path.string(), /*read_only=*/false);
  if (!db.ok()) return db.error();
  TARMAC_TRY(db->Exec("PRAGMA synchronous = OFF", "speed"));
  TARMAC_TRY(db->Exec("BEGIN", "begin"));

  Result<sqlite::Stmt> run_stmt = sqlite::Stmt::Prepare(
      *db,
      "INSERT INTO runs (id, name, planner, agents, checkpoint_sha256, config_json, suite_sha256, git_rev, seed, "
      "shard, num_scenarios, started_at, finished_at) VALUES (?, ?, ?, 'idm', ?, '{\"synthetic\":true}', ?, "
      "'synthetic', 0, '1/1', ?, ?, ?)",
      "inserting a run");
  if (!run_stmt.ok()) return run_stmt.error();
  std::string columns = "run_id, scenario_id, scenario_file, status, error, score";
  std::string marks = "?, ?, ?, ?, ?, ?";
  for (const std::string& m : metrics) {
    columns += ", \"" + m + "\"";
    marks += ", ?";
  }
  columns += ", state_hash, steps, sim_seconds, wall_ms";
  marks += ", ?, ?, ?, ?";
  Result<sqlite::Stmt> row_stmt = sqlite::Stmt::Prepare(
      *db, "INSERT INTO results (" + columns + ") VALUES (" + marks + ")", "inserting a result");
  if (!row_stmt.ok()) return row_stmt.error();
  Result<sqlite::Stmt> event_stmt = sqlite::Stmt::Prepare(
      *db,
      "INSERT INTO events (run_id, scenario_id, step, kind, agent_id, agent_type, detail, value) "
      "VALUES (?, ?, 42, 'collision', 'agent-7', 'vehicle', 'active_front, at fault', 9.5)",
      "inserting an event");
  if (!event_stmt.ok()) return event_stmt.error();
  Result<sqlite::Stmt> trace_stmt = sqlite::Stmt::Prepare(
      *db,
      "INSERT INTO traces (run_id, scenario_id, dt, start_step, num_steps, agent_meta, ego, agents, plans) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      "inserting a trace");
  if (!trace_stmt.ok()) return trace_stmt.error();

  std::vector<AgentMeta> agents;
  for (int i = 0; i < kTraceAgents; ++i) agents.push_back({fmt::format("agent-{}", i), "vehicle", 4.5, 1.8});
  Result<EncodedTrace> trace = EncodeTrace(SyntheticTrace(), kDt, 0, agents);
  if (!trace.ok()) return trace.error();
  if (o.traced > 0) std::filesystem::create_directories(o.files_dir);

  const std::string suite(64, 'a');
  for (int r = 1; r <= o.runs; ++r) {
    sqlite::Stmt& s = *run_stmt;
    s.Reset();
    TARMAC_TRY(s.BindInt(1, r));
    TARMAC_TRY(s.BindText(2, fmt::format("nightly-{:03d}", r)));
    TARMAC_TRY(s.BindText(3, r % 2 == 1 ? "pdm" : "idm"));
    TARMAC_TRY(s.BindText(4, fmt::format("{:064x}", r)));
    TARMAC_TRY(s.BindText(5, suite));
    TARMAC_TRY(s.BindInt(6, o.scenarios));
    const int day = (r - 1) % 28 + 1, month = (r - 1) / 28 + 1;
    TARMAC_TRY(s.BindText(7, fmt::format("2025-{:02d}-{:02d}T02:00:00Z", month, day)));
    TARMAC_TRY(s.BindText(8, fmt::format("2025-{:02d}-{:02d}T03:00:00Z", month, day)));
    TARMAC_TRY(s.Run());
    for (int sc = 0; sc < o.scenarios; ++sc) {
      const std::string id = SyntheticScenarioId(sc);
      const bool traced = r == o.runs && sc >= o.scenarios - o.traced;
      const bool failed = SyntheticFailed(r, sc);
      std::string file = (o.files_dir / "moved" / (id + ".pb")).string();
      if (traced) {
        file = (o.files_dir / (id + ".pb")).string();
        TARMAC_TRY(WriteScenario(SyntheticScenario(id), file));
      }
      sqlite::Stmt& q = *row_stmt;
      q.Reset();
      int c = 1;
      TARMAC_TRY(q.BindInt(c++, r));
      TARMAC_TRY(q.BindText(c++, id));
      TARMAC_TRY(q.BindText(c++, file));
      TARMAC_TRY(q.BindText(c++, failed ? "failed" : "ok"));
      TARMAC_TRY(q.BindText(c++, failed ? "synthetic failure" : ""));
      if (failed) {
        TARMAC_TRY(q.BindNull(c++));
      } else {
        TARMAC_TRY(q.BindReal(c++, SyntheticScore(r, sc)));
      }
      for (size_t k = 0; k < metrics.size(); ++k) {
        const int ki = static_cast<int>(k);
        if (failed) {
          TARMAC_TRY(q.BindNull(c++));
        } else if (metrics[k] == "at_fault_collisions" || metrics[k] == "collisions") {
          TARMAC_TRY(q.BindReal(c++, SyntheticAtFault(r, sc) ? 1.0 : 0.0));
        } else if (metrics[k] == "no_at_fault_collisions") {
          TARMAC_TRY(q.BindReal(c++, SyntheticAtFault(r, sc) ? 0.0 : 1.0));
        } else if (SyntheticMetricIsNull(sc, metrics[k])) {
          TARMAC_TRY(q.BindNull(c++));
        } else {
          TARMAC_TRY(q.BindReal(c++, SyntheticMetric(r, sc, ki)));
        }
      }
      TARMAC_TRY(q.BindText(c++, fmt::format("{:016x}", static_cast<uint64_t>(r) * 1000003u + static_cast<uint64_t>(sc))));
      TARMAC_TRY(q.BindInt(c++, traced ? kTraceSteps - 1 : 200));
      TARMAC_TRY(q.BindReal(c++, 20.0));
      TARMAC_TRY(q.BindReal(c++, 3.0));
      TARMAC_TRY(q.Run());
      if (SyntheticAtFault(r, sc)) {
        event_stmt->Reset();
        TARMAC_TRY(event_stmt->BindInt(1, r));
        TARMAC_TRY(event_stmt->BindText(2, id));
        TARMAC_TRY(event_stmt->Run());
      }
      if (traced && !failed) {
        sqlite::Stmt& t = *trace_stmt;
        t.Reset();
        TARMAC_TRY(t.BindInt(1, r));
        TARMAC_TRY(t.BindText(2, id));
        TARMAC_TRY(t.BindReal(3, trace->dt));
        TARMAC_TRY(t.BindInt(4, trace->start_step));
        TARMAC_TRY(t.BindInt(5, trace->num_steps));
        TARMAC_TRY(t.BindText(6, trace->agent_meta));
        TARMAC_TRY(t.BindBlob(7, trace->ego));
        TARMAC_TRY(t.BindBlob(8, trace->agents));
        TARMAC_TRY(t.BindBlob(9, trace->plans));
        TARMAC_TRY(t.Run());
      }
    }
  }
  return db->Exec("COMMIT", "committing the synthetic store");
}

}  // namespace tarmac::testing
