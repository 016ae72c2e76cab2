// The compact trace codec: exact round trips (to the quantisation) on a
// synthetic trace and on real closed-loop rollouts, the stored size per
// scenario-step, and corrupt, truncated or hostile blobs giving errors
// without crashing.
#include "store/trace_codec.h"

#include <catch2/catch.hpp>
#include <zlib.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <numbers>

#include "agents/idm_agents.h"
#include "policies/log_planner.h"
#include "sim/runner.h"
#include "store/results_store.h"
#include "tests/support/real_scenarios.h"
#include "tests/support/test_data.h"

namespace tarmac {
namespace {

// Decoded values are exact multiples of the quantum, within half a quantum
// of the original.
void CheckQuantised(double decoded, double original, double scale, const char* what) {
  INFO(what << ": decoded " << decoded << ", original " << original);
  CHECK(std::fabs(decoded * scale - std::round(decoded * scale)) < 1e-6);
  CHECK(std::fabs(decoded - original) <= 0.5 / scale + 1e-9);
}

void CheckAngle(double decoded, double original, const char* what) {
  INFO(what << ": decoded " << decoded << ", original " << original);
  CHECK(std::fabs(decoded * kTraceAngleScale - std::round(decoded * kTraceAngleScale)) < 1e-6);
  CHECK(decoded >= -std::numbers::pi - 0.001);
  CHECK(decoded <= std::numbers::pi + 0.001);
  CHECK(std::fabs(WrapTraceAngle(decoded - original)) <= 0.5 / kTraceAngleScale + 1e-9);
}

// Compares a decoded trace with the rollout trace it was encoded from.
void CheckRoundTrip(const RolloutTrace& t, const DecodedTrace& d) {
  REQUIRE(d.ego.size() == t.ego.size());
  CHECK(d.num_steps == static_cast<int>(t.ego.size()));
  for (size_t k = 0; k < t.ego.size(); ++k) {
    const EgoSample& e = t.ego[k];
    const TraceEgoSample& o = d.ego[k];
    CHECK(o.step == e.step);
    CheckQuantised(o.x, e.x, kTracePositionScale, "ego x");
    CheckQuantised(o.y, e.y, kTracePositionScale, "ego y");
    CheckAngle(o.heading, e.heading, "ego heading");
    CheckQuantised(o.speed, e.speed, kTraceSpeedScale, "ego speed");
    CheckQuantised(o.accel, e.accel, kTraceAccelScale, "ego accel");
    CheckQuantised(o.steer, e.steer, kTraceAngleScale, "ego steer");
  }
  CHECK(d.num_agents == t.num_agents);
  REQUIRE(d.agent_active.size() == t.agent_active.size());
  for (size_t c = 0; c < t.agent_active.size(); ++c) {
    CHECK((d.agent_active[c] != 0) == (t.agent_active[c] != 0));
    if (t.agent_active[c] == 0) continue;
    CheckQuantised(d.agent_x[c], static_cast<double>(t.agent_x[c]), kTracePositionScale, "agent x");
    CheckQuantised(d.agent_y[c], static_cast<double>(t.agent_y[c]), kTracePositionScale, "agent y");
    CheckAngle(d.agent_heading[c], static_cast<double>(t.agent_heading[c]), "agent heading");
  }
  CHECK(d.plan_stride == t.plan_stride);
  CHECK(d.plan_start == t.plan_start);
  REQUIRE(d.plan_poses.size() == t.plan_poses.size());
  for (size_t k = 0; k < t.plan_poses.size(); ++k) {
    CheckQuantised(d.plan_poses[k].x, t.plan_poses[k].x, kTracePositionScale, "plan x");
    CheckQuantised(d.plan_poses[k].y, t.plan_poses[k].y, kTracePositionScale, "plan y");
    CheckAngle(d.plan_poses[k].heading, t.plan_poses[k].heading, "plan heading");
  }
}

// The decoded trace as a RolloutTrace again: encoding it must give the same bytes.
RolloutTrace ToRolloutTrace(const DecodedTrace& d) {
  RolloutTrace t;
  for (const TraceEgoSample& o : d.ego) {
    EgoSample e;
    e.step = o.step;
    e.x = o.x;
    e.y = o.y;
    e.heading = o.heading;
    e.speed = o.speed;
    e.accel = o.accel;
    e.steer = o.steer;
    t.ego.push_back(e);
  }
  t.num_agents = d.num_agents;
  for (size_t c = 0; c < d.agent_active.size(); ++c) {
    t.agent_x.push_back(static_cast<float>(d.agent_x[c]));
    t.agent_y.push_back(static_cast<float>(d.agent_y[c]));
    t.agent_heading.push_back(static_cast<float>(d.agent_heading[c]));
    t.agent_vx.push_back(0.0f);
    t.agent_vy.push_back(0.0f);
    t.agent_active.push_back(d.agent_active[c]);
  }
  t.plan_stride = d.plan_stride;
  t.plan_poses = d.plan_poses;
  t.plan_start = d.plan_start;
  return t;
}

// A hand-made trace: a heading that crosses +-pi, an agent that comes and
// goes (NaN where inactive), one never active, plans of varying length.
RolloutTrace SyntheticTrace(std::vector<AgentMeta>* meta) {
  RolloutTrace t;
  const int steps = 60;
  t.num_agents = 3;
  *meta = {{"7", "vehicle", 4.5, 1.9}, {"ped-1", "pedestrian", 0.6, 0.6}, {"x", "other", 1.0, 1.0}};
  for (int k = 0; k < steps; ++k) {
    EgoSample e;
    e.step = 20 + k;
    e.x = -1234.5678 + 0.83 * k;
    e.y = 98765.4321 - 0.011 * k * k;
    e.heading = 3.0 + 0.01 * k;  // unwrapped, passes pi
    e.speed = 8.3 + 0.05 * k;
    e.accel = -1.234 + 0.01 * k;
    e.steer = 0.0123 * std::sin(k);
    t.ego.push_back(e);
    for (int i = 0; i < 3; ++i) {
      const bool active = i == 0 || (i == 1 && ((k >= 10 && k < 20) || (k >= 30 && k < 41)));
      const float nan = std::nanf("");
      t.agent_x.push_back(active ? static_cast<float>(-1200.25 + 1.1 * k + i) : nan);
      t.agent_y.push_back(active ? static_cast<float>(98700.5 - 0.3 * k) : nan);
      t.agent_heading.push_back(active ? static_cast<float>(-3.1 - 0.02 * k) : nan);
      t.agent_vx.push_back(0.0f);
      t.agent_vy.push_back(0.0f);
      t.agent_active.push_back(active ? 1 : 0);
    }
    if (k + 1 < steps) {  // one plan per step but the last
      if (t.plan_start.empty()) t.plan_start.push_back(0);
      const int poses = 17 - (k % 3);
      for (int j = 0; j < poses; ++j) {
        t.plan_poses.push_back({e.x + 0.5 * j, e.y + 0.01 * j * j, e.heading + 0.002 * j});
      }
      t.plan_start.push_back(static_cast<int>(t.plan_poses.size()));
    }
  }
  return t;
}

std::vector<uint8_t> PackPayload(uint8_t kind, const std::vector<uint8_t>& payload,
                                 uint64_t claimed_size) {
  uLongf size = compressBound(static_cast<uLong>(payload.size()));
  std::vector<uint8_t> out(size);
  REQUIRE(compress2(out.data(), &size, payload.data(), static_cast<uLong>(payload.size()), 6) == Z_OK);
  out.resize(size);
  std::vector<uint8_t> header{kTraceCodecVersion, kind};
  for (uint64_t v = claimed_size;; v >>= 7) {
    header.push_back(static_cast<uint8_t>((v & 0x7f) | (v >= 0x80 ? 0x80 : 0)));
    if (v < 0x80) break;
  }
  header.insert(header.end(), out.begin(), out.end());
  return header;
}

TEST_CASE("Trace codec: synthetic trace round trips exactly to the quantisation", "[store]") {
  std::vector<AgentMeta> meta;
  const RolloutTrace t = SyntheticTrace(&meta);
  const Result<EncodedTrace> enc = EncodeTrace(t, 0.1, 20, meta);
  INFO((enc ? std::string() : enc.error().message));
  REQUIRE(enc.ok());
  CHECK(enc->num_steps == 60);
  CHECK(enc->start_step == 20);
  for (const auto* blob : {&enc->ego, &enc->agents, &enc->plans}) CHECK((*blob)[0] == kTraceCodecVersion);
  const Result<DecodedTrace> dec = DecodeTrace(*enc);
  INFO((dec ? std::string() : dec.error().message));
  REQUIRE(dec.ok());
  CHECK(dec->agents == meta);
  CHECK(dec->dt == 0.1);
  CHECK(dec->start_step == 20);
  CheckRoundTrip(t, *dec);
  for (size_t c = 0; c < dec->agent_active.size(); ++c) {
    if (dec->agent_active[c] == 0) CHECK(dec->agent_x[c] == 0.0);
  }
  // Re-encoding the decoded values gives the same bytes: nothing is lost
  // beyond the first quantisation.
  const Result<EncodedTrace> again = EncodeTrace(ToRolloutTrace(*dec), 0.1, 20, meta);
  REQUIRE(again.ok());
  CHECK(again->ego == enc->ego);
  CHECK(again->agents == enc->agents);
  CHECK(again->plans == enc->plans);

  // Traces recorded without agents or plans.
  RolloutTrace bare = t;
  for (auto* v : {&bare.agent_x, &bare.agent_y, &bare.agent_heading, &bare.agent_vx, &bare.agent_vy}) {
    v->clear();
  }
  bare.agent_active.clear();
  bare.plan_poses.clear();
  bare.plan_start.clear();
  const Result<EncodedTrace> bare_enc = EncodeTrace(bare, 0.1, 20, meta);
  REQUIRE(bare_enc.ok());
  const Result<DecodedTrace> bare_dec = DecodeTrace(*bare_enc);
  REQUIRE(bare_dec.ok());
  CHECK(bare_dec->num_agents == 3);
  CHECK(bare_dec->agent_active.empty());
  CHECK(bare_dec->plan_start.empty());
  CheckRoundTrip(bare, *bare_dec);
}

TEST_CASE("Trace codec: refuses traces it cannot encode", "[store]") {
  std::vector<AgentMeta> meta;
  const RolloutTrace good = SyntheticTrace(&meta);
  RolloutTrace t = good;
  t.ego[5].x = std::nan("");
  Result<EncodedTrace> r = EncodeTrace(t, 0.1, 20, meta);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("ego x") != std::string::npos);
  t = good;
  t.plan_poses[3].y = 3e7;  // beyond int32 centimetres
  CHECK_FALSE(EncodeTrace(t, 0.1, 20, meta).ok());
  CHECK_FALSE(EncodeTrace(good, 0.1, 20, {meta[0]}).ok());  // metadata for 1 of 3 agents
  t = good;
  t.agent_active.pop_back();
  CHECK_FALSE(EncodeTrace(t, 0.1, 20, meta).ok());
  t = good;
  t.plan_start.back() += 1;
  CHECK_FALSE(EncodeTrace(t, 0.1, 20, meta).ok());
  CHECK_FALSE(EncodeTrace(good, 0.0, 20, meta).ok());
}

TEST_CASE("Trace codec: corrupt, truncated and hostile blobs give errors, never crashes", "[store]") {
  std::vector<AgentMeta> meta;
  const Result<EncodedTrace> enc = EncodeTrace(SyntheticTrace(&meta), 0.1, 20, meta);
  REQUIRE(enc.ok());
  REQUIRE(DecodeTrace(*enc).ok());

  for (auto member : {&EncodedTrace::ego, &EncodedTrace::agents, &EncodedTrace::plans}) {
    const std::vector<uint8_t>& blob = (*enc).*member;
    // Every truncation fails (zlib's stream is incomplete).
    for (size_t n = 0; n < blob.size(); ++n) {
      EncodedTrace bad = *enc;
      (bad.*member).resize(n);
      CHECK_FALSE(DecodeTrace(bad).ok());
    }
    // Appended bytes fail.
    EncodedTrace longer = *enc;
    (longer.*member).push_back(0);
    CHECK_FALSE(DecodeTrace(longer).ok());
    // Every flipped byte decodes or fails, without crashing.
    int failures = 0;
    for (size_t i = 0; i < blob.size(); ++i) {
      for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
        EncodedTrace bad = *enc;
        (bad.*member)[i] ^= mask;
        failures += DecodeTrace(bad).ok() ? 0 : 1;
      }
    }
    CHECK(failures > 0);
  }
  // Swapped blobs are caught by the kind byte.
  EncodedTrace swapped = *enc;
  std::swap(swapped.ego, swapped.plans);
  CHECK_FALSE(DecodeTrace(swapped).ok());
  // Another codec version.
  EncodedTrace future = *enc;
  future.ego[0] = 2;
  const Result<DecodedTrace> fr = DecodeTrace(future);
  REQUIRE_FALSE(fr.ok());
  CHECK(fr.error().message.find("codec version 2") != std::string::npos);
  // Metadata that is not the agents' JSON, or lists another number of agents.
  for (const char* json : {"", "{", "{}", "[1, 2, 3]", "[{\"id\": 1}]", "[]"}) {
    EncodedTrace bad = *enc;
    bad.agent_meta = json;
    CHECK_FALSE(DecodeTrace(bad).ok());
  }
  // A row whose num_steps disagrees with the ego blob.
  EncodedTrace steps = *enc;
  steps.num_steps = 59;
  CHECK_FALSE(DecodeTrace(steps).ok());

