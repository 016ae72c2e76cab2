#include "tools/dashboard_api.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <list>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "scenarios/scenario_io.h"
#include "scenarios/summary.h"
#include "store/results_store.h"
#include "store/schema.h"
#include "store/sqlite_util.h"
#include "store/trace_codec.h"
#include "tools/run_comparison.h"

namespace tarmac {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string ApiErrorBody(const std::string& message) {
  return json{{"error", message}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {

// A run counts as live while the server has seen it gain rows within this long [s].
constexpr double kLiveWindowS = 120.0;
// Longest accepted text parameter (search text, scenario id) [characters].
constexpr size_t kMaxTextParam = 512;
constexpr size_t kCompareCacheSize = 16;
constexpr size_t kSceneCacheSize = 16;

// Any failure inside a handler: the HTTP status and the message.
struct ApiError {
  int status = 400;
  std::string message;
};

template <typename T>
using ApiResult = std::variant<T, ApiError>;

ApiReply Reply(const json& j) { return {200, j.dump(-1, ' ', false, json::error_handler_t::replace)}; }
ApiReply Fail(int status, const std::string& message) { return {status, ApiErrorBody(message)}; }

// Rounds to a quantum: 100 -> centimetres (shorter JSON, the trace's own precision).
double Round(double v, double scale) { return std::round(v * scale) / scale; }

json Optional(const std::optional<double>& v) { return v && std::isfinite(*v) ? json(*v) : json(nullptr); }

// One SQLite connection for the store API and one for the few queries of its own.
struct Conn {
  std::unique_ptr<ResultsStore> store;
  sqlite::Db db;
};

struct RunSummary {
  RunInfo info;
  int64_t rows = 0;      // results rows (scenarios done)
  int64_t ok = 0;
  int64_t failed = 0;
  int64_t at_fault = 0;  // scenarios with an at-fault collision
  int64_t max_rowid = 0;  // of the run's results rows: identifies the content
  std::optional<double> mean_score;               // over ok scenarios
  std::vector<std::optional<double>> metric_means;  // by metric column, over ok scenarios with a value
  bool seen_growing = false;                       // gained rows while this server watched
  Clock::time_point last_growth{};
};

struct Fingerprint {
  int64_t max_rowid = -1;
  int64_t runs = -1;
  int64_t finished = -1;
  int64_t max_run_id = -1;
  bool operator==(const Fingerprint&) const = default;
};

// A scenario's map and static scene, ready to serialise.
struct SceneGeometry {
  json scene;  // {"map": ..., "ego": ..., "goal": ..., "traffic_lights": ...}
};

// Query parameters, each given at most once.
class Params {
 public:
  explicit Params(const std::multimap<std::string, std::string>& m) : m_(m) {}

  ApiResult<std::optional<std::string>> Text(const std::string& name) const {
    const size_t count = m_.count(name);
    if (count == 0) return std::optional<std::string>();
    if (count > 1) return ApiError{400, fmt::format("parameter '{}' is given {} times", name, count)};
    const std::string& v = m_.find(name)->second;
    if (v.size() > kMaxTextParam) {
      return ApiError{400, fmt::format("parameter '{}' is {} characters long (at most {})", name, v.size(),
                                       kMaxTextParam)};
    }
    return std::optional<std::string>(v);
  }
  ApiResult<std::string> Required(const std::string& name) const {
    ApiResult<std::optional<std::string>> v = Text(name);
    if (auto* e = std::get_if<ApiError>(&v)) return *e;
    const std::optional<std::string>& s = std::get<0>(v);
    if (!s || s->empty()) return ApiError{400, fmt::format("parameter '{}' is required", name)};
    return *s;
  }
  ApiResult<std::optional<int64_t>> Id(const std::string& name) const;
  ApiResult<bool> Flag(const std::string& name) const {
    ApiResult<std::optional<std::string>> v = Text(name);
    if (auto* e = std::get_if<ApiError>(&v)) return *e;
    const std::optional<std::string>& s = std::get<0>(v);
    if (!s || *s == "0" || *s == "false") return false;
    if (*s == "1" || *s == "true" || s->empty()) return true;
    return ApiError{400, fmt::format("parameter '{}' is '{}': give 0, 1, true or false", name, *s)};
  }

 private:
  const std::multimap<std::string, std::string>& m_;
};

// A run id: 1 to 18 decimal digits.
ApiResult<int64_t> ParseRunId(const std::string& text, const std::string& what) {
  const bool digits = !text.empty() && text.size() <= 18 &&
                      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) {
    std::string shown = text.substr(0, 40);
    if (shown.size() < text.size()) shown += "...";
    return ApiError{400, fmt::format("{} '{}' is not a run id (a positive integer)", what, shown)};
  }
  return static_cast<int64_t>(std::stoll(text));
}

ApiResult<std::optional<int64_t>> Params::Id(const std::string& name) const {
  ApiResult<std::optional<std::string>> v = Text(name);
  if (auto* e = std::get_if<ApiError>(&v)) return *e;
  const std::optional<std::string>& s = std::get<0>(v);
  if (!s) return std::optional<int64_t>();
  ApiResult<int64_t> id = ParseRunId(*s, "parameter '" + name + "' value");
  if (auto* e = std::get_if<ApiError>(&id)) return *e;
  return std::optional<int64_t>(std::get<int64_t>(id));
}

bool ContainsNoCase(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                     [&](char a, char b) { return lower(a) == lower(b); }) != haystack.end();
}

// Flattened x, y pairs rounded to centimetres.
json Points(const v1::Polyline& p) {
  json out = json::array();
  const int n = std::min(p.x_size(), p.y_size());
  for (int i = 0; i < n; ++i) {
    out.push_back(Round(p.x(i), 100.0));
    out.push_back(Round(p.y(i), 100.0));
  }
  return out;
}

const char* RoadLineKind(v1::RoadLineType t) {
  switch (t) {
    case v1::ROAD_LINE_TYPE_BROKEN_SINGLE_WHITE: return "broken_white";
    case v1::ROAD_LINE_TYPE_SOLID_SINGLE_WHITE:
    case v1::ROAD_LINE_TYPE_SOLID_DOUBLE_WHITE: return "solid_white";
    case v1::ROAD_LINE_TYPE_BROKEN_SINGLE_YELLOW:
    case v1::ROAD_LINE_TYPE_BROKEN_DOUBLE_YELLOW: return "broken_yellow";
    case v1::ROAD_LINE_TYPE_SOLID_SINGLE_YELLOW:
    case v1::ROAD_LINE_TYPE_SOLID_DOUBLE_YELLOW:
    case v1::ROAD_LINE_TYPE_PASSING_DOUBLE_YELLOW: return "solid_yellow";
    case v1::ROAD_LINE_TYPE_VIRTUAL: return "virtual";
    default: return "unknown";
  }
}

const char* SignalName(v1::SignalState s) {
  switch (s) {
    case v1::SIGNAL_STATE_STOP:
    case v1::SIGNAL_STATE_ARROW_STOP:
    case v1::SIGNAL_STATE_FLASHING_STOP: return "r";
    case v1::SIGNAL_STATE_CAUTION:
    case v1::SIGNAL_STATE_ARROW_CAUTION:
    case v1::SIGNAL_STATE_FLASHING_CAUTION: return "y";
    case v1::SIGNAL_STATE_GO:
    case v1::SIGNAL_STATE_ARROW_GO: return "g";
    default: return "u";
  }
}

// The static scene of a scenario as the replay draws it.
json SceneJson(const v1::Scenario& s) {
  json lanes = json::array(), edges = json::array(), lines = json::array(), crosswalks = json::array(),
       stop_lines = json::array(), areas = json::array();
  const v1::Map& m = s.map();
  for (const v1::Lane& lane : m.lanes()) {
    json l = {{"id", lane.id()}, {"c", Points(lane.centerline())}, {"i", lane.is_intersection()}};
    if (lane.left_boundary().x_size() > 1) l["l"] = Points(lane.left_boundary());
    if (lane.right_boundary().x_size() > 1) l["r"] = Points(lane.right_boundary());
    lanes.push_back(std::move(l));
  }
  for (const v1::RoadEdge& e : m.road_edges()) edges.push_back(Points(e.polyline()));
  for (const v1::RoadLine& l : m.road_lines()) {
    lines.push_back({{"t", RoadLineKind(l.type())}, {"p", Points(l.polyline())}});
  }
  for (const v1::Crosswalk& c : m.crosswalks()) crosswalks.push_back(Points(c.polygon()));
  for (const v1::StopLine& l : m.stop_lines()) stop_lines.push_back(Points(l.polyline()));
  for (const v1::AreaFeature& a : m.areas()) {
    areas.push_back({{"t", a.type() == v1::AREA_TYPE_DRIVABLE ? "drivable" : "other"}, {"p", Points(a.polygon())}});
  }
  json goal = json::array();
  for (const v1::GoalRegion& r : s.goal().regions()) {
    for (const v1::GoalShape& shape : r.shapes()) {
      if (shape.has_rectangle()) {
        const v1::Rectangle& q = shape.rectangle();
        goal.push_back({{"rect", {Round(q.center_x(), 100), Round(q.center_y(), 100), Round(q.length(), 100),
                                  Round(q.width(), 100), Round(q.orientation(), 1000)}}});
      } else if (shape.has_circle()) {
        const v1::Circle& c = shape.circle();
        goal.push_back({{"circle", {Round(c.center_x(), 100), Round(c.center_y(), 100), Round(c.radius(), 100)}}});
      } else if (shape.has_polygon()) {
        goal.push_back({{"polygon", Points(shape.polygon())}});
      }
    }
  }
  json lights = json::array();
  for (const v1::TrafficLight& t : s.traffic_lights()) {
    if (!t.has_stop_point()) continue;
    std::string states;
    for (int st : t.states()) states += SignalName(static_cast<v1::SignalState>(st));
    lights.push_back({{"id", t.id()}, {"x", Round(t.stop_x(), 100)}, {"y", Round(t.stop_y(), 100)}, {"s", states}});
  }
  return {{"map",
           {{"name", m.name()},
            {"lanes", lanes},
            {"road_edges", edges},
            {"road_lines", lines},
            {"crosswalks", crosswalks},
            {"stop_lines", stop_lines},
            {"areas", areas}}},
          {"ego", {{"length", s.ego().length_m()}, {"width", s.ego().width_m()}}},
          {"goal", goal},
          {"traffic_lights", lights},
          {"dataset", s.provenance().dataset()},
          {"license", s.provenance().license()}};
}

}  // namespace

struct DashboardApi::Impl {
  std::filesystem::path db_path;
  std::vector<std::string> metric_columns;  // of the results table, table order

