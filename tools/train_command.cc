#include "tools/train_command.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "policies/learned/learned_planners.h"
#include "policies/learned/train.h"
#include "tools/cli_util.h"
#include "tools/sha256.h"

namespace tarmac {
namespace {

struct TrainCommandOptions {
  TrainOptions train;
  std::vector<std::string> data;
  int nproc = 1;  // data-parallel processes on this machine
};

// Data-parallel training (docs/scale-out.md): `--nproc N` starts N ranks,
// each this executable with the same arguments and these variables, which a
// user may also set by hand to start ranks on several machines.
constexpr const char* kRankEnv = "TARMAC_DP_RANK";    // this process's rank, 0 .. world - 1
constexpr const char* kWorldEnv = "TARMAC_DP_WORLD";  // number of ranks
constexpr const char* kStoreEnv = "TARMAC_DP_STORE";  // c10d FileStore path, absent before the run, reachable by all ranks
constexpr const char* kHostEnv = "TARMAC_DP_HOST";    // address this rank listens on (optional; default: hostname)
constexpr int kMaxNproc = 64;

// An integer environment variable, or an error naming it.
Result<int> IntEnv(const char* name, int min, int max) {
  const char* v = std::getenv(name);
  const std::string text = v != nullptr ? v : "";
  int out = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || out < min || out > max) {
    return Error{fmt::format("{} '{}' must be an integer in [{}, {}]", name, text, min, max)};
  }
  return out;
}

// Sets options->rank, world, store and host from TARMAC_DP_* when
// TARMAC_DP_RANK is set (this process is one rank); else leaves one process.
Result<void> ReadRankEnv(TrainOptions* options) {
  const char* rank = std::getenv(kRankEnv);
  if (rank == nullptr || *rank == '\0') return {};
  Result<int> world = IntEnv(kWorldEnv, 1, 1 << 20);
  if (!world.ok()) return world.error();
  Result<int> r = IntEnv(kRankEnv, 0, *world - 1);
  if (!r.ok()) return r.error();
  const char* store = std::getenv(kStoreEnv);
  if (store == nullptr || *store == '\0') return Error{fmt::format("{} is set but {} is not", kRankEnv, kStoreEnv)};
  const char* host = std::getenv(kHostEnv);
  options->rank = *r;
  options->world = *world;
  options->store = store;
  options->host = host != nullptr ? host : "";
  return {};
}

// The first rank to fail claims "<store>.failed" (its rank, in decimal), so
// that the launcher can tell it from ranks that failed because it was gone.
std::string FailureClaimPath(const std::string& store) { return store + ".failed"; }

void ClaimFailure(const TrainOptions& o) {
  const int fd = open(FailureClaimPath(o.store).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return;  // another rank failed first (or nowhere to write: the launcher falls back)
  const std::string rank = std::to_string(o.rank);
  (void)!write(fd, rank.data(), rank.size());
  close(fd);
}

// This process's arguments (the launcher starts the ranks with the same).
std::vector<std::string> OwnArguments() {
  std::ifstream f("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> out;
  std::string arg;
  while (std::getline(f, arg, '\0')) out.push_back(arg);
  return out;
}

// Starts `n` ranks of this command (/proc/self/exe, the same arguments, the
// TARMAC_DP_* variables, a FileStore in a fresh temporary folder, loopback)
// and waits for them. When a rank fails, stops the others (SIGTERM) and
// returns its exit status; the rank has printed its message. The rank named
// is the first to claim the failure (ClaimFailure), else one killed by a
// signal, else the first to end. Ranks die with this process
// (PR_SET_PDEATHSIG).
int LaunchRanks(int n) {
  std::string dir = (std::filesystem::temp_directory_path() / "tarmac-train-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) {
    fmt::print(stderr, "tarmac train: --nproc {}: cannot create a temporary folder {}\n", n, dir);
    return kExitInputError;
  }
  const std::string store = dir + "/store";
  const std::vector<std::string> args = OwnArguments();
  // Built before forking: between fork and exec only async-signal-safe calls.
  std::vector<std::vector<std::string>> envs(static_cast<size_t>(n));
  for (int r = 0; r < n; ++r) {
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::string_view(*e).rfind("TARMAC_DP_", 0) != 0) envs[static_cast<size_t>(r)].push_back(*e);
    }
    envs[static_cast<size_t>(r)].push_back(fmt::format("{}={}", kRankEnv, r));
    envs[static_cast<size_t>(r)].push_back(fmt::format("{}={}", kWorldEnv, n));
    envs[static_cast<size_t>(r)].push_back(fmt::format("{}={}", kStoreEnv, store));
    envs[static_cast<size_t>(r)].push_back(fmt::format("{}=127.0.0.1", kHostEnv));
  }
  auto pointers = [](std::vector<std::string>& v) {
    std::vector<char*> p;
    for (std::string& x : v) p.push_back(x.data());
    p.push_back(nullptr);
    return p;
  };
  std::vector<std::string> argv_strings = args;
  std::vector<char*> argv = pointers(argv_strings);
  std::vector<pid_t> pids(static_cast<size_t>(n), -1);
  const pid_t parent = getpid();
  std::fflush(nullptr);
  int started = 0;
  for (int r = 0; r < n; ++r) {
    std::vector<char*> envp = pointers(envs[static_cast<size_t>(r)]);
    const pid_t pid = fork();
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent) _exit(kExitInputError);
      execve("/proc/self/exe", argv.data(), envp.data());
      constexpr char kMsg[] = "tarmac train: cannot start a rank: exec /proc/self/exe failed\n";
      (void)!write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
      _exit(kExitInputError);
    }
    if (pid < 0) {
      fmt::print(stderr, "tarmac train: --nproc {}: cannot start rank {} (fork failed)\n", n, r);
      for (pid_t p : pids) {
        if (p > 0) kill(p, SIGTERM);
      }
      break;
    }
    pids[static_cast<size_t>(r)] = pid;
    ++started;
  }
  // Wait for all; the first failure stops the rest.
  int failed_rank = -1, code = kExitOk;
  std::string why;
  std::vector<int> statuses(static_cast<size_t>(n), 0);
  for (int left = started; left > 0;) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    const auto it = std::find(pids.begin(), pids.end(), pid);
    if (it == pids.end()) continue;
    *it = -1;
    --left;
    statuses[static_cast<size_t>(it - pids.begin())] = status;
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (ok || failed_rank >= 0) continue;
    failed_rank = static_cast<int>(it - pids.begin());
    code = WIFEXITED(status) ? WEXITSTATUS(status) : kExitInputError;
    why = WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status))
                            : fmt::format("killed by signal {}", WTERMSIG(status));
    for (pid_t p : pids) {
      if (p > 0) kill(p, SIGTERM);
    }
  }
  // A rank that failed because another was gone may have ended first.
  if (failed_rank >= 0 && !WIFSIGNALED(statuses[static_cast<size_t>(failed_rank)])) {
    std::ifstream claim(FailureClaimPath(store));
    int first = -1;
    if (claim >> first && first >= 0 && first < n && first != failed_rank) {
      const int status = statuses[static_cast<size_t>(first)];
      if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        failed_rank = first;
        code = WEXITSTATUS(status);
        why = fmt::format("exit status {}", code);
      }
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (started < n) return kExitInputError;  // said above
  if (failed_rank >= 0) {
    fmt::print(stderr, "tarmac train: --nproc {}: rank {} failed ({}); the other ranks were stopped\n", n, failed_rank,
               why);
    return code;
  }
  return kExitOk;
}

