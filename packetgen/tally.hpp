// The receiver's accounting: every frame that carries the magic is classified once, and the
// summary says whether each expected window arrived exactly once with the expected tag.
//
// Definitions (each frame counts in exactly one of the first four lines):
//   corrupted   the frame carries the magic but is too short, names a window the data does not
//               have, or its samples differ from what the sender puts in that window. It is not
//               attributed to any window (its sequence number may be the damaged part), so that
//               window also counts as lost unless an intact copy arrives.
//   duplicated  an intact frame for a window that already arrived (each extra copy counts).
//   judged      the first intact frame of a window: ok when its tag is the expected one,
//               mismatched otherwise (including tag 0, "unprocessed").
//   reordered   judged frames that arrived after a frame with a higher window index.
//   lost        windows 0 .. expect-1 with no intact frame.
//   unprocessed / invalid   judged frames with tag 0 / tag 3 (invalid is ok when the reference
//               also says 3; unprocessed is always a mismatch).
// received = judged + duplicated + corrupted. The run passes when every window 0 .. expect-1
// arrived exactly once, intact, with the expected tag: lost = mismatched = duplicated =
// corrupted = 0. Reordering alone does not fail it.
//
// Networks: windows are data rows, and for regressions the result field is judged with the tag
// (mismatched when either differs). The split / no split / invalid counters are the ANOVA tags'
// names; network reports count the judged tags from judged() instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace xdpml::packetgen {

struct Arrival {
  uint64_t seq = 0;
  bool intact = false; // complete frame, known window, samples as sent
  uint64_t tag = 0;
  int64_t result = 0; // networks: the signed 32-bit result field
};

struct Mismatch {
  uint64_t window = 0;
  uint64_t expected = 0;
  uint64_t got = 0;
  int64_t expected_result = 0, got_result = 0; // when results are judged
};

// What the reference says about every window: its tag, and for network regressions its result
// (empty: results are not judged).
struct Expected {
  std::vector<uint8_t> tags;
  std::vector<int64_t> results;
  bool keep_judged = false; // remember what each judged frame carried (Tally::judged)
};

// What the judged frame of a window carried.
struct Judged {
  bool arrived = false;
  uint64_t tag = 0;
  int64_t result = 0;
};

struct Summary {
  uint64_t windows = 0;  // windows in the data
  uint64_t expected = 0; // windows 0 .. expected-1 must arrive
  uint64_t received = 0;
  uint64_t ok = 0;
  uint64_t mismatched = 0;
  uint64_t unprocessed = 0;
  uint64_t invalid = 0;
  uint64_t lost = 0;
  uint64_t duplicated = 0;
  uint64_t reordered = 0;
  uint64_t corrupted = 0;
  uint64_t got_split = 0, got_no_split = 0, got_other = 0; // tags of judged frames besides 0 and 3
  uint64_t expected_split = 0;                             // among the windows that arrived
  bool results_judged = false;            // networks: regressions' result fields were judged
  std::vector<Mismatch> first_mismatches; // lowest window indices first, at most kMaxListed
  std::vector<uint64_t> first_lost;       // idem

  static constexpr size_t kMaxListed = 10;
  bool passed() const { return lost == 0 && mismatched == 0 && duplicated == 0 && corrupted == 0; }
};

class Tally {
public:
  // expected_tags[w]: the reference's tag of window w (its size is the number of windows);
  // expect: windows 0 .. expect-1 must arrive (capped at the number of windows).
  Tally(std::vector<uint8_t> expected_tags, uint64_t expect);
  Tally(Expected expected, uint64_t expect);

  void add(const Arrival& a);
  // Every window 0 .. expect-1 has arrived intact.
  bool complete() const { return arrived_in_range_ == expect_; }
  uint64_t received() const { return received_; }
  Summary summary() const;
  // Per window (when Expected::keep_judged): the judged frame's tag and result.
  const std::vector<Judged>& judged() const { return judged_; }

private:
  std::vector<uint8_t> expected_tags_;
  std::vector<int64_t> expected_results_;
  bool judge_results_ = false;
  std::vector<Judged> judged_;
  std::vector<uint8_t> seen_; // per window: 0 not yet, 1 arrived
  uint64_t expect_ = 0;
  uint64_t arrived_in_range_ = 0;
  uint64_t received_ = 0;
  uint64_t highest_ = 0;
  bool any_ = false;
  Summary s_;
  std::vector<Mismatch> mismatches_;
};

} // namespace xdpml::packetgen
