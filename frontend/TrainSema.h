//===- TrainSema.h - Checks of settings: train block, initialisers -*- C++ -*-===//
///
/// \file
/// The non-tensor half of sema: the `train` block (loss, optimizer and its
/// hyper-parameters, clip, batch, seq_len, epochs, sampling) and parameter
/// initialisers. Both read constant expressions with named or positional
/// arguments, so they share the argument binder. Internal to frontend/.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/AST.h"
#include "ir/Diagnostics.h"
#include "ir/IR.h"

namespace rnnc::frontend {

/// Fills `config` from `train` (null: defaults). False if an error was reported.
bool checkTrainBlock(const ast::TrainBlock *train, ir::TrainConfig &config,
                     DiagnosticEngine &diags);

/// Reads a param's initialiser into `init`. False on error.
bool checkParamInit(const ast::VarDecl &param, ir::ParamInit &init,
                    DiagnosticEngine &diags);

/// States start at zero: the initialiser may only be absent or `zeros`.
bool checkStateInit(const ast::VarDecl &state, DiagnosticEngine &diags);

} // namespace rnnc::frontend
