#include "cb/input/byte_source.hpp"

#include <bzlib.h>
#include <fcntl.h>
#include <sys/stat.h>
#ifdef CB_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#else
#include <zlib.h>
#endif
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace cb {

std::string_view compression_name(Compression c) {
    switch (c) {
        case Compression::Gzip:
            return "gzip";
        case Compression::Bzip2:
            return "bzip2";
        case Compression::Zstd:
            return "zstd";
        case Compression::None:
            break;
    }
    return "none";
}

Compression detect_compression(std::string_view h) {
    if (h.size() >= 2 && static_cast<unsigned char>(h[0]) == 0x1f && static_cast<unsigned char>(h[1]) == 0x8b)
        return Compression::Gzip;
    if (h.size() >= 3 && h[0] == 'B' && h[1] == 'Z' && h[2] == 'h') return Compression::Bzip2;
    if (h.size() >= 4 && static_cast<unsigned char>(h[0]) == 0x28 && static_cast<unsigned char>(h[1]) == 0xb5 &&
        static_cast<unsigned char>(h[2]) == 0x2f && static_cast<unsigned char>(h[3]) == 0xfd)
        return Compression::Zstd;
    // A zstd skippable frame (magic 0x184D2A5?): pzstd starts every file with one.
    if (h.size() >= 4 && (static_cast<unsigned char>(h[0]) & 0xf0) == 0x50 &&
        static_cast<unsigned char>(h[1]) == 0x2a && static_cast<unsigned char>(h[2]) == 0x4d &&
        static_cast<unsigned char>(h[3]) == 0x18)
        return Compression::Zstd;
    return Compression::None;
}

namespace {

// Reads a file descriptor; the first bytes may have been peeked already.
class FdSource : public ByteSource {
public:
    FdSource(int fd, bool owned, std::string peeked) : fd_(fd), owned_(owned), peeked_(std::move(peeked)) {}
    ~FdSource() override {
        if (owned_) ::close(fd_);
    }
    std::size_t read(char* buf, std::size_t n) override {
        if (pos_ < peeked_.size()) {
            const std::size_t k = std::min(n, peeked_.size() - pos_);
            std::memcpy(buf, peeked_.data() + pos_, k);
            pos_ += k;
            raw_bytes_ += k;
            return k;
        }
        if (!probed_) probe();
        if (sparse_) {
            if (off_ >= region_end_) find_region();
            if (in_hole_) {
                // A hole of a sparse file (logrotate copytruncate leaves one as long as the
                // file was): its NULs are made here, not copied through the page cache.
                const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(n, region_end_ - off_));
                std::memset(buf, 0, k);
                off_ += k;
                raw_bytes_ += k;
                return k;
            }
            n = static_cast<std::size_t>(std::min<std::uint64_t>(n, region_end_ - off_));
        }
        for (;;) {
            const ssize_t r = ::read(fd_, buf, n);
            if (r < 0) {
                if (errno == EINTR) continue;
                error_ = std::string("read error: ") + std::strerror(errno);
                return 0;
            }
            raw_bytes_ += static_cast<std::size_t>(r);
            off_ += static_cast<std::uint64_t>(r);
            if (r == 0 && sparse_) region_end_ = UINT64_MAX;  // end of file (as it is now): plain reads
            return static_cast<std::size_t>(r);
        }
    }

private:
    // Regular files are read region by region (SEEK_DATA / SEEK_HOLE); pipes and devices as they come.
    void probe() {
        probed_ = true;
        struct stat st {};
        if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) return;
        const off_t cur = ::lseek(fd_, 0, SEEK_CUR);
        if (cur < 0) return;
        off_ = static_cast<std::uint64_t>(cur);
        sparse_ = true;
    }
    // Finds whether off_ is in a hole or in data, and where that region ends.
    void find_region() {
        const off_t at = static_cast<off_t>(off_);
        const off_t data = ::lseek(fd_, at, SEEK_DATA);
        if (data > at) {
            in_hole_ = true;
            region_end_ = static_cast<std::uint64_t>(data);
        } else {
            // In data, or no data after off_ (ENXIO: at or past the end, or a hole to the end,
            // which is read as it comes, so a file that grows meanwhile is read as before).
            const off_t hole = data == at ? ::lseek(fd_, at, SEEK_HOLE) : -1;
            in_hole_ = false;
            region_end_ = hole > at ? static_cast<std::uint64_t>(hole) : UINT64_MAX;
        }
        if (::lseek(fd_, at, SEEK_SET) != at) {  // cannot happen on a regular file; read as it comes
            sparse_ = in_hole_ = false;
        }
    }

    int fd_;
    bool owned_;
    std::string peeked_;
    std::size_t pos_ = 0;
    bool probed_ = false, sparse_ = false, in_hole_ = false;
    std::uint64_t off_ = 0;         // file offset of the next byte (regular files)
    std::uint64_t region_end_ = 0;  // end of the hole or data region off_ is in
};

