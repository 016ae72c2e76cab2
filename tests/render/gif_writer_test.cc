// Animated GIFs: a scenario becomes one frame per `stride` steps at real
// time, decodable by giflib, the same bytes every time.
#include <catch2/catch.hpp>
#include <gif_lib.h>

#include <filesystem>

#include "authoring/families.h"
#include "render/gif_writer.h"
#include "scenarios/scenario_io.h"

namespace tarmac {
namespace {

TEST_CASE("A scenario animates into a looping GIF at real time", "[render]") {
  Result<Generated> g = GenerateScenario("cut-in", 1, 0);
  REQUIRE(g.ok());
  const v1::Scenario& s = g->scenario;
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "tarmac_gif_test";
  std::filesystem::create_directories(dir);
  RenderOptions o;
  o.width_px = 320;
  o.height_px = 240;
  REQUIRE(RenderSceneGif(s, o, 3, dir / "a.gif").ok());
  REQUIRE(RenderSceneGif(s, o, 3, dir / "b.gif").ok());
  CHECK(*ReadFileBytes(dir / "a.gif") == *ReadFileBytes(dir / "b.gif"));

  int error = 0;
  GifFileType* gif = DGifOpenFileName((dir / "a.gif").string().c_str(), &error);
  REQUIRE(gif != nullptr);
  REQUIRE(DGifSlurp(gif) == GIF_OK);
  CHECK(gif->SWidth == 320);
  CHECK(gif->SHeight == 240);
  CHECK(gif->ImageCount == (s.time().num_steps() + 2) / 3);
  GraphicsControlBlock gcb;
  REQUIRE(DGifSavedExtensionToGCB(gif, 1, &gcb) == GIF_OK);
  CHECK(gcb.DelayTime == 30);  // 3 steps of 0.1 s
  CHECK(gcb.TransparentColor == 255);
  // The first frame is whole; the later ones only where something changed.
  CHECK(gif->SavedImages[0].ImageDesc.Width == 320);
  CHECK(gif->SavedImages[1].ImageDesc.Width * gif->SavedImages[1].ImageDesc.Height < 320 * 240);
  DGifCloseFile(gif, &error);
  std::filesystem::remove_all(dir);
}

TEST_CASE("GIF writing refuses bad input with a message", "[render]") {
  const std::filesystem::path path = std::filesystem::temp_directory_path() / "tarmac_gif_bad.gif";
  CHECK(WriteGif({}, 10, path).error().message.find("no frames") != std::string::npos);
  RgbImage a{2, 2, std::vector<uint8_t>(12, 0)}, b{3, 2, std::vector<uint8_t>(18, 0)};
  CHECK(WriteGif({a, b}, 10, path).error().message.find("differ in size") != std::string::npos);
  CHECK_FALSE(WriteGif({a}, 10, "/nonexistent/dir/x.gif").ok());
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace tarmac
