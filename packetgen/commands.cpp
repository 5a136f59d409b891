// `xdpml send`, `xdpml recv`, `xdpml verify` and `xdpml testbed`.
#include "packetgen/commands.hpp"

#include "bpf/elf.hpp"
#include "contract/contract.hpp"
#include "packetgen/network.hpp"
#include "packetgen/series.hpp"
#include "packetgen/testbed.hpp"
#include "packetgen/traffic.hpp"
#include "support/cli_support.hpp"
#include "support/cli_validators.hpp"
#include "support/datafile.hpp"
#include "support/stop_signal.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>
#include <unistd.h>
#include <variant>

namespace xdpml::packetgen {

namespace {

struct Args {
  // what is sent
  std::string obj, format, epsilon = "0.1", data;
  uint32_t scale = 16384;
  int column = 0;
  // devices
  std::string dev, tx, rx;
  // sender
  double rate = kDefaultRate;
  uint64_t count = 0; // 0 = every window
  std::string sender = "auto";
  uint32_t batch = 64;
  double foreign = 0; // foreign frames per frame of ours (send, verify, recv)
  // receiver
  std::string reference = "exact";
  uint64_t expect = 0; // 0 = as many as are sent
  double timeout = 3;
  std::string pcap, pcap_tx;
  bool json = false;
};

// A failure together with the exit code it deserves.
struct Stop {
  Failure failure;
  int code;
};

std::string tag_name(uint64_t t) {
  switch (t) {
  case 0:
    return "unprocessed";
  case 1:
    return "split";
  case 2:
    return "no split";
  case 3:
    return "invalid";
  default:
    return "unknown";
  }
}

std::string format_name(const WireFormat& f) {
  return f.encoding == Encoding::U32 ? "osh-u32" : "osh-f64";
}

bool is_network(const WireFormat& f) {
  return f.model == ModelKind::Network;
}

// "network: 30 x i32le features, regression x65536" / "network: 6 x i32le features, argmax over
// 2 classes".
std::string network_description(const WireFormat& f) {
  std::ostringstream s;
  s << "network: " << f.samples << " x " << (f.encoding == Encoding::I32 ? "i32le" : "u32le")
    << " features, ";
  if (f.argmax)
    s << "argmax over " << f.classes << " classes";
  else
    s << "regression x" << f.output_scale;
  return s.str();
}

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

struct Prepared {
  WireFormat format;
  std::optional<Series> series;
  std::optional<ReferenceTags> tags;
  uint64_t count = 0;  // windows to send
  uint64_t expect = 0; // windows that must arrive
  std::vector<std::string> notes;
  // Networks: the contract's models, the feature table (one row per frame) and the reference's
  // answer for every row.
  std::optional<Network> network;
  std::optional<model::FeatureTable> table;
  std::optional<Expected> expected;
};

// Everything that does not touch the network: contract, data, windows, reference tags.
std::variant<Prepared, Stop> prepare(const Args& a, bool need_reference) {
  Prepared p;
  if (a.obj.empty() && a.format.empty())
    return Stop{fail("say what the frames look like: --obj OBJECT (its I/O contract) or --format "
                     "osh-u32|osh-f64 [--scale N] [--epsilon E]"),
                kExitUsage};
  if (!a.obj.empty()) {
    auto obj = bpf::read_elf_file(a.obj);
    if (!obj) return Stop{obj.failure(), kExitInputError};
    auto contract = contract::read_contract(*obj);
    if (!contract) return Stop{contract.failure(), kExitInputError};
    auto f = wire_format_from_contract(*contract, a.obj);
    if (!f) return Stop{f.failure(), kExitInputError};
    p.format = *f;
    if (is_network(p.format)) {
      auto net = network_from_contract(*contract, p.format, need_reference);
      if (!net) return Stop{net.failure(), kExitInputError};
      p.network = std::move(*net);
    }
  } else {
    auto f = wire_format_osh(a.format, a.scale, a.epsilon);
    if (!f) return Stop{f.failure(), kExitUsage};
    p.format = *f;
  }
  if (p.network) {
    // One frame per row of a feature table (the contract says how many features a row has).
    if (need_reference && a.reference != "exact")
      return Stop{fail("--reference " + a.reference +
                           " is one of the ANOVA segmenter's references; a network's frames are "
                           "checked against its bit-exact reference",
                       {a.obj},
                       "leave --reference out: the agreement with the float model (and the "
                       "labels) is reported as well"),
                  kExitUsage};
    if (a.column != 0)
      p.notes.push_back("--column is for series files; " + a.data +
                        " is read as a feature table (one row per frame), --column ignored");
    auto table = model::read_feature_csv(a.data, p.format.samples);
    if (!table) return Stop{table.failure(), kExitInputError};
    p.series = network_series(p.format, p.network->q, *table);
    p.table = std::move(*table);
  } else {
    auto values = read_data_file(a.data, a.column);
    if (!values) return Stop{values.failure(), kExitInputError};
    auto series = Series::make(p.format, std::move(*values), a.data);
    if (!series) return Stop{series.failure(), kExitInputError};
    p.series = std::move(*series);
  }
  const uint64_t windows = p.series->windows();
  const std::string unit = p.network ? " rows of " : " windows of ";
  p.count = a.count ? a.count : windows;
  if (p.count > windows) {
    p.notes.push_back("--count " + std::to_string(a.count) + " is more than the " +
                      std::to_string(windows) + unit + a.data + "; sending " +
                      std::to_string(windows));
    p.count = windows;
  }
  p.expect = a.expect ? a.expect : p.count;
  if (p.expect > windows) {
    p.notes.push_back("--expect " + std::to_string(a.expect) + " is more than the " +
                      std::to_string(windows) + unit + a.data + "; expecting " +
                      std::to_string(windows));
    p.expect = windows;
  }
  if (need_reference && p.network) {
    p.expected = network_expected(*p.series, p.network->q);
    if (!p.network->float_model)
      p.notes.push_back("the contract of " + a.obj +
                        " has no float model: agreement with it is not reported");
  } else if (need_reference) {
    const auto ref = parse_reference(a.reference);
    if (!ref)
      return Stop{fail("unknown reference '" + a.reference + "'", {}, "exact, osh-int or double"),
                  kExitUsage};
    auto tags = expected_tags(*p.series, *ref);
    if (!tags) return Stop{tags.failure(), kExitInputError};
    p.notes.insert(p.notes.end(), tags->notes.begin(), tags->notes.end());
    p.tags = std::move(*tags);
  }
  return p;
}

nlohmann::json format_json(const WireFormat& f) {
  if (is_network(f)) {
    nlohmann::json j{{"format", "network"},
                     {"origin", f.origin},
                     {"features", f.samples},
                     {"encoding", f.encoding == Encoding::I32 ? "i32le" : "u32le"},
                     {"output", f.argmax ? "argmax" : "regression"},
                     {"frame_bytes", f.frame_size()}};
    if (f.argmax)
      j["classes"] = f.classes;
    else
      j["output_scale"] = f.output_scale;
    return j;
  }
  return {{"format", format_name(f)},
          {"origin", f.origin},
          {"scale", f.scale},
          {"epsilon", f.epsilon},
          {"frame_bytes", f.frame_size()}};
}

nlohmann::json device_json(const DeviceCounters& d) {
  return {{"tx_packets", d.tx_packets}, {"tx_dropped", d.tx_dropped}, {"tx_errors", d.tx_errors},
          {"rx_packets", d.rx_packets}, {"rx_dropped", d.rx_dropped}, {"rx_errors", d.rx_errors}};
}

nlohmann::json send_json(const SendStats& s) {
  nlohmann::json kernel{{"submitted", s.counters.submitted},
                        {"resent_after_device_drop", s.counters.resent},
                        {"waits_on_full_queue", s.counters.retries},
                        {"syscalls", s.counters.syscalls}};
  if (s.counters.xdp_statistics) {
    kernel["xdp_statistics"] = {{"tx_invalid_descs", s.counters.tx_invalid_descs},
                                {"tx_ring_empty_descs", s.counters.tx_ring_empty_descs}};
    kernel["completions"] = s.counters.completed;
  }
  if (s.device) kernel["device"] = device_json(*s.device);
  return {{"sent", s.sent},
          {"foreign", s.foreign},
          {"frames", s.frames()},
          {"seconds", s.seconds},
          {"rate_pps", s.seconds > 0 ? static_cast<double>(s.frames()) / s.seconds : 0.0},
          {"rate_asked", s.rate},
          {"achieved_pps", s.achieved_pps},
          {"max_batch", s.burst},
          {"max_behind_us", s.max_behind_us},
          {"retries", s.retries},
          {"path", s.path},
          {"mode", s.mode},
          {"kernel", kernel}};
}

// The lines under "sent ..." (send) or "  sent ..." (verify): path, pacing and what the kernel
// counted.
void print_send_details(std::ostream& out, const SendStats& s, const std::string& dev) {
  out << "  path      " << s.path << " (" << s.mode << "), up to " << s.burst
      << (s.burst == 1 ? " frame" : " frames") << " per batch; ";
  if (s.rate > 0)
    out << "rate asked " << fixed(s.rate, 0) << " pkt/s, achieved " << fixed(s.achieved_pps, 0)
        << " pkt/s (at worst " << fixed(s.max_behind_us, 0) << " us behind schedule)";
  else
    out << "unpaced, " << fixed(s.achieved_pps, 0) << " pkt/s";
  out << '\n';
  if (s.foreign)
    out << "  mix       " << s.sent << " frames of ours, " << s.foreign << " foreign\n";
  out << "  kernel    ";
  if (s.device)
    out << dev << " tx_packets +" << s.device->tx_packets << ", tx_dropped +"
        << s.device->tx_dropped << ", tx_errors +" << s.device->tx_errors << "; ";
  out << s.counters.resent << " dropped by the device and resent, " << s.counters.retries
      << " waits on a full queue";
  if (s.counters.xdp_statistics)
    out << "; XDP_STATISTICS tx_invalid_descs " << s.counters.tx_invalid_descs;
  out << '\n';
}

nlohmann::json foreign_json(const ForeignSummary& f) {
  nlohmann::json kinds = nlohmann::json::object();
  for (size_t k = 0; k < kForeignKinds; ++k) kinds[foreign_kind_name(k)] = f.per_kind_received[k];
  nlohmann::json j{{"expected", f.expected},     {"received", f.received},     {"intact", f.intact},
                   {"modified", f.modified},     {"duplicated", f.duplicated}, {"lost", f.lost},
                   {"unexpected", f.unexpected}, {"received_by_kind", kinds}};
  if (f.modified) j["first_modified"] = f.first_modified;
  return j;
}

void print_foreign(std::ostream& out, const std::optional<ForeignSummary>& f) {
  if (!f) return;
  out << "  foreign   " << f->received << " received: " << f->intact << " untouched, "
      << f->modified << " modified, " << f->lost << " lost, " << f->duplicated << " duplicated (of "
      << f->expected << " sent)";
  if (f->modified) out << "; first modified: foreign frame " << f->first_modified;
  out << '\n';
}

nlohmann::json mismatch_json(const Series& series, const Mismatch& m) {
  nlohmann::json values = nlohmann::json::array(), samples = nlohmann::json::array();
  for (size_t k = 0; k < series.per_packet(); ++k) {
    values.push_back(series.values()[m.window + k].text);
    samples.push_back(series.wire_value(m.window + k));
  }
  return {{"window", m.window},     {"line", series.values()[m.window].line},
          {"values", values},       {"samples", samples},
          {"expected", m.expected}, {"expected_name", tag_name(m.expected)},
          {"got", m.got},           {"got_name", tag_name(m.got)}};
}

nlohmann::json recv_json(const Prepared& p, const Args& a, const RecvResult& r) {
  const Summary& s = r.summary;
  nlohmann::json mismatches = nlohmann::json::array();
  for (const auto& m : s.first_mismatches) mismatches.push_back(mismatch_json(*p.series, m));
  return {{"ok", s.passed()},
          {"reference", a.reference},
          {"data", a.data},
          {"windows", s.windows},
          {"expected", s.expected},
          {"counts",
           {{"received", s.received},
            {"ok", s.ok},
            {"mismatched", s.mismatched},
            {"unprocessed", s.unprocessed},
            {"invalid", s.invalid},
            {"lost", s.lost},
            {"duplicated", s.duplicated},
            {"reordered", s.reordered},
            {"corrupted", s.corrupted}}},
          {"tags",
           {{"split", s.got_split},
            {"no_split", s.got_no_split},
            {"invalid", s.invalid},
            {"unprocessed", s.unprocessed},
            {"other", s.got_other},
            {"expected_split", s.expected_split}}},
          {"mismatches", mismatches},
          {"first_lost", s.first_lost},
          {"seconds", r.seconds},
          {"timed_out", r.timed_out},
          {"socket_drops", r.socket.drops}};
}

void print_values(std::ostream& out, const Series& series, uint64_t w) {
  out << "      values ";
  for (size_t k = 0; k < series.per_packet(); ++k)
    out << (k ? " " : "") << series.values()[w + k].text;
  out << "\n      on wire";
  for (size_t k = 0; k < series.per_packet(); ++k) {
    const auto v = series.wire_value(w + k);
    out << ' ' << (v.is_string() ? v.get<std::string>() : v.dump());
  }
  out << '\n';
}

// The end of every receive report: the first lost frames, then PASS or what failed.
// `unit` names what a frame carries ("windows", "rows"), `what` what each had to bring back.
void print_verdict(std::ostream& out, const Summary& s, const char* unit, const std::string& what,
                   const std::optional<ForeignSummary>& foreign) {
  if (!s.first_lost.empty()) {
    out << "  first lost " << unit << ":";
    for (auto w : s.first_lost) out << ' ' << w;
    out << '\n';
  }
  const bool foreign_ok = !foreign || foreign->passed();
  if (s.passed() && foreign_ok) {
    out << "PASS: all " << s.expected << " " << unit << " arrived once with " << what
        << (s.reordered ? " (some out of order)" : "");
    if (foreign) out << "; all " << foreign->expected << " foreign frames passed untouched";
    out << '\n';
    return;
  }
  out << "FAIL:";
  if (s.mismatched) out << ' ' << s.mismatched << " mismatched";
  if (s.lost) out << ' ' << s.lost << " lost";
  if (s.duplicated) out << ' ' << s.duplicated << " duplicated";
  if (s.corrupted) out << ' ' << s.corrupted << " corrupted";
  if (!foreign_ok) {
    out << " foreign:";
    if (foreign->modified) out << ' ' << foreign->modified << " modified";
    if (foreign->lost) out << ' ' << foreign->lost << " lost";
    if (foreign->duplicated) out << ' ' << foreign->duplicated << " duplicated";
  }
  out << '\n';
  if (s.received == 0)
    out << "  hint: nothing carrying the magic arrived; check the device names, that the tx end "
           "is the peer of the rx end, and that the program passes the frames (XDP_PASS)\n";
}

void print_recv(std::ostream& out, const Prepared& p, const RecvResult& r) {
  const Summary& s = r.summary;
  out << "  received  " << s.received << " frames";
  if (r.seconds > 0)
    out << " in " << fixed(r.seconds, 2) << " s (" << fixed(s.received / r.seconds, 0) << " pkt/s)";
  out << ": " << s.ok << " ok, " << s.mismatched << " mismatched, " << s.lost << " lost, "
      << s.duplicated << " duplicated, " << s.reordered << " reordered, " << s.corrupted
      << " corrupted\n";
  out << "  tags      " << s.got_split << " split, " << s.got_no_split << " no split, " << s.invalid
      << " invalid, " << s.unprocessed << " unprocessed";
  if (s.got_other) out << ", " << s.got_other << " unknown";
  out << " (the reference expects " << s.expected_split << " split)\n";
  if (r.socket.drops)
    out << "  note      the receive socket dropped " << r.socket.drops
        << " frames (buffer full): lower --rate\n";
  if (!s.first_mismatches.empty()) {
    out << "  first mismatches (lowest windows first):\n";
    for (const auto& m : s.first_mismatches) {
      const auto& v = p.series->values();
      out << "    window " << m.window << " (lines " << v[m.window].line << "-"
          << v[m.window + p.series->per_packet() - 1].line << "): expected " << m.expected << " ("
          << tag_name(m.expected) << "), got " << m.got << " (" << tag_name(m.got) << ")\n";
      print_values(out, *p.series, m.window);
    }
  }
  print_foreign(out, r.foreign);
  print_verdict(out, s, "windows", "the expected tag", r.foreign);
}

// ---- networks: one row per frame, tag (and result) against the bit-exact reference, fidelity

// Judged tags by value, ascending.
std::map<uint64_t, uint64_t> tag_histogram(const std::vector<Judged>& judged) {
  std::map<uint64_t, uint64_t> h;
  for (const auto& j : judged)
    if (j.arrived) ++h[j.tag];
  return h;
}

// The reference's tags of the rows that arrived.
std::map<uint64_t, uint64_t> reference_histogram(const Prepared& p,
                                                 const std::vector<Judged>& judged) {
  std::map<uint64_t, uint64_t> h;
  for (size_t w = 0; w < judged.size() && w < p.expected->tags.size(); ++w)
    if (judged[w].arrived) ++h[p.expected->tags[w]];
  return h;
}

nlohmann::json histogram_json(const std::map<uint64_t, uint64_t>& h) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [tag, n] : h) j[std::to_string(tag)] = n;
  return j;
}