  // Well-formed zlib around hostile payloads.
  const auto decode_ego = [&](const std::vector<uint8_t>& payload, uint64_t claimed) {
    EncodedTrace bad = *enc;
    bad.ego = PackPayload('E', payload, claimed);
    return DecodeTrace(bad);
  };
  CHECK_FALSE(decode_ego({0x3c}, 1).ok());                      // 60 steps, no columns
  CHECK_FALSE(decode_ego({0xff, 0xff, 0xff, 0xff, 0x0f}, 5).ok());  // absurd step count
  CHECK_FALSE(decode_ego(std::vector<uint8_t>(11, 0xff), 11).ok());  // varint over 10 bytes
  CHECK_FALSE(decode_ego({0x3c}, uint64_t{1} << 40).ok());      // claimed size too large
  CHECK_FALSE(decode_ego({0x3c}, 2).ok());                      // claimed size wrong
  {
    // 60 steps whose x residuals overflow int32 (and int64 on accumulation).
    std::vector<uint8_t> p{0x3c};
    for (int k = 0; k < 60; ++k) p.push_back(0x02);  // steps 1, 2, ... (zigzag 2 -> +1)
    for (int k = 0; k < 60 * 6; ++k) {
      for (int b = 0; b < 9; ++b) p.push_back(0xfe);
      p.push_back(0x01);
    }
    CHECK_FALSE(decode_ego(p, p.size()).ok());
  }
  {
    // An agents payload whose activity runs exceed the steps.
    EncodedTrace bad = *enc;
    bad.agents = PackPayload('A', {0x03, 0x3c, 0x02, 0x00, 0x7f}, 5);
    CHECK_FALSE(DecodeTrace(bad).ok());
    // A huge agent count.
    bad.agents = PackPayload('A', {0xff, 0xff, 0xff, 0x7f, 0x3c}, 5);
    CHECK_FALSE(DecodeTrace(bad).ok());
  }
}

