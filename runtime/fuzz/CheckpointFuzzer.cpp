//===- CheckpointFuzzer.cpp - libFuzzer entry over the checkpoint reader --===//
///
/// \file
/// Feeds arbitrary bytes to parseCheckpoint, the one reader behind
/// loadCheckpoint (`rnnc generate`, `train --resume`, the C API's load): the
/// 8-byte header length, the JSON header, each tensor's dtype, shape and
/// data_offsets, and the `__metadata__` (format, vocabulary, hash,
/// hyper-parameters, epoch, model source). A rejected input must come with a
/// `checkpoint 'NAME': ...` message that is not an exception's text; an
/// accepted one must hold exactly the data its shapes promise, pass
/// checkCheckpoint against its own shapes, and serialise and read back to
/// the same checkpoint. Any crash, sanitizer report or broken property is a
/// bug. Regression inputs live in test/unit/CheckpointTest.cpp.
///
//===----------------------------------------------------------------------===//
#include "runtime/data/Checkpoint.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

using namespace rnnc::runtime;
using rnnc::Expected;

[[noreturn]] void bug(const char *what, const std::string &detail) {
  std::fprintf(stderr, "checkpoint fuzzer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

/// Messages are rnnc's own sentences, never a library exception's what().
/// A word the input itself holds may be quoted back (a bad format string
/// `rnnc-chexception1` is named in the message), so only words that are not
/// in the input count.
void checkMessage(const std::string &error, std::string_view input) {
  const char *const kPrefix = "checkpoint 'fuzz.safetensors': ";
  if (error.compare(0, std::strlen(kPrefix), kPrefix) != 0)
    bug("message without the checkpoint name", error);
  for (const char *raw : {"std::", "bad_alloc", "exception", "basic_string",
                          "vector::", "max_size"})
    if (error.find(raw) != std::string::npos && input.find(raw) == std::string_view::npos)
      bug("an exception's text leaked into the message", error);
}

bool sameTensors(const Checkpoint &a, const Checkpoint &b) {
  if (a.tensors.size() != b.tensors.size())
    return false;
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    const NamedTensor &x = a.tensors[i], &y = b.tensors[i];
    if (x.name != y.name || x.shape != y.shape || x.data.size() != y.data.size() ||
        (!x.data.empty() &&
         std::memcmp(x.data.data(), y.data.data(), x.data.size() * 4) != 0))
      return false;
  }
  return true;
}

bool sameMetadata(const CheckpointMetadata &a, const CheckpointMetadata &b) {
  return a.modelName == b.modelName && a.modelHash == b.modelHash &&
         a.vocabulary == b.vocabulary &&
         a.hyperParametersJson == b.hyperParametersJson && a.epoch == b.epoch &&
         a.extra == b.extra;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char *>(data), size);
  Expected<Checkpoint> ckpt = parseCheckpoint(bytes, "fuzz.safetensors");
  if (!ckpt) {
    checkMessage(ckpt.error().message(), bytes);
    return 0;
  }
  CheckpointExpectation own;
  std::vector<TensorView> views;
  for (const NamedTensor &t : ckpt->tensors) {
    uint64_t count = 1;
    for (int64_t d : t.shape) {
      if (d < 0)
        bug("negative dimension accepted", t.name);
      count *= static_cast<uint64_t>(d);
    }
    if (count != t.data.size())
      bug("shape and data disagree", t.name);
    if (ckpt->find(t.name) != &t)
      bug("duplicate tensor name accepted", t.name);
    own.tensors.push_back({t.name, t.shape});
    views.push_back({t.name, t.shape, t.data.data()});
  }
  own.modelHash = ckpt->metadata.modelHash;
  own.vocabulary = ckpt->metadata.vocabulary;
  if (Expected<void> fits = checkCheckpoint(*ckpt, "fuzz.safetensors", own); !fits)
    bug("a checkpoint does not match its own shapes", fits.error().message());

  Expected<std::string> written = serializeCheckpoint(ckpt->metadata, views);
  if (!written)
    bug("an accepted checkpoint cannot be written back", written.error().message());
  Expected<Checkpoint> again = parseCheckpoint(*written, "fuzz.safetensors");
  if (!again)
    bug("a written checkpoint does not read back", again.error().message());
  if (!sameMetadata(ckpt->metadata, again->metadata) || !sameTensors(*ckpt, *again))
    bug("the checkpoint changed on a write and read", "");
  return 0;
}