std::string number_text(double v) {
  std::ostringstream s;
  s << std::setprecision(7) << v;
  return s.str();
}

// The real output a regression's result stands for.
std::string result_text(const WireFormat& f, int64_t result) {
  return std::to_string(result) + " (" + number_text(static_cast<double>(result) / f.output_scale) +
         ")";
}

nlohmann::json network_mismatch_json(const Prepared& p, const Mismatch& m) {
  const auto& t = *p.table;
  nlohmann::json j{{"row", m.window},
                   {"line", t.lines[m.window]},
                   {"features", t.rows[m.window]},
                   {"wire", p.series->row_wire(m.window)},
                   {"expected", m.expected},
                   {"expected_name", network_tag_name(p.format, m.expected)},
                   {"got", m.got},
                   {"got_name", network_tag_name(p.format, m.got)}};
  if (!p.format.argmax) {
    j["expected_result"] = m.expected_result;
    j["got_result"] = m.got_result;
  }
  return j;
}

nlohmann::json network_recv_json(const Prepared& p, const Args& a, const RecvResult& r) {
  const Summary& s = r.summary;
  nlohmann::json mismatches = nlohmann::json::array();
  for (const auto& m : s.first_mismatches) mismatches.push_back(network_mismatch_json(p, m));
  const auto fidelity = network_fidelity(*p.network, *p.table, r.judged);
  return {{"ok", s.passed()},
          {"model", "network"},
          {"output", p.format.argmax ? "argmax" : "regression"},
          {"reference", "exact"},
          {"data", a.data},
          {"rows", s.windows},
          {"expected", s.expected},
          {"labels", p.table->has_labels()},
          {"counts",
           {{"received", s.received},
            {"ok", s.ok},
            {"mismatched", s.mismatched},
            {"unprocessed", s.unprocessed},
            {"lost", s.lost},
            {"duplicated", s.duplicated},
            {"reordered", s.reordered},
            {"corrupted", s.corrupted}}},
          {"results_judged", s.results_judged},
          {"tags", histogram_json(tag_histogram(r.judged))},
          {"reference_tags", histogram_json(reference_histogram(p, r.judged))},
          {"fidelity", fidelity.to_json()},
          {"mismatches", mismatches},
          {"first_lost", s.first_lost},
          {"seconds", r.seconds},
          {"timed_out", r.timed_out},
          {"socket_drops", r.socket.drops}};
}

