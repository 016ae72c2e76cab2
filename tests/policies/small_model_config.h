// A tiny model configuration for the learned-planner tests: fast to build,
// train and run, same shapes of every part as the default sizes.
#pragma once

#include <string>

#include "policies/learned/models.h"

namespace tarmac::learned::test_models {

// `kind`: "transformer" (3 modes) or "diffusion" (1 mode, `sample_steps` DDIM steps).
inline ModelConfig SmallModelConfig(const std::string& kind, int sample_steps) {
  ModelConfig c;
  c.kind = kind;
  c.dim = 32;
  c.heads = 2;
  c.encoder_layers = 1;
  c.decoder_layers = 1;
  c.feedforward = 64;
  c.modes = kind == "diffusion" ? 1 : 3;
  c.sample_steps = sample_steps;
  return c;
}

}  // namespace tarmac::learned::test_models
