//===- Diagnostics.cpp - Source buffers and error reporting ---------------===//
///
/// \file
/// Formatting of `file:line:col: error: ...` with the source line and a caret.
/// Columns count code points so the caret lines up under CJK text too (each
/// code point is written as one caret column; terminals may draw wide
/// characters two cells wide, so the caret line copies tabs and uses the same
/// code points' widths approximately by padding with spaces).
///
//===----------------------------------------------------------------------===//
#include "ir/Diagnostics.h"

#include <cerrno>
#include <fcntl.h>
#include <istream>
#include <sys/stat.h>
#include <unistd.h>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>

namespace rnnc {

SourceBuffer::SourceBuffer(std::string name, std::string text)
    : name_(std::move(name)), text_(std::move(text)) {
  lineStarts_.push_back(0);
  for (size_t i = 0; i < text_.size(); ++i)
    if (text_[i] == '\n')
      lineStarts_.push_back(i + 1);
}

std::string_view SourceBuffer::lineText(uint32_t line) const {
  if (line == 0 || line > lineStarts_.size())
    return {};
  size_t begin = lineStarts_[line - 1];
  size_t end = line < lineStarts_.size() ? lineStarts_[line] - 1 : text_.size();
  if (end > begin && text_[end - 1] == '\r')
    --end;
  return std::string_view(text_).substr(begin, end - begin);
}

int openRegularFile(const std::string &path, std::string_view what,
                    uint64_t *size, std::string *error) {
  std::string named = std::string(what) + "'" + path + "'";
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (error)
      *error = "cannot open " + named + ": " + std::strerror(errno);
    return -1;
  }
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
    if (error)
      *error = std::string("cannot read ") + named + ": it is " + kind +
               ", not a regular file";
    return -1;
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

std::optional<std::string> readFileBytes(const std::string &path,
                                         std::string_view what,
                                         std::string *error,
                                         uint64_t maxBytes) {
  auto fail = [&](const std::string &message) -> std::optional<std::string> {
    if (error)
      *error = message;
    return std::nullopt;
  };
  std::string named = std::string(what) + "'" + path + "'";
  uint64_t size = 0;
  int fd = openRegularFile(path, what, &size, error);
  if (fd < 0)
    return std::nullopt;
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

std::optional<std::string> readStreamBytes(std::istream &in,
                                           const std::string &name,
                                           std::string *error,
                                           uint64_t maxBytes) {
  std::string contents;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    if (contents.size() + static_cast<uint64_t>(in.gcount()) > maxBytes) {
      if (error)
        *error = "cannot read " + name + ": it is larger than the " +
                 limitText(maxBytes) + " limit";
      return std::nullopt;
    }
    contents.append(buffer, static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) {
    if (error)
      *error = "cannot read " + name;
    return std::nullopt;
  }
  return contents;
}

DiagnosticEngine::DiagnosticEngine(std::shared_ptr<const SourceBuffer> buffer,
                                   std::ostream &os)
    : buffer_(std::move(buffer)), os_(os) {}

static const char *severityName(Severity s) {
  switch (s) {
  case Severity::Error:
    return "error";
  case Severity::Warning:
    return "warning";
  case Severity::Note:
    return "note";
  }
  return "error";
}

/// Is `c` the first byte of a UTF-8 sequence (not a continuation byte)?
static bool startsCodePoint(unsigned char c) { return (c & 0xC0) != 0x80; }

std::string elideLongWords(std::string_view message) {
  constexpr size_t kMaxWord = 80, kKept = 40;
  std::string out;
  size_t i = 0;
  while (i < message.size()) {
    size_t end = message.find_first_of(" '\"`,;:()[]{}\n", i);
    if (end == i) {
      out += message[i++];
      continue;
    }
    if (end == std::string_view::npos)
      end = message.size();
    std::string_view word = message.substr(i, end - i);
    if (word.size() <= kMaxWord) {
      out += word;
    } else {
      size_t cut = kKept;
      while (cut > 0 && !startsCodePoint(static_cast<unsigned char>(word[cut])))
        --cut;
      out += word.substr(0, cut);
      out += "... (" + std::to_string(word.size()) + " bytes)";
    }
    i = end;
  }
  return out;
}

void DiagnosticEngine::report(Severity severity, SourceLocation loc,
                              std::string_view message) {
  if (severity == Severity::Error) {
    if (errors_ == kMaxErrors)
      os_ << "error: too many errors, stopping\n";
    if (errors_++ >= kMaxErrors)
      return;
  } else if (errors_ > kMaxErrors) {
    return; // the notes and warnings of errors no longer shown
  }
  if (buffer_)
    os_ << buffer_->name() << ':';
  if (buffer_ && loc.isValid())
    os_ << loc.line << ':' << loc.col << ':';
  if (buffer_)
    os_ << ' ';
  os_ << severityName(severity) << ": " << elideLongWords(message) << '\n';
  if (!buffer_ || !loc.isValid())
    return;
  std::string_view line = buffer_->lineText(loc.line);
  // Very long lines (e.g. a 1 MB file of junk) are cut around the caret.
  constexpr size_t kMaxShown = 200;
  std::string caret;
  uint32_t col = 1;
  size_t shownBegin = 0;
  size_t i = 0;
  for (; i < line.size() && col < loc.col; ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if (!startsCodePoint(c))
      continue;
    caret += (c == '\t') ? '\t' : ' ';
    ++col;
  }
  if (i > kMaxShown) {
    shownBegin = i - kMaxShown / 2;
    while (shownBegin < line.size() &&
           !startsCodePoint(static_cast<unsigned char>(line[shownBegin])))
      ++shownBegin;
    // Rebuild the caret for the shown window.
    caret.clear();
    for (size_t j = shownBegin; j < i; ++j)
      if (startsCodePoint(static_cast<unsigned char>(line[j])))
        caret += line[j] == '\t' ? '\t' : ' ';
  }
  std::string_view shown = line.substr(shownBegin, kMaxShown);
  os_ << shown << '\n' << caret << "^\n";
}

} // namespace rnnc
