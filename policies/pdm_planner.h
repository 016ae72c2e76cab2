// `pdm`: a PDM-Closed-style planner (Dauner et al., "Parting with
// Misconceptions about Learning-based Vehicle Motion Planning", CoRL 2023),
// the strong rule-based baseline. Each tick it
//  1. builds 15 proposals: IDM along the route centreline and along copies
//     shifted 1 m left and right, each at 5 desired speeds (0.2 .. 1.0 of the
//     lane's speed limit), over 4 s, against constant-velocity forecasts of
//     the agents and red lights;
//  2. simulates every proposal with the simulator's own tracker and bicycle
//     model from the actual ego state;
//  3. scores them with the project's metric functions (at-fault collisions,
//     drivable area, driving direction, progress, time to collision, comfort);
//  4. returns the best one, extended to 8 s, or brakes if even the best hits
//     something at fault within 2 s while slow.
// Parameters and the scoring rule: docs/simulator.md.
#pragma once

#include <vector>

#include "sim/idm.h"
#include "sim/planner.h"
#include "sim/tracker.h"

namespace tarmac {

struct PdmParams {
  std::vector<double> speed_fractions = {0.2, 0.4, 0.6, 0.8, 1.0};
  std::vector<double> lateral_offsets = {0.0, -1.0, 1.0};  // [m], + is left
  int proposal_steps = 40;                    // 4 s at 0.1 s
  IdmParams idm{1.0, 1.5, 1.5, 3.0, 10.0};    // s0, T, a, b, delta (PDM-Closed's values)
  double fallback_speed = 15.0;               // desired speed without a known limit [m/s]
  double obstacle_radius = 50.0;              // agents considered [m]
  int leader_update_every = 2;                // steps between leader searches
  // Scoring.
  double drivable_tolerance = 0.3;            // [m], nuPlan's drivable-area threshold
  double ttc_bound = 0.95;                    // [s]
  double emergency_ttc = 2.0;                 // brake if the best proposal collides this soon [s]
  double emergency_max_speed = 5.0;           // ... and the ego is at most this fast [m/s]
  double emergency_decel = 4.05;              // [m/s^2]
  // Proposals within this of the best total count as tied; ties go to the
  // smallest lateral offset (see PlanOne).
  double tie_tolerance = 0.01;
  TrackerParams tracker;
};

// The score of one simulated proposal (exposed for tests and reports).
struct ProposalScore {
  double collision = 1.0;      // multiplier: 0 (vehicle / VRU at fault), 0.5 (static object), 1
  double drivable = 1.0;       // multiplier
  double direction = 1.0;      // multiplier: 1, 0.5, 0
  double progress = 0.0;       // [0, 1], normalised over the proposals
  double ttc = 1.0;            // 0 or 1
  double comfort = 1.0;        // 0 or 1
  double total = 0.0;
  double progress_m = 0.0;     // raw progress along the centreline [m]
  int first_at_fault_step = -1;
};

class PdmPlanner final : public Planner {
 public:
  explicit PdmPlanner(PdmParams params = {}) : params_(std::move(params)) {}
  std::string name() const override { return "pdm"; }
  void Plan(std::span<const PlanRequest> requests, std::span<Trajectory> plans,
            std::span<std::string> errors, ThreadPool* pool) override;

  // Plans one request and also returns every proposal's score.
  void PlanOne(const PlanRequest& request, Trajectory* plan, std::string* error,
               std::vector<ProposalScore>* scores = nullptr) const;

 private:
  PdmParams params_;
};

}  // namespace tarmac
