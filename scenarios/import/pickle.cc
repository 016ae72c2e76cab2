#include "scenarios/import/pickle.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "scenarios/import/import_util.h"

namespace tarmac::pickle {
namespace {

constexpr Ref kNoRef = std::numeric_limits<Ref>::max();
constexpr uint32_t kNoChunk = std::numeric_limits<uint32_t>::max();
// NumPy's own limit on array dimensions (NPY_MAXDIMS) in 1.x.
constexpr size_t kMaxDims = 32;

// Opcodes, named as in CPython's pickletools.
enum Op : uint8_t {
  kMark = '(',
  kStop = '.',
  kPop = '0',
  kPopMark = '1',
  kDup = '2',
  kFloat = 'F',
  kInt = 'I',
  kBinInt = 'J',
  kBinInt1 = 'K',
  kLong = 'L',
  kBinInt2 = 'M',
  kNone = 'N',
  kPersId = 'P',
  kBinPersId = 'Q',
  kReduce = 'R',
  kString = 'S',
  kBinString = 'T',
  kShortBinString = 'U',
  kUnicode = 'V',
  kBinUnicode = 'X',
  kAppend = 'a',
  kBuild = 'b',
  kGlobal = 'c',
  kDict = 'd',
  kEmptyDict = '}',
  kAppends = 'e',
  kGet = 'g',
  kBinGet = 'h',
  kInst = 'i',
  kLongBinGet = 'j',
  kList = 'l',
  kEmptyList = ']',
  kObj = 'o',
  kPut = 'p',
  kBinPut = 'q',
  kLongBinPut = 'r',
  kSetItem = 's',
  kTuple = 't',
  kEmptyTuple = ')',
  kSetItems = 'u',
  kBinFloat = 'G',
  kProto = 0x80,
  kNewObj = 0x81,
  kExt1 = 0x82,
  kExt2 = 0x83,
  kExt4 = 0x84,
  kTuple1 = 0x85,
  kTuple2 = 0x86,
  kTuple3 = 0x87,
  kNewTrue = 0x88,
  kNewFalse = 0x89,
  kLong1 = 0x8a,
  kLong4 = 0x8b,
  kBinBytes = 'B',
  kShortBinBytes = 'C',
  kShortBinUnicode = 0x8c,
  kBinUnicode8 = 0x8d,
  kBinBytes8 = 0x8e,
  kEmptySet = 0x8f,
  kAddItems = 0x90,
  kFrozenSet = 0x91,
  kNewObjEx = 0x92,
  kStackGlobal = 0x93,
  kMemoize = 0x94,
  kFrame = 0x95,
  kByteArray8 = 0x96,
  kNextBuffer = 0x97,
  kReadOnlyBuffer = 0x98,
};

std::string_view OpName(uint8_t op) {
  switch (op) {
    case kMark: return "MARK";
    case kStop: return "STOP";
    case kPop: return "POP";
    case kPopMark: return "POP_MARK";
    case kDup: return "DUP";
    case kFloat: return "FLOAT";
    case kInt: return "INT";
    case kBinInt: return "BININT";
    case kBinInt1: return "BININT1";
    case kLong: return "LONG";
    case kBinInt2: return "BININT2";
    case kNone: return "NONE";
    case kPersId: return "PERSID";
    case kBinPersId: return "BINPERSID";
    case kReduce: return "REDUCE";
    case kString: return "STRING";
    case kBinString: return "BINSTRING";
    case kShortBinString: return "SHORT_BINSTRING";
    case kUnicode: return "UNICODE";
    case kBinUnicode: return "BINUNICODE";
    case kAppend: return "APPEND";
    case kBuild: return "BUILD";
    case kGlobal: return "GLOBAL";
    case kDict: return "DICT";
    case kEmptyDict: return "EMPTY_DICT";
    case kAppends: return "APPENDS";
    case kGet: return "GET";
    case kBinGet: return "BINGET";
    case kInst: return "INST";
    case kLongBinGet: return "LONG_BINGET";
    case kList: return "LIST";
    case kEmptyList: return "EMPTY_LIST";
    case kObj: return "OBJ";
    case kPut: return "PUT";
    case kBinPut: return "BINPUT";
    case kLongBinPut: return "LONG_BINPUT";
    case kSetItem: return "SETITEM";
    case kTuple: return "TUPLE";
    case kEmptyTuple: return "EMPTY_TUPLE";
    case kSetItems: return "SETITEMS";
    case kBinFloat: return "BINFLOAT";
    case kProto: return "PROTO";
    case kNewObj: return "NEWOBJ";
    case kExt1: return "EXT1";
    case kExt2: return "EXT2";
    case kExt4: return "EXT4";
    case kTuple1: return "TUPLE1";
    case kTuple2: return "TUPLE2";
    case kTuple3: return "TUPLE3";
    case kNewTrue: return "NEWTRUE";
    case kNewFalse: return "NEWFALSE";
    case kLong1: return "LONG1";
    case kLong4: return "LONG4";
    case kBinBytes: return "BINBYTES";
    case kShortBinBytes: return "SHORT_BINBYTES";
    case kShortBinUnicode: return "SHORT_BINUNICODE";
    case kBinUnicode8: return "BINUNICODE8";
    case kBinBytes8: return "BINBYTES8";
    case kEmptySet: return "EMPTY_SET";
    case kAddItems: return "ADDITEMS";
    case kFrozenSet: return "FROZENSET";
    case kNewObjEx: return "NEWOBJ_EX";
    case kStackGlobal: return "STACK_GLOBAL";
    case kMemoize: return "MEMOIZE";
    case kFrame: return "FRAME";
    case kByteArray8: return "BYTEARRAY8";
    case kNextBuffer: return "NEXT_BUFFER";
    case kReadOnlyBuffer: return "READONLY_BUFFER";
    default: return "";
  }
}

// The allow-listed callables and classes.
enum GlobalId : uint32_t {
  kReconstructFn,  // numpy.core.multiarray._reconstruct(ndarray, shape, typecode)
  kNdArrayClass,   // numpy.ndarray (only as _reconstruct's first argument)
  kDTypeClass,     // numpy.dtype(spec, align, copy)
  kScalarFn,       // numpy.core.multiarray.scalar(dtype, bytes)
  kFromBufferFn,   // numpy.core.numeric._frombuffer(buffer, dtype, shape, order)
  kSetClass,       // builtins.set
  kFrozenSetClass, // builtins.frozenset
  kBytesClass,     // builtins.bytes() (protocol <= 2 writes b'' so)
  kCodecsEncodeFn, // _codecs.encode(text, 'latin1') (protocol <= 2 writes bytes so)
};

struct AllowedGlobal {
  std::string_view module;
  std::string_view name;
  GlobalId id;
};

// NumPy 2 moved numpy.core to numpy._core; both spellings occur in files.
// "__builtin__" is what Python 3 writes for builtins at protocol <= 2.
constexpr std::array kAllowedGlobals = {
    AllowedGlobal{"numpy.core.multiarray", "_reconstruct", kReconstructFn},
    AllowedGlobal{"numpy._core.multiarray", "_reconstruct", kReconstructFn},
    AllowedGlobal{"numpy", "ndarray", kNdArrayClass},
    AllowedGlobal{"numpy", "dtype", kDTypeClass},
    AllowedGlobal{"numpy.core.multiarray", "scalar", kScalarFn},
    AllowedGlobal{"numpy._core.multiarray", "scalar", kScalarFn},
    AllowedGlobal{"numpy.core.numeric", "_frombuffer", kFromBufferFn},
    AllowedGlobal{"numpy._core.numeric", "_frombuffer", kFromBufferFn},
    AllowedGlobal{"builtins", "set", kSetClass},
    AllowedGlobal{"builtins", "frozenset", kFrozenSetClass},
    AllowedGlobal{"__builtin__", "set", kSetClass},
    AllowedGlobal{"__builtin__", "frozenset", kFrozenSetClass},
    AllowedGlobal{"builtins", "bytes", kBytesClass},
    AllowedGlobal{"__builtin__", "bytes", kBytesClass},
    AllowedGlobal{"_codecs", "encode", kCodecsEncodeFn},
};

constexpr std::array<std::string_view, 9> kGlobalNames = {
    "numpy.core.multiarray._reconstruct", "numpy.ndarray", "numpy.dtype",
    "numpy.core.multiarray.scalar",       "numpy.core.numeric._frombuffer",
    "builtins.set",                       "builtins.frozenset",
    "builtins.bytes",                     "_codecs.encode"};

// Printable, bounded rendering of untrusted text for messages.
std::string Quote(std::string_view s, size_t max = 80) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

// Strict UTF-8 (no surrogates, no overlongs), as Python's decoder and
// protobuf string fields require.
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

bool IsContainer(Kind k) {
  return k == Kind::kList || k == Kind::kTuple || k == Kind::kDict || k == Kind::kSet;
}

}  // namespace

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kNone: return "None";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kStr: return "str";
    case Kind::kBytes: return "bytes";
    case Kind::kList: return "list";
    case Kind::kTuple: return "tuple";
    case Kind::kDict: return "dict";
    case Kind::kSet: return "set";
    case Kind::kNdArray: return "ndarray";
    case Kind::kScalar: return "numpy scalar";
    case Kind::kDType: return "numpy dtype";
    case Kind::kGlobal: return "global";
  }
  return "?";
}

