// simdjson_floor: the parse-throughput floor for cowrie-batch.
//
//   simdjson_floor [--threads N] [--json] INPUT...
//
// INPUT: files or directories (walked recursively). For every file: read it whole
// into a padded buffer (gzip, detected by magic bytes, is inflated with zlib first
// and timed separately), split lines with memchr, and run simdjson On-Demand
// parser.iterate() on each line, walking the top-level object once and reading the
// string values of "eventid", "session" and "timestamp" (so the parse really
// happens). Nothing else: no grouping, no output. Files are shared across N
// threads (largest first, dynamic). Prints a human line, or one JSON object with
// --json.
//
// Note: simdjson On-Demand runs the *builtin* implementation chosen at compile
// time (see "implementation" in the output): without -march flags it is the slow
// "fallback" kernel on x86-64. CMakeLists.txt compiles this with CB_BENCH_MARCH
// (default: native).
#include <simdjson.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace simdjson;
using clk = std::chrono::steady_clock;

namespace {

struct Stats {
    uint64_t files = 0, disk_bytes = 0, bytes = 0, lines = 0, errors = 0, gz_files = 0;
    uint64_t checksum = 0;  // sum of touched value lengths (keeps the work observable)
    uint64_t with_eventid = 0;
    double read_s = 0, inflate_s = 0, parse_s = 0;
    void add(const Stats& o) {
        files += o.files;
        disk_bytes += o.disk_bytes;
        bytes += o.bytes;
        lines += o.lines;
        errors += o.errors;
        gz_files += o.gz_files;
        checksum += o.checksum;
        with_eventid += o.with_eventid;
        read_s += o.read_s;
        inflate_s += o.inflate_s;
        parse_s += o.parse_s;
    }
};

std::string simdjson_version_string() {
    return std::to_string(simdjson::SIMDJSON_VERSION_MAJOR) + "." + std::to_string(simdjson::SIMDJSON_VERSION_MINOR) +
           "." + std::to_string(simdjson::SIMDJSON_VERSION_REVISION);
}

double secs(clk::time_point a, clk::time_point b) { return std::chrono::duration<double>(b - a).count(); }

bool read_file(const fs::path& p, std::vector<char>& buf, size_t& n) {
    FILE* f = std::fopen(p.c_str(), "rb");
    if (!f) return false;
    std::error_code ec;
    auto sz = fs::file_size(p, ec);
    if (ec) sz = 0;
    buf.resize(sz + SIMDJSON_PADDING);
    n = 0;
    for (;;) {
        if (buf.size() - n < SIMDJSON_PADDING + 65536) buf.resize(buf.size() * 2 + 65536);
        size_t r = std::fread(buf.data() + n, 1, buf.size() - n - SIMDJSON_PADDING, f);
        n += r;
        if (r == 0) break;
    }
    std::fclose(f);
    return true;
}

// Inflate gzip (possibly several concatenated members). Returns false on a hard error;
// a truncated stream keeps what was inflated.
bool gunzip(const char* in, size_t in_n, std::vector<char>& out, size_t& out_n) {
    size_t guess = in_n * 8;
    if (in_n >= 4) {  // ISIZE of the last member (mod 2^32) as a hint
        uint32_t isz;
        std::memcpy(&isz, in + in_n - 4, 4);
        guess = std::max<size_t>(guess, isz);
    }
    out.resize(guess + SIMDJSON_PADDING);
    out_n = 0;
    z_stream zs{};
    if (inflateInit2(&zs, 15 + 32) != Z_OK) return false;
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in));
    zs.avail_in = static_cast<uInt>(in_n);
    bool ok = true;
    for (;;) {
        if (out.size() - out_n < SIMDJSON_PADDING + 65536) out.resize(out.size() * 2);
        size_t room = out.size() - out_n - SIMDJSON_PADDING;
        zs.next_out = reinterpret_cast<Bytef*>(out.data() + out_n);
        zs.avail_out = static_cast<uInt>(std::min<size_t>(room, 1u << 30));
        int rc = inflate(&zs, Z_NO_FLUSH);
        out_n = reinterpret_cast<char*>(zs.next_out) - out.data();
        if (rc == Z_STREAM_END) {
            if (zs.avail_in >= 2 && zs.next_in[0] == 0x1f && zs.next_in[1] == 0x8b) {
                inflateReset(&zs);
                continue;
            }
            break;
        }
        if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // truncated input
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            ok = false;
            break;
        }
    }
    inflateEnd(&zs);
    return ok || out_n > 0;
}

void parse_buffer(ondemand::parser& parser, const char* buf, size_t n, Stats& st) {
    const char* p = buf;
    const char* end = buf + n;
    const size_t cap_end = n + SIMDJSON_PADDING;  // buffer is padded after n
    while (p < end) {
        const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
        const char* le = nl ? nl : end;
        size_t len = le - p;
        if (len && p[len - 1] == '\r') --len;
        if (len) {
            ++st.lines;
            size_t cap = cap_end - (p - buf);
            ondemand::document doc;
            bool bad = parser.iterate(padded_string_view(p, len, cap)).get(doc) != SUCCESS;
            ondemand::object obj;
            if (!bad) bad = doc.get_object().get(obj) != SUCCESS;
            if (!bad) {
                for (auto field_res : obj) {
                    ondemand::field field;
                    if (std::move(field_res).get(field) != SUCCESS) {
                        bad = true;
                        break;
                    }
                    ondemand::raw_json_string key = field.key();
                    int which = key == "eventid" ? 1 : key == "session" ? 2 : key == "timestamp" ? 3 : 0;
                    if (which) {
                        std::string_view sv;
                        if (field.value().get_string().get(sv) == SUCCESS) {
                            st.checksum += sv.size();
                            if (which == 1) ++st.with_eventid;
                        }
                    }
                }
            }
            if (bad) ++st.errors;
        }
        if (!nl) break;
        p = nl + 1;
    }
}