constexpr std::size_t kInBuf = 1 << 18;

// Shared input buffering for the decompressors.
class Decoder : public ByteSource {
public:
    explicit Decoder(std::unique_ptr<ByteSource> in) : in_(std::move(in)), buf_(kInBuf) {}

protected:
    // Ensures some input is buffered; returns false at the end of the input.
    bool fill() {
        if (avail_ > 0) return true;
        if (eof_) return false;
        avail_ = in_->read(buf_.data(), buf_.size());
        next_ = buf_.data();
        if (avail_ == 0) {
            eof_ = true;
            if (!in_->error().empty()) error_ = in_->error();
        }
        raw_bytes_ = in_->raw_bytes();
        return avail_ > 0;
    }
    std::unique_ptr<ByteSource> in_;
    std::vector<char> buf_;
    char* next_ = nullptr;
    std::size_t avail_ = 0;
    bool eof_ = false;
    bool done_ = false;
    std::size_t out_total_ = 0;
};

#ifdef CB_HAVE_ISAL
// ISA-L: several times faster than zlib at inflating.
class GzipSource : public Decoder {
public:
    using Decoder::Decoder;
    std::size_t read(char* out, std::size_t n) override {
        if (!started_) {
            isal_inflate_init(&st_);
            st_.crc_flag = ISAL_GZIP;
            started_ = true;
        }
        std::size_t produced = 0;
        while (produced == 0 && !done_) {
            if (st_.block_state == ISAL_BLOCK_FINISH) {
                // Another gzip member may follow (concatenated .gz files are valid).
                if (!fill()) {
                    done_ = true;
                    break;
                }
                if (avail_ >= 2 && static_cast<unsigned char>(next_[0]) == 0x1f &&
                    static_cast<unsigned char>(next_[1]) == 0x8b) {
                    isal_inflate_reset(&st_);
                    st_.crc_flag = ISAL_GZIP;
                } else {
                    done_ = true;  // trailing garbage after a complete member is ignored
                    break;
                }
            }
            if (st_.avail_in == 0) {
                if (!fill()) {
                    if (st_.block_state != ISAL_BLOCK_FINISH && error_.empty())
                        error_ = "gzip stream is truncated after " + std::to_string(out_total_) + " bytes";
                    done_ = true;
                    break;
                }
                st_.next_in = reinterpret_cast<uint8_t*>(next_);
                st_.avail_in = static_cast<uint32_t>(avail_);
                avail_ = 0;
            }
            st_.next_out = reinterpret_cast<uint8_t*>(out + produced);
            st_.avail_out = static_cast<uint32_t>(n - produced);
            const int rc = isal_inflate(&st_);
            produced = n - produced - st_.avail_out + produced;
            if (rc < 0) {
                error_ = "gzip data is corrupt after " + std::to_string(out_total_ + produced) +
                         " bytes (isa-l error " + std::to_string(rc) + ")";
                done_ = true;
            }
            if (st_.block_state == ISAL_BLOCK_FINISH && st_.avail_in > 0) {
                // Put the unread rest back so the next member check sees it.
                next_ = reinterpret_cast<char*>(st_.next_in);
                avail_ = st_.avail_in;
                st_.avail_in = 0;
            }
        }
        out_total_ += produced;
        return produced;
    }

private:
    inflate_state st_{};
    bool started_ = false;
};