double NdArray::At(size_t i) const {
  const char* p = data.data() + i * dtype.size;
  switch (dtype.kind) {
    case 'f':
      if (dtype.size == 8) {
        double v;
        std::memcpy(&v, p, 8);
        return v;
      } else {
        float v;
        std::memcpy(&v, p, 4);
        return static_cast<double>(v);
      }
    case 'b':
      return *p != 0 ? 1.0 : 0.0;
    case 'i':
      switch (dtype.size) {
        case 1: { int8_t v; std::memcpy(&v, p, 1); return v; }
        case 2: { int16_t v; std::memcpy(&v, p, 2); return v; }
        case 4: { int32_t v; std::memcpy(&v, p, 4); return v; }
        default: { int64_t v; std::memcpy(&v, p, 8); return static_cast<double>(v); }
      }
    default:  // 'u'
      switch (dtype.size) {
        case 1: { uint8_t v; std::memcpy(&v, p, 1); return v; }
        case 2: { uint16_t v; std::memcpy(&v, p, 2); return v; }
        case 4: { uint32_t v; std::memcpy(&v, p, 4); return v; }
        default: { uint64_t v; std::memcpy(&v, p, 8); return static_cast<double>(v); }
      }
  }
}

std::string_view Document::global_name(Ref r) const {
  const uint32_t id = nodes_[r].begin;
  return id < kGlobalNames.size() ? kGlobalNames[id] : "?";
}

// The unpickler: a stack machine over the opcodes, as in CPython's
// _pickle.c, restricted to data. Containers are built in a shared pool of
// chunks while parsing and laid out contiguously at the end.
class Parser {
 public:
  explicit Parser(std::string_view in) : in_(in) {
    if (in.size() >= std::numeric_limits<uint32_t>::max() / 2) {
      ThrowImportError("pickle of {} bytes is too large (limit 2 GiB)", in.size());
    }
    none_ = NewNode(Kind::kNone);
    true_ = NewNode(Kind::kBool);
    doc_.nodes_[true_].i = 1;
    false_ = NewNode(Kind::kBool);
  }

  Document Run() {
    while (true) {
      if (pos_ >= in_.size()) {
        ThrowImportError("byte {}: truncated pickle: the data ends before the STOP opcode",
                         in_.size());
      }
      op_pos_ = pos_;
      op_ = static_cast<uint8_t>(in_[pos_++]);
      if (op_ == kStop) break;
      Step();
    }
    const Ref root = Pop();
    Freeze();
    doc_.root_ = root;
    return std::move(doc_);
  }

