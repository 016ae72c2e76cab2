// Compact rollout traces for the results store: enough to replay a rollout in
// a viewer (ego pose, speed, acceleration and steering per step; every
// agent's pose and active flag per step; the planner's thinned trajectories),
// in about a tenth of a kilobyte per scenario-step (docs/results-db.md has the
// measured sizes).
//
// Encoding (codec version 1), per blob: one version byte, one kind byte ('E'
// ego, 'A' agents, 'P' plans), the payload's size as a varint, then the
// payload compressed with zlib. The payload holds integers only, quantised:
//   positions       centimetres            (int32 range)
//   headings, steer milliradians           (headings wrapped to [-pi, pi): int16 range)
//   speed           centimetres per second (int32 range)
//   acceleration    cm/s^2                 (int32 range)
// Each quantity is a column along time; a column stores the residual to a
// prediction (the previous value, or for positions the linear extrapolation
// of the two previous values) as a zigzag varint. Agents are stored only at
// the steps where they are active (runs of inactive/active steps). Decoding a
// blob therefore gives back the quantised values exactly: every value is
// within half a quantum of the original (heading modulo 2 pi).
//
// DecodeTrace never trusts its input: a truncated, corrupt or oversized blob
// gives an Error, never a crash or an unbounded allocation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scenarios/result.h"
#include "sim/rollout.h"
#include "sim/scenario_model.h"
#include "sim/trajectory.h"
#include "store/encoded_trace.h"

namespace tarmac {

inline constexpr uint8_t kTraceCodecVersion = 1;

// Quanta: value = integer / scale.
inline constexpr double kTracePositionScale = 100.0;  // [1/m]: centimetres
inline constexpr double kTraceAngleScale = 1000.0;    // [1/rad]: milliradians
inline constexpr double kTraceSpeedScale = 100.0;     // [s/m]: cm/s
inline constexpr double kTraceAccelScale = 100.0;     // [s^2/m]: cm/s^2

// One agent of the scenario, as the viewer needs it.
struct AgentMeta {
  std::string id;       // track id
  std::string type;     // "vehicle", "pedestrian", ... (TrackTypeName)
  double length = 0.0;  // [m]
  double width = 0.0;   // [m]
  bool operator==(const AgentMeta&) const = default;
};

// The agents of a model, in agent index order.
std::vector<AgentMeta> AgentMetaOf(const ScenarioModel& model);
std::string AgentMetaToJson(const std::vector<AgentMeta>& agents);
Result<std::vector<AgentMeta>> AgentMetaFromJson(const std::string& json);

// The ego at one recorded step, quantised.
struct TraceEgoSample {
  int step = 0;                          // log step
  double x = 0.0, y = 0.0, heading = 0.0;  // box centre [m], [rad, in [-pi, pi)]
  double speed = 0.0;                    // [m/s]
  double accel = 0.0;                    // [m/s^2]
  double steer = 0.0;                    // [rad]
};

struct DecodedTrace {
  double dt = 0.1;       // [s]
  int start_step = 0;    // log step of ego[0]
  int num_steps = 0;     // recorded states = ego.size()
  std::vector<AgentMeta> agents;
  std::vector<TraceEgoSample> ego;
  // Agents per recorded step k: index [k * num_agents + i]; empty when the
  // rollout did not record agents. Pose is 0 where the agent is not active.
  int num_agents = 0;
  std::vector<double> agent_x, agent_y, agent_heading;  // [m], [m], [rad, in [-pi, pi)]
  std::vector<uint8_t> agent_active;
  // The plans, as in RolloutTrace: the poses of plan k are
  // plan_poses[plan_start[k] .. plan_start[k + 1]); plan k was made at step
  // start_step + k. Empty when the rollout did not record plans.
  int plan_stride = 5;
  std::vector<Pose2> plan_poses;
  std::vector<int> plan_start;
};

// Encodes a rollout's trace with the model's time base and agents. Fails on
// non-finite or out-of-range values or inconsistent array sizes.
Result<EncodedTrace> EncodeTrace(const RolloutTrace& trace, const ScenarioModel& model);
Result<EncodedTrace> EncodeTrace(const RolloutTrace& trace, double dt, int start_step,
                                 const std::vector<AgentMeta>& agents);

Result<DecodedTrace> DecodeTrace(const EncodedTrace& encoded);

// Wraps an angle to [-pi, pi) [rad].
double WrapTraceAngle(double angle);

}  // namespace tarmac