#else
// zlib: for builds without ISA-L (the static build: Debian ships no static libisal).
class GzipSource : public Decoder {
public:
    explicit GzipSource(std::unique_ptr<ByteSource> in) : Decoder(std::move(in)) {
        std::memset(&zs_, 0, sizeof zs_);
        inflateInit2(&zs_, 15 + 16);
    }
    ~GzipSource() override { inflateEnd(&zs_); }
    std::size_t read(char* out, std::size_t n) override {
        std::size_t produced = 0;
        while (produced == 0 && !done_) {
            if (member_done_) {
                // Another gzip member may follow (concatenated .gz files are valid).
                if (!fill()) {
                    done_ = true;
                    break;
                }
                if (avail_ >= 2 && static_cast<unsigned char>(next_[0]) == 0x1f &&
                    static_cast<unsigned char>(next_[1]) == 0x8b) {
                    inflateReset(&zs_);
                    member_done_ = false;
                } else {
                    done_ = true;  // trailing garbage after a complete member is ignored
                    break;
                }
            }
            if (zs_.avail_in == 0) {
                if (!fill()) {
                    if (error_.empty())
                        error_ = "gzip stream is truncated after " + std::to_string(out_total_) + " bytes";
                    done_ = true;
                    break;
                }
                zs_.next_in = reinterpret_cast<Bytef*>(next_);
                zs_.avail_in = static_cast<uInt>(avail_);
                avail_ = 0;
            }
            zs_.next_out = reinterpret_cast<Bytef*>(out + produced);
            zs_.avail_out = static_cast<uInt>(n - produced);
            const int rc = inflate(&zs_, Z_NO_FLUSH);
            produced = n - zs_.avail_out;
            if (rc == Z_STREAM_END) {
                member_done_ = true;
                next_ = reinterpret_cast<char*>(zs_.next_in);
                avail_ = zs_.avail_in;
                zs_.avail_in = 0;
            } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
                error_ = "gzip data is corrupt after " + std::to_string(out_total_ + produced) + " bytes (zlib error " +
                         std::to_string(rc) + ")";
                done_ = true;
            }
        }
        out_total_ += produced;
        return produced;
    }

private:
    z_stream zs_;
    bool member_done_ = false;
};

#endif

class Bzip2Source : public Decoder {
public:
    explicit Bzip2Source(std::unique_ptr<ByteSource> in) : Decoder(std::move(in)) {
        std::memset(&st_, 0, sizeof st_);
        BZ2_bzDecompressInit(&st_, 0, 0);
    }
    ~Bzip2Source() override { BZ2_bzDecompressEnd(&st_); }
    std::size_t read(char* out, std::size_t n) override {
        std::size_t produced = 0;
        while (produced == 0 && !done_) {
            if (st_.avail_in == 0) {
                if (!fill()) {
                    if (error_.empty())
                        error_ = "bzip2 stream is truncated after " + std::to_string(out_total_) + " bytes";
                    done_ = true;
                    break;
                }
                st_.next_in = next_;
                st_.avail_in = static_cast<unsigned>(avail_);
                avail_ = 0;
            }
            st_.next_out = out + produced;
            st_.avail_out = static_cast<unsigned>(n - produced);
            const int rc = BZ2_bzDecompress(&st_);
            produced = n - st_.avail_out;
            if (rc == BZ_STREAM_END) {
                // Multi-stream bzip2 (pbzip2): continue if more data follows.
                next_ = st_.next_in;
                avail_ = st_.avail_in;
                st_.avail_in = 0;
                BZ2_bzDecompressEnd(&st_);
                std::memset(&st_, 0, sizeof st_);
                BZ2_bzDecompressInit(&st_, 0, 0);
                if (!fill()) done_ = true;
            } else if (rc != BZ_OK) {
                error_ = "bzip2 data is corrupt after " + std::to_string(out_total_ + produced) + " bytes";
                done_ = true;
            }
        }
        out_total_ += produced;
        return produced;
    }

private:
    bz_stream st_;
};

