#include "tools/scenario_command.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "authoring/plausibility.h"
#include "render/gif_writer.h"
#include "render/scene_renderer.h"
#include "scenarios/import/gpudrive_json.h"
#include "scenarios/import/womd.h"
#include "scenarios/scenario_io.h"
#include "scenarios/summary.h"
#include "scenarios/validate.h"
#include "tools/authoring_command.h"
#include "tools/cli_util.h"

namespace tarmac {
namespace {

struct InfoOptions {
  std::vector<std::string> files;
  bool json = false;
  std::string format;
};

struct ValidateCmdOptions {
  std::vector<std::string> files;
  bool json = false;
  bool strict = false;  // warnings fail too
  std::string format;
};

struct ConvertOptions {
  std::vector<std::string> paths;  // inputs..., output
  std::string format;
};

struct RenderCmdOptions {
  std::string file;
  std::string out;
  double time_s = -1.0;
  int step = -1;
  int record = 0;
  RenderOptions render;
  std::string format;
  bool animate = false;  // the whole scenario as a GIF
  int stride = 2;        // --animate: one frame every `stride` steps
};

// Reads `options.format` (empty = auto) into ReadOptions; false on a bad name.
bool ParseFormatFlag(const std::string& name, ReadOptions* out) {
  if (name.empty()) return true;
  const std::optional<Format> f = FormatFromName(name);
  if (!f) {
    std::string names;
    for (Format g : AllFormats()) names += std::string(names.empty() ? "" : ", ") + std::string(FormatName(g));
    fmt::print(stderr, "tarmac: --format '{}' is not one of: {}\n", name, names);
    return false;
  }
  out->format = *f;
  return true;
}

std::vector<std::filesystem::path> Inputs(const std::vector<std::string>& args, int* exit_code) {
  std::vector<std::string> missing;
  std::vector<std::filesystem::path> files = ExpandScenarioPaths(args, &missing);
  for (const std::string& m : missing) {
    fmt::print(stderr, "{}: no such file or directory\n", m);
    *exit_code = kExitInputError;
  }
  return files;
}

nlohmann::json SummaryJson(const std::string& file, size_t record, const ScenarioSummary& s) {
  nlohmann::json by_type = nlohmann::json::object();
  for (int t = 1; t <= 5; ++t) {
    by_type[TrackTypeName(static_cast<v1::TrackType>(t))] = s.tracks_by_type[static_cast<size_t>(t)];
  }
  nlohmann::json notes = nlohmann::json::object();
  for (const auto& [k, v] : s.notes) notes[k] = v;
  return {{"file", file},
          {"record", record},
          {"id", s.id},
          {"format", s.format},
          {"dataset", s.dataset},
          {"license", s.license},
          {"map", s.map_name},
          {"dt", s.dt_s},
          {"num_steps", s.num_steps},
          {"current_step", s.current_step},
          {"duration_s", s.duration_s},
          {"num_tracks", s.num_tracks},
          {"tracks_by_type", by_type},
          {"ego", s.ego},
          {"num_lanes", s.num_lanes},
          {"num_road_edges", s.num_road_edges},
          {"num_road_lines", s.num_road_lines},
          {"num_crosswalks", s.num_crosswalks},
          {"num_stop_lines", s.num_stop_lines},
          {"num_stop_signs", s.num_stop_signs},
          {"num_areas", s.num_areas},
          {"num_traffic_lights", s.num_traffic_lights},
          {"num_goal_regions", s.num_goal_regions},
          {"extent", {s.min_x, s.min_y, s.max_x, s.max_y}},
          {"tags", s.tags},
          {"notes", notes}};
}

void PrintSummary(const std::string& file, size_t record, size_t records, const ScenarioSummary& s) {
  fmt::print("{}{}\n", file, records > 1 ? fmt::format(" [record {}]", record) : "");
  fmt::print("  id        {}\n", s.id);
  fmt::print("  format    {}   dataset: {}\n", s.format, s.dataset.empty() ? "unknown" : s.dataset);
  fmt::print("  licence   {}\n", s.license.empty() ? "unknown" : s.license);
  fmt::print("  time      {} steps x {} s = {:.1f} s, now = step {}\n", s.num_steps, s.dt_s,
             s.duration_s, s.current_step);
  std::string types;
  for (int t = 1; t <= 5; ++t) {
    const int n = s.tracks_by_type[static_cast<size_t>(t)];
    if (n > 0) {
      types += fmt::format("{}{} {}", types.empty() ? "" : ", ", n,
                           TrackTypeName(static_cast<v1::TrackType>(t)));
    }
  }
  fmt::print("  tracks    {}{}\n", s.num_tracks, types.empty() ? "" : ": " + types);
  fmt::print("  ego       {}\n", s.ego);
  fmt::print("  map       {}{} lanes, {} road edges, {} road lines, {} crosswalks, {} stop lines, "
             "{} stop signs, {} areas\n",
             s.map_name.empty() ? "" : s.map_name + ": ", s.num_lanes, s.num_road_edges,
             s.num_road_lines, s.num_crosswalks, s.num_stop_lines, s.num_stop_signs, s.num_areas);
  fmt::print("  extent    x [{:.1f}, {:.1f}]  y [{:.1f}, {:.1f}]  ({:.0f} x {:.0f} m)\n", s.min_x,
             s.max_x, s.min_y, s.max_y, s.max_x - s.min_x, s.max_y - s.min_y);
  fmt::print("  signals   {} traffic lights   goal: {} region(s)\n", s.num_traffic_lights,
             s.num_goal_regions);
  if (!s.tags.empty()) fmt::print("  tags      {}\n", fmt::join(s.tags, " "));
  for (const auto& [k, v] : s.notes) fmt::print("  note      {} = {}\n", k, v);
}

int RunInfo(const InfoOptions& o) {
  int code = kExitOk;
  ReadOptions read;
  if (!ParseFormatFlag(o.format, &read)) return kExitInputError;
  for (const std::filesystem::path& file : Inputs(o.files, &code)) {
    Result<std::vector<v1::Scenario>> r = ReadScenarios(file, read);
    if (!r.ok()) {
      code = kExitInputError;
      if (o.json) {
        std::cout << nlohmann::json{{"file", file.string()}, {"error", r.error().message}}.dump() << "\n";
      }
      fmt::print(stderr, "{}\n", r.error().message);
      continue;
    }
    for (size_t i = 0; i < r->size(); ++i) {
      const ScenarioSummary s = Summarize((*r)[i]);
      if (o.json) {
        std::cout << SummaryJson(file.string(), i, s).dump() << "\n";
      } else {
        PrintSummary(file.string(), i, r->size(), s);
      }
    }
    std::cout.flush();
  }
  return code;
}

int RunValidate(const ValidateCmdOptions& o) {
  int code = kExitOk;
  ReadOptions read;
  if (!ParseFormatFlag(o.format, &read)) return kExitInputError;
  int files_ok = 0, files_bad = 0;
  for (const std::filesystem::path& file : Inputs(o.files, &code)) {
    Result<std::vector<v1::Scenario>> r = ReadScenarios(file, read);
    if (!r.ok()) {
      ++files_bad;
      code = kExitInputError;
      if (o.json) {
        std::cout << nlohmann::json{{"file", file.string()}, {"ok", false}, {"error", r.error().message}}.dump()
                  << "\n";
      } else {
        fmt::print("{}: error: {}\n", file.string(), r.error().message);
      }
      continue;
    }
    bool file_ok = true;
    for (size_t i = 0; i < r->size(); ++i) {
      std::vector<Problem> problems = ValidateScenario((*r)[i]);
      if (IsAuthored((*r)[i])) {
        for (Problem& p : CheckAuthoredScenario((*r)[i])) problems.push_back(std::move(p));
      }
      const int errors = CountErrors(problems);
      const int warnings = static_cast<int>(problems.size()) - errors;
      const bool ok = errors == 0 && (!o.strict || warnings == 0);
      file_ok = file_ok && ok;
      const std::string label =
          r->size() > 1 ? fmt::format("{} [record {}]", file.string(), i) : file.string();
      if (o.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const Problem& p : problems) {
          list.push_back({{"severity", p.severity == Severity::kError ? "error" : "warning"},
                          {"where", p.where},
                          {"what", p.what}});
        }
        std::cout << nlohmann::json{{"file", file.string()}, {"record", i}, {"id", (*r)[i].id()},
                                    {"ok", ok}, {"errors", errors}, {"warnings", warnings},
                                    {"problems", list}}
                         .dump()
                  << "\n";
      } else {
        for (const Problem& p : problems) {
          fmt::print("{}: {}: {}: {}\n", label, p.severity == Severity::kError ? "error" : "warning",
                     p.where, p.what);
        }
        fmt::print("{}: {} ({} errors, {} warnings)\n", label, ok ? "OK" : "INVALID", errors, warnings);
      }
    }
    if (file_ok) {
      ++files_ok;
    } else {
      ++files_bad;
      code = kExitInputError;
    }
  }
  if (!o.json) fmt::print("{} file(s) valid, {} invalid\n", files_ok, files_bad);
  return code;
}

// The output encoding chosen by a path's extension.
enum class OutputKind { kTarmac, kWomd, kGpuDrive };

OutputKind OutputKindOf(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  const std::string name = path.filename().string();
  if (ext == ".tfrecord" || name.find(".tfrecord") != std::string::npos) return OutputKind::kWomd;
  if (ext == ".json") return OutputKind::kGpuDrive;
  return OutputKind::kTarmac;
}

Result<void> WriteBytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Error{fmt::format("{}: cannot write", path.string())};
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) return Error{fmt::format("{}: write failed", path.string())};
  return {};
}

