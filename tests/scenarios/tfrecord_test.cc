// CRC-32C against published check values, the TFRecord mask, and TFRecord
// framing: byte layout, round trips and every kind of corruption.
#include "scenarios/import/tfrecord.h"

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "scenarios/import/crc32c.h"
#include "scenarios/scenario_io.h"

namespace tarmac {
namespace {

std::string Bytes(std::initializer_list<int> values) {
  std::string s;
  for (int v : values) s.push_back(static_cast<char>(v));
  return s;
}

TEST_CASE("CRC-32C matches the published check values", "[womd][tfrecord]") {
  // The CRC catalogue's check value for CRC-32C ("CRC-32/ISCSI").
  CHECK(Crc32c("123456789") == 0xE3069283u);
  // RFC 3720 appendix B.4 (iSCSI) test vectors.
  CHECK(Crc32c(std::string(32, '\0')) == 0x8A9136AAu);
  CHECK(Crc32c(std::string(32, '\xff')) == 0x62A8AB43u);
  std::string up, down;
  for (int i = 0; i < 32; ++i) {
    up.push_back(static_cast<char>(i));
    down.push_back(static_cast<char>(31 - i));
  }
  CHECK(Crc32c(up) == 0x46DD794Eu);
  CHECK(Crc32c(down) == 0x113FDB5Cu);
  CHECK(Crc32c("") == 0u);
}

TEST_CASE("CRC-32C extends across any split, including the 8-byte fast path", "[womd][tfrecord]") {
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>((i * 131 + 7) & 0xFF));
  const uint32_t whole = Crc32c(data);
  for (size_t cut : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{500},
                     size_t{999}, size_t{1000}}) {
    INFO("cut at " << cut);
    CHECK(Crc32cExtend(Crc32c(std::string_view(data).substr(0, cut)),
                       std::string_view(data).substr(cut)) == whole);
  }
  // Byte-by-byte (the slow path only) agrees with the sliced computation.
  uint32_t crc = 0;
  for (char c : data) crc = Crc32cExtend(crc, std::string_view(&c, 1));
  CHECK(crc == whole);
}

TEST_CASE("TFRecord CRC mask", "[womd][tfrecord]") {
  // mask(c) = ((c >> 15) | (c << 17)) + 0xa282ead8, values computed by hand
  // (and with python3 crcmod): mask(0) is the delta itself.
  CHECK(MaskCrc32c(0) == 0xA282EAD8u);
  CHECK(MaskCrc32c(0xE3069283u) == 0xC78AB0E5u);
  // Rotating 1 right by 15 gives 1 << 17.
  CHECK(MaskCrc32c(1) == 0xA282EAD8u + 0x20000u);
  for (uint32_t c : {0u, 1u, 0xE3069283u, 0xFFFFFFFFu, 0x80000000u})
    CHECK(UnmaskCrc32c(MaskCrc32c(c)) == c);
}

TEST_CASE("TFRecord framing: byte layout of one record", "[womd][tfrecord]") {
  std::string file;
  AppendTfRecord("hello", &file);
  REQUIRE(file.size() == 8 + 4 + 5 + 4);
  // Length 5, little-endian uint64.
  CHECK(file.substr(0, 8) == Bytes({5, 0, 0, 0, 0, 0, 0, 0}));
  // Masked CRCs, little-endian: of the length bytes 0x3e04b2ea, of "hello"
  // 0x191c1fbb (python3: crcmod 'crc-32c' + the mask formula).
  CHECK(file.substr(8, 4) == Bytes({0xea, 0xb2, 0x04, 0x3e}));
  CHECK(file.substr(12, 5) == "hello");
  CHECK(file.substr(17, 4) == Bytes({0xbb, 0x1f, 0x1c, 0x19}));
  // An empty record: 8 zero bytes whose masked CRC is 0x07980329.
  std::string empty;
  AppendTfRecord("", &empty);
  CHECK(empty ==
        Bytes({0, 0, 0, 0, 0, 0, 0, 0, 0x29, 0x03, 0x98, 0x07}) + Bytes({0xd8, 0xea, 0x82, 0xa2}));
}

