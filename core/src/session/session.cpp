#include "cb/session/session.hpp"

#include <algorithm>
#include <tuple>

#include "cb/parse/command_template.hpp"

namespace cb {

std::string_view end_kind_name(EndKind k) {
    switch (k) {
        case EndKind::Exit:
            return "exit";
        case EndKind::Disconnect:
            return "disconnect";
        case EndKind::Timeout:
            return "timeout";
        case EndKind::Unknown:
            break;
    }
    return "unknown";
}

std::string_view channel_name(Channel c) {
    switch (c) {
        case Channel::Shell:
            return "shell";
        case Channel::Exec:
            return "exec";
        case Channel::None:
            break;
    }
    return "none";
}

bool item_less(const Item& x, const Item& y) {
    return std::tie(x.ts, x.kind, x.a, x.b, x.c, x.num, x.flag) < std::tie(y.ts, y.kind, y.a, y.b, y.c, y.num, y.flag);
}

bool has_url_scheme(std::string_view url) {
    const auto colon = url.find("://");
    if (colon == std::string_view::npos || colon == 0) return false;
    for (const char c : url.substr(0, colon))
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' ||
              c == '.'))
            return false;
    return true;
}

bool is_file_write(std::string_view url, bool has_destfile) {
    return url.empty() || (has_destfile && !has_url_scheme(url));
}

namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }
std::string_view base_name(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string_view persistence_kind(std::string_view path) {
    const std::string_view base = base_name(path);
    if (base == "authorized_keys" || base == "authorized_keys2") return "ssh_key";
    if (starts_with(path, "/etc/cron") || starts_with(path, "/var/spool/cron/") || base == "crontab" ||
        starts_with(path, "/etc/anacrontab"))
        return "cron";
    for (std::string_view dir : {"/etc/init.d/", "/etc/rc.d/", "/etc/systemd/", "/lib/systemd/system/",
                                 "/usr/lib/systemd/system/", "/etc/init/", "/etc/xdg/autostart/"})
        if (starts_with(path, dir)) return "init";
    if (base == "rc.local" || (starts_with(path, "/etc/rc") && path.find(".d/") != std::string_view::npos) ||
        path.find("/.config/systemd/") != std::string_view::npos ||
        path.find("/.config/autostart/") != std::string_view::npos)
        return "init";
    for (std::string_view f : {".bashrc", ".bash_profile", ".bash_login", ".bash_logout", ".profile", ".zshrc",
                               ".zprofile", ".cshrc", ".tcshrc", "bash.bashrc"})
        if (base == f) return "shell_profile";
    if (path == "/etc/profile" || starts_with(path, "/etc/profile.d/") || path == "/etc/environment" ||
        path == "/etc/ld.so.preload")
        return "shell_profile";
    return {};
}

bool is_subcommand(const Item& line, Micros prev_ts, const Item& cmd) {
    if (cmd.ts - prev_ts > 50000 || cmd.ts < prev_ts) return false;
    std::string_view first = cmd.a;
    while (!first.empty() && first.front() == ' ') first.remove_prefix(1);
    first = first.substr(0, first.find_first_of(" \t;|&)"));
    if (first.empty()) return false;
    const std::string_view l = line.a;
    for (std::size_t p = l.find(first); p != std::string_view::npos; p = l.find(first, p + 1)) {
        std::size_t q = p;
        while (q > 0 && (l[q - 1] == ' ' || l[q - 1] == '\'' || l[q - 1] == '"')) --q;
        if (q > 0 && (l[q - 1] == '(' || l[q - 1] == '`')) return true;
        if (q >= 2 && l.substr(q - 2, 2) == "-c") return true;
    }
    return false;
}

void SessionPartial::add(const Event& ev, StringPool& pool) {
    const Micros t = ev.ts;
    ++events;
    if (ev.late) ++late_events;
    first_ts = std::min(first_ts, t);
    last_ts = std::max(last_ts, t);
    if (!ev.late && ev.type != EventType::SessionClosed && ev.type != EventType::LogClosed)
        last_activity = std::max(last_activity, t);
    protocol.offer(t, ev.protocol, pool);
    src_ip.offer(t, ev.src_ip, pool);
    if (ev.type != EventType::TcpipRequest && ev.type != EventType::TcpipData) {
        // v3.0.6+ puts the forwarding target in dst_* on direct-tcpip events; skip those.
        dst_ip.offer(t, ev.dst_ip, pool);
        dst_port.offer(t, ev.dst_port);
        src_port.offer(t, ev.src_port);
    }
    auto push = [&](ItemKind kind, std::string_view a, std::string_view b = {}, std::string_view c = {},
                    std::int64_t num = -1, bool flag = false) {
        items.push_back(Item{t, num, kind, flag, pool.intern(a), pool.intern(b), pool.intern(c)});
    };
    switch (ev.type) {
        case EventType::SessionConnect:
            connect_ts = std::min(connect_ts, t);
            break;
        case EventType::SessionClosed:
            if (t > close_ts || (t == close_ts && ev.duration_us > close_duration_us)) {
                close_ts = t;
                close_duration_us = ev.duration_us;
            }
            break;
        case EventType::ClientVersion:
            client_version.offer(t, ev.version, pool);
            break;
        case EventType::ClientKex:
            hassh.offer(t, ev.hassh, pool);
            break;
        case EventType::ClientSize:
            term_width.offer(t, ev.width);
            term_height.offer(t, ev.height);
            break;
        case EventType::SessionParams:
            arch.offer(t, ev.arch, pool);
            ++channels;
            break;
        case EventType::ClientFingerprint:
            push(ItemKind::Login, ev.username, {}, ev.fingerprint, kKeyOffer, false);
            break;
        case EventType::LoginSuccess:
        case EventType::LoginFailed:
            push(ItemKind::Login, ev.username, ev.password, ev.fingerprint, -1, ev.type == EventType::LoginSuccess);
            break;
        case EventType::CommandInput:
            push(ItemKind::Command, ev.input);
            break;
        case EventType::CommandFailed:
            push(ItemKind::CommandFailed, ev.input);
            break;
        case EventType::FileDownload:
            if (!is_file_write(ev.url, ev.destfile.data() != nullptr))  // destfile "" is present (stdin)
                push(ItemKind::Download, ev.url, ev.shasum, ev.destfile.empty() ? ev.outfile : ev.destfile, -1,
                     ev.duplicate);
            else  // a redirect names its target in destfile; a stdin capture has destfile ""
                push(ItemKind::FileWrite, ev.destfile.data() ? ev.destfile : ev.url, ev.shasum, ev.outfile, ev.size,
                     ev.duplicate);
            break;
        case EventType::FileDownloadFailed:
            push(ItemKind::DownloadFailed, ev.url);
            break;
        case EventType::FileUpload:
            push(ItemKind::Upload, ev.filename, ev.shasum, ev.destfile.empty() ? ev.url : ev.destfile, -1,
                 ev.duplicate);
            break;
        case EventType::LogClosed:
            push(ItemKind::TtyLog, ev.ttylog, ev.shasum, {}, ev.size, ev.duplicate);
            break;
        case EventType::TcpipRequest:
            push(ItemKind::Tcpip, ev.dst_ip, ev.orig_ip, {}, ev.dst_port);
            break;
        case EventType::TcpipData:
            ++tcpip_data;
            break;
        default:
            break;
    }
}

void SessionPartial::merge(SessionPartial&& o) {
    protocol.merge(o.protocol);
    src_ip.merge(o.src_ip);
    dst_ip.merge(o.dst_ip);
    client_version.merge(o.client_version);
    hassh.merge(o.hassh);
    arch.merge(o.arch);
    src_port.merge(o.src_port);
    dst_port.merge(o.dst_port);
    term_width.merge(o.term_width);
    term_height.merge(o.term_height);
    first_ts = std::min(first_ts, o.first_ts);
    last_ts = std::max(last_ts, o.last_ts);
    last_activity = std::max(last_activity, o.last_activity);
    connect_ts = std::min(connect_ts, o.connect_ts);
    if (o.close_ts > close_ts || (o.close_ts == close_ts && o.close_duration_us > close_duration_us)) {
        close_ts = o.close_ts;
        close_duration_us = o.close_duration_us;
    }
    events += o.events;
    late_events += o.late_events;
    tcpip_data += o.tcpip_data;
    channels += o.channels;
    if (items.empty())
        items = std::move(o.items);
    else
        items.insert(items.end(), o.items.begin(), o.items.end());
}

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
        s.remove_prefix(1);
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n' || s.back() == ';'))
        s.remove_suffix(1);
    return s;
}

// "exit", "logout", "quit", or a line ending in "; exit" / "&& exit".
bool is_exit_command(std::string_view cmd) {
    cmd = trim(cmd);
    const auto sep = cmd.find_last_of(";&|\n");
    if (sep != std::string_view::npos) cmd = trim(cmd.substr(sep + 1));
    return cmd == "exit" || cmd.substr(0, 5) == "exit " || cmd == "logout" || cmd == "quit";
}