TEST_CASE("Trace codec: real rollouts round trip through the store, and their size per step",
          "[store][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  const auto models = testing::LoadLoggedEgoModels();
  REQUIRE(!models.empty());
  LogPlanner planner;
  ThreadPool pool(2);
  const std::vector<RolloutResult> results = RunRollouts(models, &planner, IdmAgents(), {}, &pool);

  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("tarmac_store_traces_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(dir / "results.db");
  REQUIRE(store.ok());
  RunInfo run;
  run.name = "traces";
  run.planner = "log";
  run.agents = "idm";
  run.started_at = UtcNowIso8601();
  const int64_t run_id = *(*store)->CreateRun(run);

  size_t steps = 0, agent_steps = 0, ego_bytes = 0, agent_bytes = 0, plan_bytes = 0, meta_bytes = 0;
  size_t plan_poses = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    const RolloutResult& r = results[i];
    INFO(r.scenario_id);
    REQUIRE(r.ok);
    REQUIRE(r.trace.agent_active.size() == r.trace.ego.size() * static_cast<size_t>(r.trace.num_agents));
    REQUIRE(!r.trace.plan_start.empty());
    const Result<EncodedTrace> enc = EncodeTrace(r.trace, *models[i]);
    INFO((enc ? std::string() : enc.error().message));
    REQUIRE(enc.ok());
    const Result<DecodedTrace> dec = DecodeTrace(*enc);
    INFO((dec ? std::string() : dec.error().message));
    REQUIRE(dec.ok());
    CHECK(dec->start_step == models[i]->start_step());
    CHECK(dec->dt == models[i]->dt());
    CHECK(dec->agents == AgentMetaOf(*models[i]));
    CheckRoundTrip(r.trace, *dec);
    const Result<EncodedTrace> again = EncodeTrace(ToRolloutTrace(*dec), *models[i]);
    REQUIRE(again.ok());
    CHECK(again->ego == enc->ego);
    CHECK(again->agents == enc->agents);
    CHECK(again->plans == enc->plans);

    ScenarioRecord record;
    record.scenario_id = r.scenario_id;
    record.scenario_file = r.scenario_id + ".pkl";
    record.state_hash = r.state_hash;
    record.steps = r.steps;
    record.trace = *enc;
    REQUIRE((*store)->WriteResult(run_id, record).ok());
    const Result<std::optional<EncodedTrace>> stored = (*store)->Trace(run_id, r.scenario_id);
    REQUIRE(stored.ok());
    REQUIRE(stored->has_value());
    CHECK((*stored)->ego == enc->ego);
    CHECK((*stored)->agents == enc->agents);
    CHECK((*stored)->plans == enc->plans);
    CHECK((*stored)->agent_meta == enc->agent_meta);
    CHECK((*stored)->num_steps == enc->num_steps);

    steps += r.trace.ego.size();
    for (uint8_t a : r.trace.agent_active) agent_steps += a;
    plan_poses += r.trace.plan_poses.size();
    ego_bytes += enc->ego.size();
    agent_bytes += enc->agents.size();
    plan_bytes += enc->plans.size();
    meta_bytes += enc->agent_meta.size();
  }
  const double per_step =
      static_cast<double>(ego_bytes + agent_bytes + plan_bytes) / static_cast<double>(steps);
  WARN("trace size over " << results.size() << " rollouts, " << steps << " scenario-steps, " << agent_steps
                          << " active agent-steps, " << plan_poses << " plan poses: "
                          << per_step << " B per scenario-step (ego "
                          << static_cast<double>(ego_bytes) / static_cast<double>(steps) << ", agents "
                          << static_cast<double>(agent_bytes) / static_cast<double>(steps) << " = "
                          << static_cast<double>(agent_bytes) / static_cast<double>(agent_steps)
                          << " per active agent-step, plans "
                          << static_cast<double>(plan_bytes) / static_cast<double>(steps)
                          << "); agent_meta " << meta_bytes << " B in all");
  CHECK(per_step < 400.0);
  store->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tarmac
