#include "render/gif_writer.h"

#include <fmt/format.h>
#include <gif_lib.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <cmath>
#include <map>
#include <memory>

namespace tarmac {
namespace {

// Palette entries for colours; index kTransparent marks "unchanged since the
// previous frame" in every frame after the first.
constexpr size_t kColours = 255;
constexpr int kTransparent = 255;

uint32_t Pack(const uint8_t* p) { return (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2]; }

// The kColours most frequent colours over (a sample of) the frames; ties broken by
// colour value so the palette does not depend on map iteration order.
std::vector<uint32_t> ChoosePalette(const std::vector<RgbImage>& frames) {
  std::map<uint32_t, uint64_t> counts;
  const size_t step = std::max<size_t>(1, frames.size() / 16);
  for (size_t f = 0; f < frames.size(); f += step) {
    const std::vector<uint8_t>& rgb = frames[f].rgb;
    for (size_t i = 0; i + 2 < rgb.size(); i += 3) ++counts[Pack(&rgb[i])];
  }
  std::vector<std::pair<uint64_t, uint32_t>> by_count;
  by_count.reserve(counts.size());
  for (const auto& [colour, n] : counts) by_count.emplace_back(n, colour);
  std::sort(by_count.begin(), by_count.end(),
            [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  std::vector<uint32_t> palette;
  for (size_t i = 0; i < by_count.size() && palette.size() < kColours; ++i) palette.push_back(by_count[i].second);
  while (palette.size() < kColours) palette.push_back(0);
  return palette;
}

class Quantiser {
 public:
  explicit Quantiser(const std::vector<uint32_t>& palette) : palette_(palette) {}
  uint8_t Index(uint32_t c) {
    auto it = cache_.find(c);
    if (it != cache_.end()) return it->second;
    int best = 0;
    int64_t best_d = INT64_MAX;
    for (size_t i = 0; i < palette_.size(); ++i) {
      const int64_t dr = int64_t((c >> 16) & 255) - int64_t((palette_[i] >> 16) & 255);
      const int64_t dg = int64_t((c >> 8) & 255) - int64_t((palette_[i] >> 8) & 255);
      const int64_t db = int64_t(c & 255) - int64_t(palette_[i] & 255);
      const int64_t d = 3 * dr * dr + 4 * dg * dg + 2 * db * db;
      if (d < best_d) {
        best_d = d;
        best = static_cast<int>(i);
      }
    }
    cache_.emplace(c, static_cast<uint8_t>(best));
    return static_cast<uint8_t>(best);
  }

 private:
  const std::vector<uint32_t>& palette_;
  std::map<uint32_t, uint8_t> cache_;
};

struct GifCloser {
  void operator()(GifFileType* g) const {
    int error = 0;
    if (g != nullptr) EGifCloseFile(g, &error);
  }
};

}  // namespace

Result<void> WriteGif(const std::vector<RgbImage>& frames, int delay_cs, const std::filesystem::path& path) {
  if (frames.empty()) return Error{fmt::format("{}: no frames to write", path.string())};
  const int w = frames.front().width, h = frames.front().height;
  for (const RgbImage& f : frames) {
    if (f.width != w || f.height != h || f.rgb.size() != static_cast<size_t>(w) * static_cast<size_t>(h) * 3) {
      return Error{fmt::format("{}: frames differ in size", path.string())};
    }
  }
  const std::vector<uint32_t> palette = ChoosePalette(frames);
  std::array<GifColorType, 256> colours{};
  for (size_t i = 0; i < kColours; ++i) {
    colours[i] = {static_cast<GifByteType>(palette[i] >> 16), static_cast<GifByteType>(palette[i] >> 8),
                  static_cast<GifByteType>(palette[i])};
  }
  std::unique_ptr<ColorMapObject, decltype(&GifFreeMapObject)> map(GifMakeMapObject(256, colours.data()),
                                                                     &GifFreeMapObject);
  int error = 0;
  const int fd = ::open(path.string().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (fd < 0) return Error{fmt::format("{}: cannot open for writing: {}", path.string(), std::strerror(errno))};
  std::unique_ptr<GifFileType, GifCloser> gif(EGifOpenFileHandle(fd, &error));  // owns fd from here
  if (!gif) {
    ::close(fd);
    return Error{fmt::format("{}: cannot open for writing: {}", path.string(), GifErrorString(error))};
  }
  auto fail = [&](const char* what) {
    return Error{fmt::format("{}: {} failed: {}", path.string(), what, GifErrorString(gif->Error))};
  };
  EGifSetGifVersion(gif.get(), true);
  if (EGifPutScreenDesc(gif.get(), w, h, 8, 0, map.get()) == GIF_ERROR) return fail("screen descriptor");
  // NETSCAPE2.0 application extension: loop forever.
  static const GifByteType kNetscape[] = {'N', 'E', 'T', 'S', 'C', 'A', 'P', 'E', '2', '.', '0'};
  static const GifByteType kLoop[] = {1, 0, 0};
  if (EGifPutExtensionLeader(gif.get(), APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
      EGifPutExtensionBlock(gif.get(), sizeof(kNetscape), kNetscape) == GIF_ERROR ||
      EGifPutExtensionBlock(gif.get(), sizeof(kLoop), kLoop) == GIF_ERROR ||
      EGifPutExtensionTrailer(gif.get()) == GIF_ERROR) {
    return fail("loop extension");
  }

  Quantiser quantiser(palette);
  const size_t pixels = static_cast<size_t>(w) * static_cast<size_t>(h);
  std::vector<uint8_t> previous, indices(pixels), coded(pixels);
  for (size_t f = 0; f < frames.size(); ++f) {
    const std::vector<uint8_t>& rgb = frames[f].rgb;
    for (size_t i = 0; i < indices.size(); ++i) indices[i] = quantiser.Index(Pack(&rgb[3 * i]));
    // The rectangle that changed since the previous frame (all of frame 0).
    int x0 = 0, y0 = 0, x1 = w - 1, y1 = h - 1;
    if (!previous.empty()) {
      x0 = w, y0 = h, x1 = -1, y1 = -1;
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
          const size_t i = static_cast<size_t>(y) * static_cast<size_t>(w) + static_cast<size_t>(x);
          if (indices[i] == previous[i]) continue;
          x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
        }
      }
      if (x1 < 0) x0 = y0 = x1 = y1 = 0;  // unchanged: a 1-pixel frame keeps the timing
    }
    // Inside the rectangle, unchanged pixels are transparent: long runs of
    // one index, which LZW codes in a few bits.
    for (size_t i = 0; i < pixels; ++i) {
      coded[i] = (!previous.empty() && indices[i] == previous[i]) ? kTransparent : indices[i];
    }
    GraphicsControlBlock gcb{};
    gcb.DisposalMode = DISPOSE_DO_NOT;
    gcb.DelayTime = delay_cs;
    gcb.TransparentColor = previous.empty() ? NO_TRANSPARENT_COLOR : kTransparent;
    GifByteType ext[4];
    const size_t n = EGifGCBToExtension(&gcb, ext);
    if (EGifPutExtension(gif.get(), GRAPHICS_EXT_FUNC_CODE, static_cast<int>(n), ext) == GIF_ERROR) {
      return fail("frame timing");
    }
    const int fw = x1 - x0 + 1, fh = y1 - y0 + 1;
    if (EGifPutImageDesc(gif.get(), x0, y0, fw, fh, false, nullptr) == GIF_ERROR) return fail("frame descriptor");
    for (int y = y0; y <= y1; ++y) {
      GifPixelType* row = &coded[static_cast<size_t>(y) * static_cast<size_t>(w) + static_cast<size_t>(x0)];
      if (EGifPutLine(gif.get(), row, fw) == GIF_ERROR) return fail("frame pixels");
    }
    previous = indices;
  }
  GifFileType* raw = gif.release();
  if (EGifCloseFile(raw, &error) == GIF_ERROR) {
    return Error{fmt::format("{}: closing failed: {}", path.string(), GifErrorString(error))};
  }
  return {};
}

Result<void> RenderSceneGif(const v1::Scenario& scenario, const RenderOptions& options, int stride,
                            const std::filesystem::path& path) {
  if (stride < 1) return Error{fmt::format("frame stride {} must be at least 1", stride)};
  RenderOptions o = options;
  o.fit_whole_scenario = true;
  std::vector<RgbImage> frames;
  for (int k = 0; k < scenario.time().num_steps(); k += stride) {
    Result<RgbImage> frame = RenderSceneRgb(scenario, k, o);
    if (!frame.ok()) return frame.error();
    frames.push_back(std::move(*frame));
  }
  const int delay_cs = std::max(2, static_cast<int>(std::lround(100.0 * stride * scenario.time().dt_s())));
  return WriteGif(frames, delay_cs, path);
}

}  // namespace tarmac