 private:
  struct Chunk {
    uint32_t begin;
    uint32_t count;
    uint32_t next;
  };

  template <typename... Args>
  [[noreturn]] void Fail(fmt::format_string<Args...> format, Args&&... args) const {
    ThrowImportError("byte {}: {}", op_pos_, fmt::format(format, std::forward<Args>(args)...));
  }

  std::string_view Name() const { return OpName(op_); }

  // ---- input ----
  void Need(uint64_t n) const {
    if (n > in_.size() - pos_) {
      Fail("truncated {}: needs {} more bytes, only {} left", Name(), n, in_.size() - pos_);
    }
  }
  uint64_t ReadLE(size_t n) {
    Need(n);
    uint64_t v = 0;
    for (size_t k = 0; k < n; ++k) {
      v |= static_cast<uint64_t>(static_cast<unsigned char>(in_[pos_ + k])) << (8 * k);
    }
    pos_ += n;
    return v;
  }
  std::string_view ReadBytes(uint64_t n) {
    Need(n);
    std::string_view s = in_.substr(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return s;
  }
  // A text line ending in '\n' (GLOBAL, GET, PUT), without the newline.
  std::string_view ReadLine() {
    const size_t end = in_.find('\n', pos_);
    if (end == std::string_view::npos) Fail("truncated {}: no end of line", Name());
    std::string_view s = in_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }

  // ---- values ----
  Ref NewNode(Kind kind) {
    doc_.nodes_.emplace_back();
    doc_.nodes_.back().kind = kind;
    return static_cast<Ref>(doc_.nodes_.size() - 1);
  }
  Document::Node& N(Ref r) { return doc_.nodes_[r]; }
  Kind K(Ref r) const { return doc_.nodes_[r].kind; }

  Ref NewInt(int64_t v) {
    const Ref r = NewNode(Kind::kInt);
    N(r).i = v;
    return r;
  }
  Ref NewText(Kind kind, std::string_view s) {
    const Ref r = NewNode(kind);
    N(r).p = s.data();
    N(r).n = s.size();
    return r;
  }
  Ref NewUnicode(std::string_view s) {
    if (!IsValidUtf8(s)) Fail("{}: invalid UTF-8 in string '{}'", Name(), Quote(s));
    return NewText(Kind::kStr, s);
  }
  Ref NewContainer(Kind kind) {
    const Ref r = NewNode(kind);
    N(r).begin = kNoChunk;  // first chunk
    N(r).i = kNoChunk;      // last chunk
    return r;
  }

  // Appends items to a container (list, dict as key/value pairs, set).
  void AddItems(Ref c, std::span<const Ref> items) {
    if (items.empty()) return;
    CheckPoolRoom(items.size());
    Document::Node& node = N(c);
    const auto pool_end = static_cast<uint32_t>(pool_.size());
    if (node.i != kNoChunk) {
      Chunk& last = chunks_[static_cast<size_t>(node.i)];
      if (last.begin + last.count == pool_end) {  // contiguous: extend in place
        pool_.insert(pool_.end(), items.begin(), items.end());
        last.count += static_cast<uint32_t>(items.size());
        node.n += items.size();
        return;
      }
    }
    chunks_.push_back({pool_end, static_cast<uint32_t>(items.size()), kNoChunk});
    const auto chunk = static_cast<uint32_t>(chunks_.size() - 1);
    pool_.insert(pool_.end(), items.begin(), items.end());
    if (node.i == kNoChunk) {
      node.begin = chunk;
    } else {
      chunks_[static_cast<size_t>(node.i)].next = chunk;
    }
    node.i = chunk;
    node.n += items.size();
  }

  // Every item is pushed by at least one opcode byte, so a pickle's containers
  // hold at most about one item per input byte; only set(list) copies items.
  // Twice the input bounds what memo-shared arguments could make us copy.
  void CheckPoolRoom(size_t more) const {
    if (more > 2 * in_.size() + 1024 - pool_.size()) {
      Fail("{}: containers would hold more than 2 items per input byte", Name());
    }
  }
  // The same for copies of array data (byte-swapped, re-ordered, latin1).
  std::string& NewOwned(size_t bytes) {
    owned_bytes_ += bytes;
    if (owned_bytes_ > 2 * in_.size() + 1024) {
      Fail("{}: converted data (swapped or re-ordered arrays, latin1 bytes) would exceed twice the "
           "input size",
           Name());
    }
    return doc_.owned_.emplace_back();
  }

  // The items of a container while parsing.
  void Gather(Ref c, std::vector<Ref>* out) const {
    out->clear();
    for (uint32_t ch = doc_.nodes_[c].begin; ch != kNoChunk; ch = chunks_[ch].next) {
      const Chunk& chunk = chunks_[ch];
      out->insert(out->end(), pool_.begin() + chunk.begin, pool_.begin() + chunk.begin + chunk.count);
    }
  }

  Ref NewTuple(std::span<const Ref> items) {
    const Ref r = NewContainer(Kind::kTuple);
    AddItems(r, items);
    return r;
  }

  // Items of a tuple (always one chunk).
  std::span<const Ref> TupleItems(Ref t) const {
    const Document::Node& node = doc_.nodes_[t];
    if (node.n == 0) return {};
    const Chunk& chunk = chunks_[node.begin];
    return {pool_.data() + chunk.begin, chunk.count};
  }

  std::string Describe(Ref r) const {
    const Document::Node& node = doc_.nodes_[r];
    switch (node.kind) {
      case Kind::kStr: return fmt::format("str '{}'", Quote({node.p, node.n}, 40));
      case Kind::kInt: return fmt::format("int {}", node.i);
      case Kind::kGlobal: return fmt::format("global {}", doc_.global_name(r));
      default:
        if (IsContainer(node.kind)) return fmt::format("{} of {}", KindName(node.kind), node.n);
        return std::string(KindName(node.kind));
    }
  }

  // ---- stack ----
  size_t Floor() const { return marks_.empty() ? 0 : marks_.back(); }
  void Push(Ref r) { stack_.push_back(r); }
  void NeedStack(size_t n) const {
    if (stack_.size() - Floor() < n) {
      Fail("{} needs {} stack item(s), found {}{}", Name(), n, stack_.size() - Floor(),
           marks_.empty() ? "" : " above the last MARK");
    }
  }
  Ref Pop() {
    NeedStack(1);
    const Ref r = stack_.back();
    stack_.pop_back();
    return r;
  }
  Ref Top() const {
    NeedStack(1);
    return stack_.back();
  }
  // Pops everything above the last MARK, and the MARK; returns the items.
  std::span<const Ref> PopMark() {
    if (marks_.empty()) Fail("{} without a preceding MARK", Name());
    const size_t m = marks_.back();
    marks_.pop_back();
    scratch_.assign(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return scratch_;
  }

  // ---- memo ----
  uint64_t CheckMemoIndex(uint64_t index) const {
    // PUT may name any index; bounding it by the input size bounds the memo.
    if (index > std::max<uint64_t>(in_.size(), 1u << 16)) {
      Fail("{}: memo index {} is out of range", Name(), index);
    }
    return index;
  }
  void MemoPut(uint64_t index) {
    CheckMemoIndex(index);
    const Ref value = Top();
    if (index >= memo_.size()) memo_.resize(static_cast<size_t>(index) + 1, kNoRef);
    if (memo_[static_cast<size_t>(index)] == kNoRef) ++memo_count_;
    memo_[static_cast<size_t>(index)] = value;
  }
  void MemoGet(uint64_t index) {
    if (index >= memo_.size() || memo_[static_cast<size_t>(index)] == kNoRef) {
      Fail("{} {}: memo has no entry {}", Name(), index, index);
    }
    Push(memo_[static_cast<size_t>(index)]);
  }
  uint64_t ParseDecimalLine() {
    const std::string_view line = ReadLine();
    uint64_t v = 0;
    const auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), v);
    if (line.empty() || ec != std::errc() || ptr != line.data() + line.size()) {
      Fail("{}: '{}' is not a memo index", Name(), Quote(line));
    }
    return v;
  }

