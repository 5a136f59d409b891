#include "packetgen/tally.hpp"

#include <algorithm>

namespace xdpml::packetgen {

Tally::Tally(std::vector<uint8_t> expected_tags, uint64_t expect)
    : expected_tags_(std::move(expected_tags)), seen_(expected_tags_.size(), 0),
      expect_(std::min<uint64_t>(expect, expected_tags_.size())) {
  s_.windows = expected_tags_.size();
  s_.expected = expect_;
}

Tally::Tally(Expected expected, uint64_t expect) : Tally(std::move(expected.tags), expect) {
  judge_results_ = !expected.results.empty();
  expected_results_ = std::move(expected.results);
  if (judge_results_) expected_results_.resize(expected_tags_.size());
  if (expected.keep_judged) judged_.resize(expected_tags_.size());
}

void Tally::add(const Arrival& a) {
  ++received_;
  ++s_.received;
  if (!a.intact || a.seq >= seen_.size()) {
    ++s_.corrupted;
    return;
  }
  if (seen_[a.seq]) {
    ++s_.duplicated;
    return;
  }
  seen_[a.seq] = 1;
  if (!judged_.empty()) judged_[a.seq] = {true, a.tag, a.result};
  if (a.seq < expect_) ++arrived_in_range_;
  if (any_ && a.seq < highest_) ++s_.reordered;
  highest_ = any_ ? std::max(highest_, a.seq) : a.seq;
  any_ = true;
  const uint64_t want = expected_tags_[a.seq];
  s_.expected_split += want == 1;
  switch (a.tag) {
  case 0:
    ++s_.unprocessed;
    break;
  case 1:
    ++s_.got_split;
    break;
  case 2:
    ++s_.got_no_split;
    break;
  case 3:
    ++s_.invalid;
    break;
  default:
    ++s_.got_other;
    break;
  }
  const int64_t want_result = judge_results_ ? expected_results_[a.seq] : 0;
  if (a.tag == want && (!judge_results_ || a.result == want_result)) {
    ++s_.ok;
  } else {
    ++s_.mismatched;
    mismatches_.push_back({a.seq, want, a.tag, want_result, judge_results_ ? a.result : 0});
  }
}

Summary Tally::summary() const {
  Summary s = s_;
  s.results_judged = judge_results_;
  // The lowest window indices, whatever order they arrived in: stable across runs.
  auto m = mismatches_;
  const size_t n = std::min(m.size(), Summary::kMaxListed);
  std::partial_sort(m.begin(), m.begin() + static_cast<long>(n), m.end(),
                    [](const Mismatch& a, const Mismatch& b) { return a.window < b.window; });
  s.first_mismatches.assign(m.begin(), m.begin() + static_cast<long>(n));
  for (uint64_t w = 0; w < expect_; ++w) {
    if (seen_[w]) continue;
    ++s.lost;
    if (s.first_lost.size() < Summary::kMaxListed) s.first_lost.push_back(w);
  }
  return s;
}

} // namespace xdpml::packetgen
