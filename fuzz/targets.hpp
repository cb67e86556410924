// Fuzz targets: one function per input surface, each taking arbitrary bytes.
//
// The same functions run under libFuzzer (fuzz/entry.cpp, `make fuzz`, clang) and in the unit
// tests, which replay every file under tests/fuzz-regressions/<target>/ (gcc, no fuzzer). A
// target never throws and never fails on bad input: a crash, a sanitizer report or a broken
// invariant (checked with CB_FUZZ_CHECK, which aborts) is the finding.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cb::fuzz {

using Target = int (*)(const std::uint8_t* data, std::size_t size);

struct NamedTarget {
    std::string_view name;  // also the folder name under tests/fuzz-regressions/
    Target run;
};

// One NDJSON line through the event parser (simdjson On-Demand, field tolerance).
int event_parser(const std::uint8_t* data, std::size_t size);
// A whole log (lines, NUL runs, cut last line) through ingest, sessions, markers, steps,
// every analysis, sessions.jsonl and the CSV tables.
int pipeline(const std::uint8_t* data, std::size_t size);
// A file of any compression (gzip, bzip2, zstd, none by magic bytes) through the decoders
// and the line splitter.
int decoders(const std::uint8_t* data, std::size_t size);
// A TTY recording through the reader, the terminal filter (both policies), the last-lines
// model and the asciicast writer.
int ttylog(const std::uint8_t* data, std::size_t size);
// Hadoop Streaming input (key<TAB>base64 archive lines) through one streaming step; the
// first byte picks the step.
int streaming(const std::uint8_t* data, std::size_t size);
// A cowrie.cfg through its reader.
int cowrie_cfg(const std::uint8_t* data, std::size_t size);
// An ATT&CK rules file (TOML) through its reader, and the same bytes as a command line through
// the simple-command splitter the rules see.
int attack_rules(const std::uint8_t* data, std::size_t size);

inline constexpr NamedTarget kTargets[] = {
    {"event_parser", event_parser}, {"pipeline", pipeline},     {"decoders", decoders},         {"ttylog", ttylog},
    {"streaming", streaming},       {"cowrie_cfg", cowrie_cfg}, {"attack_rules", attack_rules},
};

}  // namespace cb::fuzz
