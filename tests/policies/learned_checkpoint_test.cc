// policies/learned/checkpoint.h: checkpoints round-trip bit for bit, and
// every kind of bad file (truncated, bit-flipped, another kind, another
// contract version, wrong tensor shapes, missing tensors, not a checkpoint)
// is refused with a message naming the file and the mismatch.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "policies/features/model_io.h"
#include "policies/learned/checkpoint.h"
#include "policies/learned/models.h"
#include "tests/policies/small_model_config.h"
#include "tests/support/test_data.h"

namespace tarmac::learned {
namespace {

namespace io = model_io;

ModelConfig Small(const std::string& kind) { return test_models::SmallModelConfig(kind, /*sample_steps=*/4); }

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("tarmac_ckpt_test_" + name)).string();
}

void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Observations with every value in [0, 1): masks and valid flags set where
// they are >= 0.5 after the builder's convention does not matter here.
torch::Tensor SomeObservations(int64_t b, uint64_t seed) {
  at::Generator g = at::detail::createCPUGenerator(seed);
  return torch::rand({b, static_cast<int64_t>(io::kObservationFloats)}, g, torch::kFloat);
}

std::string SaveSmall(const std::string& kind, const std::string& name) {
  torch::manual_seed(7);
  AnyModel m = MakeModel(Small(kind));
  CheckpointInfo info;
  info.config = m.config;
  info.data_hash = "sha256:test";
  info.code_rev = "test";
  info.training = {{"epoch", 1}};
  const std::string path = TempPath(name);
  REQUIRE(SaveCheckpoint(path, info, *m.module()).ok());
  return path;
}

// Rewrites a checkpoint's JSON header (and its checksum), keeping the tensors.
void EditHeader(const std::string& path, const std::function<void(nlohmann::json*)>& edit) {
  std::string bytes = testing::ReadFileBytes(path);
  uint64_t header_size = 0;
  std::memcpy(&header_size, bytes.data() + 12, sizeof(header_size));
  nlohmann::json header = nlohmann::json::parse(bytes.substr(20, header_size));
  edit(&header);
  const std::string h = header.dump(1);
  std::string out = bytes.substr(0, 12);
  const uint64_t n = h.size();
  out.append(reinterpret_cast<const char*>(&n), sizeof(n));
  out += h;
  out += bytes.substr(20 + header_size, bytes.size() - 20 - header_size - 8);
  const uint64_t sum = Fnv1a(out.data(), out.size());
  out.append(reinterpret_cast<const char*>(&sum), sizeof(sum));
  WriteAll(path, out);
}

TEST_CASE("a transformer checkpoint round-trips bit for bit: same weights, same outputs", "[learned][checkpoint]") {
  torch::manual_seed(3);
  AnyModel a = MakeModel(Small("transformer"));
  CheckpointInfo info;
  info.config = a.config;
  info.data_hash = "sha256:abc";
  info.code_rev = "deadbeef";
  info.training = {{"epoch", 4}, {"step", 123}};
  const std::string path = TempPath("roundtrip.ckpt");
  const std::vector<NamedTensor> optimiser = {{"m/x", torch::arange(6, torch::kFloat).view({2, 3})}};
  REQUIRE(SaveCheckpoint(path, info, *a.module(), optimiser).ok());
  Result<LoadedCheckpoint> b = LoadCheckpoint(path, "transformer");
  REQUIRE(b.ok());
  CHECK(b->info.data_hash == "sha256:abc");
  CHECK(b->info.code_rev == "deadbeef");
  CHECK(b->info.training["step"] == 123);
  CHECK(b->info.config.ToJson() == a.config.ToJson());
  REQUIRE(b->optimiser.size() == 1);
  CHECK(b->optimiser[0].name == "m/x");
  CHECK(torch::equal(b->optimiser[0].tensor, optimiser[0].tensor));
  const auto pa = a.module()->named_parameters(), pb = b->model.module()->named_parameters();
  REQUIRE(pa.size() == pb.size());
  for (const auto& p : pa) CHECK(torch::equal(p.value(), pb[p.key()]));
  torch::InferenceMode guard;
  a.module()->eval();
  b->model.module()->eval();
  const torch::Tensor obs = SomeObservations(4, 1);
  const PlannerOutput oa = a.transformer->forward(obs), ob = b->model.transformer->forward(obs);
  CHECK(torch::equal(oa.poses, ob.poses));
  CHECK(torch::equal(oa.scores, ob.scores));
  CHECK(oa.poses.sizes() == torch::IntArrayRef({4, 3, io::kFutureSteps, 3}));
  // Saving the loaded model again gives the same bytes.
  const std::string again = TempPath("roundtrip2.ckpt");
  REQUIRE(SaveCheckpoint(again, b->info, *b->model.module(), b->optimiser).ok());
  CHECK(testing::ReadFileBytes(path) == testing::ReadFileBytes(again));
}

TEST_CASE("a diffusion checkpoint round-trips: the same samples from the same noise", "[learned][checkpoint]") {
  const std::string path = SaveSmall("diffusion", "diffusion.ckpt");
  Result<LoadedCheckpoint> a = LoadCheckpoint(path, "diffusion");
  Result<LoadedCheckpoint> b = LoadCheckpoint(path, "");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  torch::InferenceMode guard;
  const torch::Tensor obs = SomeObservations(2, 2);
  const torch::Tensor noise = torch::randn({2, io::kFutureSteps, 3}, at::detail::createCPUGenerator(5));
  const torch::Tensor sa = a->model.diffusion->Sample(obs, noise), sb = b->model.diffusion->Sample(obs, noise);
  CHECK(torch::equal(sa, sb));
  CHECK(sa.sizes() == torch::IntArrayRef({2, io::kFutureSteps, 3}));
  CHECK(torch::isfinite(sa).all().item<bool>());
}

