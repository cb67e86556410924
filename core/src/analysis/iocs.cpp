// Indicators to share (iocs/: iocs.csv, stix2.json, misp.json, written by output/ioc_exports.cpp):
// download URLs, SHA-256 of downloaded, uploaded and written files, source addresses that logged
// in, forwarding targets and c2 targets (/dev/tcp/HOST/PORT in a command line), each with when, how often, from where
// and by which campaigns. Private and loopback addresses are never indicators (util/address.hpp): not as a source, not
// as a URL's host, not as a forwarding target.
#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "cb/parse/command_template.hpp"
#include "cb/util/address.hpp"
#include "factories.hpp"

namespace cb::analyses {

namespace {

struct SensorStat {
    std::uint64_t sessions = 0;
    Micros first = INT64_MAX, last = INT64_MIN;
    template <class Ar>
    void io(Ar& ar) {
        ar(sessions, first, last);
    }
    void add(Micros t0, Micros t1) {
        ++sessions;
        first = std::min(first, t0);
        last = std::max(last, t1);
    }
    void merge(const SensorStat& o) {
        sessions += o.sessions;
        first = std::min(first, o.first);
        last = std::max(last, o.last);
    }
};

struct IocStat {
    std::uint64_t sessions = 0;
    Micros first = INT64_MAX, last = INT64_MIN;
    std::set<std::string, std::less<>> src_ips, techniques;
    std::map<std::string, SensorStat, std::less<>> sensors;
    std::set<std::uint64_t> template_sets;  // stable_hash64 of the sessions' campaign keys
    template <class Ar>
    void io(Ar& ar) {
        ar(sessions, first, last, src_ips, techniques, sensors, template_sets);
    }
    void merge(IocStat& o) {
        sessions += o.sessions;
        first = std::min(first, o.first);
        last = std::max(last, o.last);
        src_ips.merge(o.src_ips);
        techniques.merge(o.techniques);
        for (auto& [k, v] : o.sensors) sensors[k].merge(v);
        template_sets.merge(o.template_sets);
    }
};

bool is_sha256(std::string_view v) {
    return v.size() == 64 &&
           std::all_of(v.begin(), v.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// The host of a URL with a scheme ("http://user@host:port/x" -> "host"; "[v6]" -> "v6").
std::string_view url_host(std::string_view url) {
    const std::size_t scheme = url.find("://");
    if (scheme == std::string_view::npos) return {};
    std::string_view rest = url.substr(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
    if (rest.starts_with('[')) return rest.substr(1, rest.find(']') - 1);
    return rest.substr(0, rest.find(':'));
}

// "host:port" ("[v6]:port") of a connection target, with the host in canonical form, or "" for a
// target that is not to be shared (private, loopback, localhost) or names no host, or a port
// outside 1-65535.
std::string target(std::string_view raw_host, std::int64_t port) {
    const std::string host = canonical_host(raw_host);
    if (port < 1 || port > 65535 || !is_host_name(host) || !is_shareable_host(host)) return {};
    return (address_family(host) == 6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// Where a command line tells the shell to connect: bash's /dev/tcp/HOST/PORT and /dev/udp/HOST/PORT
// (reverse shells, `exec 6<>/dev/tcp/...` downloaders), as c2 targets.
void c2_targets(std::string_view line, std::set<std::pair<std::string, std::string>>& keys) {
    for (std::string_view dev : {"/dev/tcp/", "/dev/udp/"})
        for (std::size_t p = line.find(dev); p != std::string_view::npos; p = line.find(dev, p + 1)) {
            const std::string_view rest = line.substr(p + dev.size());
            const std::size_t slash = rest.find('/');
            if (slash == 0 || slash == std::string_view::npos || slash > 253) continue;
            const std::string_view host = rest.substr(0, slash);
            std::size_t n = slash + 1;
            while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
            const std::string_view digits = rest.substr(slash + 1, n - slash - 1);
            if (digits.empty() || digits.size() > 5) continue;  // no port, or none a shell would take
            if (std::string t = target(host, std::stol(std::string(digits))); !t.empty())
                keys.emplace("c2", std::move(t));
        }
}

class Iocs : public ArchivedAnalysis<Iocs> {
public:
    template <class Ar>
    void io(Ar& ar) {
        ar(by_key_);
    }
    std::string_view name() const override { return "iocs"; }

    void add(const SessionFacts& f) override {
        const Session& s = *f.s;
        keys_.clear();
        if (s.login_successes > 0 && is_shareable_address(s.src_ip)) keys_.emplace("src_ip", std::string(s.src_ip));
        for (const Item& it : s.items) switch (it.kind) {
                case ItemKind::Download:
                case ItemKind::DownloadFailed:
                    if (!it.a.empty() && is_host_name(canonical_host(url_host(it.a))) &&
                        is_shareable_host(url_host(it.a)))
                        keys_.emplace("url", std::string(it.a));
                    [[fallthrough]];
                case ItemKind::Upload:
                case ItemKind::FileWrite:
                    if (it.kind != ItemKind::DownloadFailed && is_sha256(it.b))
                        keys_.emplace("sha256", std::string(it.b));
                    break;
                case ItemKind::Tcpip:
                    if (std::string t = target(it.a, it.num); !t.empty()) keys_.emplace("forward_target", std::move(t));
                    break;
                case ItemKind::Command:
                    c2_targets(it.a, keys_);
                    break;
                default:
                    break;
            }
        if (keys_.empty()) return;
        const std::uint64_t set = f.commands.empty() ? 0 : stable_hash64(template_set_key(f));
        const Micros end = s.end == kNoTime ? s.start : s.end;
        for (const auto& k : keys_) {
            IocStat& st = by_key_[k];
            ++st.sessions;
            st.first = std::min(st.first, s.start);
            st.last = std::max(st.last, end);
            if (!s.src_ip.empty()) insert_absent(st.src_ips, s.src_ip);
            st.sensors[std::string(s.sensor)].add(s.start, end);
            if (set) st.template_sets.insert(set);
            for_each_attack_id(s.attack, [&](std::string_view id) { insert_absent(st.techniques, id); });
        }
    }

    void merge(Analysis&& other) override {
        for (auto& [k, v] : static_cast<Iocs&>(other).by_key_) by_key_[k].merge(v);
    }

    // Runs after campaigns (make_analyses() order): their ids come from Findings::campaign_of_set.
    void finish(const AnalysisConfig&, Findings& out) override {
        std::unordered_map<std::uint64_t, std::string> campaign;
        for (const auto& [key, id] : out.campaign_of_set) campaign.emplace(stable_hash64(key), id);
        std::vector<IocRow> rows;
        for (auto& [k, st] : by_key_) {
            IocRow r{k.first, k.second, st.first, st.last, st.sessions, st.src_ips.size(), {}, {}, {}};
            for (const auto& [sensor, ss] : st.sensors) r.sensors.push_back({sensor, ss.sessions, ss.first, ss.last});
            std::set<std::string> camps;
            for (std::uint64_t h : st.template_sets)
                if (auto it = campaign.find(h); it != campaign.end()) camps.insert(it->second);
            r.campaigns.assign(camps.begin(), camps.end());
            r.techniques.assign(st.techniques.begin(), st.techniques.end());
            rows.push_back(std::move(r));
        }
        // By type, then most sessions, then value (by_key_ is in (type, value) order already).
        std::stable_sort(rows.begin(), rows.end(), [](const IocRow& a, const IocRow& b) {
            return a.type != b.type ? a.type < b.type : a.sessions > b.sessions;
        });
        out.iocs = std::move(rows);
    }

private:
    std::map<std::pair<std::string, std::string>, IocStat> by_key_;  // (type, value)
    std::set<std::pair<std::string, std::string>> keys_;             // one session's, counted once each
};

}  // namespace

std::unique_ptr<Analysis> make_iocs() { return std::make_unique<Iocs>(); }

}  // namespace cb::analyses
