// The lock-step runner on every real scenario: determinism across thread
// counts and runs, tracker fidelity, failure isolation, and pdm's safety.
#include "sim/runner.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>

#include "agents/idm_agents.h"
#include "agents/log_agents.h"
#include "policies/constant_velocity_planner.h"
#include "policies/idm_planner.h"
#include "policies/log_planner.h"
#include "policies/pdm_planner.h"
#include "scenarios/scenario_io.h"
#include "sim/actor.h"
#include "tests/support/real_scenarios.h"
#include "tests/support/test_data.h"

namespace tarmac {
namespace {

std::vector<uint64_t> Hashes(const std::vector<RolloutResult>& results) {
  std::vector<uint64_t> h;
  for (const RolloutResult& r : results) {
    REQUIRE(r.ok);
    h.push_back(r.state_hash);
  }
  return h;
}

void CheckDeterministic(Planner* planner, const AgentModel& agents,
                        const std::vector<std::shared_ptr<const ScenarioModel>>& models) {
  SimConfig config;
  config.record_agents = false;
  ThreadPool one(1), two(2);
  const std::vector<uint64_t> a = Hashes(RunRollouts(models, planner, agents, config, &one));
  const std::vector<uint64_t> b = Hashes(RunRollouts(models, planner, agents, config, &two));
  config.batch = 3;  // other batch split, same answers
  const std::vector<uint64_t> c = Hashes(RunRollouts(models, planner, agents, config, &two));
  CHECK(a == b);
  CHECK(a == c);
  // Different scenarios roll out differently.
  CHECK(std::set<uint64_t>(a.begin(), a.end()).size() == a.size());
}

TEST_CASE("Runner: rollouts are identical for 1 and 2 threads and across runs (log agents)",
          "[sim][runner][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  const auto models = testing::LoadRealModels();
  REQUIRE(models.size() == 32);
  IdmPlanner planner;
  CheckDeterministic(&planner, LogAgents(), models);
}

TEST_CASE("Runner: rollouts are identical for 1 and 2 threads and across runs (idm agents)",
          "[sim][runner][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  const auto models = testing::LoadRealModels();
  IdmPlanner planner;
  CheckDeterministic(&planner, IdmAgents(), models);
  PdmPlanner pdm;  // the heaviest planner, on the first scenarios
  CheckDeterministic(&pdm, IdmAgents(), {models.begin(), models.begin() + 6});
}

TEST_CASE("Runner: the tracked expert stays within 0.3 m of its log on average", "[sim][runner][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  const auto models = testing::LoadLoggedEgoModels();
  REQUIRE(models.size() == 7);
  LogPlanner planner;
  ThreadPool pool(2);
  const std::vector<RolloutResult> results = RunRollouts(models, &planner, LogAgents(), {}, &pool);
  double sum = 0.0;
  int n = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    REQUIRE(results[i].ok);
    const v1::Track& log = models[i]->scenario().tracks(models[i]->ego_track_index());
    double scenario_sum = 0.0;
    int scenario_n = 0;
    for (const EgoSample& e : results[i].trace.ego) {
      if (!log.valid(e.step)) continue;
      scenario_sum += std::hypot(e.x - log.x(e.step), e.y - log.y(e.step));
      ++scenario_n;
    }
    INFO(results[i].scenario_id << ": " << scenario_sum / scenario_n << " m");
    CHECK(scenario_sum / scenario_n < 0.5);
    sum += scenario_sum;
    n += scenario_n;
  }
  WARN("tracker fidelity: mean distance to the logged ego " << sum / n << " m");
  CHECK(sum / n < 0.3);
}

// Fails on purpose: throws for one scenario, returns NaN for another.
class FaultyPlanner final : public Planner {
 public:
  FaultyPlanner(std::string throw_on, std::string nan_on) : throw_on_(throw_on), nan_on_(nan_on) {}
  std::string name() const override { return "faulty"; }
  void Plan(std::span<const PlanRequest> requests, std::span<Trajectory> plans,
            std::span<std::string> errors, ThreadPool* pool) override {
    inner_.Plan(requests, plans, errors, pool);
    for (size_t i = 0; i < requests.size(); ++i) {
      const std::string& id = requests[i].model->id();
      if (id == throw_on_ && requests[i].state->step >= 3) errors[i] = "planner threw: boom";
      if (id == nan_on_ && requests[i].state->step >= 5) plans[i].poses[7].x = std::nan("");
    }
  }

