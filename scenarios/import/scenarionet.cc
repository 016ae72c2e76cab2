#include "scenarios/import/scenarionet.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "scenarios/import/import_util.h"
#include "scenarios/import/pickle.h"

namespace tarmac {
namespace {

using pickle::Kind;
using pickle::Value;

// Longest scenario accepted, in steps (guards allocations): 28 h at 0.1 s.
constexpr int64_t kMaxSteps = 1000000;
// A lane polyline's third column is taken for a heading when it agrees with
// the direction of the polyline within this angle on most segments.
constexpr double kHeadingAgreeAngle = 20.0 * std::numbers::pi / 180.0;
constexpr double kHeadingAgreeFraction = 0.8;
// Segments shorter than this carry no usable direction [m].
constexpr double kMinSegment = 0.2;
// 1 mph in m/s (exact by definition of the international mile).
constexpr double kMphToMps = 0.44704;

// ---- reading values, with the path of the value in every message ----

std::string Sub(const std::string& path, std::string_view key) {
  return fmt::format("{}['{}']", path, key);
}

double Number(const Value& v, const std::string& path) {
  const std::optional<double> d = v.ToNumber();
  if (!d) ThrowImportError("{}: expected a number, got {}", path, v.Describe());
  return *d;
}

std::string Text(const Value& v, const std::string& path) {
  if (!v.is_str()) ThrowImportError("{}: expected a str, got {}", path, v.Describe());
  return std::string(*v.ToStr());
}

std::string IdOf(const Value& v, const std::string& path) {
  std::optional<std::string> id = v.ToId();
  if (!id) ThrowImportError("{}: expected an id (str or int), got {}", path, v.Describe());
  return std::move(*id);
}

void RequireDict(const Value& v, const std::string& path) {
  if (!v.is_dict()) ThrowImportError("{}: expected a dict, got {}", path, v.Describe());
}

// A 2-D table of numbers: an ndarray of 0-2 dimensions, a list of numbers
// (one column) or a list of equal-length lists/tuples of numbers.
struct Matrix {
  size_t rows = 0;
  size_t cols = 0;
  std::vector<double> v;  // row-major
  double at(size_t r, size_t c) const { return v[r * cols + c]; }
};

std::string ToLower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// ---- type tables ----

v1::TrackType TrackTypeOf(std::string_view type) {
  if (type == "VEHICLE") return v1::TRACK_TYPE_VEHICLE;
  if (type == "PEDESTRIAN") return v1::TRACK_TYPE_PEDESTRIAN;
  if (type == "CYCLIST") return v1::TRACK_TYPE_CYCLIST;
  if (type == "TRAFFIC_CONE" || type == "TRAFFIC_BARRIER" || type == "TRAFFIC_OBJECT" ||
      type == "TRAFFIC_LIGHT" || type == "BUILDING" || type == "INVISIBLE_WALL" || type == "GROUND") {
    return v1::TRACK_TYPE_STATIC;
  }
  return v1::TRACK_TYPE_OTHER;
}

v1::RoadLineType RoadLineTypeOf(std::string_view type) {
  static const std::map<std::string_view, v1::RoadLineType> kTypes = {
      {"ROAD_LINE_BROKEN_SINGLE_WHITE", v1::ROAD_LINE_TYPE_BROKEN_SINGLE_WHITE},
      {"ROAD_LINE_SOLID_SINGLE_WHITE", v1::ROAD_LINE_TYPE_SOLID_SINGLE_WHITE},
      {"ROAD_LINE_SOLID_DOUBLE_WHITE", v1::ROAD_LINE_TYPE_SOLID_DOUBLE_WHITE},
      {"ROAD_LINE_BROKEN_SINGLE_YELLOW", v1::ROAD_LINE_TYPE_BROKEN_SINGLE_YELLOW},
      {"ROAD_LINE_BROKEN_DOUBLE_YELLOW", v1::ROAD_LINE_TYPE_BROKEN_DOUBLE_YELLOW},
      {"ROAD_LINE_SOLID_SINGLE_YELLOW", v1::ROAD_LINE_TYPE_SOLID_SINGLE_YELLOW},
      {"ROAD_LINE_SOLID_DOUBLE_YELLOW", v1::ROAD_LINE_TYPE_SOLID_DOUBLE_YELLOW},
      {"ROAD_LINE_PASSING_DOUBLE_YELLOW", v1::ROAD_LINE_TYPE_PASSING_DOUBLE_YELLOW},
  };
  const auto it = kTypes.find(type);
  return it == kTypes.end() ? v1::ROAD_LINE_TYPE_UNSPECIFIED : it->second;
}

// MetaDrive / WOMD traffic-light states; ints are WOMD TrafficSignalLaneState
// enum values (0 unknown ... 8 flashing caution).
std::optional<v1::SignalState> SignalOf(const Value& v) {
  static const std::map<std::string_view, v1::SignalState> kStates = {
      {"LANE_STATE_UNKNOWN", v1::SIGNAL_STATE_UNKNOWN},
      {"LANE_STATE_ARROW_STOP", v1::SIGNAL_STATE_ARROW_STOP},
      {"LANE_STATE_ARROW_CAUTION", v1::SIGNAL_STATE_ARROW_CAUTION},
      {"LANE_STATE_ARROW_GO", v1::SIGNAL_STATE_ARROW_GO},
      {"LANE_STATE_STOP", v1::SIGNAL_STATE_STOP},
      {"LANE_STATE_CAUTION", v1::SIGNAL_STATE_CAUTION},
      {"LANE_STATE_GO", v1::SIGNAL_STATE_GO},
      {"LANE_STATE_FLASHING_STOP", v1::SIGNAL_STATE_FLASHING_STOP},
      {"LANE_STATE_FLASHING_CAUTION", v1::SIGNAL_STATE_FLASHING_CAUTION},
      {"TRAFFIC_LIGHT_GREEN", v1::SIGNAL_STATE_GO},
      {"TRAFFIC_LIGHT_RED", v1::SIGNAL_STATE_STOP},
      {"TRAFFIC_LIGHT_YELLOW", v1::SIGNAL_STATE_CAUTION},
      {"TRAFFIC_LIGHT_UNKNOWN", v1::SIGNAL_STATE_UNKNOWN},
  };
  static constexpr v1::SignalState kWomd[] = {
      v1::SIGNAL_STATE_UNKNOWN,     v1::SIGNAL_STATE_ARROW_STOP,    v1::SIGNAL_STATE_ARROW_CAUTION,
      v1::SIGNAL_STATE_ARROW_GO,    v1::SIGNAL_STATE_STOP,          v1::SIGNAL_STATE_CAUTION,
      v1::SIGNAL_STATE_GO,          v1::SIGNAL_STATE_FLASHING_STOP, v1::SIGNAL_STATE_FLASHING_CAUTION};
  if (v.is_none()) return v1::SIGNAL_STATE_UNKNOWN;
  if (v.is_str()) {
    const auto it = kStates.find(*v.ToStr());
    if (it != kStates.end()) return it->second;
    return std::nullopt;
  }
  if (const std::optional<int64_t> i = v.ToInt(); i && *i >= 0 && *i <= 8) {
    return kWomd[static_cast<size_t>(*i)];
  }
  return std::nullopt;
}

struct DatasetInfo {
  std::string_view key;      // metadata.dataset as ScenarioNet writes it
  std::string_view name;     // display name
  std::string_view license;  // data licence as far as known
};

constexpr DatasetInfo kDatasets[] = {
    {"nuscenes", "nuScenes", "CC BY-NC-SA 4.0 (nuScenes terms of use)"},
    {"waymo", "Waymo Open Motion Dataset",
     "Waymo Open Dataset License Agreement for Non-Commercial Use"},
    {"nuplan", "nuPlan", "CC BY-NC-SA 4.0 (nuPlan dataset terms; not verified by tarmac)"},
    {"av2", "Argoverse 2", "CC BY-NC-SA 4.0 (Argoverse terms of use)"},
    {"argoverse2", "Argoverse 2", "CC BY-NC-SA 4.0 (Argoverse terms of use)"},
    {"lyft", "Lyft Level 5", "unknown (Lyft Level 5 terms not verified)"},
    {"metadrive", "MetaDrive (synthetic)", "unknown"},
};

// ---- geometry ----

double Wrap(double a) { return WrapAngle(a); }

// Direction of the first (or last) segment of a polyline that is longer than
// kMinSegment / 10; nullopt if there is none.
std::optional<double> EndDirection(const v1::Polyline& line, bool at_end) {
  const int n = line.x_size();
  for (int k = 1; k < n; ++k) {
    const int i = at_end ? n - k : k;  // segment (i-1, i)
    const double dx = line.x(i) - line.x(i - 1);
    const double dy = line.y(i) - line.y(i - 1);
    if (std::hypot(dx, dy) > kMinSegment / 10) return std::atan2(dy, dx);
  }
  return std::nullopt;
}

// Splits a lane outline polygon into the lane's left and right boundaries:
// every vertex is projected onto the centreline; vertices left of it form the
// left boundary, those right of it the right one, each ordered by arc length.
// Leaves both empty unless each side gets at least 2 points.
void SplitOutline(const v1::Polyline& center, const Matrix& polygon, v1::Polyline* left,
                  v1::Polyline* right) {
  const int n = center.x_size();
  if (n < 2 || polygon.rows < 4) return;
  std::vector<double> cum(static_cast<size_t>(n), 0.0);
  for (int k = 1; k < n; ++k) {
    cum[static_cast<size_t>(k)] = cum[static_cast<size_t>(k - 1)] +
                                  std::hypot(center.x(k) - center.x(k - 1), center.y(k) - center.y(k - 1));
  }
  struct Vertex {
    double s;
    double x, y;
  };
  std::vector<Vertex> sides[2];
  size_t rows = polygon.rows;
  if (polygon.at(0, 0) == polygon.at(rows - 1, 0) && polygon.at(0, 1) == polygon.at(rows - 1, 1)) --rows;
  for (size_t r = 0; r < rows; ++r) {
    const double px = polygon.at(r, 0);
    const double py = polygon.at(r, 1);
    double best = std::numeric_limits<double>::infinity();
    double s = 0.0;
    double d = 0.0;
    for (int k = 1; k < n; ++k) {
      const double ax = center.x(k - 1), ay = center.y(k - 1);
      const double dx = center.x(k) - ax, dy = center.y(k) - ay;
      const double len2 = dx * dx + dy * dy;
      if (!(len2 > 0.0)) continue;
      const double t = std::clamp(((px - ax) * dx + (py - ay) * dy) / len2, 0.0, 1.0);
      const double ex = px - ax - t * dx, ey = py - ay - t * dy;
      const double dist2 = ex * ex + ey * ey;
      if (dist2 < best) {
        best = dist2;
        s = cum[static_cast<size_t>(k - 1)] + t * std::sqrt(len2);
        d = dx * (py - ay) - dy * (px - ax);  // > 0: left of the segment
      }
    }
    if (!std::isfinite(best) || d == 0.0) continue;
    sides[d > 0.0 ? 0 : 1].push_back({s, px, py});
  }
  if (sides[0].size() < 2 || sides[1].size() < 2) return;
  for (int side = 0; side < 2; ++side) {
    std::stable_sort(sides[side].begin(), sides[side].end(),
                     [](const Vertex& a, const Vertex& b) { return a.s < b.s; });
    v1::Polyline* out = side == 0 ? left : right;
    for (const Vertex& v : sides[side]) AddPoint(out, v.x, v.y);
  }
}

// ---- the importer ----

class Importer {
 public:
  Importer(const pickle::Document& doc, size_t input_bytes)
      : root_(&doc, doc.root()), budget_(16 * static_cast<uint64_t>(input_bytes) + 1000000),
        budget_left_(budget_) {}