std::string percent_text(size_t a, size_t b) {
  return b ? fixed(100.0 * static_cast<double>(a) / static_cast<double>(b), 2) + " % (" +
                 std::to_string(a) + "/" + std::to_string(b) + ")"
           : "-";
}

void print_network_recv(std::ostream& out, const Prepared& p, const RecvResult& r) {
  const Summary& s = r.summary;
  const WireFormat& f = p.format;
  out << "  received  " << s.received << " frames";
  if (r.seconds > 0)
    out << " in " << fixed(r.seconds, 2) << " s (" << fixed(s.received / r.seconds, 0) << " pkt/s)";
  out << ": " << s.ok << " ok, " << s.mismatched << " mismatched, " << s.lost << " lost, "
      << s.duplicated << " duplicated, " << s.reordered << " reordered, " << s.corrupted
      << " corrupted\n";
  auto histogram_text = [&](const std::map<uint64_t, uint64_t>& h) {
    std::string t;
    for (const auto& [tag, n] : h)
      t += (t.empty() ? "" : ", ") + network_tag_name(f, tag) + " " + std::to_string(n);
    return t.empty() ? std::string("none") : t;
  };
  out << "  tags      " << histogram_text(tag_histogram(r.judged))
      << " (the reference: " << histogram_text(reference_histogram(p, r.judged)) << ")";
  if (s.results_judged) out << "; results judged with the tags";
  out << '\n';
  const auto fid = network_fidelity(*p.network, *p.table, r.judged);
  if (fid.argmax) {
    if (fid.float_model)
      out << "  fidelity  argmax agreement with the float model "
          << percent_text(fid.agree, fid.rows) << '\n';
    if (fid.labelled)
      out << "  labels    accuracy: program " << percent_text(fid.quantized_correct, fid.labelled)
          << (fid.float_model ? ", float model " + percent_text(fid.float_correct, fid.labelled)
                              : std::string())
          << '\n';
  } else {
    if (fid.float_model)
      out << "  fidelity  |result/" << number_text(f.output_scale) << " - float model| over "
          << fid.rows << " rows: mean " << number_text(fid.mean_abs) << ", max "
          << number_text(fid.max_abs) << '\n';
    if (fid.labelled)
      out << "  labels    mean |output - label|: program "
          << number_text(fid.quantized_label_mean_abs)
          << (fid.float_model ? ", float model " + number_text(fid.float_label_mean_abs)
                              : std::string())
          << '\n';
  }
  if (fid.unanswered)
    out << "  note      " << fid.unanswered
        << " frames carried no answer (tag 0 or unknown) and are not in the figures above\n";
  if (r.socket.drops)
    out << "  note      the receive socket dropped " << r.socket.drops
        << " frames (buffer full): lower --rate\n";
  if (!s.first_mismatches.empty()) {
    out << "  first mismatches (lowest rows first):\n";
    for (const auto& m : s.first_mismatches) {
      out << "    row " << m.window << " (line " << p.table->lines[m.window] << "): expected tag "
          << m.expected << " (" << network_tag_name(f, m.expected) << ")";
      if (!f.argmax) out << " result " << result_text(f, m.expected_result);
      out << ", got tag " << m.got << " (" << network_tag_name(f, m.got) << ")";
      if (!f.argmax) out << " result " << result_text(f, m.got_result);
      out << "\n      features";
      for (double v : p.table->rows[m.window]) out << ' ' << number_text(v);
      out << "\n      on wire ";
      for (int64_t v : p.series->row_wire(m.window)) out << ' ' << v;
      out << '\n';
    }
  }
  print_foreign(out, r.foreign);
  print_verdict(out, s, "rows",
                s.results_judged ? "the reference's tag and result" : "the reference's tag",
                r.foreign);
}

