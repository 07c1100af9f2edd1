//===- CorpusTest.cpp - UTF-8, corpus reading and the vocabulary ----------===//
///
/// \file
/// Strict UTF-8 (offsets of bad bytes), plain / zip / fortune corpora, the
/// d2l newline and truncation recipe, first-appearance vocabulary ids and
/// the error messages for missing, empty and malformed input.
///
//===----------------------------------------------------------------------===//
#include "runtime/data/Corpus.h"
#include "runtime/data/Utf8.h"
#include "runtime/data/Vocabulary.h"

#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zip.h>

using namespace rnnc::runtime;

namespace {

std::string tempPath(const std::string &leaf) {
  return testing::TempDir() + "rnnc-corpus-" + std::to_string(::getpid()) + "-" + leaf;
}

std::string writeFile(const std::string &leaf, const std::string &bytes) {
  std::string path = tempPath(leaf);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

/// A zip archive at a temp path holding `members` (name, contents).
std::string writeZip(const std::string &leaf,
                     const std::vector<std::pair<std::string, std::string>> &members) {
  std::string path = tempPath(leaf);
  std::remove(path.c_str());
  int err = 0;
  zip_t *zip = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  EXPECT_NE(zip, nullptr);
  for (const auto &[name, contents] : members) {
    zip_source_t *src = zip_source_buffer(zip, contents.data(), contents.size(), 0);
    EXPECT_GE(zip_file_add(zip, name.c_str(), src, ZIP_FL_ENC_UTF_8), 0);
  }
  EXPECT_EQ(zip_close(zip), 0);
  return path;
}

/// The message of a result that must be a failure ("" and a test failure
/// if it succeeded).
template <typename T> std::string failureOf(const rnnc::Expected<T> &result) {
  EXPECT_FALSE(result);
  return result ? std::string() : result.error().message();
}

} // namespace

TEST(Utf8, DecodesMixedWidths) {
  auto decoded = decodeUtf8("a\xC3\xA9\xE5\x88\x86\xF0\x9F\x98\x80");
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(*decoded, (std::u32string{U'a', 0xE9, 0x5206, 0x1F600}));
  EXPECT_EQ(encodeUtf8(*decoded), "a\xC3\xA9\xE5\x88\x86\xF0\x9F\x98\x80");
}

TEST(Utf8, NamesOffsetOfInvalidByte) {
  std::string error;
  error = failureOf(decodeUtf8("ab\xFF" "c"));
  EXPECT_EQ(error, "invalid UTF-8 at byte offset 2 (byte 0xff)");
  // Bad continuation byte: the offset is the continuation's.
  error = failureOf(decodeUtf8("\xE5\x88" "x"));
  EXPECT_EQ(error, "invalid UTF-8 at byte offset 2 (byte 0x78)");
  // Truncated at the end: the lead byte is blamed.
  error = failureOf(decodeUtf8("xy\xE5\x88"));
  EXPECT_EQ(error, "invalid UTF-8 at byte offset 2 (byte 0xe5)");
}

TEST(Utf8, RejectsOverlongSurrogatesAndTooLarge) {
  EXPECT_FALSE(decodeUtf8("\xC0\xAF"));         // overlong '/'
  EXPECT_FALSE(decodeUtf8("\xE0\x80\xAF"));     // overlong 3-byte
  EXPECT_FALSE(decodeUtf8("\xED\xA0\x80"));     // U+D800
  EXPECT_FALSE(decodeUtf8("\xF4\x90\x80\x80")); // > U+10FFFF
  EXPECT_TRUE(decodeUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
}

TEST(Utf8, DescribesCodePoints) {
  EXPECT_EQ(describeCodePoint(0x5206), "'\xE5\x88\x86' (U+5206)");
  EXPECT_EQ(describeCodePoint(U'\n'), "U+000A");
}

TEST(Corpus, SpaceModeReplacesNewlinesThenTruncates) {
  CorpusOptions options;
  options.maxChars = 6;
  auto corpus = corpusFromBytes("ab\r\n\xE5\x88\x86x\nyz", "t", options);
  ASSERT_TRUE(corpus) << corpus.error().message();
  EXPECT_EQ(corpus->text, (std::u32string{U'a', U'b', U' ', U' ', 0x5206, U'x'}));
}

TEST(Corpus, KeepModeKeepsNewlines) {
  CorpusOptions options;
  options.newlines = NewlineMode::Keep;
  auto corpus = corpusFromBytes("a\nb", "t", options);
  ASSERT_TRUE(corpus);
  EXPECT_EQ(corpus->text, U"a\nb");
}

TEST(Corpus, FortuneFormatDropsSeparatorsAndColour) {
  std::string text = "\x1b[32m\xE3\x80\x8A" "T\xE3\x80\x8B\x1b[m\nline1\n%\n\x1b[1;33mP\x1b[0m\nline2\n%\n";
  EXPECT_EQ(stripFortuneMarkup(text), "\xE3\x80\x8AT\xE3\x80\x8B\nline1\nP\nline2\n");
  CorpusOptions options;
  options.newlines = NewlineMode::Keep; // format Auto detects the `%` lines
  auto corpus = corpusFromBytes(text, "t", options);
  ASSERT_TRUE(corpus);
  EXPECT_EQ(encodeUtf8(corpus->text), "\xE3\x80\x8AT\xE3\x80\x8B\nline1\nP\nline2\n");
  options.format = CorpusFormat::Plain;
  corpus = corpusFromBytes(text, "t", options);
  ASSERT_TRUE(corpus);
  EXPECT_NE(corpus->text.find(U'%'), std::u32string::npos);
}

TEST(Corpus, InvalidUtf8ErrorNamesFileAndOffset) {
  std::string error;
  error = failureOf(corpusFromBytes("abc\x80", "lyrics.txt", {}));
  EXPECT_EQ(error, "corpus 'lyrics.txt': invalid UTF-8 at byte offset 3 (byte 0x80)");
}

TEST(Corpus, MissingAndEmptyFilesAreErrors) {
  std::string error;
  error = failureOf(loadCorpus(tempPath("does-not-exist.txt"), {}));
  EXPECT_NE(error.find("cannot open corpus"), std::string::npos) << error;
  EXPECT_NE(error.find("No such file"), std::string::npos) << error;
  std::string empty = writeFile("empty.txt", "");
  error = failureOf(loadCorpus(empty, {}));
  EXPECT_EQ(error, "corpus '" + empty + "' is empty");
  error = failureOf(loadCorpus(testing::TempDir(), {}));
  EXPECT_NE(error.find("is a directory"), std::string::npos) << error;
  // Only separator lines: nothing left after clean-up.
  std::string onlySeparators = writeFile("seps.txt", "%\n%\n");
  error = failureOf(loadCorpus(onlySeparators, {}));
  EXPECT_NE(error.find("has no characters"), std::string::npos) << error;
}

TEST(Corpus, ReadsZipWithOneFile) {
  std::string path = writeZip("one.zip", {{"a.txt", "\xE5\x88\x86\xE5\xBC\x80\nx"}});
  auto corpus = loadCorpus(path, {});
  ASSERT_TRUE(corpus) << corpus.error().message();
  EXPECT_EQ(corpus->text, (std::u32string{0x5206, 0x5F00, U' ', U'x'}));
}

TEST(Corpus, ZipErrors) {
  std::string error;
  std::string two = writeZip("two.zip", {{"a.txt", "a"}, {"b.txt", "b"}});
  error = failureOf(loadCorpus(two, {}));
  EXPECT_EQ(error, "zip archive '" + two + "' contains 2 files; expected one");
  // libzip writes an empty archive as a bare end-of-central-directory record.
  std::string none = writeFile("none.zip", std::string("PK\x05\x06", 4) + std::string(18, '\0'));
  error = failureOf(loadCorpus(none, {}));
  EXPECT_EQ(error, "zip archive '" + none + "' contains no file");
  std::string broken = writeFile("broken.zip", std::string("PK\x03\x04garbage", 11));
  error = failureOf(loadCorpus(broken, {}));
  EXPECT_NE(error.find("cannot read zip archive"), std::string::npos) << error;
}

TEST(Corpus, D2lLyricsGiveVocabularyOf1027) {
  CorpusOptions options;
  options.maxChars = 10000;
  auto corpus = loadCorpus(RNNC_SHARED_DATA_DIR "/jaychou_lyrics.txt.zip", options);
  ASSERT_TRUE(corpus) << corpus.error().message() << " (scripts/install-deps.sh provides it)";
  EXPECT_EQ(corpus->text.size(), 10000u);
  Vocabulary vocab = Vocabulary::fromText(corpus->text);
  EXPECT_EQ(vocab.size(), 1027);
  // The lyrics open with 想要有直升机 (first appearance order).
  EXPECT_EQ(encodeUtf8(vocab.chars().substr(0, 6)), "想要有直升机");
}

TEST(Corpus, TangPoemsFortuneFileLoads) {
  const char *path = "/usr/share/games/fortunes/tang300";
  auto corpus = loadCorpus(path, {});
  ASSERT_TRUE(corpus) << corpus.error().message() << " (scripts/install-deps.sh provides it)";
  EXPECT_EQ(corpus->text.find(U'\x1b'), std::u32string::npos);
  EXPECT_EQ(corpus->text.find(U'%'), std::u32string::npos);
  EXPECT_EQ(corpus->text.find(U'\n'), std::u32string::npos);
  EXPECT_GT(corpus->text.size(), 20000u);
}

TEST(Vocabulary, IdsInOrderOfFirstAppearance) {
  Vocabulary vocab = Vocabulary::fromText(U"banana");
  EXPECT_EQ(vocab.size(), 3);
  EXPECT_EQ(vocab.chars(), U"ban");
  EXPECT_EQ(vocab.idOf(U'n'), 2);
  EXPECT_EQ(vocab.charOf(1), U'a');
  EXPECT_FALSE(vocab.idOf(U'z'));
  auto ids = vocab.encode(U"nab");
  ASSERT_TRUE(ids);
  EXPECT_EQ(*ids, (std::vector<int32_t>{2, 1, 0}));
  EXPECT_EQ(vocab.decode({0, 1, 2, 1}), "bana");
}

TEST(Vocabulary, UnknownCharacterIsNamed) {
  Vocabulary vocab = Vocabulary::fromText(U"\u5206\u5F00");
  std::string error;
  error = failureOf(vocab.encodeUtf8("\xE5\x88\x86\xE4\xB8\x81"));
  EXPECT_EQ(error, "character '\xE4\xB8\x81' (U+4E01) at index 1 is not in the vocabulary");
  error = failureOf(vocab.encodeUtf8("\xFF"));
  EXPECT_EQ(error, "invalid UTF-8 at byte offset 0 (byte 0xff)");
}

TEST(Vocabulary, FromCharsRejectsDuplicatesAndEmpty) {
  std::string error;
  auto vocab = Vocabulary::fromChars(U"xyz");
  ASSERT_TRUE(vocab);
  EXPECT_EQ(vocab->toUtf8(), "xyz");
  error = failureOf(Vocabulary::fromChars(U"xyx"));
  EXPECT_EQ(error, "vocabulary lists 'x' (U+0078) twice");
  error = failureOf(Vocabulary::fromChars(U""));
  EXPECT_EQ(error, "vocabulary is empty");
}

TEST(Corpus, SplitHeldOutTakesTheTail) {
  auto [train, heldOut] = splitHeldOut(U"abcdefghij", 0.2);
  EXPECT_EQ(train, U"abcdefgh");
  EXPECT_EQ(heldOut, U"ij");
  auto [all, none] = splitHeldOut(U"abc", 0);
  EXPECT_EQ(all, U"abc");
  EXPECT_EQ(none, U"");
}

TEST(Utf8, StreamDecoderAcceptsSequencesSplitAcrossChunks) {
  std::string bytes = "a\xE5\x88\x86\xC3\xA9\xF0\x9F\x98\x80z";
  Utf8StreamDecoder decoder;
  std::u32string out;
  for (char c : bytes)
    ASSERT_TRUE(decoder.feed(std::string_view(&c, 1), out));
  EXPECT_TRUE(decoder.finish());
  EXPECT_EQ(out, *decodeUtf8(bytes));
  // Offsets count from the first byte fed, whatever the chunks.
  Utf8StreamDecoder broken;
  std::string error;
  EXPECT_TRUE(broken.feed("ab\xE5", out));
  error = failureOf(broken.feed("\x41", out));
  EXPECT_EQ(error, "invalid UTF-8 at byte offset 3 (byte 0x41)");
  Utf8StreamDecoder truncated;
  EXPECT_TRUE(truncated.feed("abc\xE5\x88", out));
  error = failureOf(truncated.finish());
  EXPECT_EQ(error, "invalid UTF-8 at byte offset 3 (byte 0xe5)");
}

TEST(Corpus, StreamingReadKeepsTheWholeReadsResult) {
  // An `auto` corpus whose only `%` line comes long after the first chunk,
  // with an escape sequence early: read as a fortunes file either way.
  std::string late = "\x1b[1mab\r\ncd\n" + std::string(70000, 'x') + "\n%\nyz\n";
  // And a plain one with a `%` line cut by --chars.
  std::string cut = "ab\n%\ncd";
  for (const std::string &text : {late, cut}) {
    std::string path = writeFile("stream.txt", text);
    for (size_t maxChars : {0, 1, 3, 4, 5, 8, 70005}) {
      CorpusOptions options;
      options.maxChars = maxChars;
      auto streamed = loadCorpus(path, options);
      ASSERT_TRUE(streamed) << streamed.error().message();
      auto whole = corpusFromBytes(text, path, options);
      ASSERT_TRUE(whole) << whole.error().message();
      EXPECT_EQ(streamed->text, whole->text) << maxChars;
    }
  }
}

TEST(Corpus, StopsReadingAtCharsAndRefusesTextAboveTheLimit) {
  std::string path = writeFile("limit.txt", std::string(5000, 'a') + "\xFF");
  CorpusOptions options;
  options.maxChars = 10;
  options.maxBytes = 100;
  std::string error;
  auto corpus = loadCorpus(path, options); // the bad byte is never read
  ASSERT_TRUE(corpus) << corpus.error().message();
  EXPECT_EQ(corpus->text.size(), 10u);
  options.maxChars = 0;
  error = failureOf(loadCorpus(path, options));
  EXPECT_NE(error.find("more than 100 bytes of text"), std::string::npos) << error;
  EXPECT_NE(error.find("--max-corpus-bytes"), std::string::npos) << error;
}
