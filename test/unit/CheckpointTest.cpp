//===- CheckpointTest.cpp - safetensors layout, round trip, corruption ----===//
///
/// \file
/// Checks the bytes against the safetensors format (little-endian u64 header
/// length, JSON header with dtype/shape/data_offsets and string metadata,
/// raw little-endian f32 data) without Python, then the file round trip,
/// atomic replacement, and one clear error per kind of damage or mismatch.
///
//===----------------------------------------------------------------------===//
#include "runtime/data/Checkpoint.h"

#include <cstring>
#include <dirent.h>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace rnnc::runtime;

namespace {

const std::vector<float> kA = {1, 2, 3, 4, 5, 6};
const std::vector<float> kB = {-1.5f, 0.25f};

CheckpointMetadata sampleMetadata() {
  CheckpointMetadata m;
  m.modelName = "CharRNN";
  m.modelHash = hashModelSource("model CharRNN {}");
  m.vocabulary = U"\u5206\u5F00 x";
  m.hyperParametersJson = R"({"lr":100,"batch":32})";
  m.epoch = 250;
  m.extra["sampling"] = "random";
  return m;
}

std::vector<TensorView> sampleTensors() {
  return {{"W_xh", {2, 3}, kA.data()}, {"b_h", {2}, kB.data()}};
}

/// The message of a result that must be a failure ("" and a test failure
/// if it succeeded).
template <typename T> std::string failureOf(const rnnc::Expected<T> &result) {
  EXPECT_FALSE(result);
  return result ? std::string() : result.error().message();
}

std::string sampleBytes() {
  auto bytes = serializeCheckpoint(sampleMetadata(), sampleTensors());
  EXPECT_TRUE(bytes) << bytes.error().message();
  return bytes ? *bytes : std::string();
}

uint64_t headerLength(const std::string &bytes) {
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i)
    n |= uint64_t(static_cast<unsigned char>(bytes[i])) << (8 * i);
  return n;
}

/// A file from a header object and a data section, as another tool might
/// write it (no padding).
std::string handMade(const nlohmann::json &header, const std::string &data) {
  std::string text = header.dump();
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i)
    bytes[i] = static_cast<char>((text.size() >> (8 * i)) & 0xFF);
  return bytes + text + data;
}

/// A file from raw header text: duplicate keys cannot come from nlohmann::json.
std::string rawFile(const std::string &text, const std::string &data) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i)
    bytes[i] = static_cast<char>((text.size() >> (8 * i)) & 0xFF);
  return bytes + text + data;
}

nlohmann::json validMetadata() {
  return {{"format", "rnnc-checkpoint/1"}, {"model_name", "M"},
          {"model_hash", "fnv1a64:0000000000000000"}, {"vocabulary", "ab"},
          {"hyper_parameters", "{}"}, {"epoch", "3"}};
}

std::string parseError(const std::string &bytes) {
  return failureOf(parseCheckpoint(bytes, "c.safetensors"));
}

std::string tempDir() {
  std::string dir = testing::TempDir() + "rnnc-ckpt-" + std::to_string(::getpid());
  ::mkdir(dir.c_str(), 0755);
  return dir;
}

std::vector<std::string> listDir(const std::string &dir) {
  std::vector<std::string> names;
  if (DIR *d = ::opendir(dir.c_str())) {
    while (dirent *e = ::readdir(d))
      if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, ".."))
        names.push_back(e->d_name);
    ::closedir(d);
  }
  return names;
}

} // namespace

TEST(Checkpoint, ModelHashIsFnv1a64) {
  // Reference values of FNV-1a 64 (offset basis; "a").
  EXPECT_EQ(hashModelSource(""), "fnv1a64:cbf29ce484222325");
  EXPECT_EQ(hashModelSource("a"), "fnv1a64:af63dc4c8601ec8c");
}