TEST_CASE("corrupt checkpoints are refused with the reason", "[learned][checkpoint]") {
  const std::string path = SaveSmall("transformer", "corrupt.ckpt");
  const std::string good = testing::ReadFileBytes(path);
  SECTION("truncated") {
    for (size_t keep : {size_t{5}, size_t{30}, good.size() / 2, good.size() - 1}) {
      WriteAll(path, good.substr(0, keep));
      Result<LoadedCheckpoint> r = LoadCheckpoint(path, "transformer");
      REQUIRE_FALSE(r.ok());
      INFO(r.error().message);
      CHECK(r.error().message.find(path) != std::string::npos);
      const bool named = r.error().message.find("truncated") != std::string::npos ||
                         r.error().message.find("corrupt") != std::string::npos ||
                         r.error().message.find("not a tarmac checkpoint") != std::string::npos;
      CHECK(named);
    }
  }
  SECTION("a bit flipped in the tensors or the header") {
    for (size_t at : {good.size() - 100, size_t{40}}) {
      std::string bad = good;
      bad[at] = static_cast<char>(bad[at] ^ 0x10);
      WriteAll(path, bad);
      Result<LoadedCheckpoint> r = LoadCheckpoint(path, "transformer");
      REQUIRE_FALSE(r.ok());
      INFO(r.error().message);
      CHECK(r.error().message.find("corrupt") != std::string::npos);
    }
  }
  SECTION("not a checkpoint at all") {
    WriteAll(path, "hello, this is a text file and not a checkpoint");
    Result<LoadedCheckpoint> r = LoadCheckpoint(path, "transformer");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("not a tarmac checkpoint") != std::string::npos);
  }
  SECTION("missing") {
    Result<LoadedCheckpoint> r = LoadCheckpoint(TempPath("does-not-exist.ckpt"), "transformer");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("cannot open") != std::string::npos);
  }
}

TEST_CASE("mismatched checkpoints are refused, naming the mismatch", "[learned][checkpoint]") {
  const std::string path = SaveSmall("transformer", "mismatch.ckpt");
  SECTION("another kind") {
    Result<LoadedCheckpoint> r = LoadCheckpoint(path, "diffusion");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "checkpoint " + path + ": holds a transformer model, not a diffusion model");
  }
  SECTION("another contract version") {
    EditHeader(path, [](nlohmann::json* h) { (*h)["contract"]["contract_version"] = io::kContractVersion + 1; });
    Result<LoadedCheckpoint> r = LoadCheckpoint(path, "transformer");
    REQUIRE_FALSE(r.ok());
    INFO(r.error().message);
    CHECK(r.error().message.find(fmt::format("contract contract_version is {}, this build's is {}",
                                             io::kContractVersion + 1, io::kContractVersion)) != std::string::npos);
  }
  SECTION("another normalisation") {
    EditHeader(path, [](nlohmann::json* h) { (*h)["contract"]["position_scale_m"] = 100.0; });
    Result<LoadedCheckpoint> r = LoadCheckpoint(path, "transformer");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("position_scale_m is 100.0") != std::string::npos);
  }
  SECTION("hyper-parameters that do not fit the tensors") {
    EditHeader(path, [](nlohmann::json* h) { (*h)["hyper_parameters"]["dim"] = 16; });
    Result<LoadedCheckpoint> r = LoadCheckpoint(path, "transformer");
    REQUIRE_FALSE(r.ok());
    INFO(r.error().message);
    CHECK(r.error().message.find("has shape [") != std::string::npos);
    CHECK(r.error().message.find("the model's is [") != std::string::npos);
  }
  SECTION("a tensor's recorded shape changed") {
    EditHeader(path, [](nlohmann::json* h) {
      for (auto& t : (*h)["tensors"]) {
        if (t["name"] == "model/mode_queries") t["shape"] = {32, 3};
      }
    });
    Result<LoadedCheckpoint> r = LoadCheckpoint(path, "transformer");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "checkpoint " + path + ": tensor 'model/mode_queries' has shape [32, 3], the model's is [3, 32]");
  }
  SECTION("a tensor missing") {
    EditHeader(path, [](nlohmann::json* h) {
      auto& t = (*h)["tensors"];
      t.erase(t.begin());
    });
    Result<LoadedCheckpoint> r = LoadCheckpoint(path, "transformer");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("is missing") != std::string::npos);
  }
  SECTION("bad hyper-parameters") {
    EditHeader(path, [](nlohmann::json* h) { (*h)["hyper_parameters"]["heads"] = 3; });
    Result<LoadedCheckpoint> r = LoadCheckpoint(path, "transformer");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "checkpoint " + path + ": hyper-parameters: heads 3 does not divide dim 32");
  }
  SECTION("another network layout (a transformer of the first version, which regressed poses)") {
    EditHeader(path, [](nlohmann::json* h) { (*h)["hyper_parameters"]["architecture"] = 1; });
    Result<LoadedCheckpoint> r = LoadCheckpoint(path, "transformer");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "checkpoint " + path +
                                   ": hyper-parameters: transformer architecture 1; this tarmac builds architecture 2 "
                                   "(retrain, or use the tarmac revision that wrote the checkpoint)");
  }
  SECTION("no architecture recorded: a checkpoint from before layouts were recorded, layout 1") {
    EditHeader(path, [](nlohmann::json* h) { (*h)["hyper_parameters"].erase("architecture"); });
    Result<LoadedCheckpoint> r = LoadCheckpoint(path, "transformer");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("transformer architecture 1; this tarmac builds architecture 2") != std::string::npos);
  }
}

}  // namespace
}  // namespace tarmac::learned
