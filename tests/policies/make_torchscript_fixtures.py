#!/usr/bin/python3
"""TorchScript fixtures for tests/policies/learned_planner_test.cc, scripted at
test-build time by Debian's python3-torch (the same LibTorch version tarmac
links). Usage: make_torchscript_fixtures.py OUT_DIR

  modes.pt      forward(obs[B, F]) -> (poses[B, 3, 80, 3], scores[B, 3]):
                constant-velocity modes at 1.0x (best score), 0.5x and 0x of
                the actor's velocity now
  single.pt     forward(obs[B, F]) -> poses[B, 80, 3] (constant velocity)
  bad_shape.pt  forward(obs[B, F]) -> Tensor[B, 80, 2] (breaks the contract)

The observation layout is the model contract's (policies/features/model_io.h):
the actor's history is the first block, [21][6] = x, y, cos h, sin h, vx, vy
(velocities / 10 m/s), row 20 is now.
"""
import os
import sys

import torch

# (TorchScript compiles the numbers in place: offset of vx now = (21 - 1) * 6 + 4
# = 124, velocity scale 10 m/s, H = 80 steps of 0.1 s.)
def constant_velocity(obs: torch.Tensor, factor: float) -> torch.Tensor:
    v = obs[:, 124:126] * 10.0 * factor  # [B, 2] m/s, actor frame
    t = torch.arange(1, 81, dtype=obs.dtype).view(1, 80, 1) * 0.1  # [1, H, 1] s
    xy = v.unsqueeze(1) * t  # [B, H, 2]
    heading = torch.atan2(v[:, 1], v[:, 0].clamp(min=1e-3)).view(-1, 1, 1).expand(-1, 80, 1)
    return torch.cat([xy, heading], dim=2)


class Modes(torch.nn.Module):
    def forward(self, obs: torch.Tensor):
        poses = torch.stack([constant_velocity(obs, 1.0), constant_velocity(obs, 0.5),
                             constant_velocity(obs, 0.0)], dim=1)
        scores = torch.tensor([2.0, 1.0, 0.0], dtype=obs.dtype).expand(obs.shape[0], 3)
        return poses, scores


class Single(torch.nn.Module):
    def forward(self, obs: torch.Tensor):
        return constant_velocity(obs, 1.0)


class BadShape(torch.nn.Module):
    def forward(self, obs: torch.Tensor):
        return constant_velocity(obs, 1.0)[:, :, :2]


def main() -> None:
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, module in (("modes", Modes()), ("single", Single()), ("bad_shape", BadShape())):
        torch.jit.script(module).save(os.path.join(out, name + ".pt"))


if __name__ == "__main__":
    main()
