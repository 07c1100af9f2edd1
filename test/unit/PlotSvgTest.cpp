//===- PlotSvgTest.cpp - Reading metrics lines, drawing the plot ----------===//
///
/// \file
/// The metrics reader accepts what `rnnc train --metrics-json` writes, with
/// or without the optional `val_perplexity`, and names the line of every
/// bad input; the plot has one polyline per series with a point per epoch,
/// axis labels, tick labels and a legend. The drawn points are inverted back
/// to the metrics by test/lit/tool/plot-svg.test.
///
//===----------------------------------------------------------------------===//
#include "runtime/train/PlotSvg.h"

#include <gtest/gtest.h>

#include <cmath>
#include <regex>
#include <string>

using namespace rnnc::runtime;

namespace {

std::string parseError(const std::string &text) {
  auto rows = parseMetricsJsonLines(text, "m.jsonl");
  EXPECT_FALSE(rows);
  return rows ? std::string() : rows.error().message();
}

size_t count(const std::string &haystack, const std::string &needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1))
    ++n;
  return n;
}

TEST(MetricsJsonLines, ReadsEpochAndPerplexityAndOptionalValidation) {
  std::string text =
      "{\"epoch\":1,\"loss\":2.3,\"perplexity\":10.0,\"grad_norm\":1}\n"
      "\n"
      "{\"epoch\":2,\"perplexity\":5.5,\"val_perplexity\":7.25,\"new\":\"x\"}\r\n"
      "{\"epoch\":3,\"perplexity\":4,\"val_perplexity\":null}";
  auto rows = parseMetricsJsonLines(text, "m.jsonl");
  ASSERT_TRUE(rows) << rows.error().message();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].epoch, 1);
  EXPECT_EQ((*rows)[0].perplexity, 10.0);
  EXPECT_FALSE((*rows)[0].valPerplexity);
  EXPECT_EQ((*rows)[1].valPerplexity, 7.25);
  EXPECT_FALSE((*rows)[2].valPerplexity);
}

TEST(MetricsJsonLines, BadInputNamesTheLine) {
  EXPECT_EQ(parseError(""), "m.jsonl: no metrics (the file is empty)");
  EXPECT_EQ(parseError("\n  \n"), "m.jsonl: no metrics (the file is empty)");
  EXPECT_EQ(parseError("{\"epoch\":1,\"perplexity\":3}\n{\"epoch\":2,"),
            "m.jsonl:2: malformed JSON");
  EXPECT_EQ(parseError("[1, 2]"), "m.jsonl:1: expected a JSON object");
  EXPECT_EQ(parseError("{\"epoch\":1}"),
            "m.jsonl:1: 'perplexity' is missing");
  EXPECT_EQ(parseError("{\"epoch\":1,\"perplexity\":0}"),
            "m.jsonl:1: 'perplexity' must be a positive number, got 0");
  EXPECT_EQ(parseError("{\"epoch\":1,\"perplexity\":-2.5}"),
            "m.jsonl:1: 'perplexity' must be a positive number, got -2.5");
  EXPECT_EQ(parseError("{\"epoch\":1,\"perplexity\":\"3\"}"),
            "m.jsonl:1: 'perplexity' must be a positive number, got \"3\"");
  EXPECT_EQ(parseError("{\"epoch\":1,\"perplexity\":3,\"val_perplexity\":0}"),
            "m.jsonl:1: 'val_perplexity' must be a positive number, got 0");
  EXPECT_EQ(parseError("{\"perplexity\":3}"), "m.jsonl:1: 'epoch' is missing");
  EXPECT_EQ(parseError("{\"epoch\":2,\"perplexity\":3}\n{\"epoch\":1,\"perplexity\":3}"),
            "m.jsonl:2: epoch 1 does not follow epoch 2 (two runs in one "
            "file? plot one of them)");
}

