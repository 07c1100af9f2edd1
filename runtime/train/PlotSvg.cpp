//===- PlotSvg.cpp - Perplexity against epoch, as an SVG file -------------===//
///
/// \file
/// Drawing: 1. the x range is the first to the last epoch, the y range the
/// smallest to the largest perplexity of either series, in log10, padded
/// by 4%; 2. ticks: round epochs (linearTicks), and powers of ten or their
/// 2 and 5 multiples on y (logTicks; when every digit is a tick, only 1,
/// 2, 3 and 5 are labelled); 3. grid, frame, tick labels, axis
/// labels; 4. one polyline per series (dots too when there are few epochs,
/// so a single epoch shows); 5. the legend in the top-right corner. See
/// PlotSvg.h for the input.
///
//===----------------------------------------------------------------------===//
#include "runtime/train/PlotSvg.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace rnnc::runtime {

namespace {

/// `key` of `object` as a positive finite number; absent (nullopt, no
/// error) when missing and `optional`, or null and `optional`.
Expected<std::optional<double>> readPositive(const nlohmann::json &object,
                                             const char *key, bool optional) {
  auto it = object.find(key);
  if (it == object.end() || (optional && it->is_null())) {
    if (optional)
      return std::optional<double>();
    return Error(fmt::format("'{}' is missing", key));
  }
  if (!it->is_number() || !(it->get<double>() > 0) ||
      !std::isfinite(it->get<double>())) {
    std::string shown = it->dump();
    if (shown.size() > 40)
      shown = shown.substr(0, 37) + "...";
    return Error(fmt::format("'{}' must be a positive number, got {}", key, shown));
  }
  return std::optional<double>(it->get<double>());
}

std::string escapeXml(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    default: out += c;
    }
  }
  return out;
}

/// `m * 10^e` with a negative exponent computed as a division, so 6e-1 is
/// the double nearest 0.6 (3 * 0.2 is not).
double scaled(double m, int e) {
  return e >= 0 ? m * std::pow(10.0, e) : m / std::pow(10.0, -e);
}

std::string tickLabel(double v) { return fmt::format("{:g}", v); }

} // namespace

Expected<std::vector<MetricsRow>>
parseMetricsJsonLines(std::string_view text, const std::string &name) {
  std::vector<MetricsRow> rows;
  size_t lineNumber = 0;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++lineNumber;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos)
      continue;
    auto fail = [&](const std::string &why) {
      return Error(fmt::format("{}:{}: {}", name, lineNumber, why));
    };
    nlohmann::json object = nlohmann::json::parse(line, nullptr, false);
    if (object.is_discarded())
      return fail("malformed JSON");
    if (!object.is_object())
      return fail("expected a JSON object");
    MetricsRow row;
    auto epoch = object.find("epoch");
    if (epoch == object.end())
      return fail("'epoch' is missing");
    if (!epoch->is_number() || !std::isfinite(epoch->get<double>()))
      return fail("'epoch' must be a number, got " + epoch->dump());
    row.epoch = epoch->get<double>();
    Expected<std::optional<double>> value = readPositive(object, "perplexity", false);
    if (!value)
      return fail(value.error().message());
    row.perplexity = **value;
    Expected<std::optional<double>> val = readPositive(object, "val_perplexity", true);
    if (!val)
      return fail(val.error().message());
    row.valPerplexity = *val;
    if (!rows.empty() && !(row.epoch > rows.back().epoch))
      return fail(fmt::format("epoch {:g} does not follow epoch {:g} (two runs "
                              "in one file? plot one of them)",
                              row.epoch, rows.back().epoch));
    rows.push_back(row);
  }
  if (rows.empty())
    return Error(name + ": no metrics (the file is empty)");
  return rows;
}

std::vector<double> linearTicks(double lo, double hi, int target, bool integral) {
  std::vector<double> ticks;
  if (!(hi > lo) || target < 1)
    return ticks;
  double raw = (hi - lo) / target;
  int e = static_cast<int>(std::floor(std::log10(raw)));
  double m = 1;
  for (double candidate : {1.0, 2.0, 5.0, 10.0}) {
    m = candidate;
    if (scaled(candidate, e) >= raw * (1 - 1e-9))
      break;
  }
  if (m == 10) {
    m = 1;
    ++e;
  }
  if (integral && scaled(m, e) < 1) {
    m = 1;
    e = 0;
  }
  double step = scaled(m, e);
  for (double k = std::ceil(lo / step - 1e-9); scaled(k * m, e) <= hi + 1e-9 * step; ++k)
    ticks.push_back(scaled(k * m, e));
  return ticks;
}

