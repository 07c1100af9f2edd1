//===- Corpus.cpp - Reading a training text as code points ----------------===//
///
/// \file
/// File and zip reading (libzip, inflating as it goes), fortune-format
/// clean-up, UTF-8 validation and the d2l newline/truncation recipe, all in
/// one streaming pass (two when an `auto` corpus turns out to be a fortunes
/// file). See Corpus.h.
///
//===----------------------------------------------------------------------===//
#include "runtime/data/Corpus.h"

#include "ir/FileBytes.h"

#include "runtime/data/Utf8.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <memory>
#include <unistd.h>
#include <vector>
#include <zip.h>

namespace rnnc::runtime {

namespace {

bool looksLikeZip(std::string_view bytes) {
  return bytes.size() >= 4 && bytes.substr(0, 4) == std::string_view("PK\x03\x04", 4);
}

/// An empty zip archive has only the end-of-central-directory record.
bool looksLikeEmptyZip(std::string_view bytes) {
  return bytes.size() >= 4 && bytes.substr(0, 4) == std::string_view("PK\x05\x06", 4);
}

/// Where the text comes from: a regular file, or the one file of a zip
/// archive inflated as it is read.
class ByteSource {
public:
  virtual ~ByteSource() = default;
  /// Up to `n` bytes into `buffer`: the count, 0 at the end, -1 with
  /// `*error` set.
  virtual int64_t read(char *buffer, size_t n, std::string *error) = 0;
  /// The size of the text as the file system or the archive states it.
  virtual uint64_t statedSize() const = 0;
};

class FileSource : public ByteSource {
public:
  FileSource(int fd, uint64_t size, std::string path)
      : fd_(fd), size_(size), path_(std::move(path)) {}
  ~FileSource() override { ::close(fd_); }
  int64_t read(char *buffer, size_t n, std::string *error) override {
    for (;;) {
      ssize_t got = ::read(fd_, buffer, n);
      if (got >= 0)
        return got;
      if (errno != EINTR) {
        *error = fmt::format("cannot read corpus '{}': {}", path_,
                             std::strerror(errno));
        return -1;
      }
    }
  }
  uint64_t statedSize() const override { return size_; }

private:
  int fd_;
  uint64_t size_;
  std::string path_;
};

class ZipSource : public ByteSource {
public:
  ZipSource(zip_t *zip, zip_file_t *file, uint64_t size, std::string member,
            std::string path)
      : zip_(zip), file_(file), size_(size), member_(std::move(member)),
        path_(std::move(path)) {}
  ~ZipSource() override {
    zip_fclose(file_);
    zip_discard(zip_);
  }
  int64_t read(char *buffer, size_t n, std::string *error) override {
    zip_int64_t got = zip_fread(file_, buffer, n);
    if (got < 0)
      *error = fmt::format("cannot read '{}' in zip archive '{}': {}", member_,
                           path_, zip_file_strerror(file_));
    return got;
  }
  uint64_t statedSize() const override { return size_; }

private:
  zip_t *zip_;
  zip_file_t *file_;
  uint64_t size_;
  std::string member_, path_;
};

/// Opens the zip archive on `fd` (taken over) and its one regular file.
std::unique_ptr<ByteSource> openZipMember(int fd, const std::string &path,
                                          std::string *error) {
  int code = 0;
  zip_t *zip = zip_fdopen(fd, ZIP_RDONLY, &code);
  if (!zip) {
    ::close(fd);
    zip_error_t zipError;
    zip_error_init_with_code(&zipError, code);
    *error = fmt::format("cannot read zip archive '{}': {}", path,
                         zip_error_strerror(&zipError));
    zip_error_fini(&zipError);
    return nullptr;
  }
  // Directories are entries too; the corpus is the one entry that is a file.
  zip_int64_t entries = zip_get_num_entries(zip, 0);
  std::vector<zip_uint64_t> files;
  for (zip_int64_t i = 0; i < entries; ++i) {
    const char *name = zip_get_name(zip, i, 0);
    if (name && *name && name[std::strlen(name) - 1] != '/')
      files.push_back(static_cast<zip_uint64_t>(i));
  }
  if (files.size() != 1) {
    zip_discard(zip);
    *error = files.empty()
                 ? fmt::format("zip archive '{}' contains no file", path)
                 : fmt::format("zip archive '{}' contains {} files; expected one",
                               path, files.size());
    return nullptr;
  }
  std::string member = zip_get_name(zip, files[0], 0);
  zip_stat_t st;
  zip_stat_init(&st);
  uint64_t size = zip_stat_index(zip, files[0], 0, &st) == 0 &&
                          (st.valid & ZIP_STAT_SIZE)
                      ? st.size
                      : 0;
  zip_file_t *file = zip_fopen_index(zip, files[0], 0);
  if (!file) {
    *error = fmt::format("cannot read '{}' in zip archive '{}': {}", member,
                         path, zip_strerror(zip));
    zip_discard(zip);
    return nullptr;
  }
  return std::make_unique<ZipSource>(zip, file, size, member, path);
}

/// The corpus file as a byte source: only a regular file; a zip archive (by
/// its magic number) gives its one file, inflated as it is read.
std::unique_ptr<ByteSource> openCorpusSource(const std::string &path,
                                             std::string *error) {
  uint64_t size = 0;
  Expected<int> opened = openRegularFile(path, "corpus ", &size);
  if (!opened) {
    *error = opened.error().message();
    return nullptr;
  }
  int fd = *opened;
  char magic[4] = {};
  ssize_t got = ::pread(fd, magic, sizeof magic, 0);
  std::string_view head(magic, got > 0 ? static_cast<size_t>(got) : 0);
  if (looksLikeEmptyZip(head)) {
    ::close(fd);
    *error = fmt::format("zip archive '{}' contains no file", path);
    return nullptr;
  }
  if (looksLikeZip(head))
    return openZipMember(fd, path, error);
  return std::make_unique<FileSource>(fd, size, path);
}

/// The byte-count limit in messages: "1 GiB", "1000 bytes".
std::string describeLimit(uint64_t bytes) {
  if (bytes >= (uint64_t(1) << 30) && bytes % (uint64_t(1) << 30) == 0)
    return fmt::format("{} GiB", bytes >> 30);
  if (bytes >= (uint64_t(1) << 20) && bytes % (uint64_t(1) << 20) == 0)
    return fmt::format("{} MiB", bytes >> 20);
  return fmt::format("{} bytes", bytes);
}

std::string tooLarge(const std::string &name, uint64_t limit) {
  return fmt::format("corpus '{}' holds more than {} of text, the limit; "
                     "raise it with --max-corpus-bytes or keep fewer "
                     "characters with --chars",
                     name, describeLimit(limit));
}

/// The d2l recipe over code points as they arrive: fortune clean-up (escape
/// sequences, then `%` lines), a leading byte-order mark dropped, newlines
/// replaced, the first `maxChars` kept. It also notes what loadCorpus needs
/// to decide the format of an `auto` corpus without reading it twice.
class CorpusPipeline {
public:
  CorpusPipeline(const CorpusOptions &options, bool fortune)
      : options_(options), fortune_(fortune) {}

