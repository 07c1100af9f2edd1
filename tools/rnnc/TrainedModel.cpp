//===- TrainedModel.cpp - A checkpoint's model, ready to run --------------===//
#include "tools/rnnc/TrainedModel.h"

#include "runtime/driver/Driver.h"
#include "runtime/driver/ReleaseCompilerMemory.h"

#include <algorithm>
#include <cmath>
#include <iostream>

namespace rnnc::tool {

Expected<TrainedModel> loadTrainedModel(const std::string &path, int64_t batch,
                                        int64_t seqLen, const std::string &use) {
  Expected<runtime::Checkpoint> ckpt = runtime::loadCheckpoint(path);
  if (!ckpt)
    return ckpt.error();
  auto source = ckpt->metadata.extra.find("model_source");
  if (source == ckpt->metadata.extra.end())
    return Error(path + ": the checkpoint does not carry its model source");
  if (runtime::hashModelSource(source->second) != ckpt->metadata.modelHash)
    return Error(path + ": the model source does not match its hash (corrupt checkpoint)");
  Expected<runtime::Vocabulary> vocab =
      runtime::Vocabulary::fromChars(ckpt->metadata.vocabulary);
  if (!vocab)
    return Error(path + ": " + vocab.error().message());
  auto model = driver::checkModelText(path + ":model", source->second, std::cerr);
  if (!model)
    return model.error();
  driver::CompileOptions compile;
  compile.entry = driver::EntryPoint::Forward;
  compile.checkpoint = &*ckpt;
  compile.checkpointName = path;
  auto compiled = driver::compileModel(*model, {vocab->size(), batch, seqLen}, compile);
  if (!compiled)
    return compiled.error();
  driver::releaseCompilerMemory(); // the command compiles nothing more
  TrainedModel out{std::move(*ckpt), std::move(*vocab), std::move(compiled->forward), {}};
  const auto &slots = out.step->layout().params;
  if (Expected<void> loaded = runtime::loadFromCheckpoint(out.checkpoint, slots, out.params);
      !loaded)
    return Error(path + ": " + loaded.error().message());
  for (size_t i = 0; i < slots.size(); ++i)
    if (!std::all_of(out.params[i].begin(), out.params[i].end(),
                     [](float v) { return std::isfinite(v); }))
      return Error(path + ": parameter '" + slots[i].name +
                   "' holds non-finite values (NaN or infinity); the model "
                   "cannot " + use);
  return out;
}

} // namespace rnnc::tool
