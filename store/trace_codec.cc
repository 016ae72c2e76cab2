#include "store/trace_codec.h"

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <string_view>

#include "scenarios/summary.h"

namespace tarmac {
namespace {

constexpr uint8_t kKindEgo = 'E';
constexpr uint8_t kKindAgents = 'A';
constexpr uint8_t kKindPlans = 'P';
// The most a decoded payload or array may hold: far above any real rollout
// (a 20 s rollout with 500 agents is a few MB), low enough that a corrupt
// size cannot exhaust memory.
constexpr uint64_t kMaxPayloadBytes = uint64_t{256} << 20;
constexpr uint64_t kMaxAgentCells = uint64_t{1} << 27;  // recorded steps x agents

constexpr int64_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

// How a column predicts each value from the ones before it in its segment.
enum class Order { kPrevious, kLinear };

// ---------------------------------------------------------------- writing

class Writer {
 public:
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      bytes_.push_back(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    bytes_.push_back(static_cast<uint8_t>(v));
  }
  void Signed(int64_t v) {  // zigzag
    Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

int64_t Predict(const int64_t* segment, size_t k, int64_t previous_first, Order order) {
  if (k == 0) return previous_first;
  if (k == 1 || order == Order::kPrevious) return segment[k - 1];
  return 2 * segment[k - 1] - segment[k - 2];
}

// Writes `values` (each in int32 range) split into consecutive segments of
// the given sizes: each value as its residual to the prediction; the first
// value of a segment is predicted by the first value of the segment before.
void PutColumn(const std::vector<int64_t>& values, const std::vector<size_t>& segments, Order order,
               Writer* w) {
  size_t begin = 0;
  int64_t previous_first = 0;
  for (size_t n : segments) {
    const int64_t* seg = values.data() + begin;
    for (size_t k = 0; k < n; ++k) w->Signed(seg[k] - Predict(seg, k, previous_first, order));
    if (n > 0) previous_first = seg[0];
    begin += n;
  }
  TARMAC_CHECK(begin == values.size());
}

// Quantises one value into the int32 range, or fails naming it.
class Quantiser {
 public:
  explicit Quantiser(std::string* error) : error_(error) {}

  int64_t operator()(double value, double scale, const char* what, size_t index) {
    const double scaled = value * scale;
    if (!std::isfinite(scaled) || std::fabs(scaled) > static_cast<double>(kInt32Max) - 1.0) {
      if (error_->empty()) {
        *error_ = std::string(what) + " [" + std::to_string(index) + "] = " + std::to_string(value) +
                  " is not finite or out of range";
      }
      return 0;
    }
    return std::llround(scaled);
  }

 private:
  std::string* error_;
};

Result<std::vector<uint8_t>> Pack(uint8_t kind, std::vector<uint8_t>& payload) {
  uLongf size = compressBound(static_cast<uLong>(payload.size()));
  std::vector<uint8_t> compressed(size);
  const int rc = compress2(compressed.data(), &size, payload.data(), static_cast<uLong>(payload.size()),
                           Z_BEST_COMPRESSION);
  if (rc != Z_OK) return Error{std::string("trace: zlib compression failed: ") + zError(rc)};
  Writer header;
  header.bytes().push_back(kTraceCodecVersion);
  header.bytes().push_back(kind);
  header.Varint(payload.size());
  std::vector<uint8_t> out = std::move(header.bytes());
  out.insert(out.end(), compressed.begin(), compressed.begin() + static_cast<std::ptrdiff_t>(size));
  return out;
}

// ---------------------------------------------------------------- reading

class Reader {
 public:
  Reader(const uint8_t* data, size_t size, std::string blob)
      : p_(data), end_(data + size), blob_(std::move(blob)) {}

  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  const uint8_t* position() const { return p_; }

  Result<uint64_t> Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return Fail("truncated");
      const uint8_t b = *p_++;
      if (shift == 63 && b > 1) return Fail("varint overflows 64 bits");
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return Fail("varint longer than 10 bytes");
  }
  Result<int64_t> Signed() {
    Result<uint64_t> u = Varint();
    if (!u) return u.error();
    return static_cast<int64_t>((*u >> 1) ^ (~(*u & 1) + 1));
  }
  // A count of items that each take at least `min_bytes` bytes of what is left.
  Result<size_t> Count(const char* what, size_t min_bytes) {
    Result<uint64_t> n = Varint();
    if (!n) return n.error();
    if (*n > remaining() / std::max<size_t>(min_bytes, 1)) {
      return Fail(std::string(what) + " count " + std::to_string(*n) + " exceeds the data");
    }
    return static_cast<size_t>(*n);
  }

  Error Fail(const std::string& why) const { return Error{"trace " + blob_ + " blob: " + why}; }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  std::string blob_;
};

// Reads a column written by PutColumn; every value must lie in int32 range.
Result<std::vector<int64_t>> GetColumn(Reader* r, const std::vector<size_t>& segments, Order order,
                                       const char* what) {
  size_t total = 0;
  for (size_t n : segments) total += n;
  if (total > r->remaining()) return r->Fail(std::string(what) + ": column longer than the data");
  std::vector<int64_t> values(total);
  size_t begin = 0;
  int64_t previous_first = 0;
  for (size_t n : segments) {
    int64_t* seg = values.data() + begin;
    for (size_t k = 0; k < n; ++k) {
      Result<int64_t> residual = r->Signed();
      if (!residual) return residual.error();
      // Predictions of int32-range values fit int64; the sum may not.
      int64_t v = 0;
      if (__builtin_add_overflow(Predict(seg, k, previous_first, order), *residual, &v) ||
          v < kInt32Min || v > kInt32Max) {
        return r->Fail(std::string(what) + ": value out of range");
      }
      seg[k] = v;
    }
    if (n > 0) previous_first = seg[0];
    begin += n;
  }
  return values;
}

// Checks the header and inflates a blob's payload.
Result<std::vector<uint8_t>> Unpack(const std::vector<uint8_t>& blob, uint8_t kind,
                                    const std::string& name) {
  Reader header(blob.data(), blob.size(), name);
  if (blob.size() < 2) return header.Fail("truncated header");
  if (blob[0] != kTraceCodecVersion) {
    return header.Fail("codec version " + std::to_string(blob[0]) + ", this build reads version " +
                       std::to_string(kTraceCodecVersion));
  }
  if (blob[1] != kind) return header.Fail("wrong kind byte " + std::to_string(blob[1]));
  Reader r(blob.data() + 2, blob.size() - 2, name);
  Result<uint64_t> size = r.Varint();
  if (!size) return size.error();
  if (*size > kMaxPayloadBytes) return r.Fail("payload size " + std::to_string(*size) + " too large");
  std::vector<uint8_t> payload(static_cast<size_t>(*size));
  uLongf dest_len = static_cast<uLongf>(payload.size());
  uLong source_len = static_cast<uLong>(r.remaining());
  // A zero-size buffer still needs a valid pointer for zlib.
  uint8_t dummy = 0;
  const int rc =
      uncompress2(payload.empty() ? &dummy : payload.data(), &dest_len, r.position(), &source_len);
  if (rc != Z_OK) return r.Fail(std::string("zlib: ") + zError(rc));
  if (dest_len != payload.size()) return r.Fail("payload shorter than its header says");
  if (source_len != r.remaining()) return r.Fail("trailing bytes after the compressed data");
  return payload;
}

double Dequantise(int64_t q, double scale) { return static_cast<double>(q) / scale; }

}  // namespace

double WrapTraceAngle(double angle) {
  const double w = std::remainder(angle, 2.0 * std::numbers::pi);  // [-pi, pi]
  return w >= std::numbers::pi ? w - 2.0 * std::numbers::pi : w;
}

std::vector<AgentMeta> AgentMetaOf(const ScenarioModel& model) {
  std::vector<AgentMeta> out;
  out.reserve(static_cast<size_t>(model.num_agents()));
  for (int i = 0; i < model.num_agents(); ++i) {
    out.push_back({model.agent_track(i).id(), TrackTypeName(model.agent_type(i)), model.agent_length(i),
                   model.agent_width(i)});
  }
  return out;
}

std::string AgentMetaToJson(const std::vector<AgentMeta>& agents) {
  nlohmann::json j = nlohmann::json::array();
  for (const AgentMeta& a : agents) {
    j.push_back({{"id", a.id}, {"type", a.type}, {"length", a.length}, {"width", a.width}});
  }
  return j.dump();
}

Result<std::vector<AgentMeta>> AgentMetaFromJson(const std::string& json) {
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_array()) return Error{"trace agent_meta: not a JSON array"};
  std::vector<AgentMeta> out;
  out.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    const nlohmann::json& a = j[i];
    if (!a.is_object() || !a.contains("id") || !a["id"].is_string() || !a.contains("type") ||
        !a["type"].is_string() || !a.contains("length") || !a["length"].is_number() ||
        !a.contains("width") || !a["width"].is_number()) {
      return Error{"trace agent_meta[" + std::to_string(i) +
                   "]: need {\"id\": string, \"type\": string, \"length\": number, \"width\": number}"};
    }
    out.push_back({a["id"].get<std::string>(), a["type"].get<std::string>(), a["length"].get<double>(),
                   a["width"].get<double>()});
  }
  return out;
}

