//===- AtomicFile.h - Replacing a small output file in one step -*- C++ -*-===//
///
/// \file
/// Writes a whole file so that a reader (a browser reloading a plot, the
/// next run) sees the old contents or the new, never half of them: the bytes
/// go to a temp file in the same directory (`.rnnc-PID-XXXXXX`, the pattern
/// checkpoint saves use and clean up after a killed process), which is
/// synced and renamed over the target. An existing non-regular target (a
/// directory, a FIFO, /dev/full) is refused. Checkpoints are written with
/// it too (Checkpoint.cpp first removes stale temp files).
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"

#include <string>
#include <string_view>

namespace rnnc::runtime {

/// Replaces `path` with `bytes`. An Error ("cannot write WHAT'PATH':
/// REASON"; `what` ends in a space, e.g. "checkpoint ") on any failure; the target is then unchanged and the temp file
/// removed.
Expected<void> writeFileAtomically(const std::string &path,
                                   std::string_view bytes,
                                   std::string_view what);

} // namespace rnnc::runtime