class ZstdSource : public Decoder {
public:
    explicit ZstdSource(std::unique_ptr<ByteSource> in) : Decoder(std::move(in)), ds_(ZSTD_createDStream()) {
        ZSTD_initDStream(ds_);
    }
    ~ZstdSource() override { ZSTD_freeDStream(ds_); }
    std::size_t read(char* out, std::size_t n) override {
        std::size_t produced = 0;
        while (produced == 0 && !done_) {
            if (in_pos_ >= in_size_) {
                if (!fill()) {
                    if (!frame_done_ && error_.empty())
                        error_ = "zstd stream is truncated after " + std::to_string(out_total_) + " bytes";
                    done_ = true;
                    break;
                }
                in_ptr_ = next_;
                in_size_ = avail_;
                in_pos_ = 0;
                avail_ = 0;
            }
            ZSTD_inBuffer ib{in_ptr_, in_size_, in_pos_};
            ZSTD_outBuffer ob{out, n, produced};
            const std::size_t rc = ZSTD_decompressStream(ds_, &ob, &ib);
            in_pos_ = ib.pos;
            produced = ob.pos;
            if (ZSTD_isError(rc)) {
                error_ = std::string("zstd data is corrupt: ") + ZSTD_getErrorName(rc);
                done_ = true;
            }
            frame_done_ = rc == 0;
        }
        out_total_ += produced;
        return produced;
    }

private:
    ZSTD_DStream* ds_;
    const char* in_ptr_ = nullptr;
    std::size_t in_size_ = 0, in_pos_ = 0;
    bool frame_done_ = true;
};

}  // namespace

std::unique_ptr<ByteSource> open_memory(std::string_view bytes) {
    class MemSource : public ByteSource {
    public:
        explicit MemSource(std::string_view b) : b_(b) {}
        std::size_t read(char* buf, std::size_t n) override {
            const std::size_t k = std::min(n, b_.size() - pos_);
            std::memcpy(buf, b_.data() + pos_, k);
            pos_ += k;
            raw_bytes_ = pos_;
            return k;
        }

    private:
        std::string_view b_;
        std::size_t pos_ = 0;
    };
    return std::make_unique<MemSource>(bytes);
}

std::unique_ptr<ByteSource> open_plain_at(const std::string& path, std::uint64_t offset, std::string* error) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
        *error = std::strerror(errno);
        if (fd >= 0) ::close(fd);
        return nullptr;
    }
    return std::make_unique<FdSource>(fd, true, std::string());
}

std::unique_ptr<ByteSource> open_source(const std::string& path, std::string* error, Compression* detected) {
    int fd = 0;
    const bool is_stdin = path == "-";
    if (!is_stdin) {
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            *error = std::strerror(errno);
            return nullptr;
        }
    }
    // Peek up to 4 bytes for the magic number (a pipe may deliver fewer per read).
    std::string head;
    char tmp[4];
    while (head.size() < 4) {
        const ssize_t r = ::read(fd, tmp, 4 - head.size());
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            *error = std::strerror(errno);
            if (!is_stdin) ::close(fd);
            return nullptr;
        }
        if (r == 0) break;
        head.append(tmp, static_cast<std::size_t>(r));
    }
    const Compression c = detect_compression(head);
    if (detected) *detected = c;
    std::unique_ptr<ByteSource> raw = std::make_unique<FdSource>(fd, !is_stdin, std::move(head));
    switch (c) {
        case Compression::Gzip:
            return std::make_unique<GzipSource>(std::move(raw));
        case Compression::Bzip2:
            return std::make_unique<Bzip2Source>(std::move(raw));
        case Compression::Zstd:
            return std::make_unique<ZstdSource>(std::move(raw));
        case Compression::None:
            break;
    }
    return raw;
}

}  // namespace cb