TEST(Checkpoint, BytesFollowSafetensorsLayout) {
  std::string bytes = sampleBytes();
  ASSERT_GE(bytes.size(), 8u);
  uint64_t n = headerLength(bytes);
  EXPECT_EQ(n % 8, 0u) << "data section starts 8-byte aligned";
  ASSERT_EQ(bytes.size(), 8 + n + 4 * (6 + 2));
  std::string headerText = bytes.substr(8, n);
  EXPECT_EQ(headerText.front(), '{');
  nlohmann::json header = nlohmann::json::parse(headerText); // trailing spaces ok
  EXPECT_EQ(header["W_xh"]["dtype"], "F32");
  EXPECT_EQ(header["W_xh"]["shape"], nlohmann::json({2, 3}));
  EXPECT_EQ(header["W_xh"]["data_offsets"], nlohmann::json({0, 24}));
  EXPECT_EQ(header["b_h"]["shape"], nlohmann::json({2}));
  EXPECT_EQ(header["b_h"]["data_offsets"], nlohmann::json({24, 32}));
  const nlohmann::json &meta = header["__metadata__"];
  for (auto it = meta.begin(); it != meta.end(); ++it)
    EXPECT_TRUE(it->is_string()) << it.key();
  EXPECT_EQ(meta["model_name"], "CharRNN");
  EXPECT_EQ(meta["vocabulary"], "\xE5\x88\x86\xE5\xBC\x80 x");
  EXPECT_EQ(meta["hyper_parameters"], R"({"lr":100,"batch":32})");
  EXPECT_EQ(meta["epoch"], "250");
  EXPECT_EQ(meta["sampling"], "random");
  // 1.0f is 00 00 80 3f little-endian; -1.5f is 00 00 c0 bf.
  std::string data = bytes.substr(8 + n);
  EXPECT_EQ(data.substr(0, 4), std::string("\x00\x00\x80\x3f", 4));
  EXPECT_EQ(data.substr(24, 4), std::string("\x00\x00\xc0\xbf", 4));
}

TEST(Checkpoint, ReadsFilesWithoutPaddingOrInAnyKeyOrder) {
  nlohmann::json header = {{"__metadata__", validMetadata()},
                           {"z", {{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {0, 4}}}},
                           {"a", {{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {4, 8}}}}};
  float values[2] = {7, 8};
  auto ckpt = parseCheckpoint(handMade(header, std::string(reinterpret_cast<char *>(values), 8)),
                              "c");
  ASSERT_TRUE(ckpt) << ckpt.error().message();
  ASSERT_EQ(ckpt->tensors.size(), 2u);
  EXPECT_EQ(ckpt->tensors[0].name, "z") << "tensors come back in file order";
  EXPECT_EQ(ckpt->find("a")->data, std::vector<float>{8});
  EXPECT_EQ(ckpt->metadata.epoch, 3);
  EXPECT_EQ(ckpt->metadata.vocabulary, U"ab");
}

