#pragma once
namespace cb::cli {
// Documented in README.md and docs/CLI.md.
enum ExitCode : int {
    kExitClean = 0,    // everything read, nothing rejected
    kExitSkipped = 1,  // outputs written, but some files, lines or bytes were skipped
    kExitUsage = 2,    // bad command line, no input, or an OUTDIR the safety rule refuses
    kExitFatal = 3,    // outputs could not be written (OUTDIR is left as it was)
    // and 128 + the signal number (130 SIGINT, 143 SIGTERM): interrupted while writing OUTDIR;
    // its temporary folder was removed (cb/output_dir.hpp's watcher exits with it).
};
}  // namespace cb::cli