  v1::Scenario Run() {
    if (!root_.is_dict()) {
      ThrowImportError("top level: expected a dict (a ScenarioNet scenario), got {}", root_.Describe());
    }
    const Value meta = Require(root_, "metadata", "scenario");
    RequireDict(meta, "metadata");
    if (std::optional<Value> d = Find(meta, "dataset"); d && d->is_str()) {
      dataset_ = ToLower(std::string(*d->ToStr()));
    }
    ReadHeader(meta);
    ReadTime(meta);
    ImportTracks(Require(root_, "tracks", "scenario"), "tracks");
    ReadEgo(meta);
    if (std::optional<Value> f = Find(root_, "map_features")) ImportMap(*f, "map_features");
    if (std::optional<Value> d = Find(root_, "dynamic_map_states")) {
      ImportLights(*d, "dynamic_map_states");
    }
    ReadTracksToPredict(meta);
    FlushNotes();
    return std::move(s_);
  }

 private:
  // ---- reading values, charged against the budget ----

  // Every value read or produced is charged: a pickle can reference one big
  // array or dict any number of times (memo), and this keeps the work and the
  // memory of an import proportional to the input size.
  void Spend(uint64_t n, std::string_view where) {
    if (n > budget_left_) {
      ThrowImportError("{}: the scenario expands to more than {} values (16 per input byte); "
                       "is one array or dict shared many times?",
                       where, budget_);
    }
    budget_left_ -= n;
  }
  // rows x cols, failing before the product could overflow.
  void SpendTable(uint64_t rows, uint64_t cols, std::string_view where) {
    if (cols != 0 && rows > budget_left_ / cols) Spend(budget_left_ + 1, where);
    Spend(rows * cols, where);
  }

