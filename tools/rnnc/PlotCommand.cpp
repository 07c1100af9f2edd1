//===- PlotCommand.cpp - `rnnc plot METRICS -o SVG` -----------------------===//
///
/// \file
/// Draws training (and, where the metrics have it, validation) perplexity
/// against epoch from a `rnnc train --metrics-json` file into an SVG file
/// (runtime/train/PlotSvg.h), written atomically. Exit 1 on bad metrics (a
/// one-line error naming the line), 2 on a bad output path.
///
//===----------------------------------------------------------------------===//
#include "tools/rnnc/Commands.h"
#include "tools/rnnc/OutputPaths.h"

#include "ir/FileBytes.h"
#include "runtime/data/AtomicFile.h"
#include "runtime/train/PlotSvg.h"

#include <iostream>
#include <memory>
#include <string>

namespace rnnc::tool {

namespace {

struct PlotArgs {
  std::string metrics, output;
};

/// Metrics files are small; this bounds a mistaken argument (a corpus).
constexpr uint64_t kMaxMetricsBytes = uint64_t(256) << 20;

int runPlot(const PlotArgs &a) {
  OutputPaths outputs;
  outputs.addInput(a.metrics, "the metrics");
  outputs.addOutput(a.output, "-o");
  if (auto checked = outputs.check(); !checked) {
    std::cerr << "rnnc: error: " << checked.error().message() << '\n';
    return 2;
  }
  Expected<std::string> text = readFileBytes(a.metrics, "metrics ", kMaxMetricsBytes);
  if (!text)
    return reportError(text.error());
  Expected<std::vector<runtime::MetricsRow>> rows =
      runtime::parseMetricsJsonLines(*text, a.metrics);
  if (!rows)
    return reportError(rows.error());
  std::string svg = runtime::renderPerplexityPlot(*rows);
  if (Expected<void> written = runtime::writeFileAtomically(a.output, svg, "plot ");
      !written)
    return reportError(written.error());
  return 0;
}

} // namespace

Command addPlotCommand(CLI::App &parent) {
  Command c;
  c.app = parent.add_subcommand(
      "plot", "Plot perplexity against epoch from a --metrics-json file (SVG)");
  auto a = std::make_shared<PlotArgs>();
  c.app->add_option("metrics", a->metrics,
                    "One JSON object per epoch, as train --metrics-json writes")
      ->required();
  c.app->add_option("-o,--output", a->output, "The SVG file to write")->required();
  c.run = [a] { return runPlot(*a); };
  return c;
}

} // namespace rnnc::tool
