// The `tarmac` executable end to end: info --json on every real file,
// validate's exit codes with a corrupt file among good ones, convert, render.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "tests/support/shell.h"
#include "tests/support/test_data.h"

namespace tarmac {
namespace {

std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  }
  return lines;
}

TEST_CASE("CLI: scenario info --json on all 25 CommonRoad and 7 ScenarioNet files", "[cli][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  const testing::ShellRun r =
      testing::RunTarmac("scenario info --json " + testing::DataPath("commonroad-ngsim").string() + " " +
                         testing::DataPath("nuscenes-mini-scenarionet").string());
  REQUIRE(r.code == 0);
  const std::vector<nlohmann::json> lines = JsonLines(r.out);
  REQUIRE(lines.size() == 32);
  // Independent counts: SOURCES.md (CommonRoad table; ScenarioNet "steps" and
  // "tracks (incl. ego)" per scene).
  const std::map<std::string, std::pair<int, int>> expected = {
      {"USA_Lanker-1_3_T-1", {36, 41}},  {"USA_US101-5_1_T-1", {25, 101}}, {"USA_US101-3_1_T-1", {35, 81}},
      {"USA_Lanker-1_1_T-1", {24, 41}},  {"USA_Peach-4_8_T-1", {9, 61}},   {"USA_US101-3_3_T-1", {12, 32}},
      {"USA_US101-4_1_T-1", {22, 101}},  {"USA_Lanker-1_4_T-1", {34, 16}}, {"USA_US101-15_1_T-1", {37, 81}},
      {"USA_US101-6_1_T-1", {29, 81}},   {"USA_US101-8_1_T-1", {27, 76}},  {"USA_Lanker-1_12_T-1", {19, 16}},
      {"USA_Lanker-1_16_T-1", {35, 11}}, {"USA_Lanker-1_6_T-1", {34, 11}}, {"USA_Lanker-1_7_T-1", {22, 16}},
      {"USA_Peach-1_1_T-1", {3, 31}},    {"USA_Peach-2_1_T-1", {16, 106}}, {"USA_Peach-4_3_T-1", {6, 71}},
      {"USA_Peach-4_7_T-1", {19, 131}},  {"USA_US101-10_2_T-1", {11, 28}}, {"USA_US101-14_2_T-1", {13, 28}},
      {"USA_US101-26_2_T-1", {27, 81}},  {"USA_US101-4_2_T-1", {10, 32}},  {"USA_US101-4_3_T-1", {23, 101}},
      {"USA_US101-8_2_T-1", {10, 28}},   {"scene-0061", {226, 191}},       {"scene-0103", {122, 196}},
      {"scene-0553", {57, 201}},         {"scene-0655", {141, 201}},       {"scene-0796", {52, 196}},
      {"scene-1077", {73, 201}},         {"scene-1100", {33, 196}},
  };
  for (const nlohmann::json& j : lines) {
    INFO(j.dump());
    for (const char* key : {"file", "format", "num_tracks", "num_steps", "dt", "num_lanes", "ego"}) {
      REQUIRE(j.contains(key));
    }
    const auto it = expected.find(j["id"].get<std::string>());
    REQUIRE(it != expected.end());
    CHECK(j["num_tracks"].get<int>() == it->second.first);
    CHECK(j["num_steps"].get<int>() == it->second.second);
    CHECK(j["dt"].get<double>() == Approx(0.1));
    CHECK(j["num_lanes"].get<int>() > 0);
    const bool nuscenes = j["format"] == "scenarionet-pickle";
    CHECK(j["ego"].get<std::string>() == (nuscenes ? "track ego" : "initial state at step 0"));
  }
}

TEST_CASE("CLI: validate reports a corrupt file, goes on, and exits 2", "[cli][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "tarmac_cli_validate";
  std::filesystem::create_directories(dir);
  const std::filesystem::path good = testing::SourceDir() / "suites/default/commonroad/USA_US101-3_3_T-1.xml";
  std::ifstream in(good, std::ios::binary);
  std::string xml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::filesystem::path bad = dir / "truncated.xml";
  std::ofstream(bad, std::ios::binary) << xml.substr(0, xml.size() / 3);
  const testing::ShellRun r = testing::RunTarmac("scenario validate --json " + bad.string() + " " + good.string());
  CHECK(r.code == 2);
  const std::vector<nlohmann::json> lines = JsonLines(r.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["ok"] == false);
  CHECK_THAT(lines[0]["error"].get<std::string>(), Catch::Contains("truncated.xml: malformed XML at line"));
  CHECK(lines[1]["ok"] == true);
  CHECK(testing::RunTarmac("scenario validate " + good.string()).code == 0);
  CHECK(testing::RunTarmac("scenario info /nonexistent.xml").code == 2);
  CHECK(testing::RunTarmac("scenario frobnicate").code == 2);
}

TEST_CASE("CLI: convert and render", "[cli]") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "tarmac_cli_convert";
  std::filesystem::create_directories(dir);
  const std::string src = (testing::SourceDir() / "suites/default/commonroad/USA_Peach-4_8_T-1.xml").string();
  for (const char* ext : {".pbtxt", ".tfrecord", ".json"}) {
    INFO(ext);
    const std::string out = (dir / (std::string("peach") + ext)).string();
    REQUIRE(testing::RunTarmac("scenario convert " + src + " " + out).code == 0);
    const testing::ShellRun info = testing::RunTarmac("scenario info --json " + out);
    REQUIRE(info.code == 0);
    const std::vector<nlohmann::json> lines = JsonLines(info.out);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0]["id"] == "USA_Peach-4_8_T-1");
    CHECK(lines[0]["num_steps"] == 61);
    CHECK(lines[0]["dataset"] == "NGSIM (CommonRoad)");  // the origin survives every format
  }
  const std::string png = (dir / "peach.png").string();
  std::filesystem::remove(png);
  REQUIRE(testing::RunTarmac("scenario render " + src + " --time 2.5 -o " + png).code == 0);
  std::ifstream in(png, std::ios::binary);
  char magic[8] = {};
  in.read(magic, 8);
  CHECK(std::string(magic + 1, 3) == "PNG");
  CHECK(testing::RunTarmac("scenario render " + src + " --time 99 -o " + png).code == 2);  // past the end
}

}  // namespace
}  // namespace tarmac