  // dict[key], nullopt when missing or None.
  std::optional<Value> Find(const Value& dict, std::string_view key) {
    Spend(dict.size(), key);
    std::optional<Value> v = dict.Find(key);
    if (v && v->is_none()) return std::nullopt;
    return v;
  }

  Value Require(const Value& dict, std::string_view key, const std::string& path) {
    if (!dict.is_dict()) ThrowImportError("{}: expected a dict, got {}", path, dict.Describe());
    Spend(dict.size(), path);
    std::optional<Value> v = dict.Find(key);
    if (!v) ThrowImportError("{}: missing key '{}'", path, key);
    return *v;
  }

  Matrix ReadMatrix(const Value& value, const std::string& path) {
    Matrix m;
    if (value.kind() == Kind::kNdArray || value.kind() == Kind::kScalar) {
      const pickle::NdArray& a = value.array();
      if (a.shape.size() > 2) {
        ThrowImportError("{}: expected a 1-D or 2-D array, got {}", path, value.Describe());
      }
      Spend(a.count(), path);
      m.rows = a.shape.empty() ? 1 : static_cast<size_t>(a.shape[0]);
      m.cols = a.shape.size() == 2 ? static_cast<size_t>(a.shape[1]) : 1;
      m.v.resize(a.count());
      for (size_t i = 0; i < m.v.size(); ++i) m.v[i] = a.At(i);
      if (m.cols == 0) m.rows = 0;
      return m;
    }
    if (!value.is_sequence()) {
      m.rows = m.cols = 1;
      m.v.push_back(Number(value, path));
      return m;
    }
    m.rows = value.size();
    Spend(m.rows, path);
    for (size_t r = 0; r < m.rows; ++r) {
      const Value row = value[r];
      const size_t n = row.is_sequence() ? row.size() : 1;
      if (r == 0) {
        SpendTable(m.rows, n, path);
        m.cols = n;
        m.v.reserve(m.rows * n);
      } else if (n != m.cols) {
        ThrowImportError("{}[{}]: {} values, but row 0 has {}", path, r, n, m.cols);
      }
      if (!row.is_sequence()) {
        const std::optional<double> d = row.ToNumber();
        if (!d) ThrowImportError("{}[{}]: expected a number, got {}", path, r, row.Describe());
        m.v.push_back(*d);
        continue;
      }
      for (size_t c = 0; c < n; ++c) {
        const std::optional<double> d = row[c].ToNumber();
        if (!d) ThrowImportError("{}[{}][{}]: expected a number, got {}", path, r, c, row[c].Describe());
        m.v.push_back(*d);
      }
    }
    if (m.cols == 0) m.rows = 0;
    return m;
  }

  void Note(std::string key, std::string value) {
    v1::KeyValue* kv = s_.mutable_provenance()->add_notes();
    kv->set_key(std::move(key));
    kv->set_value(std::move(value));
  }
  // Counted events, written as notes at the end in key order.
  void Count(const std::string& key, const std::string& what) { counts_[key][what]++; }
  void FlushNotes() {
    for (const auto& [key, whats] : counts_) {
      std::string text;
      for (const auto& [what, n] : whats) {
        if (!text.empty()) text += "; ";
        text += fmt::format("{} x{}", what, n);
      }
      Note(key, text);
    }
  }

  void ReadHeader(const Value& meta) {
    std::string id;
    if (std::optional<Value> v = Find(root_, "id")) {
      id = IdOf(*v, "id");
    } else if (std::optional<Value> m = Find(meta, "scenario_id")) {
      id = IdOf(*m, "metadata['scenario_id']");
    } else {
      ThrowImportError("scenario: missing key 'id'");
    }
    s_.set_id(id);
    v1::Provenance* p = s_.mutable_provenance();
    p->set_source_id(id);
    std::string version;
    if (std::optional<Value> v = Find(root_, "version"); v && v->is_str()) version = *v->ToStr();

    const DatasetInfo* info = nullptr;
    for (const DatasetInfo& d : kDatasets) {
      if (d.key == dataset_) info = &d;
    }
    // "nuscenesv1.0-mini" -> "v1.0-mini": ScenarioNet prefixes the dataset name.
    std::string short_version = version;
    if (!dataset_.empty() && ToLower(version).rfind(dataset_, 0) == 0) {
      short_version = version.substr(dataset_.size());
    }
    std::string name = info != nullptr ? std::string(info->name) : dataset_;
    if (name.empty()) name = "unknown";
    p->set_dataset(short_version.empty() ? name : name + " " + short_version);
    p->set_license(info != nullptr ? std::string(info->license) : "unknown");
    if (std::optional<Value> m = Find(meta, "map"); m && m->is_str()) {
      s_.mutable_map()->set_name(std::string(*m->ToStr()));
    }
    Note("scenarionet.dataset", dataset_);
    Note("scenarionet.version", version);
    for (const char* key : {"coordinate", "date"}) {
      if (std::optional<Value> v = Find(meta, key); v && v->is_str()) {
        Note(fmt::format("scenarionet.{}", key), std::string(*v->ToStr()));
      }
    }
    if (std::optional<Value> v = Find(meta, "metadrive_processed"); v && v->ToInt().value_or(0) != 0) {
      Note("coordinates", "metadrive_processed is set: coordinates are MetaDrive's, taken as they are");
    }
  }

