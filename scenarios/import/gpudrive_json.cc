// GPUDrive / nocturne scenario JSON: importer and writer. The importer parses
// with nlohmann's SAX interface into a flat node array (see Document), then
// walks it naming the JSON path of every error. The schema, its sources and
// the mapping are documented in gpudrive_json.h.
#include "scenarios/import/gpudrive_json.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <numbers>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

#include "scenarios/import/import_util.h"

namespace tarmac {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kRadPerDeg = kPi / 180.0;
// WOMD is logged at 10 Hz; the JSON has no time field.
constexpr double kDtS = 0.1;
// WOMD training/validation scenarios: 91 steps, "now" at index 10; testing
// scenarios keep only the 11 history steps.
constexpr int kWomdSteps = 91;
constexpr int kWomdTestSteps = 11;
constexpr int kWomdCurrentStep = 10;
// Heading-unit detection (see gpudrive_json.h).
constexpr double kMaxRadians = 2.0 * kPi + 0.01;
constexpr double kMinSpeedForVote = 1.0;       // [m/s]
constexpr double kMinReadingDifference = 0.1;  // [rad]
// Caps that keep corrupt input from allocating absurd amounts.
constexpr long long kMaxSteps = 100000;
constexpr long long kMaxTrafficLightStates = 1LL << 24;

// ---- a compact, read-only JSON document ----------------------------------------

// nlohmann's SAX parser feeds a flat node array (no per-value maps or
// allocations; about twice as fast as its DOM) that the importer reads
// through Json handles. Containers list their children in `children`:
// arrays one node per entry, objects a key node and a value node per member.
enum class Kind : std::uint8_t { kNull, kBool, kInt, kUint, kFloat, kString, kArray, kObject };

struct Node {
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::uint32_t first = 0;  // string: offset in Document::strings; container: in Document::children
  std::uint32_t count = 0;  // string: length; array: entries; object: members
  union Number {
    double d;
    std::int64_t i;
    std::uint64_t u;
  } number{};
};

struct Document {
  std::vector<Node> nodes;
  std::vector<std::uint32_t> children;
  std::string strings;
  std::uint32_t root = 0;
};

// A handle on one value of a Document (cheap to copy).
class Json {
 public:
  Json(const Document* doc, std::uint32_t index) : doc_(doc), node_(&doc->nodes[index]) {}

  Kind kind() const { return node_->kind; }
  bool is_null() const { return kind() == Kind::kNull; }
  bool is_boolean() const { return kind() == Kind::kBool; }
  bool is_integer() const { return kind() == Kind::kInt || kind() == Kind::kUint; }
  bool is_unsigned() const { return kind() == Kind::kUint; }
  bool is_float() const { return kind() == Kind::kFloat; }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_array() const { return kind() == Kind::kArray; }
  bool is_object() const { return kind() == Kind::kObject; }

  bool boolean() const { return node_->boolean; }
  double float_value() const { return node_->number.d; }
  std::int64_t int_value() const { return node_->number.i; }
  std::uint64_t uint_value() const { return node_->number.u; }
  std::string_view string() const { return {doc_->strings.data() + node_->first, node_->count}; }

  // Entries of an array, members of an object, 0 otherwise.
  size_t size() const { return is_array() || is_object() ? node_->count : 0; }
  bool empty() const { return size() == 0; }
  // Entry i of an array (i < size()).
  Json operator[](size_t i) const { return Child(i); }
  // Member i of an object (i < size()).
  std::string_view key(size_t i) const { return Child(2 * i).string(); }
  Json value(size_t i) const { return Child(2 * i + 1); }
  // The member named `name`; the last one if the name repeats (as Python's json).
  std::optional<Json> find(std::string_view name) const {
    std::optional<Json> found;
    for (size_t i = 0; i < size(); ++i) {
      if (key(i) == name) found = value(i);
    }
    return found;
  }

 private:
  Json Child(size_t i) const { return Json(doc_, doc_->children[node_->first + i]); }

  const Document* doc_;
  const Node* node_;
};

// ---- JSON paths and values in messages -----------------------------------

// A JSON path built on the stack while descending; turned into text only for
// an error message: objects[3].heading[12], tl_states["155"].state.
class Path {
 public:
  Path() = default;
  // A child path points at its parent: never build one on a temporary.
  Path Key(std::string_view key) const& { return Path(this, key, 0, Kind::kKey); }
  Path At(size_t index) const& { return Path(this, {}, index, Kind::kIndex); }
  Path Key(std::string_view key) const&& = delete;
  Path At(size_t index) const&& = delete;
  std::string str() const;

 private:
  enum class Kind { kRoot, kKey, kIndex };
  Path(const Path* parent, std::string_view key, size_t index, Kind kind)
      : parent_(parent), key_(key), index_(index), kind_(kind) {}

  const Path* parent_ = nullptr;
  std::string_view key_;
  size_t index_ = 0;
  Kind kind_ = Kind::kRoot;
};

bool IsIdentifier(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s.front()))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// Text of a string for a message: quotes and control bytes escaped, cut at
// `max` bytes.
std::string Printable(std::string_view s, size_t max = 40) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

std::string Path::str() const {
  std::vector<const Path*> chain;
  for (const Path* p = this; p != nullptr && p->kind_ != Kind::kRoot; p = p->parent_)
    chain.push_back(p);
  std::string out;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    const Path& p = **it;
    if (p.kind_ == Kind::kIndex) {
      out += fmt::format("[{}]", p.index_);
    } else if (IsIdentifier(p.key_)) {
      if (!out.empty()) out += '.';
      out += p.key_;
    } else {
      out += fmt::format("[\"{}\"]", Printable(p.key_));
    }
  }
  return out.empty() ? "document" : out;
}

std::string Describe(const Json& v) {
  switch (v.kind()) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return v.boolean() ? "true" : "false";
    case Kind::kInt:
      return fmt::format("{}", v.int_value());
    case Kind::kUint:
      return fmt::format("{}", v.uint_value());
    case Kind::kFloat:
      return fmt::format("{}", v.float_value());
    case Kind::kString:
      return fmt::format("the string \"{}\"", Printable(v.string()));
    case Kind::kArray:
      return fmt::format("an array of {} entries", v.size());
    case Kind::kObject:
      return fmt::format("an object with {} keys", v.size());
  }
  return "a value";
}

[[noreturn]] void Fail(const Path& path, std::string_view what) {
  ThrowImportError("{}: {}", path.str(), what);
}

// ---- typed access ------------------------------------------------------------

Json AsObject(Json v, const Path& path) {
  if (!v.is_object()) Fail(path, "expected an object, got " + Describe(v));
  return v;
}

Json AsArray(Json v, const Path& path) {
  if (!v.is_array()) Fail(path, "expected an array, got " + Describe(v));
  return v;
}

std::optional<Json> OptMember(const Json& object, const char* key) { return object.find(key); }

Json Member(const Json& object, const char* key, const Path& path) {
  const std::optional<Json> v = object.find(key);
  if (!v) Fail(path, fmt::format("missing key \"{}\"", key));
  return *v;
}

double AsNumber(const Json& v, const Path& path) {
  if (v.is_float()) {
    const double d = v.float_value();
    if (!std::isfinite(d)) Fail(path, fmt::format("{} is not a finite number", d));
    return d;
  }
  if (v.is_unsigned()) return static_cast<double>(v.uint_value());
  if (v.is_integer()) return static_cast<double>(v.int_value());
  Fail(path, "expected a number, got " + Describe(v));
}

long long AsInteger(const Json& v, const Path& path) {
  if (v.is_unsigned()) {
    const std::uint64_t u = v.uint_value();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<long long>::max())) {
      Fail(path, fmt::format("integer {} is too large", u));
    }
    return static_cast<long long>(u);
  }
  if (v.is_integer()) return v.int_value();
  Fail(path, "expected an integer, got " + Describe(v));
}

