// FeatureBuilder: the one C++ feature builder of the model contract
// (policies/features/model_io.h, docs/model-io.md). Simulation and training
// both call it, so a model sees the same numbers in both:
//  - BuildObservation: what a planner sees through a PlanRequest (model,
//    state, actor), the ego or any agent as "the actor";
//  - BuildTrainingSample: the same observation for any vehicle of a logged
//    scenario at a given step, taken from the log alone, plus the target (its
//    logged future). Only the target reads the log after "now".
// Writes into caller-owned float buffers (ObservationView / TargetView); no
// heap allocation per call once its scratch has grown to the largest scenario
// seen. Not thread-safe: one builder per thread.
#pragma once

#include <array>
#include <span>
#include <vector>

#include "policies/features/actor_frame.h"
#include "policies/features/model_io.h"
#include "sim/state_history.h"
#include "scenarios/result.h"
#include "sim/actor.h"
#include "sim/scenario_model.h"
#include "sim/sim_state.h"

namespace tarmac {

// Typed access to one observation in a caller-owned buffer of
// model_io::kObservationFloats floats (a slice of a batch tensor, say).
struct ObservationView {
  std::span<float> data;

  std::span<float> block(const model_io::Block& b) const { return data.subspan(b.offset, b.size); }
  // [T][6] / [T] / [2]
  float* ego_history(int t) const { return Row(model_io::kEgoHistory, t, model_io::kStateDim); }
  float& ego_mask(int t) const { return *Row(model_io::kEgoMask, t, 1); }
  float* ego_attr() const { return Row(model_io::kEgoAttr, 0, 0); }
  // [K][T][6] / [K][T] / [K][5] / [K]
  float* agent_history(int k, int t) const {
    return Row(model_io::kAgentHistory, k * model_io::kHistorySteps + t, model_io::kStateDim);
  }
  float& agent_mask(int k, int t) const { return *Row(model_io::kAgentMask, k * model_io::kHistorySteps + t, 1); }
  float* agent_attr(int k) const { return Row(model_io::kAgentAttr, k, model_io::kAgentAttrDim); }
  float& agent_valid(int k) const { return *Row(model_io::kAgentValid, k, 1); }
  // [M][P][4] / [M][P] / [M][8] / [M]
  float* lane_point(int m, int p) const {
    return Row(model_io::kLanePointsBlock, m * model_io::kLanePoints + p, model_io::kLanePointDim);
  }
  float& lane_point_mask(int m, int p) const {
    return *Row(model_io::kLanePointMask, m * model_io::kLanePoints + p, 1);
  }
  float* lane_attr(int m) const { return Row(model_io::kLaneAttr, m, model_io::kLaneAttrDim); }
  float& lane_valid(int m) const { return *Row(model_io::kLaneValid, m, 1); }
  // [S][6] / [S]
  float* static_object(int s) const { return Row(model_io::kStatic, s, model_io::kStaticDim); }
  float& static_valid(int s) const { return *Row(model_io::kStaticValid, s, 1); }

 private:
  float* Row(const model_io::Block& b, int row, int width) const {
    return data.data() + b.offset + static_cast<size_t>(row) * static_cast<size_t>(width);
  }
};

// The training target in a buffer of model_io::kTargetFloats floats: the
// sampled vehicle's logged box-centre poses at now + 0.1 s .. now + 8 s in its
// frame at now ([H][3]: x, y [m], heading [rad, wrapped]) and their validity ([H]).
struct TargetView {
  std::span<float> data;
  float* pose(int h) const {
    return data.data() + model_io::kTargetPoses.offset + static_cast<size_t>(h) * model_io::kPoseDim;
  }
  float& mask(int h) const { return data[model_io::kTargetMask.offset + static_cast<size_t>(h)]; }
};

// Which entities filled which rows (for tests, debugging and decoding), -1
// for padding. Agents and static objects by track index in
// model.scenario().tracks() (-1 also for an ego without a logged track);
// lanes by map lane index.
struct ObservationIndex {
  std::array<int, model_io::kMaxAgents> agent_track{};
  std::array<int, model_io::kMaxAgents> agent_entity{};   // kEgoActor (-1) or the model's agent index
  std::array<int, model_io::kMaxLanes> lane{};
  std::array<int, model_io::kMaxStatic> static_track{};
  int num_agents = 0, num_lanes = 0, num_static = 0;
};

class FeatureBuilder {
 public:
  FeatureBuilder();

  // The frame of `actor` (kEgoActor or an agent index) in `state`: its box
  // centre and heading now. Decoding a model's output uses the same frame.
  static ActorFrame FrameOf(const ScenarioModel& model, const SimState& state, int actor);

  // Writes the observation of `actor` in `state` into `out` (every float:
  // padding is zero). History: steps before model.start_step() from the log,
  // simulated steps from `history` (may be null: those steps are then masked).
  // Fails when the actor is an agent that is not active.
  Result<void> BuildObservation(const ScenarioModel& model, const SimState& state, int actor,
                                const StateHistory* history, ObservationView out,
                                ObservationIndex* index = nullptr);

  // Vehicles of the log that can be sampled at `step` (valid then), as track
  // indices in model.scenario().tracks(), in order. Every one is an ego sample.
  static void TrainingTracks(const ScenarioModel& model, int step, std::vector<int>* tracks);

  // The observation of track `track` at log step `step`, from the log up to
  // and including `step` only, and its target (the log after `step`). Fails if
  // the track is not a vehicle valid at `step`.
  Result<void> BuildTrainingSample(const ScenarioModel& model, int step, int track, ObservationView obs,
                                   TargetView target, ObservationIndex* index = nullptr);

 private:
  // Where an entity's state at a past or present step comes from.
  struct Source;
  struct Candidate {
    double d2;       // squared distance to the actor now [m^2]
    int track;       // tie-break: track index (-1: an ego without a track)
    int entity;      // kEgoActor or an agent index
  };
  Result<void> Build(const ScenarioModel& model, const Source& src, int actor, ObservationView out,
                     ObservationIndex* index);
  void WriteLanes(const ScenarioModel& model, const Source& src, int actor, const ActorFrame& frame,
                  ObservationView out, ObservationIndex* index);

  std::vector<Candidate> movers_, statics_;
  std::vector<LaneProjection> lanes_;
  std::vector<uint8_t> on_route_;  // per map lane, all 0 between calls
};

}  // namespace tarmac
