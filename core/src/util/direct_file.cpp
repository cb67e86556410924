#include "cb/util/direct_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace cb {

namespace {

// O_DIRECT wants the buffer, the offset and the length aligned to the device's logical block
// (512 B or 4 KiB); 4 KiB serves both, and the block size is a multiple of it.
constexpr std::size_t kAlign = 4096;

}  // namespace

DirectFile::~DirectFile() {
    if (fd_ >= 0) ::close(fd_);
    std::free(buf_);
}

int DirectFile::open(const std::string& path, bool direct) {
    if (fd_ >= 0) ::close(fd_);  // a file left open: what it buffered goes (callers close() first)
    fd_ = -1;
    if (!buf_ && ::posix_memalign(reinterpret_cast<void**>(&buf_), kAlign, kDirectBlockBytes) != 0) {
        buf_ = nullptr;
        return err_ = ENOMEM;  // before the file is made: nothing is left open
    }
    constexpr int kFlags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
    constexpr mode_t kMode = 0666;  // as fopen(): the umask decides
    fd_ = direct ? ::open(path.c_str(), kFlags | O_DIRECT, kMode) : -1;
    direct_ = fd_ >= 0;
    if (fd_ < 0) fd_ = ::open(path.c_str(), kFlags, kMode);
    if (fd_ < 0) return err_ = errno;
    used_ = 0;
    return err_ = 0;
}

int DirectFile::write(std::string_view bytes) {
    while (!err_ && !bytes.empty()) {
        if (fd_ < 0) return err_ = EBADF;
        const std::size_t n = std::min(bytes.size(), kDirectBlockBytes - used_);
        std::memcpy(buf_ + used_, bytes.data(), n);
        used_ += n;
        bytes.remove_prefix(n);
        if (used_ == kDirectBlockBytes) err_ = flush_blocks();
    }
    return err_;
}

int DirectFile::close() {
    if (fd_ < 0) return err_ ? err_ : EBADF;
    if (!err_) err_ = flush_blocks();
    // The last partial block: O_DIRECT would need it padded, so it goes through the page cache.
    if (!err_ && used_ > 0) err_ = drop_direct();
    std::size_t done = 0;
    if (!err_) err_ = write_all(buf_, used_, &done);
    used_ = 0;
    if (::close(fd_) != 0 && !err_) err_ = errno;
    fd_ = -1;
    return err_;
}

int DirectFile::flush_blocks() {
    const std::size_t whole = used_ / kAlign * kAlign;
    if (whole == 0) return 0;
    std::size_t done = 0;
    int err = write_all(buf_, whole, &done);
    // O_DIRECT refused: by this file system (at the first write), or after a short write left the
    // offset out of alignment (ext4 near a full disk). The rest goes through the page cache.
    if (err == EINVAL && direct_) {
        err = drop_direct();
        std::size_t more = 0;
        if (!err) err = write_all(buf_ + done, whole - done, &more);
    }
    if (err) return err;
    std::memmove(buf_, buf_ + whole, used_ - whole);
    used_ -= whole;
    return 0;
}

int DirectFile::write_all(const char* p, std::size_t n, std::size_t* done) {
    *done = 0;
    while (*done < n) {
        const ssize_t w = ::write(fd_, p + *done, n - *done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return w < 0 ? errno : EIO;
        *done += static_cast<std::size_t>(w);
    }
    return 0;
}

int DirectFile::drop_direct() {
    if (!direct_) return 0;
    const int flags = ::fcntl(fd_, F_GETFL);
    if (flags < 0 || ::fcntl(fd_, F_SETFL, flags & ~O_DIRECT) != 0) return errno;
    direct_ = false;
    return 0;
}

namespace {

int replace_through_stdio(const std::string& tmp, std::initializer_list<std::string_view> parts) {
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) return errno;
    int err = 0;
    for (std::string_view p : parts)
        if (!err && std::fwrite(p.data(), 1, p.size(), f) != p.size()) err = errno ? errno : EIO;
    if (std::fclose(f) != 0 && !err) err = errno ? errno : EIO;
    return err;
}

int replace_past_the_cache(const std::string& tmp, std::initializer_list<std::string_view> parts) {
    thread_local DirectFile file;
    if (const int err = file.open(tmp)) return err;
    for (std::string_view p : parts) file.write(p);
    return file.close();  // the first errno of the writes or the close
}

}  // namespace

int replace_file(const std::string& path, std::initializer_list<std::string_view> parts) {
    constexpr std::size_t kDirectFrom = std::size_t{1} << 20;
    std::size_t size = 0;
    for (std::string_view p : parts) size += p.size();
    const std::string tmp = path + ".tmp";
    int err = size >= kDirectFrom ? replace_past_the_cache(tmp, parts) : replace_through_stdio(tmp, parts);
    if (!err && std::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
    return err;
}

}  // namespace cb
