//===- FileBytes.h - Reading whole input files, safely ---------*- C++ -*-===//
///
/// \file
/// Reads a model, IR text or a checkpoint whole: regular files only, below a
/// size cap, every failure a one-line message. Its own file (and library,
/// rnnc_files) because the C runtime library reads checkpoints with it and
/// needs nothing else from ir/.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace rnnc {

/// The largest input file read whole (a model, IR text, a checkpoint).
constexpr uint64_t kMaxInputFileBytes = uint64_t(2) << 30; // 2 GiB

/// The whole of a file as bytes. `what` names the kind of file in messages
/// ("corpus " gives "cannot open corpus 'x': No such file or directory").
/// Only regular files are read: a directory, a FIFO or a device (/dev/zero)
/// is refused before any byte is read, and so is a file above `maxBytes`;
/// every failure is a message, never an exception.
Expected<std::string> readFileBytes(const std::string &path,
                                    std::string_view what,
                                    uint64_t maxBytes = kMaxInputFileBytes);

/// All of `in` (standard input), refused past `maxBytes`.
Expected<std::string> readStreamBytes(std::istream &in,
                                      const std::string &name,
                                      uint64_t maxBytes = kMaxInputFileBytes);

/// Opens `path` for reading if it is a regular file (without blocking on a
/// FIFO) and returns its descriptor, which the caller closes; an Error
/// ("cannot read corpus 'x': it is a FIFO (pipe), not a regular file")
/// otherwise. `*size` gets its size.
Expected<int> openRegularFile(const std::string &path, std::string_view what,
                              uint64_t *size);

} // namespace rnnc
