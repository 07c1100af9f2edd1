//===- CApi.cpp - The rnnc_capi_* entry points ----------------------------===//
///
/// \file
/// The C functions the generated `<prefix>_*` wrappers forward to. Each one
/// checks its context, catches every C++ exception (out of memory above all)
/// and turns failures into a status code plus a message kept in the context:
/// nothing here aborts or lets an exception cross into C.
///
//===----------------------------------------------------------------------===//
#include "runtime/capi/ModelContext.h"

#include "runtime/data/Utf8.h"

#include <new>
#include <string>

using rnnc::runtime::capi::ModelContext;
using rnnc::runtime::capi::ModelDescription;

/// The C handle is the C++ context.
struct rnnc_capi_context : ModelContext {
  using ModelContext::ModelContext;
};

namespace {

/// Runs `body` (returning Expected<void>) and maps its outcome to a status
/// code, keeping the Error's message for rnnc_capi_last_error.
template <typename Body>
int guarded(rnnc_capi_context *ctx, int failureCode, Body body) {
  if (!ctx)
    return RNNC_CAPI_ERROR_ARGUMENT;
  try {
    ctx->error.clear();
    ctx->outOfMemory = false;
    rnnc::Expected<void> done = body();
    if (done)
      return RNNC_CAPI_OK;
    ctx->error = done.error().message();
    return ctx->outOfMemory ? RNNC_CAPI_ERROR_MEMORY : failureCode;
  } catch (const std::bad_alloc &) {
    ctx->error = "out of memory";
    return RNNC_CAPI_ERROR_MEMORY;
  } catch (const std::exception &e) {
    ctx->error = std::string("internal error: ") + e.what();
    return failureCode;
  } catch (...) {
    ctx->error = "internal error";
    return failureCode;
  }
}

/// Why the last rnnc_capi_create on this thread returned NULL (what
/// rnnc_capi_last_error(NULL) reports).
std::string &createError() {
  thread_local std::string why = "no context (null pointer)";
  return why;
}

rnnc::Expected<void> requirePath(const char *path) {
  if (path && *path)
    return {};
  return rnnc::Error("the path must be a non-empty string");
}

} // namespace

