//===- AstBuilder.h - ANTLR parse tree -> AST (internal) --------*- C++ -*-===//
///
/// \file
/// Internal to frontend/ (it names ANTLR's generated types): Parser.cpp
/// parses, AstBuilder.cpp converts. Structural errors the grammar allows
/// (two models, two steps, two train blocks, out-of-range numbers) are
/// reported here.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/AST.h"
#include "ir/Diagnostics.h"

#include "RnncParser.h"

#include <memory>

namespace rnnc::frontend {

/// The parse tree's depth must already be bounded (the builder recurses).
std::unique_ptr<ast::Program> buildAst(rnnc_antlr::RnncParser::ProgramContext *tree,
                                       DiagnosticEngine &diags);

} // namespace rnnc::frontend