int RunConvert(const ConvertOptions& o) {
  if (o.paths.size() < 2) {
    fmt::print(stderr, "tarmac scenario convert: need IN... OUT\n");
    return kExitInputError;
  }
  ReadOptions read;
  if (!ParseFormatFlag(o.format, &read)) return kExitInputError;
  const std::filesystem::path out(o.paths.back());
  const std::vector<std::string> in_args(o.paths.begin(), o.paths.end() - 1);
  int code = kExitOk;
  const std::vector<std::filesystem::path> inputs = Inputs(in_args, &code);
  std::error_code ec;
  const bool out_is_dir = std::filesystem::is_directory(out, ec) || o.paths.back().back() == '/';
  const OutputKind kind = out_is_dir ? OutputKind::kTarmac : OutputKindOf(out);
  std::vector<std::pair<std::filesystem::path, v1::Scenario>> scenarios;
  for (const std::filesystem::path& file : inputs) {
    Result<std::vector<v1::Scenario>> r = ReadScenarios(file, read);
    if (!r.ok()) {
      fmt::print(stderr, "{}\n", r.error().message);
      code = kExitInputError;
      continue;
    }
    for (v1::Scenario& s : *r) scenarios.emplace_back(file, std::move(s));
  }
  if (kind == OutputKind::kWomd) {
    // One TFRecord file holds every scenario, as WOMD shards do.
    std::vector<v1::Scenario> all;
    for (auto& [file, s] : scenarios) all.push_back(s);
    std::vector<std::string> dropped;
    const Result<void> w = WriteWomdTfRecord(all, out, &dropped);
    if (!w.ok()) {
      fmt::print(stderr, "{}\n", w.error().message);
      return kExitInputError;
    }
    // What WOMD cannot hold, so the user knows what the file lacks.
    for (const std::string& note : dropped) fmt::print("note: {}\n", note);
    fmt::print("{} scenario(s) -> {}\n", all.size(), out.string());
    return code;
  }
  if (!out_is_dir && scenarios.size() > 1) {
    fmt::print(stderr, "tarmac scenario convert: {} scenarios but OUT '{}' is a file; give a directory\n",
               scenarios.size(), out.string());
    return kExitInputError;
  }
  if (out_is_dir) std::filesystem::create_directories(out, ec);
  for (const auto& [file, s] : scenarios) {
    const std::filesystem::path target = out_is_dir ? out / (s.id() + ".pb") : out;
    Result<void> w;
    if (kind == OutputKind::kGpuDrive) {
      Result<std::string> json = WriteGpuDriveJson(s);
      w = json.ok() ? WriteBytes(target, *json) : Result<void>(json.error());
    } else {
      w = WriteScenario(s, target);
    }
    if (!w.ok()) {
      fmt::print(stderr, "{}: {}\n", file.string(), w.error().message);
      code = kExitInputError;
      continue;
    }
    fmt::print("{} -> {}\n", file.string(), target.string());
  }
  return code;
}

