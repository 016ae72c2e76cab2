// `tarmac report`: one self-contained HTML file (no scripts, no external
// references) whose summary, comparison and verdict are those of `tarmac run`
// and `tarmac compare`, with PNG pictures of the worst scenarios.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "tests/support/shell.h"
#include "tests/support/synthetic_store.h"
#include "tests/support/test_data.h"

namespace tarmac {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string Unbase64(const std::string& s) {
  std::string out;
  int val = 0, bits = -8;
  for (char c : s) {
    int d;
    if (c >= 'A' && c <= 'Z') d = c - 'A';
    else if (c >= 'a' && c <= 'z') d = c - 'a' + 26;
    else if (c >= '0' && c <= '9') d = c - '0' + 52;
    else if (c == '+') d = 62;
    else if (c == '/') d = 63;
    else break;
    val = (val << 6) + d;
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

// Every check a self-contained report must pass; returns the PNGs' bytes.
std::vector<std::string> CheckSelfContained(const std::string& html) {
  CHECK(html.rfind("<!doctype html>", 0) == 0);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find("http://") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("url(") == std::string::npos);
  // Every src is a data URI; collect the PNGs (scanned by hand: std::regex
  // recurses per character and overflows the stack on long base64 runs).
  std::vector<std::string> pngs;
  for (size_t at = html.find("src=\""); at != std::string::npos; at = html.find("src=\"", at + 1)) {
    const std::string prefix = "src=\"data:image/png;base64,";
    REQUIRE(html.compare(at, prefix.size(), prefix) == 0);
    const size_t begin = at + prefix.size();
    const size_t end = html.find('"', begin);
    REQUIRE(end != std::string::npos);
    pngs.push_back(Unbase64(html.substr(begin, end - begin)));
  }
  for (const std::string& p : pngs) {
    REQUIRE(p.size() > 24);
    CHECK(p.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
    // IHDR width and height: 360 x 270.
    const auto be32 = [&](size_t at) {
      return (static_cast<uint32_t>(static_cast<unsigned char>(p[at])) << 24) |
             (static_cast<uint32_t>(static_cast<unsigned char>(p[at + 1])) << 16) |
             (static_cast<uint32_t>(static_cast<unsigned char>(p[at + 2])) << 8) |
             static_cast<uint32_t>(static_cast<unsigned char>(p[at + 3]));
    };
    CHECK(be32(16) == 360u);
    CHECK(be32(20) == 270u);
  }
  return pngs;
}

TEST_CASE("tarmac report: synthetic store, with and without a baseline", "[report]") {
  const fs::path dir = fs::temp_directory_path() / ("tarmac_report_test_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  testing::SyntheticStoreOptions o;
  o.runs = 3;
  o.scenarios = 150;
  o.traced = 60;  // the last run's scenarios 90..149 have traces and files
  o.files_dir = dir / "scenarios";
  REQUIRE(testing::MakeSyntheticStore(dir / "s.db", o).ok());
  const std::string db = (dir / "s.db").string();

  // With a baseline: the verdict and the worse list of tarmac compare.
  testing::ShellRun r =
      testing::RunTarmac("report --db " + db + " --run 3 --baseline 2 -o " + (dir / "r.html").string() + " --json");
  REQUIRE(r.code == 0);
  const json summary = json::parse(r.out);
  const testing::ShellRun c = testing::RunTarmac("compare 2 3 --json --db " + db);
  const json cmp = json::parse(c.out);
  CHECK(summary["compared"] == true);
  CHECK(summary["regression"] == cmp["regression"]);
  const std::string html = testing::ReadFileBytes(dir / "r.html");
  CHECK(html.size() == summary["bytes"].get<size_t>());
  const std::vector<std::string> pngs = CheckSelfContained(html);
  CHECK(html.find(std::string(cmp["regression"].get<bool>() ? "REGRESSION: " : "OK: ") +
                  cmp["reason"].get<std::string>()) != std::string::npos);
  for (const json& w : cmp["worse"]) CHECK(html.find(w["scenario"].get<std::string>()) != std::string::npos);
  // Pictures: the first 12 worse scenarios that have a trace and a file.
  int drawable = 0;
  for (size_t i = 0; i < std::min<size_t>(12, cmp["worse"].size()); ++i) {
    const int s = std::stoi(cmp["worse"][i]["scenario"].get<std::string>().substr(4));
    drawable += s >= 90 && !testing::SyntheticFailed(3, s) ? 1 : 0;
  }
  CHECK(summary["thumbnails"] == drawable);
  CHECK(pngs.size() == static_cast<size_t>(drawable));
  CHECK(drawable > 0);
  // A score pulled from a row appears as the compare numbers do.
  CHECK(html.find(fmt::format("{:.4f}", cmp["metrics"][0]["cand"].get<double>())) != std::string::npos);

  // Without a baseline: the summary of the run.
  r = testing::RunTarmac("report --db " + db + " --run nightly-003 -o " + (dir / "s.html").string() + " --json");
  REQUIRE(r.code == 0);
  const std::string plain = testing::ReadFileBytes(dir / "s.html");
  CheckSelfContained(plain);
  double sum = 0.0;
  int ok = 0;
  for (int s = 0; s < 150; ++s) {
    if (testing::SyntheticFailed(3, s)) continue;
    sum += testing::SyntheticScore(3, s);
    ++ok;
  }
  CHECK(plain.find(fmt::format("<b id=\"mean-score\">{:.4f}</b>", sum / ok)) != std::string::npos);
  CHECK(plain.find("id=\"verdict\"") == std::string::npos);

  // Input errors: exit 2, nothing written.
  CHECK(testing::RunTarmac("report --db " + db + " --run 99 -o " + (dir / "x.html").string()).code == 2);
  CHECK(testing::RunTarmac("report --db " + db + " --run 3 --baseline nope -o " + (dir / "x.html").string()).code == 2);
  CHECK(testing::RunTarmac("report --db /nonexistent.db --run 1 -o " + (dir / "x.html").string()).code == 2);
  CHECK(testing::RunTarmac("report --db " + db + " --run 3 -o /nonexistent/dir/x.html").code == 2);
  CHECK_FALSE(fs::exists(dir / "x.html"));
  CHECK(testing::RunTarmac("report --help").code == 0);
}

TEST_CASE("tarmac report: real runs, pictures of the worst scenarios drawn from their traces", "[report][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  const fs::path dir = fs::temp_directory_path() / ("tarmac_report_real_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string db = (dir / "real.db").string();
  const std::string common =
      " --agents idm --json --db " + db + " --scenarios " + testing::DataPath("nuscenes-mini-scenarionet").string();
  REQUIRE(testing::RunTarmac("run --planner pdm --run-name pdm" + common).code == 0);
  REQUIRE(testing::RunTarmac("run --planner constant-velocity --run-name cv" + common).code == 0);
  const testing::ShellRun r =
      testing::RunTarmac("report --db " + db + " --run cv --baseline pdm -o " + (dir / "r.html").string() + " --json");
  REQUIRE(r.code == 0);
  const json summary = json::parse(r.out);
  const json cmp = json::parse(testing::RunTarmac("compare pdm cv --json --db " + db).out);
  REQUIRE(!cmp["worse"].empty());
  // Every worse scenario has a trace and its file: each gets a picture.
  CHECK(summary["thumbnails"] == std::min<size_t>(12, cmp["worse"].size()));
  const std::vector<std::string> pngs = CheckSelfContained(testing::ReadFileBytes(dir / "r.html"));
  CHECK(pngs.size() == std::min<size_t>(12, cmp["worse"].size()));
  CHECK(summary["regression"] == cmp["regression"]);
}

}  // namespace
}  // namespace tarmac
