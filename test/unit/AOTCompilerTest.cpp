//===- AOTCompilerTest.cpp - Names, header and errors of rnnc compile -----===//
///
/// \file
/// The parts of runtime/codegen/AOTCompiler.h that need no C compiler: entry-point
/// prefixes (derived and validated), the generated C header (every wrapper
/// of the object is declared, macros carry the dimensions), and the errors
/// of emitCompiledModel (bad prefix, unknown CPU, unwritable path). The
/// object itself is exercised end to end by test/lit/compile/.
///
//===----------------------------------------------------------------------===//
#include "runtime/codegen/AOTCompiler.h"

#include <gtest/gtest.h>

using namespace rnnc;
using namespace rnnc::runtime;

TEST(AOTCompiler, DefaultPrefixSplitsCamelCase) {
  EXPECT_EQ(defaultPrefix("CharRNN"), "char_rnn");
  EXPECT_EQ(defaultPrefix("LSTM"), "lstm");
  EXPECT_EQ(defaultPrefix("EmbedGRU"), "embed_gru");
  EXPECT_EQ(defaultPrefix("RNNCell"), "rnn_cell");
  EXPECT_EQ(defaultPrefix("Tiny"), "tiny");
  EXPECT_EQ(defaultPrefix("2Layer"), "model_2_layer");
}

TEST(AOTCompiler, PrefixMustBeACIdentifierOutsideRnncNamespace) {
  EXPECT_TRUE(isValidPrefix("char_rnn"));
  EXPECT_TRUE(isValidPrefix("_m2"));
  EXPECT_FALSE(isValidPrefix(""));
  EXPECT_FALSE(isValidPrefix("9lives"));
  EXPECT_FALSE(isValidPrefix("has-dash"));
  EXPECT_FALSE(isValidPrefix("rnnc_capi"));
  EXPECT_FALSE(isValidPrefix(std::string(65, 'a')));
}

TEST(AOTCompiler, HeaderDeclaresEveryEntryPointWithThePrefix) {
  AOTHeaderInfo info;
  info.prefix = "my_model";
  info.modelName = "MyModel";
  info.vocab = 27;
  info.batch = 4;
  info.seqLen = 8;
  info.params = {"W: [27, 16]"};
  std::string header = generateCHeader(info);
  for (const char *fn : {"create",
                         "destroy",
                         "last_error",
                         "model_name",
                         "vocab_size",
                         "batch_size",
                         "seq_len",
                         "num_params",
                         "token_text",
                         "encode",
                         "init_params",
                         "load",
                         "save",
                         "set_learning_rate",
                         "train_step",
                         "reset_train_state",
                         "set_training_data",
                         "train_epoch",
                         "step",
                         "reset_state",
                         "generate"})
    EXPECT_NE(header.find(std::string("my_model_") + fn + "("),
              std::string::npos)
        << fn;
  EXPECT_NE(header.find("#define MY_MODEL_VOCAB_SIZE 27"), std::string::npos);
  EXPECT_NE(header.find("#define MY_MODEL_BATCH_SIZE 4"), std::string::npos);
  EXPECT_NE(header.find("#define MY_MODEL_SEQ_LEN 8"), std::string::npos);
  EXPECT_NE(header.find("W: [27, 16]"), std::string::npos);
  EXPECT_EQ(header.find("@"), std::string::npos) << "unsubstituted placeholder";
}

namespace {

/// Empty functions: the errors below are found before any lowering.
std::unique_ptr<ir::Module> emptyModule() {
  auto m = std::make_unique<ir::Module>();
  m->addFunction("forward");
  m->addFunction("train_step");
  return m;
}

} // namespace

TEST(AOTCompiler, BadPrefixAndUnknownCpuAreErrors) {
  auto m = emptyModule();
  AOTOptions options;
  options.prefix = "1bad";
  auto emit = [&] {
    auto emitted = emitCompiledModel(*m->function("forward"),
                                     *m->function("train_step"), "{}", options,
                                     "/dev/null");
    return emitted ? std::string() : emitted.error().message();
  };
  std::string error = emit();
  EXPECT_NE(error.find("invalid --name"), std::string::npos) << error;
  options.prefix = "ok";
  options.targetCPU = "no-such-cpu";
  error = emit();
  EXPECT_NE(error.find("unknown target CPU 'no-such-cpu'"), std::string::npos)
      << error;
}