std::string_view infer_protocol(const SessionPartial& p) {
    if (!p.protocol.value.empty()) return p.protocol.value;
    if (!p.client_version.value.empty() || !p.hassh.value.empty()) return "ssh";
    switch (p.dst_port.value) {
        case 22:
        case 2222:
            return "ssh";
        case 23:
        case 2223:
            return "telnet";
        default:
            return {};
    }
}

// Telnet and pty sessions are shells. Over SSH without a pty, bots either open a channel per
// command (exec requests: several session.params or TTY logs) or feed lines to one shell
// channel. 1.x logs no session.params: two or more lines make a shell there. Lines are what
// the attacker sent: sub-commands Cowrie logs for `$( )` do not count.
Channel command_channel(const Session& s) {
    if (s.protocol == "telnet" || s.term_width >= 0) return Channel::Shell;
    std::uint32_t ttylogs = 0, lines = 0;
    SentLines sent;
    for (const Item& it : s.items) {
        ttylogs += it.kind == ItemKind::TtyLog;
        if (it.kind == ItemKind::Command) lines += sent.is_line(it);
    }
    if (std::max(s.channels, ttylogs) >= 2 || lines < 2) return Channel::Exec;
    return Channel::Shell;
}

// A key offer (cowrie.client.fingerprint) and the login event that gives its verdict (same
// username and fingerprint) are one attempt: the offer goes. Each verdict answers the earliest
// offer not answered yet (items are sorted by time; at the same microsecond the verdict sorts first).
void drop_answered_key_offers(std::vector<Item>& items) {
    std::vector<std::size_t> offers;
    for (std::size_t i = 0; i < items.size(); ++i)
        if (items[i].kind == ItemKind::Login && items[i].num == kKeyOffer) offers.push_back(i);
    if (offers.empty()) return;
    std::vector<bool> drop(items.size(), false);
    for (const Item& it : items) {
        if (it.kind != ItemKind::Login || it.c.empty() || it.num == kKeyOffer) continue;
        for (const std::size_t o : offers)
            if (!drop[o] && items[o].a == it.a && items[o].c == it.c) {
                drop[o] = true;
                break;
            }
    }
    std::size_t k = 0;
    for (std::size_t i = 0; i < items.size(); ++i)
        if (!drop[i]) items[k++] = items[i];
    items.resize(k);
}

}  // namespace

namespace {

// The connection's scalars, times and counters, as the partial settled them.
void take_scalars(const SessionPartial& p, Session& s) {
    s.sensor = p.key.sensor;
    s.session = p.key.session;
    s.protocol = infer_protocol(p);
    s.src_ip = p.src_ip.value;
    s.dst_ip = p.dst_ip.value;
    s.client_version = p.client_version.value;
    s.hassh = p.hassh.value;
    s.arch = p.arch.value;
    s.src_port = p.src_port.value;
    s.dst_port = p.dst_port.value;
    s.term_width = p.term_width.value;
    s.term_height = p.term_height.value;
    s.events = p.events;
    s.late_events = p.late_events;
    s.tcpip_data = p.tcpip_data;
    s.channels = p.channels;
    s.closed = p.close_ts != INT64_MIN;
    s.has_connect = p.connect_ts != INT64_MAX;
    s.start = session_start(p);
    s.end = s.closed ? p.close_ts : p.last_ts;
    s.duration_s = p.close_duration_us >= 0 ? static_cast<double>(p.close_duration_us) / 1e6
                                            : static_cast<double>(s.end - s.start) / 1e6;
}

// Logins and commands from the sorted items: counts, which commands failed, the last command.
// Returns whether a login succeeded.
bool count_logins_and_commands(Session& s) {
    std::size_t n_commands = 0;
    for (const Item& it : s.items) n_commands += it.kind == ItemKind::Command;
    s.cmd_failed.reserve(n_commands);
    bool logged_in = false;
    std::ptrdiff_t last_cmd = -1;
    for (const Item& it : s.items) {
        switch (it.kind) {
            case ItemKind::Login:
                ++s.login_attempts;
                if (it.flag) {
                    ++s.login_successes;
                    logged_in = true;
                }
                break;
            case ItemKind::Command:
                s.cmd_failed.push_back(0);
                last_cmd = static_cast<std::ptrdiff_t>(s.cmd_failed.size()) - 1;
                s.last_command = it.a;
                s.last_command_ts = it.ts;
                break;
            case ItemKind::CommandFailed:
                if (last_cmd >= 0 && !s.cmd_failed[static_cast<std::size_t>(last_cmd)]) {
                    s.cmd_failed[static_cast<std::size_t>(last_cmd)] = 1;
                    ++s.failed_commands;
                }
                break;
            default:
                break;
        }
    }
    s.commands = static_cast<std::uint32_t>(s.cmd_failed.size());
    return logged_in;
}

// How a closed session ended: a server timeout (closed after about the timeout of silence),
// the attacker's exit, or a disconnect.
EndKind closed_end_kind(const SessionPartial& p, const Session& s, const SessionOptions& opt, bool logged_in) {
    const Micros last = p.last_activity == INT64_MIN ? s.start : p.last_activity;
    const double gap = static_cast<double>(p.close_ts - last) / 1e6;
    const double limit = logged_in ? opt.idle_timeout_s : opt.auth_timeout_s;
    if (gap >= 0.95 * limit) return EndKind::Timeout;
    if ((s.commands > 0 && is_exit_command(s.last_command)) || s.channel == Channel::Exec) return EndKind::Exit;
    return EndKind::Disconnect;
}

}  // namespace

