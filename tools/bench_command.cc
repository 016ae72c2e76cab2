#include "tools/bench_command.h"

#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "agents/idm_agents.h"
#include "agents/log_agents.h"
#include "policies/features/feature_builder.h"
#include "policies/log_planner.h"
#include "policies/registry.h"
#include "sim/thread_pool.h"
#include "scenarios/import/gpudrive_json.h"
#include "scenarios/import/tfrecord.h"
#include "scenarios/import/womd.h"
#include "scenarios/map/map_index.h"
#include "scenarios/scenario_io.h"
#include "sim/runner.h"
#include "tools/cli_util.h"

namespace tarmac {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchOptions {
  std::vector<std::string> files;
  bool json = false;
  double min_time_s = 0.5;  // per measurement
};

// Runs `fn` repeatedly until at least `min_time_s` passed; returns seconds per
// call. Benchmarks are the only place tarmac reads a clock.
template <typename Fn>
double TimePerCall(double min_time_s, Fn&& fn) {
  fn();  // warm-up
  long long calls = 0;
  const Clock::time_point start = Clock::now();
  double elapsed = 0.0;
  do {
    fn();
    ++calls;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < min_time_s);
  return elapsed / static_cast<double>(calls);
}

std::vector<std::filesystem::path> BenchInputs(const std::vector<std::string>& files) {
  std::vector<std::string> args = files;
  if (args.empty()) {
    args.push_back(DefaultSuiteDir().string());
    const std::filesystem::path shared = SharedDataDir();
    if (!shared.empty()) args.push_back(shared.string());
  }
  std::vector<std::string> missing;
  std::vector<std::filesystem::path> out = ExpandScenarioPaths(args, &missing);
  for (const std::string& m : missing) fmt::print(stderr, "{}: no such file or directory\n", m);
  return out;
}

struct FormatGroup {
  std::vector<std::string> names;
  std::vector<std::string> bytes;      // source files
  std::vector<std::string> pb_bytes;   // the same scenarios as tarmac binary
  size_t total = 0, pb_total = 0;
  int scenarios = 0;
};

int RunBenchImport(const BenchOptions& o) {
  std::map<std::string, FormatGroup> groups;  // ordered by format name
  for (const std::filesystem::path& file : BenchInputs(o.files)) {
    Result<std::string> bytes = ReadFileBytes(file);
    if (!bytes.ok()) continue;
    const Format format = DetectFormat(file, std::string_view(*bytes).substr(0, 4096));
    Result<std::vector<v1::Scenario>> parsed = ParseScenarios(*bytes, file.string(), format);
    if (!parsed.ok()) {
      fmt::print(stderr, "skipping {}\n", parsed.error().message);
      continue;
    }
    FormatGroup& g = groups[std::string(FormatName(format))];
    g.names.push_back(file.string());
    g.total += bytes->size();
    g.bytes.push_back(std::move(*bytes));
    for (const v1::Scenario& s : *parsed) {
      g.pb_bytes.push_back(SerializeBinary(s));
      g.pb_total += g.pb_bytes.back().size();
      ++g.scenarios;
    }
  }
  if (groups.empty()) {
    fmt::print(stderr, "tarmac bench import: no readable scenario files\n");
    return kExitInputError;
  }
  // No WOMD or GPUDrive file may be shared: when none is among the inputs,
  // write the CommonRoad scenarios in those formats (in memory) and time
  // their import too.
  std::vector<v1::Scenario> converted;
  if (auto it = groups.find("commonroad-xml"); it != groups.end()) {
    for (const std::string& pb : it->second.pb_bytes) {
      Result<std::vector<v1::Scenario>> r = ParseScenarios(pb, "bench.pb", Format::kTarmacBinary);
      if (r.ok()) converted.push_back(std::move(r->front()));
    }
  }
  auto add_converted = [&](const std::string& name, const std::string& bytes, const v1::Scenario& s) {
    FormatGroup& g = groups[name];
    g.names.push_back("converted:" + s.id());
    g.total += bytes.size();
    g.bytes.push_back(bytes);
    g.pb_bytes.push_back(SerializeBinary(s));
    g.pb_total += g.pb_bytes.back().size();
    ++g.scenarios;
  };
  if (groups.count("womd-tfrecord") == 0) {
    for (const v1::Scenario& s : converted) {
      Result<std::string> bytes = ExportWomdBytes(s);
      if (!bytes.ok()) continue;
      std::string framed;
      AppendTfRecord(*bytes, &framed);
      add_converted("womd-tfrecord", framed, s);
    }
  }
  if (groups.count("gpudrive-json") == 0) {
    for (const v1::Scenario& s : converted) {
      Result<std::string> json = WriteGpuDriveJson(s);
      if (json.ok()) add_converted("gpudrive-json", *json, s);
    }
  }
  nlohmann::json results = nlohmann::json::array();
  if (!o.json) {
    fmt::print("{:<20} {:>6} {:>10} {:>10} {:>12} {:>14} {:>10}\n", "format", "files", "MB",
               "MB/s", "scenarios/s", "pb-parse MB/s", "ratio");
  }
  for (const auto& [name, g] : groups) {
    const Format format = *FormatFromName(name);
    const double t_import = TimePerCall(o.min_time_s, [&] {
      for (size_t i = 0; i < g.bytes.size(); ++i) {
        Result<std::vector<v1::Scenario>> r = ParseScenarios(g.bytes[i], g.names[i], format);
        TARMAC_CHECK(r.ok());
      }
    });
    // Baseline, same run: parsing the same scenarios from tarmac's own binary
    // encoding (protobuf), the cheapest way to obtain them.
    const double t_pb = TimePerCall(o.min_time_s, [&] {
      for (const std::string& b : g.pb_bytes) {
        Result<std::vector<v1::Scenario>> r = ParseScenarios(b, "bench.pb", Format::kTarmacBinary);
        TARMAC_CHECK(r.ok());
      }
    });
    const double mb = static_cast<double>(g.total) / 1e6;
    const double mbps = mb / t_import;
    const double pb_mbps = static_cast<double>(g.pb_total) / 1e6 / t_pb;
    const double ratio = t_pb / t_import;  // import speed as a fraction of the pb parse speed
    results.push_back({{"format", name},
                       {"files", g.bytes.size()},
                       {"scenarios", g.scenarios},
                       {"bytes", g.total},
                       {"mb_per_s", mbps},
                       {"scenarios_per_s", g.scenarios / t_import},
                       {"baseline_pb_parse_mb_per_s", pb_mbps},
                       {"speed_vs_pb_parse", ratio}});
    if (!o.json) {
      fmt::print("{:<20} {:>6} {:>10.2f} {:>10.1f} {:>12.1f} {:>14.1f} {:>10.3f}\n", name,
                 g.bytes.size(), mb, mbps, g.scenarios / t_import, pb_mbps, ratio);
    }
  }
  if (o.json) {
    std::cout << nlohmann::json{{"bench", "import"}, {"importers", results}}.dump(2) << "\n";
  } else {
    fmt::print("ratio = time to parse the same scenarios from .pb / time to import them\n");
    fmt::print("womd-tfrecord and gpudrive-json: the CommonRoad inputs written in those formats\n");
  }
  return kExitOk;
}

int RunBenchMap(const BenchOptions& o) {
  std::vector<v1::Scenario> scenarios;
  for (const std::filesystem::path& file : BenchInputs(o.files)) {
    Result<std::vector<v1::Scenario>> r = ReadScenarios(file);
    if (!r.ok()) continue;
    for (v1::Scenario& s : *r) {
      if (s.map().lanes_size() > 0) scenarios.push_back(std::move(s));
    }
  }
  if (scenarios.empty()) {
    fmt::print(stderr, "tarmac bench map: no scenario with lanes\n");
    return kExitInputError;
  }
  struct Query {
    double x, y, heading;
  };
  double build_s = 0.0, project_s = 0.0, heading_s = 0.0, brute_s = 0.0;
  long long queries = 0, lanes = 0, segments = 0;
  for (const v1::Scenario& s : scenarios) {
    std::vector<Query> q;
    for (const v1::Track& t : s.tracks()) {
      for (int k = 0; k < t.valid_size(); ++k) {
        if (t.valid(k)) q.push_back({t.x(k), t.y(k), t.heading(k)});
      }
    }
    if (q.empty()) continue;
    const double min_time = o.min_time_s / static_cast<double>(scenarios.size());
    build_s += TimePerCall(min_time, [&] { MapIndex index(s.map()); });
    const MapIndex index(s.map());
    lanes += index.num_lanes();
    segments += index.num_segments();
    double sink = 0.0;
    project_s += TimePerCall(min_time, [&] {
      for (const Query& p : q) sink += index.Project(p.x, p.y).s;
    }) / static_cast<double>(q.size());
    heading_s += TimePerCall(min_time, [&] {
      for (const Query& p : q) sink += index.ProjectWithHeading(p.x, p.y, p.heading).s;
    }) / static_cast<double>(q.size());
    // Baseline, same run: the nearest lane by scanning every centreline.
    const size_t stride = std::max<size_t>(1, q.size() / 200);
    size_t nb = 0;
    const double t_brute = TimePerCall(min_time, [&] {
      nb = 0;
      for (size_t i = 0; i < q.size(); i += stride, ++nb) {
        double best = 1e300;
        for (LaneIdx l = 0; l < index.num_lanes(); ++l) {
          best = std::min(best, index.Centerline(l).Project(q[i].x, q[i].y).distance);
        }
        sink += best;
      }
    });
    brute_s += t_brute / static_cast<double>(nb);
    queries += static_cast<long long>(q.size());
    if (sink == 42.0) fmt::print(" ");  // keep the work observable
  }
  const double n = static_cast<double>(scenarios.size());
  const nlohmann::json out = {{"bench", "map"},
                              {"scenarios", scenarios.size()},
                              {"queries_per_scenario", static_cast<double>(queries) / n},
                              {"mean_lanes", static_cast<double>(lanes) / n},
                              {"mean_segments", static_cast<double>(segments) / n},
                              {"build_ms", 1e3 * build_s / n},
                              {"project_ns", 1e9 * project_s / n},
                              {"project_with_heading_ns", 1e9 * heading_s / n},
                              {"baseline_brute_force_ns", 1e9 * brute_s / n},
                              {"speedup_vs_brute_force", brute_s / project_s}};
  if (o.json) {
    std::cout << out.dump(2) << "\n";
  } else {
    fmt::print("map index over {} scenarios ({:.0f} lanes, {:.0f} segments on average)\n",
               scenarios.size(), static_cast<double>(lanes) / n, static_cast<double>(segments) / n);
    fmt::print("  build                   {:8.3f} ms\n", 1e3 * build_s / n);
    fmt::print("  Project                 {:8.1f} ns/query\n", 1e9 * project_s / n);
    fmt::print("  ProjectWithHeading      {:8.1f} ns/query\n", 1e9 * heading_s / n);
    fmt::print("  brute force (baseline)  {:8.1f} ns/query   -> grid is {:.0f}x faster\n",
               1e9 * brute_s / n, brute_s / project_s);
  }
  return kExitOk;
}

// Loads every readable scenario of the inputs as simulator models.
std::vector<std::shared_ptr<const ScenarioModel>> BenchModels(const std::vector<std::string>& files) {
  std::vector<std::shared_ptr<const ScenarioModel>> models;
  for (const std::filesystem::path& file : BenchInputs(files)) {
    Result<std::vector<v1::Scenario>> r = ReadScenarios(file);
    if (!r.ok()) continue;
    for (v1::Scenario& s : *r) {
      Result<std::shared_ptr<const ScenarioModel>> m = ScenarioModel::Build(std::move(s));
      if (m.ok()) models.push_back(std::move(*m));
    }
  }
  return models;
}

struct Throughput {
  double agent_steps_per_s = 0.0;
  double steps_per_s = 0.0;  // scenario-steps (ticks) per second
  long long agent_steps = 0;
};

// Runs all models through the runner repeatedly for at least min_time, single thread.
Throughput MeasureRollouts(const std::vector<std::shared_ptr<const ScenarioModel>>& models, Planner* planner,
                           const AgentModel& agents, const SimConfig& config, double min_time) {
  Throughput t;
  long long agent_steps = 0, steps = 0;
  const double per_call = TimePerCall(min_time, [&] {
    agent_steps = 0;
    steps = 0;
    for (const RolloutResult& r : RunRollouts(models, planner, agents, config, nullptr)) {
      TARMAC_CHECK(r.ok);
      agent_steps += r.agent_steps;
      steps += r.steps + 1;
    }
  });
  t.agent_steps = agent_steps;
  t.agent_steps_per_s = static_cast<double>(agent_steps) / per_call;
  t.steps_per_s = static_cast<double>(steps) / per_call;
  return t;
}

int RunBenchSim(const BenchOptions& o) {
  const std::vector<std::shared_ptr<const ScenarioModel>> all = BenchModels(o.files);
  std::vector<std::shared_ptr<const ScenarioModel>> logged;
  for (const auto& m : all) {
    if (m->has_ego_log()) logged.push_back(m);
  }
  if (logged.empty()) {
    fmt::print(stderr, "tarmac bench sim: no scenario with a logged ego among the inputs "
                       "(the workloads replay or track the logged ego)\n");
    return kExitInputError;
  }
  double agents_sum = 0.0;
  for (const auto& m : logged) agents_sum += m->num_agents();
  SimConfig config;
  config.record_agents = false;
  config.record_plans = false;
  // Baseline, same run: copying every agent's logged state, nothing else.
  SimState scratch;
  long long copied = 0;
  const LogAgents log_agents;
  const double t_copy = TimePerCall(o.min_time_s, [&] {
    copied = 0;
    for (const auto& m : logged) {
      scratch.Reset(*m);
      log_agents.Reset(*m, &scratch);
      for (int t = m->start_step(); t + 1 < m->end_step(); ++t) {
        log_agents.Step(*m, &scratch);
        scratch.step = t + 1;
        for (AgentStatus a : scratch.status) copied += a == AgentStatus::kActive ? 1 : 0;
      }
    }
  });
  const double copy_rate = static_cast<double>(copied) / t_copy;
  // replay: every agent and the ego replayed, with every per-step signal
  // (ego-agent collisions, drivable area, lane, route progress, gaps) and the hash.
  SimConfig replay = config;
  replay.replay_ego = true;
  const Throughput r = MeasureRollouts(logged, nullptr, log_agents, replay, o.min_time_s);
  // reactive: IDM agents, the ego following its log through the tracker.
  LogPlanner planner;
  const IdmAgents idm;
  const Throughput q = MeasureRollouts(logged, &planner, idm, config, o.min_time_s);
  const nlohmann::json out = {
      {"bench", "sim"},
      {"scenarios", logged.size()},
      {"mean_agents", agents_sum / static_cast<double>(logged.size())},
      {"threads", 1},
      {"workloads",
       {{{"name", "replay"}, {"agent_steps_per_s", r.agent_steps_per_s}, {"steps_per_s", r.steps_per_s},
         {"vs_baseline_copy", r.agent_steps_per_s / copy_rate}},
        {{"name", "reactive"}, {"agent_steps_per_s", q.agent_steps_per_s}, {"steps_per_s", q.steps_per_s},
         {"vs_baseline_copy", q.agent_steps_per_s / copy_rate}},
        {{"name", "baseline_copy"}, {"agent_steps_per_s", copy_rate}}}}};
  if (o.json) {
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  fmt::print("{} scenarios with a logged ego, {:.0f} agents on average, 1 thread\n", logged.size(),
             agents_sum / static_cast<double>(logged.size()));
  fmt::print("  {:<10} {:>14} {:>12} {:>18}\n", "workload", "agent-steps/s", "ticks/s", "vs copying the log");
  fmt::print("  {:<10} {:>14.3g} {:>12.0f} {:>18.3f}\n", "replay", r.agent_steps_per_s, r.steps_per_s,
             r.agent_steps_per_s / copy_rate);
  fmt::print("  {:<10} {:>14.3g} {:>12.0f} {:>18.3f}\n", "reactive", q.agent_steps_per_s, q.steps_per_s,
             q.agent_steps_per_s / copy_rate);
  fmt::print("  {:<10} {:>14.3g}\n", "copy (baseline)", copy_rate);
  return kExitOk;
}

// One closed-loop pass over a scenario: every agent replays its log, the
// logged ego (if any) too, the state history is recorded each tick; with
// `features`, the ego's observation is built every tick as a learned planner
// would. Returns the number of ticks.
long long ReplayWithFeatures(const ScenarioModel& m, bool features, FeatureBuilder* builder,
                             StateHistory* history, SimState* st, std::span<float> buffer) {
  const LogAgents log;
  st->Reset(m);
  log.Reset(m, st);
  history->Reset(m);
  long long ticks = 0;
  while (true) {
    history->Push(m, *st);
    if (features) TARMAC_CHECK(builder->BuildObservation(m, *st, kEgoActor, history, {buffer}).ok());
    ++ticks;
    if (st->step + 1 >= m.end_step()) break;
    log.Step(m, st);
    ++st->step;
    if (m.has_ego_log()) {
      const v1::Track& t = m.scenario().tracks(m.ego_track_index());
      const int k = st->step;
      if (t.valid(k)) {
        const double v = t.vx(k) * std::cos(t.heading(k)) + t.vy(k) * std::sin(t.heading(k));
        st->ego = EgoStateFromCenter(t.x(k), t.y(k), t.heading(k), v, m.ego_vehicle());
      }
    }
  }
  return ticks;
}

struct FeatureFigures {
  long long ticks = 0;
  double us_per_observation = 0.0;   // features only: (with - without) / ticks
  double ticks_per_s = 0.0;          // with features
  double baseline_ticks_per_s = 0.0; // replay + history without features
  double worst_scene_us = 0.0;       // the slowest scene's mean per observation
  std::string worst_scene;
  double samples_per_s = 0.0;        // training samples (every vehicle, every 10th step)
};

FeatureFigures MeasureFeatures(const std::vector<std::shared_ptr<const ScenarioModel>>& models, double min_time) {
  FeatureFigures f;
  FeatureBuilder builder;
  StateHistory history;
  SimState st;
  std::vector<float> buffer(model_io::kObservationFloats);
  const double per_model = min_time / static_cast<double>(models.size());
  double with_s = 0.0, without_s = 0.0;
  for (const auto& m : models) {
    long long ticks = 0;
    const double t_with =
        TimePerCall(per_model, [&] { ticks = ReplayWithFeatures(*m, true, &builder, &history, &st, buffer); });
    // Baseline, same run: the same replay and history without features.
    const double t_without =
        TimePerCall(per_model, [&] { ReplayWithFeatures(*m, false, &builder, &history, &st, buffer); });
    with_s += t_with;
    without_s += t_without;
    f.ticks += ticks;
    const double us = 1e6 * (t_with - t_without) / static_cast<double>(ticks);
    if (us > f.worst_scene_us) {
      f.worst_scene_us = us;
      f.worst_scene = m->id();
    }
  }
  const double ticks = static_cast<double>(f.ticks);
  f.us_per_observation = 1e6 * (with_s - without_s) / ticks;
  f.ticks_per_s = ticks / with_s;
  f.baseline_ticks_per_s = ticks / without_s;
  // Training samples: every vehicle valid at every 10th step, from the log.
  std::vector<float> target(model_io::kTargetFloats);
  std::vector<int> tracks;
  long long samples = 0;
  const double t_samples = TimePerCall(min_time, [&] {
    samples = 0;
    for (const auto& m : models) {
      for (int step = m->start_step(); step < m->end_step(); step += 10) {
        FeatureBuilder::TrainingTracks(*m, step, &tracks);
        for (int track : tracks) {
          TARMAC_CHECK(builder.BuildTrainingSample(*m, step, track, {buffer}, {target}).ok());
          ++samples;
        }
      }
    }
  });
  f.samples_per_s = static_cast<double>(samples) / t_samples;
  return f;
}

int RunBenchFeatures(const BenchOptions& o) {
  const std::vector<std::shared_ptr<const ScenarioModel>> all = BenchModels(o.files);
  if (all.empty()) {
    fmt::print(stderr, "tarmac bench features: no readable scenario among the inputs\n");
    return kExitInputError;
  }
  // One group per dataset (ordered by name), then all of them.
  std::map<std::string, std::vector<std::shared_ptr<const ScenarioModel>>> by_dataset;
  for (const auto& m : all) {
    const std::string& d = m->scenario().provenance().dataset();
    by_dataset[d.empty() ? "unknown" : d].push_back(m);
  }
  std::vector<std::pair<std::string, const std::vector<std::shared_ptr<const ScenarioModel>>*>> order;
  for (const auto& [name, models] : by_dataset) order.emplace_back(name, &models);
  if (by_dataset.size() > 1) order.emplace_back("all", &all);
  nlohmann::json groups = nlohmann::json::array();
  if (!o.json) {
    fmt::print("model contract v{}: observation of {} floats, built for the ego every tick, 1 thread\n",
               model_io::kContractVersion, model_io::kObservationFloats);
    fmt::print("  {:<26} {:>5} {:>7} {:>10} {:>9} {:>14} {:>10}  {}\n", "dataset", "count", "ticks",
               "us/observe", "ticks/s", "vs replay only", "samples/s", "slowest scene [us/observe]");
  }
  for (const auto& [name, models] : order) {
    const FeatureFigures f = MeasureFeatures(*models, o.min_time_s);
    groups.push_back({{"dataset", name},
                      {"count", models->size()},
                      {"ticks", f.ticks},
                      {"us_per_observation", f.us_per_observation},
                      {"ticks_per_s", f.ticks_per_s},
                      {"baseline_replay_ticks_per_s", f.baseline_ticks_per_s},
                      {"speed_vs_replay_only", f.ticks_per_s / f.baseline_ticks_per_s},
                      {"training_samples_per_s", f.samples_per_s},
                      {"slowest_scene", f.worst_scene},
                      {"slowest_scene_us_per_observation", f.worst_scene_us}});
    if (!o.json) {
      fmt::print("  {:<26} {:>5} {:>7} {:>10.1f} {:>9.0f} {:>14.3f} {:>10.0f}  {:.1f} ({})\n", name,
                 models->size(), f.ticks, f.us_per_observation, f.ticks_per_s, f.ticks_per_s / f.baseline_ticks_per_s,
                 f.samples_per_s, f.worst_scene_us, f.worst_scene);
    }
  }
  if (o.json) {
    std::cout << nlohmann::json{{"bench", "features"},
                                {"contract_version", model_io::kContractVersion},
                                {"observation_floats", model_io::kObservationFloats},
                                {"threads", 1},
                                {"groups", groups}}
                     .dump(2)
              << "\n";
  } else {
    fmt::print("us/observe = (replay with features - replay only) / ticks; target <= 50 us per scenario-tick\n");
  }
  return kExitOk;
}

// ---- bench planner --------------------------------------------------------------

struct BenchPlannerOptions {
  BenchOptions common;
  std::string planner;
  int threads = 1;
  double plan_cost_weight = 0.0;  // learned planners: choose among candidates by plan cost (0: off)
  std::string device = "cpu";
  int loop_batch = 16;
};

// The start state (log agents) and a one-state history of every model.
struct StartState {
  SimState state;
  StateHistory history;
};

int RunBenchPlanner(const BenchPlannerOptions& o) {
  const std::vector<std::shared_ptr<const ScenarioModel>> models = BenchModels(o.common.files);
  if (models.empty()) {
    fmt::print(stderr, "tarmac bench planner: no readable scenario among the inputs\n");
    return kExitInputError;
  }
  if (o.threads < 1 || o.loop_batch < 1) {
    fmt::print(stderr, "tarmac bench planner: --threads and --loop-batch must be at least 1\n");
    return kExitInputError;
  }
  Result<std::unique_ptr<Planner>> planner = MakePlanner(ResolvePlannerName(o.planner), {o.threads, o.device, 0, o.plan_cost_weight});
  if (!planner.ok()) {
    fmt::print(stderr, "tarmac bench planner: {}\n", planner.error().message);
    return kExitInputError;
  }
  ThreadPool pool(o.threads);
  LogAgents log_agents;
  std::vector<StartState> starts(models.size());
  for (size_t i = 0; i < models.size(); ++i) {
    starts[i].state.Reset(*models[i]);
    log_agents.Reset(*models[i], &starts[i].state);
    starts[i].history.Reset(*models[i]);
    starts[i].history.Push(*models[i], starts[i].state);
  }
  // 1. One tick at batch B (scenarios cycled when fewer than B): the
  // planner's Plan() against building the same B observations alone (split
  // over the pool the same way), so the rest is the model and decoding.
  nlohmann::json ticks = nlohmann::json::array();
  std::vector<FeatureBuilder> builders(static_cast<size_t>(pool.size()));
  std::vector<float> buffer;
  for (int b : {1, 16, 64}) {
    std::vector<PlanRequest> requests;
    for (int i = 0; i < b; ++i) {
      const size_t k = static_cast<size_t>(i) % models.size();
      requests.push_back({models[k].get(), &starts[k].state, kEgoActor,
                          (*planner)->wants_history() ? &starts[k].history : nullptr});
    }
    std::vector<Trajectory> plans(static_cast<size_t>(b));
    std::vector<std::string> errors(static_cast<size_t>(b));
    const double t_plan = TimePerCall(o.common.min_time_s, [&] {
      for (std::string& e : errors) e.clear();
      (*planner)->Plan(requests, plans, errors, &pool);
    });
    for (const std::string& e : errors) {
      if (!e.empty()) {
        fmt::print(stderr, "tarmac bench planner: {}\n", e);
        return kExitInputError;
      }
    }
    buffer.resize(static_cast<size_t>(b) * model_io::kObservationFloats);
    const int chunks = std::min(b, pool.size());
    const double t_features = TimePerCall(o.common.min_time_s, [&] {
      ParallelFor(&pool, chunks, [&](int c) {
        for (int i = c * b / chunks; i < (c + 1) * b / chunks; ++i) {
          const PlanRequest& r = requests[static_cast<size_t>(i)];
          std::span<float> row(buffer.data() + static_cast<size_t>(i) * model_io::kObservationFloats,
                               model_io::kObservationFloats);
          TARMAC_CHECK(builders[static_cast<size_t>(c)].BuildObservation(*r.model, *r.state, r.actor, r.history, {row}).ok());
        }
      });
    });
    ticks.push_back({{"batch", b},
                     {"ms_per_tick", 1e3 * t_plan},
                     {"ms_per_scenario_tick", 1e3 * t_plan / b},
                     {"features_ms_per_tick", 1e3 * t_features},
                     {"model_and_decode_share", std::max(0.0, 1.0 - t_features / t_plan)}});
  }
  // 2. Closed loop: every model with reactive agents at --loop-batch, once,
  // against the same loop with constant-velocity (the simulator's own cost).
  SimConfig config;
  config.batch = o.loop_batch;
  config.record_plans = false;
  IdmAgents idm;
  auto loop = [&](Planner* p, double* sim_s) {
    const Clock::time_point t0 = Clock::now();
    const std::vector<RolloutResult> results = RunRollouts(models, p, idm, config, &pool);
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    *sim_s = 0.0;
    for (const RolloutResult& r : results) *sim_s += r.sim_seconds;
    return wall;
  };
  double sim_s = 0.0, cv_sim_s = 0.0;
  const double wall = loop(planner->get(), &sim_s);
  Result<std::unique_ptr<Planner>> cv = MakePlanner("constant-velocity");
  const double cv_wall = loop(cv->get(), &cv_sim_s);
  const double loop_ticks = sim_s / model_io::kStepS;
  const double features_s = loop_ticks * ticks[1]["features_ms_per_tick"].get<double>() / 1e3 / 16.0;
  const nlohmann::json out = {
      {"bench", "planner"}, {"planner", o.planner}, {"threads", o.threads}, {"device", o.device},
      {"scenarios", models.size()}, {"ticks", ticks},
      {"closed_loop", {{"batch", o.loop_batch}, {"simulated_s", sim_s}, {"wall_s", wall},
                       {"real_time_factor", sim_s / wall}, {"constant_velocity_wall_s", cv_wall},
                       {"outside_model_share_estimate", std::min(1.0, (cv_wall + features_s) / wall)}}}};
  if (o.common.json) {
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  fmt::print("planner {} on {} scenarios, {} threads, {}\n", o.planner, models.size(), o.threads, o.device);
  fmt::print("  {:>5} {:>12} {:>18} {:>14} {:>12}\n", "batch", "ms/tick", "ms/scenario-tick", "features ms", "model share");
  for (const auto& t : ticks) {
    fmt::print("  {:>5} {:>12.3f} {:>18.3f} {:>14.3f} {:>12.2f}\n", t["batch"].get<int>(), t["ms_per_tick"].get<double>(),
               t["ms_per_scenario_tick"].get<double>(), t["features_ms_per_tick"].get<double>(),
               t["model_and_decode_share"].get<double>());
  }
  fmt::print("  closed loop (batch {}): {:.0f} simulated s in {:.2f} s: {:.1f}x real time; constant-velocity "
             "takes {:.2f} s; time outside the model ~ {:.0f} %\n",
             o.loop_batch, sim_s, wall, sim_s / wall, cv_wall,
             100.0 * out["closed_loop"]["outside_model_share_estimate"].get<double>());
  return kExitOk;
}

}  // namespace

void AddBenchCommand(CLI::App* app) {
  CLI::App* bench = app->add_subcommand("bench", "Measure throughput (figures as ratios to a baseline)");
  bench->require_subcommand(1);
  auto add = [bench](const char* name, const char* help, int (*run)(const BenchOptions&)) {
    auto o = std::make_shared<BenchOptions>();
    CLI::App* cmd = bench->add_subcommand(name, help);
    cmd->add_option("files", o->files,
                    "Scenario files or folders (default: the embedded suite and ../shared/data)");
    cmd->add_option("--scenarios", o->files, "Scenario files or folders (same as the positional files)");
    cmd->add_flag("--json", o->json, "Machine-readable output");
    cmd->add_option("--min-time", o->min_time_s, "Seconds per measurement");
    cmd->callback([o, run] { SetCommand([o, run] { return run(*o); }); });
  };
  add("import", "Importer throughput in MB/s per format, against parsing tarmac .pb", &RunBenchImport);
  add("map", "Map index: build time and projection queries, against brute force", &RunBenchMap);
  add("sim", "Simulator agent-steps/s: replay and reactive workloads, against copying the log", &RunBenchSim);
  add("features", "Model-contract feature builder: us per observation, against the replay alone", &RunBenchFeatures);
  auto p = std::make_shared<BenchPlannerOptions>();
  CLI::App* cmd = bench->add_subcommand(
      "planner", "A planner's per-tick latency at batch 1, 16, 64 and its closed-loop real-time factor");
  cmd->add_option("files", p->common.files, "Scenario files or folders (default: the embedded suite and ../shared/data)");
  cmd->add_option("--planner", p->planner, "Any planner name, e.g. transformer:CKPT")->required();
  cmd->add_option("--threads", p->threads, "Worker and torch threads")->capture_default_str();
  cmd->add_option("--device", p->device, "cpu or cuda")->capture_default_str();
  cmd->add_option("--plan-cost-weight", p->plan_cost_weight,
                  "Learned planners: drive the candidate (transformer mode, or one of 6 diffusion samples) with the "
                  "best log-probability - W * plan cost (off-lane, collision; docs/learned-planners.md); 0: off")
      ->capture_default_str();
  cmd->add_option("--loop-batch", p->loop_batch, "Scenarios in lock-step in the closed loop")->capture_default_str();
  cmd->add_flag("--json", p->common.json, "Machine-readable output");
  cmd->add_option("--min-time", p->common.min_time_s, "Seconds per latency measurement");
  cmd->callback([p] { SetCommand([p] { return RunBenchPlanner(*p); }); });
}

}  // namespace tarmac
