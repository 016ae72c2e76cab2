// TFRecord files: a sequence of records, each framed as
//
//   uint64 length          little-endian, bytes of data
//   uint32 masked CRC-32C  of the 8 length bytes
//   byte   data[length]
//   uint32 masked CRC-32C  of the data
//
// (TensorFlow's record format, uncompressed; masking: crc32c.h). The reader
// walks the records in place, checks both CRCs and every length against the
// bytes that remain, and reports the first problem with the record's index
// and byte offset. It never reads out of bounds and never allocates per
// record. The writer produces the same framing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/result.h"

namespace tarmac {

inline constexpr size_t kTfRecordHeaderBytes = 12;  // length + its CRC
inline constexpr size_t kTfRecordFooterBytes = 4;   // data CRC

// One record, pointing into the reader's input.
struct TfRecordView {
  std::string_view data;  // the payload
  uint64_t index = 0;     // 0-based record number in the file
  uint64_t offset = 0;    // byte offset of the record's header in the file
};

class TfRecordReader {
 public:
  // `bytes` must outlive the reader and every view it returns.
  explicit TfRecordReader(std::string_view bytes) : bytes_(bytes) {}

  // The next record: true with *record filled, false at the clean end of the
  // input (the previous record ended exactly at the last byte). An Error says
  // "record N at byte B: <what>", e.g. "length CRC mismatch (stored 0x..,
  // computed 0x..)"; after an error every call returns the same error.
  Result<bool> Next(TfRecordView* record);

  uint64_t records_read() const { return index_; }

 private:
  std::string_view bytes_;
  uint64_t offset_ = 0;
  uint64_t index_ = 0;
  std::string error_;
};

// Every record of a file, or the first framing error.
Result<std::vector<TfRecordView>> SplitTfRecords(std::string_view bytes);

// Appends one framed record to `out`.
void AppendTfRecord(std::string_view data, std::string* out);

// Writes a TFRecord file holding `records` in order (via a temporary file
// renamed into place). The error names the path and the OS reason.
Result<void> WriteTfRecordFile(const std::filesystem::path& path,
                               const std::vector<std::string>& records);

}  // namespace tarmac
