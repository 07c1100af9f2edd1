//===- Progress.cpp - Epoch meter and a terminal progress line ------------===//
///
/// \file
/// See Progress.h. The line ends with ESC[K (erase to end of line) so a
/// shorter line never leaves the tail of a longer one behind.
///
//===----------------------------------------------------------------------===//
#include "runtime/train/Progress.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <unistd.h>

namespace rnnc::runtime {

double EpochMeter::meanLoss() const {
  return tokens_ > 0 ? lossSum_ / static_cast<double>(tokens_) : NAN;
}

double EpochMeter::perplexity() const { return std::exp(meanLoss()); }

std::string formatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0)
    return "?";
  long long s = static_cast<long long>(std::llround(seconds));
  if (s >= 3600)
    return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60)
    return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

double progressFraction(const ProgressState &state) {
  double total = static_cast<double>(state.totalEpochs) *
                 static_cast<double>(state.batchesPerEpoch);
  if (total <= 0)
    return 0;
  double done = static_cast<double>(state.epoch - 1) *
                    static_cast<double>(state.batchesPerEpoch) +
                static_cast<double>(state.batchesDone);
  return std::clamp(done / total, 0.0, 1.0);
}

namespace {

std::string formatRate(double tokensPerSecond) {
  if (!std::isfinite(tokensPerSecond) || tokensPerSecond < 0)
    return "?";
  if (tokensPerSecond >= 1e6)
    return fmt::format("{:.1f}M", tokensPerSecond / 1e6);
  if (tokensPerSecond >= 1e3)
    return fmt::format("{:.1f}k", tokensPerSecond / 1e3);
  return fmt::format("{:.0f}", tokensPerSecond);
}

} // namespace

std::string formatProgressLine(const ProgressState &state) {
  double fraction = progressFraction(state);
  double doneHere = fraction - state.startFraction;
  std::string eta =
      doneHere > 0 ? formatDuration(state.elapsedSeconds * (1 - fraction) / doneHere)
                   : "?";
  std::string ppl = std::isfinite(state.perplexity)
                        ? fmt::format("{:.2f}", state.perplexity)
                        : "-";
  if (std::isfinite(state.valPerplexity))
    ppl += fmt::format(" val {:.2f}", state.valPerplexity);
  return fmt::format("epoch {}/{} [{}/{}] ppl {} | {} tok/s | ETA {}",
                     state.epoch, state.totalEpochs, state.batchesDone,
                     state.batchesPerEpoch, ppl, formatRate(state.tokensPerSecond),
                     eta);
}

ProgressDisplay::ProgressDisplay(std::FILE *stream)
    : ProgressDisplay(stream, stream && ::isatty(::fileno(stream))) {}

ProgressDisplay::ProgressDisplay(std::FILE *stream, bool enabled)
    : stream_(stream), enabled_(enabled && stream) {}

void ProgressDisplay::update(const ProgressState &state, bool force) {
  if (!enabled_)
    return;
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && !force && now - lastDraw_ < std::chrono::milliseconds(100))
    return;
  lastDraw_ = now;
  drawn_ = true;
  std::string line = "\r" + formatProgressLine(state) + "\x1b[K";
  std::fputs(line.c_str(), stream_);
  std::fflush(stream_);
}

void ProgressDisplay::clear() {
  if (!enabled_ || !drawn_)
    return;
  std::fputs("\r\x1b[K", stream_);
  std::fflush(stream_);
  drawn_ = false;
}

} // namespace rnnc::runtime
