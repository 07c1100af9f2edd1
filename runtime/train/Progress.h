//===- Progress.h - Epoch meter and a terminal progress line ----*- C++ -*-===//
///
/// \file
/// Long training runs show one line on stderr, redrawn in place with a
/// carriage return: epoch, batch, perplexity so far, tokens/s and ETA. It is
/// drawn only when the stream is a terminal (isatty), so logs and pipes stay
/// clean. EpochMeter accumulates d2l's perplexity: exp of the token-weighted
/// mean loss over the epoch.
///
//===----------------------------------------------------------------------===//
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

namespace rnnc::runtime {

/// Sums minibatch losses weighted by their token counts.
class EpochMeter {
public:
  /// Adds one minibatch whose mean loss over `tokens` positions was `meanLoss`.
  void add(double meanLoss, int64_t tokens) {
    lossSum_ += meanLoss * static_cast<double>(tokens);
    tokens_ += tokens;
  }
  int64_t tokens() const { return tokens_; }
  /// The token-weighted loss sum (saved mid-epoch so a resumed run reports
  /// the same epoch loss).
  double lossSum() const { return lossSum_; }
  void restore(double lossSum, int64_t tokens) {
    lossSum_ = lossSum;
    tokens_ = tokens;
  }
  /// Mean loss per token (NaN before any batch).
  double meanLoss() const;
  /// exp(meanLoss()).
  double perplexity() const;
  void reset() { *this = EpochMeter(); }

private:
  double lossSum_ = 0;
  int64_t tokens_ = 0;
};

/// Where training stands, for the progress line.
struct ProgressState {
  int64_t epoch = 1;           ///< current epoch, 1-based
  int64_t totalEpochs = 1;
  int64_t batchesDone = 0;     ///< in the current epoch
  int64_t batchesPerEpoch = 1;
  double perplexity = NAN;     ///< of the current epoch so far
  double valPerplexity = NAN;  ///< held-out, after the last epoch (NaN: none)
  double tokensPerSecond = 0;
  double elapsedSeconds = 0;   ///< since training started
  /// Fraction already done when this run started (a resumed run): the ETA
  /// extrapolates from the part done in `elapsedSeconds` only.
  double startFraction = 0;
};

/// "1h02m", "3m05s", "42s"; "?" for negative or non-finite values.
std::string formatDuration(double seconds);

/// Fraction of all batches of all epochs done, in [0, 1].
double progressFraction(const ProgressState &state);

/// "epoch 3/250 [5/8] ppl 12.34 | 45.6k tok/s | ETA 3m05s" (ETA from the
/// elapsed time and the fraction done; "?" until something is done), with
/// "val 15.20" after the perplexity once a held-out figure exists.
std::string formatProgressLine(const ProgressState &state);

class ProgressDisplay {
public:
  /// Draws on `stream` only if it is a terminal.
  explicit ProgressDisplay(std::FILE *stream = stderr);
  /// Draws on `stream` if `enabled` (tests, --progress=always).
  ProgressDisplay(std::FILE *stream, bool enabled);
  ~ProgressDisplay() { clear(); }
  ProgressDisplay(const ProgressDisplay &) = delete;
  ProgressDisplay &operator=(const ProgressDisplay &) = delete;

  bool enabled() const { return enabled_; }
  /// Redraws the line, at most ten times a second unless `force`.
  void update(const ProgressState &state, bool force = false);
  /// Erases the line (call before printing an ordinary log line).
  void clear();

private:
  std::FILE *stream_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point lastDraw_{};
};

} // namespace rnnc::runtime