TEST(Checkpoint, RoundTripThroughFile) {
  std::string path = tempDir() + "/model.safetensors";
  auto saved = saveCheckpoint(path, sampleMetadata(), sampleTensors());
  ASSERT_TRUE(saved) << saved.error().message();
  auto ckpt = loadCheckpoint(path);
  ASSERT_TRUE(ckpt) << ckpt.error().message();
  CheckpointMetadata want = sampleMetadata();
  EXPECT_EQ(ckpt->metadata.modelName, want.modelName);
  EXPECT_EQ(ckpt->metadata.modelHash, want.modelHash);
  EXPECT_EQ(ckpt->metadata.vocabulary, want.vocabulary);
  EXPECT_EQ(ckpt->metadata.hyperParametersJson, want.hyperParametersJson);
  EXPECT_EQ(ckpt->metadata.epoch, 250);
  EXPECT_EQ(ckpt->metadata.extra, want.extra);
  ASSERT_EQ(ckpt->tensors.size(), 2u);
  EXPECT_EQ(ckpt->tensors[0].name, "W_xh");
  EXPECT_EQ(ckpt->tensors[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(ckpt->tensors[0].data, kA);
  EXPECT_EQ(ckpt->tensors[1].data, kB);
}

TEST(Checkpoint, SaveReplacesAtomicallyAndLeavesNoTempFile) {
  std::string dir = tempDir() + "/atomic";
  ::mkdir(dir.c_str(), 0755);
  std::string path = dir + "/m.safetensors";
  ASSERT_TRUE(saveCheckpoint(path, sampleMetadata(), sampleTensors()));
  CheckpointMetadata later = sampleMetadata();
  later.epoch = 251;
  ASSERT_TRUE(saveCheckpoint(path, later, sampleTensors()));
  EXPECT_EQ(listDir(dir), std::vector<std::string>{"m.safetensors"});
  EXPECT_EQ(loadCheckpoint(path)->metadata.epoch, 251);
  // A save that fails keeps the previous file.
  later.hyperParametersJson = "{not json";
  std::string error;
  error = failureOf(saveCheckpoint(path, later, sampleTensors()));
  EXPECT_EQ(error, "hyper-parameters are not valid JSON");
  EXPECT_EQ(loadCheckpoint(path)->metadata.epoch, 251);
  error = failureOf(saveCheckpoint(dir + "/no/such/dir/m.safetensors", sampleMetadata(),
                              sampleTensors()));
  EXPECT_NE(error.find("cannot write checkpoint"), std::string::npos) << error;
}

TEST(Checkpoint, SaveRejectsBadInput) {
  std::string error;
  CheckpointMetadata m = sampleMetadata();
  m.extra["epoch"] = "1";
  error = failureOf(serializeCheckpoint(m, sampleTensors()));
  EXPECT_EQ(error, "metadata key 'epoch' is reserved");
  std::vector<TensorView> twice = {{"W", {1}, kA.data()}, {"W", {1}, kA.data()}};
  error = failureOf(serializeCheckpoint(sampleMetadata(), twice));
  EXPECT_EQ(error, "bad or duplicate tensor name 'W'");
}

TEST(Checkpoint, TruncatedFilesAreErrors) {
  std::string bytes = sampleBytes();
  EXPECT_EQ(parseError(bytes.substr(0, 5)),
            "checkpoint 'c.safetensors': file is truncated (5 bytes; the 8-byte "
            "header length is missing)");
  EXPECT_NE(parseError(bytes.substr(0, 20)).find("file is truncated (header needs"),
            std::string::npos);
  EXPECT_EQ(parseError(bytes.substr(0, bytes.size() - 1)),
            "checkpoint 'c.safetensors': file is truncated (tensor data needs 32 "
            "bytes, 31 present)");
  EXPECT_EQ(parseError(bytes + "xyz"),
            "checkpoint 'c.safetensors': 3 unexpected bytes after the tensor data");
  std::string error;
  error = failureOf(loadCheckpoint(tempDir() + "/missing.safetensors"));
  EXPECT_NE(error.find("cannot open checkpoint"), std::string::npos) << error;
}

TEST(Checkpoint, BadHeadersAreErrors) {
  std::string bytes = sampleBytes();
  std::string hugeLength = bytes;
  hugeLength[7] = '\x7f';
  EXPECT_NE(parseError(hugeLength).find("bad header length"), std::string::npos);
  std::string garbled = bytes;
  garbled[8] = '[';
  EXPECT_EQ(parseError(garbled), "checkpoint 'c.safetensors': bad header: not a JSON object");
  EXPECT_NE(parseError(handMade({{"W", {{"dtype", "F32"}, {"shape", {0}}, {"data_offsets", {0, 0}}}}}, ""))
                .find("no __metadata__"),
            std::string::npos);
  nlohmann::json meta = validMetadata();
  meta["epoch"] = "three";
  EXPECT_NE(parseError(handMade({{"__metadata__", meta}}, "")).find("epoch 'three' is not a number"),
            std::string::npos);
  meta = validMetadata();
  meta["format"] = "other";
  EXPECT_NE(parseError(handMade({{"__metadata__", meta}}, "")).find("format is 'other'"),
            std::string::npos);
}

TEST(Checkpoint, WrongDtypeShapeOrOffsetsAreErrors) {
  auto withTensor = [](nlohmann::json entry, size_t dataBytes) {
    return handMade({{"__metadata__", validMetadata()}, {"W", entry}},
                    std::string(dataBytes, '\0'));
  };
  EXPECT_EQ(parseError(withTensor({{"dtype", "F16"}, {"shape", {2}}, {"data_offsets", {0, 4}}}, 4)),
            "checkpoint 'c.safetensors': tensor 'W': dtype is F16; only F32 is supported");
  EXPECT_EQ(parseError(withTensor({{"dtype", "F32"}, {"shape", {2, 2}}, {"data_offsets", {0, 8}}}, 8)),
            "checkpoint 'c.safetensors': tensor 'W': data_offsets [0, 8] do not hold "
            "shape [2,2] of F32");
  EXPECT_NE(parseError(withTensor({{"dtype", "F32"}, {"shape", {-2}}, {"data_offsets", {0, 8}}}, 8))
                .find("shape is not a list of sizes"),
            std::string::npos);
  EXPECT_NE(parseError(withTensor({{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {4, 8}}}, 8))
                .find("overlap or leave a gap"),
            std::string::npos);
}

TEST(Checkpoint, ExpectationsCatchMismatches) {
  auto ckpt = parseCheckpoint(sampleBytes(), "c");
  ASSERT_TRUE(ckpt);
  CheckpointExpectation ok;
  ok.modelHash = hashModelSource("model CharRNN {}");
  ok.vocabulary = U"\u5206\u5F00 x";
  ok.tensors = {{"W_xh", {2, 3}}, {"b_h", {2}}};
  std::string error;
  auto fits = checkCheckpoint(*ckpt, "c", ok);
  EXPECT_TRUE(fits) << fits.error().message();

  CheckpointExpectation otherModel = ok;
  otherModel.modelHash = hashModelSource("model GRU {}");
  error = failureOf(checkCheckpoint(*ckpt, "c", otherModel));
  EXPECT_NE(error.find("was saved for a different model ('CharRNN'"), std::string::npos)
      << error;

  CheckpointExpectation otherVocab = ok;
  otherVocab.vocabulary = U"\u5206\u4E0D x";
  error = failureOf(checkCheckpoint(*ckpt, "c", otherVocab));
  EXPECT_EQ(error, "checkpoint 'c': vocabulary mismatch: the checkpoint has 4 "
                   "characters, this corpus 4; id 1 is '\xE5\xBC\x80' (U+5F00) "
                   "there but '\xE4\xB8\x8D' (U+4E0D) here");

  CheckpointExpectation missing = ok;
  missing.tensors.push_back({"W_hq", {3, 2}});
  error = failureOf(checkCheckpoint(*ckpt, "c", missing));
  EXPECT_EQ(error, "checkpoint 'c': missing tensor 'W_hq'");

  CheckpointExpectation wrongShape = ok;
  wrongShape.tensors[0].shape = {3, 2};
  error = failureOf(checkCheckpoint(*ckpt, "c", wrongShape));
  EXPECT_EQ(error, "checkpoint 'c': tensor 'W_xh' has shape [2,3], expected [3,2]");
}

TEST(Checkpoint, EveryTruncationAndByteFlipIsAnErrorNotACrash) {
  std::string bytes = sampleBytes();
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto result = parseCheckpoint(bytes.substr(0, n), "c");
    ASSERT_FALSE(result) << "length " << n;
    EXPECT_FALSE(result.error().message().empty());
  }
  // Flipping header bytes may still give a valid file; it must never throw.
  uint64_t header = 8 + headerLength(bytes);
  for (size_t i = 0; i < header; ++i) {
    for (unsigned char flip : {0x01, 0x20, 0x80}) {
      std::string damaged = bytes;
      damaged[i] = static_cast<char>(damaged[i] ^ flip);
      auto result = parseCheckpoint(damaged, "c");
      EXPECT_TRUE(result || !result.error().message().empty()) << "byte " << i;
    }
  }
}

TEST(Checkpoint, F64TensorsUnderReservedNamesRoundTripExactly) {
  // Adam's moments are doubles; a resumed run needs every bit of them.
  const std::vector<double> moments = {0.1, -1e-300, 3.0000000000000004, 0};
  std::vector<TensorView> tensors = sampleTensors();
  tensors.push_back({"__adam__.m.W_xh", {2, 2}, nullptr, moments.data()});
  auto bytes = serializeCheckpoint(sampleMetadata(), tensors);
  ASSERT_TRUE(bytes) << bytes.error().message();
  nlohmann::json header = nlohmann::json::parse(bytes->substr(8, headerLength(*bytes)));
  EXPECT_EQ(header["__adam__.m.W_xh"]["dtype"], "F64");
  EXPECT_EQ(header["__adam__.m.W_xh"]["data_offsets"], nlohmann::json({32, 64}));
  auto ckpt = parseCheckpoint(*bytes, "c");
  ASSERT_TRUE(ckpt) << ckpt.error().message();
  const NamedTensor *t = ckpt->find("__adam__.m.W_xh");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->isF64);
  EXPECT_EQ(t->data64, moments);
  EXPECT_FALSE(ckpt->find("W_xh")->isF64);
  // A parameter (no reserved prefix) must be F32, and an F64 tensor does
  // not pass for a parameter.
  nlohmann::json bad = {{"__metadata__", validMetadata()},
                        {"W", {{"dtype", "F64"}, {"shape", {1}}, {"data_offsets", {0, 8}}}}};
  EXPECT_NE(parseError(handMade(bad, std::string(8, '\0'))).find("only F32"),
            std::string::npos);
  CheckpointExpectation expect;
  expect.tensors.push_back({"__adam__.m.W_xh", {2, 2}});
  std::string error = failureOf(checkCheckpoint(*ckpt, "c", expect));
  EXPECT_NE(error.find("F64"), std::string::npos) << error;
}