  std::mutex pool_mu;
  std::vector<std::unique_ptr<Conn>> pool;  // idle connections

  std::mutex runs_mu;  // guards fingerprint and runs
  Fingerprint fingerprint;
  std::map<int64_t, RunSummary> runs;

  std::mutex compare_mu;
  std::list<std::pair<std::string, std::string>> compare_cache;  // key -> JSON, most recent first

  std::mutex scene_mu;
  std::list<std::pair<std::string, std::shared_ptr<const json>>> scene_cache;

  // ---- connections ----

  Result<std::unique_ptr<Conn>> NewConn() {
    Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(db_path, /*read_only=*/true);
    if (!store.ok()) return store.error();
    Result<sqlite::Db> db = sqlite::Db::Open(db_path.string(), /*read_only=*/true);
    if (!db.ok()) return db.error();
    if (sqlite3_busy_timeout(db->get(), ResultsStore::kBusyTimeoutMs) != SQLITE_OK) {
      return db->Fail("setting the busy timeout");
    }
    auto c = std::make_unique<Conn>();
    c->store = std::move(*store);
    c->db = std::move(*db);
    return c;
  }

  // A connection for the length of a request.
  class Lease {
   public:
    Lease(Impl* impl, std::unique_ptr<Conn> c) : impl_(impl), c_(std::move(c)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (c_) {
        std::lock_guard lock(impl_->pool_mu);
        impl_->pool.push_back(std::move(c_));
      }
    }
    Conn* operator->() { return c_.get(); }
    Conn& operator*() { return *c_; }