bool AsBool(const Json& v, const Path& path) {
  if (!v.is_boolean()) Fail(path, "expected true or false, got " + Describe(v));
  return v.boolean();
}

std::string_view AsString(const Json& v, const Path& path) {
  if (!v.is_string()) Fail(path, "expected a string, got " + Describe(v));
  return v.string();
}

// An id: an integer (as GPUDrive writes WOMD ids) or a non-empty string.
std::string AsId(const Json& v, const Path& path) {
  if (v.is_integer()) return std::to_string(AsInteger(v, path));
  if (v.is_string() && !v.string().empty()) return std::string(v.string());
  Fail(path, "expected an integer or non-empty string id, got " + Describe(v));
}

void ReadPoint(const Json& v, const Path& path, double* x, double* y) {
  AsObject(v, path);
  *x = AsNumber(Member(v, "x", path), path.Key("x"));
  *y = AsNumber(Member(v, "y", path), path.Key("y"));
}

void AddNote(v1::Scenario* s, std::string key, std::string value) {
  v1::KeyValue* kv = s->mutable_provenance()->add_notes();
  kv->set_key(std::move(key));
  kv->set_value(std::move(value));
}

// ---- parsing -------------------------------------------------------------------

// Receives nlohmann's SAX events and appends them to a Document; tracks the
// JSON path of the value being read, so that a syntax error can say where it
// is. Iterative: no recursion however deep the nesting.
class DocumentBuilder : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit DocumentBuilder(Document* doc) : doc_(doc) {}

  bool null() override { return Scalar(Node{}); }
  bool boolean(bool b) override {
    Node n;
    n.kind = Kind::kBool;
    n.boolean = b;
    return Scalar(n);
  }
  bool number_integer(number_integer_t i) override {
    Node n;
    n.kind = Kind::kInt;
    n.number.i = i;
    return Scalar(n);
  }
  bool number_unsigned(number_unsigned_t u) override {
    Node n;
    n.kind = Kind::kUint;
    n.number.u = u;
    return Scalar(n);
  }
  bool number_float(number_float_t d, const string_t&) override {
    Node n;
    n.kind = Kind::kFloat;
    n.number.d = d;
    return Scalar(n);
  }
  bool string(string_t& s) override { return Scalar(StringNode(s)); }
  bool binary(binary_t&) override { return Scalar(Node{}); }  // not produced by JSON text
  bool start_object(std::size_t) override { return Open(Kind::kObject); }
  bool key(string_t& key) override {
    const std::uint32_t index = Push(StringNode(key));
    pending_.push_back(index);
    frames_.back().key = index;
    frames_.back().has_key = true;
    return true;
  }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(Kind::kArray); }
  bool end_array() override { return Close(); }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& error) override {
    position_ = position;
    message_ = error.what();
    path_ = PathText();
    return false;
  }

  size_t position() const { return position_; }
  const std::string& message() const { return message_; }
  const std::string& path() const { return path_; }

 private:
  struct Frame {
    std::uint32_t node;
    size_t pending_start;  // where this container's children start in pending_
    bool is_array;
    size_t next_index;  // array: index of the entry being read
    std::uint32_t key;  // object: node of the current member's key
    bool has_key;
  };

  std::uint32_t Push(const Node& n) {
    doc_->nodes.push_back(n);
    return static_cast<std::uint32_t>(doc_->nodes.size() - 1);
  }

  Node StringNode(const std::string& s) {
    Node n;
    n.kind = Kind::kString;
    n.first = static_cast<std::uint32_t>(doc_->strings.size());
    n.count = static_cast<std::uint32_t>(s.size());
    doc_->strings += s;
    return n;
  }

  // A value started: it belongs to the open container, or is the root.
  void Attach(std::uint32_t index) {
    if (frames_.empty()) {
      doc_->root = index;
    } else {
      pending_.push_back(index);
    }
  }

  // A value ended: in an array the next one has the next index; in an
  // object the path no longer names the finished member.
  void Done() {
    if (frames_.empty()) return;
    Frame& f = frames_.back();
    if (f.is_array) {
      ++f.next_index;
    } else {
      f.has_key = false;
    }
  }

  bool Scalar(const Node& n) {
    Attach(Push(n));
    Done();
    return true;
  }

  bool Open(Kind kind) {
    Node n;
    n.kind = kind;
    const std::uint32_t index = Push(n);
    Attach(index);
    frames_.push_back(Frame{index, pending_.size(), kind == Kind::kArray, 0, 0, false});
    return true;
  }

  bool Close() {
    const Frame f = frames_.back();
    frames_.pop_back();
    Node& n = doc_->nodes[f.node];
    const size_t entries = pending_.size() - f.pending_start;
    n.first = static_cast<std::uint32_t>(doc_->children.size());
    n.count = static_cast<std::uint32_t>(f.is_array ? entries : entries / 2);
    doc_->children.insert(doc_->children.end(),
                          pending_.begin() + static_cast<ptrdiff_t>(f.pending_start),
                          pending_.end());
    pending_.resize(f.pending_start);
    Done();
    return true;
  }

  std::string PathText() const {
    std::string out;
    for (const Frame& f : frames_) {
      if (f.is_array) {
        out += fmt::format("[{}]", f.next_index);
      } else if (f.has_key) {
        const Node& k = doc_->nodes[f.key];
        const std::string_view key(doc_->strings.data() + k.first, k.count);
        if (IsIdentifier(key)) {
          if (!out.empty()) out += '.';
          out += key;
        } else {
          out += fmt::format("[\"{}\"]", Printable(key));
        }
      }
    }
    return out.empty() ? "document" : out;
  }

  Document* doc_;
  std::vector<Frame> frames_;
  std::vector<std::uint32_t> pending_;  // children of the open containers
  size_t position_ = 0;
  std::string message_;
  std::string path_;
};