TEST(Checkpoint, DuplicateKeysAreErrors) {
  // JSON parsers keep the last of two equal keys; a checkpoint must not.
  std::string meta = validMetadata().dump();
  std::string entry = R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
  std::string data(4, '\0');
  EXPECT_EQ(parseError(rawFile(R"({"__metadata__":)" + meta + R"(,"W":)" + entry +
                                   R"(,"W":)" + entry + "}",
                               data)),
            "checkpoint 'c.safetensors': bad header: tensor 'W' is given twice");
  EXPECT_EQ(parseError(rawFile(R"({"__metadata__":)" + meta + R"(,"__metadata__":)" +
                                   meta + R"(,"W":)" + entry + "}",
                               data)),
            "checkpoint 'c.safetensors': bad header: '__metadata__' is given twice");
  std::string twiceEpoch = meta;
  twiceEpoch.insert(1, R"("epoch":"7",)");
  EXPECT_EQ(parseError(rawFile(R"({"__metadata__":)" + twiceEpoch + R"(,"W":)" + entry + "}",
                               data)),
            "checkpoint 'c.safetensors': bad header: key 'epoch' of '__metadata__' is "
            "given twice");
  std::string twiceShape = R"({"dtype":"F32","shape":[2],"shape":[1],"data_offsets":[0,4]})";
  EXPECT_EQ(parseError(rawFile(R"({"__metadata__":)" + meta + R"(,"W":)" + twiceShape + "}",
                               data)),
            "checkpoint 'c.safetensors': bad header: key 'shape' of 'W' is given twice");
}