   private:
    Impl* impl_;
    std::unique_ptr<Conn> c_;
  };

  ApiResult<Lease> Acquire() {
    {
      std::lock_guard lock(pool_mu);
      if (!pool.empty()) {
        std::unique_ptr<Conn> c = std::move(pool.back());
        pool.pop_back();
        return Lease(this, std::move(c));
      }
    }
    Result<std::unique_ptr<Conn>> c = NewConn();
    if (!c.ok()) return ApiError{500, c.error().message};
    return Lease(this, std::move(*c));
  }

  // ---- run summaries ----

  Result<Fingerprint> ReadFingerprint(Conn& c) {
    Result<sqlite::Stmt> s = sqlite::Stmt::Prepare(
        c.db,
        "SELECT (SELECT ifnull(max(rowid), 0) FROM results), (SELECT count(*) FROM runs), "
        "(SELECT count(finished_at) FROM runs), (SELECT ifnull(max(id), 0) FROM runs)",
        "reading the store's state");
    if (!s.ok()) return s.error();
    Result<bool> row = s->Step();
    if (!row.ok()) return row.error();
    Fingerprint f;
    if (*row) {
      f.max_rowid = s->Int(0);
      f.runs = s->Int(1);
      f.finished = s->Int(2);
      f.max_run_id = s->Int(3);
    }
    return f;
  }

  Result<std::set<int64_t>> RunsWithRowsAfter(Conn& c, int64_t rowid) {
    Result<sqlite::Stmt> s = sqlite::Stmt::Prepare(c.db, "SELECT DISTINCT run_id FROM results WHERE rowid > ?",
                                                   "finding runs with new results");
    if (!s.ok()) return s.error();
    if (Result<void> b = s->BindInt(1, rowid); !b.ok()) return b.error();
    std::set<int64_t> out;
    while (true) {
      Result<bool> row = s->Step();
      if (!row.ok()) return row.error();
      if (!*row) break;
      out.insert(s->Int(0));
    }
    return out;
  }

  Result<void> Summarize(Conn& c, RunSummary* sum) {
    {
      Result<sqlite::Stmt> s = sqlite::Stmt::Prepare(
          c.db, "SELECT ifnull(max(rowid), 0) FROM results WHERE run_id = ?", "reading a run's last result");
      if (!s.ok()) return s.error();
      if (Result<void> b = s->BindInt(1, sum->info.id); !b.ok()) return b.error();
      Result<bool> row = s->Step();
      if (!row.ok()) return row.error();
      sum->max_rowid = *row ? s->Int(0) : 0;
    }
    Result<std::vector<ResultRow>> rows = c.store->Results(sum->info.id);
    if (!rows.ok()) return rows.error();
    sum->rows = static_cast<int64_t>(rows->size());
    sum->ok = sum->failed = sum->at_fault = 0;
    double score_sum = 0.0;
    std::vector<double> sums(metric_columns.size(), 0.0);
    std::vector<int64_t> counts(metric_columns.size(), 0);
    for (const ResultRow& r : *rows) {
      if (r.status != ScenarioStatus::kOk) {
        ++sum->failed;
        continue;
      }
      ++sum->ok;
      score_sum += r.score.value_or(0.0);
      // Metric columns come back in table order, as metric_columns.
      for (size_t k = 0; k < r.metrics.size() && k < metric_columns.size(); ++k) {
        const std::optional<double>& v = r.metrics[k].second;
        if (v && std::isfinite(*v)) {
          sums[k] += *v;
          ++counts[k];
        }
        if (metric_columns[k] == "at_fault_collisions" && v && *v > 0.0) ++sum->at_fault;
      }
    }
    sum->mean_score = sum->ok > 0 ? std::optional<double>(score_sum / static_cast<double>(sum->ok)) : std::nullopt;
    sum->metric_means.assign(metric_columns.size(), std::nullopt);
    for (size_t k = 0; k < sums.size(); ++k) {
      if (counts[k] > 0) sum->metric_means[k] = sums[k] / static_cast<double>(counts[k]);
    }
    return {};
  }

  // Brings the run summaries up to date with the database. Cheap when
  // nothing changed (one small query).
  Result<void> Refresh(Conn& c) {
    std::lock_guard lock(runs_mu);
    Result<Fingerprint> f = ReadFingerprint(c);
    if (!f.ok()) return f.error();
    if (*f == fingerprint) return {};
    Result<std::vector<RunInfo>> infos = c.store->ListRuns();
    if (!infos.ok()) return infos.error();
    std::set<int64_t> changed;
    const bool full = fingerprint.max_rowid < 0 || f->max_rowid < fingerprint.max_rowid;  // first time, or rows deleted
    if (!full) {
      Result<std::set<int64_t>> grown = RunsWithRowsAfter(c, fingerprint.max_rowid);
      if (!grown.ok()) return grown.error();
      changed = std::move(*grown);
    }
    std::map<int64_t, RunSummary> next;
    for (RunInfo& info : *infos) {
      auto old = runs.find(info.id);
      const bool grew = changed.count(info.id) > 0;
      if (!full && old != runs.end() && !grew) {
        RunSummary s = std::move(old->second);
        s.info = std::move(info);  // finished_at may have been set
        next.emplace(s.info.id, std::move(s));
        continue;
      }
      RunSummary s;
      if (old != runs.end()) {
        s.seen_growing = old->second.seen_growing;
        s.last_growth = old->second.last_growth;
      }
      s.info = std::move(info);
      if (Result<void> r = Summarize(c, &s); !r.ok()) return r.error();
      if (!full && (grew || old == runs.end()) && !s.info.finished_at) {
        s.seen_growing = true;
        s.last_growth = Clock::now();
      }
      next.emplace(s.info.id, std::move(s));
    }
    runs = std::move(next);
    fingerprint = *f;
    return {};
  }