TEST(PlotTicks, LinearTicksAreRoundAndInRange) {
  EXPECT_EQ(linearTicks(1, 250, 6, true),
            (std::vector<double>{50, 100, 150, 200, 250}));
  EXPECT_EQ(linearTicks(1, 3, 6, true), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(linearTicks(0.5, 1.5, 5, false),
            (std::vector<double>{0.6, 0.8, 1.0, 1.2, 1.4}));
}

TEST(PlotTicks, LogTicksPreferDecades) {
  // Three decades or more: powers of ten only.
  EXPECT_EQ(logTicks(1.2, 9000), (std::vector<double>{10, 100, 1000}));
  // Many decades (an early epoch near divergence): every k-th power, at
  // most 8 of them.
  auto many = logTicks(2, 5e40);
  ASSERT_EQ(many.size(), 8u);
  for (size_t i = 0; i < many.size(); ++i)
    EXPECT_NEAR(std::log10(many[i]), 5.0 * (i + 1), 1e-9);
  // Fewer: 1, 2 and 5 times them.
  EXPECT_EQ(logTicks(1.2, 900),
            (std::vector<double>{2, 5, 10, 20, 50, 100, 200, 500}));
  // Within one decade: every digit.
  EXPECT_EQ(logTicks(1.1, 9), (std::vector<double>{2, 3, 4, 5, 6, 7, 8, 9}));
  // Narrower still: round linear values inside the range.
  auto narrow = logTicks(1.15, 1.35);
  ASSERT_GE(narrow.size(), 3u);
  for (double t : narrow) {
    EXPECT_GE(t, 1.15 - 1e-12);
    EXPECT_LE(t, 1.35 + 1e-12);
  }
}

TEST(PerplexityPlot, OneSeriesWithoutValidationTwoWithIt) {
  std::vector<MetricsRow> rows = {{1, 500, std::nullopt}, {2, 80, std::nullopt},
                                  {3, 12, std::nullopt}};
  std::string svg = renderPerplexityPlot(rows, {640, 400, "a&b.jsonl"});
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("<title>a&amp;b.jsonl</title>"), std::string::npos);
  EXPECT_EQ(count(svg, "data-series=\"training\""), 1u);
  EXPECT_EQ(count(svg, "data-series=\"validation\""), 0u);
  EXPECT_NE(svg.find(">epoch</text>"), std::string::npos);
  EXPECT_NE(svg.find(">perplexity (log scale)</text>"), std::string::npos);
  EXPECT_NE(svg.find(">training</text>"), std::string::npos); // legend
  EXPECT_EQ(svg.find(">validation</text>"), std::string::npos);
  EXPECT_GE(count(svg, "class=\"tick x\""), 3u);
  EXPECT_GE(count(svg, "class=\"tick y\""), 2u);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      svg, m, std::regex("data-series=\"training\"[^>]*points=\"([^\"]*)\"")));
  EXPECT_EQ(count(m[1].str(), ","), 3u);

  rows[1].valPerplexity = 90;
  rows[2].valPerplexity = 40;
  svg = renderPerplexityPlot(rows);
  EXPECT_EQ(count(svg, "data-series=\"validation\""), 1u);
  EXPECT_NE(svg.find(">validation</text>"), std::string::npos);
  ASSERT_TRUE(std::regex_search(
      svg, m, std::regex("data-series=\"validation\"[^>]*points=\"([^\"]*)\"")));
  EXPECT_EQ(count(m[1].str(), ","), 2u);
}

TEST(PerplexityPlot, WhenEveryDigitIsATickOnly1235AreLabelled) {
  // 260 .. 1700: the ticks are 300, 400, ..., 1000; labels 300, 500, 1000.
  std::string svg = renderPerplexityPlot({{1, 1700, std::nullopt},
                                          {2, 900, std::nullopt},
                                          {3, 260, std::nullopt}});
  std::vector<std::string> labels;
  std::regex label("class=\"tick y\">.*?>([0-9.]+)</text></g>");
  for (std::sregex_iterator it(svg.begin(), svg.end(), label), end; it != end; ++it)
    labels.push_back((*it)[1].str());
  EXPECT_EQ(labels, (std::vector<std::string>{"300", "500", "1000"}));
  EXPECT_EQ(count(svg, "class=\"minor y\""), 5u); // 400, 600, 700, 800, 900
}

TEST(PerplexityPlot, ASingleEpochStillShowsAPoint) {
  std::string svg = renderPerplexityPlot({{1, 7.5, std::nullopt}});
  EXPECT_EQ(count(svg, "<circle"), 1u);
  EXPECT_GE(count(svg, "class=\"tick y\""), 2u);
}

} // namespace