void print_notes(const std::vector<std::string>& notes) {
  for (const auto& n : notes) std::cerr << "note: " << n << '\n';
}

bool progress_wanted() {
  return isatty(STDERR_FILENO) != 0;
}

Result<std::optional<PcapWriter>> open_pcap(const std::string& path) {
  if (path.empty()) return std::optional<PcapWriter>{};
  auto w = PcapWriter::open(path);
  if (!w) return w.failure();
  return std::optional<PcapWriter>(std::move(*w));
}

// A run passes when every window of ours arrived once with its tag and, with foreign traffic,
// every foreign frame arrived untouched.
bool passed(const RecvResult& r) {
  return r.summary.passed() && (!r.foreign || r.foreign->passed());
}

Result<OpenedSender> open_frame_sender(const Args& a, const std::string& dev) {
  const auto kind = parse_sender_kind(a.sender);
  if (!kind) return fail("unknown sender '" + a.sender + "'", {}, "auto, af_xdp or af_packet");
  return open_sender(dev, *kind, a.batch);
}

int run_send(const Args& a) {
  stop_on_sigint_and_sigterm();
  auto prep = prepare(a, false);
  if (auto* s = std::get_if<Stop>(&prep)) return report_failure(s->failure, a.json, s->code);
  auto& p = std::get<Prepared>(prep);
  auto opened = open_frame_sender(a, a.dev);
  if (!opened) return report_failure(opened.failure(), a.json, kExitSystemError);
  p.notes.insert(p.notes.end(), opened->notes.begin(), opened->notes.end());
  if (!a.json) print_notes(p.notes);
  FrameSender& sender = *opened->sender;
  auto pcap = open_pcap(a.pcap);
  if (!pcap) return report_failure(pcap.failure(), a.json);
  Endpoints ep;
  ep.src_mac = sender.mac();
  SendOptions so;
  so.rate = a.rate;
  so.count = p.count;
  so.batch = a.batch;
  so.foreign = a.foreign;
  so.progress = progress_wanted();
  so.pcap = *pcap ? &**pcap : nullptr;
  so.stop = &stop_requested();
  auto st = send_windows(sender, *p.series, ep, so);
  if (!st) return report_failure(st.failure(), a.json, kExitSystemError);
  if (*pcap)
    if (auto c = (*pcap)->close(); !c) return report_failure(c.failure(), a.json);
  if (a.json) {
    auto j = send_json(*st);
    j["ok"] = true;
    j["device"] = a.dev;
    j[p.network ? "rows" : "windows"] = p.series->windows();
    j["data"] = a.data;
    j["wire"] = format_json(p.format);
    j["notes"] = p.notes;
    if (!a.pcap.empty()) j["pcap"] = a.pcap;
    std::cout << json_text(j) << '\n';
  } else {
    std::cout << "sent " << st->sent << " frames (" << (p.network ? "rows" : "windows") << " 0.."
              << (st->sent ? st->sent - 1 : 0) << " of " << a.data << ", "
              << (p.network ? network_description(p.format)
                            : format_name(p.format) + " x" + std::to_string(p.format.scale))
              << ")";
    if (st->foreign) std::cout << " and " << st->foreign << " foreign frames";
    std::cout << " on " << a.dev << " in " << fixed(st->seconds, 2) << " s ("
              << fixed(st->seconds > 0 ? st->frames() / st->seconds : 0, 0) << " pkt/s)";
    if (st->retries) std::cout << ", " << st->retries << " retries on a full queue";
    std::cout << '\n';
    print_send_details(std::cout, *st, a.dev);
  }
  return st->sent == p.count ? kExitOk : kExitSystemError; // interrupted: not everything left
}

