#include "tools/merge_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <tuple>

#include "store/results_store.h"
#include "tools/cli_util.h"
#include "tools/sha256.h"
#include "tools/shard.h"

namespace tarmac {
namespace {

struct MergeOptions {
  std::string out;
  std::vector<std::string> inputs;
  std::string run_name;
  bool json = false;
};

// One input: a finished shard run and its results.
struct ShardRun {
  std::string arg;  // as given on the command line
  std::string db;   // the database file
  std::unique_ptr<ResultsStore> store;
  RunInfo run;
  int k = 0, n = 0;  // shard K of N
  std::vector<ResultRow> rows;
  nlohmann::json config;  // config_json without its "shard"
  std::string fingerprint;

  std::string Label() const { return fmt::format("{} (run {}, shard {})", db, run.id, run.shard); }
};

// "FILE.db" (its only run) or "FILE.db:RUN" (RUN an id, or a name: the latest
// run of that name). A FILE that exists is taken whole, colons and all.
std::pair<std::string, std::string> SplitRef(const std::string& arg) {
  std::error_code ec;
  if (std::filesystem::exists(arg, ec)) return {arg, ""};
  const size_t colon = arg.rfind(':');
  if (colon == std::string::npos || colon == 0) return {arg, ""};
  return {arg.substr(0, colon), arg.substr(colon + 1)};
}

Result<RunInfo> SelectRun(ResultsStore& store, const std::string& db, const std::string& ref) {
  Result<std::vector<RunInfo>> runs = store.ListRuns();
  if (!runs.ok()) return runs.error();
  if (ref.empty()) {
    if (runs->size() == 1) return runs->front();
    if (runs->empty()) return Error{db + ": holds no run"};
    std::string ids;
    for (const RunInfo& r : *runs) ids += fmt::format("{}{} '{}' (shard {})", ids.empty() ? "" : ", ", r.id, r.name, r.shard);
    return Error{fmt::format("{}: holds {} runs ({}); name one as {}:RUN", db, runs->size(), ids, db)};
  }
  const bool numeric = std::all_of(ref.begin(), ref.end(), [](char c) { return c >= '0' && c <= '9'; });
  const RunInfo* found = nullptr;
  for (const RunInfo& r : *runs) {
    if ((numeric && std::to_string(r.id) == ref) || (!numeric && r.name == ref)) found = &r;  // latest wins
  }
  if (found == nullptr) return Error{fmt::format("{}: no run '{}' (it holds {} runs)", db, ref, runs->size())};
  return *found;
}

// SHA-256 of what identifies a shard run's content: its runs row and every
// scenario's id, status and state hash (sorted by id). Paths are left out, so
// a copied shard database keeps its fingerprint.
std::string Fingerprint(const RunInfo& run, const std::vector<ResultRow>& rows) {
  std::vector<std::array<std::string, 3>> results;
  for (const ResultRow& r : rows) {
    results.push_back({r.scenario_id, ScenarioStatusName(r.status), r.state_hash.value_or("")});
  }
  std::sort(results.begin(), results.end());
  const nlohmann::json j = {{"name", run.name},
                            {"planner", run.planner},
                            {"agents", run.agents},
                            {"checkpoint_sha256", run.checkpoint_sha256},
                            {"config_json", run.config_json},
                            {"suite_sha256", run.suite_sha256},
                            {"git_rev", run.git_rev},
                            {"seed", run.seed},
                            {"shard", run.shard},
                            {"num_scenarios", run.num_scenarios},
                            {"started_at", run.started_at},
                            {"finished_at", run.finished_at.value_or("")},
                            {"results", results}};
  return Sha256Hex(j.dump());
}

// Opens one input and checks it on its own. Problems about it go to `problems`;
// returns nullopt when it cannot be used at all.
std::optional<ShardRun> LoadInput(const std::string& arg, std::vector<std::string>* problems) {
  ShardRun s;
  s.arg = arg;
  std::string ref;
  std::tie(s.db, ref) = SplitRef(arg);
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(s.db, /*read_only=*/true);
  if (!store.ok()) {
    problems->push_back(store.error().message);
    return std::nullopt;
  }
  s.store = std::move(*store);
  Result<RunInfo> run = SelectRun(*s.store, s.db, ref);
  if (!run.ok()) {
    problems->push_back(run.error().message);
    return std::nullopt;
  }
  s.run = *run;
  if (!ParseShard(s.run.shard, &s.k, &s.n)) {
    problems->push_back(fmt::format("{}: run {} has shard '{}', not K/N", s.db, s.run.id, s.run.shard));
    return std::nullopt;
  }
  try {
    s.config = nlohmann::json::parse(s.run.config_json);
  } catch (const nlohmann::json::exception& e) {
    problems->push_back(fmt::format("{}: config_json is not JSON: {}", s.Label(), e.what()));
    return std::nullopt;
  }
  if (s.config.is_object()) s.config.erase("shard");
  Result<std::vector<ResultRow>> rows = s.store->Results(s.run.id);
  if (!rows.ok()) {
    problems->push_back(rows.error().message);
    return std::nullopt;
  }
  s.rows = std::move(*rows);
  if (!s.run.finished_at) {
    problems->push_back(fmt::format("{}: the run did not finish (finished_at is NULL; {} of {} scenarios done); "
                                    "finish it with `tarmac run ... --shard {} --db {} --resume {}`",
                                    s.Label(), s.rows.size(), s.run.num_scenarios, s.run.shard, s.db, s.run.id));
  } else if (static_cast<int64_t>(s.rows.size()) != s.run.num_scenarios) {
    problems->push_back(fmt::format("{}: holds {} results but planned {} scenarios", s.Label(), s.rows.size(),
                                    s.run.num_scenarios));
  }
  int foreign = 0;
  for (const ResultRow& r : s.rows) {
    const int belongs = ShardOf(r.scenario_id, s.n);
    if (belongs == s.k) continue;
    if (++foreign <= 3) {
      problems->push_back(fmt::format("{}: scenario '{}' belongs to shard {}/{}, not {}", s.Label(), r.scenario_id,
                                      belongs, s.n, s.run.shard));
    }
  }
  if (foreign > 3) problems->push_back(fmt::format("{}: {} scenarios in all are of another shard", s.Label(), foreign));
  s.fingerprint = Fingerprint(s.run, s.rows);
  return s;
}

// What must be equal across the shards of one run, as (field, value) pairs:
// the run's identity and every configuration key (those not already compared).
std::vector<std::pair<std::string, std::string>> Identity(const ShardRun& s) {
  std::vector<std::pair<std::string, std::string>> id = {{"planner", s.run.planner},
                                                         {"agents", s.run.agents},
                                                         {"checkpoint_sha256", s.run.checkpoint_sha256},
                                                         {"suite_sha256", s.run.suite_sha256},
                                                         {"git_rev", s.run.git_rev},
                                                         {"seed", std::to_string(s.run.seed)},
                                                         {"number of shards", std::to_string(s.n)}};
  if (!s.config.is_object()) {
    id.emplace_back("config_json", s.config.dump());
    return id;
  }
  for (const auto& [key, value] : s.config.items()) {
    if (key == "planner" || key == "agents" || key == "seed") continue;
    id.emplace_back("config \"" + key + "\"", value.dump());
  }
  return id;
}

// The checks across inputs: same run, every shard exactly once, no scenario twice.
void CheckTogether(const std::vector<ShardRun>& shards, int failed_inputs, std::vector<std::string>* problems) {
  if (shards.empty()) return;
  // Every field of any input, in order of appearance; then field -> value ->
  // the inputs with that value (a configuration key an input lacks: "(none)").
  std::vector<std::string> fields;
  std::vector<std::map<std::string, std::string>> identities;
  for (const ShardRun& s : shards) {
    identities.emplace_back();
    for (const auto& [field, value] : Identity(s)) {
      if (std::find(fields.begin(), fields.end(), field) == fields.end()) fields.push_back(field);
      identities.back()[field] = value;
    }
  }
  std::map<std::string, std::vector<std::pair<std::string, std::vector<const ShardRun*>>>> values;
  for (size_t i = 0; i < shards.size(); ++i) {
    for (const std::string& field : fields) {
      const auto found = identities[i].find(field);
      const std::string value = found == identities[i].end() ? "(none)" : found->second;
      auto& list = values[field];
      auto it = std::find_if(list.begin(), list.end(), [&](const auto& v) { return v.first == value; });
      if (it == list.end()) {
        list.push_back({value, {&shards[i]}});
      } else {
        it->second.push_back(&shards[i]);
      }
    }
  }
  bool same_run = true;
  for (const std::string& field : fields) {
    const auto& list = values[field];
    if (list.size() < 2) continue;
    same_run = false;
    std::string text;
    for (const auto& [value, inputs] : list) {
      std::string where;
      for (const ShardRun* s : inputs) where += (where.empty() ? "" : ", ") + s->Label();
      text += fmt::format("{}'{}' in {}", text.empty() ? "" : "; ", value, where);
    }
    problems->push_back(fmt::format("the inputs are not shards of one run: {} differs: {}", field, text));
  }
  if (!same_run) return;  // shard numbers of different runs mean nothing together
  const int n = shards.front().n;
  std::map<int, std::vector<const ShardRun*>> by_shard;
  for (const ShardRun& s : shards) by_shard[s.k].push_back(&s);
  for (const auto& [k, list] : by_shard) {
    if (list.size() < 2) continue;
    std::string where;
    for (const ShardRun* s : list) where += (where.empty() ? "" : ", ") + s->Label();
    problems->push_back(fmt::format("shard {}/{} given {} times: {}", k, n, list.size(), where));
  }
  std::string missing;
  int num_missing = 0;
  for (int k = 1; k <= n; ++k) {
    if (by_shard.count(k) > 0) continue;
    missing += (missing.empty() ? "" : ", ") + std::to_string(k);
    ++num_missing;
  }
  if (num_missing > 0) {
    problems->push_back(fmt::format("missing shard{} {} of {} ({} of {} shards given{})", num_missing > 1 ? "s" : "",
                                    missing, n, n - num_missing, n,
                                    failed_inputs > 0 ? fmt::format(", {} input(s) unreadable", failed_inputs) : ""));
  }
  // Scenarios in two inputs, one line per pair of inputs.
  std::map<std::string, const ShardRun*> owner;
  std::map<std::pair<const ShardRun*, const ShardRun*>, std::pair<int, std::string>> doubled;  // -> count, first id
  for (const ShardRun& s : shards) {
    for (const ResultRow& r : s.rows) {
      auto [it, inserted] = owner.emplace(r.scenario_id, &s);
      if (inserted) continue;
      auto& [count, example] = doubled[{it->second, &s}];
      if (count++ == 0) example = r.scenario_id;
    }
  }
  for (const auto& [pair, d] : doubled) {
    const std::string what = d.first > 1 ? fmt::format("{} scenarios (e.g. '{}') are", d.first, d.second)
                                         : fmt::format("scenario '{}' is", d.second);
    problems->push_back(fmt::format("{} in both {} and {}", what, pair.first->Label(), pair.second->Label()));
  }
}

// A stored result as WriteResult takes it back: every column, its events and its trace.
Result<ScenarioRecord> ToRecord(ShardRun& s, const ResultRow& r) {
  ScenarioRecord rec;
  rec.scenario_id = r.scenario_id;
  rec.scenario_file = r.scenario_file;
  rec.status = r.status;
  rec.error = r.error;
  rec.score = r.score;
  for (const auto& [name, value] : r.metrics) rec.metrics.emplace_back(name, value.value_or(std::nan("")));
  if (r.state_hash) {
    const std::string& h = *r.state_hash;
    if (h.size() != 16 || h.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return Error{fmt::format("{}: scenario '{}': state_hash '{}' is not 16 lowercase hex digits", s.Label(),
                               r.scenario_id, h)};
    }
    rec.state_hash = std::stoull(h, nullptr, 16);
  }
  rec.steps = r.steps;
  rec.sim_seconds = r.sim_seconds;
  rec.wall_ms = r.wall_ms;
  Result<std::vector<MetricEvent>> events = s.store->Events(s.run.id, r.scenario_id);
  if (!events.ok()) return events.error();
  rec.events = std::move(*events);
  Result<std::optional<EncodedTrace>> trace = s.store->Trace(s.run.id, r.scenario_id);
  if (!trace.ok()) return trace.error();
  rec.trace = std::move(*trace);
  return rec;
}

// The run in `out` merged from exactly these fingerprints, if any.
Result<std::optional<RunInfo>> FindMergedRun(const std::string& out, const std::vector<std::string>& fingerprints) {
  std::error_code ec;
  if (!std::filesystem::exists(out, ec)) return std::optional<RunInfo>();
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(out, /*read_only=*/true);
  if (!store.ok()) return store.error();
  Result<std::vector<RunInfo>> runs = (*store)->ListRuns();
  if (!runs.ok()) return runs.error();
  for (const RunInfo& r : *runs) {
    Result<std::vector<MergeSource>> sources = (*store)->MergeSources(r.id);
    if (!sources.ok()) return sources.error();
    std::vector<std::string> have;
    for (const MergeSource& m : *sources) have.push_back(m.fingerprint);
    std::sort(have.begin(), have.end());
    if (!have.empty() && have == fingerprints) return std::optional<RunInfo>(r);
  }
  return std::optional<RunInfo>();
}

int Fail(const MergeOptions& o, const std::vector<std::string>& problems) {
  fmt::print(stderr, "tarmac merge: cannot merge into {}:\n", o.out);
  for (const std::string& p : problems) fmt::print(stderr, "  {}\n", p);
  fmt::print(stderr, "nothing was written\n");
  if (o.json) std::cout << nlohmann::json{{"db", o.out}, {"merged", false}, {"problems", problems}}.dump(2) << "\n";
  return kExitInputError;
}

int RunMerge(const MergeOptions& o) {
  std::vector<std::string> problems;
  std::vector<ShardRun> shards;
  int failed_inputs = 0;
  std::error_code ec;
  for (const std::string& arg : o.inputs) {
    const std::string db = SplitRef(arg).first;
    if (std::filesystem::exists(o.out, ec) && std::filesystem::exists(db, ec) &&
        std::filesystem::equivalent(o.out, db, ec)) {
      problems.push_back(fmt::format("{}: an input is also the output; merge into another file", db));
      ++failed_inputs;
      continue;
    }
    std::optional<ShardRun> s = LoadInput(arg, &problems);
    if (s) {
      shards.push_back(std::move(*s));
    } else {
      ++failed_inputs;
    }
  }
  CheckTogether(shards, failed_inputs, &problems);
  if (!problems.empty()) return Fail(o, problems);
  std::sort(shards.begin(), shards.end(), [](const ShardRun& a, const ShardRun& b) { return a.k < b.k; });

  // The merged run: shard 1/1 and the configuration a single-process run records.
  const ShardRun& first = shards.front();
  RunInfo merged = first.run;
  merged.id = 0;
  bool same_name = true;
  for (const ShardRun& s : shards) same_name = same_name && s.run.name == first.run.name;
  merged.name = !o.run_name.empty() ? o.run_name : first.run.name;
  merged.shard = "1/1";
  nlohmann::json config = nlohmann::json::parse(first.run.config_json);
  if (config.is_object() && config.contains("shard")) config["shard"] = "1/1";
  merged.config_json = config.dump();
  merged.num_scenarios = 0;
  int ok = 0, failed = 0;
  double score_sum = 0.0;
  std::vector<MergeSource> sources;
  std::vector<std::string> fingerprints;
  for (const ShardRun& s : shards) {
    merged.num_scenarios += static_cast<int64_t>(s.rows.size());
    merged.started_at = std::min(merged.started_at, s.run.started_at);  // ISO 8601 UTC sorts as text
    merged.finished_at = std::max(*merged.finished_at, *s.run.finished_at);
    for (const ResultRow& r : s.rows) {
      if (r.status == ScenarioStatus::kOk) {
        ++ok;
        score_sum += r.score.value_or(0.0);
      } else {
        ++failed;
      }
    }
    std::filesystem::path source = std::filesystem::absolute(s.db, ec);
    sources.push_back({s.run.shard, ec ? s.db : source.lexically_normal().string(), s.run.id,
                       static_cast<int64_t>(s.rows.size()), s.run.started_at, *s.run.finished_at, s.fingerprint});
    fingerprints.push_back(s.fingerprint);
  }
  std::sort(fingerprints.begin(), fingerprints.end());

  Result<std::optional<RunInfo>> existing = FindMergedRun(o.out, fingerprints);
  if (!existing.ok()) return Fail(o, {existing.error().message});
  const bool already = existing->has_value();
  int64_t run_id = 0;
  if (already) {
    run_id = (*existing)->id;
    merged.name = (*existing)->name;
  } else {
    Result<std::unique_ptr<ResultsStore>> out = ResultsStore::Open(o.out);
    if (!out.ok()) return Fail(o, {out.error().message});
    size_t shard_index = 0, row_index = 0;
    std::vector<ShardRun>* all = &shards;
    const RecordFeed feed = [all, &shard_index, &row_index]() -> Result<std::optional<ScenarioRecord>> {
      while (shard_index < all->size() && row_index >= (*all)[shard_index].rows.size()) {
        ++shard_index;
        row_index = 0;
      }
      if (shard_index >= all->size()) return std::optional<ScenarioRecord>();
      ShardRun& s = (*all)[shard_index];
      Result<ScenarioRecord> rec = ToRecord(s, s.rows[row_index++]);
      if (!rec.ok()) return rec.error();
      return std::optional<ScenarioRecord>(std::move(*rec));
    };
    Result<int64_t> id = (*out)->WriteMergedRun(merged, sources, feed);
    if (!id.ok()) return Fail(o, {id.error().message});
    run_id = *id;
  }

  const double mean_score = ok > 0 ? score_sum / ok : 0.0;
  if (o.json) {
    nlohmann::json src = nlohmann::json::array();
    for (const MergeSource& m : sources) {
      src.push_back({{"shard", m.shard}, {"db", m.source_db}, {"run_id", m.source_run_id},
                     {"scenarios", m.num_scenarios}, {"started_at", m.started_at}, {"finished_at", m.finished_at}});
    }
    const nlohmann::json j = {{"db", o.out},
                              {"merged", true},
                              {"already_merged", already},
                              {"run_id", run_id},
                              {"name", merged.name},
                              {"planner", merged.planner},
                              {"agents", merged.agents},
                              {"shards", shards.size()},
                              {"scenarios", merged.num_scenarios},
                              {"ok", ok},
                              {"failed", failed},
                              {"mean_score", mean_score},
                              {"started_at", merged.started_at},
                              {"finished_at", *merged.finished_at},
                              {"sources", src}};
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  if (already) {
    fmt::print("already merged: run {} in {} was merged from these {} shard runs; nothing changed\n", run_id, o.out,
               shards.size());
  } else {
    fmt::print("merged {} shards into run {} '{}' in {}\n", shards.size(), run_id, merged.name, o.out);
  }
  if (!same_name && o.run_name.empty()) {
    fmt::print("  (the shard runs have different names; the merged run took shard 1's, --run-name sets one)\n");
  }
  fmt::print("  planner {}, agents {}: {} scenarios, {} ok, {} failed, mean score {:.4f}\n", merged.planner,
             merged.agents, merged.num_scenarios, ok, failed, mean_score);
  for (const MergeSource& m : sources) {
    fmt::print("  shard {:<7} {:>6} scenarios  {} run {}  {} .. {}\n", m.shard, m.num_scenarios, m.source_db,
               m.source_run_id, m.started_at, m.finished_at);
  }
  return kExitOk;
}

}  // namespace

void AddMergeCommand(CLI::App* app) {
  auto o = std::make_shared<MergeOptions>();
  CLI::App* cmd = app->add_subcommand(
      "merge", "Join the shard runs of one evaluation (tarmac run --shard K/N) into one run");
  cmd->add_option("out", o->out, "Results database to add the merged run to (created if missing)")->required();
  cmd->add_option("inputs", o->inputs, "Shard runs: FILE.db (its only run) or FILE.db:RUN (id or name)")
      ->required();
  cmd->add_option("--run-name", o->run_name, "Name of the merged run (default: shard 1's name)");
  cmd->add_flag("--json", o->json, "Machine-readable output");
  cmd->footer(
      "Refuses (exit 2, nothing written) shards of different runs (planner, agents, checkpoint, suite,\n"
      "revision, seed, configuration), missing or doubled shards, unfinished shard runs and scenarios in\n"
      "two inputs. Merging the same shards again changes nothing (\"already merged\", exit 0).");
  cmd->callback([o] { SetCommand([o] { return RunMerge(*o); }); });
}

}  // namespace tarmac