  void push(char32_t c) {
    noteRawLine(c);
    if (!fortune_)
      return keep(c);
    stripEscape(c);
  }
  /// At the end of the input: a pending `%` line is dropped.
  void finish() {
    if (rawLine_ == RawLine::Percent || rawLine_ == RawLine::PercentCR)
      sawSeparator_ = true;
    if (fortune_ && !(pending_ == U"%" || pending_ == U"%\r"))
      for (char32_t p : pending_)
        keep(p);
    pending_.clear();
  }

  bool full() const {
    return options_.maxChars != 0 && text_.size() >= options_.maxChars;
  }
  /// A line of the raw text that is exactly `%` was seen.
  bool sawSeparator() const { return sawSeparator_; }
  /// Whether reading may stop: the kept text is complete and nothing after
  /// it can change it (an `auto` corpus that kept an escape sequence would
  /// lose it if a `%` line came later; one whose last kept line is `%`
  /// would lose that line).
  bool canStop(bool formatDecided) const {
    return full() && (formatDecided ||
                      (!keptEscape_ && rawLine_ != RawLine::Percent &&
                       rawLine_ != RawLine::PercentCR));
  }
  std::u32string &text() { return text_; }

private:
  enum class RawLine { Start, Percent, PercentCR, Other };
  enum class Escape { None, AfterEsc, Params, Intermediates };

  void noteRawLine(char32_t c) {
    if (c == U'\n') {
      if (rawLine_ == RawLine::Percent || rawLine_ == RawLine::PercentCR)
        sawSeparator_ = true;
      rawLine_ = RawLine::Start;
      return;
    }
    if (rawLine_ == RawLine::Start && c == U'%')
      rawLine_ = RawLine::Percent;
    else if (rawLine_ == RawLine::Percent && c == U'\r')
      rawLine_ = RawLine::PercentCR;
    else
      rawLine_ = RawLine::Other;
  }

