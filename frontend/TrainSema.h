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

/// Whether the shape suits the initialiser: orthogonal needs rank >= 2,
/// identity a square matrix (`square`: both dimensions equal by name). The
/// error points at the initialiser and shows `shapeText`.
bool checkParamInitShape(const ast::VarDecl &param, const ir::ParamInit &init,
                         size_t rank, bool square, const std::string &shapeText,
                         DiagnosticEngine &diags);

/// States start at zero: the initialiser may only be absent or `zeros`.
bool checkStateInit(const ast::VarDecl &state, DiagnosticEngine &diags);

} // namespace rnnc::frontend
