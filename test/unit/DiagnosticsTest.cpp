//===- DiagnosticsTest.cpp - file:line:col, source line and caret ---------===//
#include "ir/Diagnostics.h"

#include <gtest/gtest.h>
#include <sstream>

using namespace rnnc;

TEST(Diagnostics, PrintsLocationLineAndCaret) {
  auto buf = std::make_shared<SourceBuffer>("m.rnn", "model M {\n  h = x @ W\n}\n");
  std::ostringstream os;
  DiagnosticEngine diag(buf, os);
  diag.error({2, 7}, "unknown name 'x'");
  EXPECT_EQ(os.str(), "m.rnn:2:7: error: unknown name 'x'\n  h = x @ W\n      ^\n");
  EXPECT_EQ(diag.errorCount(), 1u);
}

TEST(Diagnostics, CaretCountsCodePoints) {
  auto buf = std::make_shared<SourceBuffer>("m.rnn", "# 分开 x\n");
  std::ostringstream os;
  DiagnosticEngine diag(buf, os);
  diag.error({1, 6}, "bad");
  EXPECT_EQ(os.str(), "m.rnn:1:6: error: bad\n# 分开 x\n     ^\n");
}

TEST(Diagnostics, NoLocation) {
  std::ostringstream os;
  DiagnosticEngine diag(nullptr, os);
  diag.error({}, "cannot open 'x.rnn'");
  EXPECT_EQ(os.str(), "error: cannot open 'x.rnn'\n");
}