  /// ESC '[' params(0x30-0x3F)* intermediates(0x20-0x2F)* final(0x40-0x7E),
  /// or ESC + one byte in 0x40-0x5F, as stripFortuneMarkup.
  void stripEscape(char32_t c) {
    switch (escape_) {
    case Escape::None:
      if (c == 0x1B)
        escape_ = Escape::AfterEsc;
      else
        filterSeparatorLine(c);
      return;
    case Escape::AfterEsc:
      escape_ = Escape::None;
      if (c == U'[')
        escape_ = Escape::Params;
      else if (!(c >= 0x40 && c <= 0x5F))
        stripEscape(c);
      return;
    case Escape::Params:
      if (c >= 0x30 && c <= 0x3F)
        return;
      escape_ = Escape::Intermediates;
      stripEscape(c);
      return;
    case Escape::Intermediates:
      if (c >= 0x20 && c <= 0x2F)
        return;
      escape_ = Escape::None;
      if (!(c >= 0x40 && c <= 0x7E))
        stripEscape(c);
      return;
    }
  }

  /// Drops lines that are exactly `%` (or `%\r`) with their newline.
  void filterSeparatorLine(char32_t c) {
    if (atLineStart_ || !pending_.empty()) {
      std::u32string candidate = pending_ + c;
      if (candidate == U"%" || candidate == U"%\r") {
        pending_ = candidate;
        atLineStart_ = false;
        return;
      }
      if (c == U'\n' && !pending_.empty()) { // "%\n" or "%\r\n"
        pending_.clear();
        atLineStart_ = true;
        return;
      }
      for (char32_t p : pending_)
        keep(p);
      pending_.clear();
    }
    atLineStart_ = c == U'\n';
    keep(c);
  }

  void keep(char32_t c) {
    if (!sawFirst_) {
      sawFirst_ = true;
      // A byte-order mark is an encoding artefact, not a character.
      if (c == U'\uFEFF')
        return;
    }
    if (full())
      return;
    if (c == 0x1B)
      keptEscape_ = true;
    if (options_.newlines == NewlineMode::Space && (c == U'\n' || c == U'\r'))
      c = U' ';
    text_.push_back(c);
  }

  const CorpusOptions &options_;
  bool fortune_;
  std::u32string text_;
  RawLine rawLine_ = RawLine::Start;
  Escape escape_ = Escape::None;
  std::u32string pending_; ///< a possible `%` line, held back
  bool atLineStart_ = true, sawFirst_ = false, sawSeparator_ = false;
  bool keptEscape_ = false;
};

/// One pass over the corpus: the kept text, or nullopt with `*error`; sets
/// `*restartAsFortune` when an `auto` corpus turns out to be a fortunes file.
std::optional<std::u32string> readOnce(const std::string &path,
                                       const CorpusOptions &options,
                                       bool fortune, bool *restartAsFortune,
                                       std::string *error) {
  std::unique_ptr<ByteSource> source = openCorpusSource(path, error);
  if (!source)
    return std::nullopt;
  uint64_t stated = source->statedSize();
  if (stated > options.maxBytes && options.maxChars == 0) {
    *error = tooLarge(path, options.maxBytes);
    return std::nullopt;
  }
  bool decided = fortune || options.format != CorpusFormat::Auto;
  CorpusPipeline pipeline(options, fortune);
  if (options.maxChars != 0)
    pipeline.text().reserve(static_cast<size_t>(
        std::min<uint64_t>(options.maxChars, stated ? stated : 4096)));
  Utf8StreamDecoder decoder;
  std::vector<char> buffer(1 << 16);
  std::u32string decoded;
  uint64_t total = 0;
  for (;;) {
    int64_t got = source->read(buffer.data(), buffer.size(), error);
    if (got < 0)
      return std::nullopt;
    if (got == 0)
      break;
    // Past the limit only if the bytes within it do not complete the text.
    uint64_t allowed =
        std::min<uint64_t>(static_cast<uint64_t>(got), options.maxBytes - total);
    bool overLimit = allowed < static_cast<uint64_t>(got);
    total += allowed;
    decoded.clear();
    Expected<void> fed = decoder.feed(
        std::string_view(buffer.data(), static_cast<size_t>(allowed)), decoded);
    if (!fed) {
      *error = fmt::format("corpus '{}': {}", path, fed.error().message());
      return std::nullopt;
    }
    for (char32_t c : decoded)
      pipeline.push(c);
    if (!decided && pipeline.sawSeparator()) {
      *restartAsFortune = true;
      return std::nullopt;
    }
    if (pipeline.canStop(decided))
      return std::move(pipeline.text());
    if (overLimit) {
      *error = tooLarge(path, options.maxBytes);
      return std::nullopt;
    }
  }
  if (total == 0) {
    *error = fmt::format("corpus '{}' is empty", path);
    return std::nullopt;
  }
  if (Expected<void> finished = decoder.finish(); !finished) {
    *error = fmt::format("corpus '{}': {}", path, finished.error().message());
    return std::nullopt;
  }
  pipeline.finish();
  if (!decided && pipeline.sawSeparator()) {
    *restartAsFortune = true;
    return std::nullopt;
  }
  return std::move(pipeline.text());
}

bool hasFortuneSeparator(std::string_view text) {
  size_t lineStart = 0;
  while (lineStart <= text.size()) {
    size_t end = text.find('\n', lineStart);
    std::string_view line = text.substr(
        lineStart, end == std::string_view::npos ? std::string_view::npos
                                                 : end - lineStart);
    if (line == "%" || line == "%\r")
      return true;
    if (end == std::string_view::npos)
      break;
    lineStart = end + 1;
  }
  return false;
}

} // namespace

std::optional<NewlineMode> parseNewlineMode(std::string_view word) {
  if (word == "space")
    return NewlineMode::Space;
  if (word == "keep")
    return NewlineMode::Keep;
  return std::nullopt;
}

std::optional<CorpusFormat> parseCorpusFormat(std::string_view word) {
  if (word == "plain")
    return CorpusFormat::Plain;
  if (word == "fortune")
    return CorpusFormat::Fortune;
  if (word == "auto")
    return CorpusFormat::Auto;
  return std::nullopt;
}

std::string stripFortuneMarkup(std::string_view text) {
  // 1. Drop escape sequences. CSI: ESC '[' params(0x30-0x3F)*
  //    intermediates(0x20-0x2F)* final(0x40-0x7E). Otherwise ESC + one byte.
  std::string plain;
  plain.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text[i] != '\x1b') {
      plain.push_back(text[i++]);
      continue;
    }
    ++i;
    if (i < text.size() && text[i] == '[') {
      ++i;
      while (i < text.size() && text[i] >= 0x30 && text[i] <= 0x3F)
        ++i;
      while (i < text.size() && text[i] >= 0x20 && text[i] <= 0x2F)
        ++i;
      if (i < text.size() && text[i] >= 0x40 && text[i] <= 0x7E)
        ++i;
    } else if (i < text.size() && text[i] >= 0x40 && text[i] <= 0x5F) {
      ++i;
    }
  }
  // 2. Drop separator lines (with their newline).
  std::string out;
  out.reserve(plain.size());
  size_t lineStart = 0;
  while (lineStart < plain.size()) {
    size_t end = plain.find('\n', lineStart);
    size_t next = end == std::string::npos ? plain.size() : end + 1;
    std::string_view line(plain.data() + lineStart,
                          (end == std::string::npos ? plain.size() : end) -
                              lineStart);
    if (line != "%" && line != "%\r")
      out.append(plain, lineStart, next - lineStart);
    lineStart = next;
  }
  return out;
}

