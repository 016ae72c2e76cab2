#include "tools/report_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "render/scene_renderer.h"
#include "scenarios/scenario_io.h"
#include "store/results_store.h"
#include "store/trace_codec.h"
#include "tools/cli_util.h"
#include "tools/run_comparison.h"

namespace tarmac {
namespace {

std::string Html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                       static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                       static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                       static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string Num(const std::optional<double>& v, int decimals = 4) {
  if (!v || !std::isfinite(*v)) return "&ndash;";
  return fmt::format("{:.{}f}", *v, decimals);
}

// ---- pictures ---------------------------------------------------------------------

struct Picture {
  std::string png;     // empty: none
  std::string note;    // what it shows, or why there is none
};

// Scenario files read once each.
class ScenarioFiles {
 public:
  explicit ScenarioFiles(std::filesystem::path db_dir) : db_dir_(std::move(db_dir)) {}

  Result<const v1::Scenario*> Find(const std::string& file, const std::string& id) {
    std::filesystem::path p(file);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p, ec) && p.is_relative() &&
        std::filesystem::is_regular_file(db_dir_ / p, ec)) {
      p = db_dir_ / p;
    }
    auto it = files_.find(p.string());
    if (it == files_.end()) {
      if (!std::filesystem::is_regular_file(p, ec)) {
        return Error{fmt::format("the scenario file '{}' is not there any more", file)};
      }
      Result<std::vector<v1::Scenario>> read = ReadScenarios(p);
      if (!read.ok()) return read.error();
      it = files_.emplace(p.string(), std::move(*read)).first;
    }
    for (const v1::Scenario& s : it->second) {
      if (s.id() == id) return &s;
    }
    return Error{fmt::format("the scenario file '{}' holds no scenario '{}'", file, id)};
  }

 private:
  std::filesystem::path db_dir_;
  std::map<std::string, std::vector<v1::Scenario>> files_;
};

// The step worth a picture: the first at-fault collision, else the first
// collision, else the first off-road or wrong-way event, else the end.
std::pair<int, std::string> WorstMoment(const std::vector<MetricEvent>& events, const DecodedTrace& t) {
  auto first = [&](auto pred) -> const MetricEvent* {
    for (const MetricEvent& e : events) {
      if (pred(e)) return &e;
    }
    return nullptr;
  };
  const MetricEvent* e = first([](const MetricEvent& x) {
    return x.kind == "collision" && x.detail.find("at fault") != std::string::npos &&
           x.detail.find("not at fault") == std::string::npos;
  });
  if (e == nullptr) e = first([](const MetricEvent& x) { return x.kind == "collision"; });
  if (e == nullptr) e = first([](const MetricEvent& x) { return x.kind == "off_road" || x.kind == "against_traffic"; });
  if (e == nullptr) e = first([](const MetricEvent& x) { return x.kind == "red_light"; });
  if (e != nullptr) {
    std::string what = e->kind;
    if (!e->agent_id.empty()) what += fmt::format(" with {} '{}'", e->agent_type, e->agent_id);
    if (!e->detail.empty()) what += " (" + e->detail + ")";
    return {e->step, what};
  }
  return {t.ego.empty() ? t.start_step : t.ego.back().step, "the last step"};
}