  std::string StateOf(const RunSummary& s) const {
    if (s.info.finished_at) return "finished";
    if (s.seen_growing &&
        std::chrono::duration<double>(Clock::now() - s.last_growth).count() < kLiveWindowS) {
      return "live";
    }
    return "unfinished";
  }

  json SummaryJson(const RunSummary& s, bool with_metrics) const {
    json j = {{"id", s.info.id},
              {"name", s.info.name},
              {"planner", s.info.planner},
              {"agents", s.info.agents},
              {"checkpoint_sha256", s.info.checkpoint_sha256},
              {"suite_sha256", s.info.suite_sha256},
              {"git_rev", s.info.git_rev},
              {"seed", s.info.seed},
              {"shard", s.info.shard},
              {"num_scenarios", s.info.num_scenarios},
              {"started_at", s.info.started_at},
              {"finished_at", s.info.finished_at ? json(*s.info.finished_at) : json(nullptr)},
              {"state", StateOf(s)},
              {"scenarios", s.rows},
              {"ok", s.ok},
              {"failed", s.failed},
              {"at_fault", s.at_fault},
              {"mean_score", Optional(s.mean_score)}};
    if (with_metrics) {
      json m = json::object();
      for (size_t k = 0; k < metric_columns.size(); ++k) m[metric_columns[k]] = Optional(s.metric_means[k]);
      j["metric_means"] = std::move(m);
    }
    return j;
  }

  // Refreshes, then copies one run's summary out (404 if none).
  ApiResult<RunSummary> RunOf(Conn& c, int64_t id) {
    if (Result<void> r = Refresh(c); !r.ok()) return ApiError{500, r.error().message};
    std::lock_guard lock(runs_mu);
    auto it = runs.find(id);
    if (it == runs.end()) return ApiError{404, fmt::format("no run {} in {}", id, db_path.string())};
    return it->second;
  }

  // ---- endpoints ----

  ApiReply Info() {
    ApiResult<Lease> c = Acquire();
    if (auto* e = std::get_if<ApiError>(&c)) return Fail(e->status, e->message);
    if (Result<void> r = Refresh(*std::get<Lease>(c)); !r.ok()) return Fail(500, r.error().message);
    std::lock_guard lock(runs_mu);
    return Reply({{"db", db_path.string()},
                  {"version", TARMAC_VERSION},
                  {"read_only", true},
                  {"runs", runs.size()},
                  {"metrics", metric_columns},
                  {"compared_metrics", ComparedMetrics()}});
  }

  ApiReply Status() {
    ApiResult<Lease> c = Acquire();
    if (auto* e = std::get_if<ApiError>(&c)) return Fail(e->status, e->message);
    if (Result<void> r = Refresh(*std::get<Lease>(c)); !r.ok()) return Fail(500, r.error().message);
    std::lock_guard lock(runs_mu);
    json live = json::array(), unfinished = json::array();
    for (const auto& [id, s] : runs) {
      const std::string state = StateOf(s);
      if (state == "live") live.push_back(id);
      if (state == "unfinished") unfinished.push_back(id);
    }
    return Reply({{"version", fmt::format("{}.{}.{}.{}", fingerprint.max_rowid, fingerprint.runs,
                                          fingerprint.finished, fingerprint.max_run_id)},
                  {"runs", runs.size()},
                  {"results", fingerprint.max_rowid},
                  {"live", live},
                  {"unfinished", unfinished}});
  }

  ApiReply Runs(const Params& p) {
    ApiResult<std::optional<std::string>> q = p.Text("q"), planner = p.Text("planner"), suite = p.Text("suite");
    for (auto* v : {&q, &planner, &suite}) {
      if (auto* e = std::get_if<ApiError>(v)) return Fail(e->status, e->message);
    }
    ApiResult<Lease> c = Acquire();
    if (auto* e = std::get_if<ApiError>(&c)) return Fail(e->status, e->message);
    if (Result<void> r = Refresh(*std::get<Lease>(c)); !r.ok()) return Fail(500, r.error().message);
    const std::string text = std::get<0>(q).value_or(""), pl = std::get<0>(planner).value_or(""),
                      su = std::get<0>(suite).value_or("");
    std::lock_guard lock(runs_mu);
    json out = json::array();
    std::set<std::string> planners;
    std::map<std::string, int> suites;
    for (const auto& [id, s] : runs) {
      planners.insert(s.info.planner);
      ++suites[s.info.suite_sha256];
      if (!pl.empty() && s.info.planner != pl) continue;
      if (!su.empty() && s.info.suite_sha256.rfind(su, 0) != 0) continue;
      if (!text.empty() && !ContainsNoCase(s.info.name, text) && !ContainsNoCase(s.info.planner, text) &&
          !ContainsNoCase(s.info.agents, text) && !ContainsNoCase(s.info.checkpoint_sha256, text) &&
          !ContainsNoCase(std::to_string(id), text)) {
        continue;
      }
      out.push_back(SummaryJson(s, false));
    }
    json suite_list = json::array();
    for (const auto& [sha, n] : suites) suite_list.push_back({{"suite_sha256", sha}, {"runs", n}});
    return Reply({{"runs", out}, {"planners", planners}, {"suites", suite_list}});
  }