TEST_CASE("TFRecord reader walks records with their index and offset", "[womd][tfrecord]") {
  std::string file;
  AppendTfRecord("first", &file);
  AppendTfRecord("", &file);
  AppendTfRecord(std::string(1000, 'x'), &file);
  Result<std::vector<TfRecordView>> records = SplitTfRecords(file);
  REQUIRE(records.ok());
  REQUIRE(records->size() == 3);
  CHECK((*records)[0].data == "first");
  CHECK((*records)[0].offset == 0);
  CHECK((*records)[1].data.empty());
  CHECK((*records)[1].index == 1);
  CHECK((*records)[1].offset == 21);
  CHECK((*records)[2].offset == 37);
  CHECK((*records)[2].data == std::string(1000, 'x'));
  // An empty file holds no records.
  Result<std::vector<TfRecordView>> none = SplitTfRecords("");
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE("TFRecord reader reports each corruption with record index and offset",
          "[womd][tfrecord]") {
  std::string file;
  AppendTfRecord("first", &file);   // bytes 0..20
  AppendTfRecord("second", &file);  // bytes 21..42
  auto error_of = [](const std::string& bytes) {
    Result<std::vector<TfRecordView>> r = SplitTfRecords(bytes);
    REQUIRE_FALSE(r.ok());
    return r.error().message;
  };

  SECTION("a flipped bit in the second record's length CRC") {
    std::string bad = file;
    bad[21 + 8] = static_cast<char>(bad[21 + 8] ^ 0x04);
    const uint32_t good = MaskCrc32c(Crc32c(Bytes({6, 0, 0, 0, 0, 0, 0, 0})));
    CHECK(error_of(bad) == fmt::format("record 1 at byte 21: length CRC mismatch (stored 0x{:08x}, "
                                       "computed 0x{:08x})",
                                       good ^ 0x04u, good));
  }
  SECTION("a flipped bit in the length itself") {
    std::string bad = file;
    bad[21] = static_cast<char>(bad[21] ^ 0x01);  // 6 -> 7
    CHECK_THAT(error_of(bad), Catch::StartsWith("record 1 at byte 21: length CRC mismatch"));
  }
  SECTION("a flipped bit in the data CRC") {
    std::string bad = file;
    bad[17] = static_cast<char>(bad[17] ^ 0x80);
    // Masked CRC of "first": 0xe523ff55 (python3 crcmod); its low byte flipped.
    CHECK(error_of(bad) ==
          "record 0 at byte 0: data CRC mismatch (stored 0xe523ffd5, computed 0xe523ff55) "
          "over 5 bytes");
  }
  SECTION("a flipped bit in the data") {
    std::string bad = file;
    bad[21 + 12] = 'S';
    CHECK_THAT(error_of(bad), Catch::StartsWith("record 1 at byte 21: data CRC mismatch"));
  }
  SECTION("a file cut inside the second header") {
    CHECK(error_of(file.substr(0, 26)) ==
          "record 1 at byte 21: truncated header: 5 of 12 bytes before the end of the file");
  }
  SECTION("a file cut inside the second record's data") {
    CHECK(error_of(file.substr(0, 21 + 12 + 3)) ==
          "record 1 at byte 21: length 6 exceeds the 3 bytes left after the header (corrupt length "
          "or truncated file)");
  }
  SECTION("a file cut inside the last data CRC") {
    CHECK(error_of(file.substr(0, file.size() - 1)) ==
          "record 1 at byte 21: truncated: 3 of 4 data CRC bytes after the 6 data bytes");
  }
  SECTION("a length larger than the file, with a valid length CRC") {
    std::string huge;
    for (int i = 0; i < 8; ++i) huge.push_back(static_cast<char>(0x7F));  // 2^63 - 1 - ...
    std::string crc;
    const uint32_t masked = MaskCrc32c(Crc32c(huge));
    for (int i = 0; i < 4; ++i) crc.push_back(static_cast<char>((masked >> (8 * i)) & 0xFF));
    const std::string bad = file + huge + crc + "tail";
    CHECK(error_of(bad) ==
          "record 2 at byte 43: length 9187201950435737471 exceeds the 4 bytes left "
          "after the header (corrupt length or truncated file)");
  }
  SECTION("a gzip-compressed file gets a hint") {
    const std::string gz = Bytes({0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
    CHECK_THAT(error_of(gz), Catch::Contains("gunzip it first"));
  }
  SECTION("after an error the reader stays failed") {
    const std::string cut = file.substr(0, 30);
    TfRecordReader reader(cut);
    TfRecordView v;
    Result<bool> first = reader.Next(&v);
    REQUIRE(first.ok());
    CHECK(*first);
    CHECK_FALSE(reader.Next(&v).ok());
    CHECK_FALSE(reader.Next(&v).ok());
    CHECK(reader.records_read() == 1);
  }
}

TEST_CASE("TFRecord file writer round-trips through the reader", "[womd][tfrecord]") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "tarmac_tfrecord_test";
  std::filesystem::create_directories(dir);
  const std::filesystem::path path = dir / "three.tfrecord";
  const std::vector<std::string> records = {"a", std::string(70000, '\x01'), ""};
  REQUIRE(WriteTfRecordFile(path, records).ok());
  Result<std::string> bytes = ReadFileBytes(path);
  REQUIRE(bytes.ok());
  CHECK(bytes->size() == 3 * 16 + 1 + 70000);
  Result<std::vector<TfRecordView>> back = SplitTfRecords(*bytes);
  REQUIRE(back.ok());
  REQUIRE(back->size() == 3);
  for (size_t i = 0; i < 3; ++i) CHECK((*back)[i].data == records[i]);
  CHECK_FALSE(WriteTfRecordFile(dir / "no" / "such" / "dir.tfrecord", records).ok());
}

}  // namespace
}  // namespace tarmac