// Draws the scenario at its worst moment as simulated: the stored trace's
// ego and agent poses replace the logged ones up to that step.
Picture DrawScenario(ResultsStore& store, int64_t run, const ResultRow& row, ScenarioFiles* files,
                     const ReportOptions& o) {
  Picture pic;
  Result<std::optional<EncodedTrace>> enc = store.Trace(run, row.scenario_id);
  if (!enc.ok() || !*enc) {
    pic.note = row.status == ScenarioStatus::kOk ? "no trace stored" : "failed: no rollout to draw";
    return pic;
  }
  Result<DecodedTrace> t = DecodeTrace(**enc);
  if (!t.ok()) {
    pic.note = "trace unreadable: " + t.error().message;
    return pic;
  }
  Result<const v1::Scenario*> found = files->Find(row.scenario_file, row.scenario_id);
  if (!found.ok()) {
    pic.note = found.error().message;
    return pic;
  }
  Result<std::vector<MetricEvent>> events = store.Events(run, row.scenario_id);
  const auto [step, what] = WorstMoment(events.ok() ? *events : std::vector<MetricEvent>{}, *t);
  v1::Scenario s = **found;
  // Recorded index k holds log step ego[k].step; replace poses up to `step`.
  std::map<std::string, int> track_index;
  for (int i = 0; i < s.tracks_size(); ++i) track_index[s.tracks(i).id()] = i;
  const size_t na = static_cast<size_t>(t->num_agents);
  size_t last_k = 0;
  for (size_t k = 0; k < t->ego.size(); ++k) {
    const int log_step = t->ego[k].step;
    if (log_step > step) break;
    last_k = k;
    if (log_step < 0 || log_step >= s.time().num_steps()) continue;
    auto set_pose = [&](v1::Track* tr, double x, double y, double h, bool valid) {
      if (log_step >= tr->x_size() || log_step >= tr->valid_size()) return;
      tr->set_x(log_step, x);
      tr->set_y(log_step, y);
      tr->set_heading(log_step, h);
      tr->set_valid(log_step, valid);
    };
    if (na > 0 && (k + 1) * na <= t->agent_active.size()) {
      for (size_t i = 0; i < na; ++i) {
        auto it = track_index.find(t->agents[i].id);
        if (it == track_index.end()) continue;
        const size_t q = k * na + i;
        set_pose(s.mutable_tracks(it->second), t->agent_x[q], t->agent_y[q], t->agent_heading[q],
                 t->agent_active[q] != 0);
      }
    }
    auto ego_it = track_index.find(s.ego().track_id());
    if (!s.ego().track_id().empty() && ego_it != track_index.end()) {
      set_pose(s.mutable_tracks(ego_it->second), t->ego[k].x, t->ego[k].y, t->ego[k].heading, true);
    }
  }
  const TraceEgoSample ego = t->ego.empty() ? TraceEgoSample{} : t->ego[last_k];
  RenderOptions ro;
  ro.width_px = o.thumbnail_width;
  ro.height_px = o.thumbnail_height;
  ro.view_half_width_m = 35.0;
  ro.show_legend = false;
  static std::atomic<int> counter{0};
  const std::filesystem::path tmp = std::filesystem::temp_directory_path() /
                                    fmt::format("tarmac-report-{}-{}.png", getpid(), counter.fetch_add(1));
  const Result<void> drawn = RenderScenePng(s, ego.step, ro, tmp, EgoPose{true, ego.x, ego.y, ego.heading});
  if (!drawn.ok()) {
    pic.note = "cannot draw: " + drawn.error().message;
    return pic;
  }
  Result<std::string> bytes = ReadFileBytes(tmp);
  std::error_code ec;
  std::filesystem::remove(tmp, ec);
  if (!bytes.ok()) {
    pic.note = bytes.error().message;
    return pic;
  }
  pic.png = std::move(*bytes);
  pic.note = fmt::format("step {} ({:.1f} s): {}", ego.step, (ego.step - t->start_step) * t->dt, what);
  return pic;
}

// ---- the page ---------------------------------------------------------------------