  ApiReply Run(int64_t id) {
    ApiResult<Lease> c = Acquire();
    if (auto* e = std::get_if<ApiError>(&c)) return Fail(e->status, e->message);
    ApiResult<RunSummary> s = RunOf(*std::get<Lease>(c), id);
    if (auto* e = std::get_if<ApiError>(&s)) return Fail(e->status, e->message);
    const RunSummary& sum = std::get<RunSummary>(s);
    json j = SummaryJson(sum, true);
    json config = json::parse(sum.info.config_json, nullptr, /*allow_exceptions=*/false);
    j["config"] = config.is_discarded() ? json(sum.info.config_json) : config;
    return Reply(j);
  }

  ApiReply Results(int64_t id, const Params& p) {
    ApiResult<std::optional<std::string>> status = p.Text("status"), q = p.Text("q");
    for (auto* v : {&status, &q}) {
      if (auto* e = std::get_if<ApiError>(v)) return Fail(e->status, e->message);
    }
    const std::string st = std::get<0>(status).value_or(""), text = std::get<0>(q).value_or("");
    if (!st.empty() && st != "ok" && st != "failed") {
      return Fail(400, fmt::format("parameter 'status' is '{}': give ok or failed", st.substr(0, 40)));
    }
    ApiResult<Lease> lease = Acquire();
    if (auto* e = std::get_if<ApiError>(&lease)) return Fail(e->status, e->message);
    Conn& c = *std::get<Lease>(lease);
    ApiResult<RunSummary> s = RunOf(c, id);
    if (auto* e = std::get_if<ApiError>(&s)) return Fail(e->status, e->message);
    Result<std::vector<ResultRow>> rows = c.store->Results(id);
    if (!rows.ok()) return Fail(500, rows.error().message);
    json out = json::array();
    for (const ResultRow& r : *rows) {
      if (!st.empty() && ScenarioStatusName(r.status) != st) continue;
      if (!text.empty() && !ContainsNoCase(r.scenario_id, text) && !ContainsNoCase(r.scenario_file, text)) continue;
      json m = json::array();
      for (const auto& [name, v] : r.metrics) m.push_back(Optional(v));
      out.push_back({{"scenario_id", r.scenario_id},
                     {"file", r.scenario_file},
                     {"status", ScenarioStatusName(r.status)},
                     {"error", r.error},
                     {"score", Optional(r.score)},
                     {"steps", r.steps ? json(*r.steps) : json(nullptr)},
                     {"sim_seconds", Optional(r.sim_seconds)},
                     {"wall_ms", Optional(r.wall_ms)},
                     {"state_hash", r.state_hash ? json(*r.state_hash) : json(nullptr)},
                     {"m", std::move(m)}});
    }
    json names = json::array();
    if (!rows->empty()) {
      for (const auto& [name, v] : rows->front().metrics) names.push_back(name);
    } else {
      names = metric_columns;
    }
    return Reply({{"run_id", id}, {"metrics", names}, {"rows", out}});
  }

  ApiReply Trends(const Params& p) {
    ApiResult<std::optional<std::string>> planner = p.Text("planner"), suite = p.Text("suite"), q = p.Text("q");
    for (auto* v : {&planner, &suite, &q}) {
      if (auto* e = std::get_if<ApiError>(v)) return Fail(e->status, e->message);
    }
    const std::string pl = std::get<0>(planner).value_or(""), su = std::get<0>(suite).value_or(""),
                      text = std::get<0>(q).value_or("");
    ApiResult<Lease> c = Acquire();
    if (auto* e = std::get_if<ApiError>(&c)) return Fail(e->status, e->message);
    if (Result<void> r = Refresh(*std::get<Lease>(c)); !r.ok()) return Fail(500, r.error().message);
    std::lock_guard lock(runs_mu);
    std::vector<const RunSummary*> series;
    for (const auto& [id, s] : runs) {
      if (!pl.empty() && s.info.planner != pl) continue;
      if (!su.empty() && s.info.suite_sha256.rfind(su, 0) != 0) continue;
      if (!text.empty() && !ContainsNoCase(s.info.name, text)) continue;
      series.push_back(&s);
    }
    // The nightly history: by start time, then id.
    std::stable_sort(series.begin(), series.end(), [](const RunSummary* a, const RunSummary* b) {
      return std::tie(a->info.started_at, a->info.id) < std::tie(b->info.started_at, b->info.id);
    });
    json names = json::array({"score"});
    for (const std::string& m : metric_columns) names.push_back(m);
    json points = json::array();
    for (const RunSummary* s : series) {
      json values = json::array({Optional(s->mean_score)});
      for (const std::optional<double>& v : s->metric_means) values.push_back(Optional(v));
      points.push_back({{"id", s->info.id},
                        {"name", s->info.name},
                        {"planner", s->info.planner},
                        {"started_at", s->info.started_at},
                        {"suite_sha256", s->info.suite_sha256},
                        {"state", StateOf(*s)},
                        {"scenarios", s->rows},
                        {"failed", s->failed},
                        {"values", std::move(values)}});
    }
    return Reply({{"metrics", names}, {"runs", points}});
  }