  // ---- integers ----
  // Little-endian two's complement of n bytes (LONG1 / LONG4), into int64.
  Ref ReadLong(uint64_t n) {
    const std::string_view b = ReadBytes(n);
    if (n > 8) Fail("{}: integer of {} bytes does not fit in 64 bits", Name(), n);
    if (n == 0) return NewInt(0);
    uint64_t v = 0;
    for (size_t k = 0; k < n; ++k) v |= static_cast<uint64_t>(static_cast<unsigned char>(b[k])) << (8 * k);
    if (n < 8 && (static_cast<unsigned char>(b[n - 1]) & 0x80) != 0) v |= ~uint64_t{0} << (8 * n);
    return NewInt(static_cast<int64_t>(v));
  }

  // ---- globals and NumPy reconstruction ----
  Ref ResolveGlobal(std::string_view module, std::string_view name) {
    for (const AllowedGlobal& g : kAllowedGlobals) {
      if (g.module == module && g.name == name) {
        const Ref r = NewNode(Kind::kGlobal);
        N(r).begin = g.id;
        return r;
      }
    }
    Fail("forbidden global '{}.{}'", Quote(module), Quote(name));
  }

  GlobalId GlobalOf(Ref r, std::string_view what) const {
    if (K(r) != Kind::kGlobal) Fail("{}: {} is a {}, not an allowed callable", Name(), what, Describe(r));
    return static_cast<GlobalId>(doc_.nodes_[r].begin);
  }

  // dtype spec as numpy.dtype.__reduce__ writes it: kind letter and size
  // ("f8", "i4", "b1"), optionally with a byte-order prefix.
  DType ParseDTypeSpec(std::string_view spec) const {
    std::string_view s = spec;
    DType t;
    if (!s.empty() && (s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '=')) {
      t.big_endian = s[0] == '>';
      s.remove_prefix(1);
    }
    unsigned size = 0;
    bool ok = !s.empty();
    if (ok && s == "?") {
      t.kind = 'b';
      size = 1;
    } else if (ok) {
      t.kind = s[0];
      const auto [ptr, ec] = std::from_chars(s.data() + 1, s.data() + s.size(), size);
      ok = s.size() > 1 && ec == std::errc() && ptr == s.data() + s.size();
    }
    ok = ok && ((t.kind == 'b' && size == 1) ||
                ((t.kind == 'i' || t.kind == 'u') && (size == 1 || size == 2 || size == 4 || size == 8)) ||
                (t.kind == 'f' && (size == 4 || size == 8)));
    if (!ok) {
      Fail("{}: unsupported NumPy dtype '{}' (only bool, integer and float32/64 data are read)",
           Name(), Quote(spec));
    }
    t.size = static_cast<uint8_t>(size);
    if (size == 1) t.big_endian = false;
    return t;
  }

  DType& DTypeOf(Ref r, std::string_view what) {
    if (K(r) != Kind::kDType) Fail("{}: {} is a {}, expected a numpy dtype", Name(), what, Describe(r));
    return doc_.dtypes_[N(r).begin];
  }

  std::string_view RawData(Ref r, std::string_view what) const {
    const Kind k = K(r);
    if (k == Kind::kList) Fail("{}: object arrays (dtype 'O') are not supported", Name());
    if (k != Kind::kBytes && k != Kind::kStr) {
      Fail("{}: {} is a {}, expected bytes", Name(), what, Describe(r));
    }
    return {doc_.nodes_[r].p, doc_.nodes_[r].n};
  }

