//===- TrainedModel.h - A checkpoint's model, ready to run ------*- C++ -*-===//
///
/// \file
/// `rnnc generate` and `rnnc eval` start the same way: a checkpoint carries
/// the model source (checked against its hash), the vocabulary and the
/// parameters, so nothing else is needed to compile its `@forward` at the
/// sizes the command runs and to load finite parameters into it.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"
#include "runtime/data/Checkpoint.h"
#include "runtime/data/Vocabulary.h"
#include "runtime/train/CompiledStep.h"

#include <cstdint>
#include <memory>
#include <string>

namespace rnnc::tool {

struct TrainedModel {
  runtime::Checkpoint checkpoint;
  runtime::Vocabulary vocab;
  std::unique_ptr<runtime::ForwardStep> step;
  runtime::TensorBuffers params;
};

/// Loads `path` and compiles its model's forward step with B = `batch`,
/// T = `seqLen`. Errors name the checkpoint; non-finite parameters are one
/// ("the model cannot `use`", e.g. "generate text").
Expected<TrainedModel> loadTrainedModel(const std::string &path, int64_t batch,
                                        int64_t seqLen, const std::string &use);

} // namespace rnnc::tool