 private:
  ConstantVelocityPlanner inner_;
  std::string throw_on_, nan_on_;
};

class ThrowingPlanner final : public Planner {
 public:
  std::string name() const override { return "throwing"; }
  void Plan(std::span<const PlanRequest>, std::span<Trajectory>, std::span<std::string>,
            ThreadPool*) override {
    throw std::runtime_error("model exploded");
  }
};

TEST_CASE("Runner: a faulty planner fails only its own scenarios", "[sim][runner][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  const auto models = testing::LoadRealModels();
  const std::string a = models[2]->id(), b = models[9]->id();
  FaultyPlanner planner(a, b);
  ThreadPool pool(2);
  const std::vector<RolloutResult> results = RunRollouts(models, &planner, IdmAgents(), {}, &pool);
  ConstantVelocityPlanner cv;
  const std::vector<RolloutResult> clean = RunRollouts(models, &cv, IdmAgents(), {}, &pool);
  for (size_t i = 0; i < results.size(); ++i) {
    INFO(results[i].scenario_id);
    if (results[i].scenario_id == a) {
      CHECK_FALSE(results[i].ok);
      CHECK(results[i].error == "step 3: planner threw: boom");
    } else if (results[i].scenario_id == b) {
      CHECK_FALSE(results[i].ok);
      CHECK_THAT(results[i].error,
                 Catch::StartsWith("step 5: planner returned an invalid trajectory: pose 7 is (nan, "));
    } else {
      CHECK(results[i].ok);
      CHECK(results[i].state_hash == clean[i].state_hash);  // the others are untouched
    }
  }
  ThrowingPlanner throwing;
  const std::vector<RolloutResult> all = RunRollouts({models.begin(), models.begin() + 3}, &throwing,
                                                     LogAgents(), {}, &pool);
  for (const RolloutResult& r : all) {
    CHECK_FALSE(r.ok);
    CHECK(r.error == "step 0: planner 'throwing' threw: model exploded");
  }
}

// Checks, at every request, that the history it was handed holds exactly the
// ego and agent states of the previous requests (up to 20 steps back) and
// nothing older; with wants_history() false it must be handed none.
class HistoryCheckingPlanner final : public Planner {
 public:
  explicit HistoryCheckingPlanner(bool wants) : wants_(wants) {}
  std::string name() const override { return "history-checking"; }
  bool wants_history() const override { return wants_; }
  void Plan(std::span<const PlanRequest> requests, std::span<Trajectory> plans,
            std::span<std::string> errors, ThreadPool* pool) override {
    inner_.Plan(requests, plans, errors, pool);
    for (const PlanRequest& q : requests) {
      ++requests_;
      if (!wants_) {
        mismatches_ += q.history != nullptr ? 1 : 0;
        continue;
      }
      if (q.history == nullptr) {
        ++mismatches_;
        continue;
      }
      std::vector<SimState>& seen = seen_[q.model->id()];
      seen.push_back(*q.state);
      const int now = q.state->step;
      for (const SimState& s : seen) {
        Kinematics k;
        const bool held = q.history->Ego(s.step, &k);
        if (held != (s.step > now - StateHistory::kCapacity)) {
          ++mismatches_;
          continue;
        }
        if (!held) continue;
        const Box e = EgoBox(s.ego, q.model->ego_vehicle());
        mismatches_ += (k.x == e.x && k.y == e.y && k.heading == e.heading) ? 0 : 1;
        for (int i = 0; i < s.num_agents(); ++i) {
          const bool active = q.history->Agent(s.step, i, &k);
          mismatches_ += active == s.active(i) ? 0 : 1;
          if (active) mismatches_ += (k.x == s.x[static_cast<size_t>(i)] && k.vy == s.vy[static_cast<size_t>(i)]) ? 0 : 1;
        }
      }
      checked_ += static_cast<int>(seen.size());
      Kinematics gone;
      mismatches_ += q.history->Ego(now - StateHistory::kCapacity, &gone) ? 1 : 0;
    }
  }
  int requests_ = 0, checked_ = 0, mismatches_ = 0;

