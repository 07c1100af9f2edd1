//===- Corpus.h - Reading a training text as code points --------*- C++ -*-===//
///
/// \file
/// The training text: a plain UTF-8 file, a `.zip` holding one such file (the
/// d2l lyrics), or a Debian fortunes file (`%` separator lines and ANSI colour
/// escapes removed). The bytes are validated as UTF-8 (an invalid byte is an
/// error naming its offset) and split into code points; then newlines are
/// handled as asked and the first N characters kept, in the d2l order:
/// replace newlines, then truncate. Errors come back as messages, never as
/// exceptions.
///
/// Reading streams: the file (or the zip member, inflated 64 KiB at a time)
/// goes through the decoder chunk by chunk and stops once N characters are
/// kept, so memory is the kept text (4 bytes per character) plus a few
/// chunk buffers, whatever the file's size. Only regular files are read (a
/// FIFO, a device such as /dev/zero or a directory is refused at once), and
/// no more than `maxBytes` of text (1 GiB by default): a larger file or
/// member is refused, before reading when its size is known up front.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace rnnc::runtime {

/// What to do with `\n` and `\r`.
enum class NewlineMode {
  Space, ///< each becomes one space (the d2l recipe; "\r\n" gives two)
  Keep,  ///< left as they are
};

/// How the file is laid out.
enum class CorpusFormat {
  Plain,   ///< the text as it is
  Fortune, ///< a fortunes file: drop `%` lines and ANSI escapes
  Auto,    ///< Fortune if some line is exactly `%`, otherwise Plain
};

struct CorpusOptions {
  NewlineMode newlines = NewlineMode::Space;
  CorpusFormat format = CorpusFormat::Auto;
  /// Keep only the first `maxChars` code points; 0 keeps them all.
  size_t maxChars = 0;
  /// Refuse to read more than this many bytes of text (after unzipping).
  uint64_t maxBytes = kDefaultMaxCorpusBytes;
  static constexpr uint64_t kDefaultMaxCorpusBytes = uint64_t(1) << 30;
};

/// A decoded training text.
struct Corpus {
  std::string name;    ///< where it came from, for messages
  std::u32string text; ///< code points after the options were applied
};

/// Parses "space" / "keep" (as on a command line).
std::optional<NewlineMode> parseNewlineMode(std::string_view word);
/// Parses "plain" / "fortune" / "auto".
std::optional<CorpusFormat> parseCorpusFormat(std::string_view word);

/// Removes ANSI escape sequences (`ESC [ ... final-byte` and two-byte
/// `ESC x`) and lines that are exactly `%` from fortune-format text.
std::string stripFortuneMarkup(std::string_view text);

/// Builds a corpus from bytes already in memory; `name` is used in messages.
Expected<Corpus> corpusFromBytes(std::string_view bytes,
                                 const std::string &name,
                                 const CorpusOptions &options);

/// Splits off the last `heldOutFraction` (0..1) of the text for evaluation:
/// returns {training part, held-out part}. The cut is at a character, so
/// both parts use the vocabulary of the whole text.
std::pair<std::u32string, std::u32string>
splitHeldOut(const std::u32string &text, double heldOutFraction);

/// Reads, validates and decodes the corpus at `path`.
Expected<Corpus> loadCorpus(const std::string &path,
                            const CorpusOptions &options);

} // namespace rnnc::runtime
