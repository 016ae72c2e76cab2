#include "tools/authoring_command.h"

#include <fmt/format.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "authoring/compiler.h"
#include "authoring/families.h"
#include "authoring/perturb.h"
#include "authoring/plausibility.h"
#include "authoring/templates.h"
#include "scenarios/scenario_io.h"
#include "tools/cli_util.h"

namespace tarmac {
namespace {

struct NewOptions {
  std::string name;
  std::string out;
  bool list = false;
  bool force = false;
};

struct BuildOptions {
  std::string spec;
  std::string out;
};

struct GenerateOptions {
  std::string family;
  int count = 1;
  uint64_t seed = 0;
  std::string out_dir;
};

struct PerturbCmdOptions {
  std::string in;
  std::string out;
  int record = 0;
  PerturbOptions perturb;
};

std::string Names(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

Result<void> WriteText(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Error{fmt::format("{}: cannot write", path.string())};
  return {};
}

int RunNew(const NewOptions& o) {
  std::vector<std::string> names;
  for (const SpecTemplate& t : SpecTemplates()) names.push_back(t.name);
  if (o.list) {
    for (const std::string& n : names) fmt::print("{}\n", n);
    return kExitOk;
  }
  if (o.name.empty() || o.out.empty()) {
    fmt::print(stderr, "scenario new: give --template NAME and -o FILE (templates: {})\n", Names(names));
    return kExitInputError;
  }
  for (const SpecTemplate& t : SpecTemplates()) {
    if (o.name != t.name) continue;
    std::error_code ec;
    if (std::filesystem::exists(o.out, ec) && !o.force) {
      fmt::print(stderr, "{}: exists; pass --force to overwrite it\n", o.out);
      return kExitInputError;
    }
    if (Result<void> w = WriteText(o.out, t.text); !w.ok()) {
      fmt::print(stderr, "{}\n", w.error().message);
      return kExitInputError;
    }
    fmt::print("{} template -> {} (build it with: tarmac scenario build {} -o OUT.pb)\n", t.name, o.out, o.out);
    return kExitOk;
  }
  fmt::print(stderr, "--template '{}' is not one of: {}\n", o.name, Names(names));
  return kExitInputError;
}

int RunBuild(const BuildOptions& o) {
  Result<v1::Scenario> s = BuildSpecFile(o.spec);
  if (!s.ok()) {
    fmt::print(stderr, "{}\n", s.error().message);
    return kExitInputError;
  }
  if (Result<void> w = WriteScenario(*s, o.out); !w.ok()) {
    fmt::print(stderr, "{}\n", w.error().message);
    return kExitInputError;
  }
  fmt::print("{} -> {} ({} tracks, {:.1f} s)\n", o.spec, o.out, s->tracks_size(),
             (s->time().num_steps() - 1) * s->time().dt_s());
  return kExitOk;
}

int RunGenerate(const GenerateOptions& o) {
  std::vector<std::string> families;
  if (o.family == "all") {
    families = FamilyNames();
  } else {
    for (const std::string& f : FamilyNames()) {
      if (f == o.family) families.push_back(f);
    }
  }
  if (families.empty()) {
    fmt::print(stderr, "--family '{}' is not one of: all, {}\n", o.family, Names(FamilyNames()));
    return kExitInputError;
  }
  if (o.count < 1 || o.count > 100000) {
    fmt::print(stderr, "--count {} must be in [1, 100000]\n", o.count);
    return kExitInputError;
  }
  std::error_code ec;
  std::filesystem::create_directories(o.out_dir, ec);
  if (ec) {
    fmt::print(stderr, "{}: cannot create the folder: {}\n", o.out_dir, ec.message());
    return kExitInputError;
  }
  int written = 0, failed = 0;
  for (const std::string& family : families) {
    for (int i = 0; i < o.count; ++i) {
      Result<Generated> g = GenerateScenario(family, o.seed, i);
      if (!g.ok()) {
        fmt::print(stderr, "{}\n", g.error().message);
        ++failed;
        continue;
      }
      const std::filesystem::path base = std::filesystem::path(o.out_dir) / g->scenario.id();
      Result<void> w = WriteScenario(g->scenario, base.string() + ".pb");
      if (w.ok()) w = WriteText(base.string() + ".spec", GeneratedSpecText(g->spec, family, o.seed, i));
      if (!w.ok()) {
        fmt::print(stderr, "{}\n", w.error().message);
        return kExitInputError;
      }
      ++written;
    }
    fmt::print("{}: {} scenario(s)\n", family, o.count);
  }
  fmt::print("{} scenario(s) in {} (.pb + .spec each){}\n", written, o.out_dir,
             failed > 0 ? fmt::format(", {} failed", failed) : "");
  return failed > 0 ? kExitInputError : kExitOk;
}

int RunPerturb(const PerturbCmdOptions& o) {
  Result<std::vector<v1::Scenario>> in = ReadScenarios(o.in);
  if (!in.ok()) {
    fmt::print(stderr, "{}\n", in.error().message);
    return kExitInputError;
  }
  if (o.record < 0 || static_cast<size_t>(o.record) >= in->size()) {
    fmt::print(stderr, "{}: --record {} but the file holds {} scenario(s)\n", o.in, o.record, in->size());
    return kExitInputError;
  }
  Result<v1::Scenario> out = Perturb((*in)[static_cast<size_t>(o.record)], o.perturb);
  if (!out.ok()) {
    fmt::print(stderr, "{}: {}\n", o.in, out.error().message);
    return kExitInputError;
  }
  if (Result<void> w = WriteScenario(*out, o.out); !w.ok()) {
    fmt::print(stderr, "{}\n", w.error().message);
    return kExitInputError;
  }
  const v1::KeyValue& note = out->provenance().notes(out->provenance().notes_size() - 1);
  fmt::print("{} -> {} ({}): {}\n", o.in, o.out, out->id(), note.value());
  return kExitOk;
}

}  // namespace

void AddAuthoringCommands(CLI::App* scenario) {
  auto make = std::make_shared<NewOptions>();
  CLI::App* new_cmd = scenario->add_subcommand("new", "Write a commented starting-point spec for a scenario family");
  new_cmd->add_option("--template", make->name, "Family: " + [] {
    std::vector<std::string> names;
    for (const SpecTemplate& t : SpecTemplates()) names.push_back(t.name);
    return Names(names);
  }());
  new_cmd->add_option("-o,--output", make->out, "The .spec file to write");
  new_cmd->add_flag("--list", make->list, "List the templates");
  new_cmd->add_flag("--force", make->force, "Overwrite an existing file");
  new_cmd->callback([make] { SetCommand([make] { return RunNew(*make); }); });

  auto build = std::make_shared<BuildOptions>();
  CLI::App* build_cmd = scenario->add_subcommand(
      "build", "Compile a .spec (ScenarioSpec text) into a scenario; errors point at the line");
  build_cmd->add_option("spec", build->spec, "The .spec file")->required();
  build_cmd->add_option("-o,--output", build->out, "OUT.pb (binary) or OUT.pbtxt (text)")->required();
  build_cmd->callback([build] { SetCommand([build] { return RunBuild(*build); }); });

  auto gen = std::make_shared<GenerateOptions>();
  CLI::App* gen_cmd = scenario->add_subcommand(
      "generate", "Parameter sweeps of a scenario family; the same seed gives byte-identical files");
  gen_cmd->add_option("--family", gen->family, "all, " + Names(FamilyNames()))->required();
  gen_cmd->add_option("--count", gen->count, "Scenarios per family (default 1)");
  gen_cmd->add_option("--seed", gen->seed, "Seed of the sweep (default 0)");
  gen_cmd->add_option("-o,--output", gen->out_dir, "Folder for <id>.pb and <id>.spec")->required();
  gen_cmd->callback([gen] { SetCommand([gen] { return RunGenerate(*gen); }); });

  auto perturb = std::make_shared<PerturbCmdOptions>();
  CLI::App* perturb_cmd = scenario->add_subcommand(
      "perturb", "Bend a scenario (any input format) into a new, validated one");
  perturb_cmd->add_option("in", perturb->in, "Input scenario file")->required();
  perturb_cmd->add_option("--op", perturb->perturb.op, Names(PerturbOps()))->required();
  perturb_cmd->add_option("--seed", perturb->perturb.seed, "Seed of the op's draws (default 0)");
  perturb_cmd->add_option("-o,--output", perturb->out, "OUT.pb or OUT.pbtxt")->required();
  perturb_cmd->add_option("--agent", perturb->perturb.agent,
                          "shift-time, scale-speed, remove-agent: the track to act on (default: a seeded pick "
                          "among the 5 nearest the ego)");
  perturb_cmd->add_option("--amount", perturb->perturb.amount,
                          "shift-time: seconds (+ later); scale-speed: speed factor (default: seeded draw)");
  perturb_cmd->add_option("--kind", perturb->perturb.kind, "inject-agent: stopped-vehicle or jaywalker");
  perturb_cmd->add_option("--record", perturb->record, "Scenario index inside a multi-scenario file");
  perturb_cmd->callback([perturb] { SetCommand([perturb] { return RunPerturb(*perturb); }); });
}

}  // namespace tarmac
