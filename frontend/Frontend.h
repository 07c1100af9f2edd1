//===- Frontend.h - The rnnc DSL front end: public API ----------*- C++ -*-===//
///
/// \file
/// Text in, IR out. `parseModel` reads a model file (UTF-8 checked), parses
/// it and runs every semantic check (names, shapes, hyper-parameters) for
/// every binding;
/// `lowerToIR` specialises the checked model to concrete sizes and builds the
/// `@forward` function of the shared IR contract (one `scan` over time).
/// Errors go to the DiagnosticEngine as `file:line:col: error: ...` with the
/// source line and a caret; the functions return null and never throw.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/AST.h"
#include "ir/Diagnostics.h"
#include "ir/Error.h"
#include "ir/IR.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace rnnc::frontend {

/// Sizes that make a model concrete. `vocab` binds every `vocab` dimension;
/// batch and seqLen default to the train block's values.
struct ModelBindings {
  std::optional<int64_t> vocab, batch, seqLen;
};

/// Reads `path` into a buffer named `path`; an Error on failure (e.g.
/// "cannot open 'x.rnn': No such file or directory").
Expected<std::shared_ptr<const SourceBuffer>>
loadSourceFile(const std::string &path);

/// Parse + sema (Sema.h), with no binding: names, the train block,
/// initialisers and every shape, compared symbolically. Null (with
/// diagnostics reported) on any error.
std::unique_ptr<ast::Program>
parseModel(std::shared_ptr<const SourceBuffer> buffer, DiagnosticEngine &diags);

/// Lowers a program accepted by parseModel to a Module with `@forward`,
/// parameter initialisers and the train config. A missing vocab binding and
/// a size above the limits (DimPoly.h) are errors; nothing else can fail.
/// Null (with diagnostics) on error.
std::unique_ptr<ir::Module> lowerToIR(const ast::Program &program,
                                      const ModelBindings &bindings,
                                      DiagnosticEngine &diags);

/// What the tools need before any binding: the model's name, train config
/// and parameter initialisers, in a Module with no function. `program` must
/// come from parseModel.
std::unique_ptr<ir::Module> describeModel(const ast::Program &program);

} // namespace rnnc::frontend