int run_recv(const Args& a) {
  stop_on_sigint_and_sigterm();
  auto prep = prepare(a, true);
  if (auto* s = std::get_if<Stop>(&prep)) return report_failure(s->failure, a.json, s->code);
  auto& p = std::get<Prepared>(prep);
  if (!a.json) print_notes(p.notes);
  auto sock = RawSocket::open_rx(a.dev, p.format, a.foreign > 0);
  if (!sock) return report_failure(sock.failure(), a.json, kExitSystemError);
  auto pcap = open_pcap(a.pcap);
  if (!pcap) return report_failure(pcap.failure(), a.json);
  RecvOptions ro;
  ro.expect = p.expect;
  ro.timeout = a.timeout;
  ro.pcap = *pcap ? &**pcap : nullptr;
  ro.stop = &stop_requested();
  if (a.foreign > 0) ro.foreign = foreign_count(p.expect, a.foreign);
  const auto device_before = read_device_counters(a.dev);
  // Also with --json (stderr stays free of JSON): scripts wait for this line before sending.
  if (p.network)
    std::cerr << "recv: waiting on " << a.dev << " for " << p.expect << " rows of " << a.data
              << " (" << network_description(p.format) << "), reference exact\n";
  else
    std::cerr << "recv: waiting on " << a.dev << " for " << p.expect << " windows of " << a.data
              << " (" << format_name(p.format) << " x" << p.format.scale << ", epsilon "
              << p.format.epsilon << "), reference " << a.reference << '\n';
  auto r = p.network ? receive_windows(*sock, *p.series, *p.expected, ro)
                     : receive_windows(*sock, *p.series, p.tags->tags, ro);
  if (!r) return report_failure(r.failure(), a.json, kExitSystemError);
  if (*pcap)
    if (auto c = (*pcap)->close(); !c) return report_failure(c.failure(), a.json);
  const auto device_after = read_device_counters(a.dev);
  if (a.json) {
    auto j = p.network ? network_recv_json(p, a, *r) : recv_json(p, a, *r);
    j["ok"] = passed(*r);
    j["device"] = a.dev;
    j["wire"] = format_json(p.format);
    if (r->foreign) j["foreign"] = foreign_json(*r->foreign);
    if (device_before && device_after)
      j["device_counters"] = device_json(*device_after - *device_before);
    j["notes"] = p.notes;
    std::cout << json_text(j) << '\n';
  } else {
    if (device_before && device_after) {
      const auto d = *device_after - *device_before;
      std::cout << "  kernel    " << a.dev << " rx_packets +" << d.rx_packets << ", rx_dropped +"
                << d.rx_dropped << ", rx_errors +" << d.rx_errors << "; receive socket drops "
                << r->socket.drops << '\n';
    }
    if (p.network)
      print_network_recv(std::cout, p, *r);
    else
      print_recv(std::cout, p, *r);
  }
  return passed(*r) ? kExitOk : kExitMismatch;
}

