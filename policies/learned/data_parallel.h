// Data-parallel training across processes (`tarmac train --nproc N`,
// docs/scale-out.md, "Data-parallel training"): every rank holds the same
// model, computes the gradients of its share of each global batch, and
// AllReduceGradients() sums them, so every rank holds the whole batch's
// gradient and the optimiser steps stay identical on every rank. Built on
// torch's c10d: Gloo on the CPU (the rendezvous is a FileStore: a file every
// rank can reach, on one machine or a shared file system). NCCL would need a
// CUDA LibTorch (not wired).
//
// LibTorch inside: include only from policies/learned/.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

#include "scenarios/result.h"

namespace tarmac {

class DataParallel {
 public:
  // Joins the group of `world` ranks meeting at `store_path` (a path that does
  // not exist yet, or the file the other ranks already use). This rank
  // listens on `host` (a hostname or address the other ranks can reach;
  // empty: this machine's hostname, else loopback). Blocks until all ranks
  // have joined; fails (never throws) when c10d cannot connect.
  static Result<std::unique_ptr<DataParallel>> Join(int rank, int world, const std::string& store_path,
                                                    const std::string& host);
  ~DataParallel();

  int rank() const { return rank_; }
  int world() const { return world_; }

  // Sums every parameter's gradient over the ranks (one flattened buffer per
  // call), then scales it by `scale`. A parameter with a gradient on some
  // ranks only (say, a rank with no rows this step) counts as zeros on the
  // others and has one afterwards; one with none anywhere keeps none, as in
  // one process. With each rank's loss already divided by
  // the *global* batch's normaliser, scale 1 gives exactly the gradient of the
  // whole batch; with per-rank means, 1 / world() averages them.
  void AllReduceGradients(torch::nn::Module& module, double scale);
  // Sets every parameter and buffer to rank 0's (at the start, so all ranks
  // agree whatever their seeds).
  void Broadcast(torch::nn::Module& module);
  // The sum of `values` over all ranks, in place (losses, counts).
  void AllReduceSum(torch::Tensor& values);
  // Waits until every rank got here.
  void Barrier();

 private:
  DataParallel(int rank, int world);
  struct Group;
  int rank_ = 0, world_ = 1;
  std::unique_ptr<Group> group_;
};

}  // namespace tarmac