constexpr const char* kStyle = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2430;background:#f6f7f9;margin:0}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px;border-bottom:1px solid #d8dde5;padding-bottom:4px}
.sub{color:#5b6577;margin:0 0 16px}
table{border-collapse:collapse;background:#fff;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:4px 8px;border-bottom:1px solid #e6e9ee;text-align:left;vertical-align:top}
th{background:#eef1f5;font-weight:600}td.n,th.n{text-align:right}
.kv td:first-child{color:#5b6577;width:180px}
.verdict{padding:10px 14px;border-radius:6px;font-weight:600;margin:10px 0}
.bad{background:#fde8e8;color:#9b1c1c;border:1px solid #f5b5b5}.good{background:#e6f6ec;color:#1e6b3a;border:1px solid #a8dcb9}
.worse{color:#b42318}.better{color:#1e6b3a}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:14px}
.card{background:#fff;border:1px solid #d8dde5;border-radius:6px;padding:10px}
.card img{width:100%;height:auto;border-radius:4px;display:block;background:#eef1f5}
.card .id{font-weight:600;word-break:break-all}.card .note{color:#5b6577;font-size:12.5px}
.tag{display:inline-block;padding:0 6px;border-radius:9px;font-size:12px;font-weight:600;margin-right:4px}
.tag.fault{background:#fde8e8;color:#9b1c1c}.tag.fail{background:#fff1d6;color:#8a5a00}
.none{padding:30px 10px;text-align:center;color:#5b6577;background:#f0f2f5;border-radius:4px}
footer{color:#8a93a3;font-size:12px;margin-top:30px}
)";

// An inline SVG of an interval [lo, hi] with its mean, on a scale symmetric about zero.
// Coloured by `direction` (Direction(): "worse" red, "better" green, else grey).
std::string IntervalSvg(double lo, double mean, double hi, double scale, std::string_view direction) {
  const double w = 160.0, h = 14.0, mid = w / 2.0;
  auto px = [&](double v) { return std::clamp(mid + v / scale * (mid - 4.0), 2.0, w - 2.0); };
  const char* color = direction == "worse" ? "#b42318" : (direction == "better" ? "#1e6b3a" : "#5b6577");
  return fmt::format(
      R"(<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="interval">)"
      R"(<line x1="{mid}" y1="0" x2="{mid}" y2="{h}" stroke="#c3c9d3"/>)"
      R"(<line x1="{a:.1f}" y1="7" x2="{b:.1f}" y2="7" stroke="{c}" stroke-width="3"/>)"
      R"(<circle cx="{m:.1f}" cy="7" r="3.2" fill="{c}"/></svg>)",
      fmt::arg("w", w), fmt::arg("h", h), fmt::arg("mid", mid), fmt::arg("a", px(lo)), fmt::arg("b", px(hi)),
      fmt::arg("m", px(mean)), fmt::arg("c", color));
}

std::string RunTable(const RunResults& r) {
  const RunInfo& i = r.info;
  std::string out = "<table class=\"kv\">";
  auto row = [&](const char* k, const std::string& v) { out += fmt::format("<tr><td>{}</td><td>{}</td></tr>", k, v); };
  row("run", fmt::format("{} &lsquo;{}&rsquo; in {}", i.id, Html(i.name), Html(r.db)));
  row("planner", Html(i.planner) + (i.checkpoint_sha256.empty() ? "" : " (checkpoint " + Html(i.checkpoint_sha256.substr(0, 12)) + ")"));
  row("agents", Html(i.agents));
  row("suite", Html(i.suite_sha256.substr(0, 16)));
  row("started, finished", Html(i.started_at) + " &ndash; " + (i.finished_at ? Html(*i.finished_at) : "not finished"));
  row("shard, seed, tarmac", fmt::format("{}, {}, {}", Html(i.shard), i.seed, Html(i.git_rev)));
  out += "</table>";
  return out;
}

}  // namespace

Result<ReportSummary> WriteReport(const ReportOptions& o) {
  Result<LoadedRun> run = LoadRunRef(o.run, o.db);
  if (!run.ok()) return Error{"--run: " + run.error().message};
  std::optional<LoadedRun> base;
  std::optional<Comparison> cmp;
  ComparisonOptions co;
  co.strict = o.strict;
  if (!o.baseline.empty()) {
    Result<LoadedRun> b = LoadRunRef(o.baseline, o.db);
    if (!b.ok()) return Error{"--baseline: " + b.error().message};
    base = std::move(*b);
    Result<Comparison> c = CompareRuns(base->run, run->run, run->store.get(), co);
    if (!c.ok()) return Error{fmt::format("--baseline {}: {}", o.baseline, c.error().message)};
    cmp = std::move(*c);
  }
  const RunResults& r = run->run;
  ResultsStore& store = *run->store;

  // Summary numbers, as `tarmac run` prints them: means over ok scenarios.
  int ok = 0, failed = 0, at_fault = 0;
  double score_sum = 0.0;
  std::vector<std::string> metric_names;
  std::map<std::string, std::pair<double, int>> sums;
  for (const auto& [id, row] : r.rows) {
    if (metric_names.empty()) {
      for (const auto& [name, v] : row.metrics) metric_names.push_back(name);
    }
    if (row.status != ScenarioStatus::kOk) {
      ++failed;
      continue;
    }
    ++ok;
    score_sum += row.score.value_or(0.0);
    if (row.Metric("at_fault_collisions").value_or(0.0) > 0.0) ++at_fault;
    for (const auto& [name, v] : row.metrics) {
      if (!v || !std::isfinite(*v)) continue;
      sums[name].first += *v;
      ++sums[name].second;
    }
  }

  std::string page;
  page += "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  page += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">";
  page += fmt::format("<title>tarmac report: run {} {}</title><style>{}</style></head><body><main>\n", r.info.id,
                      Html(r.info.name), kStyle);
  page += fmt::format("<h1>Run {} &lsquo;{}&rsquo;: {}</h1>\n", r.info.id, Html(r.info.name), Html(r.info.planner));
  page += fmt::format("<p class=\"sub\">{} scenarios, {} ok, {} failed, mean score <b id=\"mean-score\">{}</b>{}</p>\n",
                      r.rows.size(), ok, failed, ok > 0 ? fmt::format("{:.4f}", score_sum / ok) : "&ndash;",
                      cmp ? fmt::format(" &middot; compared with run {} &lsquo;{}&rsquo;", base->run.info.id,
                                        Html(base->run.info.name))
                          : "");
  if (cmp) {
    page += fmt::format("<div class=\"verdict {}\" id=\"verdict\">{}: {}</div>\n", cmp->regression ? "bad" : "good",
                        cmp->regression ? "REGRESSION" : "OK", Html(cmp->reason));
  }
  page += "<h2>Run</h2>\n" + RunTable(r);
  if (base) page += "<h2>Baseline</h2>\n" + RunTable(base->run);

  // Metrics.
  if (cmp) {
    page += fmt::format("<h2>Comparison</h2>\n<p class=\"sub\">{} common scenarios{}{}. Paired differences (run &minus; "
                        "baseline) with {:.0f}% bootstrap intervals ({} resamples, seed {}), as <code>tarmac compare</code>."
                        "</p>\n",
                        cmp->common.size(), cmp->same_suite ? "" : " (the runs used different suites)",
                        cmp->only_base.empty() && cmp->only_cand.empty()
                            ? ""
                            : fmt::format("; {} only in the baseline, {} only in the run: not compared",
                                          cmp->only_base.size(), cmp->only_cand.size()),
                        100 * co.level, co.resamples, co.seed);
    page += "<table id=\"metrics\"><tr><th>metric</th><th class=\"n\">baseline</th><th class=\"n\">run</th>"
            "<th class=\"n\">difference</th><th class=\"n\">interval</th><th>interval</th></tr>\n";
    for (const MetricComparison& m : cmp->metrics) {
      const double scale = std::max({std::abs(m.d.ci_low), std::abs(m.d.ci_high), 1e-9});
      const char* cls = Direction(m);
      page += fmt::format(
          "<tr><td>{}</td><td class=\"n\">{:.4f}</td><td class=\"n\">{:.4f}</td><td class=\"n {}\">{:+.4f}</td>"
          "<td class=\"n\">[{:+.4f}, {:+.4f}]</td><td>{}</td></tr>\n",
          Html(m.metric), m.d.base_mean, m.d.cand_mean, cls, m.d.mean_diff, m.d.ci_low, m.d.ci_high,
          IntervalSvg(m.d.ci_low, m.d.mean_diff, m.d.ci_high, scale, cls));
    }
    page += "</table>\n";
    page += fmt::format("<h2>Scenarios that got worse ({})</h2>\n", cmp->worse.size());
    if (cmp->worse.empty()) {
      page += "<p>None.</p>\n";
    } else {
      page += "<table id=\"worse\"><tr><th>scenario</th><th class=\"n\">baseline</th><th class=\"n\">run</th>"
              "<th>what</th></tr>\n";
      for (const WorseScenario& w : cmp->worse) {
        std::string tags;
        if (w.new_at_fault) tags += "<span class=\"tag fault\">new at-fault collision</span>";
        if (w.newly_failed) tags += "<span class=\"tag fail\">newly failed</span>";
        page += fmt::format("<tr><td>{}</td><td class=\"n\">{:.3f}</td><td class=\"n\">{:.3f}</td><td>{}{}</td></tr>\n",
                            Html(w.scenario), w.base_score, w.cand_score, tags, Html(w.detail));
      }
      page += "</table>\n";
    }
  } else {
    page += "<h2>Metrics</h2>\n<table id=\"metrics\"><tr><th>metric</th><th class=\"n\">mean over ok scenarios</th>"
            "<th class=\"n\">scenarios with a value</th></tr>\n";
    page += fmt::format("<tr><td>score</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
                        ok > 0 ? fmt::format("{:.4f}", score_sum / ok) : "&ndash;", ok);
    for (const std::string& name : metric_names) {
      const auto it = sums.find(name);
      const std::optional<double> mean =
          it == sums.end() ? std::nullopt : std::optional<double>(it->second.first / it->second.second);
      page += fmt::format("<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n", Html(name),
                          Num(mean), it == sums.end() ? 0 : it->second.second);
    }
    page += "</table>\n";
  }

  // The worst scenarios, with pictures.
  struct Pick {
    std::string id;
    std::string line;
    bool fault = false, fail = false;
  };
  std::vector<Pick> picks;
  if (cmp) {
    for (const WorseScenario& w : cmp->worse) {
      picks.push_back({w.scenario, fmt::format("{:.3f} &rarr; {:.3f}", w.base_score, w.cand_score), w.new_at_fault,
                       w.newly_failed});
    }
  } else {
    std::vector<const ResultRow*> rows;
    for (const auto& [id, row] : r.rows) rows.push_back(&row);
    std::stable_sort(rows.begin(), rows.end(), [](const ResultRow* a, const ResultRow* b) {
      const double sa = a->status == ScenarioStatus::kOk ? a->score.value_or(0.0) : -1.0;
      const double sb = b->status == ScenarioStatus::kOk ? b->score.value_or(0.0) : -1.0;
      return sa < sb;
    });
    for (const ResultRow* row : rows) {
      if (row->status == ScenarioStatus::kOk && row->score.value_or(0.0) >= 1.0) break;  // the rest are perfect
      const bool fault = row->Metric("at_fault_collisions").value_or(0.0) > 0.0;
      picks.push_back({row->scenario_id,
                       row->status == ScenarioStatus::kOk ? fmt::format("score {:.3f}", row->score.value_or(0.0))
                                                          : "failed",
                       fault, row->status != ScenarioStatus::kOk});
    }
  }
  ReportSummary summary;
  summary.output = o.output;
  summary.scenarios = static_cast<int>(r.rows.size());
  summary.compared = cmp.has_value();
  summary.regression = cmp && cmp->regression;
  const size_t shown = std::min(picks.size(), static_cast<size_t>(std::max(o.thumbnails, 0)));
  page += fmt::format("<h2>Worst scenarios ({} of {})</h2>\n", shown, picks.size());
  if (shown == 0) {
    page += "<p>None: every scenario scored 1.</p>\n";
  } else {
    page += "<p class=\"sub\">Drawn at the first at-fault collision (else the first collision, off-road or "
            "wrong-way event, else the end) as simulated: the ego (highlighted) and the agents where the run "
            "put them.</p>\n<div class=\"cards\" id=\"worst\">\n";
    ScenarioFiles files(std::filesystem::path(r.db).parent_path());
    for (size_t i = 0; i < shown; ++i) {
      const Pick& p = picks[i];
      const ResultRow& row = r.rows.at(p.id);
      const Picture pic = DrawScenario(store, r.info.id, row, &files, o);
      std::string tags;
      if (p.fault) tags += "<span class=\"tag fault\">at-fault collision</span>";
      if (p.fail) tags += "<span class=\"tag fail\">failed</span>";
      page += "<div class=\"card\">";
      if (pic.png.empty()) {
        page += fmt::format("<div class=\"none\">no picture</div>");
      } else {
        ++summary.thumbnails;
        page += fmt::format("<img alt=\"{}\" width=\"{}\" height=\"{}\" src=\"data:image/png;base64,{}\">",
                            Html(p.id), o.thumbnail_width, o.thumbnail_height, Base64(pic.png));
      }
      page += fmt::format("<div class=\"id\">{}</div><div>{}{}</div><div class=\"note\">{}</div>", Html(p.id), tags,
                          p.line, Html(row.status == ScenarioStatus::kOk ? pic.note : row.error));
      page += "</div>\n";
    }
    page += "</div>\n";
  }
  if (failed > 0) {
    page += fmt::format("<h2>Failed scenarios ({})</h2>\n<table id=\"failed\"><tr><th>scenario</th><th>file</th>"
                        "<th>error</th></tr>\n",
                        failed);
    for (const auto& [id, row] : r.rows) {
      if (row.status == ScenarioStatus::kOk) continue;
      page += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n", Html(id), Html(row.scenario_file),
                          Html(row.error));
    }
    page += "</table>\n";
  }
  page += fmt::format("<footer>tarmac {} report, written {} from {}. One file: no scripts, no network.</footer>\n",
                      TARMAC_VERSION, UtcNowIso8601(), Html(r.db));
  page += "</main></body></html>\n";

  const std::filesystem::path tmp = o.output + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << page;
    if (!out) return Error{fmt::format("{}: cannot write the report", tmp.string())};
  }
  std::error_code ec;
  std::filesystem::rename(tmp, o.output, ec);
  if (ec) return Error{fmt::format("{}: cannot write the report: {}", o.output, ec.message())};
  summary.bytes = page.size();
  return summary;
}

namespace {

int RunReport(const ReportOptions& o, bool json) {
  Result<ReportSummary> s = WriteReport(o);
  if (!s.ok()) {
    fmt::print(stderr, "tarmac report: {}\n", s.error().message);
    return kExitInputError;
  }
  if (json) {
    nlohmann::json j = {{"output", s->output}, {"bytes", s->bytes}, {"thumbnails", s->thumbnails},
                        {"scenarios", s->scenarios}, {"compared", s->compared}};
    j["regression"] = s->compared ? nlohmann::json(s->regression) : nlohmann::json(nullptr);
    std::cout << j.dump(2) << "\n";
  } else {
    fmt::print("wrote {} ({} kB, {} scenarios, {} pictures{})\n", s->output, (s->bytes + 512) / 1024, s->scenarios,
               s->thumbnails, s->compared ? (s->regression ? ", verdict REGRESSION" : ", verdict OK") : "");
  }
  return kExitOk;
}

}  // namespace

void AddReportCommand(CLI::App* app) {
  auto o = std::make_shared<ReportOptions>();
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app->add_subcommand(
      "report", "One self-contained HTML file: a run's summary, its comparison with a baseline, the worst scenarios");
  cmd->add_option("--db", o->db, "Results database of runs given without FILE.db:")->capture_default_str();
  cmd->add_option("--run", o->run, "The run: id, name (latest of that name), or FILE.db:RUN")->required();
  cmd->add_option("--baseline", o->baseline, "Compare with this run (as tarmac compare BASELINE RUN)");
  cmd->add_option("-o,--output", o->output, "The HTML file to write")->capture_default_str();
  cmd->add_option("--pictures", o->thumbnails, "Pictures of the worst scenarios")->capture_default_str();
  cmd->add_flag("--strict", o->strict, "Verdict as tarmac compare --strict");
  cmd->add_flag("--json", *json, "Print what was written as JSON");
  cmd->callback([o, json] { SetCommand([o, json] { return RunReport(*o, *json); }); });
}

}  // namespace tarmac