 private:
  bool wants_;
  ConstantVelocityPlanner inner_;
  std::map<std::string, std::vector<SimState>> seen_;
};

TEST_CASE("Runner: a planner that wants the history gets its rollout's last 21 states", "[sim][runner]") {
  std::vector<std::shared_ptr<const ScenarioModel>> models;
  for (const char* name : {"cut-in-1-000", "hard-braking-lead-1-003", "red-light-1-005"}) {
    Result<std::vector<v1::Scenario>> s =
        ReadScenarios(std::filesystem::path(TARMAC_SOURCE_DIR) / "suites/default/generated" / (std::string(name) + ".pb"));
    REQUIRE(s.ok());
    Result<std::shared_ptr<const ScenarioModel>> m = ScenarioModel::Build((*s)[0]);
    REQUIRE(m.ok());
    models.push_back(*m);
  }
  ThreadPool pool(2);
  HistoryCheckingPlanner wants(true), not_wanted(false);
  ConstantVelocityPlanner cv;
  const std::vector<RolloutResult> with = RunRollouts(models, &wants, IdmAgents(), {}, &pool);
  const std::vector<RolloutResult> without = RunRollouts(models, &not_wanted, IdmAgents(), {}, &pool);
  const std::vector<RolloutResult> plain = RunRollouts(models, &cv, IdmAgents(), {}, &pool);
  CHECK(wants.requests_ > 100);
  CHECK(wants.checked_ > 1000);
  CHECK(wants.mismatches_ == 0);
  CHECK(not_wanted.requests_ == wants.requests_);
  CHECK(not_wanted.mismatches_ == 0);
  for (size_t i = 0; i < models.size(); ++i) {  // keeping a history changes nothing
    REQUIRE(with[i].ok);
    CHECK(with[i].state_hash == plain[i].state_hash);
    CHECK(without[i].state_hash == plain[i].state_hash);
  }
}

int ScenariosWithActiveCollision(const std::vector<RolloutResult>& results) {
  int n = 0;
  for (const RolloutResult& r : results) {
    bool hit = false;
    for (const CollisionEvent& c : r.trace.collisions) {
      hit = hit || (std::abs(c.ego_speed) > 0.05 && c.bearing < 150.0 * M_PI / 180.0);
    }
    n += hit ? 1 : 0;
  }
  return n;
}

TEST_CASE("Runner: pdm collides far less than constant velocity with reactive agents",
          "[sim][runner][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  const auto models = testing::LoadRealModels();
  ThreadPool pool(2);
  ConstantVelocityPlanner cv;
  PdmPlanner pdm;
  const int cv_hits = ScenariosWithActiveCollision(RunRollouts(models, &cv, IdmAgents(), {}, &pool));
  const int pdm_hits = ScenariosWithActiveCollision(RunRollouts(models, &pdm, IdmAgents(), {}, &pool));
  WARN("scenarios with a collision (ego moving, other not behind): constant-velocity "
       << cv_hits << ", pdm " << pdm_hits << " of " << models.size());
  CHECK(cv_hits >= 6);
  CHECK(pdm_hits * 2 <= cv_hits);
}

}  // namespace
}  // namespace tarmac
