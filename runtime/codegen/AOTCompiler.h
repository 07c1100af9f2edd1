//===- AOTCompiler.h - Ahead-of-time objects for `rnnc compile` -*- C++ -*-===//
///
/// \file
/// Compiles a model's `@forward` (B = T = 1) and `@train_step` into one
/// object file (or assembly / LLVM IR) that a C program links together with
/// the static runtime library `rnnc_capi` (runtime/capi/), and writes the C
/// header that declares its entry points. The object defines, as its only
/// global symbols, `<prefix>_create`, `<prefix>_train_step`, ... which
/// forward to `rnnc_capi_*` with the model's descriptor; the compiled
/// functions, the descriptor and the model's JSON description have internal
/// linkage, so several compiled models link into one program.
///
/// The functions are lowered and optimised exactly as the JIT does
/// (runtime/codegen/JIT.cpp: Codegen, O3 for the target machine), so with the host
/// CPU the object computes what `rnnc train` / `rnnc generate` compute.
/// No LLVM type appears in this header.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"
#include "ir/IR.h"

#include <optional>
#include <string>
#include <vector>

namespace rnnc::runtime {

enum class AOTEmitKind { Object, Assembly, LLVM };

struct AOTOptions {
  std::string prefix;    ///< C identifier prefixed to every entry point
  std::string targetCPU; ///< empty: the host CPU and its features
  std::string targetFeatures; ///< "+avx2,-avx512f", added to the CPU's
  AOTEmitKind emit = AOTEmitKind::Object;
};

/// What the object records about the model besides its IR.
struct AOTModelFacts {
  std::string source; ///< model text (saved in checkpoints)
  std::string hash;   ///< hashModelSource(source)
  std::optional<std::u32string> vocabulary; ///< characters in id order
  std::string hyperParametersJson = "{}";
};

/// True if `prefix` is a C identifier that cannot clash with rnnc's own
/// symbols (letters, digits, '_', not starting with a digit or "rnnc_").
bool isValidPrefix(const std::string &prefix);

/// Success if `cpu` is empty (the host) or an LLVM CPU name for this host's
/// target, and every entry of `features` (comma-separated +NAME / -NAME) an
/// LLVM feature of it; otherwise an Error naming the first that is not.
Expected<void> checkTarget(const std::string &cpu, const std::string &features);

/// The prefix derived from a model name: `CharRNN` -> `char_rnn`.
std::string defaultPrefix(const std::string &modelName);

/// The JSON description the runtime library reads (runtime/capi/
/// ModelContext.h): parameters with shapes and initialisers, states, V, B, T,
/// train block, vocabulary, source and hash. `forwardModule` holds `@forward`
/// lowered with B = T = 1, `trainModule` `@train_step`.
Expected<std::string> describeModel(const ir::Module &forwardModule,
                                    const ir::Module &trainModule,
                                    const AOTModelFacts &facts);

/// Writes the object (or assembly / LLVM IR) to `outputPath`. Fails with a
/// message on an unknown CPU, a codegen error or an unwritable path.
Expected<void> emitCompiledModel(const ir::Function &forward,
                                 const ir::Function &trainStep,
                                 const std::string &modelJson,
                                 const AOTOptions &options,
                                 const std::string &outputPath);

/// Facts the header documents.
struct AOTHeaderInfo {
  std::string prefix, modelName;
  int64_t vocab = 0, batch = 0, seqLen = 0;
  bool hasVocabulary = false;
  std::vector<std::string> params; ///< "name: [shape]"
};

/// The plain C99 header declaring the object's entry points.
std::string generateCHeader(const AOTHeaderInfo &info);

} // namespace rnnc::runtime