  void ReadTime(const Value& meta) {
    const std::optional<int64_t> length = Require(root_, "length", "scenario").ToInt();
    if (!length || *length < 1 || *length > kMaxSteps) {
      ThrowImportError("length: {} is not a step count in [1, {}]",
                       Require(root_, "length", "scenario").Describe(), kMaxSteps);
    }
    num_steps_ = static_cast<int>(*length);
    v1::TimeBase* time = s_.mutable_time();
    time->set_num_steps(num_steps_);

    // Mean step of metadata.ts, which must increase.
    std::optional<double> ts_dt;
    if (std::optional<Value> ts = Find(meta, "ts")) {
      const Matrix m = ReadMatrix(*ts, "metadata['ts']");
      if (m.cols == 1 && m.rows == static_cast<size_t>(num_steps_) && m.rows >= 2) {
        for (size_t k = 1; k < m.rows; ++k) {
          if (!(m.v[k] > m.v[k - 1])) {
            ThrowImportError("metadata['ts']: time does not increase at index {} ({} after {})", k,
                             m.v[k], m.v[k - 1]);
          }
        }
        ts_dt = (m.v.back() - m.v.front()) / static_cast<double>(m.rows - 1);
      } else {
        Note("time.ts", fmt::format("metadata['ts'] has {}x{} values for {} steps; not used", m.rows,
                                    m.cols, num_steps_));
      }
    }
    double dt = 0.0;
    std::string how;
    if (std::optional<Value> rate = Find(meta, "sample_rate")) {
      const double r = Number(*rate, "metadata['sample_rate']");
      if (!(r > 0.0) || !std::isfinite(r)) ThrowImportError("metadata['sample_rate']: {} is not positive", r);
      dt = r;
      how = "metadata.sample_rate";
      if (ts_dt && std::fabs(r - *ts_dt) > 0.01 * *ts_dt) {
        if (std::fabs(1.0 / r - *ts_dt) <= 0.01 * *ts_dt) {
          dt = 1.0 / r;
          how = "metadata.sample_rate read as a rate in Hz (it matches 1 / the step of metadata.ts)";
        } else {
          dt = *ts_dt;
          how = fmt::format("the mean step of metadata.ts (metadata.sample_rate {} disagrees)", r);
        }
      } else if (ts_dt) {
        how += ", consistent with metadata.ts";
      }
    } else if (ts_dt) {
      dt = std::round(*ts_dt * 1e6) / 1e6;  // float32 timestamps: keep whole microseconds
      how = "the mean step of metadata.ts";
    } else {
      ThrowImportError("metadata: no time base (neither 'sample_rate' nor a usable 'ts')");
    }
    time->set_dt_s(dt);
    Note("time.dt", fmt::format("{} s from {}", dt, how));

    int64_t current = 0;
    if (std::optional<Value> c = Find(meta, "current_time_index")) {
      const std::optional<int64_t> i = c->ToInt();
      if (!i) ThrowImportError("metadata['current_time_index']: expected an int, got {}", c->Describe());
      current = *i;
      if (current < 0 || current >= num_steps_) {
        ThrowImportError("metadata['current_time_index']: {} outside [0, {})", current, num_steps_);
      }
    } else {
      Note("time.current_step", "metadata has no current_time_index: step 0");
    }
    time->set_current_step(static_cast<int>(current));
  }

  // A per-step table: num_steps rows, at least `min_cols` columns.
  Matrix StepMatrix(const Value& v, const std::string& path, size_t min_cols) {
    Matrix m = ReadMatrix(v, path);
    if (m.rows != static_cast<size_t>(num_steps_)) {
      ThrowImportError("{}: {} steps, but the scenario has {} (length)", path, m.rows, num_steps_);
    }
    if (m.cols < min_cols) {
      ThrowImportError("{}: {} value(s) per step, need at least {}", path, m.cols, min_cols);
    }
    return m;
  }

  // A per-step scalar: a (T,) or (T,1) array, or one number for all steps.
  std::vector<double> PerStep(const Value& v, const std::string& path) {
    if (!v.is_sequence() && v.kind() != Kind::kNdArray) {
      Spend(static_cast<uint64_t>(num_steps_), path);
      return std::vector<double>(static_cast<size_t>(num_steps_), Number(v, path));
    }
    const Matrix m = StepMatrix(v, path, 1);
    std::vector<double> out(m.rows);
    for (size_t k = 0; k < m.rows; ++k) out[k] = m.at(k, 0);
    return out;
  }

  void ImportTracks(const Value& tracks, const std::string& path) {
    RequireDict(tracks, path);
    for (size_t i = 0; i < tracks.size(); ++i) {
      const std::string id = IdOf(tracks.key(i), fmt::format("{} key {}", path, i));
      ImportTrack(id, tracks.value(i), Sub(path, id));
    }
  }

