#include "tools/run_comparison.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <list>
#include <thread>
#include <utility>

namespace tarmac {

Result<RunResults> ReadRunResults(ResultsStore& store, int64_t run_id) {
  Result<RunInfo> info = store.GetRun(run_id);
  if (!info.ok()) return info.error();
  Result<std::vector<ResultRow>> rows = store.Results(run_id);
  if (!rows.ok()) return rows.error();
  RunResults out;
  out.db = store.path();
  out.info = std::move(*info);
  out.label = fmt::format("run {} '{}' ({}, agents {}) in {}", out.info.id, out.info.name, out.info.planner,
                          out.info.agents, out.db);
  for (ResultRow& r : *rows) out.rows.emplace(r.scenario_id, std::move(r));
  return out;
}

Result<LoadedRun> LoadRunRef(const std::string& ref, const std::string& default_db) {
  std::string db = default_db, run = ref;
  if (const size_t colon = ref.rfind(':'); colon != std::string::npos) {
    db = ref.substr(0, colon);
    run = ref.substr(colon + 1);
  }
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(db, /*read_only=*/true);
  if (!store.ok()) return store.error();
  Result<std::vector<RunInfo>> runs = (*store)->ListRuns();
  if (!runs.ok()) return runs.error();
  const RunInfo* found = nullptr;
  const bool numeric =
      !run.empty() && std::all_of(run.begin(), run.end(), [](char c) { return c >= '0' && c <= '9'; });
  for (const RunInfo& r : *runs) {
    if ((numeric && std::to_string(r.id) == run) || (!numeric && r.name == run)) found = &r;  // latest wins
  }
  if (found == nullptr) return Error{fmt::format("{}: no run '{}' (has {} runs)", db, run, runs->size())};
  Result<RunResults> results = ReadRunResults(**store, found->id);
  if (!results.ok()) return results.error();
  results->db = db;
  results->label = fmt::format("run {} '{}' ({}, agents {}) in {}", found->id, found->name, found->planner,
                               found->agents, db);
  LoadedRun out;
  out.run = std::move(*results);
  out.store = std::move(*store);
  return out;
}

const std::vector<std::string>& ComparedMetrics() {
  static const std::vector<std::string> metrics = {
      "score", "no_at_fault_collisions", "drivable_area_compliance", "driving_direction_compliance",
      "making_progress", "progress", "ttc_within_bound", "speed_limit_compliance", "comfortable",
      "goal_reached", "at_fault_collisions", "collisions", "red_light_violations", "ade", "min_distance"};
  return metrics;
}

bool LowerIsBetter(std::string_view metric) {
  return metric == "at_fault_collisions" || metric == "collisions" || metric == "red_light_violations" ||
         metric == "ade" || metric == "fde";
}

const char* Direction(const MetricComparison& m) {
  const bool up = m.d.ci_low > 0.0, down = m.d.ci_high < 0.0;
  if (!up && !down) return "";
  return up != LowerIsBetter(m.metric) ? "better" : "worse";
}

std::optional<double> ComparedValue(const ResultRow& r, const std::string& metric) {
  if (metric == "score") return r.status == ScenarioStatus::kOk ? r.score.value_or(0.0) : 0.0;
  if (r.status != ScenarioStatus::kOk) return std::nullopt;
  return r.Metric(metric);
}

namespace {

std::string AtFaultDetail(ResultsStore* store, int64_t run, const std::string& scenario) {
  if (store == nullptr) return "";
  Result<std::vector<MetricEvent>> events = store->Events(run, scenario);
  if (!events.ok()) return "";
  for (const MetricEvent& e : *events) {
    if (e.kind == "collision" && e.detail.find("at fault") != std::string::npos &&
        e.detail.find("not at fault") == std::string::npos) {
      return fmt::format("at-fault collision at step {} with {} '{}' ({})", e.step, e.agent_type, e.agent_id,
                         e.detail);
    }
  }
  return "";
}

}  // namespace

namespace {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ULL;  // SplitMix64's increment

// SplitMix64's output function: Next() returns Mix(state += kGolden).
inline uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Metrics with the same number of pairs: they share one resampling stream.
struct Group {
  size_t n = 0;                      // pairs
  std::vector<size_t> members;       // column indices
  std::vector<double> diff;          // row-major [pair][member]
  std::vector<std::vector<double>> means;  // [member][resample]
};

// Resamples [r0, r1) of a group of W columns, from the stream position of
// Next() call `first_draw` (the draws of the resamples before, if none was
// rejected). Returns the number of rejected draws (Lemire's method; about
// n / 2^64 of them, so practically never). W is a template parameter so the
// sums stay in registers.
template <size_t W>
uint64_t ResampleChunk(Group* g, size_t r0, size_t r1, uint64_t seed, uint64_t first_draw) {
  __extension__ typedef unsigned __int128 Wide;
  const size_t n = g->n;
  const uint64_t threshold = (0 - static_cast<uint64_t>(n)) % n;
  const double* diff = g->diff.data();
  uint64_t state = seed + first_draw * kGolden;
  uint64_t rejected = 0;
  for (size_t r = r0; r < r1; ++r) {
    double sums[W] = {};
    for (size_t i = 0; i < n; ++i) {
      Wide m = static_cast<Wide>(Mix(state += kGolden)) * n;
      while (static_cast<uint64_t>(m) < threshold) {  // as SplitMix64::Below
        ++rejected;
        m = static_cast<Wide>(Mix(state += kGolden)) * n;
      }
      const double* row = diff + static_cast<size_t>(m >> 64) * W;
      for (size_t j = 0; j < W; ++j) sums[j] += row[j];
    }
    for (size_t j = 0; j < W; ++j) g->means[j][r] = sums[j] / static_cast<double>(n);
  }
  return rejected;
}

// The same for a narrow group, two resamples at a time: [r0, mid) and
// [mid, r1) each from its own stream position, so that two independent sums
// hide the latency of the additions. Stops at the first rejected draw and
// returns 1 (the caller then redoes the group in one sequential piece).
template <size_t W>
uint64_t ResampleChunkTwoChains(Group* g, size_t r0, size_t r1, uint64_t seed) {
  __extension__ typedef unsigned __int128 Wide;
  const size_t n = g->n;
  const uint64_t threshold = (0 - static_cast<uint64_t>(n)) % n;
  const double* diff = g->diff.data();
  const size_t half = (r1 - r0) / 2, mid = r0 + half;
  uint64_t a = seed + static_cast<uint64_t>(r0) * n * kGolden;
  uint64_t b = seed + static_cast<uint64_t>(mid) * n * kGolden;
  for (size_t k = 0; k < half; ++k) {
    double sa[W] = {}, sb[W] = {};
    for (size_t i = 0; i < n; ++i) {
      const Wide ma = static_cast<Wide>(Mix(a += kGolden)) * n;
      const Wide mb = static_cast<Wide>(Mix(b += kGolden)) * n;
      if (static_cast<uint64_t>(ma) < threshold || static_cast<uint64_t>(mb) < threshold) return 1;
      const double* ra = diff + static_cast<size_t>(ma >> 64) * W;
      const double* rb = diff + static_cast<size_t>(mb >> 64) * W;
      for (size_t j = 0; j < W; ++j) {
        sa[j] += ra[j];
        sb[j] += rb[j];
      }
    }
    for (size_t j = 0; j < W; ++j) {
      g->means[j][r0 + k] = sa[j] / static_cast<double>(n);
      g->means[j][mid + k] = sb[j] / static_cast<double>(n);
    }
  }
  // An odd count: the last resample continues the second stream.
  if (mid + half < r1) return ResampleChunk<W>(g, mid + half, r1, seed, static_cast<uint64_t>(mid + half) * n);
  return 0;
}

// Groups are at most this wide (wider ones are split); up to kTwoChains
// wide they use ResampleChunkTwoChains.
constexpr size_t kMaxWidth = 16;
constexpr size_t kTwoChains = 2;

template <size_t W>
uint64_t ResampleWidth(Group* g, size_t r0, size_t r1, uint64_t seed, bool sequential) {
  if (!sequential && W <= kTwoChains) return ResampleChunkTwoChains<W>(g, r0, r1, seed);
  return ResampleChunk<W>(g, r0, r1, seed, static_cast<uint64_t>(r0) * g->n);
}

using ResampleFn = uint64_t (*)(Group*, size_t, size_t, uint64_t, bool);

template <size_t... I>
constexpr std::array<ResampleFn, sizeof...(I)> ResampleTable(std::index_sequence<I...>) {
  return {&ResampleWidth<I + 1>...};
}

// Resamples [r0, r1) of a group, fast; `sequential`: in one exact pass from
// the start of the stream (r0 must be 0), whatever draws are rejected.
uint64_t Resample(Group* g, size_t r0, size_t r1, uint64_t seed, bool sequential = false) {
  static constexpr std::array<ResampleFn, kMaxWidth> kTable = ResampleTable(std::make_index_sequence<kMaxWidth>{});
  return kTable[g->members.size() - 1](g, r0, r1, seed, sequential);
}

// The quantile q of `values` by linear interpolation between order
// statistics, as BootstrapMeanDifference takes it from the sorted values;
// found by selection (reorders `values`).
double SelectQuantile(std::vector<double>* values, double q) {
  std::vector<double>& v = *values;
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const auto at = v.begin() + static_cast<std::ptrdiff_t>(lo);
  std::nth_element(v.begin(), at, v.end());
  const double low = *at;
  const double high = lo + 1 < v.size() ? *std::min_element(at + 1, v.end()) : low;
  return low + (pos - static_cast<double>(lo)) * (high - low);
}

}  // namespace

std::vector<PairedDifference> BootstrapMeanDifferences(std::span<const PairedColumn> columns, int resamples,
                                                       uint64_t seed, double level) {
  std::vector<PairedDifference> out(columns.size());
  const size_t num_means = static_cast<size_t>(std::max(resamples, 1));
  // Group the columns by their number of pairs.
  std::map<size_t, std::vector<size_t>> by_n;
  for (size_t k = 0; k < columns.size(); ++k) {
    const size_t n = std::min(columns[k].base.size(), columns[k].cand.size());
    out[k].n = static_cast<int>(n);
    if (n > 0) by_n[n].push_back(k);
  }
  std::list<Group> storage;
  std::vector<Group*> groups;
  for (const auto& [n, members] : by_n) {
    for (size_t first = 0; first < members.size(); first += kMaxWidth) {
      Group& g = storage.emplace_back();
      g.n = n;
      g.members.assign(members.begin() + static_cast<std::ptrdiff_t>(first),
                       members.begin() + static_cast<std::ptrdiff_t>(std::min(members.size(), first + kMaxWidth)));
      groups.push_back(&g);
    }
  }
  for (Group* gp : groups) {
    Group& g = *gp;
    const size_t n = g.n;
    const size_t width = g.members.size();
    g.diff.resize(n * width);
    for (size_t j = 0; j < width; ++j) {
      const PairedColumn& c = columns[g.members[j]];
      PairedDifference& d = out[g.members[j]];
      // The means exactly as BootstrapMeanDifference sums them.
      double sb = 0.0, sc = 0.0;
      for (size_t i = 0; i < n; ++i) {
        g.diff[i * width + j] = c.cand[i] - c.base[i];
        sb += c.base[i];
        sc += c.cand[i];
      }
      d.base_mean = sb / static_cast<double>(n);
      d.cand_mean = sc / static_cast<double>(n);
      double sd = 0.0;
      for (size_t i = 0; i < n; ++i) sd += g.diff[i * width + j];
      d.mean_diff = sd / static_cast<double>(n);
    }
    g.means.assign(width, std::vector<double>(num_means));
  }
  // The resamples in chunks, on every core: chunk c of a group starts at the
  // stream position it would reach sequentially (seed and draw count fix it).
  // A rejected draw shifts every later position; if one occurs anywhere but
  // in a group's last chunk, that group is redone in one piece.
  const size_t threads = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8);
  const size_t chunks = threads == 1 ? 1 : std::min(num_means, threads * 4);
  struct Task {
    Group* g;
    size_t c;
  };
  std::vector<Task> tasks;
  for (Group* g : groups) {
    for (size_t c = 0; c < chunks; ++c) tasks.push_back({g, c});
  }
  std::vector<uint64_t> rejected(tasks.size(), 0);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t t = next++; t < tasks.size(); t = next++) {
      Group* g = tasks[t].g;
      const size_t r0 = num_means * tasks[t].c / chunks, r1 = num_means * (tasks[t].c + 1) / chunks;
      rejected[t] = Resample(g, r0, r1, seed);
    }
  };
  std::vector<std::thread> team;
  for (size_t i = 1; i < std::min(threads, tasks.size()); ++i) team.emplace_back(work);
  work();
  for (std::thread& t : team) t.join();
  // A rejected draw anywhere in a group: redo it exactly, in one piece.
  for (size_t t = 0; t < tasks.size(); ++t) {
    if (rejected[t] > 0) {
      Resample(tasks[t].g, 0, num_means, seed, /*sequential=*/true);
      for (size_t u = t; u < tasks.size() && tasks[u].g == tasks[t].g; ++u) rejected[u] = 0;
    }
  }
  const double alpha = (1.0 - level) / 2.0;
  for (Group* g : groups) {
    for (size_t j = 0; j < g->members.size(); ++j) {
      out[g->members[j]].ci_low = SelectQuantile(&g->means[j], alpha);
      out[g->members[j]].ci_high = SelectQuantile(&g->means[j], 1.0 - alpha);
    }
  }
  return out;
}

