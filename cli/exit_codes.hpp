#pragma once
namespace cb::cli {
// Documented in README.md and docs/CLI.md.
enum ExitCode : int {
    kExitClean = 0,    // everything read, nothing rejected
    kExitSkipped = 1,  // outputs written, but some files, lines or bytes were skipped
    kExitUsage = 2,    // bad command line or no input
    kExitFatal = 3,    // outputs could not be written
};
}  // namespace cb::cli
