// Lossless round trips through .pb and .pbtxt for every importer's output.
#include "scenarios/scenario_io.h"

#include <catch2/catch.hpp>
#include <google/protobuf/util/message_differencer.h>

#include <filesystem>

#include "tests/support/test_data.h"

namespace tarmac {
namespace {

void CheckRoundTrip(const v1::Scenario& s) {
  INFO("scenario " << s.id());
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "tarmac_roundtrip";
  std::filesystem::create_directories(dir);
  for (const char* ext : {".pb", ".pbtxt"}) {
    const std::filesystem::path path = dir / (s.id() + ext);
    REQUIRE(WriteScenario(s, path).ok());
    Result<std::vector<v1::Scenario>> back = ReadScenarios(path);
    if (!back.ok()) FAIL(back.error().message);
    REQUIRE(back->size() == 1);
    // Bit-exact: every double survives the text encoding too.
    CHECK(google::protobuf::util::MessageDifferencer::Equals(s, back->front()));
    CHECK(SerializeBinary(s) == SerializeBinary(back->front()));
  }
}

TEST_CASE("Round trip: imported CommonRoad scenarios through .pb and .pbtxt", "[scenario_io][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(testing::DataPath("commonroad-ngsim"))) {
    if (entry.path().extension() != ".xml") continue;
    Result<std::vector<v1::Scenario>> r = ReadScenarios(entry.path());
    if (!r.ok()) FAIL(r.error().message);
    for (const v1::Scenario& s : *r) CheckRoundTrip(s);
  }
}

TEST_CASE("Binary encoding is deterministic", "[scenario_io]") {
  v1::Scenario s;
  s.set_id("det");
  s.mutable_time()->set_dt_s(0.1);
  s.mutable_time()->set_num_steps(1);
  CHECK(SerializeBinary(s) == SerializeBinary(s));
}

TEST_CASE("Reading reports missing files and unknown formats by name", "[scenario_io]") {
  Result<std::vector<v1::Scenario>> r = ReadScenarios("/nonexistent/x.pb");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "/nonexistent/x.pb: cannot open: No such file or directory");
  Result<std::vector<v1::Scenario>> u = ParseScenarios("hello", "notes.txt", Format::kUnknown);
  REQUIRE_FALSE(u.ok());
  CHECK_THAT(u.error().message, Catch::StartsWith("notes.txt: unrecognised format"));
  Result<std::vector<v1::Scenario>> t = ParseScenarios("id: 3 3", "bad.pbtxt", Format::kTarmacText);
  REQUIRE_FALSE(t.ok());
  CHECK_THAT(t.error().message, Catch::StartsWith("bad.pbtxt: line 1, column"));
}

}  // namespace
}  // namespace tarmac