  ApiReply Compare(const Params& p) {
    ApiResult<std::optional<int64_t>> base = p.Id("base"), cand = p.Id("cand");
    for (auto* v : {&base, &cand}) {
      if (auto* e = std::get_if<ApiError>(v)) return Fail(e->status, e->message);
    }
    if (!std::get<0>(base) || !std::get<0>(cand)) return Fail(400, "parameters 'base' and 'cand' (run ids) are required");
    ApiResult<bool> strict = p.Flag("strict");
    if (auto* e = std::get_if<ApiError>(&strict)) return Fail(e->status, e->message);
    const int64_t b = *std::get<0>(base), k = *std::get<0>(cand);
    ApiResult<Lease> lease = Acquire();
    if (auto* e = std::get_if<ApiError>(&lease)) return Fail(e->status, e->message);
    Conn& c = *std::get<Lease>(lease);
    ApiResult<RunSummary> sb = RunOf(c, b);
    if (auto* e = std::get_if<ApiError>(&sb)) return Fail(e->status, e->message);
    ApiResult<RunSummary> sc = RunOf(c, k);
    if (auto* e = std::get_if<ApiError>(&sc)) return Fail(e->status, e->message);
    const RunSummary& rb = std::get<RunSummary>(sb);
    const RunSummary& rc = std::get<RunSummary>(sc);
    // The content of both runs identifies the answer.
    const std::string key = fmt::format("{}:{}:{}:{}:{}:{}:{}", b, rb.rows, rb.max_rowid, k, rc.rows,
                                        rc.max_rowid, std::get<bool>(strict));
    {
      std::lock_guard lock(compare_mu);
      for (auto it = compare_cache.begin(); it != compare_cache.end(); ++it) {
        if (it->first == key) {
          compare_cache.splice(compare_cache.begin(), compare_cache, it);
          return {200, it->second};
        }
      }
    }
    Result<RunResults> base_rows = ReadRunResults(*c.store, b);
    if (!base_rows.ok()) return Fail(500, base_rows.error().message);
    Result<RunResults> cand_rows = ReadRunResults(*c.store, k);
    if (!cand_rows.ok()) return Fail(500, cand_rows.error().message);
    ComparisonOptions options;  // tarmac compare's defaults: the same verdict
    options.strict = std::get<bool>(strict);
    Result<Comparison> cmp = CompareRuns(*base_rows, *cand_rows, c.store.get(), options);
    if (!cmp.ok()) {
      return Fail(409, fmt::format("runs {} and {}: {}", b, k, cmp.error().message));
    }
    json j = ComparisonJson(*base_rows, *cand_rows, *cmp, options);
    j["strict"] = options.strict;
    j["base_run"] = SummaryJson(rb, false);
    j["cand_run"] = SummaryJson(rc, false);
    // Every common scenario side by side.
    std::map<std::string, size_t> worse_rank;
    for (size_t i = 0; i < cmp->worse.size(); ++i) worse_rank[cmp->worse[i].scenario] = i;
    json rows = json::array();
    for (const std::string& id : cmp->common) {
      const ResultRow& x = base_rows->rows.at(id);
      const ResultRow& y = cand_rows->rows.at(id);
      const double bs = *ComparedValue(x, "score"), cs = *ComparedValue(y, "score");
      json row = {{"scenario", id},
                  {"base_status", ScenarioStatusName(x.status)},
                  {"cand_status", ScenarioStatusName(y.status)},
                  {"base_score", bs},
                  {"cand_score", cs},
                  {"delta", cs - bs},
                  {"base_at_fault", Optional(ComparedValue(x, "at_fault_collisions"))},
                  {"cand_at_fault", Optional(ComparedValue(y, "at_fault_collisions"))},
                  {"base_progress", Optional(ComparedValue(x, "progress"))},
                  {"cand_progress", Optional(ComparedValue(y, "progress"))}};
      auto w = worse_rank.find(id);
      if (w != worse_rank.end()) {
        const WorseScenario& ws = cmp->worse[w->second];
        row["worse_rank"] = w->second;
        row["new_at_fault_collision"] = ws.new_at_fault;
        row["newly_failed"] = ws.newly_failed;
        row["detail"] = ws.detail;
      } else {
        row["worse_rank"] = nullptr;
        row["new_at_fault_collision"] = false;
        row["newly_failed"] = false;
        row["detail"] = "";
      }
      rows.push_back(std::move(row));
    }
    j["scenarios"] = std::move(rows);
    ApiReply reply = Reply(j);
    {
      std::lock_guard lock(compare_mu);
      compare_cache.emplace_front(key, reply.body);
      if (compare_cache.size() > kCompareCacheSize) compare_cache.pop_back();
    }
    return reply;
  }

  // The results row of one scenario (404 if none).
  // A request about one scenario of a run: its `id` parameter, a connection
  // for the request, the run's summary (with_summary: 404 when there is no
  // such run) and the scenario's row (404 when the run has no such scenario).
  struct ScenarioRequest {
    std::string id;
    Lease lease;
    std::optional<RunSummary> summary;
    ResultRow row;
  };
  ApiResult<ScenarioRequest> OpenScenario(int64_t run, const Params& p, bool with_summary) {
    ApiResult<std::string> id = p.Required("id");
    if (auto* e = std::get_if<ApiError>(&id)) return *e;
    ApiResult<Lease> lease = Acquire();
    if (auto* e = std::get_if<ApiError>(&lease)) return *e;
    Lease& c = std::get<Lease>(lease);
    std::optional<RunSummary> summary;
    if (with_summary) {
      ApiResult<RunSummary> s = RunOf(*c, run);
      if (auto* e = std::get_if<ApiError>(&s)) return *e;
      summary = std::move(std::get<RunSummary>(s));
    }
    ApiResult<ResultRow> row = RowOf(*c, run, std::get<std::string>(id));
    if (auto* e = std::get_if<ApiError>(&row)) return *e;
    return ScenarioRequest{std::move(std::get<std::string>(id)), std::move(c), std::move(summary),
                           std::move(std::get<ResultRow>(row))};
  }

  ApiResult<ResultRow> RowOf(Conn& c, int64_t run, const std::string& scenario) {
    Result<sqlite::Stmt> s = sqlite::Stmt::Prepare(
        c.db, "SELECT scenario_file, status, error FROM results WHERE run_id = ? AND scenario_id = ?",
        "reading a scenario's result");
    if (!s.ok()) return ApiError{500, s.error().message};
    if (Result<void> r = s->BindInt(1, run); !r.ok()) return ApiError{500, r.error().message};
    if (Result<void> r = s->BindText(2, scenario); !r.ok()) return ApiError{500, r.error().message};
    Result<bool> row = s->Step();
    if (!row.ok()) return ApiError{500, row.error().message};
    if (!*row) return ApiError{404, fmt::format("run {} has no scenario '{}'", run, scenario.substr(0, 200))};
    ResultRow r;
    r.run_id = run;
    r.scenario_id = scenario;
    r.scenario_file = s->Text(0);
    r.status = s->Text(1) == "ok" ? ScenarioStatus::kOk : ScenarioStatus::kFailed;
    r.error = s->Text(2);
    return r;
  }