int RunRender(const RenderCmdOptions& o) {
  ReadOptions read;
  if (!ParseFormatFlag(o.format, &read)) return kExitInputError;
  Result<std::vector<v1::Scenario>> r = ReadScenarios(o.file, read);
  if (!r.ok()) {
    fmt::print(stderr, "{}\n", r.error().message);
    return kExitInputError;
  }
  if (o.record < 0 || static_cast<size_t>(o.record) >= r->size()) {
    fmt::print(stderr, "{}: --record {} but the file holds {} scenario(s)\n", o.file, o.record, r->size());
    return kExitInputError;
  }
  const v1::Scenario& s = (*r)[static_cast<size_t>(o.record)];
  if (o.animate) {
    if (std::filesystem::path(o.out).extension() != ".gif") {
      fmt::print(stderr, "-o {}: --animate writes a GIF; name the output *.gif\n", o.out);
      return kExitInputError;
    }
    const Result<void> w = RenderSceneGif(s, o.render, o.stride, o.out);
    if (!w.ok()) {
      fmt::print(stderr, "{}\n", w.error().message);
      return kExitInputError;
    }
    fmt::print("{} ({} steps, a frame every {}) -> {}\n", o.file, s.time().num_steps(), o.stride, o.out);
    return kExitOk;
  }
  int step = s.time().current_step();
  if (o.step >= 0) step = o.step;
  if (o.time_s >= 0.0) step = static_cast<int>(std::lround(o.time_s / s.time().dt_s()));
  if (step >= s.time().num_steps()) {
    fmt::print(stderr, "{}: --time {:.2f} s is past the scenario's end ({:.1f} s)\n", o.file,
               step * s.time().dt_s(), (s.time().num_steps() - 1) * s.time().dt_s());
    return kExitInputError;
  }
  const Result<void> w = RenderScenePng(s, step, o.render, o.out);
  if (!w.ok()) {
    fmt::print(stderr, "{}\n", w.error().message);
    return kExitInputError;
  }
  fmt::print("{} (step {}) -> {}\n", o.file, step, o.out);
  return kExitOk;
}

}  // namespace