  void ImportTrack(const std::string& id, const Value& track, const std::string& path) {
    RequireDict(track, path);
    v1::Track* t = s_.add_tracks();
    t->set_id(id);
    std::string type;
    if (std::optional<Value> v = Find(track, "type"); v && v->is_str()) type = *v->ToStr();
    t->set_type(TrackTypeOf(type));
    std::string source_type = type;
    if (std::optional<Value> meta = Find(track, "metadata"); meta && meta->is_dict()) {
      if (std::optional<Value> mt = Find(*meta, "type"); mt && mt->is_str()) source_type = *mt->ToStr();
    }
    t->set_source_type(source_type);

    const std::string sp = Sub(path, "state");
    const Value state = Require(track, "state", path);
    RequireDict(state, sp);
    const Matrix pos = StepMatrix(Require(state, "position", sp), Sub(sp, "position"), 2);
    const std::vector<double> valid = PerStep(Require(state, "valid", sp), Sub(sp, "valid"));
    std::vector<double> heading(static_cast<size_t>(num_steps_), 0.0);
    if (std::optional<Value> h = Find(state, "heading")) {
      heading = PerStep(*h, Sub(sp, "heading"));
    } else {
      Count("tracks.missing", "heading (set to 0)");
    }
    std::optional<Matrix> vel;
    if (std::optional<Value> v = Find(state, "velocity")) {
      vel = StepMatrix(*v, Sub(sp, "velocity"), 2);
    } else {
      Count("tracks.missing", "velocity (set to 0)");
    }
    const std::vector<double> length = PerStep(Require(state, "length", sp), Sub(sp, "length"));
    const std::vector<double> width = PerStep(Require(state, "width", sp), Sub(sp, "width"));
    std::vector<double> height(static_cast<size_t>(num_steps_), 0.0);
    if (std::optional<Value> h = Find(state, "height")) height = PerStep(*h, Sub(sp, "height"));

    Spend(6 * static_cast<uint64_t>(num_steps_), path);
    InitTrack(num_steps_, t);
    std::optional<size_t> first_valid;
    for (size_t k = 0; k < static_cast<size_t>(num_steps_); ++k) {
      if (!(valid[k] != 0.0) || std::isnan(valid[k])) continue;
      if (!first_valid) first_valid = k;
      const int i = static_cast<int>(k);
      t->set_valid(i, true);
      t->set_x(i, pos.at(k, 0));
      t->set_y(i, pos.at(k, 1));
      t->set_heading(i, heading[k]);
      if (vel) {
        t->set_vx(i, vel->at(k, 0));
        t->set_vy(i, vel->at(k, 1));
      }
    }
    // Box: at the current step if valid there, else at the first valid step;
    // then the first valid step with a positive length and width.
    if (!first_valid) return;
    const auto now = static_cast<size_t>(s_.time().current_step());
    size_t k = t->valid(static_cast<int>(now)) ? now : *first_valid;
    if (!(length[k] > 0.0 && width[k] > 0.0)) {
      for (size_t j = *first_valid; j < length.size(); ++j) {
        if (t->valid(static_cast<int>(j)) && length[j] > 0.0 && width[j] > 0.0) {
          k = j;
          break;
        }
      }
    }
    t->set_length_m(length[k]);
    t->set_width_m(width[k]);
    t->set_height_m(height[k]);
  }

  void ReadEgo(const Value& meta) {
    const std::string sdc = IdOf(Require(meta, "sdc_id", "metadata"), "metadata['sdc_id']");
    s_.mutable_ego()->set_track_id(sdc);
    for (v1::Track& t : *s_.mutable_tracks()) {
      if (t.id() != sdc || !(t.width_m() > t.length_m())) continue;
      Note("ego.box", fmt::format("the file gives the ego length {} m and width {} m; swapped, since a "
                                  "vehicle is longer than wide",
                                  t.length_m(), t.width_m()));
      const double l = t.length_m();
      t.set_length_m(t.width_m());
      t.set_width_m(l);
    }
  }

  // ---- map ----

  // The points of feature[key], at least `min_points` of them (after dropping
  // a repeated closing point when `closed`); nullopt when there are fewer.
  std::optional<Matrix> ReadPoints(const Value& feature, std::string_view key, const std::string& path,
                                   size_t min_points, bool closed) {
    const std::string kp = Sub(path, key);
    Matrix m = ReadMatrix(Require(feature, key, path), kp);
    if (m.rows > 0 && m.cols < 2) ThrowImportError("{}: points with {} coordinate(s), need >= 2", kp, m.cols);
    if (closed && m.rows >= 2 && m.at(0, 0) == m.at(m.rows - 1, 0) && m.at(0, 1) == m.at(m.rows - 1, 1)) {
      m.rows -= 1;
      m.v.resize(m.rows * m.cols);
    }
    if (m.rows < min_points) return std::nullopt;
    return m;
  }

  static v1::Polyline ToPolyline(const Matrix& m) {
    v1::Polyline line;
    line.mutable_x()->Reserve(static_cast<int>(m.rows));
    line.mutable_y()->Reserve(static_cast<int>(m.rows));
    for (size_t r = 0; r < m.rows; ++r) AddPoint(&line, m.at(r, 0), m.at(r, 1));
    return line;
  }

  void AddIds(const Value& list, const std::string& path, google::protobuf::RepeatedPtrField<std::string>* out) {
    if (!list.is_sequence()) ThrowImportError("{}: expected a list of ids, got {}", path, list.Describe());
    for (size_t i = 0; i < list.size(); ++i) {
      const Value item = list[i];
      if (item.is_dict()) {  // WOMD neighbour record {feature_id, ...}
        *out->Add() = IdOf(Require(item, "feature_id", fmt::format("{}[{}]", path, i)),
                           fmt::format("{}[{}]['feature_id']", path, i));
      } else {
        *out->Add() = IdOf(item, fmt::format("{}[{}]", path, i));
      }
    }
  }

  // Distinct boundary_type strings of WOMD lane boundary records.
  std::string Markings(const Value& list) {
    std::vector<std::string> types;
    if (!list.is_sequence()) return "";
    for (size_t i = 0; i < list.size(); ++i) {
      if (!list[i].is_dict()) continue;
      if (std::optional<Value> t = Find(list[i], "boundary_type"); t && t->is_str()) {
        const std::string s(*t->ToStr());
        if (std::find(types.begin(), types.end(), s) == types.end()) types.push_back(s);
      }
    }
    std::string out;
    for (const std::string& s : types) out += (out.empty() ? "" : ",") + s;
    return out;
  }

