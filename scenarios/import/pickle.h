// A restricted reader for Python pickles (protocols 2-5) that holds plain data
// and NumPy arrays: None, bool, int, float, str, bytes, list, tuple, dict,
// set, numpy.ndarray and NumPy scalars. It never runs code: the only globals
// it accepts are a fixed allow-list of NumPy reconstruction helpers
// (numpy.core.multiarray._reconstruct / scalar, numpy.core.numeric._frombuffer,
// numpy.ndarray, numpy.dtype, also spelled numpy._core.*) and pure builtins
// that protocol-2 pickles need (set, frozenset, bytes, _codecs.encode to
// latin1); every other global, every object opcode (INST/OBJ/PERSID/EXT*) and
// REDUCE/BUILD on anything else is an error.
//
// The opcode layouts follow the pickle format as documented in CPython's
// Lib/pickletools.py; the NumPy reduce/setstate tuples follow NumPy's
// ndarray.__reduce__ / __setstate__ and dtype.__reduce__ / __setstate__.
//
// Errors are ImportError (import/import_util.h) with messages of the form
// "byte 1234: forbidden global 'os.system'", the offset being that of the
// opcode at fault (or of the end of the input for a truncated pickle).
//
// Costs: parsing is one pass; strings, bytes and array data are views into
// the input (no copies, except arrays that must be byte-swapped or
// re-ordered from Fortran order). Nothing is allocated beyond a small
// constant times the input size, whatever lengths the input claims.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tarmac::pickle {

// What a value is. kDType and kGlobal are NumPy dtype objects and allow-listed
// callables; they are only ever seen inside arrays or as leftovers of odd
// pickles.
enum class Kind : uint8_t {
  kNone,
  kBool,
  kInt,      // fits in int64 (larger ints are an error)
  kFloat,    // Python float (IEEE double)
  kStr,      // UTF-8 text
  kBytes,    // bytes / bytearray
  kList,
  kTuple,
  kDict,     // insertion order kept; duplicate keys kept (Find returns the last)
  kSet,      // set or frozenset, in pickle order, duplicates not removed
  kNdArray,  // numpy.ndarray of bool / int / uint / float elements
  kScalar,   // NumPy scalar, e.g. numpy.float64(1.5): a 0-d array
  kDType,
  kGlobal,
};

std::string_view KindName(Kind kind);

// A NumPy element type. kind: 'b' bool, 'i' signed int, 'u' unsigned int,
// 'f' float; size in bytes (b1, i1-i8, u1-u8, f4, f8).
struct DType {
  char kind = 'i';
  uint8_t size = 1;
  bool big_endian = false;  // as pickled; array data is always converted to little-endian
};

// An array's element type, shape and data. Data is C-ordered (row-major),
// little-endian, exactly count() * dtype.size bytes.
struct NdArray {
  DType dtype;
  std::vector<int64_t> shape;  // empty for a 0-d array (NumPy scalar)
  std::string_view data;

  // Number of elements (product of shape; 1 for 0-d).
  size_t count() const { return data.size() / dtype.size; }
  // Element i (flat, C order) converted to double; bools are 0/1.
  double At(size_t i) const;
};

using Ref = uint32_t;

// The parsed pickle: a graph of values addressed by Ref. Views into the input
// bytes: the input must outlive the Document.
class Document {
 public:
  Ref root() const { return root_; }
  Kind kind(Ref r) const { return nodes_[r].kind; }
  bool bool_value(Ref r) const { return nodes_[r].i != 0; }
  int64_t int_value(Ref r) const { return nodes_[r].i; }
  double float_value(Ref r) const { return nodes_[r].d; }
  // kStr and kBytes.
  std::string_view text(Ref r) const { return {nodes_[r].p, nodes_[r].n}; }
  // kList, kTuple, kSet: the items; kDict: key0, value0, key1, value1, ...
  std::span<const Ref> items(Ref r) const {
    return {items_.data() + nodes_[r].begin, nodes_[r].n};
  }
  // kNdArray and kScalar.
  const NdArray& array(Ref r) const { return arrays_[nodes_[r].begin]; }
  // kGlobal: "module.name".
  std::string_view global_name(Ref r) const;

  size_t num_values() const { return nodes_.size(); }

 private:
  friend class Parser;
  struct Node {
    Kind kind = Kind::kNone;
    uint32_t begin = 0;  // containers: first item in items_ (after parsing); arrays/dtypes: index
    size_t n = 0;        // containers: item count; str/bytes: length
    union {
      int64_t i;
      double d;
      const char* p;
    };
    Node() : i(0) {}
  };
  std::vector<Node> nodes_;
  std::vector<Ref> items_;
  std::vector<NdArray> arrays_;
  std::vector<DType> dtypes_;
  std::deque<std::string> owned_;  // byte-swapped / re-ordered array data (stable addresses)
  Ref root_ = 0;
};

// Parses a whole pickle. Throws ImportError ("byte N: reason") on anything
// malformed, truncated or not allow-listed.
Document Parse(std::string_view bytes);

// A convenient read-only handle on one value of a Document.
class Value {
 public:
  Value(const Document* doc, Ref ref) : doc_(doc), ref_(ref) {}

  Kind kind() const { return doc_->kind(ref_); }
  Ref ref() const { return ref_; }
  bool is_none() const { return kind() == Kind::kNone; }
  bool is_str() const { return kind() == Kind::kStr; }
  bool is_dict() const { return kind() == Kind::kDict; }
  bool is_array() const { return kind() == Kind::kNdArray; }
  // list, tuple or set.
  bool is_sequence() const;

  // A number: int, float, bool, a NumPy scalar, or an array of exactly one
  // element; nullopt otherwise.
  std::optional<double> ToNumber() const;
  // An integer: int, bool, integer NumPy scalar, or a float with an integral
  // value; nullopt otherwise.
  std::optional<int64_t> ToInt() const;
  // str (or bytes) content; nullopt otherwise.
  std::optional<std::string_view> ToStr() const;
  // An id: str as is, integers in decimal; nullopt otherwise.
  std::optional<std::string> ToId() const;

  const NdArray& array() const { return doc_->array(ref_); }

  // list / tuple / set items, and dict entries.
  size_t size() const;
  Value operator[](size_t i) const { return {doc_, doc_->items(ref_)[i]}; }
  Value key(size_t i) const { return {doc_, doc_->items(ref_)[2 * i]}; }
  Value value(size_t i) const { return {doc_, doc_->items(ref_)[2 * i + 1]}; }
  // The value under a str key of a dict (the last one if repeated).
  std::optional<Value> Find(std::string_view key) const;

  // A short description for error messages: "str 'abc'", "list of 3", "ndarray f8 (3, 2)".
  std::string Describe() const;

 private:
  const Document* doc_;
  Ref ref_;
};

}  // namespace tarmac::pickle