Result<Comparison> CompareRuns(const RunResults& base, const RunResults& cand, ResultsStore* cand_store,
                               const ComparisonOptions& o) {
  Comparison c;
  for (const auto& [id, row] : base.rows) (cand.rows.count(id) ? c.common : c.only_base).push_back(id);
  for (const auto& [id, row] : cand.rows) {
    if (base.rows.count(id) == 0) c.only_cand.push_back(id);
  }
  if (c.common.empty()) return Error{"the runs have no scenario in common"};
  c.same_suite = base.info.suite_sha256 == cand.info.suite_sha256;
  // Paired statistics per metric.
  std::vector<PairedColumn> columns;
  std::vector<std::string> names;
  for (const std::string& name : ComparedMetrics()) {
    PairedColumn col;
    for (const std::string& id : c.common) {
      const std::optional<double> vb = ComparedValue(base.rows.at(id), name);
      const std::optional<double> vc = ComparedValue(cand.rows.at(id), name);
      if (vb && vc && std::isfinite(*vb) && std::isfinite(*vc)) {
        col.base.push_back(*vb);
        col.cand.push_back(*vc);
      }
    }
    if (col.base.empty()) continue;
    columns.push_back(std::move(col));
    names.push_back(name);
  }
  const std::vector<PairedDifference> diffs = BootstrapMeanDifferences(columns, o.resamples, o.seed, o.level);
  std::optional<PairedDifference> score_diff;
  for (size_t k = 0; k < names.size(); ++k) {
    if (names[k] == "score") score_diff = diffs[k];
    c.metrics.push_back({names[k], diffs[k]});
  }
  // Scenarios that got worse.
  for (const std::string& id : c.common) {
    const ResultRow& rb = base.rows.at(id);
    const ResultRow& rc = cand.rows.at(id);
    WorseScenario w;
    w.scenario = id;
    w.base_score = *ComparedValue(rb, "score");
    w.cand_score = *ComparedValue(rc, "score");
    w.newly_failed = rb.status == ScenarioStatus::kOk && rc.status != ScenarioStatus::kOk;
    w.new_at_fault = rc.Metric("at_fault_collisions").value_or(0.0) > 0.0 && rb.status == ScenarioStatus::kOk &&
                     rb.Metric("at_fault_collisions").value_or(0.0) == 0.0;
    if (!w.newly_failed && !w.new_at_fault && w.cand_score >= w.base_score) continue;
    if (w.newly_failed) {
      w.detail = "failed: " + rc.error;
    } else if (w.new_at_fault) {
      w.detail = AtFaultDetail(cand_store, cand.info.id, id);
    } else {
      // The metrics of the score that dropped.
      for (const char* name : {"no_at_fault_collisions", "drivable_area_compliance", "driving_direction_compliance",
                               "making_progress", "progress", "ttc_within_bound", "speed_limit_compliance",
                               "comfortable"}) {
        const std::optional<double> vb = rb.Metric(name), vc = rc.Metric(name);
        if (vb && vc && *vc < *vb) {
          w.detail += fmt::format("{}{} {:.2f} -> {:.2f}", w.detail.empty() ? "" : ", ", name, *vb, *vc);
        }
      }
    }
    c.worse.push_back(std::move(w));
  }
  std::stable_sort(c.worse.begin(), c.worse.end(), [](const WorseScenario& a, const WorseScenario& b) {
    const int ra = a.new_at_fault || a.newly_failed ? 0 : 1, rb = b.new_at_fault || b.newly_failed ? 0 : 1;
    if (ra != rb) return ra < rb;
    return a.cand_score - a.base_score < b.cand_score - b.base_score;
  });
  for (const WorseScenario& w : c.worse) {
    c.new_at_fault += w.new_at_fault ? 1 : 0;
    c.newly_failed += w.newly_failed ? 1 : 0;
  }
  const bool score_regressed = score_diff && score_diff->ci_high < 0.0;
  const bool strict_regressed = o.strict && (c.new_at_fault > 0 || c.newly_failed > 0);
  c.regression = score_regressed || strict_regressed;
  c.reason = "no regression";
  if (score_regressed) {
    c.reason = fmt::format("the score's {:.0f}% interval [{:+.4f}, {:+.4f}] lies below zero", 100 * o.level,
                           score_diff->ci_low, score_diff->ci_high);
  } else if (strict_regressed) {
    c.reason = fmt::format("--strict: {} new at-fault collision(s), {} newly failed scenario(s)", c.new_at_fault,
                           c.newly_failed);
  }
  return c;
}

