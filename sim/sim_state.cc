#include "sim/sim_state.h"

#include <cstring>

#include "sim/scenario_model.h"

namespace tarmac {
namespace {

constexpr uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr uint64_t kFnvPrime = 1099511628211ULL;

// FNV-style mixing, one 64-bit word at a time (bytes for the tail), with an
// extra shift so that high bits feed back into low ones.
uint64_t Mix(uint64_t h, const void* data, size_t bytes) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  size_t i = 0;
  for (; i + 8 <= bytes; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * kFnvPrime;
    h ^= h >> 29;
  }
  for (; i < bytes; ++i) {
    h ^= p[i];
    h *= kFnvPrime;
  }
  return h;
}

template <typename T>
uint64_t MixVector(uint64_t h, const std::vector<T>& v) {
  return v.empty() ? h : Mix(h, v.data(), v.size() * sizeof(T));
}

// -0.0 and +0.0 compare equal; hash them equally too.
double Canonical(double v) { return v == 0.0 ? 0.0 : v; }

}  // namespace

void SimState::Reset(const ScenarioModel& model) {
  const size_t n = static_cast<size_t>(model.num_agents());
  step = model.start_step();
  ego = model.ego_start();
  status.assign(n, AgentStatus::kPending);
  x.assign(n, 0.0);
  y.assign(n, 0.0);
  heading.assign(n, 0.0);
  vx.assign(n, 0.0);
  vy.assign(n, 0.0);
  speed.assign(n, 0.0);
  s.assign(n, 0.0);
  lateral0.assign(n, 0.0);
  spawn_step.assign(n, -1);
  hash = kFnvOffset;
}

void HashState(SimState* st) {
  uint64_t h = st->hash;
  h = Mix(h, &st->step, sizeof(st->step));
  const double ego[] = {Canonical(st->ego.x),     Canonical(st->ego.y),      Canonical(st->ego.heading),
                        Canonical(st->ego.speed), Canonical(st->ego.accel),  Canonical(st->ego.steer),
                        Canonical(st->ego.steer_rate), Canonical(st->ego.yaw_rate),
                        Canonical(st->ego.yaw_accel)};
  h = Mix(h, ego, sizeof(ego));
  h = MixVector(h, st->status);
  const size_t n = st->status.size();
  for (size_t i = 0; i < n; ++i) {
    if (st->status[i] != AgentStatus::kActive) continue;
    const double a[] = {Canonical(st->x[i]),  Canonical(st->y[i]),     Canonical(st->heading[i]),
                        Canonical(st->vx[i]), Canonical(st->vy[i]),    Canonical(st->speed[i]),
                        Canonical(st->s[i]),  Canonical(st->lateral0[i])};
    h = Mix(h, a, sizeof(a));
  }
  st->hash = h;
}

}  // namespace tarmac