TEST(Checkpoint, ShapesBeyondTheLimitsAreErrorsBeforeAnyAllocation) {
  auto withTensor = [](std::vector<uint64_t> shape, uint64_t end, size_t dataBytes) {
    nlohmann::json entry = {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {0, end}}};
    return handMade({{"__metadata__", validMetadata()}, {"W", entry}},
                    std::string(dataBytes, '\0'));
  };
  // 2^32 * 2^32 wraps a 64-bit element count to 0, which matched [0, 0].
  EXPECT_EQ(parseError(withTensor({4294967296u, 4294967296u}, 0, 0)),
            "checkpoint 'c.safetensors': tensor 'W': dimension 4294967296 is larger "
            "than the limit 2147483647");
  EXPECT_EQ(parseError(withTensor({0, 4294967296u}, 0, 0)),
            "checkpoint 'c.safetensors': tensor 'W': dimension 4294967296 is larger "
            "than the limit 2147483647");
  EXPECT_EQ(parseError(withTensor({65536, 65536}, uint64_t(1) << 34, 0)),
            "checkpoint 'c.safetensors': tensor 'W': shape [65536,65536] has more "
            "than 2147483647 elements");
  // In range but larger than the file: nothing is allocated for it.
  EXPECT_EQ(parseError(withTensor({1000, 1000, 1000}, 4000000000u, 8)),
            "checkpoint 'c.safetensors': file is truncated (tensor data needs "
            "4000000000 bytes, 8 present)");
}

TEST(Checkpoint, HyperParametersMustBeJson) {
  // Else a loaded checkpoint could not be saved again (serializeCheckpoint).
  nlohmann::json meta = validMetadata();
  meta["hyper_parameters"] = "{not json";
  EXPECT_EQ(parseError(handMade({{"__metadata__", meta}}, "")),
            "checkpoint 'c.safetensors': bad header: hyper_parameters is not valid JSON");
}

TEST(Checkpoint, OnlyRegularFilesAreRead) {
  // /dev/zero used to be read until memory ran out, a FIFO to block.
  std::string error;
  error = failureOf(loadCheckpoint("/dev/zero"));
  EXPECT_EQ(error, "cannot read checkpoint '/dev/zero': it is a character device, not a regular file");
  std::string fifo = tempDir() + "/fifo";
  ::unlink(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  error = failureOf(loadCheckpoint(fifo));
  EXPECT_EQ(error, "cannot read checkpoint '" + fifo + "': it is a FIFO (pipe), not a regular file");
  ::unlink(fifo.c_str());
}