  std::string ShapeText(const std::vector<int64_t>& shape) const {
    std::string s = "(";
    for (size_t k = 0; k < shape.size(); ++k) {
      s += fmt::format("{}{}", k ? ", " : "", shape[k]);
    }
    return s + (shape.size() == 1 ? ",)" : ")");
  }

  // Fills `a` from a validated shape, dtype and raw data; data in Fortran
  // order is re-ordered to C order and big-endian data swapped.
  void FillArray(NdArray* a, const DType& dtype, Ref shape_ref, bool fortran, std::string_view raw) {
    if (K(shape_ref) != Kind::kTuple && K(shape_ref) != Kind::kList) {
      Fail("{}: array shape is a {}, expected a tuple", Name(), Describe(shape_ref));
    }
    if (N(shape_ref).n > kMaxDims) Fail("{}: array with {} dimensions (max {})", Name(), N(shape_ref).n, kMaxDims);
    std::vector<Ref> dims;
    Gather(shape_ref, &dims);
    a->dtype = dtype;
    a->shape.clear();
    uint64_t count = 1;
    bool overflow = false;
    for (Ref d : dims) {
      if (K(d) != Kind::kInt || N(d).i < 0) Fail("{}: array dimension is {}", Name(), Describe(d));
      const auto dim = static_cast<uint64_t>(N(d).i);
      a->shape.push_back(N(d).i);
      if (dim != 0 && count > std::numeric_limits<uint64_t>::max() / 256 / dim) overflow = true;
      count = overflow ? count : count * dim;
    }
    if (overflow || count * dtype.size != raw.size()) {
      Fail("{}: array of shape {} and {}{} needs {} bytes, but its data has {}", Name(),
           ShapeText(a->shape), dtype.kind, dtype.size,
           overflow ? std::string("more than 2^56") : std::to_string(count * dtype.size), raw.size());
    }
    const bool reorder = fortran && a->shape.size() > 1 && count > 1;
    const bool swap = dtype.big_endian && dtype.size > 1;
    a->dtype.big_endian = false;
    if (!reorder && !swap) {
      a->data = raw;
      return;
    }
    std::string& out = NewOwned(raw.size());
    out.assign(raw);
    const size_t item = dtype.size;
    if (reorder) FortranToC(a->shape, item, raw, &out);
    if (swap) {
      for (size_t off = 0; off < out.size(); off += item) std::reverse(out.begin() + static_cast<std::ptrdiff_t>(off), out.begin() + static_cast<std::ptrdiff_t>(off + item));
    }
    a->data = out;
  }

  static void FortranToC(const std::vector<int64_t>& shape, size_t item, std::string_view in,
                         std::string* out) {
    const size_t nd = shape.size();
    std::vector<size_t> fstride(nd);
    size_t s = 1;
    for (size_t k = 0; k < nd; ++k) {
      fstride[k] = s;
      s *= static_cast<size_t>(shape[k]);
    }
    std::vector<size_t> idx(nd, 0);
    const size_t count = in.size() / item;
    for (size_t c = 0; c < count; ++c) {
      size_t f = 0;
      for (size_t k = 0; k < nd; ++k) f += idx[k] * fstride[k];
      std::memcpy(out->data() + c * item, in.data() + f * item, item);
      for (size_t k = nd; k-- > 0;) {  // odometer, last axis fastest (C order)
        if (++idx[k] < static_cast<size_t>(shape[k])) break;
        idx[k] = 0;
      }
    }
  }

  Ref NewArrayNode(Kind kind) {
    doc_.arrays_.emplace_back();
    const Ref r = NewNode(kind);
    N(r).begin = static_cast<uint32_t>(doc_.arrays_.size() - 1);
    return r;
  }

  bool Truthy(Ref r, std::string_view what) const {
    if (K(r) == Kind::kBool || K(r) == Kind::kInt) return doc_.nodes_[r].i != 0;
    Fail("{}: {} is a {}, expected a bool", Name(), what, Describe(r));
  }

  // callable(*args) for the allow-listed callables (REDUCE).
  Ref Call(Ref callable, Ref args_ref) {
    const GlobalId id = GlobalOf(callable, "the callable");
    if (K(args_ref) != Kind::kTuple) Fail("{}: arguments are a {}, expected a tuple", Name(), Describe(args_ref));
    const std::span<const Ref> args = TupleItems(args_ref);
    auto need_args = [&](size_t lo, size_t hi) {
      if (args.size() < lo || args.size() > hi) {
        Fail("{}: {} takes {} to {} arguments, got {}", Name(), kGlobalNames[id], lo, hi, args.size());
      }
    };
    switch (id) {
      case kReconstructFn: {
        need_args(3, 3);
        if (K(args[0]) != Kind::kGlobal || N(args[0]).begin != kNdArrayClass) {
          Fail("{}: _reconstruct of {}; only numpy.ndarray is allowed", Name(), Describe(args[0]));
        }
        const Ref r = NewArrayNode(Kind::kNdArray);  // empty int8 array until BUILD
        doc_.arrays_.back().shape = {0};
        return r;
      }
      case kDTypeClass: {
        need_args(1, 3);
        if (K(args[0]) != Kind::kStr) Fail("{}: dtype spec is a {}, expected a str", Name(), Describe(args[0]));
        const DType t = ParseDTypeSpec(doc_.text(args[0]));
        doc_.dtypes_.push_back(t);
        const Ref r = NewNode(Kind::kDType);
        N(r).begin = static_cast<uint32_t>(doc_.dtypes_.size() - 1);
        return r;
      }
      case kScalarFn: {
        need_args(2, 2);
        const DType t = DTypeOf(args[0], "scalar dtype");
        const std::string_view raw = RawData(args[1], "scalar data");
        const Ref r = NewArrayNode(Kind::kScalar);
        const Ref empty_shape = NewTuple({});
        FillArray(&doc_.arrays_[N(r).begin], t, empty_shape, false, raw);
        return r;
      }
      case kFromBufferFn: {
        need_args(4, 4);
        const std::string_view raw = RawData(args[0], "buffer");
        const DType t = DTypeOf(args[1], "dtype");
        if (K(args[3]) != Kind::kStr) Fail("{}: array order is a {}, expected a str", Name(), Describe(args[3]));
        const std::string_view order = doc_.text(args[3]);
        if (order != "C" && order != "F" && order != "A" && order != "K") {
          Fail("{}: array order '{}'", Name(), Quote(order));
        }
        const Ref r = NewArrayNode(Kind::kNdArray);
        FillArray(&doc_.arrays_[N(r).begin], t, args[2], order == "F", raw);
        return r;
      }
      case kSetClass:
      case kFrozenSetClass: {
        need_args(0, 1);
        const Ref r = NewContainer(Kind::kSet);
        if (args.size() == 1) {
          const Kind k = K(args[0]);
          if (k != Kind::kList && k != Kind::kTuple && k != Kind::kSet) {
            Fail("{}: set() of a {}", Name(), Describe(args[0]));
          }
          CheckPoolRoom(N(args[0]).n);
          std::vector<Ref> items;
          Gather(args[0], &items);
          AddItems(r, items);
        }
        return r;
      }
      case kBytesClass:
        need_args(0, 0);
        return NewText(Kind::kBytes, {});
      case kCodecsEncodeFn: {
        need_args(2, 2);
        if (K(args[0]) != Kind::kStr || K(args[1]) != Kind::kStr) {
          Fail("{}: _codecs.encode of {} and {}", Name(), Describe(args[0]), Describe(args[1]));
        }
        const std::string_view encoding = doc_.text(args[1]);
        if (encoding != "latin1" && encoding != "latin-1" && encoding != "iso-8859-1") {
          Fail("{}: _codecs.encode to '{}' (only latin1 is read)", Name(), Quote(encoding));
        }
        return NewText(Kind::kBytes, Latin1(doc_.text(args[0])));
      }
      case kNdArrayClass:
        break;
    }
    Fail("{}: {} cannot be called here", Name(), kGlobalNames[id]);
  }