Expected<Corpus> corpusFromBytes(std::string_view bytes,
                                 const std::string &name,
                                 const CorpusOptions &options) {
  auto fail = [](std::string message) { return Error(std::move(message)); };
  if (bytes.empty())
    return fail(fmt::format("corpus '{}' is empty", name));
  bool fortune = options.format == CorpusFormat::Fortune ||
                 (options.format == CorpusFormat::Auto &&
                  hasFortuneSeparator(bytes));
  CorpusPipeline pipeline(options, fortune);
  Utf8StreamDecoder decoder;
  std::u32string decoded;
  Expected<void> decodedAll = decoder.feed(bytes, decoded);
  if (decodedAll)
    decodedAll = decoder.finish();
  if (!decodedAll)
    return fail(fmt::format("corpus '{}': {}", name, decodedAll.error().message()));
  for (char32_t c : decoded)
    pipeline.push(c);
  pipeline.finish();
  Corpus corpus;
  corpus.name = name;
  corpus.text = std::move(pipeline.text());
  if (corpus.text.empty())
    return fail(fmt::format("corpus '{}' has no characters", name));
  return corpus;
}

std::pair<std::u32string, std::u32string>
splitHeldOut(const std::u32string &text, double heldOutFraction) {
  double fraction = heldOutFraction > 0 ? (heldOutFraction < 1 ? heldOutFraction : 1) : 0;
  size_t heldOut = static_cast<size_t>(static_cast<double>(text.size()) * fraction);
  size_t cut = text.size() - heldOut;
  return {text.substr(0, cut), text.substr(cut)};
}

Expected<Corpus> loadCorpus(const std::string &path,
                            const CorpusOptions &options) {
  std::string message;
  bool fortune = options.format == CorpusFormat::Fortune;
  bool restart = false;
  std::optional<std::u32string> text =
      readOnce(path, options, fortune, &restart, &message);
  if (restart) // an `auto` corpus with a `%` line: read it as fortunes
    text = readOnce(path, options, /*fortune=*/true, &restart, &message);
  if (!text)
    return Error(message);
  if (text->empty())
    return Error(fmt::format("corpus '{}' has no characters", path));
  Corpus corpus;
  corpus.name = path;
  corpus.text = std::move(*text);
  corpus.text.shrink_to_fit();
  return corpus;
}

} // namespace rnnc::runtime