nlohmann::json ComparisonJson(const RunResults& base, const RunResults& cand, const Comparison& c,
                              const ComparisonOptions& o) {
  nlohmann::json metrics = nlohmann::json::array();
  for (const MetricComparison& m : c.metrics) {
    metrics.push_back({{"metric", m.metric}, {"n", m.d.n}, {"base", m.d.base_mean}, {"cand", m.d.cand_mean},
                       {"diff", m.d.mean_diff}, {"ci_low", m.d.ci_low}, {"ci_high", m.d.ci_high},
                       {"lower_is_better", LowerIsBetter(m.metric)}, {"direction", Direction(m)}});
  }
  nlohmann::json worse = nlohmann::json::array();
  for (const WorseScenario& w : c.worse) {
    worse.push_back({{"scenario", w.scenario}, {"base_score", w.base_score}, {"cand_score", w.cand_score},
                     {"new_at_fault_collision", w.new_at_fault}, {"newly_failed", w.newly_failed},
                     {"detail", w.detail}});
  }
  auto run = [](const RunResults& r) {
    return nlohmann::json{{"db", r.db}, {"run_id", r.info.id}, {"name", r.info.name}, {"planner", r.info.planner}};
  };
  return {{"base", run(base)},
          {"cand", run(cand)},
          {"common_scenarios", c.common.size()},
          {"same_suite", c.same_suite},
          {"only_in_base", c.only_base},
          {"only_in_cand", c.only_cand},
          {"level", o.level},
          {"resamples", o.resamples},
          {"seed", o.seed},
          {"metrics", metrics},
          {"worse", worse},
          {"new_at_fault_collisions", c.new_at_fault},
          {"newly_failed", c.newly_failed},
          {"regression", c.regression},
          {"reason", c.reason}};
}

}  // namespace tarmac
