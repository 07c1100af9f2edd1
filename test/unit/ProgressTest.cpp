//===- ProgressTest.cpp - Epoch perplexity and the progress line ----------===//
///
/// \file
/// The perplexity meter, the text of the progress line (ETA from the
/// fraction done) and that nothing is drawn unless enabled (stderr not a
/// terminal). Tests never time anything: the throttle is checked only in
/// the direction that does not depend on speed.
///
//===----------------------------------------------------------------------===//
#include "runtime/train/Progress.h"

#include <cmath>
#include <cstdio>
#include <gtest/gtest.h>

using namespace rnnc::runtime;

namespace {

std::string contentsOf(std::FILE *file) {
  std::fflush(file);
  std::rewind(file);
  std::string out;
  int c;
  while ((c = std::fgetc(file)) != EOF)
    out.push_back(static_cast<char>(c));
  return out;
}

ProgressState sampleState() {
  ProgressState s;
  s.epoch = 2;
  s.totalEpochs = 4;
  s.batchesDone = 5;
  s.batchesPerEpoch = 10;
  s.perplexity = 12.345;
  s.tokensPerSecond = 45600;
  s.elapsedSeconds = 30;
  return s;
}

} // namespace

TEST(EpochMeter, PerplexityIsExpOfTokenWeightedMeanLoss) {
  EpochMeter meter;
  EXPECT_TRUE(std::isnan(meter.meanLoss()));
  meter.add(2.0, 10);
  meter.add(1.0, 30);
  EXPECT_EQ(meter.tokens(), 40);
  EXPECT_DOUBLE_EQ(meter.meanLoss(), 1.25);
  EXPECT_DOUBLE_EQ(meter.perplexity(), std::exp(1.25));
  meter.reset();
  EXPECT_EQ(meter.tokens(), 0);
}

TEST(Progress, FormatsDurations) {
  EXPECT_EQ(formatDuration(42), "42s");
  EXPECT_EQ(formatDuration(185), "3m05s");
  EXPECT_EQ(formatDuration(3720), "1h02m");
  EXPECT_EQ(formatDuration(-1), "?");
  EXPECT_EQ(formatDuration(NAN), "?");
}

TEST(Progress, LineShowsEpochPerplexityRateAndEta) {
  ProgressState s = sampleState();
  // (1 * 10 + 5) / 40 = 0.375 done; ETA = 30 * 0.625 / 0.375 = 50 s.
  EXPECT_DOUBLE_EQ(progressFraction(s), 0.375);
  EXPECT_EQ(formatProgressLine(s), "epoch 2/4 [5/10] ppl 12.35 | 45.6k tok/s | ETA 50s");
  s.epoch = 1;
  s.batchesDone = 0;
  s.perplexity = NAN;
  s.tokensPerSecond = 900;
  EXPECT_EQ(formatProgressLine(s), "epoch 1/4 [0/10] ppl - | 900 tok/s | ETA ?");
  // Held-out perplexity of the last epoch, once there is one.
  s.valPerplexity = 15.204;
  EXPECT_EQ(formatProgressLine(s), "epoch 1/4 [0/10] ppl - val 15.20 | 900 tok/s | ETA ?");
}

TEST(Progress, SilentWhenNotATerminal) {
  std::FILE *file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  {
    ProgressDisplay display(file); // a regular file is not a tty
    EXPECT_FALSE(display.enabled());
    display.update(sampleState(), /*force=*/true);
    display.clear();
  }
  EXPECT_EQ(contentsOf(file), "");
  std::fclose(file);
}

TEST(Progress, RedrawsInPlaceWhenEnabled) {
  std::FILE *file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  {
    ProgressDisplay display(file, /*enabled=*/true);
    display.update(sampleState());
    ProgressState later = sampleState();
    later.batchesDone = 6; // 16/40 done: ETA 30 * 0.6 / 0.4 = 45 s
    display.update(later, /*force=*/true);
    display.clear();
  }
  EXPECT_EQ(contentsOf(file),
            "\repoch 2/4 [5/10] ppl 12.35 | 45.6k tok/s | ETA 50s\x1b[K"
            "\repoch 2/4 [6/10] ppl 12.35 | 45.6k tok/s | ETA 45s\x1b[K"
            "\r\x1b[K");
  std::fclose(file);
}

TEST(Progress, EtaOfAResumedRunCountsOnlyItsOwnPart) {
  ProgressState s = sampleState();
  s.startFraction = 0.25; // resumed after epoch 1 of 4
  // 0.375 - 0.25 = 0.125 done in 30 s; 0.625 left: 150 s.
  EXPECT_EQ(formatProgressLine(s), "epoch 2/4 [5/10] ppl 12.35 | 45.6k tok/s | ETA 2m30s");
}
