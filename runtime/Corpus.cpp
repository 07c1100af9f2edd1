//===- Corpus.cpp - Reading a training text as code points ----------------===//
///
/// \file
/// File and zip reading (libzip), fortune-format clean-up, UTF-8 validation
/// and the d2l newline/truncation recipe. See Corpus.h.
///
//===----------------------------------------------------------------------===//
#include "runtime/Corpus.h"

#include "ir/Diagnostics.h"

#include "runtime/Utf8.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
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

/// Extracts the single regular file from a zip archive held in memory.
std::optional<std::string> readZipMember(const std::string &path,
                                         std::string_view archive,
                                         std::string *error) {
  auto fail = [&](const std::string &message) -> std::optional<std::string> {
    if (error)
      *error = message;
    return std::nullopt;
  };
  zip_error_t zipError;
  zip_error_init(&zipError);
  zip_source_t *source =
      zip_source_buffer_create(archive.data(), archive.size(), 0, &zipError);
  if (!source) {
    std::string message = zip_error_strerror(&zipError);
    zip_error_fini(&zipError);
    return fail(fmt::format("cannot read zip archive '{}': {}", path, message));
  }
  zip_t *zip = zip_open_from_source(source, ZIP_RDONLY, &zipError);
  if (!zip) {
    std::string message = zip_error_strerror(&zipError);
    zip_source_free(source);
    zip_error_fini(&zipError);
    return fail(fmt::format("cannot read zip archive '{}': {}", path, message));
  }
  zip_error_fini(&zipError);

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
    if (files.empty())
      return fail(fmt::format("zip archive '{}' contains no file", path));
    return fail(fmt::format("zip archive '{}' contains {} files; expected one",
                            path, files.size()));
  }
  std::string memberName = zip_get_name(zip, files[0], 0);
  zip_file_t *file = zip_fopen_index(zip, files[0], 0);
  if (!file) {
    std::string message = zip_strerror(zip);
    zip_discard(zip);
    return fail(fmt::format("cannot read '{}' in zip archive '{}': {}",
                            memberName, path, message));
  }
  std::string contents;
  char buffer[1 << 16];
  for (;;) {
    zip_int64_t got = zip_fread(file, buffer, sizeof buffer);
    if (got < 0) {
      std::string message = zip_file_strerror(file);
      zip_fclose(file);
      zip_discard(zip);
      return fail(fmt::format("cannot read '{}' in zip archive '{}': {}",
                              memberName, path, message));
    }
    if (got == 0)
      break;
    contents.append(buffer, static_cast<size_t>(got));
  }
  zip_fclose(file);
  zip_discard(zip);
  return contents;
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

std::optional<std::string> readCorpusBytes(const std::string &path,
                                           std::string *error) {
  auto read = readFileBytes(path, "corpus ", error);
  if (!read)
    return std::nullopt;
  std::string bytes = std::move(*read);
  if (looksLikeEmptyZip(bytes)) {
    if (error)
      *error = fmt::format("zip archive '{}' contains no file", path);
    return std::nullopt;
  }
  if (looksLikeZip(bytes))
    return readZipMember(path, bytes, error);
  return bytes;
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

std::optional<Corpus> corpusFromBytes(std::string_view bytes,
                                      const std::string &name,
                                      const CorpusOptions &options,
                                      std::string *error) {
  auto fail = [&](const std::string &message) -> std::optional<Corpus> {
    if (error)
      *error = message;
    return std::nullopt;
  };
  if (bytes.empty())
    return fail(fmt::format("corpus '{}' is empty", name));
  // Validate before any clean-up so offsets refer to the bytes of the file.
  std::string utf8Error;
  std::optional<std::u32string> decoded = decodeUtf8(bytes, &utf8Error);
  if (!decoded)
    return fail(fmt::format("corpus '{}': {}", name, utf8Error));

  bool fortune = options.format == CorpusFormat::Fortune ||
                 (options.format == CorpusFormat::Auto &&
                  hasFortuneSeparator(bytes));
  Corpus corpus;
  corpus.name = name;
  if (fortune) {
    // Markup is ASCII, so stripping valid UTF-8 bytes keeps it valid.
    decoded = decodeUtf8(stripFortuneMarkup(bytes), nullptr);
  }
  corpus.text = std::move(*decoded);
  // A byte-order mark is an encoding artefact, not a character of the text.
  if (!corpus.text.empty() && corpus.text.front() == U'\uFEFF')
    corpus.text.erase(0, 1);
  if (options.newlines == NewlineMode::Space) {
    for (char32_t &c : corpus.text)
      if (c == U'\n' || c == U'\r')
        c = U' ';
  }
  if (options.maxChars != 0 && corpus.text.size() > options.maxChars)
    corpus.text.resize(options.maxChars);
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

std::optional<Corpus> loadCorpus(const std::string &path,
                                 const CorpusOptions &options,
                                 std::string *error) {
  std::optional<std::string> bytes = readCorpusBytes(path, error);
  if (!bytes)
    return std::nullopt;
  return corpusFromBytes(*bytes, path, options, error);
}

} // namespace rnnc::runtime
