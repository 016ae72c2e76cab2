// Compiling a ScenarioSpec (spec.proto) into a tarmac.v1.Scenario.
//
// The spec's states hold at "now" (step history_s / dt). History is the same
// motion extrapolated backwards; the future is simulated step by step at
// 0.1 s: the ego (the "expert" whose log the scenario keeps) follows its route
// with IDM and its scheduled lane changes, braking for agents and red lights;
// agents follow their behaviours (IDM, speed profile, walking, standing) and
// fire their triggers once their condition first holds. Everything is
// deterministic: the same spec gives the same bytes.
//
// Errors point at the spec's line: "file.spec:12:5: agents[1].start.lane: no
// lane 'lane7' (lanes: lane0, lane1)". Besides malformed fields, compiling
// rejects what would make a useless scenario: agents starting in collision or
// off the road, a goal the ego's route cannot reach, a trigger that never
// fires, and a logged ego that collides.
#pragma once

#include <google/protobuf/text_format.h>

#include <memory>
#include <string>
#include <string_view>

#include "scenarios/result.h"
#include "tarmac/v1/scenario.pb.h"
#include "tarmac/v1/spec.pb.h"

namespace tarmac {

// Where the fields of a parsed spec were written, for error messages.
class SpecLocations {
 public:
  SpecLocations() = default;
  explicit SpecLocations(std::string file) : file_(std::move(file)) {}
  google::protobuf::TextFormat::ParseInfoTree* tree() { return &tree_; }
  // "file:line:col: " for a dotted path like "agents[1].start.lane" (the
  // deepest part of it that was written), or "file: " if unknown.
  std::string Where(const std::string& path) const;
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  google::protobuf::TextFormat::ParseInfoTree tree_;
};

// Parses spec text (protobuf text format); syntax errors name the line.
Result<v1::ScenarioSpec> ParseSpec(std::string_view text, SpecLocations* locations);

// Compiles a spec. `locations` (may be null) makes errors point at lines.
Result<v1::Scenario> CompileSpec(const v1::ScenarioSpec& spec, const SpecLocations* locations = nullptr);

// Reads and compiles a .spec file.
Result<v1::Scenario> BuildSpecFile(const std::string& path);

}  // namespace tarmac
