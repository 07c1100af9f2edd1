//===- AOTLoader.h - Calling an `rnnc compile` object without linking it -*- C++ -*-===//
///
/// \file
/// For the `aot` comparison of DifferentialCheck.h: writes the object that
/// `rnnc compile` writes (runtime/codegen/AOTCompiler.h emitCompiledModel, same
/// functions, host CPU) to a temporary file, loads it into an ORC LLJIT of
/// its own and calls its `train_step` and `forward` through the model
/// descriptor, so the
/// machine code under test is the object's, not the JIT's. The object's
/// references are resolved to the runtime kernels, the C library, a
/// `rnnc_capi_create` shim that returns the descriptor it is given, and a
/// trap for every other `rnnc_capi_*` entry (never called here). No LLVM
/// type appears in this header.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/IR.h"

#include <string>

namespace rnnc::difftest {

/// Emits `trainStep` and `forward` as an object, loads it and runs its
/// `train_step` once on `trainArgs` into `trainResults`, and its `forward`
/// once on `forwardArgs` into `forwardResults` (the buffers
/// runtime::CompiledFunction::run takes). False with `*error` on failure.
bool runAOTModel(const ir::Function &forward, const ir::Function &trainStep, void *const *trainArgs,
                 void *const *trainResults, void *const *forwardArgs, void *const *forwardResults,
                 std::string *error);

} // namespace rnnc::difftest
