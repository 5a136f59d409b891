#include "measure/plot.hpp"

#include "support/output_file.hpp"

#include "measure/stats.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <sstream>

namespace xdpml::measure {

namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

std::string num(double v, int digits = 1) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `want` ticks over `range`.
double tick_step(double range, int want) {
  if (!(range > 0)) return 1;
  const double raw = range / want;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * p) return m * p;
  return 10 * p;
}

} // namespace

std::string histogram_svg(const std::vector<HistogramSeries>& series, const HistogramOptions& o) {
  const double W = 800, H = 440, left = 70, right = 20, top = 60, bottom = 60;
  const double pw = W - left - right, ph = H - top - bottom;
  std::vector<double> all;
  for (const auto& s : series) all.insert(all.end(), s.values.begin(), s.values.end());
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
      << "\" viewBox=\"0 0 " << W << " " << H << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << W / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">"
      << escape(o.title) << "</text>\n"
      << "<text x=\"" << W / 2 << "\" y=\"40\" text-anchor=\"middle\" fill=\"#555\">"
      << escape(o.subtitle) << "</text>\n";
  if (all.empty()) {
    svg << "<text x=\"" << W / 2 << "\" y=\"" << H / 2
        << "\" text-anchor=\"middle\">no samples</text>\n</svg>\n";
    return svg.str();
  }
  int bins = std::max(1, o.bins);
  double lo = *std::min_element(all.begin(), all.end());
  double hi = quantile(all, o.upper_quantile);
  if (!(hi > lo)) hi = lo + 1;
  double width = (hi - lo) / bins;
  if (o.quantum > 0) {
    width = std::max(1.0, std::ceil(width / o.quantum)) * o.quantum;
    lo -= o.quantum / 2;
    bins = std::max(1, static_cast<int>(std::ceil((hi - lo) / width)));
  }
  // A little room left of the smallest value, so its bar does not sit on the axis.
  const int pad = std::max(1, bins / 40);
  lo -= pad * width;
  bins += pad;
  hi = lo + bins * width;
  std::vector<std::vector<size_t>> counts;
  size_t peak = 1;
  for (const auto& s : series) {
    std::vector<size_t> c(static_cast<size_t>(bins), 0);
    for (double v : s.values) {
      auto k = static_cast<long>(std::floor((v - lo) / width));
      k = std::clamp(k, 0L, static_cast<long>(bins - 1));
      ++c[static_cast<size_t>(k)];
    }
    peak = std::max(peak, *std::max_element(c.begin(), c.end()));
    counts.push_back(std::move(c));
  }
  auto X = [&](double v) { return left + (v - lo) / (hi - lo) * pw; };
  // 5 % headroom above the tallest bar.
  auto Y = [&](double c) { return top + ph - c / (1.05 * static_cast<double>(peak)) * ph; };

  // Bars.
  for (size_t i = 0; i < series.size(); ++i) {
    svg << "<g fill=\"" << escape(series[i].color) << "\" fill-opacity=\"0.5\">\n";
    for (int k = 0; k < bins; ++k) {
      const size_t c = counts[i][static_cast<size_t>(k)];
      if (!c) continue;
      const double x = X(lo + k * width);
      svg << "<rect x=\"" << num(x, 2) << "\" y=\"" << num(Y(static_cast<double>(c)), 2)
          << "\" width=\"" << num(pw / bins, 2) << "\" height=\""
          << num(top + ph - Y(static_cast<double>(c)), 2) << "\"/>\n";
    }
    svg << "</g>\n";
  }
  // Medians.
  for (const auto& s : series) {
    if (s.values.empty()) continue;
    const double m = median(s.values);
    if (m < lo || m > hi) continue;
    svg << "<line x1=\"" << num(X(m), 2) << "\" x2=\"" << num(X(m), 2) << "\" y1=\"" << top
        << "\" y2=\"" << top + ph << "\" stroke=\"" << escape(s.color)
        << "\" stroke-width=\"1.5\" stroke-dasharray=\"5,3\"/>\n";
  }
  // Axes and ticks.
  svg << "<g stroke=\"black\" fill=\"none\">\n<line x1=\"" << left << "\" y1=\"" << top + ph
      << "\" x2=\"" << left + pw << "\" y2=\"" << top + ph << "\"/>\n<line x1=\"" << left
      << "\" y1=\"" << top << "\" x2=\"" << left << "\" y2=\"" << top + ph << "\"/>\n</g>\n";
  const double xs = tick_step(hi - lo, 8);
  for (double t = std::ceil(lo / xs) * xs; t <= hi + 1e-9; t += xs) {
    svg << "<line x1=\"" << num(X(t), 2) << "\" x2=\"" << num(X(t), 2) << "\" y1=\"" << top + ph
        << "\" y2=\"" << top + ph + 5 << "\" stroke=\"black\"/>\n<text x=\"" << num(X(t), 2)
        << "\" y=\"" << top + ph + 18 << "\" text-anchor=\"middle\">" << num(t, xs < 1 ? 2 : 0)
        << "</text>\n";
  }
  const double ys = tick_step(static_cast<double>(peak), 5);
  for (double t = 0; t <= static_cast<double>(peak) + 1e-9; t += ys) {
    svg << "<line x1=\"" << left - 5 << "\" x2=\"" << left << "\" y1=\"" << num(Y(t), 2)
        << "\" y2=\"" << num(Y(t), 2) << "\" stroke=\"black\"/>\n<text x=\"" << left - 8
        << "\" y=\"" << num(Y(t) + 4, 2) << "\" text-anchor=\"end\">" << num(t, 0) << "</text>\n";
  }
  svg << "<text x=\"" << left + pw / 2 << "\" y=\"" << H - 18 << "\" text-anchor=\"middle\">"
      << escape(o.x_label) << " (last bin: everything from " << num(hi - width, 0)
      << " on)</text>\n<text transform=\"translate(18," << top + ph / 2
      << ") rotate(-90)\" text-anchor=\"middle\">frames per bin</text>\n";
  // Legend.
  double ly = top + 8;
  for (const auto& s : series) {
    const double lx = left + pw - 300;
    svg << "<rect x=\"" << lx << "\" y=\"" << ly << "\" width=\"14\" height=\"14\" fill=\""
        << escape(s.color) << "\" fill-opacity=\"0.5\"/>\n<text x=\"" << lx + 20 << "\" y=\""
        << ly + 12 << "\">" << escape(s.label) << " (n " << s.values.size() << ", median "
        << num(s.values.empty() ? 0 : median(s.values), 0) << ")</text>\n";
    ly += 20;
  }
  svg << "</svg>\n";
  return svg.str();
}

Status write_text_file(const std::string& path, const std::string& text) {
  return write_output_file(path, std::string_view(text));
}

} // namespace xdpml::measure
