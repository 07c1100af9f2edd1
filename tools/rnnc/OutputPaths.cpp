//===- OutputPaths.cpp - Checking the files a command will write ----------===//
#include "tools/rnnc/OutputPaths.h"

#include <filesystem>
#include <sys/stat.h>

namespace rnnc::tool {

namespace {

const char *kindOf(mode_t mode) {
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISFIFO(mode))
    return "a FIFO (pipe)";
  if (S_ISCHR(mode))
    return "a character device";
  if (S_ISBLK(mode))
    return "a block device";
  if (S_ISSOCK(mode))
    return "a socket";
  return "not a regular file";
}

/// Whether `a` and `b` name one file: the same inode when both exist, else
/// the same path once made absolute and free of `.`, `..` and symlinks.
bool sameFile(const std::string &a, const std::string &b) {
  struct stat sa, sb;
  bool haveA = ::stat(a.c_str(), &sa) == 0, haveB = ::stat(b.c_str(), &sb) == 0;
  if (haveA && haveB)
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  if (haveA != haveB)
    return false;
  std::error_code ea, eb;
  auto ca = std::filesystem::weakly_canonical(std::filesystem::absolute(a, ea), ea);
  auto cb = std::filesystem::weakly_canonical(std::filesystem::absolute(b, eb), eb);
  return !ea && !eb && ca == cb;
}

} // namespace

void OutputPaths::addInput(const std::string &path, const std::string &role,
                           const std::string &mayBeRewrittenBy) {
  if (!path.empty())
    inputs_.push_back({path, role, mayBeRewrittenBy});
}

void OutputPaths::addOutput(const std::string &path, const std::string &flag) {
  if (!path.empty())
    outputs_.push_back({path, flag, ""});
}

Expected<void> OutputPaths::check() const {
  for (size_t i = 0; i < outputs_.size(); ++i) {
    const Entry &out = outputs_[i];
    struct stat st;
    if (::stat(out.path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
      return Error(out.name + " '" + out.path + "' exists and is " +
                   kindOf(st.st_mode) + ", not a regular file; give a file path");
    }
    for (const Entry &in : inputs_)
      if (in.exemptOutput != out.name && sameFile(out.path, in.path)) {
        return Error(out.name + " '" + out.path + "' is " + in.name +
                     "; writing it would overwrite an input, give another path");
      }
    for (size_t j = 0; j < i; ++j)
      if (sameFile(out.path, outputs_[j].path)) {
        return Error(out.name + " '" + out.path + "' is also " + outputs_[j].name +
                     "; give each output its own path");
      }
  }
  return {};
}

} // namespace rnnc::tool
