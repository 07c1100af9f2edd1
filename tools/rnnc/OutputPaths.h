//===- OutputPaths.h - Checking the files a command will write --*- C++ -*-===//
///
/// \file
/// Every file `rnnc` writes (`train --save` and `--metrics-json`, `compile
/// -o` and `--header`) is checked here before any work: it must not be an
/// existing non-regular file (a device such as /dev/full, a FIFO, a
/// directory), nor name the same file as one of the command's inputs or
/// another output -- the same inode when both exist, else the same
/// canonical path.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"

#include <string>
#include <vector>

namespace rnnc::tool {

class OutputPaths {
public:
  /// An input, named in messages as `role` (e.g. "the model", "--data").
  /// The output whose flag is `mayBeRewrittenBy` may name it (`--resume X
  /// --save X` continues a checkpoint in place: it is read before any save).
  void addInput(const std::string &path, const std::string &role,
                const std::string &mayBeRewrittenBy = "");
  /// An output, named in messages by its flag (e.g. "--save"). Empty paths
  /// (the output is not asked for) are ignored.
  void addOutput(const std::string &path, const std::string &flag);
  /// An Error (one line) at the first conflict.
  Expected<void> check() const;

private:
  struct Entry {
    std::string path, name, exemptOutput;
  };
  std::vector<Entry> inputs_, outputs_;
};

} // namespace rnnc::tool