bool IsDelimiter(char c) {
  return c == ',' || c == ':' || c == '[' || c == ']' || c == '{' || c == '}' || c == '"' ||
         c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// The bare token around byte `offset` (e.g. NaN, -Infinity), empty at the end.
std::string_view TokenAt(std::string_view bytes, size_t offset) {
  if (offset >= bytes.size()) return {};
  size_t begin = offset;
  while (begin > 0 && !IsDelimiter(bytes[begin - 1])) --begin;
  size_t end = offset;
  while (end < bytes.size() && !IsDelimiter(bytes[end])) ++end;
  if (end == begin) end = begin + 1;
  return bytes.substr(begin, std::min<size_t>(end - begin, 32));
}

[[noreturn]] void ThrowSyntaxError(std::string_view bytes, const DocumentBuilder& builder) {
  // nlohmann counts the characters read, so the offending byte is position - 1.
  const size_t offset = builder.position() > 0 ? builder.position() - 1 : 0;
  const std::string_view token = TokenAt(bytes, offset);
  std::string reason = builder.message();
  // Keep nlohmann's reason, not its prefixes "[json.exception.parse_error.101] "
  // and "parse error at line 1, column 9: " nor its "; last read: ..." suffix.
  if (!reason.empty() && reason.front() == '[') {
    if (const size_t close = reason.find("] "); close != std::string::npos)
      reason.erase(0, close + 2);
  }
  if (const size_t at = reason.find("syntax error"); at != std::string::npos) reason.erase(0, at);
  if (const size_t last = reason.find("; last read"); last != std::string::npos)
    reason.resize(last);
  const std::string_view bare =
      token.substr(!token.empty() && (token.front() == '-' || token.front() == '+') ? 1 : 0);
  if (bare.substr(0, 3) == "NaN" || bare.substr(0, 3) == "nan" || bare.substr(0, 3) == "Inf" ||
      bare.substr(0, 3) == "inf") {
    reason = fmt::format("'{}' is not a JSON number (NaN and Infinity are not allowed)",
                         Printable(token));
  } else if (offset >= bytes.size()) {
    reason = "unexpected end of input (truncated file?)";
  } else if (!token.empty() && reason.find(token) == std::string::npos) {
    reason += fmt::format(" at '{}'", Printable(token));
  }
  const size_t end = std::min(offset, bytes.size());
  const long long line =
      1 + std::count(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(end), '\n');
  const size_t last_newline = bytes.substr(0, end).rfind('\n');
  const size_t column = last_newline == std::string_view::npos ? end + 1 : end - last_newline;
  ThrowImportError("{}: malformed JSON at line {}, column {} (byte {}): {}", builder.path(), line,
                   column, offset, reason);
}

void ParseDocument(std::string_view bytes, Document* doc) {
  // Node offsets are 32-bit; every node and string byte comes from an input byte.
  if (bytes.size() > (std::numeric_limits<std::uint32_t>::max() >> 1)) {
    ThrowImportError("file of {} bytes is larger than the 2 GiB accepted", bytes.size());
  }
  doc->nodes.reserve(bytes.size() / 16 + 16);
  doc->children.reserve(bytes.size() / 16 + 16);
  DocumentBuilder builder(doc);
  if (!nlohmann::json::sax_parse(bytes.begin(), bytes.end(), &builder))
    ThrowSyntaxError(bytes, builder);
}

// ---- heading units -------------------------------------------------------------

struct HeadingUnits {
  bool degrees = false;
  std::string evidence;
};

// Decides whether the raw headings read into `s` are degrees; the
// rule is stated in gpudrive_json.h.
HeadingUnits DetectHeadingUnits(const v1::Scenario& s) {
  double largest = 0.0;
  for (const v1::Track& t : s.tracks()) {
    for (int k = 0; k < t.valid_size(); ++k) {
      if (t.valid(k)) largest = std::max(largest, std::abs(t.heading(k)));
    }
  }
  if (largest > kMaxRadians) {
    return {true, fmt::format("largest |heading| at a valid step is {} > 2*pi", largest)};
  }
  long long for_degrees = 0, for_radians = 0;
  for (const v1::Track& t : s.tracks()) {
    for (int k = 0; k < t.valid_size(); ++k) {
      if (!t.valid(k) || std::hypot(t.vx(k), t.vy(k)) < kMinSpeedForVote) continue;
      const double h = t.heading(k);
      if (std::abs(WrapAngle(h - h * kRadPerDeg)) <= kMinReadingDifference) continue;
      const double motion = std::atan2(t.vy(k), t.vx(k));
      const double off_as_radians = std::abs(WrapAngle(motion - h));
      const double off_as_degrees = std::abs(WrapAngle(motion - h * kRadPerDeg));
      ++(off_as_degrees < off_as_radians ? for_degrees : for_radians);
    }
  }
  if (for_degrees + for_radians == 0) {
    return {false,
            "no |heading| beyond 2*pi and no moving object whose heading reads differently in "
            "degrees; radians assumed"};
  }
  const bool degrees = for_degrees > for_radians;
  return {degrees, fmt::format("no |heading| beyond 2*pi; the direction of motion agrees with "
                               "{} at {} of {} moving samples",
                               degrees ? "degrees" : "radians", degrees ? for_degrees : for_radians,
                               for_degrees + for_radians)};
}

// ---- lane connectivity ---------------------------------------------------------

// Unit-free direction of a polyline at its start (forward = true, first
// non-degenerate segment) or end (last one); (0, 0) if it has no length.
void Direction(const v1::Polyline& line, bool at_start, double* dx, double* dy) {
  *dx = *dy = 0.0;
  const int n = line.x_size();
  for (int k = 1; k < n; ++k) {
    const int a = at_start ? 0 : n - 1 - k;
    const int b = at_start ? k : n - 1;
    const double ex = line.x(b) - line.x(a), ey = line.y(b) - line.y(a);
    if (ex != 0.0 || ey != 0.0) {
      *dx = ex;
      *dy = ey;
      return;
    }
  }
}

// Lane B succeeds lane A when A ends within kGpuDriveLaneJoinTolerance of
// B's start and their directions there differ by less than 90 degrees.
// Successor/predecessor lists come out in lane order.
void InferLaneConnectivity(v1::Map* map) {
  struct Start {
    double x, y;
    int lane;
  };
  std::vector<Start> starts;
  for (int i = 0; i < map->lanes_size(); ++i) {
    const v1::Polyline& c = map->lanes(i).centerline();
    if (c.x_size() >= 2) starts.push_back({c.x(0), c.y(0), i});
  }
  std::sort(starts.begin(), starts.end(), [](const Start& a, const Start& b) {
    return a.x != b.x ? a.x < b.x : a.lane < b.lane;
  });
  std::vector<std::vector<int>> successors(static_cast<size_t>(map->lanes_size()));
  std::vector<std::vector<int>> predecessors(successors.size());
  constexpr double tol = kGpuDriveLaneJoinTolerance;
  for (int a = 0; a < map->lanes_size(); ++a) {
    const v1::Polyline& ca = map->lanes(a).centerline();
    if (ca.x_size() < 2) continue;
    const double ex = ca.x(ca.x_size() - 1), ey = ca.y(ca.y_size() - 1);
    double adx, ady;
    Direction(ca, false, &adx, &ady);
    auto it = std::lower_bound(starts.begin(), starts.end(), ex - tol,
                               [](const Start& s, double x) { return s.x < x; });
    for (; it != starts.end() && it->x <= ex + tol; ++it) {
      const int b = it->lane;
      if (b == a || std::hypot(it->x - ex, it->y - ey) > tol) continue;
      double bdx, bdy;
      Direction(map->lanes(b).centerline(), true, &bdx, &bdy);
      if (adx * bdx + ady * bdy <= 0.0) continue;
      successors[static_cast<size_t>(a)].push_back(b);
      predecessors[static_cast<size_t>(b)].push_back(a);
    }
  }
  for (int i = 0; i < map->lanes_size(); ++i) {
    v1::Lane* lane = map->mutable_lanes(i);
    std::vector<int>& succ = successors[static_cast<size_t>(i)];
    std::vector<int>& pred = predecessors[static_cast<size_t>(i)];
    std::sort(succ.begin(), succ.end());
    std::sort(pred.begin(), pred.end());
    for (int s : succ) lane->add_successor_ids(map->lanes(s).id());
    for (int p : pred) lane->add_predecessor_ids(map->lanes(p).id());
  }
}

// ---- the importer ----------------------------------------------------------------

v1::TrackType TrackTypeOf(std::string_view type) {
  if (type == "vehicle") return v1::TRACK_TYPE_VEHICLE;
  if (type == "pedestrian") return v1::TRACK_TYPE_PEDESTRIAN;
  if (type == "cyclist") return v1::TRACK_TYPE_CYCLIST;
  return v1::TRACK_TYPE_OTHER;
}

// WOMD TrafficSignalLaneState names as both converters write them.
bool SignalOf(std::string_view s, v1::SignalState* out) {
  static const std::map<std::string_view, v1::SignalState> kStates = {
      {"unknown", v1::SIGNAL_STATE_UNKNOWN},
      {"arrow_stop", v1::SIGNAL_STATE_ARROW_STOP},
      {"arrow_caution", v1::SIGNAL_STATE_ARROW_CAUTION},
      {"arrow_go", v1::SIGNAL_STATE_ARROW_GO},
      {"stop", v1::SIGNAL_STATE_STOP},
      {"caution", v1::SIGNAL_STATE_CAUTION},
      {"go", v1::SIGNAL_STATE_GO},
      {"flashing_stop", v1::SIGNAL_STATE_FLASHING_STOP},
      {"flashing_caution", v1::SIGNAL_STATE_FLASHING_CAUTION},
  };
  const auto it = kStates.find(s);
  if (it == kStates.end()) return false;
  *out = it->second;
  return true;
}

// Per-object facts that are not part of a Track.
struct ObjectExtra {
  bool has_goal = false;
  double goal_x = 0.0, goal_y = 0.0;
};

class Importer {
 public:
  explicit Importer(const Json& doc) : doc_(doc) {}

  v1::Scenario Run() {
    AsObject(doc_, root_);
    ReadNames();
    ReadObjects();
    ConvertHeadings();
    ReadMetadata();
    ChooseEgo();
    ReadRoads();
    ReadTrafficLights();
    InferLaneConnectivity(s_.mutable_map());
    AddNote(&s_, "lane_connectivity",
            fmt::format("inferred: the format stores none; lane B succeeds lane A when A's last "
                        "centreline point lies within {} m of B's first and their directions "
                        "differ by less than 90 degrees",
                        kGpuDriveLaneJoinTolerance));
    return std::move(s_);
  }

 private:
  void ReadNames() {
    v1::Provenance* p = s_.mutable_provenance();
    p->set_dataset("Waymo Open Motion Dataset (GPUDrive/nocturne JSON)");
    p->set_license("Waymo Dataset License Agreement for Non-Commercial Use");
    std::string name, id;
    if (const std::optional<Json> v = OptMember(doc_, "name"))
      name = AsString(*v, root_.Key("name"));
    if (const std::optional<Json> v = OptMember(doc_, "scenario_id"))
      id = AsString(*v, root_.Key("scenario_id"));
    if (id.empty()) {
      id = name;
      if (id.size() > 5 && id.substr(id.size() - 5) == ".json") id.resize(id.size() - 5);
    }
    if (id.empty())
      Fail(root_, "missing key \"scenario_id\" and \"name\" (need one to name the scenario)");
    s_.set_id(id);
    p->set_source_id(id);
    // Written by tarmac's writer: the data's true origin and licence.
    if (const std::optional<Json> meta = OptMember(doc_, "metadata"); meta && meta->is_object()) {
      if (const std::optional<Json> origin = OptMember(*meta, "tarmac_provenance")) {
        const Path mp = root_.Key("metadata");
        const Path op = mp.Key("tarmac_provenance");
        auto field = [&](const char* key) {
          const std::optional<Json> v = OptMember(*origin, key);
          return v ? std::string(AsString(*v, op.Key(key))) : std::string();
        };
        p->set_dataset(field("dataset"));
        p->set_license(field("license"));
        AddNote(&s_, "origin", "written by tarmac; dataset and licence carried over from the source");
      }
    }
    if (!name.empty()) AddNote(&s_, "name", name);
    AddNote(&s_, "time_base",
            "dt 0.1 s assumed: WOMD is logged at 10 Hz and the format has no time field");
  }

  void ReadObjects() {
    const Path path = root_.Key("objects");
    const Json& objects = AsArray(Member(doc_, "objects", root_), path);
    extras_.resize(objects.size());
    std::string experts;
    for (size_t i = 0; i < objects.size(); ++i) {
      const Path at = path.At(i);
      const Json& obj = AsObject(objects[i], at);
      v1::Track* track = s_.add_tracks();
      ReadObject(obj, at, i, track, &extras_[i]);
      if (const std::optional<Json> e = OptMember(obj, "mark_as_expert")) {
        if (AsBool(*e, at.Key("mark_as_expert")))
          experts += (experts.empty() ? "" : ",") + track->id();
      }
    }
    if (objects.empty()) num_steps_ = kWomdSteps;
    s_.mutable_time()->set_dt_s(kDtS);
    s_.mutable_time()->set_num_steps(static_cast<int>(num_steps_));
    if (!experts.empty()) AddNote(&s_, "mark_as_expert", experts);
  }

  // The per-step list `key` of an object; all of an object's lists have the
  // length of its "position", which is the same for every object.
  Json StepList(const Json& obj, const char* key, const Path& at, size_t index) {
    const Json list = AsArray(Member(obj, key, at), at.Key(key));
    if (std::string_view(key) == "position") {
      if (index == 0) {
        if (list.empty()) Fail(at.Key(key), "empty, need at least one step");
        if (static_cast<long long>(list.size()) > kMaxSteps) {
          Fail(at.Key(key),
               fmt::format("{} steps, more than the {} accepted", list.size(), kMaxSteps));
        }
        num_steps_ = static_cast<long long>(list.size());
      } else if (static_cast<long long>(list.size()) != num_steps_) {
        Fail(at.Key(key),
             fmt::format("{} steps, but objects[0].position has {}", list.size(), num_steps_));
      }
    } else if (static_cast<long long>(list.size()) != num_steps_) {
      Fail(at.Key(key), fmt::format("{} entries, but {} has {}", list.size(),
                                    at.Key("position").str(), num_steps_));
    }
    return list;
  }

  void ReadObject(const Json& obj, const Path& at, size_t index, v1::Track* track,
                  ObjectExtra* extra) {
    const Json& position = StepList(obj, "position", at, index);
    const Json& heading = StepList(obj, "heading", at, index);
    const Json& velocity = StepList(obj, "velocity", at, index);
    const Json& valid = StepList(obj, "valid", at, index);
    if (const std::optional<Json> id = OptMember(obj, "id")) {
      track->set_id(AsId(*id, at.Key("id")));
    } else {
      track->set_id(fmt::format("obj{}", index));
    }
    const std::string_view type = AsString(Member(obj, "type", at), at.Key("type"));
    track->set_source_type(std::string(type));
    track->set_type(TrackTypeOf(type));
    track->set_length_m(AsNumber(Member(obj, "length", at), at.Key("length")));
    track->set_width_m(AsNumber(Member(obj, "width", at), at.Key("width")));
    if (const std::optional<Json> h = OptMember(obj, "height"))
      track->set_height_m(AsNumber(*h, at.Key("height")));
    if (const std::optional<Json> g = OptMember(obj, "goalPosition")) {
      ReadPoint(*g, at.Key("goalPosition"), &extra->goal_x, &extra->goal_y);
      extra->has_goal = true;
    }
    const int n = static_cast<int>(num_steps_);
    InitTrack(n, track);
    const Path p_pos = at.Key("position"), p_head = at.Key("heading");
    const Path p_vel = at.Key("velocity"), p_valid = at.Key("valid");
    double* x = track->mutable_x()->mutable_data();
    double* y = track->mutable_y()->mutable_data();
    double* h = track->mutable_heading()->mutable_data();
    double* vx = track->mutable_vx()->mutable_data();
    double* vy = track->mutable_vy()->mutable_data();
    bool* ok = track->mutable_valid()->mutable_data();
    for (int k = 0; k < n; ++k) {
      const size_t u = static_cast<size_t>(k);
      ok[k] = AsBool(valid[u], p_valid.At(u));
      ReadPoint(position[u], p_pos.At(u), &x[k], &y[k]);
      h[k] = AsNumber(heading[u], p_head.At(u));
      ReadPoint(velocity[u], p_vel.At(u), &vx[k], &vy[k]);
    }
  }

  // Units stated by the file (metadata.heading_units, written by tarmac's
  // writer), else detected.
  HeadingUnits StatedHeadingUnits() const {
    const std::optional<Json> meta = OptMember(doc_, "metadata");
    if (!meta || !meta->is_object()) return DetectHeadingUnits(s_);
    const std::optional<Json> v = OptMember(*meta, "heading_units");
    if (!v) return DetectHeadingUnits(s_);
    const Path mp = root_.Key("metadata");
    const Path hp = mp.Key("heading_units");
    const std::string_view units = AsString(*v, hp);
    if (units != "radians" && units != "degrees") {
      Fail(hp, fmt::format("expected \"radians\" or \"degrees\", got {}", Describe(*v)));
    }
    return {units == "degrees", "stated by metadata.heading_units"};
  }

  void ConvertHeadings() {
    const HeadingUnits units = StatedHeadingUnits();
    AddNote(&s_, "heading_units", units.degrees ? "degrees" : "radians");
    AddNote(&s_, "heading_units_evidence", units.evidence);
    if (!units.degrees) return;
    for (v1::Track& t : *s_.mutable_tracks()) {
      for (int k = 0; k < t.heading_size(); ++k) {
        if (t.valid(k)) t.set_heading(k, t.heading(k) * kRadPerDeg);
      }
    }
  }

  // Index into "objects" read at `path`, checked.
  size_t TrackIndex(const Json& v, const Path& path) {
    const long long i = AsInteger(v, path);
    if (i < 0 || i >= s_.tracks_size()) {
      Fail(path, fmt::format("track index {} outside [0, {})", i, s_.tracks_size()));
    }
    return static_cast<size_t>(i);
  }

  void ReadMetadata() {
    const int n = static_cast<int>(num_steps_);
    int current = (n == kWomdSteps || n == kWomdTestSteps) ? kWomdCurrentStep : 0;
    std::string current_rule =
        (n == kWomdSteps || n == kWomdTestSteps)
            ? fmt::format("10: a {}-step WOMD file (1 s history, then now)", n)
            : fmt::format("0: not a 91- or 11-step WOMD file ({} steps)", n);
    const std::optional<Json> meta = OptMember(doc_, "metadata");
    if (meta) {
      const Path mp = root_.Key("metadata");
      AsObject(*meta, mp);
      if (const std::optional<Json> v = OptMember(*meta, "current_time_index")) {
        const long long c = AsInteger(*v, mp.Key("current_time_index"));
        if (c < 0 || c >= n) {
          Fail(mp.Key("current_time_index"), fmt::format("{} outside [0, {})", c, n));
        }
        current = static_cast<int>(c);
        current_rule = fmt::format("{}: metadata.current_time_index", c);
      }
      if (const std::optional<Json> v = OptMember(*meta, "sdc_track_index")) {
        const long long i = AsInteger(*v, mp.Key("sdc_track_index"));
        if (i >= 0) sdc_ = static_cast<long long>(TrackIndex(*v, mp.Key("sdc_track_index")));
      }
      if (const std::optional<Json> v = OptMember(*meta, "tracks_to_predict")) {
        const Path tp = mp.Key("tracks_to_predict");
        AsArray(*v, tp);
        for (size_t i = 0; i < v->size(); ++i) {
          const Json& e = (*v)[i];
          const Path ep = tp.At(i);
          // WOMD RequiredPrediction {track_index, difficulty}; a bare index is accepted too.
          const size_t t = e.is_object()
                               ? TrackIndex(Member(e, "track_index", ep), ep.Key("track_index"))
                               : TrackIndex(e, ep);
          s_.add_tracks_to_predict(s_.tracks(static_cast<int>(t)).id());
        }
      }
      if (const std::optional<Json> v = OptMember(*meta, "objects_of_interest")) {
        const Path op = mp.Key("objects_of_interest");
        AsArray(*v, op);
        std::string ids;
        for (size_t i = 0; i < v->size(); ++i) {
          const Json& e = (*v)[i];
          const Path ep = op.At(i);
          // The converter writes track ids; GPUDrive's loader reads {"id": ...}.
          const std::string id =
              e.is_object() ? AsId(Member(e, "id", ep), ep.Key("id")) : AsId(e, ep);
          ids += (ids.empty() ? "" : ",") + id;
        }
        if (!ids.empty()) AddNote(&s_, "objects_of_interest", ids);
      }
    }
    s_.mutable_time()->set_current_step(current);
    AddNote(&s_, "current_step", current_rule);
  }

  void ChooseEgo() {
    const int now = s_.time().current_step();
    std::string rule;
    long long ego = sdc_;
    if (ego >= 0) {
      rule = fmt::format("objects[{}]: metadata.sdc_track_index", ego);
    } else {
      for (int pass = 0; pass < 2 && ego < 0; ++pass) {
        for (int i = 0; i < s_.tracks_size(); ++i) {
          const v1::Track& t = s_.tracks(i);
          if (t.valid(now) && (pass == 1 || t.type() == v1::TRACK_TYPE_VEHICLE)) {
            ego = i;
            break;
          }
        }
      }
      rule = ego >= 0
                 ? fmt::format(
                       "objects[{}]: no metadata.sdc_track_index, so the first {} "
                       "valid at the current step",
                       ego,
                       s_.tracks(static_cast<int>(ego)).type() == v1::TRACK_TYPE_VEHICLE ? "vehicle"
                                                                                         : "object")
                 : "none: no metadata.sdc_track_index and no object valid at the current step";
    }
    AddNote(&s_, "ego", rule);
    if (ego < 0) return;
    const v1::Track& track = s_.tracks(static_cast<int>(ego));
    s_.mutable_ego()->set_track_id(track.id());
    const ObjectExtra& extra = extras_[static_cast<size_t>(ego)];
    if (extra.has_goal) {
      v1::Circle* c = s_.mutable_goal()->add_regions()->add_shapes()->mutable_circle();
      c->set_center_x(extra.goal_x);
      c->set_center_y(extra.goal_y);
      c->set_radius(kGpuDriveGoalRadius);
      AddNote(&s_, "goal",
              fmt::format("the ego's goalPosition, a circle of radius {} m "
                          "(GPUDrive dist_to_goal_threshold)",
                          kGpuDriveGoalRadius));
    }
  }

  void ReadRoads() {
    const Path path = root_.Key("roads");
    const Json& roads = AsArray(Member(doc_, "roads", root_), path);
    std::map<std::string, int> skipped;
    v1::Map* map = s_.mutable_map();
    for (size_t i = 0; i < roads.size(); ++i) {
      const Path at = path.At(i);
      const Json& road = AsObject(roads[i], at);
      const Json& type_value = Member(road, "type", at);
      if (type_value.is_null()) {
        ++skipped["null"];
        continue;
      }
      const std::string_view type = AsString(type_value, at.Key("type"));
      const bool known = type == "lane" || type == "road_line" || type == "road_edge" ||
                         type == "stop_sign" || type == "crosswalk" || type == "speed_bump" ||
                         type == "driveway";
      if (!known) {
        ++skipped[Printable(type)];
        continue;
      }
      const std::optional<Json> id_value = OptMember(road, "id");
      const std::string id = id_value ? AsId(*id_value, at.Key("id")) : fmt::format("road{}", i);
      long long element = -1;
      if (const std::optional<Json> m = OptMember(road, "map_element_id")) {
        element = AsInteger(*m, at.Key("map_element_id"));
      }
      const std::string source_type =
          element >= 0 ? fmt::format("{}/{}", type, element) : std::string(type);
      const Path gp = at.Key("geometry");
      const Json& geometry = AsArray(Member(road, "geometry", at), gp);
      v1::Polyline line;
      line.mutable_x()->Reserve(static_cast<int>(geometry.size()));
      line.mutable_y()->Reserve(static_cast<int>(geometry.size()));
      for (size_t k = 0; k < geometry.size(); ++k) {
        double x, y;
        ReadPoint(geometry[k], gp.At(k), &x, &y);
        AddPoint(&line, x, y);
      }
      if (type == "lane") {
        v1::Lane* lane = map->add_lanes();
        lane->set_id(id);
        lane->set_source_type(source_type);
        // data_utils/datatypes.py: 0 undefined, 1 freeway, 2 surface street, 3 bike lane.
        lane->set_type(element == 1 || element == 2 ? v1::LANE_TYPE_VEHICLE
                       : element == 3               ? v1::LANE_TYPE_BIKE
                                                    : v1::LANE_TYPE_UNSPECIFIED);
        *lane->mutable_centerline() = std::move(line);
      } else if (type == "road_line") {
        v1::RoadLine* l = map->add_road_lines();
        l->set_id(id);
        // 6..13 = broken single white .. passing double yellow, the order of RoadLineType 1..8.
        l->set_type(element >= 6 && element <= 13 ? static_cast<v1::RoadLineType>(element - 5)
                                                  : v1::ROAD_LINE_TYPE_UNSPECIFIED);
        *l->mutable_polyline() = std::move(line);
      } else if (type == "road_edge") {
        v1::RoadEdge* e = map->add_road_edges();
        e->set_id(id);
        e->set_type(element == 15   ? v1::ROAD_EDGE_TYPE_BOUNDARY
                    : element == 16 ? v1::ROAD_EDGE_TYPE_MEDIAN
                                    : v1::ROAD_EDGE_TYPE_UNSPECIFIED);
        *e->mutable_polyline() = std::move(line);
      } else if (type == "stop_sign") {
        if (line.x_size() == 0) Fail(gp, "empty, a stop sign needs its position");
        v1::StopSign* sign = map->add_stop_signs();
        sign->set_id(id);
        sign->set_x(line.x(0));
        sign->set_y(line.y(0));
      } else {
        // Polygons: closed outline without the first point repeated.
        const int m = line.x_size();
        if (m > 1 && line.x(0) == line.x(m - 1) && line.y(0) == line.y(m - 1)) {
          line.mutable_x()->RemoveLast();
          line.mutable_y()->RemoveLast();
        }
        if (type == "crosswalk") {
          v1::Crosswalk* c = map->add_crosswalks();
          c->set_id(id);
          *c->mutable_polygon() = std::move(line);
        } else {
          v1::AreaFeature* a = map->add_areas();
          a->set_id(id);
          a->set_type(type == "speed_bump" ? v1::AREA_TYPE_SPEED_BUMP : v1::AREA_TYPE_DRIVEWAY);
          *a->mutable_polygon() = std::move(line);
        }
      }
    }
    if (!skipped.empty()) {
      std::string text;
      for (const auto& [type, count] : skipped) {
        text += fmt::format("{}{} of type {}", text.empty() ? "" : ", ", count, type);
      }
      AddNote(&s_, "skipped_roads", text);
    }
  }

  void ReadTrafficLights() {
    const std::optional<Json> tl = OptMember(doc_, "tl_states");
    if (!tl) return;
    const Path path = root_.Key("tl_states");
    AsObject(*tl, path);
    const long long n = num_steps_;
    if (static_cast<long long>(tl->size()) * n > kMaxTrafficLightStates) {
      Fail(path, fmt::format("{} signals x {} steps exceed the {} states accepted", tl->size(), n,
                             kMaxTrafficLightStates));
    }
    // Keys in natural order: numeric ids by value, then other keys.
    // A key given twice: the last entry counts (as in Python's json).
    std::map<std::string_view, Json> unique;
    for (size_t i = 0; i < tl->size(); ++i) unique.insert_or_assign(tl->key(i), tl->value(i));
    std::vector<std::pair<std::string_view, Json>> entries(unique.begin(), unique.end());
    auto numeric = [](std::string_view k) {
      return !k.empty() &&
             std::all_of(k.begin(), k.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    std::sort(entries.begin(), entries.end(), [&](const auto& ea, const auto& eb) {
      const std::string_view a = ea.first;
      const std::string_view b = eb.first;
      const bool na = numeric(a), nb = numeric(b);
      if (na != nb) return na;
      if (na && a.size() != b.size()) return a.size() < b.size();
      return a < b;
    });
    std::set<std::string, std::less<>> lanes;
    for (const v1::Lane& l : s_.map().lanes()) lanes.insert(l.id());
    int unresolved = 0;
    for (const auto& [key, value] : entries) {
      const Path at = path.Key(key);
      const Json& entry = AsObject(value, at);
      const Json& state = AsArray(Member(entry, "state", at), at.Key("state"));
      const Json& time_index = AsArray(Member(entry, "time_index", at), at.Key("time_index"));
      const Json& xs = AsArray(Member(entry, "x", at), at.Key("x"));
      const Json& ys = AsArray(Member(entry, "y", at), at.Key("y"));
      for (const auto& [name, list] :
           {std::pair<const char*, const Json*>{"time_index", &time_index},
            {"x", &xs},
            {"y", &ys}}) {
        if (list->size() != state.size()) {
          Fail(at.Key(name), fmt::format("{} entries, but {} has {}", list->size(),
                                         at.Key("state").str(), state.size()));
        }
      }
      v1::TrafficLight* light = s_.add_traffic_lights();
      light->set_id(std::string(key));
      if (lanes.count(key) > 0) {
        light->add_lane_ids(std::string(key));
      } else {
        ++unresolved;
      }
      light->mutable_states()->Resize(static_cast<int>(n), v1::SIGNAL_STATE_UNKNOWN);
      const Path p_state = at.Key("state"), p_time = at.Key("time_index");
      const Path p_x = at.Key("x"), p_y = at.Key("y");
      for (size_t i = 0; i < state.size(); ++i) {
        const Path sp = p_state.At(i), tp = p_time.At(i);
        v1::SignalState signal;
        if (!SignalOf(AsString(state[i], sp), &signal)) {
          Fail(sp, fmt::format("unknown signal state {}", Describe(state[i])));
        }
        const long long t = AsInteger(time_index[i], tp);
        if (t < 0 || t >= n) Fail(tp, fmt::format("step {} outside [0, {})", t, n));
        const double x = AsNumber(xs[i], p_x.At(i));
        const double y = AsNumber(ys[i], p_y.At(i));
        light->set_states(static_cast<int>(t), signal);
        if (i == 0) {  // a lane's stop point does not move
          light->set_has_stop_point(true);
          light->set_stop_x(x);
          light->set_stop_y(y);
        }
      }
    }
    if (unresolved > 0) {
      AddNote(
          &s_, "traffic_light_lanes",
          fmt::format("{} of {} tl_states keys name no lane in roads; those lights control no lane",
                      unresolved, entries.size()));
    }
  }

  const Json doc_;
  const Path root_;
  v1::Scenario s_;
  long long num_steps_ = 0;
  long long sdc_ = -1;
  std::vector<ObjectExtra> extras_;
};

// ---- the writer ----------------------------------------------------------------

class WriteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Ids GPUDrive accepts: non-negative integers that fit its int/uint32 fields.
bool CanonicalId(const std::string& id, long long* value) {
  if (id.empty() || id.size() > 10 || (id.size() > 1 && id[0] == '0')) return false;
  long long v = 0;
  for (char c : id) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v > std::numeric_limits<std::int32_t>::max()) return false;
  *value = v;
  return true;
}

// Maps tarmac ids to the integers written: canonical ids stay, others get
// fresh numbers above every canonical one.
class IdMap {
 public:
  void Reserve(const std::string& id) {
    long long v;
    if (CanonicalId(id, &v)) next_ = std::max(next_, v + 1);
  }
  long long Get(const std::string& id) {
    long long v;
    if (CanonicalId(id, &v)) return v;
    const auto it = fresh_.find(id);
    if (it != fresh_.end()) return it->second;
    return fresh_[id] = next_++;
  }
  // A number no id given to Get has or will get.
  long long Fresh() { return next_++; }

 private:
  long long next_ = 0;
  std::map<std::string, long long> fresh_;
};

class Writer {
 public:
  explicit Writer(const v1::Scenario& s) : s_(s) {}

  std::string Run() {
    if (std::abs(s_.time().dt_s() - kDtS) > 1e-9) {
      throw WriteError(
          fmt::format("GPUDrive JSON has a fixed step of 0.1 s; scenario '{}' has {} s", s_.id(),
                      s_.time().dt_s()));
    }
    n_ = s_.time().num_steps();
    out_.reserve(static_cast<size_t>(s_.tracks_size() + 1) * static_cast<size_t>(n_) * 120 + 4096);
    out_ += "{\"name\": ";
    Str(s_.id() + ".json");
    out_ += ", \"scenario_id\": ";
    Str(s_.id());
    out_ += ", \"objects\": [";
    const int sdc = WriteObjects();
    out_ += "], \"roads\": [";
    WriteRoads();
    out_ += "], \"tl_states\": {";
    WriteTrafficLights();
    out_ += "}, \"metadata\": {\"sdc_track_index\": ";
    out_ += std::to_string(sdc);
    out_ += ", \"objects_of_interest\": [], \"tracks_to_predict\": [";
    WriteTracksToPredict();
    out_ += "], \"current_time_index\": ";
    out_ += std::to_string(s_.time().current_step());
    out_ += ", \"heading_units\": \"radians\", \"tarmac_provenance\": {\"dataset\": ";
    // The data's true origin and licence, for a re-import (GPUDrive ignores it).
    const v1::Provenance& p = s_.provenance();
    Str(p.dataset());
    out_ += ", \"license\": ";
    Str(p.license());
    out_ += "}}}\n";
    return std::move(out_);
  }

 private:
  void Str(std::string_view s) {
    out_ += '"';
    for (char ch : s) {
      const unsigned char c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += ch;
      } else if (c < 0x20) {
        fmt::format_to(std::back_inserter(out_), "\\u{:04x}", c);
      } else {
        out_ += ch;
      }
    }
    out_ += '"';
  }

  // A finite number in its shortest round-trip form; `what` names it if it
  // is not finite. -0 is written as 0: JSON readers take "-0" for integer 0.
  void Num(double v, std::string_view what) {
    if (!std::isfinite(v)) throw WriteError(fmt::format("{} is {}, not a finite number", what, v));
    fmt::format_to(std::back_inserter(out_), "{}", v == 0.0 ? 0.0 : v);
  }

  void Point(double x, double y, std::string_view what) {
    out_ += "{\"x\": ";
    Num(x, what);
    out_ += ", \"y\": ";
    Num(y, what);
    out_ += '}';
  }

  // Writes one object; per-step values come from `at(k, &x, &y, &h, &vx, &vy)`
  // for the steps where `valid(k)`.
  template <typename Valid, typename State>
  void Object(const std::string& where, Valid valid, State at, double length, double width,
              double height, double goal_x, double goal_y, const char* type, long long id) {
    constexpr double e = kGpuDriveInvalidValue;
    out_ += "{\"position\": [";
    for (int k = 0; k < n_; ++k) {
      if (k > 0) out_ += ", ";
      double x = e, y = e, h = e, vx = e, vy = e;
      if (valid(k)) at(k, &x, &y, &h, &vx, &vy);
      Point(x, y, where);
    }
    out_ += "], \"width\": ";
    Num(width, where);
    out_ += ", \"length\": ";
    Num(length, where);
    out_ += ", \"height\": ";
    Num(height, where);
    out_ += ", \"heading\": [";
    for (int k = 0; k < n_; ++k) {
      if (k > 0) out_ += ", ";
      double x = e, y = e, h = e, vx = e, vy = e;
      if (valid(k)) at(k, &x, &y, &h, &vx, &vy);
      Num(valid(k) ? WrapAngle(h) : h, where);
    }
    out_ += "], \"velocity\": [";
    for (int k = 0; k < n_; ++k) {
      if (k > 0) out_ += ", ";
      double x = e, y = e, h = e, vx = e, vy = e;
      if (valid(k)) at(k, &x, &y, &h, &vx, &vy);
      Point(vx, vy, where);
    }
    out_ += "], \"valid\": [";
    for (int k = 0; k < n_; ++k)
      out_ += k > 0 ? (valid(k) ? ", true" : ", false") : (valid(k) ? "true" : "false");
    out_ += "], \"goalPosition\": ";
    Point(goal_x, goal_y, where);
    out_ += ", \"type\": \"";
    out_ += type;
    out_ += "\", \"id\": ";
    out_ += std::to_string(id);
    out_ += ", \"mark_as_expert\": false}";
  }

  // Where the ego should go: the centre of the first goal shape, else the end
  // of the first goal lane's centreline.
  bool GoalPoint(double* x, double* y) const {
    for (const v1::GoalRegion& r : s_.goal().regions()) {
      for (const v1::GoalShape& shape : r.shapes()) {
        if (shape.has_circle()) {
          *x = shape.circle().center_x();
          *y = shape.circle().center_y();
          return true;
        }
        if (shape.has_rectangle()) {
          *x = shape.rectangle().center_x();
          *y = shape.rectangle().center_y();
          return true;
        }
        if (shape.has_polygon() && shape.polygon().x_size() > 0) {
          const v1::Polyline& p = shape.polygon();
          double sx = 0, sy = 0;
          for (int k = 0; k < p.x_size() && k < p.y_size(); ++k) {
            sx += p.x(k);
            sy += p.y(k);
          }
          *x = sx / p.x_size();
          *y = sy / p.x_size();
          return true;
        }
      }
      for (const std::string& lane_id : r.lane_ids()) {
        for (const v1::Lane& lane : s_.map().lanes()) {
          const v1::Polyline& c = lane.centerline();
          if (lane.id() == lane_id && c.x_size() > 0 && c.y_size() == c.x_size()) {
            *x = c.x(c.x_size() - 1);
            *y = c.y(c.y_size() - 1);
            return true;
          }
        }
      }
    }
    return false;
  }

  static const char* TypeName(v1::TrackType type) {
    switch (type) {
      case v1::TRACK_TYPE_VEHICLE:
        return "vehicle";
      case v1::TRACK_TYPE_PEDESTRIAN:
        return "pedestrian";
      case v1::TRACK_TYPE_CYCLIST:
        return "cyclist";
      case v1::TRACK_TYPE_UNSPECIFIED:
        return "unset";
      default:
        return "other";
    }
  }

  // Returns the sdc_track_index written (-1 when there is no ego).
  int WriteObjects() {
    IdMap ids;
    for (const v1::Track& t : s_.tracks()) ids.Reserve(t.id());
    double goal_x = 0, goal_y = 0;
    const bool has_goal = GoalPoint(&goal_x, &goal_y);
    int sdc = -1;
    for (int i = 0; i < s_.tracks_size(); ++i) {
      const v1::Track& t = s_.tracks(i);
      if (t.x_size() != n_ || t.y_size() != n_ || t.heading_size() != n_ || t.vx_size() != n_ ||
          t.vy_size() != n_ || t.valid_size() != n_) {
        throw WriteError(fmt::format("track '{}' has per-step arrays of the wrong length", t.id()));
      }
      const bool is_ego = !s_.ego().track_id().empty() && s_.ego().track_id() == t.id();
      if (is_ego) sdc = i;
      double gx = kGpuDriveInvalidValue, gy = kGpuDriveInvalidValue;
      for (int k = n_ - 1; k >= 0; --k) {
        if (t.valid(k)) {
          gx = t.x(k);
          gy = t.y(k);
          break;
        }
      }
      if (is_ego && has_goal) {
        gx = goal_x;
        gy = goal_y;
      }
      if (i > 0) out_ += ", ";
      Object(
          "track '" + t.id() + "'", [&t](int k) { return t.valid(k); },
          [&t](int k, double* x, double* y, double* h, double* vx, double* vy) {
            *x = t.x(k);
            *y = t.y(k);
            *h = t.heading(k);
            *vx = t.vx(k);
            *vy = t.vy(k);
          },
          t.length_m(), t.width_m(), t.height_m(), gx, gy, TypeName(t.type()), ids.Get(t.id()));
    }
    if (s_.ego().track_id().empty() && s_.ego().has_initial_state()) {
      const v1::EgoInitialState& st = s_.ego().initial_state();
      if (st.step() < 0 || st.step() >= n_) {
        throw WriteError(
            fmt::format("ego initial state at step {} outside [0, {})", st.step(), n_));
      }
      const int step = st.step();
      const double gx = has_goal ? goal_x : st.x(), gy = has_goal ? goal_y : st.y();
      if (s_.tracks_size() > 0) out_ += ", ";
      Object(
          "ego initial state", [step](int k) { return k == step; },
          [&st](int, double* x, double* y, double* h, double* vx, double* vy) {
            *x = st.x();
            *y = st.y();
            *h = st.heading();
            *vx = st.speed() * std::cos(st.heading());
            *vy = st.speed() * std::sin(st.heading());
          },
          s_.ego().length_m(), s_.ego().width_m(), 0.0, gx, gy, "vehicle", ids.Fresh());
      sdc = s_.tracks_size();
    }
    return sdc;
  }

  void Road(const v1::Polyline& line, const char* type, int element, const std::string& id,
            std::string_view what) {
    if (!first_road_) out_ += ", ";
    first_road_ = false;
    out_ += "{\"geometry\": [";
    for (int k = 0; k < line.x_size() && k < line.y_size(); ++k) {
      if (k > 0) out_ += ", ";
      Point(line.x(k), line.y(k), what);
    }
    fmt::format_to(std::back_inserter(out_),
                   "], \"type\": \"{}\", \"map_element_id\": {}, \"id\": {}}}", type, element,
                   road_ids_.Get(id));
  }

  void WriteRoads() {
    const v1::Map& m = s_.map();
    for (const v1::Lane& l : m.lanes()) road_ids_.Reserve(l.id());
    for (const v1::RoadLine& l : m.road_lines()) road_ids_.Reserve(l.id());
    for (const v1::RoadEdge& e : m.road_edges()) road_ids_.Reserve(e.id());
    for (const v1::StopSign& e : m.stop_signs()) road_ids_.Reserve(e.id());
    for (const v1::Crosswalk& e : m.crosswalks()) road_ids_.Reserve(e.id());
    for (const v1::AreaFeature& e : m.areas()) road_ids_.Reserve(e.id());
    // map_element_id values: GPUDrive data_utils/datatypes.py.
    for (const v1::Lane& l : m.lanes()) {
      const int element = l.type() == v1::LANE_TYPE_BIKE          ? 3
                          : l.type() == v1::LANE_TYPE_UNSPECIFIED ? 0
                                                                  : 2;
      Road(l.centerline(), "lane", element, l.id(), "lane '" + l.id() + "'");
    }
    for (const v1::RoadLine& l : m.road_lines()) {
      const int t = static_cast<int>(l.type());
      Road(l.polyline(), "road_line", t >= 1 && t <= 8 ? t + 5 : 5, l.id(),
           "road line '" + l.id() + "'");
    }
    for (const v1::RoadEdge& e : m.road_edges()) {
      const int element = e.type() == v1::ROAD_EDGE_TYPE_BOUNDARY ? 15
                          : e.type() == v1::ROAD_EDGE_TYPE_MEDIAN ? 16
                                                                  : 14;
      Road(e.polyline(), "road_edge", element, e.id(), "road edge '" + e.id() + "'");
    }
    for (const v1::StopSign& e : m.stop_signs()) {
      v1::Polyline p;
      AddPoint(&p, e.x(), e.y());
      Road(p, "stop_sign", 17, e.id(), "stop sign '" + e.id() + "'");
    }
    for (const v1::Crosswalk& e : m.crosswalks()) {
      Road(e.polygon(), "crosswalk", 18, e.id(), "crosswalk '" + e.id() + "'");
    }
    for (const v1::AreaFeature& e : m.areas()) {
      if (e.type() == v1::AREA_TYPE_SPEED_BUMP)
        Road(e.polygon(), "speed_bump", 19, e.id(), "area '" + e.id() + "'");
      if (e.type() == v1::AREA_TYPE_DRIVEWAY)
        Road(e.polygon(), "driveway", 20, e.id(), "area '" + e.id() + "'");
    }
  }

  static const char* StateName(v1::SignalState s) {
    switch (s) {
      case v1::SIGNAL_STATE_STOP:
        return "stop";
      case v1::SIGNAL_STATE_CAUTION:
        return "caution";
      case v1::SIGNAL_STATE_GO:
        return "go";
      case v1::SIGNAL_STATE_ARROW_STOP:
        return "arrow_stop";
      case v1::SIGNAL_STATE_ARROW_CAUTION:
        return "arrow_caution";
      case v1::SIGNAL_STATE_ARROW_GO:
        return "arrow_go";
      case v1::SIGNAL_STATE_FLASHING_STOP:
        return "flashing_stop";
      case v1::SIGNAL_STATE_FLASHING_CAUTION:
        return "flashing_caution";
      default:
        return "unknown";  // UNKNOWN, and OFF, which WOMD has no name for
    }
  }

  // One entry per controlled lane, in increasing lane id: the order in which
  // the importer reads them back.
  void WriteTrafficLights() {
    std::set<std::string> written;
    std::vector<std::pair<long long, std::string>> entries;  // written id, text
    for (const v1::TrafficLight& light : s_.traffic_lights()) {
      if (light.states_size() != n_) {
        throw WriteError(fmt::format("traffic light '{}' has {} states, expected {}", light.id(),
                                     light.states_size(), n_));
      }
      for (const std::string& lane_id : light.lane_ids()) {
        const v1::Lane* lane = nullptr;
        for (const v1::Lane& l : s_.map().lanes()) {
          if (l.id() == lane_id) lane = &l;
        }
        if (lane == nullptr || !written.insert(lane_id).second) continue;
        double sx = light.stop_x(), sy = light.stop_y();
        if (!light.has_stop_point()) {  // traffic stops at the end of the lane
          const v1::Polyline& c = lane->centerline();
          if (c.x_size() == 0 || c.y_size() != c.x_size()) continue;
          sx = c.x(c.x_size() - 1);
          sy = c.y(c.y_size() - 1);
        }
        const long long written_id = road_ids_.Get(lane_id);
        const std::string key = std::to_string(written_id);
        const std::string what = "traffic light '" + light.id() + "'";
        std::string saved;
        saved.swap(out_);
        Str(key);
        out_ += ": {\"state\": [";
        for (int k = 0; k < n_; ++k) {
          if (k > 0) out_ += ", ";
          out_ += '"';
          out_ += StateName(light.states(k));
          out_ += '"';
        }
        for (const char* axis : {"x", "y"}) {
          fmt::format_to(std::back_inserter(out_), "], \"{}\": [", axis);
          for (int k = 0; k < n_; ++k) {
            if (k > 0) out_ += ", ";
            Num(axis[0] == 'x' ? sx : sy, what);
          }
        }
        out_ += "], \"time_index\": [";
        for (int k = 0; k < n_; ++k)
          fmt::format_to(std::back_inserter(out_), "{}{}", k > 0 ? ", " : "", k);
        out_ += "], \"lane_id\": [";
        for (int k = 0; k < n_; ++k)
          fmt::format_to(std::back_inserter(out_), "{}{}", k > 0 ? ", " : "", key);
        out_ += "]}";
        entries.emplace_back(written_id, std::move(out_));
        out_.swap(saved);
      }
    }
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i > 0) out_ += ", ";
      out_ += entries[i].second;
    }
  }

  void WriteTracksToPredict() {
    bool first = true;
    for (const std::string& id : s_.tracks_to_predict()) {
      for (int i = 0; i < s_.tracks_size(); ++i) {
        if (s_.tracks(i).id() != id) continue;
        fmt::format_to(std::back_inserter(out_), "{}{{\"track_index\": {}, \"difficulty\": 0}}",
                       first ? "" : ", ", i);
        first = false;
        break;
      }
    }
  }

  const v1::Scenario& s_;
  int n_ = 0;
  std::string out_;
  IdMap road_ids_;
  bool first_road_ = true;
};

}  // namespace

std::vector<v1::Scenario> ImportGpuDriveJson(std::string_view bytes, const ImportContext&) {
  Document doc;
  ParseDocument(bytes, &doc);
  std::vector<v1::Scenario> out;
  out.push_back(Importer(Json(&doc, doc.root)).Run());
  return out;
}

Result<std::string> WriteGpuDriveJson(const v1::Scenario& scenario) {
  try {
    return Writer(scenario).Run();
  } catch (const WriteError& e) {
    return Error{fmt::format("scenario '{}': {}", scenario.id(), e.what())};
  }
}

}  // namespace tarmac