  void ImportLane(const std::string& id, const std::string& type, const Value& f, const std::string& path) {
    const std::optional<Matrix> pts = ReadPoints(f, "polyline", path, 2, false);
    if (!pts) {
      Count("map.skipped", type + " with < 2 points");
      return;
    }
    v1::Lane* lane = s_.mutable_map()->add_lanes();
    lane->set_id(id);
    lane->set_type(type == "LANE_BIKE_LANE" ? v1::LANE_TYPE_BIKE : v1::LANE_TYPE_VEHICLE);
    lane->set_source_type(type);
    *lane->mutable_centerline() = ToPolyline(*pts);
    if (pts->cols >= 3) TallyThirdColumn(*pts);

    if (std::optional<Value> e = Find(f, "entry_lanes")) {
      has_connectivity_ = true;
      AddIds(*e, Sub(path, "entry_lanes"), lane->mutable_predecessor_ids());
    }
    if (std::optional<Value> e = Find(f, "exit_lanes")) {
      has_connectivity_ = true;
      AddIds(*e, Sub(path, "exit_lanes"), lane->mutable_successor_ids());
    }
    for (const char* side : {"left_neighbor", "right_neighbor"}) {
      std::optional<Value> n = Find(f, side);
      if (!n) continue;
      google::protobuf::RepeatedPtrField<std::string> ids;
      AddIds(*n, Sub(path, side), &ids);
      for (const std::string& nid : ids) {
        v1::LaneNeighbor* nb = side[0] == 'l' ? lane->add_left_neighbors() : lane->add_right_neighbors();
        nb->set_lane_id(nid);
        nb->set_same_direction(true);  // WOMD neighbours are lanes one can change into
      }
    }
    if (std::optional<Value> b = Find(f, "left_boundaries")) lane->set_left_marking(Markings(*b));
    if (std::optional<Value> b = Find(f, "right_boundaries")) lane->set_right_marking(Markings(*b));

    const bool nuscenes = dataset_ == "nuscenes";
    std::optional<Value> mph = Find(f, "speed_limit_mph");
    std::optional<Value> kmh = Find(f, "speed_limit_kmh");
    if (nuscenes && (mph || kmh)) {
      Count("map.speed_limits", "ignored on nuScenes lanes (ScenarioNet writes a constant "
                                "100 km/h on lane connectors; nuScenes maps have no limits)");
    } else if (mph || kmh) {
      const std::string sp = Sub(path, mph ? "speed_limit_mph" : "speed_limit_kmh");
      const double v = Number(mph ? *mph : *kmh, sp);
      if (!std::isfinite(v) || v < 0.0) ThrowImportError("{}: {} is not a speed limit", sp, v);
      lane->set_speed_limit_mps(mph ? v * kMphToMps : v / 3.6);
    }

    std::optional<Value> polygon = Find(f, "polygon");
    if (polygon) {
      const std::optional<Matrix> outline = ReadPoints(f, "polygon", path, 3, false);
      if (outline) {
        SplitOutline(lane->centerline(), *outline, lane->mutable_left_boundary(),
                     lane->mutable_right_boundary());
      }
      Count("map.lane_boundaries", lane->left_boundary().x_size() > 0
                                       ? "split from the lane polygon (vertices left / right of the "
                                         "centreline, by arc length)"
                                       : "lane polygon could not be split: no boundaries");
    }
    if (nuscenes && (!polygon || type == "LANE_SURFACE_UNSTRUCTURE")) {
      lane->set_is_intersection(true);
      Count("map.intersections", "nuScenes lane connectors (lanes without a polygon) marked is_intersection");
    }
  }

  // Evidence for what a lane polyline's third column is (heading or z).
  void TallyThirdColumn(const Matrix& m) {
    for (size_t r = 1; r < m.rows; ++r) {
      const double dx = m.at(r, 0) - m.at(r - 1, 0);
      const double dy = m.at(r, 1) - m.at(r - 1, 1);
      if (!(std::hypot(dx, dy) > kMinSegment)) continue;
      ++third_segments_;
      const double diff = Wrap(m.at(r - 1, 2) - std::atan2(dy, dx));
      if (std::fabs(diff) <= kHeadingAgreeAngle) ++third_agree_;
    }
  }

