//===- PlotSvg.h - Perplexity against epoch, as an SVG file -----*- C++ -*-===//
///
/// \file
/// The training plot of `rnnc plot` and `rnnc train --plot`: training
/// perplexity (and validation perplexity, where the metrics have it) against
/// epoch on a log-scale y axis, as d2l's animated plot shows it, with
/// labelled axes, tick labels and a legend. The SVG is written by hand (no
/// library) and opens in any browser.
///
/// The input is what `rnnc train --metrics-json` writes: one JSON object per
/// line and epoch. Only `epoch` and `perplexity` are required;
/// `val_perplexity` is read when present (a number, or null for none) and
/// every other field is ignored, so newer metrics files still plot.
///
/// Each series is a `<polyline data-series="training|validation">`; each
/// tick a `<g class="tick x|y">` holding its grid line and label, so a test
/// (test/lit/tool/plot-*.test, test/unit/PlotSvgTest.cpp) can invert the
/// drawing back to epochs and perplexities.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rnnc::runtime {

/// One epoch of a metrics file, as the plot reads it.
struct MetricsRow {
  double epoch = 0;
  double perplexity = 0;
  std::optional<double> valPerplexity;
};

/// Reads JSON lines (blank lines skipped). `name` prefixes messages:
/// "NAME:LINE: malformed JSON", "NAME:LINE: 'perplexity' must be a positive
/// number, got 0", "NAME: no metrics (the file is empty)". Epochs must
/// increase from line to line (two runs appended to one file do not).
Expected<std::vector<MetricsRow>>
parseMetricsJsonLines(std::string_view text, const std::string &name);

struct PlotOptions {
  int width = 640, height = 400;
  std::string title = "rnnc: perplexity per epoch"; ///< the SVG's <title>; may be empty
};

/// The SVG document for `rows` (at least one).
std::string renderPerplexityPlot(const std::vector<MetricsRow> &rows,
                                 const PlotOptions &options = {});

/// Tick values for an axis over [lo, hi]: 1, 2 or 5 times a power of ten
/// apart, about `target` of them (integers only when `integral`).
std::vector<double> linearTicks(double lo, double hi, int target, bool integral);

/// Tick values for a log-scale axis over [lo, hi] (both > 0): powers of ten,
/// else also 2 and 5 times them, else every digit, else linear ticks, the
/// first that gives at least three; more than 8 powers of ten are thinned
/// to every k-th.
std::vector<double> logTicks(double lo, double hi);

} // namespace rnnc::runtime
