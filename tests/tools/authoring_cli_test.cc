// `tarmac scenario new|build|generate|perturb` and `render --animate` end to
// end, and .spec files read like any scenario by validate, info and run.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "scenarios/scenario_io.h"
#include "tests/support/shell.h"
#include "tests/support/test_data.h"

namespace tarmac {
namespace {

// The tarmac binary run in `dir`, where the commands' relative paths resolve.
testing::ShellRun Tarmac(const std::filesystem::path& dir, const std::string& args) {
  return testing::RunTarmac(args, dir);
}

TEST_CASE("CLI: new, build, validate and run a spec", "[cli][authoring]") {
  const std::filesystem::path dir = testing::FreshTempDir("tarmac_cli_authoring");
  REQUIRE(Tarmac(dir, "scenario new --list").out.find("pedestrian-crossing\n") != std::string::npos);
  REQUIRE(Tarmac(dir, "scenario new --template cut-in -o cut.spec").code == 0);
  CHECK(Tarmac(dir, "scenario new --template cut-in -o cut.spec").code == 2);  // no silent overwrite
  CHECK(Tarmac(dir, "scenario new --template roundabout -o r.spec").err.find("is not one of") != std::string::npos);
  const testing::ShellRun build = Tarmac(dir, "scenario build cut.spec -o cut.pb");
  REQUIRE(build.code == 0);
  CHECK(build.out == "cut.spec -> cut.pb (2 tracks, 9.0 s)\n");
  CHECK(Tarmac(dir, "scenario validate cut.spec cut.pb").code == 0);
  // A .spec is read like any scenario file: info, run.
  const testing::ShellRun info = Tarmac(dir, "scenario info cut.spec");
  CHECK(info.out.find("format    tarmac-spec") != std::string::npos);
  const testing::ShellRun run = Tarmac(dir, "run --scenarios cut.spec --planner pdm --db r.db --json");
  INFO(run.err);
  CHECK(run.code == 0);

  // A mistake: the error names the file, line, column and field, exit 2.
  std::ofstream(dir / "bad.spec") << "id: \"bad\"\nroad { straight { lanes: 2 } }\n"
                                     "ego { start { lane: \"lane9\" s_m: 10 } }\n";
  const testing::ShellRun bad = Tarmac(dir, "scenario build bad.spec -o bad.pb");
  CHECK(bad.code == 2);
  CHECK(bad.err == "bad.spec:3:15: ego.start.lane: no lane 'lane9' (lanes: lane0, lane1)\n");
  CHECK_FALSE(std::filesystem::exists(dir / "bad.pb"));
  const testing::ShellRun validate = Tarmac(dir, "scenario validate bad.spec cut.spec");
  CHECK(validate.code == 2);
  CHECK(validate.out.find("bad.spec: error: bad.spec:3:15: ego.start.lane") != std::string::npos);
  CHECK(validate.out.find("1 file(s) valid, 1 invalid") != std::string::npos);
}

TEST_CASE("CLI: generate is byte-identical for a seed, a folder counts each scenario once", "[cli][authoring]") {
  const std::filesystem::path dir = testing::FreshTempDir("tarmac_cli_generate");
  REQUIRE(Tarmac(dir, "scenario generate --family all --count 2 --seed 5 -o a").code == 0);
  REQUIRE(Tarmac(dir, "scenario generate --family all --count 2 --seed 5 -o b").code == 0);
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / "a")) {
    ++files;
    CHECK(testing::ReadFileBytes(e.path()) == testing::ReadFileBytes(dir / "b" / e.path().filename()));
  }
  CHECK(files == 32);  // 8 families x 2 x (.pb + .spec)
  // The .spec beside each .pb is skipped in folders: 16 scenarios, not 32.
  const testing::ShellRun validate = Tarmac(dir, "scenario validate a");
  CHECK(validate.code == 0);
  CHECK(validate.out.find("16 file(s) valid, 0 invalid") != std::string::npos);
  CHECK(Tarmac(dir, "scenario generate --family roundabout -o c").code == 2);
  CHECK(Tarmac(dir, "scenario generate --family merge --count 0 -o c").code == 2);
}

TEST_CASE("CLI: perturb a recorded scenario and animate it", "[cli][authoring]") {
  const std::filesystem::path dir = testing::FreshTempDir("tarmac_cli_perturb");
  const std::string src = (testing::SourceDir() / "suites/default/commonroad/USA_Peach-4_8_T-1.xml").string();
  const testing::ShellRun p =
      Tarmac(dir, "scenario perturb " + src + " --op inject-agent --kind stopped-vehicle --seed 2 -o p.pb");
  INFO(p.err);
  REQUIRE(p.code == 0);
  CHECK(p.out.find("(USA_Peach-4_8_T-1~inject-agent-2): a stopped vehicle 'injected-stopped-vehicle'") !=
        std::string::npos);
  CHECK(Tarmac(dir, "scenario validate p.pb").code == 0);
  REQUIRE(Tarmac(dir, "scenario perturb " + src + " --op inject-agent --kind stopped-vehicle --seed 2 -o q.pb").code ==
          0);
  CHECK(testing::ReadFileBytes(dir / "p.pb") == testing::ReadFileBytes(dir / "q.pb"));
  CHECK(Tarmac(dir, "scenario perturb " + src + " --op twist -o x.pb").code == 2);

  const testing::ShellRun gif =
      Tarmac(dir, "scenario render p.pb --animate --stride 5 --width 200 --height 150 -o p.gif");
  REQUIRE(gif.code == 0);
  CHECK(testing::ReadFileBytes(dir / "p.gif").substr(0, 6) == "GIF89a");
  CHECK(Tarmac(dir, "scenario render p.pb --animate -o p.png").code == 2);
}

}  // namespace
}  // namespace tarmac
