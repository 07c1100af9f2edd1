//===- FileBytes.cpp - Reading whole input files, safely ------------------===//
#include "ir/FileBytes.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <istream>
#include <sys/stat.h>
#include <unistd.h>

namespace rnnc {

Expected<int> openRegularFile(const std::string &path, std::string_view what,
                              uint64_t *size) {
  std::string named = std::string(what) + "'" + path + "'";
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return Error("cannot open " + named + ": " + std::strerror(errno));
  struct stat st;
  const char *kind = nullptr;
  if (::fstat(fd, &st) != 0)
    kind = "something that cannot be examined";
  else if (S_ISDIR(st.st_mode))
    kind = "a directory";
  else if (S_ISFIFO(st.st_mode))
    kind = "a FIFO (pipe)";
  else if (S_ISCHR(st.st_mode))
    kind = "a character device";
  else if (S_ISBLK(st.st_mode))
    kind = "a block device";
  else if (S_ISSOCK(st.st_mode))
    kind = "a socket";
  else if (!S_ISREG(st.st_mode))
    kind = "not a regular file";
  if (kind) {
    ::close(fd);
    return Error(std::string("cannot read ") + named + ": it is " + kind +
                 ", not a regular file");
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  if (size)
    *size = static_cast<uint64_t>(st.st_size);
  return fd;
}

namespace {
std::string limitText(uint64_t bytes) {
  if (bytes % (uint64_t(1) << 30) == 0)
    return std::to_string(bytes >> 30) + " GiB";
  if (bytes % (uint64_t(1) << 20) == 0)
    return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}
} // namespace

Expected<std::string> readFileBytes(const std::string &path,
                                    std::string_view what, uint64_t maxBytes) {
  auto fail = [](std::string message) { return Error(std::move(message)); };
  std::string named = std::string(what) + "'" + path + "'";
  uint64_t size = 0;
  Expected<int> opened = openRegularFile(path, what, &size);
  if (!opened)
    return opened.error();
  int fd = *opened;
  if (size > maxBytes) {
    ::close(fd);
    return fail("cannot read " + named + ": it is larger than the " +
                limitText(maxBytes) + " limit");
  }
  std::string contents;
  contents.reserve(static_cast<size_t>(size));
  char buffer[1 << 16];
  for (;;) {
    ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0) {
      std::string why = std::strerror(errno);
      ::close(fd);
      return fail("cannot read " + named + ": " + why);
    }
    if (got == 0)
      break;
    if (contents.size() + static_cast<uint64_t>(got) > maxBytes) {
      ::close(fd); // it grew while being read
      return fail("cannot read " + named + ": it is larger than the " +
                  limitText(maxBytes) + " limit");
    }
    contents.append(buffer, static_cast<size_t>(got));
  }
  ::close(fd);
  return contents;
}

Expected<std::string> readStreamBytes(std::istream &in,
                                      const std::string &name,
                                      uint64_t maxBytes) {
  std::string contents;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    if (contents.size() + static_cast<uint64_t>(in.gcount()) > maxBytes)
      return Error("cannot read " + name + ": it is larger than the " +
                   limitText(maxBytes) + " limit");
    contents.append(buffer, static_cast<size_t>(in.gcount()));
  }
  if (in.bad())
    return Error("cannot read " + name);
  return contents;
}

} // namespace rnnc
