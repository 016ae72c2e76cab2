#include "policies/learned/checkpoint.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "policies/features/model_io.h"

namespace tarmac::learned {
namespace {

namespace io = model_io;
constexpr char kMagic[8] = {'T', 'A', 'R', 'M', 'A', 'C', 'C', 'K'};
constexpr size_t kPrefix = sizeof(kMagic) + sizeof(uint32_t) + sizeof(uint64_t);
constexpr uint64_t kMaxHeader = 64ull << 20;

static_assert(std::endian::native == std::endian::little, "checkpoints are little-endian; so is every target tarmac builds for");

template <typename T>
void Put(std::string* out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out->append(b, sizeof(T));
}
template <typename T>
T Get(const std::string& s, size_t at) {
  T v;
  std::memcpy(&v, s.data() + at, sizeof(T));
  return v;
}

std::string ShapeString(const std::vector<int64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

Result<std::vector<int64_t>> ShapeOf(const nlohmann::json& j, const std::string& name) {
  if (!j.is_array()) return Error{fmt::format("tensor '{}': shape is not an array", name)};
  std::vector<int64_t> shape;
  for (const auto& d : j) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0) return Error{fmt::format("tensor '{}': bad shape {}", name, j.dump())};
    shape.push_back(d.get<int64_t>());
  }
  return shape;
}

}  // namespace

