//===- Checkpoint.h - Parameters + vocabulary in safetensors ----*- C++ -*-===//
///
/// \file
/// A checkpoint is one safetensors file, so other tools (Python's
/// `safetensors`, `huggingface` viewers) read the weights directly:
///   8 bytes   little-endian u64 N, the header length
///   N bytes   JSON: {"__metadata__": {string: string}, "<tensor>":
///             {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}}
///             padded with spaces so the data starts 8-byte aligned
///   data      the tensors' little-endian f32 values, back to back, offsets
///             relative to the start of this section
/// Tensors are F32, except the F64 optimizer state a training checkpoint
/// carries under reserved names starting with "__" (see Trainer.h).
/// rnnc's own facts live in `__metadata__` (all values are strings, as the
/// format requires): format, model_name, model_hash, vocabulary (the
/// characters in id order as one UTF-8 string), hyper_parameters (JSON text),
/// epoch, plus any extra entries. Files are written atomically (temp file in
/// the same directory, fsync, rename), so a crash never leaves a half file
/// under the real name and the previous checkpoint survives.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rnnc::runtime {

/// Everything a checkpoint records besides the tensors.
struct CheckpointMetadata {
  std::string modelName;
  std::string modelHash;                 ///< from hashModelSource
  std::u32string vocabulary;             ///< characters in id order
  std::string hyperParametersJson = "{}"; ///< must be valid JSON
  int64_t epoch = 0;                      ///< epochs completed
  /// Further string entries (e.g. "sampling"); may not reuse the keys above.
  std::map<std::string, std::string> extra;
};

/// A tensor to save; `data` holds the product of `shape` floats, or, when
/// `data64` is set instead, doubles (saved as F64: Adam's moments, which the
/// optimizer keeps in double, so a resumed run continues bit for bit).
struct TensorView {
  std::string name;
  std::vector<int64_t> shape;
  const float *data = nullptr;
  const double *data64 = nullptr;
};

/// A loaded tensor: F32 (the parameters) in `data`, F64 in `data64`.
struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;
  std::vector<double> data64;
  bool isF64 = false;
};

struct Checkpoint {
  CheckpointMetadata metadata;
  std::vector<NamedTensor> tensors; ///< in file order
  /// The tensor called `name`, or null.
  const NamedTensor *find(std::string_view name) const;
};

/// "fnv1a64:" + 16 hex digits of the FNV-1a 64-bit hash of the model text.
std::string hashModelSource(std::string_view modelText);

/// The bytes of a checkpoint file. Fails on an invalid hyper-parameter JSON,
/// a reserved `extra` key, a duplicate or empty tensor name, or a null data
/// pointer for a non-empty tensor.
Expected<std::string> serializeCheckpoint(const CheckpointMetadata &metadata,
                                          const std::vector<TensorView> &tensors);

/// Serialises and writes atomically to `path`.
Expected<void> saveCheckpoint(const std::string &path,
                              const CheckpointMetadata &metadata,
                              const std::vector<TensorView> &tensors);

/// Parses checkpoint bytes; `name` is used in messages. Rejects truncated
/// files, bad headers, a key given twice in one JSON object (a tensor name,
/// a metadata key), non-F32 tensors, shapes beyond ir/Type.h's limits
/// (checked before anything is allocated), offsets that do not match the
/// shape or do not tile the data section, missing rnnc metadata and
/// hyper-parameters that are not JSON. Never throws.
Expected<Checkpoint> parseCheckpoint(std::string_view bytes,
                                     const std::string &name);

/// Reads and parses the checkpoint at `path`, which must be a regular file
/// (not /dev/zero or a FIFO).
Expected<Checkpoint> loadCheckpoint(const std::string &path);

/// What a caller needs from a checkpoint before using it.
struct CheckpointExpectation {
  std::string modelHash;                   ///< empty: not checked
  std::optional<std::u32string> vocabulary; ///< nullopt: not checked
  struct Tensor {
    std::string name;
    std::vector<int64_t> shape;
  };
  std::vector<Tensor> tensors; ///< each must exist with this shape
};

/// Checks model hash, vocabulary and tensors; the message says what differs
/// ("was saved for a different model", "missing tensor 'W_hq'", ...).
Expected<void> checkCheckpoint(const Checkpoint &checkpoint,
                               const std::string &name,
                               const CheckpointExpectation &expected);

} // namespace rnnc::runtime
