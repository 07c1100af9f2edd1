//===- ParamInit.h - Filling parameters from their initialisers -*- C++ -*-===//
///
/// \file
/// Gives each parameter its starting values from the DSL initialiser kept in
/// the module (ir::ParamInit): normal(mean, std), uniform(lo, hi), zeros,
/// ones, xavier (Glorot uniform), orthogonal(gain) (the Q of a normal
/// matrix's QR, as torch.nn.init.orthogonal_) and identity(scale). All
/// randomness comes from one seeded Rng, drawn in parameter order, so a seed
/// fixes the initial model. The trainer and the C API (rnnc_capi, which
/// compiles this file) both initialise through here.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/IR.h"
#include "runtime/train/Optimizer.h"
#include "runtime/train/Rng.h"

#include <cstdint>
#include <string>
#include <vector>

namespace rnnc::runtime {

/// Xavier/Glorot uniform bound sqrt(6 / (fanIn + fanOut)) for a parameter
/// of this shape. Parameters are used as `x @ W`, so for [in, out] the fan-in
/// is shape[0] and the fan-out shape[1] (the transpose of PyTorch's [out, in]
/// layout). A vector [n] has fanIn = fanOut = n; for more dimensions the
/// leading ones multiply into the fan-in.
double xavierUniformBound(const std::vector<int64_t> &shape);

/// Fills `values` (the product of `shape` elements) as `init` says.
/// Unknown kinds, bad arguments (std < 0, hi < lo, gain or scale <= 0) and
/// shapes an initialiser cannot fill (orthogonal on a vector, identity on
/// anything but a square matrix) are an error. orthogonal draws rows * cols
/// normals, in row-major order, as normal(0, 1) would; identity draws none.
Expected<void> initializeParam(FloatSpan values, const std::vector<int64_t> &shape,
                               const ir::ParamInit &init, Rng &rng);

} // namespace rnnc::runtime