// A bar on a terminal (rewritten in place), else one line per epoch.
class TrainProgressPrinter {
 public:
  TrainProgressPrinter() : tty_(isatty(STDERR_FILENO) != 0) {}
  void operator()(const TrainProgress& p) {
    if (p.epoch_done) {
      if (tty_) fmt::print(stderr, "\r{:<100}\r", "");
      fmt::print(stderr, "epoch {}/{}: train loss {:.4f}, val loss {:.4f}, val ADE {:.2f} m, FDE {:.2f} m\n", p.epoch,
                 p.epochs, p.loss, p.val_loss, p.val_ade, p.val_fde);
      return;
    }
    if (!tty_) return;
    constexpr int kWidth = 30;
    const int fill = p.batches > 0 ? static_cast<int>(kWidth * p.batch / p.batches) : kWidth;
    fmt::print(stderr, "\repoch {}/{} [{}{}] {}/{} batches  loss {:.4f}  ", p.epoch, p.epochs,
               std::string(static_cast<size_t>(fill), '#'), std::string(static_cast<size_t>(kWidth - fill), '.'), p.batch,
               p.batches, p.loss);
  }

 private:
  bool tty_;
};

int RunTrain(TrainCommandOptions o) {
  if (!HaveTorch()) {
    Result<TrainSummary> r = TrainModel(o.train, {});  // says why
    fmt::print(stderr, "tarmac train: {}\n", r.error().message);
    return kExitInputError;
  }
  if (o.nproc < 1 || o.nproc > kMaxNproc) {
    fmt::print(stderr, "tarmac train: --nproc {} must be in [1, {}]\n", o.nproc, kMaxNproc);
    return kExitInputError;
  }
  if (Result<void> r = ReadRankEnv(&o.train); !r.ok()) {
    fmt::print(stderr, "tarmac train: {}\n", r.error().message);
    return kExitInputError;
  }
  const bool is_rank = std::getenv(kRankEnv) != nullptr && *std::getenv(kRankEnv) != '\0';
  if (is_rank && o.nproc != 1 && o.nproc != o.train.world) {
    fmt::print(stderr, "tarmac train: --nproc {} disagrees with {}={}\n", o.nproc, kWorldEnv, o.train.world);
    return kExitInputError;
  }
  // Default threads: this machine's cores shared by its ranks.
  if (o.train.threads == 0) {
    o.train.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency() / static_cast<unsigned>(o.nproc)));
  }
  std::vector<std::string> missing;
  const std::vector<std::filesystem::path> files = ExpandScenarioPaths(o.data, &missing);
  for (const std::string& m : missing) fmt::print(stderr, "tarmac train: --data {}: no such file or directory\n", m);
  if (!missing.empty()) return kExitInputError;
  if (files.empty()) {
    fmt::print(stderr, "tarmac train: --data: no scenario files\n");
    return kExitInputError;
  }
  // The data's identity: the sorted SHA-256 digests of its files.
  std::vector<std::string> digests;
  for (const std::filesystem::path& f : files) {
    Result<std::string> d = Sha256File(f);
    if (!d.ok()) {
      fmt::print(stderr, "tarmac train: {}\n", d.error().message);
      return kExitInputError;
    }
    digests.push_back(*d);
    o.train.data.push_back(f.string());
  }
  std::sort(digests.begin(), digests.end());
  std::string all;
  for (const std::string& d : digests) all += d + "\n";
  o.train.data_hash = "sha256:" + Sha256Hex(all);
  o.train.code_rev = TARMAC_GIT_REV;
  // The launcher: checks above run once here, then in every rank again.
  if (o.nproc > 1 && !is_rank) return LaunchRanks(o.nproc);
  const bool lead = o.train.rank == 0;
  const std::string who = o.train.world > 1 ? fmt::format("rank {} of {}: ", o.train.rank, o.train.world) : "";
  if (lead) {
    fmt::print(stderr, "tarmac train: {} model, {} files, {}{} threads, {}\n", o.train.model, files.size(),
               o.train.world > 1 ? fmt::format("{} ranks x ", o.train.world) : "", o.train.threads,
               TorchDescription());
  }
  TrainProgressPrinter printer;
  Result<TrainSummary> s = TrainModel(o.train, [&](const TrainProgress& p) { printer(p); });
  if (!s.ok()) {
    if (o.train.world > 1) ClaimFailure(o.train);
    fmt::print(stderr, "tarmac train: {}{}\n", who, s.error().message);
    return kExitInputError;
  }
  if (!lead) return kExitOk;
  fmt::print("{}: {} model, {} parameters; {} training samples from {} scenarios, {} validation samples from {} "
             "scenarios; {} epochs run; last train loss {:.4f}, val loss {:.4f}, val ADE {:.2f} m, FDE {:.2f} m\n",
             o.train.out, o.train.model, s->parameters, s->train_samples, s->train_scenarios, s->val_samples,
             s->val_scenarios, s->epochs_run, s->train_loss, s->val_loss, s->val_ade, s->val_fde);
  return kExitOk;
}

}  // namespace