  void ImportMap(const Value& features, const std::string& path) {
    RequireDict(features, path);
    v1::Map* map = s_.mutable_map();
    for (size_t i = 0; i < features.size(); ++i) {
      const std::string id = IdOf(features.key(i), fmt::format("{} key {}", path, i));
      const std::string fp = Sub(path, id);
      const Value f = features.value(i);
      RequireDict(f, fp);
      const std::string type = Text(Require(f, "type", fp), Sub(fp, "type"));
      if (StartsWith(type, "LANE_") && !StartsWith(type, "LANE_STATE_")) {
        ImportLane(id, type, f, fp);
      } else if (dataset_ == "nuscenes" && StartsWith(id, "boundary_") && StartsWith(type, "ROAD_LINE_")) {
        // Drivable-area outline, typed as a solid white line by ScenarioNet.
        if (std::optional<Matrix> pts = ReadPoints(f, "polyline", fp, 2, false)) {
          v1::RoadEdge* e = map->add_road_edges();
          e->set_id(id);
          e->set_type(v1::ROAD_EDGE_TYPE_BOUNDARY);
          *e->mutable_polyline() = ToPolyline(*pts);
          Count("map.road_edges", "nuScenes boundary_* drivable-area outlines imported as road edges");
        } else {
          Count("map.skipped", type + " with < 2 points");
        }
      } else if (StartsWith(type, "ROAD_LINE_") || type == "UNKNOWN_LINE") {
        if (std::optional<Matrix> pts = ReadPoints(f, "polyline", fp, 2, false)) {
          v1::RoadLine* l = map->add_road_lines();
          l->set_id(id);
          l->set_type(RoadLineTypeOf(type));
          *l->mutable_polyline() = ToPolyline(*pts);
        } else {
          Count("map.skipped", type + " with < 2 points");
        }
      } else if (type == "ROAD_EDGE_BOUNDARY" || type == "ROAD_EDGE_MEDIAN" || type == "ROAD_EDGE_UNKNOWN" ||
                 type == "UNKNOWN") {
        if (std::optional<Matrix> pts = ReadPoints(f, "polyline", fp, 2, false)) {
          v1::RoadEdge* e = map->add_road_edges();
          e->set_id(id);
          e->set_type(type == "ROAD_EDGE_BOUNDARY" ? v1::ROAD_EDGE_TYPE_BOUNDARY
                      : type == "ROAD_EDGE_MEDIAN" ? v1::ROAD_EDGE_TYPE_MEDIAN
                                                   : v1::ROAD_EDGE_TYPE_UNSPECIFIED);
          *e->mutable_polyline() = ToPolyline(*pts);
          if (type == "UNKNOWN") Count("map.road_edges", "type UNKNOWN (WOMD unknown edge or line) read as an edge");
        } else {
          Count("map.skipped", type + " with < 2 points");
        }
      } else if (type == "CROSSWALK" || type == "SPEED_BUMP" || type == "DRIVEWAY") {
        const std::optional<Matrix> pts = ReadPoints(f, "polygon", fp, 3, true);
        if (!pts) {
          Count("map.skipped", type + " with < 3 points");
        } else if (type == "CROSSWALK") {
          v1::Crosswalk* c = map->add_crosswalks();
          c->set_id(id);
          *c->mutable_polygon() = ToPolyline(*pts);
        } else {
          v1::AreaFeature* a = map->add_areas();
          a->set_id(id);
          a->set_type(type == "SPEED_BUMP" ? v1::AREA_TYPE_SPEED_BUMP : v1::AREA_TYPE_DRIVEWAY);
          *a->mutable_polygon() = ToPolyline(*pts);
        }
      } else if (type == "STOP_SIGN") {
        const std::string pp = Sub(fp, "position");
        const Matrix pos = ReadMatrix(Require(f, "position", fp), pp);
        if (pos.v.size() < 2) ThrowImportError("{}: {} coordinate(s), need >= 2", pp, pos.v.size());
        v1::StopSign* sign = map->add_stop_signs();
        sign->set_id(id);
        sign->set_x(pos.v[0]);
        sign->set_y(pos.v[1]);
        if (std::optional<Value> lanes = Find(f, "lane")) AddIds(*lanes, Sub(fp, "lane"), sign->mutable_lane_ids());
      } else {
        Count("map.skipped", type);
      }
    }
    if (third_segments_ > 0) {
      const double share = static_cast<double>(third_agree_) / static_cast<double>(third_segments_);
      const bool heading = share >= kHeadingAgreeFraction;
      Note("map.lane_polyline_column_3",
           fmt::format("{} (it matches the centreline direction within {:.0f} deg on {:.1f}% of {} "
                       "segments); dropped",
                       heading ? "lane heading [rad]" : "z [m]", kHeadingAgreeAngle * 180.0 / std::numbers::pi,
                       100.0 * share, third_segments_));
    }
    if (!has_connectivity_) InferConnectivity();
    DropDanglingLaneRefs();
  }

  // Successors / predecessors from coincident endpoints (see scenarionet.h).
  void InferConnectivity() {
    v1::Map* map = s_.mutable_map();
    const int n = map->lanes_size();
    struct End {
      double x, y, dir;
      bool has_dir;
    };
    std::vector<End> starts(static_cast<size_t>(n)), ends(static_cast<size_t>(n));
    std::vector<int> order(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      const v1::Polyline& c = map->lanes(i).centerline();
      const std::optional<double> d0 = EndDirection(c, false);
      const std::optional<double> d1 = EndDirection(c, true);
      starts[static_cast<size_t>(i)] = {c.x(0), c.y(0), d0.value_or(0.0), d0.has_value()};
      ends[static_cast<size_t>(i)] = {c.x(c.x_size() - 1), c.y(c.y_size() - 1), d1.value_or(0.0), d1.has_value()};
      order[static_cast<size_t>(i)] = i;
    }
    std::sort(order.begin(), order.end(), [&](int a, int b) {
      return starts[static_cast<size_t>(a)].x < starts[static_cast<size_t>(b)].x ||
             (starts[static_cast<size_t>(a)].x == starts[static_cast<size_t>(b)].x && a < b);
    });
    std::vector<std::vector<int>> successors(static_cast<size_t>(n));
    std::vector<std::vector<int>> predecessors(static_cast<size_t>(n));
    int links = 0;
    for (int a = 0; a < n; ++a) {
      const End& e = ends[static_cast<size_t>(a)];
      if (!e.has_dir) continue;
      auto it = std::lower_bound(order.begin(), order.end(), e.x - kLaneJoinDistance,
                                 [&](int b, double x) { return starts[static_cast<size_t>(b)].x < x; });
      for (; it != order.end() && starts[static_cast<size_t>(*it)].x <= e.x + kLaneJoinDistance; ++it) {
        const int b = *it;
        const End& st = starts[static_cast<size_t>(b)];
        if (b == a || !st.has_dir) continue;
        if (std::hypot(st.x - e.x, st.y - e.y) > kLaneJoinDistance) continue;
        if (std::fabs(Wrap(st.dir - e.dir)) > kLaneJoinAngle) continue;
        Spend(2, "map lane connectivity");
        successors[static_cast<size_t>(a)].push_back(b);
        predecessors[static_cast<size_t>(b)].push_back(a);
        ++links;
      }
    }
    for (int i = 0; i < n; ++i) {
      v1::Lane* lane = map->mutable_lanes(i);
      std::vector<int>& succ = successors[static_cast<size_t>(i)];
      std::vector<int>& pred = predecessors[static_cast<size_t>(i)];
      std::sort(succ.begin(), succ.end());
      std::sort(pred.begin(), pred.end());
      for (int b : succ) lane->add_successor_ids(map->lanes(b).id());
      for (int a : pred) lane->add_predecessor_ids(map->lanes(a).id());
    }
    if (n > 0) {
      Note("map.lane_connectivity",
           fmt::format("inferred ({} links): the source has no entry/exit lanes; B follows A when A's "
                       "end is within {} m of B's start and their directions differ by <= {:.0f} deg",
                       links, kLaneJoinDistance, kLaneJoinAngle * 180.0 / std::numbers::pi));
    }
  }

