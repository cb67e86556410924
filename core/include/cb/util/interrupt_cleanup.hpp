// Folders that a run makes beside the user's files and must not leave behind: the spill folder
// and the new state being written. SIGINT and SIGTERM remove them (the signal watcher of
// output/output_dir.cpp calls remove_interrupted_folders() before the process exits); what a
// SIGKILL leaves, a later run removes (left_by_a_dead_process() tells which spill and state
// folders; OUTDIR's hidden folders have their own test in output_dir.cpp, without the pid_max
// bound, which only protects names a user may pick, such as a dated copy of the state).
#pragma once

#include <filesystem>
#include <string>

namespace cb {

// Removes the folder p, in a few rounds when other threads still write files into it.
void remove_tree(const std::filesystem::path& p);

// mkdtemp(tmpl), the folder made removed on interrupt at once (no signal falls between the
// two); "" with errno set when it could not be made.
std::string make_folder_removed_on_interrupt(std::string tmpl);
// create_directories(path), the folder removed on interrupt at once; false when it could not be
// made.
bool make_dir_removed_on_interrupt(const std::string& path);
// Whether path is a folder this process registered (and has not kept).
bool removed_on_interrupt(const std::string& path);
// Stops removing path on interrupt (it is about to be swapped into place, or is gone).
void keep_on_interrupt(const std::string& path);
// For the signal watcher: removes every folder registered, and keeps the registry locked until
// the process exits (a state swap waiting in keep_on_interrupt() never starts).
void remove_interrupted_folders();

// Whether the folder `name` ("PREFIX" then a process id, then nothing or `rest_after` and more)
// was left by a process that no longer runs: the id is a possible one (1 to the kernel's
// pid_max: not a date such as 20240101) and no other process has it (this process's own number
// counts as gone: a container's runs all have the same one; the caller skips its own folders;
// an id reused by another process keeps its folder until that one ends too: never too eager).
// A process of another PID namespace is not seen: a caller with a shared folder also asks that
// the folder be old.
bool left_by_a_dead_process(const std::string& name, const std::string& prefix, char rest_after = '\0');

}  // namespace cb
