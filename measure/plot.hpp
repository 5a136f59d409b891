// Output files of `xdpml measure`: a latency histogram as a self-contained SVG (no plotting
// library: a few rectangles and text elements, readable in any browser) and the raw samples as
// CSV for whoever wants to plot them differently.
#pragma once

#include "support/result.hpp"

#include <string>
#include <vector>

namespace xdpml::measure {

struct HistogramSeries {
  std::string label;
  std::string color; // CSS colour
  std::vector<double> values;
};

struct HistogramOptions {
  std::string title;
  std::string subtitle; // e.g. the machine
  std::string x_label = "round trip (ns)";
  int bins = 60;
  double upper_quantile = 0.995; // the x axis ends here: the far tail is counted, not drawn
  double quantum = 0; // values lie on a grid of this step (a TSC's): bins are whole steps wide,
                      // centred on grid points, so no bin collects more grid points than another
};

// Overlaid histograms (semi-transparent bars, same bins), a dashed line at each series' median,
// axes with ticks, a legend. The last bin also counts everything beyond the axis.
std::string histogram_svg(const std::vector<HistogramSeries>& series,
                          const HistogramOptions& options);

// Writes `text` to `path` atomically (temporary file + rename).
Status write_text_file(const std::string& path, const std::string& text);

} // namespace xdpml::measure
