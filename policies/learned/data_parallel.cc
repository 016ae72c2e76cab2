#include "policies/learned/data_parallel.h"

#include <fmt/format.h>
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>

#include <vector>

namespace tarmac {

struct DataParallel::Group {
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
};

DataParallel::DataParallel(int rank, int world) : rank_(rank), world_(world), group_(std::make_unique<Group>()) {}
DataParallel::~DataParallel() = default;

Result<std::unique_ptr<DataParallel>> DataParallel::Join(int rank, int world, const std::string& store_path,
                                                        const std::string& host) {
  if (world < 1 || rank < 0 || rank >= world) {
    return Error{fmt::format("data-parallel rank {} of {} is not a valid rank", rank, world)};
  }
  std::unique_ptr<DataParallel> dp(new DataParallel(rank, world));
  try {
    auto store = c10::make_intrusive<c10d::FileStore>(store_path, world);
    auto options = c10d::ProcessGroupGloo::Options::create();
    // `tarmac train --nproc N` passes loopback (its ranks share one machine).
    options->devices.push_back(host.empty() ? c10d::ProcessGroupGloo::createDefaultDevice()
                                            : c10d::ProcessGroupGloo::createDeviceForHostname(host));
    options->threads = 1;
    dp->group_->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world, options);
  } catch (const std::exception& e) {
    return Error{fmt::format("data-parallel rank {} of {}: cannot join the group at '{}': {}", rank, world,
                             store_path, e.what())};
  }
  return dp;
}

void DataParallel::AllReduceGradients(torch::nn::Module& module, double scale) {
  // One flat buffer, in the modules' parameter order (the same on every rank).
  std::vector<torch::Tensor> params = module.parameters();
  // Which parameters have a gradient on any rank.
  torch::Tensor has = torch::zeros({static_cast<int64_t>(params.size())}, torch::kInt);
  auto has_at = has.accessor<int, 1>();
  for (size_t i = 0; i < params.size(); ++i) has_at[static_cast<int64_t>(i)] = params[i].grad().defined() ? 1 : 0;
  AllReduceSum(has);
  std::vector<torch::Tensor> grads;
  for (size_t i = 0; i < params.size(); ++i) {
    if (has_at[static_cast<int64_t>(i)] == 0) continue;
    if (!params[i].grad().defined()) params[i].mutable_grad() = torch::zeros_like(params[i]);
    grads.push_back(params[i].grad());
  }
  if (grads.empty()) return;
  std::vector<torch::Tensor> flat = {torch::cat([&] {
    std::vector<torch::Tensor> views;
    views.reserve(grads.size());
    for (const torch::Tensor& g : grads) views.push_back(g.reshape({-1}));
    return views;
  }())};
  group_->pg->allreduce(flat)->wait();
  if (scale != 1.0) flat[0].mul_(scale);
  int64_t offset = 0;
  for (torch::Tensor& g : grads) {
    const int64_t n = g.numel();
    g.copy_(flat[0].narrow(0, offset, n).view_as(g));
    offset += n;
  }
}

void DataParallel::Broadcast(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> tensors;
  for (torch::Tensor& p : module.parameters()) tensors.push_back(p);
  for (torch::Tensor& b : module.buffers()) tensors.push_back(b);
  for (torch::Tensor& t : tensors) {
    std::vector<torch::Tensor> one = {t};
    group_->pg->broadcast(one)->wait();
  }
}

void DataParallel::AllReduceSum(torch::Tensor& values) {
  std::vector<torch::Tensor> one = {values};
  group_->pg->allreduce(one)->wait();
}

void DataParallel::Barrier() { group_->pg->barrier()->wait(); }

}  // namespace tarmac