Session finalize(SessionPartial&& p, const SessionOptions& opt) {
    Session s;
    take_scalars(p, s);
    s.items = std::move(p.items);
    std::sort(s.items.begin(), s.items.end(), item_less);
    drop_answered_key_offers(s.items);
    const bool logged_in = count_logins_and_commands(s);
    if (s.commands > 0) {
        s.channel = command_channel(s);
        s.secs_after_last_command = static_cast<double>(s.end - s.last_command_ts) / 1e6;
    }
    if (s.closed) s.end_kind = closed_end_kind(p, s, opt, logged_in);
    return s;
}

bool session_left(const Session& s) {
    return s.channel == Channel::Shell && (s.end_kind == EndKind::Exit || s.end_kind == EndKind::Disconnect) &&
           s.secs_after_last_command <= kLeaveWithinSeconds;
}

Micros session_start(const SessionPartial& p) { return p.connect_ts != INT64_MAX ? p.connect_ts : p.first_ts; }

void merge_into_shards(std::vector<SessionMap>& shards, SessionPartial&& p) {
    SessionMap& shard = shards[shard_of(p.key, shards.size())];
    auto [it, inserted] = shard.try_emplace(p.key, std::move(p));
    if (!inserted) it->second.merge(std::move(p));
}

std::array<std::string_view*, 13> string_fields(Session& s) {
    return {&s.sensor, &s.session,      &s.protocol,  &s.src_ip, &s.dst_ip,  &s.client_version, &s.hassh,
            &s.arch,   &s.last_command, &s.last_step, &s.attack, &s.country, &s.as_org};
}

SessionRefs session_refs(const std::vector<Session>& chunk) {
    SessionRefs refs;
    refs.reserve(chunk.size());
    for (const Session& s : chunk) refs.push_back(&s);
    return refs;
}

std::uint64_t session_key_hash(std::string_view sensor, std::string_view session) {
    return stable_hash64(session, stable_hash64(sensor) ^ sensor.size());
}

Session copy_session(const Session& s, StringPool& pool) {
    Session c = s;
    for (std::string_view* v : string_fields(c)) *v = pool.intern(*v);
    for (Item& it : c.items)
        for (std::string_view* v : {&it.a, &it.b, &it.c}) *v = pool.intern(*v);
    return c;
}

std::uint64_t sessions_in(const DayRuns& runs) {
    std::uint64_t n = 0;
    for (const auto& r : runs) n += r.second;
    return n;
}

std::uint64_t sessions_before(const DayRuns& runs, std::int64_t day) {
    std::uint64_t n = 0;
    for (const auto& r : runs) {
        if (r.first >= day) break;
        n += r.second;
    }
    return n;
}

DayRuns first_sessions(const DayRuns& runs, std::uint64_t n) {
    DayRuns out;
    for (const auto& [day, count] : runs) {
        if (n == 0) break;
        out.emplace_back(day, std::min(count, n));
        n -= out.back().second;
    }
    return out;
}

bool session_less(const Session& a, const Session& b) {
    return std::tie(a.start, a.sensor, a.session) < std::tie(b.start, b.sensor, b.session);
}

}  // namespace cb