  // The latin-1 bytes of valid UTF-8 text whose code points are all < 256.
  std::string_view Latin1(std::string_view utf8) {
    std::string& out = NewOwned(utf8.size());
    out.reserve(utf8.size());
    for (size_t i = 0; i < utf8.size(); ++i) {
      const auto c = static_cast<unsigned char>(utf8[i]);
      if (c < 0x80) {
        out += static_cast<char>(c);
      } else if ((c & 0xFE) == 0xC2 && i + 1 < utf8.size()) {  // U+0080..U+00FF
        out += static_cast<char>(((c & 0x03u) << 6) | (static_cast<unsigned char>(utf8[++i]) & 0x3Fu));
      } else {
        Fail("{}: _codecs.encode: text has characters beyond latin1", Name());
      }
    }
    return out;
  }

  // obj.__setstate__(state) for NumPy arrays and dtypes (BUILD).
  void Build(Ref obj, Ref state) {
    if (K(obj) == Kind::kDType) {
      // (version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata])
      if (K(state) != Kind::kTuple) Fail("BUILD: dtype state is a {}, expected a tuple", Describe(state));
      const std::span<const Ref> s = TupleItems(state);
      if (s.size() < 2 || K(s[1]) != Kind::kStr) Fail("BUILD: dtype state without a byte order");
      for (size_t k = 2; k < 5 && k < s.size(); ++k) {
        if (K(s[k]) != Kind::kNone) Fail("BUILD: structured or sub-array dtypes are not supported");
      }
      DType& t = doc_.dtypes_[N(obj).begin];
      const std::string_view order = doc_.text(s[1]);
      if (order != "<" && order != ">" && order != "|" && order != "=") {
        Fail("BUILD: dtype byte order '{}'", Quote(order));
      }
      t.big_endian = order == ">" && t.size > 1;
      return;
    }
    if (K(obj) == Kind::kNdArray) {
      // (version, shape, dtype, is_fortran, data), or without the version.
      if (K(state) != Kind::kTuple) Fail("BUILD: array state is a {}, expected a tuple", Describe(state));
      std::span<const Ref> s = TupleItems(state);
      if (s.size() == 5) s = s.subspan(1);
      if (s.size() != 4) Fail("BUILD: array state has {} items, expected 4 or 5", TupleItems(state).size());
      const DType t = DTypeOf(s[1], "array dtype");
      const bool fortran = Truthy(s[2], "is_fortran");
      const std::string_view raw = RawData(s[3], "array data");
      FillArray(&doc_.arrays_[N(obj).begin], t, s[0], fortran, raw);
      return;
    }
    Fail("BUILD on a {}; only numpy arrays and dtypes accept state", Describe(obj));
  }