  ApiReply Scenario(int64_t run, const Params& p) {
    ApiResult<ScenarioRequest> opened = OpenScenario(run, p, /*with_summary=*/true);
    if (auto* e = std::get_if<ApiError>(&opened)) return Fail(e->status, e->message);
    ScenarioRequest& req = std::get<ScenarioRequest>(opened);
    const std::string& sid = req.id;
    Conn& c = *req.lease;
    // The full row (every metric column).
    Result<std::optional<ResultRow>> full = c.store->ResultOf(run, sid);
    if (!full.ok()) return Fail(500, full.error().message);
    if (!*full) return Fail(404, fmt::format("run {} has no scenario '{}'", run, sid.substr(0, 200)));
    const std::optional<ResultRow>& row = *full;
    json metrics = json::object();
    for (const auto& [name, v] : row->metrics) metrics[name] = Optional(v);
    Result<std::vector<MetricEvent>> events = c.store->Events(run, sid);
    if (!events.ok()) return Fail(500, events.error().message);
    json ev = json::array();
    for (const MetricEvent& e : *events) {
      ev.push_back({{"step", e.step}, {"kind", e.kind}, {"agent_id", e.agent_id}, {"agent_type", e.agent_type},
                    {"detail", e.detail}, {"value", std::isfinite(e.value) ? json(e.value) : json(nullptr)}});
    }
    return Reply({{"run", SummaryJson(*req.summary, false)},
                  {"scenario_id", sid},
                  {"file", row->scenario_file},
                  {"status", ScenarioStatusName(row->status)},
                  {"error", row->error},
                  {"score", Optional(row->score)},
                  {"steps", row->steps ? json(*row->steps) : json(nullptr)},
                  {"sim_seconds", Optional(row->sim_seconds)},
                  {"state_hash", row->state_hash ? json(*row->state_hash) : json(nullptr)},
                  {"metrics", metrics},
                  {"events", ev}});
  }

  ApiReply Trace(int64_t run, const Params& p) {
    ApiResult<ScenarioRequest> opened = OpenScenario(run, p, /*with_summary=*/false);
    if (auto* e = std::get_if<ApiError>(&opened)) return Fail(e->status, e->message);
    ScenarioRequest& req = std::get<ScenarioRequest>(opened);
    const std::string& sid = req.id;
    Conn& c = *req.lease;
    Result<std::optional<EncodedTrace>> enc = c.store->Trace(run, sid);
    if (!enc.ok()) return Fail(500, enc.error().message);
    if (!*enc) {
      return Fail(404, fmt::format("run {} stored no trace for scenario '{}' (failed, or run with --no-traces)", run,
                                   sid.substr(0, 200)));
    }
    Result<DecodedTrace> t = DecodeTrace(**enc);
    if (!t.ok()) return Fail(500, fmt::format("run {}, scenario '{}': {}", run, sid.substr(0, 200), t.error().message));
    json ego = {{"step", json::array()}, {"x", json::array()}, {"y", json::array()}, {"heading", json::array()},
                {"speed", json::array()}, {"accel", json::array()}, {"steer", json::array()}};
    for (const TraceEgoSample& e : t->ego) {
      ego["step"].push_back(e.step);
      ego["x"].push_back(Round(e.x, 100));
      ego["y"].push_back(Round(e.y, 100));
      ego["heading"].push_back(Round(e.heading, 1000));
      ego["speed"].push_back(Round(e.speed, 100));
      ego["accel"].push_back(Round(e.accel, 100));
      ego["steer"].push_back(Round(e.steer, 1000));
    }
    json agents = json::array();
    const size_t na = static_cast<size_t>(t->num_agents);
    const size_t steps = na > 0 ? t->agent_active.size() / na : 0;
    for (size_t i = 0; i < na; ++i) {
      size_t first = steps, last = 0;
      for (size_t k = 0; k < steps; ++k) {
        if (t->agent_active[k * na + i] != 0) {
          first = std::min(first, k);
          last = k;
        }
      }
      const AgentMeta& m = t->agents[i];
      json a = {{"id", m.id}, {"type", m.type}, {"length", m.length}, {"width", m.width}};
      json x = json::array(), y = json::array(), h = json::array();
      if (first < steps) {
        for (size_t k = first; k <= last; ++k) {
          const size_t q = k * na + i;
          if (t->agent_active[q] != 0) {
            x.push_back(Round(t->agent_x[q], 100));
            y.push_back(Round(t->agent_y[q], 100));
            h.push_back(Round(t->agent_heading[q], 1000));
          } else {
            x.push_back(nullptr);
            y.push_back(nullptr);
            h.push_back(nullptr);
          }
        }
      }
      a["k0"] = first < steps ? static_cast<int64_t>(first) : -1;
      a["x"] = std::move(x);
      a["y"] = std::move(y);
      a["heading"] = std::move(h);
      agents.push_back(std::move(a));
    }
    json plans = json::array();
    for (size_t k = 0; k + 1 < t->plan_start.size(); ++k) {
      json poses = json::array();
      for (int q = t->plan_start[k]; q < t->plan_start[k + 1]; ++q) {
        const Pose2& pose = t->plan_poses[static_cast<size_t>(q)];
        poses.push_back(Round(pose.x, 100));
        poses.push_back(Round(pose.y, 100));
      }
      plans.push_back(std::move(poses));
    }
    return Reply({{"run_id", run},
                  {"scenario_id", sid},
                  {"dt", t->dt},
                  {"start_step", t->start_step},
                  {"num_steps", t->num_steps},
                  {"ego", ego},
                  {"agents", agents},
                  {"plan_stride", t->plan_stride},
                  {"plans", plans}});
  }