Result<EncodedTrace> EncodeTrace(const RolloutTrace& trace, const ScenarioModel& model) {
  return EncodeTrace(trace, model.dt(), model.start_step(), AgentMetaOf(model));
}

Result<EncodedTrace> EncodeTrace(const RolloutTrace& trace, double dt, int start_step,
                                 const std::vector<AgentMeta>& agents) {
  const size_t n = trace.ego.size();
  const size_t num_agents = static_cast<size_t>(std::max(trace.num_agents, 0));
  if (static_cast<size_t>(trace.num_agents) != agents.size()) {
    return Error{"trace: " + std::to_string(trace.num_agents) + " agents in the trace, " +
                 std::to_string(agents.size()) + " in the agent metadata"};
  }
  const size_t cells = trace.agent_active.size();
  if (cells != 0 && cells != n * num_agents) {
    return Error{"trace: " + std::to_string(cells) + " agent states for " + std::to_string(n) +
                 " steps x " + std::to_string(num_agents) + " agents"};
  }
  for (const auto* v : {&trace.agent_x, &trace.agent_y, &trace.agent_heading}) {
    if (v->size() != cells) return Error{"trace: agent arrays of different sizes"};
  }
  if (!trace.plan_start.empty()) {
    if (trace.plan_start.front() != 0 ||
        static_cast<size_t>(trace.plan_start.back()) != trace.plan_poses.size()) {
      return Error{"trace: plan_start does not span plan_poses"};
    }
    for (size_t k = 1; k < trace.plan_start.size(); ++k) {
      if (trace.plan_start[k] < trace.plan_start[k - 1]) return Error{"trace: plan_start decreases"};
    }
  } else if (!trace.plan_poses.empty()) {
    return Error{"trace: plan poses without plan_start"};
  }
  if (!std::isfinite(dt) || dt <= 0.0) return Error{"trace: dt " + std::to_string(dt) + " is not positive"};

  std::string error;
  Quantiser q(&error);
  EncodedTrace out;
  out.dt = dt;
  out.start_step = start_step;
  out.num_steps = static_cast<int64_t>(n);
  out.agent_meta = AgentMetaToJson(agents);

  {  // ego
    std::vector<int64_t> step(n), x(n), y(n), heading(n), speed(n), accel(n), steer(n);
    for (size_t k = 0; k < n; ++k) {
      const EgoSample& e = trace.ego[k];
      step[k] = e.step;
      x[k] = q(e.x, kTracePositionScale, "ego x", k);
      y[k] = q(e.y, kTracePositionScale, "ego y", k);
      heading[k] = q(WrapTraceAngle(e.heading), kTraceAngleScale, "ego heading", k);
      speed[k] = q(e.speed, kTraceSpeedScale, "ego speed", k);
      accel[k] = q(e.accel, kTraceAccelScale, "ego accel", k);
      steer[k] = q(e.steer, kTraceAngleScale, "ego steer", k);
    }
    if (!error.empty()) return Error{"trace: " + error};
    Writer w;
    w.Varint(n);
    const std::vector<size_t> one{n};
    PutColumn(step, one, Order::kLinear, &w);
    PutColumn(x, one, Order::kLinear, &w);
    PutColumn(y, one, Order::kLinear, &w);
    PutColumn(heading, one, Order::kPrevious, &w);
    PutColumn(speed, one, Order::kPrevious, &w);
    PutColumn(accel, one, Order::kPrevious, &w);
    PutColumn(steer, one, Order::kPrevious, &w);
    Result<std::vector<uint8_t>> blob = Pack(kKindEgo, w.bytes());
    if (!blob) return blob.error();
    out.ego = std::move(*blob);
  }

  {  // agents: per agent, its active runs, then its active poses
    const size_t steps = num_agents > 0 ? cells / num_agents : 0;
    Writer w;
    w.Varint(num_agents);
    w.Varint(steps);
    std::vector<int64_t> x, y, heading;
    std::vector<size_t> segments(num_agents, 0);
    for (size_t i = 0; i < num_agents; ++i) {
      std::vector<uint64_t> runs;  // alternating inactive, active run lengths
      bool active = false;
      uint64_t run = 0;
      for (size_t k = 0; k < steps; ++k) {
        const size_t c = k * num_agents + i;
        const bool a = trace.agent_active[c] != 0;
        if (a != active) {
          runs.push_back(run);
          run = 0;
          active = a;
        }
        ++run;
        if (a) {
          x.push_back(q(static_cast<double>(trace.agent_x[c]), kTracePositionScale, "agent x", c));
          y.push_back(q(static_cast<double>(trace.agent_y[c]), kTracePositionScale, "agent y", c));
          heading.push_back(q(WrapTraceAngle(static_cast<double>(trace.agent_heading[c])), kTraceAngleScale,
                              "agent heading", c));
          ++segments[i];
        }
      }
      if (run > 0) runs.push_back(run);
      w.Varint(runs.size());
      for (uint64_t r : runs) w.Varint(r);
    }
    if (!error.empty()) return Error{"trace: " + error};
    PutColumn(x, segments, Order::kLinear, &w);
    PutColumn(y, segments, Order::kLinear, &w);
    PutColumn(heading, segments, Order::kPrevious, &w);
    Result<std::vector<uint8_t>> blob = Pack(kKindAgents, w.bytes());
    if (!blob) return blob.error();
    out.agents = std::move(*blob);
  }

  {  // plans: per plan its pose count, then the pose columns, one segment per plan
    const size_t num_plans = trace.plan_start.empty() ? 0 : trace.plan_start.size() - 1;
    Writer w;
    w.Varint(static_cast<uint64_t>(std::max(trace.plan_stride, 0)));
    w.Varint(num_plans);
    std::vector<size_t> segments(num_plans);
    for (size_t k = 0; k < num_plans; ++k) {
      segments[k] = static_cast<size_t>(trace.plan_start[k + 1] - trace.plan_start[k]);
      w.Varint(segments[k]);
    }
    const size_t m = trace.plan_poses.size();
    std::vector<int64_t> x(m), y(m), heading(m);
    for (size_t k = 0; k < m; ++k) {
      const Pose2& p = trace.plan_poses[k];
      x[k] = q(p.x, kTracePositionScale, "plan x", k);
      y[k] = q(p.y, kTracePositionScale, "plan y", k);
      heading[k] = q(WrapTraceAngle(p.heading), kTraceAngleScale, "plan heading", k);
    }
    if (!error.empty()) return Error{"trace: " + error};
    PutColumn(x, segments, Order::kLinear, &w);
    PutColumn(y, segments, Order::kLinear, &w);
    PutColumn(heading, segments, Order::kPrevious, &w);
    Result<std::vector<uint8_t>> blob = Pack(kKindPlans, w.bytes());
    if (!blob) return blob.error();
    out.plans = std::move(*blob);
  }
  return out;
}