int run_verify(const Args& a) {
  stop_on_sigint_and_sigterm();
  auto prep = prepare(a, true);
  if (auto* s = std::get_if<Stop>(&prep)) return report_failure(s->failure, a.json, s->code);
  auto& p = std::get<Prepared>(prep);
  if (!a.json) print_notes(p.notes);
  // The receive socket exists (and queues) before the first frame is sent.
  auto rx = RawSocket::open_rx(a.rx, p.format, a.foreign > 0);
  if (!rx) return report_failure(rx.failure(), a.json, kExitSystemError);
  auto opened = open_frame_sender(a, a.tx);
  if (!opened) return report_failure(opened.failure(), a.json, kExitSystemError);
  if (!a.json) print_notes(opened->notes);
  p.notes.insert(p.notes.end(), opened->notes.begin(), opened->notes.end());
  FrameSender& tx = *opened->sender;
  const auto rx_before = read_device_counters(a.rx);
  auto pcap_rx = open_pcap(a.pcap);
  if (!pcap_rx) return report_failure(pcap_rx.failure(), a.json);
  auto pcap_tx = open_pcap(a.pcap_tx);
  if (!pcap_tx) return report_failure(pcap_tx.failure(), a.json);

  std::atomic<bool> sender_busy{true};
  std::atomic<uint64_t> received{0};
  RecvOptions ro;
  ro.expect = p.expect;
  ro.timeout = a.timeout;
  ro.pcap = *pcap_rx ? &**pcap_rx : nullptr;
  ro.stop = &stop_requested();
  ro.sender_busy = &sender_busy;
  ro.received = &received;
  if (a.foreign > 0) ro.foreign = foreign_count(p.count, a.foreign);
  std::optional<Result<RecvResult>> recv_result;
  std::thread receiver([&] {
    recv_result.emplace(p.network ? receive_windows(*rx, *p.series, *p.expected, ro)
                                  : receive_windows(*rx, *p.series, p.tags->tags, ro));
  });

  Endpoints ep;
  ep.src_mac = tx.mac();
  ep.dst_mac = rx->mac();
  SendOptions so;
  so.rate = a.rate;
  so.count = p.count;
  so.batch = a.batch;
  so.foreign = a.foreign;
  so.progress = progress_wanted();
  so.pcap = *pcap_tx ? &**pcap_tx : nullptr;
  so.stop = &stop_requested();
  so.received = &received;
  auto sent = send_windows(tx, *p.series, ep, so);
  if (!sent) stop_requested().store(true); // nothing more will come: do not wait for the timeout
  sender_busy.store(false);
  receiver.join();
  if (!sent) return report_failure(sent.failure(), a.json, kExitSystemError);
  if (!*recv_result) return report_failure(recv_result->failure(), a.json, kExitSystemError);
  const RecvResult& r = **recv_result;
  const auto rx_after = read_device_counters(a.rx);
  for (auto* w : {&*pcap_rx, &*pcap_tx})
    if (*w)
      if (auto c = (*w)->close(); !c) return report_failure(c.failure(), a.json);
  if (a.json) {
    auto j = p.network ? network_recv_json(p, a, r) : recv_json(p, a, r);
    j["ok"] = passed(r);
    j["tx"] = a.tx;
    j["rx"] = a.rx;
    j["wire"] = format_json(p.format);
    j["send"] = send_json(*sent);
    if (r.foreign) j["foreign"] = foreign_json(*r.foreign);
    if (rx_before && rx_after) j["rx_device_counters"] = device_json(*rx_after - *rx_before);
    j["notes"] = p.notes;
    std::cout << json_text(j) << '\n';
  } else {
    if (p.network)
      std::cout << "verify: " << p.count << " rows of " << a.data << " ("
                << network_description(p.format) << ") " << a.tx << " -> " << a.rx
                << ", reference exact (bit-exact quantized network)\n";
    else
      std::cout << "verify: " << p.count << " windows of " << a.data << " ("
                << format_name(p.format) << " x" << p.format.scale << ", epsilon "
                << p.format.epsilon << ") " << a.tx << " -> " << a.rx << ", reference "
                << a.reference << '\n';
    std::cout << "  sent      " << sent->frames() << " frames in " << fixed(sent->seconds, 2)
              << " s (" << fixed(sent->seconds > 0 ? sent->frames() / sent->seconds : 0, 0)
              << " pkt/s)";
    if (sent->retries) std::cout << ", " << sent->retries << " retries on a full queue";
    std::cout << '\n';
    print_send_details(std::cout, *sent, a.tx);
    if (rx_before && rx_after) {
      const auto d = *rx_after - *rx_before;
      std::cout << "  kernel    " << a.rx << " rx_packets +" << d.rx_packets << ", rx_dropped +"
                << d.rx_dropped << ", rx_errors +" << d.rx_errors << "; receive socket drops "
                << r.socket.drops << '\n';
    }
    if (p.network)
      print_network_recv(std::cout, p, r);
    else
      print_recv(std::cout, p, r);
  }
  return passed(r) ? kExitOk : kExitMismatch;
}