  // Where a stored scenario file is now: as stored, else beside the database.
  std::optional<std::filesystem::path> Locate(const std::string& stored) const {
    std::error_code ec;
    const std::filesystem::path p(stored);
    if (std::filesystem::is_regular_file(p, ec)) return p;
    if (p.is_relative()) {
      const std::filesystem::path beside = db_path.parent_path() / p;
      if (std::filesystem::is_regular_file(beside, ec)) return beside;
    }
    return std::nullopt;
  }

  ApiReply Scene(int64_t run, const Params& p) {
    std::string sid, stored;
    {  // the connection goes back to the pool before the file is read
      ApiResult<ScenarioRequest> opened = OpenScenario(run, p, /*with_summary=*/false);
      if (auto* e = std::get_if<ApiError>(&opened)) return Fail(e->status, e->message);
      sid = std::get<ScenarioRequest>(opened).id;
      stored = std::get<ScenarioRequest>(opened).row.scenario_file;
    }
    json out = {{"run_id", run}, {"scenario_id", sid}, {"file", stored}};
    const std::optional<std::filesystem::path> file = Locate(stored);
    if (!file) {
      out["available"] = false;
      out["reason"] = fmt::format("the scenario file '{}' is not there any more (moved or deleted?): "
                                  "replaying without the map",
                                  stored);
      return Reply(out);
    }
    // Cached by file, modification time and scenario.
    struct stat st {};
    const long long mtime = ::stat(file->c_str(), &st) == 0 ? static_cast<long long>(st.st_mtime) : 0;
    const std::string key = fmt::format("{}\n{}\n{}", file->string(), mtime, sid);
    std::shared_ptr<const json> scene;
    {
      std::lock_guard lock(scene_mu);
      for (auto it = scene_cache.begin(); it != scene_cache.end(); ++it) {
        if (it->first == key) {
          scene_cache.splice(scene_cache.begin(), scene_cache, it);
          scene = it->second;
          break;
        }
      }
    }
    if (!scene) {
      Result<std::vector<v1::Scenario>> scenarios = ReadScenarios(*file);
      if (!scenarios.ok()) {
        out["available"] = false;
        out["reason"] = fmt::format("cannot read the scenario file: {}", scenarios.error().message);
        return Reply(out);
      }
      const auto it = std::find_if(scenarios->begin(), scenarios->end(),
                                   [&](const v1::Scenario& s) { return s.id() == sid; });
      if (it == scenarios->end()) {
        out["available"] = false;
        out["reason"] = fmt::format("the scenario file '{}' no longer holds scenario '{}' (changed since the run?)",
                                    file->string(), sid.substr(0, 200));
        return Reply(out);
      }
      scene = std::make_shared<const json>(SceneJson(*it));
      std::lock_guard lock(scene_mu);
      scene_cache.emplace_front(key, scene);
      if (scene_cache.size() > kSceneCacheSize) scene_cache.pop_back();
    }
    out["available"] = true;
    out["reason"] = "";
    out["path"] = file->string();
    for (const auto& [k, v] : scene->items()) out[k] = v;
    return Reply(out);
  }

  ApiReply Route(const std::string& path, const Params& p) {
    // Split "/api/a/b" into segments after "api".
    std::vector<std::string> seg;
    size_t start = 0;
    while (start <= path.size()) {
      const size_t slash = path.find('/', start);
      const size_t end = slash == std::string::npos ? path.size() : slash;
      if (end > start) seg.push_back(path.substr(start, end - start));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    if (seg.empty() || seg[0] != "api") return Fail(404, "not an API path");
    seg.erase(seg.begin());
    if (seg.size() == 1) {
      if (seg[0] == "info") return Info();
      if (seg[0] == "status") return Status();
      if (seg[0] == "runs") return Runs(p);
      if (seg[0] == "trends") return Trends(p);
      if (seg[0] == "compare") return Compare(p);
    }
    if (!seg.empty() && seg[0] == "runs" && (seg.size() == 2 || seg.size() == 3)) {
      ApiResult<int64_t> id = ParseRunId(seg[1], "path segment");
      if (auto* e = std::get_if<ApiError>(&id)) return Fail(e->status, e->message);
      const int64_t run = std::get<int64_t>(id);
      if (seg.size() == 2) return Run(run);
      if (seg[2] == "results") return Results(run, p);
      if (seg[2] == "scenario") return Scenario(run, p);
      if (seg[2] == "trace") return Trace(run, p);
      if (seg[2] == "scene") return Scene(run, p);
    }
    std::string shown = path.substr(0, 80);
    if (shown.size() < path.size()) shown += "...";
    return Fail(404, fmt::format("no API endpoint '{}' (docs/dashboard.md lists them)", shown));
  }
};

DashboardApi::DashboardApi(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DashboardApi::~DashboardApi() = default;

const std::filesystem::path& DashboardApi::db_path() const { return impl_->db_path; }

Result<std::unique_ptr<DashboardApi>> DashboardApi::Open(const std::filesystem::path& db) {
  auto impl = std::make_unique<Impl>();
  impl->db_path = db;
  Result<std::unique_ptr<Conn>> c = impl->NewConn();
  if (!c.ok()) return c.error();
  Result<std::vector<std::string>> columns = TableColumns((*c)->db, "results");
  if (!columns.ok()) return columns.error();
  for (const std::string& name : *columns) {
    if (!IsFixedResultColumn(name)) impl->metric_columns.push_back(name);
  }
  if (Result<void> r = impl->Refresh(**c); !r.ok()) return r.error();
  impl->pool.push_back(std::move(*c));
  return std::unique_ptr<DashboardApi>(new DashboardApi(std::move(impl)));
}

ApiReply DashboardApi::Get(const std::string& path, const std::multimap<std::string, std::string>& params) {
  try {
    return impl_->Route(path, Params(params));
  } catch (const std::exception& e) {
    return Fail(500, fmt::format("internal error: {}", e.what()));
  }
}

}  // namespace tarmac