  std::set<std::string, std::less<>> LaneIds() const {
    std::set<std::string, std::less<>> ids;
    for (const v1::Lane& lane : s_.map().lanes()) ids.insert(lane.id());
    return ids;
  }

  // Removes ids that name no lane of the map, counting them.
  void Filter(google::protobuf::RepeatedPtrField<std::string>* ids,
              const std::set<std::string, std::less<>>& lanes, const char* what) {
    auto keep = std::remove_if(ids->begin(), ids->end(), [&](const std::string& id) {
      return lanes.count(id) == 0;
    });
    const auto dropped = static_cast<int>(ids->end() - keep);
    for (int k = 0; k < dropped; ++k) Count("map.dropped_references", fmt::format("{} naming a lane not in the file", what));
    ids->erase(keep, ids->end());
  }

  void DropDanglingLaneRefs() {
    const std::set<std::string, std::less<>> lanes = LaneIds();
    v1::Map* map = s_.mutable_map();
    for (v1::Lane& lane : *map->mutable_lanes()) {
      Filter(lane.mutable_predecessor_ids(), lanes, "entry_lanes");
      Filter(lane.mutable_successor_ids(), lanes, "exit_lanes");
      for (auto* side : {lane.mutable_left_neighbors(), lane.mutable_right_neighbors()}) {
        auto keep = std::remove_if(side->begin(), side->end(), [&](const v1::LaneNeighbor& nb) {
          return lanes.count(nb.lane_id()) == 0;
        });
        for (auto it = keep; it != side->end(); ++it) Count("map.dropped_references", "neighbor naming a lane not in the file");
        side->erase(keep, side->end());
      }
    }
    for (v1::StopSign& sign : *map->mutable_stop_signs()) Filter(sign.mutable_lane_ids(), lanes, "stop sign lane");
  }

  // ---- traffic lights ----

  void ImportLights(const Value& states, const std::string& path) {
    RequireDict(states, path);
    const std::set<std::string, std::less<>> lanes = LaneIds();
    for (size_t i = 0; i < states.size(); ++i) {
      const std::string id = IdOf(states.key(i), fmt::format("{} key {}", path, i));
      const std::string lp = Sub(path, id);
      const Value light = states.value(i);
      RequireDict(light, lp);
      if (std::optional<Value> t = Find(light, "type"); t && t->is_str() && *t->ToStr() != "TRAFFIC_LIGHT") {
        Count("dynamic_map_states.skipped", std::string(*t->ToStr()));
        continue;
      }
      v1::TrafficLight* tl = s_.add_traffic_lights();
      tl->set_id(id);
      if (std::optional<Value> lane = Find(light, "lane")) {
        const std::string lane_id = IdOf(*lane, Sub(lp, "lane"));
        if (lanes.count(lane_id) > 0) {
          tl->add_lane_ids(lane_id);
        } else {
          Count("map.dropped_references", "traffic light lane naming a lane not in the file");
        }
      }
      if (std::optional<Value> stop = Find(light, "stop_point")) {
        const Matrix p = ReadMatrix(*stop, Sub(lp, "stop_point"));
        if (p.v.size() >= 2 && (p.v[0] != 0.0 || p.v[1] != 0.0)) {
          tl->set_has_stop_point(true);
          tl->set_stop_x(p.v[0]);
          tl->set_stop_y(p.v[1]);
        }
      }
      const std::string sp = Sub(Sub(lp, "state"), "object_state");
      const Value seq = Require(Require(light, "state", lp), "object_state", Sub(lp, "state"));
      if (!seq.is_sequence() || seq.size() != static_cast<size_t>(num_steps_)) {
        ThrowImportError("{}: expected a list of {} states, got {}", sp, num_steps_, seq.Describe());
      }
      Spend(static_cast<uint64_t>(num_steps_), sp);
      tl->mutable_states()->Reserve(num_steps_);
      for (size_t k = 0; k < seq.size(); ++k) {
        std::optional<v1::SignalState> st = SignalOf(seq[k]);
        if (!st) {
          Count("dynamic_map_states.unknown_states", seq[k].Describe());
          st = v1::SIGNAL_STATE_UNKNOWN;
        }
        tl->add_states(*st);
      }
    }
  }

  void ReadTracksToPredict(const Value& meta) {
    std::optional<Value> v = Find(meta, "tracks_to_predict");
    if (!v) return;
    std::set<std::string, std::less<>> ids;
    for (const v1::Track& t : s_.tracks()) ids.insert(t.id());
    const bool dict = v->is_dict();
    if (!dict && !v->is_sequence()) return;
    for (size_t i = 0; i < v->size(); ++i) {
      const std::optional<std::string> id = dict ? v->key(i).ToId() : (*v)[i].ToId();
      if (id && ids.count(*id) > 0) s_.add_tracks_to_predict(*id);
    }
  }

  Value root_;
  v1::Scenario s_;
  std::string dataset_;
  int num_steps_ = 0;
  bool has_connectivity_ = false;
  int64_t third_segments_ = 0;
  int64_t third_agree_ = 0;
  std::map<std::string, std::map<std::string, int>> counts_;
  uint64_t budget_;
  uint64_t budget_left_;
};

}  // namespace

std::vector<v1::Scenario> ImportScenarioNet(std::string_view bytes, const ImportContext&) {
  const pickle::Document doc = pickle::Parse(bytes);
  Importer importer(doc, bytes.size());
  std::vector<v1::Scenario> out;
  out.push_back(importer.Run());
  return out;
}

}  // namespace tarmac