int run_testbed(const std::string& action, const std::string& name, bool json) {
  if (auto st = check_testbed_name(name); !st)
    return report_failure(st.failure(), json, kExitUsage);
  auto r = action == "up" ? testbed_up(name) : testbed_down(name);
  if (!r) return report_failure(r.failure(), json, kExitSystemError);
  if (json) {
    nlohmann::json j{{"ok", true}, {"name", name}, {"action", action}, {"changed", r->changed}};
    if (action == "up") {
      j["tx"] = kTestbedTx;
      j["rx"] = kTestbedRx;
      j["exec"] = {"ip", "netns", "exec", name};
    }
    std::cout << json_text(j) << '\n';
    return kExitOk;
  }
  if (action == "down") {
    std::cout << "testbed " << name << (r->changed ? " removed" : " was not there") << '\n';
    return kExitOk;
  }
  std::cout << "testbed " << name << (r->changed ? " is up" : " was already up")
            << ": network namespace " << name << ", veth " << kTestbedTx << " <-> " << kTestbedRx
            << " (both up, no addresses)\n"
            << "  attach: ip netns exec " << name << " xdpml load --dev " << kTestbedRx
            << " --mode native PROG.o\n"
            << "  verify: ip netns exec " << name << " xdpml verify --tx " << kTestbedTx << " --rx "
            << kTestbedRx << " --obj PROG.o --data FILE\n"
            << "  remove: xdpml testbed down --name " << name << '\n';
  return kExitOk;
}

