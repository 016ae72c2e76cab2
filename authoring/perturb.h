// Perturbations: bending a recorded (or authored) scenario into a new test
// case. Every op is seeded, so the same input, op, options and seed give the
// same bytes, and every result passes ValidateScenario before it is returned.
//
//   shift-time    one agent's whole track earlier or later by `amount` s
//                 (drawn from ±[0.5, 2.0] s); states shifted past the log's
//                 ends become invalid.
//   scale-speed   one agent drives its logged path `amount` times as fast
//                 (drawn from [0.6, 0.85] or [1.15, 1.4]), re-timed about the
//                 current step so its state "now" is unchanged.
//   inject-agent  a stopped vehicle (`kind` stopped-vehicle) on the ego's path
//                 12-60 m ahead, or a pedestrian (`kind` jaywalker) crossing
//                 it (up to 150 m ahead) timed to be in the ego's way 1-2.5 s
//                 before the logged ego gets there; without `kind`, a seeded
//                 pick, and the other kind if the picked one finds no place.
//   remove-agent  one agent deleted.
//   mirror        the whole scene reflected across the x axis (y -> -y):
//                 right-hand traffic becomes left-hand traffic.
//
// Tracks an op changes or adds are marked scripted (Track.scripted), so
// reactive agent models replay them and the perturbation survives.
//
// Without `agent`, ops that act on one agent pick among the five agents
// nearest the ego at the current step. Draws that would start the scene in a
// collision (or, for injected agents, put them in a logged agent's way) are
// redrawn; when none works the error says why.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scenarios/result.h"
#include "tarmac/v1/scenario.pb.h"

namespace tarmac {

struct PerturbOptions {
  std::string op;        // one of PerturbOps()
  uint64_t seed = 0;
  std::string agent;     // track id to act on; empty = seeded choice
  double amount = 0.0;   // op-specific (seconds, factor); 0 = seeded draw
  std::string kind;      // inject-agent: "stopped-vehicle" or "jaywalker"; empty = seeded
};

const std::vector<std::string>& PerturbOps();

// The perturbed scenario, with id "<id>~<op>-<seed>", the tag "perturbed" and
// a provenance note saying exactly what changed.
Result<v1::Scenario> Perturb(const v1::Scenario& scenario, const PerturbOptions& options);

}  // namespace tarmac