extern "C" {

rnnc_capi_context *rnnc_capi_create(const rnnc_model_descriptor *descriptor) {
  auto fail = [](std::string why) -> rnnc_capi_context * {
    createError() = "create failed: " + why;
    return nullptr;
  };
  if (!descriptor)
    return fail("no model descriptor (null pointer)");
  if (descriptor->abi_version != RNNC_CAPI_ABI_VERSION)
    return fail("the object was compiled for C API version " +
                std::to_string(descriptor->abi_version) +
                " and this runtime library is version " +
                std::to_string(RNNC_CAPI_ABI_VERSION) +
                "; compile the model again with the rnnc of this library");
  if (!descriptor->model_json || !descriptor->forward ||
      !descriptor->train_step)
    return fail("the model descriptor lacks its description or entry points");
  try {
    rnnc::Expected<ModelDescription> description =
        ModelDescription::parse(descriptor->model_json);
    if (!description)
      return fail(description.error().message());
    return new rnnc_capi_context(*descriptor, std::move(*description));
  } catch (const std::bad_alloc &) {
    return fail("out of memory");
  } catch (const std::exception &e) {
    return fail(std::string("internal error: ") + e.what());
  } catch (...) {
    return fail("internal error");
  }
}

void rnnc_capi_destroy(rnnc_capi_context *ctx) { delete ctx; }

const char *rnnc_capi_last_error(const rnnc_capi_context *ctx) {
  return ctx ? ctx->error.c_str() : createError().c_str();
}

const char *rnnc_capi_model_name(const rnnc_capi_context *ctx) {
  return ctx ? ctx->model().name.c_str() : "";
}
int64_t rnnc_capi_vocab_size(const rnnc_capi_context *ctx) {
  return ctx ? ctx->model().train.vocab : 0;
}
int64_t rnnc_capi_batch_size(const rnnc_capi_context *ctx) {
  return ctx ? ctx->model().train.batch : 0;
}
int64_t rnnc_capi_seq_len(const rnnc_capi_context *ctx) {
  return ctx ? ctx->model().train.seqLen : 0;
}
int64_t rnnc_capi_num_params(const rnnc_capi_context *ctx) {
  if (!ctx)
    return 0;
  int64_t n = 0;
  for (const auto &p : ctx->model().train.params)
    n += p.numElements();
  return n;
}

const char *rnnc_capi_token_text(rnnc_capi_context *ctx, int32_t id) {
  if (!ctx || !ctx->model().vocabulary || id < 0 ||
      id >= ctx->model().vocabulary->size())
    return nullptr;
  try {
    ctx->scratch.clear();
    rnnc::runtime::appendUtf8(ctx->scratch,
                              ctx->model().vocabulary->charOf(id));
    return ctx->scratch.c_str();
  } catch (...) {
    return nullptr;
  }
}

int rnnc_capi_encode(rnnc_capi_context *ctx, const char *utf8, int64_t length,
                     int32_t *ids, int64_t capacity, int64_t *count) {
  return guarded(ctx, RNNC_CAPI_ERROR_ARGUMENT, [&]() -> rnnc::Expected<void> {
    if (!utf8 || length < 0 || !count || (capacity > 0 && !ids))
      return rnnc::Error("encode: bad arguments");
    if (!ctx->model().vocabulary)
      return rnnc::Error("the model has no vocabulary (compiled with --vocab)");
    rnnc::Expected<std::vector<int32_t>> tokens = ctx->model().vocabulary->encodeUtf8(
        std::string_view(utf8, static_cast<size_t>(length)));
    if (!tokens)
      return tokens.error();
    *count = static_cast<int64_t>(tokens->size());
    if (*count > capacity)
      return rnnc::Error("encode: the text has " + std::to_string(*count) +
                         " characters, more than the capacity " +
                         std::to_string(capacity));
    std::copy(tokens->begin(), tokens->end(), ids);
    return {};
  });
}

int rnnc_capi_init_params(rnnc_capi_context *ctx, uint64_t seed) {
  return guarded(ctx, RNNC_CAPI_ERROR_ARGUMENT,
                 [&] { return ctx->initParams(seed); });
}

int rnnc_capi_load(rnnc_capi_context *ctx, const char *path) {
  return guarded(ctx, RNNC_CAPI_ERROR_IO, [&]() -> rnnc::Expected<void> {
    if (rnnc::Expected<void> given = requirePath(path); !given)
      return given;
    return ctx->load(path);
  });
}

int rnnc_capi_save(rnnc_capi_context *ctx, const char *path) {
  return guarded(ctx, RNNC_CAPI_ERROR_IO, [&]() -> rnnc::Expected<void> {
    if (rnnc::Expected<void> given = requirePath(path); !given)
      return given;
    return ctx->save(path);
  });
}

int rnnc_capi_set_learning_rate(rnnc_capi_context *ctx, double lr) {
  return guarded(ctx, RNNC_CAPI_ERROR_ARGUMENT,
                 [&] { return ctx->setLearningRate(lr); });
}

int rnnc_capi_train_step(rnnc_capi_context *ctx, const int32_t *x,
                         const int32_t *y, float *loss) {
  return guarded(ctx, RNNC_CAPI_ERROR_NUMERIC,
                 [&] { return ctx->trainStep(x, y, loss); });
}

int rnnc_capi_reset_train_state(rnnc_capi_context *ctx) {
  return guarded(ctx, RNNC_CAPI_ERROR_ARGUMENT, [&] {
    ctx->resetTrainState();
    return rnnc::Expected<void>::success();
  });
}

int rnnc_capi_set_training_data(rnnc_capi_context *ctx, const int32_t *tokens,
                                int64_t count, uint64_t seed) {
  return guarded(ctx, RNNC_CAPI_ERROR_ARGUMENT,
                 [&] { return ctx->setTrainingData(tokens, count, seed); });
}

int rnnc_capi_train_epoch(rnnc_capi_context *ctx, double *mean_loss) {
  return guarded(ctx, RNNC_CAPI_ERROR_NUMERIC,
                 [&] { return ctx->trainEpoch(mean_loss); });
}

int rnnc_capi_step(rnnc_capi_context *ctx, int32_t token, float *logits) {
  return guarded(ctx, RNNC_CAPI_ERROR_ARGUMENT,
                 [&] { return ctx->step(token, logits); });
}

int rnnc_capi_reset_state(rnnc_capi_context *ctx) {
  return guarded(ctx, RNNC_CAPI_ERROR_ARGUMENT, [&] {
    ctx->resetState();
    return rnnc::Expected<void>::success();
  });
}

int rnnc_capi_generate(rnnc_capi_context *ctx, const char *prefix,
                       int64_t count, double temperature, int64_t top_k,
                       uint64_t seed, const char **text) {
  return guarded(ctx, RNNC_CAPI_ERROR_ARGUMENT, [&]() -> rnnc::Expected<void> {
    if (!prefix || !text)
      return rnnc::Error("generate: prefix and text must not be null");
    if (rnnc::Expected<void> generated =
            ctx->generate(prefix, count, temperature, top_k, seed, &ctx->scratch);
        !generated)
      return generated;
    *text = ctx->scratch.c_str();
    return {};
  });
}

} // extern "C"
