// sessions.jsonl: one session record per line (see docs/OUTPUTS.md for the keys).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <initializer_list>

#include "cb/output/outputs.hpp"
#include "cb/util/json_writer.hpp"
#include "cb/util/parallel.hpp"

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

// The connection: who, from where, when, with which client and terminal.
void connection_fields(JsonWriter& w, const Session& s) {
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
}

// Writes key: [ one object per item of `kind` ], each object opened with its "time" and
// filled in by item_fields(item).
template <class Fields>
void item_array(JsonWriter& w, const char* key, const Session& s, std::initializer_list<ItemKind> kinds,
                Fields&& item_fields) {
    w.literal_key(key, std::strlen(key)).begin_array();
    for (const Item& it : s.items) {
        if (std::find(kinds.begin(), kinds.end(), it.kind) == kinds.end()) continue;
        w.begin_object().key("time").timestamp(it.ts);
        item_fields(it);
        w.end_object();
    }
    w.end_array();
}

// What happened in the session: logins, commands, transfers, tunnels and recordings.
void item_arrays(JsonWriter& w, const Session& s) {
    item_array(w, "logins", s, {ItemKind::Login}, [&](const Item& it) {
        w.field("username", it.a);
        if (!it.c.empty())
            w.field("fingerprint", it.c);
        else
            w.field("password", it.b);
        w.field("success", it.flag);
    });
    std::size_t ci = 0;
    item_array(w, "commands", s, {ItemKind::Command},
               [&](const Item& it) { w.field("input", it.a).field("failed", s.cmd_failed[ci++] != 0); });
    item_array(w, "downloads", s, {ItemKind::Download, ItemKind::DownloadFailed}, [&](const Item& it) {
        opt_str(w, "url", it.a);
        if (it.kind == ItemKind::Download) {
            opt_str(w, "shasum", it.b);
            opt_str(w, "outfile", it.c);
            w.field("duplicate", it.flag).field("status", "ok");
        } else {
            w.field("status", "failed");
        }
    });
    item_array(w, "file_writes", s, {ItemKind::FileWrite}, [&](const Item& it) {
        opt_str(w, "path", it.a);
        opt_str(w, "shasum", it.b);
        opt_int(w, "size", it.num);
        w.field("duplicate", it.flag);
        opt_str(w, "persistence", persistence_kind(it.a));
    });
    item_array(w, "uploads", s, {ItemKind::Upload}, [&](const Item& it) {
        opt_str(w, "filename", it.a);
        opt_str(w, "shasum", it.b);
        opt_str(w, "destination", it.c);
        w.field("duplicate", it.flag);
    });
    item_array(w, "tcpip", s, {ItemKind::Tcpip}, [&](const Item& it) {
        opt_str(w, "dst_ip", it.a);
        opt_int(w, "dst_port", it.num);
        opt_str(w, "orig_ip", it.b);
    });
    w.field("tcpip_data_events", s.tcpip_data);
    item_array(w, "ttylog", s, {ItemKind::TtyLog}, [&](const Item& it) {
        opt_str(w, "path", it.a);
        opt_str(w, "shasum", it.b);
        opt_int(w, "size", it.num);
        w.field("duplicate", it.flag);
        w.field("found", !it.c.empty());  // the recording is among the inputs (matched by content hash)
    });
}

// How it ended, and the counts.
void outcome_fields(JsonWriter& w, const Session& s) {
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
}

}  // namespace

void append_session_json(std::string& out, const Session& s) {
    JsonWriter w(out);
    w.begin_object();
    connection_fields(w, s);
    item_arrays(w, s);
    outcome_fields(w, s);
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

SessionsJsonlWriter::~SessionsJsonlWriter() {
    if (!f_) return;
    std::fclose(f_);  // never closed: no sessions.jsonl rather than part of one
    std::remove((path_ + ".tmp").c_str());
}

std::string SessionsJsonlWriter::open(const std::string& path) {
    path_ = path;
    f_ = std::fopen((path + ".tmp").c_str(), "wb");
    err_ = f_ ? 0 : errno;
    return err_ ? write_error(path_, err_) : std::string();
}

std::string SessionsJsonlWriter::append(const std::vector<Session>& sessions, unsigned threads) {
    if (!f_ && !err_) err_ = EBADF;  // not open
    if (err_) return write_error(path_, err_);
    // Format blocks in parallel, write them in order.
    constexpr std::size_t kBlock = 4096;
    const std::size_t blocks = (sessions.size() + kBlock - 1) / kBlock;
    threads = std::max(1u, threads);
    for (std::size_t base = 0; base < blocks && !err_; base += threads) {
        bufs_.resize(std::min<std::size_t>(threads, blocks - base));
        parallel_for(bufs_.size(), threads, [&](std::size_t k) {
            const std::size_t b = base + k;
            const std::size_t hi = std::min(sessions.size(), (b + 1) * kBlock);
            bufs_[k].clear();
            for (std::size_t i = b * kBlock; i < hi; ++i) append_session_json(bufs_[k], sessions[i]);
        });
        for (const auto& b : bufs_)
            if (!err_) err_ = fwrite_errno(f_, b);
    }
    return err_ ? write_error(path_, err_) : std::string();
}

std::string SessionsJsonlWriter::close() {
    if (!f_) return write_error(path_, err_ ? err_ : EBADF);
    FILE* f = f_;
    f_ = nullptr;
    bufs_ = {};
    return close_and_rename(f, path_, err_);
}

std::string write_sessions_jsonl(const std::string& path, const std::vector<Session>& sessions, unsigned threads) {
    SessionsJsonlWriter w;
    std::string err = w.open(path);
    if (err.empty()) err = w.append(sessions, threads);
    const std::string close_err = w.close();
    return err.empty() ? close_err : err;
}

std::string write_tables_csv(const std::string& dir, const std::vector<Table>& tables) {
    for (const auto& t : tables) {
        auto err = write_file_atomic(dir + "/" + t.name + ".csv", to_csv(t));
        if (!err.empty()) return err;
    }
    return {};
}

}  // namespace cb