// Options shared by send, recv and verify.
void add_wire_options(CLI::App* c, Args& a) {
  auto* obj = c->add_option("--obj", a.obj, "object compiled by xdpml: its I/O contract");
  auto* fmt = c->add_option("--format", a.format, "the 2019 report's formats, without an object")
                  ->check(CLI::IsMember({"osh-u32", "osh-f64"}));
  auto* scale = c->add_option("--scale", a.scale, "integerization factor (with --format)")
                    ->check(CLI::Range(1u, 0xffffffffu))
                    ->capture_default_str();
  auto* eps = c->add_option("--epsilon", a.epsilon, "Chebyshev epsilon (with --format)")
                  ->capture_default_str();
  obj->excludes(fmt)->excludes(scale)->excludes(eps);
  c->add_option("--data", a.data,
                "data file: one value per line, or CSV with --column; for networks a feature "
                "table (CSV, one row per frame, optional label column)")
      ->required();
  c->add_option("--column", a.column, "CSV column (0-based)")
      ->check(non_negative_number())
      ->capture_default_str();
  c->add_flag("--json", a.json, "print the summary (or errors) as JSON");
}

void add_sender_options(CLI::App* c, Args& a) {
  c->add_option("--rate", a.rate,
                "frames per second, foreign frames included (0: as fast as possible)")
      ->check(non_negative_number())
      ->capture_default_str();
  c->add_option("--count", a.count, "send windows 0..N-1 only (default: all)")
      ->check(positive_number());
  c->add_option("--sender", a.sender,
                "how frames leave: AF_XDP where the device takes it, else AF_PACKET (auto), or "
                "only one of them")
      ->check(CLI::IsMember({"auto", "af_xdp", "af_packet"}))
      ->capture_default_str();
  c->add_option("--batch", a.batch, "most frames handed to the kernel at once")
      ->check(CLI::Range(1u, 1024u))
      ->capture_default_str();
}

void add_foreign_option(CLI::App* c, Args& a, bool sender) {
  c->add_option("--foreign", a.foreign,
                sender ? "also send foreign frames, R per frame of ours (e.g. 0.25), which the "
                         "program must pass untouched"
                       : "count and check the foreign frames a sender mixed in at R per frame "
                         "of ours")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
}

void add_receiver_options(CLI::App* c, Args& a) {
  c->add_option("--reference", a.reference, "what the tags are checked against")
      ->check(CLI::IsMember({"exact", "osh-int", "double"}))
      ->capture_default_str();
  c->add_option("--expect", a.expect, "windows 0..N-1 must arrive (default: all that are sent)")
      ->check(positive_number());
  c->add_option("--timeout", a.timeout, "seconds without traffic before giving up")
      ->check(positive_number())
      ->capture_default_str();
}

} // namespace

void register_commands(CLI::App& app, int* exit_code) {
  auto send_args = std::make_shared<Args>();
  auto* send = app.add_subcommand("send", "Send the windows of a data file as frames");
  send->add_option("--dev", send_args->dev, "device to send on")->required();
  add_wire_options(send, *send_args);
  add_sender_options(send, *send_args);
  add_foreign_option(send, *send_args, true);
  send->add_option("--pcap", send_args->pcap, "also write the frames sent to a pcap file");
  send->callback([send_args, exit_code] { *exit_code = run_send(*send_args); });

  auto recv_args = std::make_shared<Args>();
  auto* recv = app.add_subcommand(
      "recv", "Receive frames after XDP and check every tag against a reference");
  recv->add_option("--dev", recv_args->dev, "device to receive on")->required();
  add_wire_options(recv, *recv_args);
  add_receiver_options(recv, *recv_args);
  add_foreign_option(recv, *recv_args, false);
  recv->add_option("--pcap", recv_args->pcap, "also write the frames received to a pcap file");
  recv->callback([recv_args, exit_code] { *exit_code = run_recv(*recv_args); });

  auto verify_args = std::make_shared<Args>();
  auto* verify = app.add_subcommand(
      "verify", "Send through TX and check on RX in one process (receiver started first)");
  verify->add_option("--tx", verify_args->tx, "device to send on")->required();
  verify->add_option("--rx", verify_args->rx, "device to receive on (the program's device)")
      ->required();
  add_wire_options(verify, *verify_args);
  add_sender_options(verify, *verify_args);
  add_foreign_option(verify, *verify_args, true);
  add_receiver_options(verify, *verify_args);
  verify->add_option("--pcap", verify_args->pcap, "write the frames received to a pcap file");
  verify->add_option("--pcap-tx", verify_args->pcap_tx, "write the frames sent to a pcap file");
  verify->callback([verify_args, exit_code] { *exit_code = run_verify(*verify_args); });

  struct TestbedArgs {
    std::string action, name = kTestbedDefaultName;
    bool json = false;
  };
  auto tb = std::make_shared<TestbedArgs>();
  auto* testbed = app.add_subcommand(
      "testbed", "Create or remove a network namespace with a veth pair (names xdpml-*)");
  testbed->add_option("action", tb->action, "up or down")
      ->check(CLI::IsMember({"up", "down"}))
      ->required();
  testbed->add_option("--name", tb->name, "namespace name (must start with xdpml-)")
      ->capture_default_str();
  testbed->add_flag("--json", tb->json, "print the result as JSON");
  testbed->callback([tb, exit_code] { *exit_code = run_testbed(tb->action, tb->name, tb->json); });
}

} // namespace xdpml::packetgen
