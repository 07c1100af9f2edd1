//===- ModelContext.cpp - Model description, parameters, checkpoints ------===//
///
/// \file
/// Decoding the object's model JSON, initialising parameters exactly as
/// `rnnc train` does (one Rng seeded with the seed, parameters in IR order),
/// and loading / saving checkpoints in the format `rnnc train` writes (with
/// the model source, so `rnnc generate` reads a checkpoint saved from C).
///
//===----------------------------------------------------------------------===//
#include "runtime/capi/ModelContext.h"

#include "runtime/data/Checkpoint.h"
#include "runtime/kernels/Kernels.h"
#include "runtime/train/ParamInit.h"
#include "runtime/train/Rng.h"
#include "runtime/data/Utf8.h"

#include <nlohmann/json.hpp>

namespace rnnc::runtime::capi {

size_t Slot::size() const {
  size_t n = 1;
  for (int64_t d : shape)
    n *= static_cast<size_t>(d);
  return n;
}

namespace {

std::vector<Slot> slotsFrom(const nlohmann::json &list) {
  std::vector<Slot> slots;
  for (const auto &s : list)
    slots.push_back({s.at("name").get<std::string>(),
                     s.at("shape").get<std::vector<int64_t>>()});
  return slots;
}

Buffers buffersFor(const std::vector<Slot> &slots) {
  Buffers buffers;
  for (const Slot &s : slots)
    buffers.emplace_back(s.size(), 0.0f);
  return buffers;
}

} // namespace

std::optional<ModelDescription> ModelDescription::parse(const char *json,
                                                        std::string *error) {
  auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    *error = "the compiled model's description is not valid JSON";
    return std::nullopt;
  }
  try {
    ModelDescription d;
    d.name = j.at("name").get<std::string>();
    d.source = j.at("source").get<std::string>();
    d.hash = j.at("hash").get<std::string>();
    d.vocabSize = j.at("vocab_size").get<int64_t>();
    d.batch = j.at("batch").get<int64_t>();
    d.seqLen = j.at("seq_len").get<int64_t>();
    if (j.contains("vocabulary")) {
      auto chars = decodeUtf8(j["vocabulary"].get<std::string>(), error);
      if (!chars)
        return std::nullopt;
      d.vocabulary = Vocabulary::fromChars(*chars, error);
      if (!d.vocabulary)
        return std::nullopt;
    }
    for (const auto &p : j.at("params")) {
      d.params.push_back({p.at("name").get<std::string>(),
                          p.at("shape").get<std::vector<int64_t>>()});
      const auto &init = p.at("init");
      d.inits.push_back({init.at("kind").get<std::string>(),
                         init.at("a").get<double>(),
                         init.at("b").get<double>()});
    }
    d.trainStates = slotsFrom(j.at("train_states"));
    d.stepStates = slotsFrom(j.at("step_states"));
    const auto &train = j.at("train");
    d.optimizer.kind = train.at("optimizer").get<std::string>();
    d.optimizer.lr = train.at("lr").get<double>();
    d.optimizer.beta1 = train.at("beta1").get<double>();
    d.optimizer.beta2 = train.at("beta2").get<double>();
    d.optimizer.eps = train.at("eps").get<double>();
    d.clip = train.at("clip").get<double>();
    auto sampling = parseSamplingMode(train.at("sampling").get<std::string>());
    if (!sampling) {
      *error = "unknown sampling mode in the compiled model";
      return std::nullopt;
    }
    d.sampling = *sampling;
    d.hyperParametersJson = j.at("hyper_parameters").get<std::string>();
    if (j.contains("arena_bytes")) {
      d.forwardArenaBytes = j["arena_bytes"].at("forward").get<int64_t>();
      d.trainStepArenaBytes = j["arena_bytes"].at("train_step").get<int64_t>();
    }
    return d;
  } catch (const nlohmann::json::exception &e) {
    *error = std::string("the compiled model's description is incomplete: ") +
             e.what();
    return std::nullopt;
  }
}

ModelContext::ModelContext(const rnnc_model_descriptor &descriptor,
                           ModelDescription description)
    : descriptor_(descriptor), model_(std::move(description)) {
  params_ = buffersFor(model_.params);
  grads_ = buffersFor(model_.params);
  trainStates_ = buffersFor(model_.trainStates);
  trainNext_ = buffersFor(model_.trainStates);
  stepStates_ = buffersFor(model_.stepStates);
  stepNext_ = buffersFor(model_.stepStates);
}

bool ModelContext::fail(std::string message) {
  error = std::move(message);
  return false;
}

bool ModelContext::failArena(const char *entry, int64_t bytes) {
  outOfMemory = true;
  return fail(std::string(entry) + " " + describeArenaShortfall(bytes));
}

bool ModelContext::initParams(uint64_t seed) {
  Rng rng(seed);
  for (size_t i = 0; i < params_.size(); ++i) {
    std::string why;
    if (!initializeParam(params_[i], model_.params[i].shape, model_.inits[i],
                         rng, &why))
      return fail("parameter '" + model_.params[i].name + "': " + why);
  }
  optimizer_.reset();
  epochsDone_ = 0;
  paramsReady_ = true;
  return true;
}

bool ModelContext::load(const std::string &path) {
  std::string why;
  auto ckpt = loadCheckpoint(path, &why);
  if (!ckpt)
    return fail(why);
  CheckpointExpectation expected;
  expected.modelHash = model_.hash;
  if (model_.vocabulary)
    expected.vocabulary = model_.vocabulary->chars();
  for (const Slot &s : model_.params)
    expected.tensors.push_back({s.name, s.shape});
  if (!checkCheckpoint(*ckpt, path, expected, &why))
    return fail(why);
  if (!model_.vocabulary &&
      static_cast<int64_t>(ckpt->metadata.vocabulary.size()) !=
          model_.vocabSize)
    return fail(path + ": the checkpoint's vocabulary has " +
                std::to_string(ckpt->metadata.vocabulary.size()) +
                " characters, the compiled model " +
                std::to_string(model_.vocabSize));
  for (size_t i = 0; i < params_.size(); ++i)
    params_[i] = ckpt->find(model_.params[i].name)->data;
  if (!model_.vocabulary && !ckpt->metadata.vocabulary.empty())
    model_.vocabulary = Vocabulary::fromChars(ckpt->metadata.vocabulary, &why);
  optimizer_.reset();
  epochsDone_ = ckpt->metadata.epoch;
  paramsReady_ = true;
  return true;
}

bool ModelContext::save(const std::string &path) {
  if (!paramsReady_)
    return fail("no parameters yet: call init_params or load first");
  CheckpointMetadata meta;
  meta.modelName = model_.name;
  meta.modelHash = model_.hash;
  meta.extra["model_source"] = model_.source;
  if (model_.vocabulary)
    meta.vocabulary = model_.vocabulary->chars();
  meta.hyperParametersJson = model_.hyperParametersJson;
  meta.epoch = epochsDone_;
  std::vector<TensorView> views;
  for (size_t i = 0; i < params_.size(); ++i)
    views.push_back(
        {model_.params[i].name, model_.params[i].shape, params_[i].data()});
  std::string why;
  if (!saveCheckpoint(path, meta, views, &why))
    return fail(why);
  return true;
}

} // namespace rnnc::runtime::capi