Result<DecodedTrace> DecodeTrace(const EncodedTrace& encoded) {
  DecodedTrace out;
  if (!std::isfinite(encoded.dt) || encoded.dt <= 0.0) return Error{"trace: dt is not positive"};
  if (encoded.start_step < 0 || encoded.start_step > kInt32Max || encoded.num_steps < 0 ||
      encoded.num_steps > kInt32Max) {
    return Error{"trace: start_step or num_steps out of range"};
  }
  out.dt = encoded.dt;
  out.start_step = static_cast<int>(encoded.start_step);
  out.num_steps = static_cast<int>(encoded.num_steps);
  Result<std::vector<AgentMeta>> meta = AgentMetaFromJson(encoded.agent_meta);
  if (!meta) return meta.error();
  out.agents = std::move(*meta);

  {  // ego
    Result<std::vector<uint8_t>> payload = Unpack(encoded.ego, kKindEgo, "ego");
    if (!payload) return payload.error();
    Reader r(payload->data(), payload->size(), "ego");
    Result<size_t> n = r.Count("step", 7);
    if (!n) return n.error();
    if (*n != static_cast<size_t>(out.num_steps)) {
      return r.Fail(std::to_string(*n) + " steps, the trace row says " + std::to_string(out.num_steps));
    }
    const std::vector<size_t> one{*n};
    std::vector<std::vector<int64_t>> cols;
    struct Column {
      const char* name;
      Order order;
    };
    constexpr Column kEgoColumns[] = {{"ego step", Order::kLinear},       {"ego x", Order::kLinear},
                                      {"ego y", Order::kLinear},          {"ego heading", Order::kPrevious},
                                      {"ego speed", Order::kPrevious},    {"ego accel", Order::kPrevious},
                                      {"ego steer", Order::kPrevious}};
    for (const Column& column : kEgoColumns) {
      Result<std::vector<int64_t>> c = GetColumn(&r, one, column.order, column.name);
      if (!c) return c.error();
      cols.push_back(std::move(*c));
    }
    if (r.remaining() != 0) return r.Fail("trailing bytes");
    out.ego.resize(*n);
    for (size_t k = 0; k < *n; ++k) {
      TraceEgoSample& e = out.ego[k];
      e.step = static_cast<int>(cols[0][k]);
      e.x = Dequantise(cols[1][k], kTracePositionScale);
      e.y = Dequantise(cols[2][k], kTracePositionScale);
      e.heading = Dequantise(cols[3][k], kTraceAngleScale);
      e.speed = Dequantise(cols[4][k], kTraceSpeedScale);
      e.accel = Dequantise(cols[5][k], kTraceAccelScale);
      e.steer = Dequantise(cols[6][k], kTraceAngleScale);
    }
  }

  {  // agents
    Result<std::vector<uint8_t>> payload = Unpack(encoded.agents, kKindAgents, "agents");
    if (!payload) return payload.error();
    Reader r(payload->data(), payload->size(), "agents");
    Result<uint64_t> num_agents = r.Varint();
    if (!num_agents) return num_agents.error();
    if (*num_agents != out.agents.size()) {
      return r.Fail(std::to_string(*num_agents) + " agents, the metadata lists " +
                    std::to_string(out.agents.size()));
    }
    Result<uint64_t> steps = r.Varint();
    if (!steps) return steps.error();
    if (*steps != 0 && *steps != static_cast<uint64_t>(out.num_steps)) {
      return r.Fail(std::to_string(*steps) + " agent steps, the trace has " + std::to_string(out.num_steps));
    }
    const size_t na = static_cast<size_t>(*num_agents);
    const size_t ns = static_cast<size_t>(*steps);
    if (na != 0 && ns > kMaxAgentCells / na) return r.Fail("too many agent states");
    out.num_agents = static_cast<int>(na);
    const size_t cells = ns == 0 ? 0 : ns * na;
    out.agent_active.assign(cells, 0);
    std::vector<size_t> segments(na, 0);
    for (size_t i = 0; i < na; ++i) {
      Result<size_t> num_runs = r.Count("run", 1);
      if (!num_runs) return num_runs.error();
      size_t k = 0;
      for (size_t j = 0; j < *num_runs; ++j) {
        Result<uint64_t> run = r.Varint();
        if (!run) return run.error();
        if (*run > ns - k) return r.Fail("agent " + std::to_string(i) + ": runs exceed the steps");
        if (j % 2 == 1) {
          for (size_t s = k; s < k + *run; ++s) out.agent_active[s * na + i] = 1;
          segments[i] += static_cast<size_t>(*run);
        }
        k += static_cast<size_t>(*run);
      }
      if (k != ns) return r.Fail("agent " + std::to_string(i) + ": runs do not cover the steps");
    }
    Result<std::vector<int64_t>> x = GetColumn(&r, segments, Order::kLinear, "agent x");
    if (!x) return x.error();
    Result<std::vector<int64_t>> y = GetColumn(&r, segments, Order::kLinear, "agent y");
    if (!y) return y.error();
    Result<std::vector<int64_t>> heading = GetColumn(&r, segments, Order::kPrevious, "agent heading");
    if (!heading) return heading.error();
    if (r.remaining() != 0) return r.Fail("trailing bytes");
    out.agent_x.assign(cells, 0.0);
    out.agent_y.assign(cells, 0.0);
    out.agent_heading.assign(cells, 0.0);
    size_t v = 0;
    for (size_t i = 0; i < na; ++i) {
      for (size_t k = 0; k < ns; ++k) {
        const size_t c = k * na + i;
        if (out.agent_active[c] == 0) continue;
        out.agent_x[c] = Dequantise((*x)[v], kTracePositionScale);
        out.agent_y[c] = Dequantise((*y)[v], kTracePositionScale);
        out.agent_heading[c] = Dequantise((*heading)[v], kTraceAngleScale);
        ++v;
      }
    }
  }

  {  // plans
    Result<std::vector<uint8_t>> payload = Unpack(encoded.plans, kKindPlans, "plans");
    if (!payload) return payload.error();
    Reader r(payload->data(), payload->size(), "plans");
    Result<uint64_t> stride = r.Varint();
    if (!stride) return stride.error();
    if (*stride > 1000) return r.Fail("plan stride " + std::to_string(*stride) + " out of range");
    out.plan_stride = static_cast<int>(*stride);
    Result<size_t> num_plans = r.Count("plan", 1);
    if (!num_plans) return num_plans.error();
    std::vector<size_t> segments(*num_plans);
    size_t total = 0;
    for (size_t k = 0; k < *num_plans; ++k) {
      Result<size_t> m = r.Count("pose", 3);
      if (!m) return m.error();
      segments[k] = *m;
      total += *m;
      if (total > r.remaining()) return r.Fail("more plan poses than data");
    }
    Result<std::vector<int64_t>> x = GetColumn(&r, segments, Order::kLinear, "plan x");
    if (!x) return x.error();
    Result<std::vector<int64_t>> y = GetColumn(&r, segments, Order::kLinear, "plan y");
    if (!y) return y.error();
    Result<std::vector<int64_t>> heading = GetColumn(&r, segments, Order::kPrevious, "plan heading");
    if (!heading) return heading.error();
    if (r.remaining() != 0) return r.Fail("trailing bytes");
    if (*num_plans > 0) {
      out.plan_start.reserve(*num_plans + 1);
      out.plan_start.push_back(0);
      for (size_t m : segments) out.plan_start.push_back(out.plan_start.back() + static_cast<int>(m));
    }
    out.plan_poses.resize(total);
    for (size_t k = 0; k < total; ++k) {
      out.plan_poses[k] = {Dequantise((*x)[k], kTracePositionScale), Dequantise((*y)[k], kTracePositionScale),
                           Dequantise((*heading)[k], kTraceAngleScale)};
    }
  }
  return out;
}

}  // namespace tarmac
