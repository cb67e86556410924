// sessions.jsonl: one session record per line (see docs/OUTPUTS.md for the keys).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include "cb/util/json_writer.hpp"
#include "cb/output/outputs.hpp"

namespace cb {

namespace {

// k: a trusted key literal (no escaping)
void opt_str(JsonWriter& w, const char* k, std::string_view v) {
    w.literal_key(k, std::strlen(k));
    if (v.empty())
        w.null();
    else
        w.value(v);
}

void opt_int(JsonWriter& w, const char* k, std::int64_t v) {
    w.literal_key(k, std::strlen(k));
    if (v < 0)
        w.null();
    else
        w.value(v);
}

}  // namespace

void append_session_json(std::string& out, const Session& s) {
    JsonWriter w(out);
    w.begin_object();
    w.field("sensor", s.sensor).field("session", s.session);
    opt_str(w, "protocol", s.protocol);
    opt_str(w, "src_ip", s.src_ip);
    opt_int(w, "src_port", s.src_port);
    opt_str(w, "dst_ip", s.dst_ip);
    opt_int(w, "dst_port", s.dst_port);
    w.key("start").timestamp(s.start);
    w.key("end").timestamp(s.end);
    w.key("duration_s").value(s.duration_s, 3);
    opt_str(w, "client_version", s.client_version);
    opt_str(w, "hassh", s.hassh);
    opt_str(w, "arch", s.arch);
    w.key("terminal");
    if (s.term_width >= 0 || s.term_height >= 0) {
        w.begin_object();
        opt_int(w, "width", s.term_width);
        opt_int(w, "height", s.term_height);
        w.end_object();
    } else {
        w.null();
    }

    w.key("logins").begin_array();
    for (const Item& it : s.items) {
        if (it.kind != ItemKind::Login) continue;
        w.begin_object().key("time").timestamp(it.ts).field("username", it.a);
        if (!it.c.empty())
            w.field("fingerprint", it.c);
        else
            w.field("password", it.b);
        w.field("success", it.flag).end_object();
    }
    w.end_array();

    w.key("commands").begin_array();
    std::size_t ci = 0;
    for (const Item& it : s.items) {
        if (it.kind != ItemKind::Command) continue;
        w.begin_object()
            .key("time").timestamp(it.ts)
            .field("input", it.a)
            .field("failed", s.cmd_failed[ci++] != 0)
            .end_object();
    }
    w.end_array();

    w.key("downloads").begin_array();
    for (const Item& it : s.items) {
        if (it.kind != ItemKind::Download && it.kind != ItemKind::DownloadFailed) continue;
        w.begin_object().key("time").timestamp(it.ts);
        opt_str(w, "url", it.a);
        if (it.kind == ItemKind::Download) {
            opt_str(w, "shasum", it.b);
            opt_str(w, "outfile", it.c);
            w.field("duplicate", it.flag).field("status", "ok");
        } else {
            w.field("status", "failed");
        }
        w.end_object();
    }
    w.end_array();

    w.key("file_writes").begin_array();
    for (const Item& it : s.items) {
        if (it.kind != ItemKind::FileWrite) continue;
        w.begin_object().key("time").timestamp(it.ts);
        opt_str(w, "path", it.a);
        opt_str(w, "shasum", it.b);
        opt_int(w, "size", it.num);
        w.field("duplicate", it.flag);
        opt_str(w, "persistence", persistence_kind(it.a));
        w.end_object();
    }
    w.end_array();

    w.key("uploads").begin_array();
    for (const Item& it : s.items) {
        if (it.kind != ItemKind::Upload) continue;
        w.begin_object().key("time").timestamp(it.ts);
        opt_str(w, "filename", it.a);
        opt_str(w, "shasum", it.b);
        opt_str(w, "destination", it.c);
        w.field("duplicate", it.flag).end_object();
    }
    w.end_array();

    w.key("tcpip").begin_array();
    for (const Item& it : s.items) {
        if (it.kind != ItemKind::Tcpip) continue;
        w.begin_object().key("time").timestamp(it.ts);
        opt_str(w, "dst_ip", it.a);
        opt_int(w, "dst_port", it.num);
        opt_str(w, "orig_ip", it.b);
        w.end_object();
    }
    w.end_array();
    w.field("tcpip_data_events", s.tcpip_data);

    w.key("ttylog").begin_array();
    for (const Item& it : s.items) {
        if (it.kind != ItemKind::TtyLog) continue;
        w.begin_object().key("time").timestamp(it.ts);
        opt_str(w, "path", it.a);
        opt_str(w, "shasum", it.b);
        opt_int(w, "size", it.num);
        w.field("duplicate", it.flag);
        w.field("found", !it.c.empty());  // the recording is among the inputs (matched by content hash)
        w.end_object();
    }
    w.end_array();

    w.field("closed", s.closed);
    w.field("end_kind", end_kind_name(s.end_kind));
    w.field("channel", channel_name(s.channel));
    // An empty last line is a value (""), not a missing one: both are null without commands only.
    if (s.commands) {
        w.key("last_command").value(s.last_command);
        w.key("secs_after_last_command").value(s.secs_after_last_command, 3);
    } else {
        w.key("last_command").null();
        w.key("secs_after_last_command").null();
    }
    opt_str(w, "last_step", s.last_step);
    w.field("login_attempts", s.login_attempts).field("login_successes", s.login_successes);
    w.field("failed_commands", s.failed_commands);
    w.field("events", s.events).field("late_events", s.late_events);
    w.end_object();
    out.push_back('\n');
}

std::string write_error(const std::string& path, int err) {
    return "cannot write " + path + ": " + std::strerror(err ? err : EIO);
}

namespace {

// Closes `f` (its path + ".tmp") and renames it to `path`; `err` is an earlier write's errno.
// Every failure names `path` and the reason (a full disk, a file-size limit).
std::string close_and_rename(FILE* f, const std::string& path, int err) {
    if (std::fclose(f) != 0 && !err) err = errno ? errno : EIO;
    if (!err && std::rename((path + ".tmp").c_str(), path.c_str()) != 0) err = errno;
    return err ? write_error(path, err) : std::string();
}

int fwrite_errno(FILE* f, std::string_view data) {
    return std::fwrite(data.data(), 1, data.size(), f) == data.size() ? 0 : (errno ? errno : EIO);
}

}  // namespace

std::string write_file_atomic(const std::string& path, std::string_view data) {
    FILE* f = std::fopen((path + ".tmp").c_str(), "wb");
    if (!f) return write_error(path, errno);
    return close_and_rename(f, path, fwrite_errno(f, data));
}

std::string write_sessions_jsonl(const std::string& path, const std::vector<Session>& sessions, unsigned threads) {
    FILE* f = std::fopen((path + ".tmp").c_str(), "wb");
    if (!f) return write_error(path, errno);
    // Format blocks in parallel, write them in order.
    constexpr std::size_t kBlock = 4096;
    const std::size_t blocks = (sessions.size() + kBlock - 1) / kBlock;
    threads = std::max(1u, threads);
    int err = 0;
    std::vector<std::string> bufs;  // reused from block to block: no regrowing
    for (std::size_t base = 0; base < blocks && !err; base += threads) {
        const std::size_t n = std::min<std::size_t>(threads, blocks - base);
        bufs.resize(n);
        auto format = [&](std::size_t k) {
            const std::size_t b = base + k;
            const std::size_t hi = std::min(sessions.size(), (b + 1) * kBlock);
            bufs[k].clear();
            for (std::size_t i = b * kBlock; i < hi; ++i) append_session_json(bufs[k], sessions[i]);
        };
        if (n == 1) {
            format(0);  // on the calling thread: no thread per block
        } else {
            std::vector<std::thread> pool;
            for (std::size_t k = 0; k < n; ++k) pool.emplace_back(format, k);
            for (auto& t : pool) t.join();
        }
        for (const auto& b : bufs)
            if (!err) err = fwrite_errno(f, b);
    }
    return close_and_rename(f, path, err);
}

std::string write_tables_csv(const std::string& dir, const std::vector<Table>& tables) {
    for (const auto& t : tables) {
        auto err = write_file_atomic(dir + "/" + t.name + ".csv", to_csv(t));
        if (!err.empty()) return err;
    }
    return {};
}

}  // namespace cb
