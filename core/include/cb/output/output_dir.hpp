// OUTDIR is written whole or not at all. A run writes into a temporary folder beside OUTDIR
// (.NAME.tmp-PID, in the same parent, so one rename moves it) and swaps it into place at the
// end; an interrupted run leaves the previous OUTDIR as it was. Every command that writes an
// output folder goes through OutputDir (docs/OUTPUTS.md, "How OUTDIR is replaced").
#pragma once

#include <filesystem>
#include <functional>
#include <string>

namespace cb {

class OutputDir {
public:
    enum class Status { Ok, Refused, Failed };  // Refused: the safety rule said no; Failed: I/O

    OutputDir() = default;
    ~OutputDir();  // removes the temporary folder unless it was committed
    OutputDir(const OutputDir&) = delete;
    OutputDir& operator=(const OutputDir&) = delete;

    // Checks that OUTDIR may be replaced (missing, an empty folder, or holding only what
    // cowrie-batch writes: own_entry()), removes the temporary folders that dead runs left
    // beside it, creates this run's, and removes it again on SIGINT or SIGTERM
    // (on_interrupt()). *err says why not, with OUTDIR as the caller spelt it.
    Status open(const std::string& out_dir, std::string* err);
    // OUTDIR, absolute, symlinks to it resolved (what commit() replaces).
    const std::filesystem::path& path() const { return path_; }
    // The folder the writers write into (absolute).
    const std::string& temp() const { return temp_; }
    // Puts the temporary folder in OUTDIR's place (renameat2 RENAME_EXCHANGE when OUTDIR
    // exists, else a rename) and removes the previous contents. Empty, or an error message.
    // `last`, when given, runs right before the swap, where SIGINT and SIGTERM wait for the swap
    // (the commit of a cowrie.sqlite updated in place): its error stops the swap.
    std::string commit(const std::function<std::string()>& last = {});
    // Removes the temporary folder; OUTDIR stays as it was.
    void discard();
    // Leaves the temporary folder for a look (a failed Hadoop job's work folder); OUTDIR stays
    // as it was, and the next run into OUTDIR removes it.
    void keep();
    // `msg` with the temporary folder's path written as OUTDIR's, for messages.
    std::string as_final(std::string msg) const;

private:
    void create_temp(const std::filesystem::path& temp, std::error_code& ec);
    void discard_locked();  // discard() with the signal watcher's lock held

    std::string shown_;           // OUTDIR as the caller spelt it (no trailing '/')
    std::filesystem::path path_;  // OUTDIR, absolute, symlinks to it resolved
    std::string temp_;
    bool open_ = false;
};

// The swap of commit() where the file system has no RENAME_EXCHANGE (vfat, some network file
// systems): OUTDIR is renamed to .NAME.old-PID, then the temporary folder to OUTDIR (a run
// that dies in between is repaired by the next one). Returns where the previous contents are
// now, or sets *err and leaves both as they were. Public for its unit test.
std::filesystem::path swap_by_renames(const std::filesystem::path& temp, const std::filesystem::path& out,
                                      std::string* err);

// The folders of OUTDIR that cowrie-batch writes, and what they hold.
enum class OutFolder {
    Top,       // OUTDIR
    Tables,    // OUTDIR/tables: *.csv
    Sessions,  // OUTDIR/sessions: day=*/ and _partitions.json
    Day,       // OUTDIR/sessions/day=*: sessions.jsonl
    Iocs,      // OUTDIR/iocs: iocs.csv, stix2.json, misp.json
};
// True when `name`, an entry of the folder `in`, is something cowrie-batch writes there: the
// safety rule of OutputDir::open().
bool own_entry(const std::string& name, bool is_dir, OutFolder in);

// While an OutputDir is open, SIGINT and SIGTERM are taken by a watcher thread: it calls
// `last_words(sig)` (the CLI prints a line and stops child processes), removes the temporary
// folder and ends the process with exit status 128 + sig (130, 143). Otherwise the signals
// keep their usual action. A signal ignored when the process started stays ignored.
void on_interrupt(void (*last_words)(int sig));

}  // namespace cb