std::vector<double> logTicks(double lo, double hi) {
  const std::vector<std::vector<double>> mantissas = {
      {1}, {1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}};
  for (const auto &set : mantissas) {
    std::vector<double> ticks;
    for (int e = static_cast<int>(std::floor(std::log10(lo)));
         e <= static_cast<int>(std::ceil(std::log10(hi))); ++e)
      for (double m : set) {
        double t = scaled(m, e);
        if (t >= lo * (1 - 1e-12) && t <= hi * (1 + 1e-12))
          ticks.push_back(t);
      }
    if (ticks.size() > 8 && set.size() == 1) {
      // Dozens of decades (an early epoch near divergence): every k-th
      // power of ten, at most 8 of them.
      int stride = static_cast<int>((ticks.size() + 7) / 8);
      std::vector<double> thinned;
      for (double t : ticks)
        if (static_cast<int>(std::lround(std::log10(t))) % stride == 0)
          thinned.push_back(t);
      return thinned;
    }
    if (ticks.size() >= 3)
      return ticks;
  }
  return linearTicks(lo, hi, 4, false);
}

std::string renderPerplexityPlot(const std::vector<MetricsRow> &rows,
                                 const PlotOptions &options) {
  const double width = options.width, height = options.height;
  const double left = 72, right = width - 24, top = 24, bottom = height - 56;

  // 1. Ranges.
  double x0 = rows.front().epoch, x1 = rows.back().epoch;
  if (!(x1 > x0)) {
    x0 -= 1;
    x1 += 1;
  }
  double yMin = rows.front().perplexity, yMax = yMin;
  bool hasValidation = false;
  for (const MetricsRow &r : rows) {
    yMin = std::min(yMin, r.perplexity);
    yMax = std::max(yMax, r.perplexity);
    if (r.valPerplexity) {
      hasValidation = true;
      yMin = std::min(yMin, *r.valPerplexity);
      yMax = std::max(yMax, *r.valPerplexity);
    }
  }
  double ly0 = std::log10(yMin), ly1 = std::log10(yMax);
  if (ly1 - ly0 < 0.02) { // a flat curve: show it mid-height
    double mid = (ly0 + ly1) / 2;
    ly0 = mid - 0.01;
    ly1 = mid + 0.01;
  }
  double pad = 0.04 * (ly1 - ly0);
  ly0 -= pad;
  ly1 += pad;
  auto px = [&](double epoch) { return left + (epoch - x0) / (x1 - x0) * (right - left); };
  auto py = [&](double perplexity) {
    return bottom - (std::log10(perplexity) - ly0) / (ly1 - ly0) * (bottom - top);
  };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"DejaVu Sans, Helvetica, Arial, "
      "sans-serif\" font-size=\"12\">\n",
      options.width, options.height);
  if (!options.title.empty())
    svg += "<title>" + escapeXml(options.title) + "</title>\n";
  svg += fmt::format("<rect width=\"{}\" height=\"{}\" fill=\"white\"/>\n",
                     options.width, options.height);

  // 2-3. Ticks with grid lines and labels, the frame, the axis labels.
  bool integral = std::all_of(rows.begin(), rows.end(), [](const MetricsRow &r) {
    return r.epoch == std::floor(r.epoch);
  });
  for (double t : linearTicks(x0, x1, 6, integral))
    svg += fmt::format(
        "<g class=\"tick x\"><line x1=\"{0:.2f}\" y1=\"{1}\" x2=\"{0:.2f}\" "
        "y2=\"{2}\" stroke=\"#e0e0e0\"/><line x1=\"{0:.2f}\" y1=\"{2}\" "
        "x2=\"{0:.2f}\" y2=\"{3}\" stroke=\"black\"/><text x=\"{0:.2f}\" "
        "y=\"{4}\" text-anchor=\"middle\">{5}</text></g>\n",
        px(t), top, bottom, bottom + 5, bottom + 18, tickLabel(t));
  std::vector<double> yTicks = logTicks(std::pow(10.0, ly0), std::pow(10.0, ly1));
  for (double t : yTicks) {
    // Many ticks (every digit): label 1, 2, 3 and 5 times a power of ten,
    // the others are grid lines only.
    double mantissa = std::round(t / std::pow(10.0, std::floor(std::log10(t) + 1e-9)));
    if (yTicks.size() > 6 && mantissa != 1 && mantissa != 2 && mantissa != 3 &&
        mantissa != 5) {
      svg += fmt::format("<g class=\"minor y\"><line x1=\"{0}\" y1=\"{1:.2f}\" "
                         "x2=\"{2}\" y2=\"{1:.2f}\" stroke=\"#f0f0f0\"/></g>\n",
                         left, py(t), right);
      continue;
    }
    svg += fmt::format(
        "<g class=\"tick y\"><line x1=\"{0}\" y1=\"{1:.2f}\" x2=\"{2}\" "
        "y2=\"{1:.2f}\" stroke=\"#e0e0e0\"/><line x1=\"{3}\" y1=\"{1:.2f}\" "
        "x2=\"{0}\" y2=\"{1:.2f}\" stroke=\"black\"/><text x=\"{4}\" "
        "y=\"{1:.2f}\" dy=\"0.35em\" text-anchor=\"end\">{5}</text></g>\n",
        left, py(t), right, left - 5, left - 8, tickLabel(t));
  }
  svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
                     "fill=\"none\" stroke=\"black\"/>\n",
                     left, top, right - left, bottom - top);
  svg += fmt::format("<text x=\"{:.2f}\" y=\"{}\" text-anchor=\"middle\" "
                     "font-size=\"14\">epoch</text>\n",
                     (left + right) / 2, height - 14);
  svg += fmt::format("<text transform=\"translate(18 {:.2f}) rotate(-90)\" "
                     "text-anchor=\"middle\" font-size=\"14\">perplexity (log "
                     "scale)</text>\n",
                     (top + bottom) / 2);

  // 4. The series.
  struct Series {
    const char *name, *color, *dash;
    std::vector<std::pair<double, double>> points;
  };
  std::vector<Series> series = {{"training", "#1f77b4", "", {}}};
  if (hasValidation)
    series.push_back({"validation", "#d62728", " stroke-dasharray=\"6 4\"", {}});
  for (const MetricsRow &r : rows) {
    series[0].points.emplace_back(r.epoch, r.perplexity);
    if (r.valPerplexity)
      series[1].points.emplace_back(r.epoch, *r.valPerplexity);
  }
  for (const Series &s : series) {
    std::string points;
    for (auto [epoch, perplexity] : s.points)
      points += fmt::format("{}{:.2f},{:.2f}", points.empty() ? "" : " ",
                            px(epoch), py(perplexity));
    svg += fmt::format("<polyline data-series=\"{}\" fill=\"none\" stroke=\"{}\" "
                       "stroke-width=\"2\"{} points=\"{}\"/>\n",
                       s.name, s.color, s.dash, points);
    if (s.points.size() <= 40)
      for (auto [epoch, perplexity] : s.points)
        svg += fmt::format("<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"3\" fill=\"{}\"/>\n",
                           px(epoch), py(perplexity), s.color);
  }

  // 5. The legend.
  double boxWidth = 110, boxHeight = 8 + 18 * series.size();
  double bx = right - boxWidth - 8, by = top + 8;
  svg += fmt::format("<g class=\"legend\"><rect x=\"{}\" y=\"{}\" width=\"{}\" "
                     "height=\"{}\" fill=\"white\" fill-opacity=\"0.85\" "
                     "stroke=\"#999999\"/>\n",
                     bx, by, boxWidth, boxHeight);
  for (size_t i = 0; i < series.size(); ++i) {
    double y = by + 13 + 18 * i;
    svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" "
                       "stroke-width=\"2\"{}/><text x=\"{}\" y=\"{}\" "
                       "dy=\"0.35em\">{}</text>\n",
                       bx + 8, y, bx + 36, y, series[i].color, series[i].dash,
                       bx + 42, y, series[i].name);
  }
  svg += "</g>\n</svg>\n";
  return svg;
}

} // namespace rnnc::runtime
