//===- IRParserRobustnessTest.cpp - Broken IR text never crashes ----------===//
///
/// \file
/// Every prefix of a valid module and many single-byte corruptions of it must
/// parse to either a module or one diagnostic, never a crash or a hang; and
/// whatever parses must also pass or fail the verifier cleanly.
///
//===----------------------------------------------------------------------===//
#include "IRTextTestUtil.h"
#include "test/support/IRText.h"

#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/Pipeline.h"

#include <gtest/gtest.h>
#include <limits>
#include <random>

using namespace rnnc;
using namespace rnnc::ir;
using namespace rnnc::irtest;

TEST(IRParserRobustness, EveryPrefixFailsCleanly) {
  std::string text = toString(*buildTinyRnn());
  for (size_t n = 0; n < text.size(); ++n) {
    std::string errors;
    auto m = fixtures::parseIR(text.substr(0, n), &errors);
    // Only prefixes that end after the module's closing brace may parse.
    if (m) {
      EXPECT_EQ(text.substr(0, n).find_last_not_of(" \n"), text.find_last_of('}'));
    } else {
      EXPECT_NE(errors.find("t.rnnir:"), std::string::npos) << n;
      EXPECT_NE(errors.find(": error: "), std::string::npos) << n;
    }
  }
}

TEST(IRParserRobustness, CorruptedBytesNeverCrash) {
  std::string text = toString(*buildTinyRnn());
  std::mt19937 rng(42);
  const std::string alphabet = "%@^{}()[],:=->0123456789.e\"\\ \nabfis#$";
  unsigned parsed = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    std::string t = text;
    for (int k = 0; k < 1 + trial % 3; ++k)
      t[rng() % t.size()] = alphabet[rng() % alphabet.size()];
    std::string errors;
    auto m = fixtures::parseIR(t, &errors);
    if (!m) {
      EXPECT_NE(errors.find(": error: "), std::string::npos) << t;
      continue;
    }
    ++parsed;
    (void)verifyFunction(*m->functions().front());
    // Whatever reads back prints and reads back identically.
    std::string printed = toString(*m);
    auto again = fixtures::parseIR(printed);
    ASSERT_TRUE(again) << printed;
    EXPECT_EQ(toString(*again), printed);
  }
  EXPECT_GT(parsed, 0u); // some corruptions are harmless (inside a name)
}

TEST(IRPipeline, UnknownPassIsReported) {
  auto m = buildTinyRnn();
  std::ostringstream os;
  DiagnosticEngine diag(nullptr, os);
  EXPECT_FALSE(passes::runPasses(*m, {"no-such-pass"}, diag, nullptr));
  EXPECT_EQ(os.str(), "error: unknown pass 'no-such-pass'\n");
}

TEST(IRPipeline, EmptyPipelineLeavesModuleAlone) {
  auto m = buildTinyRnn();
  std::string before = toString(*m);
  std::ostringstream os, dump;
  DiagnosticEngine diag(nullptr, os);
  EXPECT_TRUE(passes::runPasses(*m, {}, diag, &dump));
  EXPECT_EQ(toString(*m), before);
  EXPECT_EQ(dump.str(), "");
  EXPECT_EQ(passes::printAfterHeader("cse"), "// -----// IR after cse //----- //");
}

TEST(IRParserRobustness, VerifierRejectsUnknownAttributesAndNonFiniteConstants) {
  // The parser rejects both where they are written; the verifier keeps
  // passes and the front end from making them.
  for (int which = 0; which < 2; ++which) {
    Module m;
    Function &f = *m.addFunction("f");
    TensorType t = TensorType::f32({Dim{2, ""}});
    Value *a = f.addArgument(ArgRole::Input, "a", t);
    Operation *op =
        which == 0
            ? f.body().create(OpKind::Neg, {a}, {t}, {{"fast", int64_t(1)}})
            : f.body().create(OpKind::Constant, {}, {t},
                              {{"value", std::numeric_limits<double>::infinity()}});
    f.body().create(OpKind::Return, {op->result()}, {});
    f.resultNames = {"r"};
    auto verified = verifyFunction(f);
    ASSERT_FALSE(verified) << which;
    const std::string &error = verified.error().message();
    EXPECT_NE(error.find(which == 0 ? "neg: unknown attribute 'fast' (it takes none)"
                                    : "constant: attribute 'value' must be finite"),
              std::string::npos)
        << error;
  }
}

TEST(IRParserRobustness, NumbersAndSizesAreBounded) {
  std::string errors;
  // A real that overflows a double is an error in every place a number goes.
  EXPECT_FALSE(fixtures::parseIR("module { train { lr = 1e999 } }", &errors));
  EXPECT_NE(errors.find("t.rnnir:1:23: error: number '1e999' is out of range"),
            std::string::npos) << errors;
  EXPECT_FALSE(fixtures::parseIR("module { init @W = normal(nan, 1.0) }", &errors));
  EXPECT_NE(errors.find("t.rnnir:1:27: error: expected a finite number, got nan"),
            std::string::npos) << errors;
  // Denormals read back (strtod reports them as ERANGE too).
  auto m = fixtures::parseIR("module { train { lr = 5e-324 } }", &errors);
  ASSERT_TRUE(m) << errors;
  EXPECT_GT(m->train.lr, 0);
  // Element counts never wrap: 2^16 four times is 2^64, 0 in int64.
  EXPECT_EQ(checkedElementCount({65536, 65536, 65536, 65536}), -1);
  EXPECT_EQ(checkedElementCount({kMaxElements}), kMaxElements);
  EXPECT_EQ(checkedElementCount({kMaxElements, 2}), -1);
  EXPECT_EQ(checkedElementCount({0, kMaxElements, kMaxElements}), 0);
  EXPECT_EQ(checkedElementCount({3, -1}), -1);
}