  // ---- the opcodes ----
  void Step() {
    switch (op_) {
      case kProto: {
        const uint64_t v = ReadLE(1);
        if (v > 5) Fail("unsupported pickle protocol {}", v);
        break;
      }
      case kFrame: {
        const uint64_t n = ReadLE(8);
        if (n > in_.size() - pos_) Fail("truncated FRAME: claims {} bytes, only {} left", n, in_.size() - pos_);
        break;
      }
      case kMark: marks_.push_back(stack_.size()); break;
      case kPop:
        if (stack_.size() > Floor()) {
          stack_.pop_back();
        } else if (!marks_.empty()) {
          marks_.pop_back();
        } else {
          NeedStack(1);
        }
        break;
      case kPopMark: PopMark(); break;
      case kDup: Push(Top()); break;
      case kNone: Push(none_); break;
      case kNewTrue: Push(true_); break;
      case kNewFalse: Push(false_); break;
      case kBinInt: Push(NewInt(static_cast<int32_t>(static_cast<uint32_t>(ReadLE(4))))); break;
      case kBinInt1: Push(NewInt(static_cast<int64_t>(ReadLE(1)))); break;
      case kBinInt2: Push(NewInt(static_cast<int64_t>(ReadLE(2)))); break;
      case kLong1: Push(ReadLong(ReadLE(1))); break;
      case kLong4: {
        const uint64_t n = ReadLE(4);
        if (n > 0x7fffffff) Fail("LONG4: negative length");
        Push(ReadLong(n));
        break;
      }
      case kBinFloat: {
        Need(8);
        uint64_t bits = 0;
        for (size_t k = 0; k < 8; ++k) bits = (bits << 8) | static_cast<unsigned char>(in_[pos_ + k]);
        pos_ += 8;
        const Ref r = NewNode(Kind::kFloat);
        N(r).d = std::bit_cast<double>(bits);
        Push(r);
        break;
      }
      case kShortBinUnicode: Push(NewUnicode(ReadBytes(ReadLE(1)))); break;
      case kBinUnicode: Push(NewUnicode(ReadBytes(ReadLE(4)))); break;
      case kBinUnicode8: Push(NewUnicode(ReadBytes(ReadLE(8)))); break;
      case kShortBinBytes: Push(NewText(Kind::kBytes, ReadBytes(ReadLE(1)))); break;
      case kBinBytes: Push(NewText(Kind::kBytes, ReadBytes(ReadLE(4)))); break;
      case kBinBytes8:
      case kByteArray8: Push(NewText(Kind::kBytes, ReadBytes(ReadLE(8)))); break;
      case kShortBinString:
      case kBinString: {
        // Python 2 str: text if it is valid UTF-8, else bytes.
        uint64_t n = ReadLE(op_ == kShortBinString ? 1 : 4);
        if (op_ == kBinString && n > 0x7fffffff) Fail("BINSTRING: negative length");
        const std::string_view s = ReadBytes(n);
        Push(NewText(IsValidUtf8(s) ? Kind::kStr : Kind::kBytes, s));
        break;
      }
      case kEmptyList: Push(NewContainer(Kind::kList)); break;
      case kEmptyDict: Push(NewContainer(Kind::kDict)); break;
      case kEmptySet: Push(NewContainer(Kind::kSet)); break;
      case kEmptyTuple: Push(NewTuple({})); break;
      case kTuple: {
        const std::span<const Ref> items = PopMark();
        Push(NewTuple(items));
        break;
      }
      case kTuple1:
      case kTuple2:
      case kTuple3: {
        const size_t n = static_cast<size_t>(op_ - kTuple1) + 1;
        NeedStack(n);
        const Ref t = NewTuple({stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end()});
        stack_.resize(stack_.size() - n);
        Push(t);
        break;
      }
      case kList:
      case kFrozenSet: {
        const std::span<const Ref> items = PopMark();
        const Ref c = NewContainer(op_ == kList ? Kind::kList : Kind::kSet);
        AddItems(c, items);
        Push(c);
        break;
      }
      case kDict: {
        const std::span<const Ref> items = PopMark();
        if (items.size() % 2 != 0) Fail("DICT with an odd number ({}) of keys and values", items.size());
        const Ref c = NewContainer(Kind::kDict);
        AddItems(c, items);
        Push(c);
        break;
      }
      case kAppend: {
        const Ref v = Pop();
        const Ref list = Top();
        if (K(list) != Kind::kList) Fail("APPEND to a {}", Describe(list));
        AddItems(list, {&v, 1});
        break;
      }
      case kAppends: {
        const std::span<const Ref> items = PopMark();
        const Ref list = Top();
        if (K(list) != Kind::kList) Fail("APPENDS to a {}", Describe(list));
        AddItems(list, items);
        break;
      }
      case kSetItem: {
        NeedStack(3);
        const Ref dict = stack_[stack_.size() - 3];
        if (K(dict) != Kind::kDict) Fail("SETITEM on a {}", Describe(dict));
        AddItems(dict, {stack_.end() - 2, stack_.end()});
        stack_.resize(stack_.size() - 2);
        break;
      }
      case kSetItems: {
        const std::span<const Ref> items = PopMark();
        const Ref dict = Top();
        if (K(dict) != Kind::kDict) Fail("SETITEMS on a {}", Describe(dict));
        if (items.size() % 2 != 0) Fail("SETITEMS with an odd number ({}) of keys and values", items.size());
        AddItems(dict, items);
        break;
      }
      case kAddItems: {
        const std::span<const Ref> items = PopMark();
        const Ref set = Top();
        if (K(set) != Kind::kSet) Fail("ADDITEMS to a {}", Describe(set));
        AddItems(set, items);
        break;
      }
      case kGlobal: {
        const std::string_view module = ReadLine();
        const std::string_view name = ReadLine();
        Push(ResolveGlobal(module, name));
        break;
      }
      case kStackGlobal: {
        const Ref name = Pop();
        const Ref module = Pop();
        if (K(name) != Kind::kStr || K(module) != Kind::kStr) {
          Fail("STACK_GLOBAL needs two str, got {} and {}", Describe(module), Describe(name));
        }
        Push(ResolveGlobal(doc_.text(module), doc_.text(name)));
        break;
      }
      case kReduce: {
        const Ref args = Pop();
        const Ref callable = Pop();
        Push(Call(callable, args));
        break;
      }
      case kNewObj:
      case kNewObjEx: {
        if (op_ == kNewObjEx) {
          const Ref kwargs = Pop();
          if (K(kwargs) != Kind::kDict || N(kwargs).n != 0) Fail("NEWOBJ_EX with keyword arguments");
        }
        const Ref args = Pop();
        const Ref cls = Pop();
        const GlobalId id = GlobalOf(cls, "the class");
        if (id != kSetClass && id != kFrozenSetClass) Fail("{} of {}", Name(), kGlobalNames[id]);
        Push(Call(cls, args));
        break;
      }
      case kBuild: {
        const Ref state = Pop();
        Build(Top(), state);
        break;
      }
      case kMemoize: MemoPut(memo_count_); break;
      case kPut: MemoPut(ParseDecimalLine()); break;
      case kBinPut: MemoPut(ReadLE(1)); break;
      case kLongBinPut: MemoPut(ReadLE(4)); break;
      case kGet: MemoGet(ParseDecimalLine()); break;
      case kBinGet: MemoGet(ReadLE(1)); break;
      case kLongBinGet: MemoGet(ReadLE(4)); break;
      default:
        if (!OpName(op_).empty()) {
          Fail("unsupported pickle opcode 0x{:02x} ({}): only plain data and NumPy arrays are read", op_,
               Name());
        }
        Fail("unknown pickle opcode 0x{:02x}", op_);
    }
  }

