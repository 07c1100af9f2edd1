//===- ReleaseCompilerMemory.h - Give back what compiling touched -*- C++ -*-===//
///
/// \file
/// LLVM is linked statically, and compiling a model touches about 25 MB of
/// its code (the O3 pipeline, the x86 back end, ORC). Once a command has
/// compiled everything it runs, that code is not executed again, yet its
/// pages stay resident and count in the process's RSS for the whole run.
/// releaseCompilerMemory() drops the executable's code pages from the
/// process (they are clean file pages: any page still needed is read back
/// from the page cache on its next use) and returns freed heap to the
/// system, so a long training run holds only what it uses.
///
//===----------------------------------------------------------------------===//
#pragma once

#include <cstddef>

namespace rnnc::driver {

/// Returns the bytes of executable code handed back (0 when the platform
/// has no way to do it).
size_t releaseCompilerMemory();

} // namespace rnnc::driver