void AddTrainCommand(CLI::App* app) {
  auto o = std::make_shared<TrainCommandOptions>();
  TrainOptions& t = o->train;
  t.threads = 0;  // all cores unless given
  CLI::App* cmd = app->add_subcommand("train", "Train a learned planner (transformer or diffusion) from logged driving");
  cmd->add_option("--model", t.model, "transformer or diffusion")->capture_default_str()->check(
      CLI::IsMember({"transformer", "diffusion"}));
  cmd->add_option("--data", o->data, "Scenario files or folders (every valid vehicle is a sample)")->required();
  cmd->add_option("--out", t.out, "Checkpoint to write (rewritten after every epoch)")->required();
  cmd->add_option("--epochs", t.epochs, "Total epochs")->capture_default_str();
  cmd->add_option("--stop-after", t.stop_after, "Stop after this many epochs of this call (resume later)");
  cmd->add_option("--batch", t.batch, "Samples per optimiser step")->capture_default_str();
  cmd->add_option("--lr", t.lr, "AdamW learning rate (cosine decay to a tenth)")->capture_default_str();
  cmd->add_option("--seed", t.seed, "Seed of weights, shuffling, augmentation and noise")->capture_default_str();
  cmd->add_option("--val-fraction", t.val_fraction, "Share of scenarios held out for validation")->capture_default_str();
  cmd->add_option("--threads", t.threads,
                  "Torch and feature-building threads per rank (default: the cores / --nproc; the weights "
                  "depend on it, the checkpoint records it)");
  cmd->add_option("--nproc", o->nproc,
                  "Data-parallel processes (ranks, c10d Gloo) on this machine, 1..64; --batch is the global "
                  "batch, split between them (docs/scale-out.md)")
      ->capture_default_str();
  cmd->add_option("--resume", t.resume, "Continue from this run's checkpoint (same options and data)");
  cmd->add_option("--loss-csv", t.loss_csv, "Write the per-epoch losses as CSV");
  cmd->add_option("--stride", t.stride, "Log steps between two samples of one vehicle")->capture_default_str();
  cmd->add_option("--pose-loss-weight", t.pose_loss_weight,
                  "Diffusion: weight of the error of the summed poses (5 m, 5 m, 0.5 rad units) added to the increments' "
                  "x-start error")
      ->capture_default_str();
  cmd->add_option("--max-batches", t.max_batches, "Batches per epoch, 0: all (quick runs)")->capture_default_str();
  cmd->add_option("--dim", t.dim, "Token width")->capture_default_str();
  cmd->add_option("--heads", t.heads, "Attention heads")->capture_default_str();
  cmd->add_option("--encoder-layers", t.encoder_layers, "Transformer encoder layers")->capture_default_str();
  cmd->add_option("--decoder-layers", t.decoder_layers, "Decoder layers")->capture_default_str();
  cmd->add_option("--feedforward", t.feedforward, "Hidden width of the transformer layers")->capture_default_str();
  cmd->add_option("--modes", t.modes, "Transformer: trajectory modes (1..6)")->capture_default_str();
  cmd->add_option("--ego-history", t.ego_history,
                  "Steps of its own past the planner sees, counting now (1..21; 1: the current state only)")
      ->capture_default_str();
  cmd->add_option("--augment-probability", t.augment.probability, "Share of samples perturbed")->capture_default_str();
  cmd->add_option("--augment-lateral", t.augment.lateral_m, "Lateral shift bound [m]")->capture_default_str();
  cmd->add_option("--augment-heading", t.augment.heading_rad, "Heading turn bound [rad]")->capture_default_str();
  cmd->add_option("--augment-speed", t.augment.speed_frac, "Speed scale bound (fraction)")->capture_default_str();
  cmd->callback([o] { SetCommand([o] { return RunTrain(*o); }); });
}

}  // namespace tarmac
