// TFRecord reader and writer; the format is described in tfrecord.h.
#include "scenarios/import/tfrecord.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include "scenarios/import/crc32c.h"

namespace tarmac {
namespace {

uint64_t LoadLe(std::string_view bytes, size_t at, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) {
    v |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
  }
  return v;
}

void StoreLe(uint64_t v, size_t width, std::string* out) {
  for (size_t i = 0; i < width; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}

}  // namespace

Result<bool> TfRecordReader::Next(TfRecordView* record) {
  if (!error_.empty()) return Error{error_};
  const uint64_t size = bytes_.size();
  if (offset_ == size) return false;
  const uint64_t left = size - offset_;
  const size_t at = static_cast<size_t>(offset_);
  auto fail = [this](std::string what) -> Result<bool> {
    error_ = fmt::format("record {} at byte {}: {}", index_, offset_, what);
    return Error{error_};
  };
  if (left < kTfRecordHeaderBytes) {
    return fail(fmt::format("truncated header: {} of {} bytes before the end of the file", left,
                            kTfRecordHeaderBytes));
  }
  const std::string_view length_bytes = bytes_.substr(at, 8);
  const uint64_t length = LoadLe(bytes_, at, 8);
  const auto stored_length_crc = static_cast<uint32_t>(LoadLe(bytes_, at + 8, 4));
  const uint32_t length_crc = MaskCrc32c(Crc32c(length_bytes));
  if (stored_length_crc != length_crc) {
    std::string hint;
    if (offset_ == 0 && length_bytes.substr(0, 2) == "\x1f\x8b") {
      hint = "; the file starts like gzip data: compressed TFRecords are not read, gunzip it first";
    }
    return fail(fmt::format("length CRC mismatch (stored 0x{:08x}, computed 0x{:08x}){}",
                            stored_length_crc, length_crc, hint));
  }
  const uint64_t after_header = left - kTfRecordHeaderBytes;
  if (length > after_header) {
    return fail(fmt::format(
        "length {} exceeds the {} bytes left after the header (corrupt length or truncated file)",
        length, after_header));
  }
  if (after_header - length < kTfRecordFooterBytes) {
    return fail(fmt::format("truncated: {} of {} data CRC bytes after the {} data bytes",
                            after_header - length, kTfRecordFooterBytes, length));
  }
  const size_t data_at = at + kTfRecordHeaderBytes;
  const std::string_view data = bytes_.substr(data_at, static_cast<size_t>(length));
  const auto stored_data_crc =
      static_cast<uint32_t>(LoadLe(bytes_, data_at + static_cast<size_t>(length), 4));
  const uint32_t data_crc = MaskCrc32c(Crc32c(data));
  if (stored_data_crc != data_crc) {
    return fail(fmt::format("data CRC mismatch (stored 0x{:08x}, computed 0x{:08x}) over {} bytes",
                            stored_data_crc, data_crc, length));
  }
  record->data = data;
  record->index = index_;
  record->offset = offset_;
  offset_ += kTfRecordHeaderBytes + length + kTfRecordFooterBytes;
  ++index_;
  return true;
}

Result<std::vector<TfRecordView>> SplitTfRecords(std::string_view bytes) {
  TfRecordReader reader(bytes);
  std::vector<TfRecordView> records;
  TfRecordView record;
  while (true) {
    Result<bool> got = reader.Next(&record);
    if (!got.ok()) return got.error();
    if (!*got) break;
    records.push_back(record);
  }
  return records;
}

void AppendTfRecord(std::string_view data, std::string* out) {
  std::string header;
  StoreLe(data.size(), 8, &header);
  StoreLe(MaskCrc32c(Crc32c(header)), 4, &header);
  out->append(header);
  out->append(data);
  StoreLe(MaskCrc32c(Crc32c(data)), 4, out);
}

Result<void> WriteTfRecordFile(const std::filesystem::path& path,
                               const std::vector<std::string>& records) {
  std::string bytes;
  size_t total = 0;
  for (const std::string& r : records)
    total += r.size() + kTfRecordHeaderBytes + kTfRecordFooterBytes;
  bytes.reserve(total);
  for (const std::string& r : records) AppendTfRecord(r, &bytes);
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out)
      return Error{fmt::format("{}: cannot write: {}", path.string(), std::strerror(errno))};
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out)
      return Error{fmt::format("{}: write failed: {}", path.string(), std::strerror(errno))};
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec)
    return Error{fmt::format("{}: cannot rename into place: {}", path.string(), ec.message())};
  return {};
}

}  // namespace tarmac