void usage() {
    std::fprintf(stderr, "usage: simdjson_floor [--threads N] [--json] INPUT...\n");
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    unsigned threads = 1;
    bool json = false;
    std::vector<std::string> inputs;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--threads" && i + 1 < argc)
            threads = std::max(1, std::atoi(argv[++i]));
        else if (a == "--json")
            json = true;
        else if (a == "-h" || a == "--help")
            usage();
        else if (a.rfind("--", 0) == 0)
            usage();
        else
            inputs.push_back(a);
    }
    if (inputs.empty()) usage();

    struct Item {
        fs::path path;
        uintmax_t size;
    };
    std::vector<Item> files;
    for (const auto& in : inputs) {
        std::error_code ec;
        if (fs::is_directory(in, ec)) {
            for (auto it = fs::recursive_directory_iterator(in, fs::directory_options::follow_directory_symlink, ec);
                 it != fs::recursive_directory_iterator(); it.increment(ec)) {
                if (ec) break;
                if (it->is_regular_file(ec)) files.push_back({it->path(), it->file_size(ec)});
            }
        } else if (fs::is_regular_file(in, ec)) {
            files.push_back({in, fs::file_size(in, ec)});
        } else {
            std::fprintf(stderr, "simdjson_floor: no such input: %s\n", in.c_str());
            return 2;
        }
    }
    std::sort(files.begin(), files.end(),
              [](const Item& a, const Item& b) { return a.size != b.size ? a.size > b.size : a.path < b.path; });

    std::atomic<size_t> next{0};
    std::vector<Stats> per(threads);
    auto t0 = clk::now();
    auto work = [&](unsigned t) {
        ondemand::parser parser;
        std::vector<char> raw, plain;
        Stats& st = per[t];
        for (size_t i; (i = next.fetch_add(1)) < files.size();) {
            auto a = clk::now();
            size_t n = 0;
            if (!read_file(files[i].path, raw, n)) {
                std::fprintf(stderr, "simdjson_floor: cannot read %s\n", files[i].path.c_str());
                continue;
            }
            auto b = clk::now();
            st.read_s += secs(a, b);
            st.files++;
            st.disk_bytes += n;
            const char* data = raw.data();
            size_t dn = n;
            if (n >= 2 && static_cast<unsigned char>(raw[0]) == 0x1f && static_cast<unsigned char>(raw[1]) == 0x8b) {
                size_t on = 0;
                if (!gunzip(raw.data(), n, plain, on))
                    std::fprintf(stderr, "simdjson_floor: bad gzip %s\n", files[i].path.c_str());
                std::memset(plain.data() + on, 0, SIMDJSON_PADDING);
                data = plain.data();
                dn = on;
                st.gz_files++;
                auto c = clk::now();
                st.inflate_s += secs(b, c);
                b = c;
            } else {
                std::memset(raw.data() + n, 0, SIMDJSON_PADDING);
            }
            st.bytes += dn;
            parse_buffer(parser, data, dn, st);
            st.parse_s += secs(b, clk::now());
        }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
    work(0);
    for (auto& th : pool) th.join();
    double wall = secs(t0, clk::now());

    Stats tot;
    for (auto& s : per) tot.add(s);
    const double mib = 1024.0 * 1024.0;
    double mibps = wall > 0 ? tot.bytes / mib / wall : 0;
#define CB_STR2(x) #x
#define CB_STR(x) CB_STR2(x)
    // The implementation On-Demand was compiled for (not the shared library's own).
    const char* impl = CB_STR(SIMDJSON_BUILTIN_IMPLEMENTATION);
    if (json) {
        std::printf(
            "{\"tool\":\"simdjson_floor\",\"simdjson\":\"%s\",\"implementation\":\"%s\",\"threads\":%u,"
            "\"files\":%llu,\"gz_files\":%llu,\"disk_bytes\":%llu,\"bytes\":%llu,\"lines\":%llu,"
            "\"errors\":%llu,\"with_eventid\":%llu,\"checksum\":%llu,\"seconds\":%.4f,"
            "\"read_seconds\":%.4f,\"inflate_seconds\":%.4f,\"parse_seconds\":%.4f,"
            "\"mib_per_s\":%.1f,\"parse_only_mib_per_s_per_thread\":%.1f}\n",
            simdjson_version_string().c_str(), impl, threads, (unsigned long long)tot.files,
            (unsigned long long)tot.gz_files, (unsigned long long)tot.disk_bytes, (unsigned long long)tot.bytes,
            (unsigned long long)tot.lines, (unsigned long long)tot.errors, (unsigned long long)tot.with_eventid,
            (unsigned long long)tot.checksum, wall, tot.read_s, tot.inflate_s, tot.parse_s, mibps,
            tot.parse_s > 0 ? tot.bytes / mib / tot.parse_s : 0.0);
    } else {
        std::printf(
            "simdjson %s (%s), %u thread(s): %llu files (%llu gz), %.1f MiB, %llu lines, %llu errors "
            "in %.3f s = %.1f MiB/s  [thread-seconds: read %.3f, inflate %.3f, parse %.3f]\n",
            simdjson_version_string().c_str(), impl, threads, (unsigned long long)tot.files,
            (unsigned long long)tot.gz_files, tot.bytes / mib, (unsigned long long)tot.lines,
            (unsigned long long)tot.errors, wall, mibps, tot.read_s, tot.inflate_s, tot.parse_s);
    }
    return 0;
}
