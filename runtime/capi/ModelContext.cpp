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
#include "runtime/data/Utf8.h"

#include <nlohmann/json.hpp>

namespace rnnc::runtime::capi {

namespace {

std::vector<TensorSlot> slotsFrom(const nlohmann::json &list) {
  std::vector<TensorSlot> slots;
  for (const auto &s : list)
    slots.push_back({s.at("name").get<std::string>(),
                     s.at("shape").get<std::vector<int64_t>>()});
  return slots;
}

} // namespace

Expected<ModelDescription> ModelDescription::parse(const char *json) {
  auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return Error("the compiled model's description is not valid JSON");
  try {
    ModelDescription d;
    d.name = j.at("name").get<std::string>();
    d.source = j.at("source").get<std::string>();
    d.hash = j.at("hash").get<std::string>();
    d.train.vocab = d.step.vocab = j.at("vocab_size").get<int64_t>();
    d.train.batch = j.at("batch").get<int64_t>();
    d.train.seqLen = j.at("seq_len").get<int64_t>();
    d.step.batch = d.step.seqLen = 1;
    if (j.contains("vocabulary")) {
      Expected<std::u32string> chars =
          decodeUtf8(j["vocabulary"].get<std::string>());
      if (!chars)
        return chars.error();
      Expected<Vocabulary> vocabulary = Vocabulary::fromChars(*chars);
      if (!vocabulary)
        return vocabulary.error();
      d.vocabulary = std::move(*vocabulary);
    }
    d.train.params = slotsFrom(j.at("params"));
    d.step.params = d.train.params;
    for (const auto &p : j.at("params")) {
      const auto &init = p.at("init");
      d.inits[p.at("name").get<std::string>()] = {
          init.at("kind").get<std::string>(), init.at("a").get<double>(),
          init.at("b").get<double>()};
    }
    d.train.states = slotsFrom(j.at("train_states"));
    d.train.dropoutKey = j.value("dropout_key", false);
    d.step.states = slotsFrom(j.at("step_states"));
    const auto &train = j.at("train");
    d.optimizer.kind = train.at("optimizer").get<std::string>();
    d.optimizer.lr = train.at("lr").get<double>();
    d.optimizer.beta1 = train.at("beta1").get<double>();
    d.optimizer.beta2 = train.at("beta2").get<double>();
    d.optimizer.eps = train.at("eps").get<double>();
    d.clip = train.at("clip").get<double>();
    auto sampling = parseSamplingMode(train.at("sampling").get<std::string>());
    if (!sampling)
      return Error("unknown sampling mode in the compiled model");
    d.sampling = *sampling;
    d.hyperParametersJson = j.at("hyper_parameters").get<std::string>();
    if (j.contains("arena_bytes")) {
      d.forwardArenaBytes = j["arena_bytes"].at("forward").get<int64_t>();
      d.trainStepArenaBytes = j["arena_bytes"].at("train_step").get<int64_t>();
    }
    return d;
  } catch (const nlohmann::json::exception &e) {
    return Error(std::string("the compiled model's description is incomplete: ") +
                 e.what());
  }
}

ModelContext::ModelContext(const rnnc_model_descriptor &descriptor,
                           ModelDescription description)
    : model_(std::move(description)),
      trainStep_(descriptor.train_step, model_.train,
                 model_.trainStepArenaBytes, "train_step"),
      forward_(descriptor.forward, model_.step, model_.forwardArenaBytes,
               "step"),
      session_(trainStep_, model_.optimizer, model_.clip),
      stepStates_(allocateBuffers(model_.step.states)) {}

Error ModelContext::outOfMemoryError(std::string message) {
  outOfMemory = true;
  return Error(std::move(message));
}

Expected<void> ModelContext::initParams(uint64_t seed) {
  if (Expected<void> ready = session_.initParameters(model_.inits, seed); !ready)
    return ready;
  session_.resetOptimizer();
  session_.setDropoutSeed(seed); // as `rnnc train --seed`
  epochsDone_ = 0;
  paramsReady_ = true;
  return {};
}

Expected<void> ModelContext::load(const std::string &path) {
  Expected<Checkpoint> ckpt = loadCheckpoint(path);
  if (!ckpt)
    return ckpt.error();
  CheckpointExpectation expected;
  expected.modelHash = model_.hash;
  if (model_.vocabulary)
    expected.vocabulary = model_.vocabulary->chars();
  for (const TensorSlot &s : model_.train.params)
    expected.tensors.push_back({s.name, s.shape});
  if (Expected<void> fits = checkCheckpoint(*ckpt, path, expected); !fits)
    return fits;
  if (!model_.vocabulary &&
      static_cast<int64_t>(ckpt->metadata.vocabulary.size()) !=
          model_.train.vocab)
    return Error(path + ": the checkpoint's vocabulary has " +
                 std::to_string(ckpt->metadata.vocabulary.size()) +
                 " characters, the compiled model " +
                 std::to_string(model_.train.vocab));
  if (Expected<void> loaded = session_.loadParameters(*ckpt); !loaded)
    return loaded;
  if (!model_.vocabulary && !ckpt->metadata.vocabulary.empty())
    if (Expected<Vocabulary> saved =
            Vocabulary::fromChars(ckpt->metadata.vocabulary))
      model_.vocabulary = std::move(*saved);
  session_.resetOptimizer();
  epochsDone_ = ckpt->metadata.epoch;
  paramsReady_ = true;
  return {};
}

Expected<void> ModelContext::save(const std::string &path) {
  if (!paramsReady_)
    return Error("no parameters yet: call init_params or load first");
  CheckpointMetadata meta;
  meta.modelName = model_.name;
  meta.modelHash = model_.hash;
  meta.extra["model_source"] = model_.source;
  if (model_.vocabulary)
    meta.vocabulary = model_.vocabulary->chars();
  meta.hyperParametersJson = model_.hyperParametersJson;
  meta.epoch = epochsDone_;
  std::vector<TensorView> views;
  const auto &slots = model_.train.params;
  for (size_t i = 0; i < slots.size(); ++i)
    views.push_back(
        {slots[i].name, slots[i].shape, session_.parameters()[i].data()});
  return saveCheckpoint(path, meta, views);
}

} // namespace rnnc::runtime::capi
