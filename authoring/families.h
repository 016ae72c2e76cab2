// Scenario families: parameter sweeps of the situations that matter most and
// that logs rarely contain. Each family draws its parameters (speeds, gaps,
// timings, geometry) from a seeded generator and writes a ScenarioSpec;
// GenerateScenario compiles it, drawing again (from the same stream) until
// the compiled scenario is valid, so the same (family, seed, index) always
// gives the same bytes.
//
// Families: cut-in, hard-braking-lead, stopped-vehicle, unprotected-left,
// merge, pedestrian-crossing, red-light, dense-lane-change.
// docs/authoring.md describes each one and its parameter ranges.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scenarios/result.h"
#include "scenarios/splitmix.h"
#include "tarmac/v1/scenario.pb.h"
#include "tarmac/v1/spec.pb.h"

namespace tarmac {

const std::vector<std::string>& FamilyNames();

// One draw of a family's spec; `id` names it.
Result<v1::ScenarioSpec> DrawFamilySpec(const std::string& family, const std::string& id, SplitMix64* rng);

struct Generated {
  v1::ScenarioSpec spec;
  v1::Scenario scenario;
};

// The index-th scenario of a family for a seed (ids "<family>-<seed>-<index>",
// index written with 3 digits). Draws are redrawn until the compiled
// scenario is valid and avoidable (the expert never brakes harder than
// 4 m/s^2).
Result<Generated> GenerateScenario(const std::string& family, uint64_t seed, int index);

// The .spec text `tarmac scenario generate` writes beside the scenario: a
// header naming the sweep, then the spec; it compiles to the same scenario.
std::string GeneratedSpecText(const v1::ScenarioSpec& spec, const std::string& family, uint64_t seed, int index);

}  // namespace tarmac
