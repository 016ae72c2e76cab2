#include "scenarios/import/format.h"

#include <catch2/catch.hpp>

namespace tarmac {
namespace {

TEST_CASE("DetectFormat prefers content over extension", "[format]") {
  CHECK(DetectFormat("a.bin", "<?xml version=\"1.0\"?><commonRoad>") == Format::kCommonRoad);
  CHECK(DetectFormat("scene.dat", std::string_view("\x80\x04\x95", 3)) == Format::kScenarioNet);
  CHECK(DetectFormat("x.pb", "") == Format::kTarmacBinary);
  CHECK(DetectFormat("x.pbtxt", "id: \"a\"") == Format::kTarmacText);
  CHECK(DetectFormat("training.tfrecord-00000-of-01000", "\x10\x00") == Format::kWomd);
  CHECK(DetectFormat("tfrecord.json", "{") == Format::kGpuDrive);
  CHECK(DetectFormat("README", "hello") == Format::kUnknown);
}

TEST_CASE("Format names round-trip", "[format]") {
  for (Format f : AllFormats()) {
    const auto back = FormatFromName(FormatName(f));
    REQUIRE(back.has_value());
    CHECK(*back == f);
  }
  CHECK_FALSE(FormatFromName("nope").has_value());
}

}  // namespace
}  // namespace tarmac