uint64_t Fnv1a(const void* bytes, size_t n, uint64_t hash) {
  const auto* p = static_cast<const unsigned char*>(bytes);
  for (size_t i = 0; i < n; ++i) {
    hash ^= p[i];
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

nlohmann::json ContractJson() {
  return {{"contract_version", io::kContractVersion},
          {"observation_floats", io::kObservationFloats},
          {"history_steps", io::kHistorySteps},
          {"future_steps", io::kFutureSteps},
          {"max_agents", io::kMaxAgents},
          {"max_lanes", io::kMaxLanes},
          {"lane_points", io::kLanePoints},
          {"max_static", io::kMaxStatic},
          {"position_scale_m", io::kPositionScale},
          {"velocity_scale_mps", io::kVelocityScale},
          {"size_scale_m", io::kSizeScale},
          {"speed_limit_scale_mps", io::kSpeedLimitScale},
          {"output", "x, y [m], heading [rad], actor frame; predicted in units of position_scale_m"}};
}

Result<void> SaveCheckpoint(const std::string& path, const CheckpointInfo& info, const torch::nn::Module& model,
                            const std::vector<NamedTensor>& optimiser) {
  try {
    std::vector<NamedTensor> all;
    for (const auto& p : model.named_parameters()) all.push_back({"model/" + p.key(), p.value()});
    for (const auto& p : model.named_buffers()) all.push_back({"model/" + p.key(), p.value()});
    for (const NamedTensor& t : optimiser) all.push_back({"optimiser/" + t.name, t.tensor});
    nlohmann::json table = nlohmann::json::array();
    std::string data;
    for (const NamedTensor& t : all) {
      const torch::Tensor c = t.tensor.detach().to(torch::kCPU).to(torch::kFloat).contiguous();
      table.push_back({{"name", t.name}, {"shape", c.sizes().vec()}, {"offset", data.size()}});
      data.append(reinterpret_cast<const char*>(c.data_ptr<float>()), static_cast<size_t>(c.numel()) * sizeof(float));
    }
    const nlohmann::json header = {{"format", "tarmac-checkpoint"},
                                   {"kind", info.config.kind},
                                   {"contract", ContractJson()},
                                   {"hyper_parameters", info.config.ToJson()},
                                   {"data_hash", info.data_hash},
                                   {"code_rev", info.code_rev},
                                   {"training", info.training},
                                   {"tensor_bytes", data.size()},
                                   {"tensors", table}};
    const std::string h = header.dump(1);
    std::string out(kMagic, sizeof(kMagic));
    Put<uint32_t>(&out, kCheckpointFormat);
    Put<uint64_t>(&out, h.size());
    out += h;
    out += data;
    Put<uint64_t>(&out, Fnv1a(out.data(), out.size()));
    const std::string tmp = path + ".tmp";
    {
      std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
      if (!f) return Error{fmt::format("{}: cannot write the checkpoint", tmp)};
      f.write(out.data(), static_cast<std::streamsize>(out.size()));
      if (!f) return Error{fmt::format("{}: write failed", tmp)};
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) return Error{fmt::format("{}: cannot rename to {}: {}", tmp, path, ec.message())};
    return {};
  } catch (const c10::Error& e) {
    return Error{fmt::format("{}: saving the checkpoint failed: {}", path, e.what_without_backtrace())};
  }
}

Result<LoadedCheckpoint> LoadCheckpoint(const std::string& path, const std::string& kind) {
  auto fail = [&](const std::string& what) { return Error{fmt::format("checkpoint {}: {}", path, what)}; };
  std::string bytes;
  {
    std::ifstream f(path, std::ios::binary);
    if (!f) return fail("cannot open the file");
    std::ostringstream s;
    s << f.rdbuf();
    bytes = s.str();
  }
  // Frame: magic, version, sizes, checksum.
  if (bytes.size() < kPrefix + sizeof(uint64_t) || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return fail("not a tarmac checkpoint (no TARMACCK magic at the start)");
  }
  const uint32_t version = Get<uint32_t>(bytes, sizeof(kMagic));
  if (version != kCheckpointFormat) {
    return fail(fmt::format("format version {}; this build reads version {}", version, kCheckpointFormat));
  }
  const uint64_t header_size = Get<uint64_t>(bytes, sizeof(kMagic) + sizeof(uint32_t));
  if (header_size > kMaxHeader || kPrefix + header_size + sizeof(uint64_t) > bytes.size()) {
    return fail(fmt::format("truncated or corrupt: header of {} bytes in a file of {} bytes", header_size, bytes.size()));
  }
  const uint64_t stored = Get<uint64_t>(bytes, bytes.size() - sizeof(uint64_t));
  const uint64_t actual = Fnv1a(bytes.data(), bytes.size() - sizeof(uint64_t));
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.substr(kPrefix, header_size));
  } catch (const nlohmann::json::exception& e) {
    return fail(fmt::format("corrupt header (not JSON: {})", e.what()));
  }
  const size_t data_at = kPrefix + header_size;
  const size_t data_size = bytes.size() - sizeof(uint64_t) - data_at;
  if (!header.is_object() || !header.contains("tensor_bytes") || !header["tensor_bytes"].is_number_unsigned()) {
    return fail("corrupt header (no tensor_bytes)");
  }
  if (header["tensor_bytes"].get<uint64_t>() != data_size) {
    return fail(fmt::format("truncated or corrupt: the header lists {} tensor bytes, the file holds {}",
                            header["tensor_bytes"].get<uint64_t>(), data_size));
  }
  if (stored != actual) {
    return fail(fmt::format("corrupt: checksum {:016x} does not match the contents ({:016x})", stored, actual));
  }
  // Self-description against this build.
  if (header.value("format", "") != "tarmac-checkpoint") return fail("header 'format' is not tarmac-checkpoint");
  if (!header.contains("contract") || !header["contract"].is_object()) return fail("header has no 'contract'");
  const nlohmann::json want = ContractJson();
  const nlohmann::json& have = header["contract"];
  for (const auto& [key, value] : want.items()) {
    if (!have.contains(key)) return fail(fmt::format("contract field '{}' missing", key));
    if (have[key] != value) {
      return fail(fmt::format("contract {} is {}, this build's is {}{}", key, have[key].dump(), value.dump(),
                              key == "contract_version" ? " (retrain or convert the model)" : ""));
    }
  }
  Result<ModelConfig> config = ModelConfig::FromJson(header.value("hyper_parameters", nlohmann::json()));
  if (!config.ok()) return fail(config.error().message);
  if (header.value("kind", "") != config->kind) {
    return fail(fmt::format("kind '{}' differs from its hyper-parameters' '{}'", header.value("kind", ""), config->kind));
  }
  if (!kind.empty() && config->kind != kind) {
    return fail(fmt::format("holds a {} model, not a {} model", config->kind, kind));
  }
  LoadedCheckpoint out;
  out.info.config = *config;
  out.info.data_hash = header.value("data_hash", "");
  out.info.code_rev = header.value("code_rev", "");
  out.info.training = header.value("training", nlohmann::json::object());
  // Tensors: every one of the network, with its shape; nothing else but the optimiser's.
  try {
    out.model = MakeModel(*config);
    std::map<std::string, torch::Tensor> wanted;
    const auto module = out.model.module();
    for (const auto& p : module->named_parameters()) wanted["model/" + p.key()] = p.value();
    for (const auto& p : module->named_buffers()) wanted["model/" + p.key()] = p.value();
    if (!header.contains("tensors") || !header["tensors"].is_array()) return fail("header has no tensor table");
    std::map<std::string, int> seen;
    torch::NoGradGuard no_grad;
    for (const auto& entry : header["tensors"]) {
      if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() || !entry.contains("offset") ||
          !entry["offset"].is_number_unsigned()) {
        return fail(fmt::format("bad tensor table entry {}", entry.dump()));
      }
      const std::string name = entry["name"].get<std::string>();
      Result<std::vector<int64_t>> shape = ShapeOf(entry.value("shape", nlohmann::json()), name);
      if (!shape.ok()) return fail(shape.error().message);
      if (++seen[name] > 1) return fail(fmt::format("tensor '{}' appears twice", name));
      int64_t numel = 1;
      for (int64_t d : *shape) numel *= d;
      const uint64_t offset = entry["offset"].get<uint64_t>();
      const uint64_t size = static_cast<uint64_t>(numel) * sizeof(float);
      if (offset > data_size || size > data_size - offset) {
        return fail(fmt::format("tensor '{}' {} lies outside the file's tensor data", name, ShapeString(*shape)));
      }
      torch::Tensor t = torch::empty(*shape, torch::kFloat);
      std::memcpy(t.data_ptr<float>(), bytes.data() + data_at + offset, size);
      if (name.rfind("optimiser/", 0) == 0) {
        out.optimiser.push_back({name.substr(10), t});
        continue;
      }
      auto it = wanted.find(name);
      if (it == wanted.end()) {
        return fail(fmt::format("tensor '{}' is not part of a {} model with these hyper-parameters", name, config->kind));
      }
      if (it->second.sizes().vec() != *shape) {
        return fail(fmt::format("tensor '{}' has shape {}, the model's is {}", name, ShapeString(*shape),
                                ShapeString(it->second.sizes().vec())));
      }
      it->second.copy_(t);
    }
    for (const auto& [name, t] : wanted) {
      if (seen.count(name) == 0) return fail(fmt::format("tensor '{}' {} is missing", name, ShapeString(t.sizes().vec())));
    }
  } catch (const c10::Error& e) {
    return fail(e.what_without_backtrace());
  }
  return out;
}

}  // namespace tarmac::learned
