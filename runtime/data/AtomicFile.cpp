//===- AtomicFile.cpp - Replacing a small output file in one step ---------===//
///
/// \file
/// 1. refuse an existing non-regular target, 2. mkostemp a temp file next to
/// it, 3. write, fchmod to 0666 & ~umask, fsync, close, 4. rename over the
/// target. See AtomicFile.h.
///
//===----------------------------------------------------------------------===//
#include "runtime/data/AtomicFile.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rnnc::runtime {

Expected<void> writeFileAtomically(const std::string &path,
                                   std::string_view bytes,
                                   std::string_view what) {
  auto fail = [&](const std::string &why) -> Expected<void> {
    return Error(fmt::format("cannot write {}'{}': {}", what, path, why));
  };
  struct stat existing;
  if (::stat(path.c_str(), &existing) == 0 && !S_ISREG(existing.st_mode))
    return fail("it exists and is not a regular file");
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  // A short temp name in the same directory (so the rename is atomic and a
  // name of up to NAME_MAX characters still fits); the pid lets a later
  // checkpoint save remove it if this process is killed before the rename.
  std::string tempPath =
      (dir == "/" ? "" : dir) + "/.rnnc-" + std::to_string(::getpid()) + "-XXXXXX";
  int fd = ::mkostemp(tempPath.data(), O_CLOEXEC);
  if (fd < 0)
    return fail(std::strerror(errno));
  auto failRemoving = [&](const char *step) {
    std::string why = std::string(step) + ": " + std::strerror(errno);
    ::unlink(tempPath.c_str());
    return fail(why);
  };
  mode_t mask = ::umask(0);
  ::umask(mask);
  bool written = ::fchmod(fd, 0666 & ~mask) == 0;
  for (size_t done = 0; written && done < bytes.size();) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    written = n > 0;
    done += written ? static_cast<size_t>(n) : 0;
  }
  if (!written || ::fsync(fd) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return failRemoving("write");
  }
  if (::close(fd) != 0)
    return failRemoving("close");
  if (::rename(tempPath.c_str(), path.c_str()) != 0)
    return failRemoving("rename");
  // Make the rename itself durable.
  int dirFd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd >= 0) {
    ::fsync(dirFd);
    ::close(dirFd);
  }
  return {};
}

} // namespace rnnc::runtime