void AddScenarioCommand(CLI::App* app) {
  CLI::App* scenario = app->add_subcommand(
      "scenario", "Inspect, check, convert and draw scenario files; write, generate and perturb scenarios");
  scenario->require_subcommand(1);
  const std::string formats =
      "Input format, overriding detection: tarmac-pb, tarmac-pbtxt, commonroad-xml, "
      "scenarionet-pickle, womd-tfrecord, gpudrive-json, tarmac-spec";

  auto info = std::make_shared<InfoOptions>();
  CLI::App* info_cmd = scenario->add_subcommand(
      "info", "Summarise scenario files: source, duration, tracks by type, ego, map, licence");
  info_cmd->add_option("files", info->files, "Scenario files or folders")->required();
  info_cmd->add_flag("--json", info->json, "One JSON object per scenario (JSON Lines)");
  info_cmd->add_option("--format", info->format, formats);
  info_cmd->callback([info] { SetCommand([info] { return RunInfo(*info); }); });

  auto validate = std::make_shared<ValidateCmdOptions>();
  CLI::App* validate_cmd = scenario->add_subcommand(
      "validate", "Check scenario files and list every problem with its location");
  validate_cmd->add_option("files", validate->files, "Scenario files or folders")->required();
  validate_cmd->add_flag("--json", validate->json, "One JSON object per scenario");
  validate_cmd->add_flag("--strict", validate->strict, "Treat warnings as failures");
  validate_cmd->add_option("--format", validate->format, formats);
  validate_cmd->callback([validate] { SetCommand([validate] { return RunValidate(*validate); }); });

  auto convert = std::make_shared<ConvertOptions>();
  CLI::App* convert_cmd = scenario->add_subcommand(
      "convert",
      "Convert scenarios: OUT.pb / .pbtxt (tarmac), OUT.tfrecord (WOMD, all inputs in one file), "
      "OUT.json (GPUDrive), or a folder (one .pb each)");
  convert_cmd->add_option("paths", convert->paths, "IN... OUT")->required()->expected(2, -1);
  convert_cmd->add_option("--format", convert->format, formats);
  convert_cmd->callback([convert] { SetCommand([convert] { return RunConvert(*convert); }); });

  auto render = std::make_shared<RenderCmdOptions>();
  CLI::App* render_cmd = scenario->add_subcommand(
      "render", "Draw a scenario at one time to a PNG, or all of it to an animated GIF (--animate)");
  render_cmd->add_option("file", render->file, "Scenario file")->required();
  render_cmd->add_option("-o,--output", render->out, "Output PNG (GIF with --animate)")->required();
  render_cmd->add_flag("--animate", render->animate,
                       "The whole scenario as an animated GIF at real time, view fixed on all of it");
  render_cmd->add_option("--stride", render->stride, "--animate: one frame every N steps (default 2)");
  render_cmd->add_option("--time", render->time_s, "Time to draw [s] (default: the current step)");
  render_cmd->add_option("--step", render->step, "Step to draw (alternative to --time)");
  render_cmd->add_option("--record", render->record, "Scenario index inside a multi-scenario file");
  CLI::Option* width = render_cmd->add_option("--width", render->render.width_px,
                                              "Image width [px] (default 1200; 800 with --animate)");
  CLI::Option* height = render_cmd->add_option("--height", render->render.height_px,
                                               "Image height [px] (default 900; 600 with --animate)");
  render_cmd->add_option("--view", render->render.view_half_width_m,
                         "Half-width of the view around the ego [m] (default: fit all agents)");
  render_cmd->add_flag("--ids", render->render.show_ids, "Label tracks with their ids");
  render_cmd->add_option("--format", render->format, formats);
  render_cmd->callback([render, width, height] {
    if (render->animate && width->count() == 0) render->render.width_px = 800;
    if (render->animate && height->count() == 0) render->render.height_px = 600;
    SetCommand([render] { return RunRender(*render); });
  });

  AddAuthoringCommands(scenario);
}

}  // namespace tarmac
