// A file written front to back in large blocks that pass the page cache by (O_DIRECT) where
// the file system allows it, for the big files a run writes and does not read again soon:
// sessions.jsonl (issue 13), the other outputs of 1 MiB or more, the state's checkpoint. Not
// the spill runs: they are read back at once.
//
// Why: a buffered write copies every byte into a page-cache page the kernel must first find
// and clear, and those pages then push the logs the run reads (and will read again tomorrow)
// out of the cache. On virtual machines whose host takes back the guest's free memory, each
// new page also costs a fault on the host: there, writing 1 GiB through the page cache took
// 2 s of CPU against 0.1 s with O_DIRECT, and a 4 GiB run writes 4 GB (bench/README.md).
// The disk sees the same bytes either way; the writes are synchronous, in blocks of
// kDirectBlockBytes, so the writing thread waits for the disk instead of copying.
//
// Where O_DIRECT is refused (tmpfs before Linux 6.6, some network and FUSE file systems, a device
// whose blocks are larger than 4 KiB: open() or a write says EINVAL) the file is written as
// usual, through the page cache, from the first byte not yet written. The file's last partial
// block is written without O_DIRECT, so the file has exactly the bytes given.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

namespace cb {

class DirectFile {
public:
    static constexpr std::size_t kDirectBlockBytes = std::size_t{4} << 20;

    DirectFile() = default;
    ~DirectFile();  // closes without a word: callers that care call close()
    DirectFile(const DirectFile&) = delete;
    DirectFile& operator=(const DirectFile&) = delete;

    // Creates `path` (empty; mode 0666 less the umask, as fopen()): 0, or an errno. `direct`
    // false: through the page cache. An object may open one file after another, each closed first.
    int open(const std::string& path, bool direct = true);
    // Appends bytes; 0 or the errno of the first failed write (later calls then do nothing).
    int write(std::string_view bytes);
    // Writes what is buffered and closes: 0 or the first errno.
    int close();
    bool is_open() const { return fd_ >= 0; }
    // Whether blocks went past the page cache (false when the file system refused).
    bool direct() const { return direct_; }

private:
    int flush_blocks();  // the whole blocks of the buffer
    // Writes p[0, n): 0 or an errno; *done: the bytes written before it (a retry must not repeat them)
    int write_all(const char* p, std::size_t n, std::size_t* done);
    int drop_direct();  // from here on through the page cache

    int fd_ = -1;
    bool direct_ = false;
    int err_ = 0;
    char* buf_ = nullptr;  // kDirectBlockBytes, aligned for O_DIRECT
    std::size_t used_ = 0;
};

// Writes the parts one after another as PATH.tmp and renames it over PATH: 0, or the errno of
// the first write, close or rename that failed. A file of 1 MiB or more (an output the run
// rewrites whole, the state's checkpoint) goes past the page cache, through a DirectFile each
// thread keeps for it (so one block buffer); a smaller one through stdio.
int replace_file(const std::string& path, std::initializer_list<std::string_view> parts);

}  // namespace cb