  // Lays every container's items out contiguously.
  void Freeze() {
    std::vector<Ref> items;
    items.reserve(pool_.size());
    for (Document::Node& node : doc_.nodes_) {
      if (!IsContainer(node.kind)) continue;
      const auto begin = static_cast<uint32_t>(items.size());
      for (uint32_t ch = node.begin; ch != kNoChunk; ch = chunks_[ch].next) {
        const Chunk& chunk = chunks_[ch];
        items.insert(items.end(), pool_.begin() + chunk.begin, pool_.begin() + chunk.begin + chunk.count);
      }
      node.begin = begin;
      node.i = 0;
    }
    doc_.items_ = std::move(items);
  }

  std::string_view in_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  uint8_t op_ = 0;
  Document doc_;
  std::vector<Ref> stack_;
  std::vector<size_t> marks_;
  std::vector<Ref> memo_;
  uint64_t memo_count_ = 0;
  size_t owned_bytes_ = 0;
  std::vector<Ref> pool_;
  std::vector<Chunk> chunks_;
  std::vector<Ref> scratch_;
  Ref none_ = 0, true_ = 0, false_ = 0;
};

Document Parse(std::string_view bytes) {
  Parser parser(bytes);
  return parser.Run();
}

// ---- Value ----

bool Value::is_sequence() const {
  const Kind k = kind();
  return k == Kind::kList || k == Kind::kTuple || k == Kind::kSet;
}

size_t Value::size() const {
  const Kind k = kind();
  if (k == Kind::kDict) return doc_->items(ref_).size() / 2;
  if (IsContainer(k)) return doc_->items(ref_).size();
  return 0;
}

std::optional<double> Value::ToNumber() const {
  switch (kind()) {
    case Kind::kBool:
    case Kind::kInt: return static_cast<double>(doc_->int_value(ref_));
    case Kind::kFloat: return doc_->float_value(ref_);
    case Kind::kScalar:
    case Kind::kNdArray:
      if (array().count() == 1) return array().At(0);
      return std::nullopt;
    default: return std::nullopt;
  }
}

std::optional<int64_t> Value::ToInt() const {
  switch (kind()) {
    case Kind::kBool:
    case Kind::kInt: return doc_->int_value(ref_);
    case Kind::kScalar: {
      const NdArray& a = array();
      if (a.dtype.kind == 'f') break;
      if (a.dtype.kind == 'u' && a.dtype.size == 8) {
        uint64_t v;
        std::memcpy(&v, a.data.data(), 8);
        if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
        return static_cast<int64_t>(v);
      }
      if (a.dtype.size == 8 && a.dtype.kind == 'i') {
        int64_t v;
        std::memcpy(&v, a.data.data(), 8);
        return v;
      }
      return static_cast<int64_t>(a.At(0));  // exact for <= 32-bit ints and bools
    }
    default: break;
  }
  const std::optional<double> d = ToNumber();
  if (d && std::isfinite(*d) && *d == std::floor(*d) && std::fabs(*d) < 9.0e15) {
    return static_cast<int64_t>(*d);
  }
  return std::nullopt;
}

std::optional<std::string_view> Value::ToStr() const {
  if (kind() == Kind::kStr || kind() == Kind::kBytes) return doc_->text(ref_);
  return std::nullopt;
}

std::optional<std::string> Value::ToId() const {
  if (kind() == Kind::kStr) return std::string(doc_->text(ref_));
  if (kind() == Kind::kInt || kind() == Kind::kScalar) {
    if (const std::optional<int64_t> v = ToInt()) return std::to_string(*v);
  }
  return std::nullopt;
}

std::optional<Value> Value::Find(std::string_view key) const {
  if (kind() != Kind::kDict) return std::nullopt;
  const std::span<const Ref> items = doc_->items(ref_);
  for (size_t i = items.size(); i >= 2; i -= 2) {
    const Ref k = items[i - 2];
    if (doc_->kind(k) == Kind::kStr && doc_->text(k) == key) return Value(doc_, items[i - 1]);
  }
  return std::nullopt;
}

std::string Value::Describe() const {
  const Kind k = kind();
  switch (k) {
    case Kind::kNone: return "None";
    case Kind::kBool: return doc_->bool_value(ref_) ? "True" : "False";
    case Kind::kInt: return fmt::format("int {}", doc_->int_value(ref_));
    case Kind::kFloat: return fmt::format("float {}", doc_->float_value(ref_));
    case Kind::kStr: return fmt::format("str '{}'", Quote(doc_->text(ref_), 40));
    case Kind::kBytes: return fmt::format("bytes of {}", doc_->text(ref_).size());
    case Kind::kNdArray:
    case Kind::kScalar: {
      const NdArray& a = array();
      std::string shape = "(";
      for (size_t d = 0; d < a.shape.size(); ++d) shape += fmt::format("{}{}", d ? ", " : "", a.shape[d]);
      shape += a.shape.size() == 1 ? ",)" : ")";
      return fmt::format("{} {}{} {}", k == Kind::kScalar ? "numpy scalar" : "ndarray", a.dtype.kind,
                         a.dtype.size, shape);
    }
    case Kind::kGlobal: return fmt::format("global {}", doc_->global_name(ref_));
    default: return fmt::format("{} of {}", KindName(k), size());
  }
}

}  // namespace tarmac::pickle
