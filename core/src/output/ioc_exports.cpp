// iocs/: the indicators of the iocs analysis (Findings::iocs) as CSV, as a STIX 2.1 bundle and as a
// MISP event (docs/OUTPUTS.md, "iocs/"). Every id is a name-based UUID (version 5) of what the
// object stands for (an indicator: its type, value and first sighting; the bundle and the event:
// all their indicators and counts) and every time comes from the logs, so the same input gives
// the same bytes.
#include <map>
#include <set>

#include "cb/analysis/attack.hpp"
#include "cb/output/outputs.hpp"
#include "cb/util/address.hpp"
#include "cb/util/json_writer.hpp"
#include "cb/util/sha256.hpp"
#include "cb/util/time.hpp"

namespace cb {

namespace {

// The namespace of every id cowrie-batch gives a STIX or MISP object (a random v4 UUID, fixed).
constexpr unsigned char kNamespace[16] = {0x6b, 0x3f, 0x2c, 0x91, 0x0e, 0x4d, 0x4a, 0x7b,
                                          0x9c, 0x1e, 0x53, 0x20, 0xa8, 0x77, 0x61, 0x05};

// "type--uuid", the uuid named by "type|name".
std::string stix_id_of(std::string_view type, const std::string& named) {
    std::string id;
    id.reserve(type.size() + 2 + 36);
    id.append(type).append("--").append(uuid_v5(kNamespace, named));
    return id;
}
std::string stix_id(std::string_view type, std::string_view name) {
    thread_local std::string named;
    named.assign(type).append("|").append(name);
    return stix_id_of(type, named);
}
// The same named by "type|name|part", without joining name and part first (a bundle names
// tens of thousands of sightings and relationships).
std::string stix_id(std::string_view type, std::string_view name, std::string_view part) {
    thread_local std::string named;
    named.assign(type).append("|").append(name).append("|").append(part);
    return stix_id_of(type, named);
}

// STIX timestamps: UTC with millisecond precision, formatted without allocating (a bundle has
// four in each of its tens of thousands of sightings).
struct StixTime {
    char text[kTimestampBufSize];
    std::size_t size;
    operator std::string_view() const { return {text, size}; }
};
StixTime stix_time(Micros t) {
    StixTime s{};
    s.size = format_timestamp(t, s.text);  // 2024-04-01T10:00:00.123456Z
    if (s.size == 27) {
        s.text[23] = 'Z';
        s.size = 24;
    }
    return s;
}

// A STIX pattern string literal's contents.
std::string pattern_text(std::string_view v) {
    std::string o;
    for (char c : v) {
        if (c == '\\' || c == '\'') o.push_back('\\');
        o.push_back(c);
    }
    return o;
}

// host and port of a forward_target value ("host:port", "[v6]:port").
std::pair<std::string, std::string> host_port(std::string_view v) {
    const std::size_t colon = v.rfind(':');
    std::string_view host = v.substr(0, colon);
    if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
    return {std::string(host), std::string(v.substr(colon + 1))};
}

std::string address_type(std::string_view a) { return address_family(a) == 6 ? "ipv6-addr" : "ipv4-addr"; }

std::string stix_pattern(const IocRow& r) {
    if (r.type == "url") return "[url:value = '" + pattern_text(r.value) + "']";
    if (r.type == "sha256") return "[file:hashes.'SHA-256' = '" + r.value + "']";
    if (r.type == "src_ip") return "[" + address_type(r.value) + ":value = '" + r.value + "']";
    const auto [host, port] = host_port(r.value);
    const std::string ref = address_family(host) ? address_type(host) : "domain-name";
    return "[network-traffic:dst_ref.type = '" + ref + "' AND network-traffic:dst_ref.value = '" + pattern_text(host) +
           "' AND network-traffic:dst_port = " + port + "]";
}

std::string sensor_name(const std::string& s) { return s.empty() ? "(none)" : s; }

std::string description(const IocRow& r) {
    std::string d = std::to_string(r.sessions) + " sessions from " + std::to_string(r.src_ips) + " source addresses";
    if (!r.campaigns.empty()) d += "; campaigns: " + join(r.campaigns, ", ");
    if (!r.techniques.empty()) d += "; ATT&CK: " + join(r.techniques, ", ");
    return d;
}

// The common head of a STIX domain or relationship object.
void stix_head(JsonWriter& w, std::string_view type, const std::string& id, const std::string& producer, Micros created,
               Micros modified) {
    w.field("type", type).field("spec_version", "2.1").field("id", id);
    if (!producer.empty()) w.field("created_by_ref", producer);
    w.field("created", stix_time(created)).field("modified", stix_time(modified));
}

void attack_pattern(JsonWriter& w, const AttackTechnique& t, const std::string& id, const std::string& producer,
                    Micros t0) {
    w.begin_object();
    stix_head(w, "attack-pattern", id, producer, t0, t0);
    w.field("name", t.name);
    std::string path = t.id;
    if (const std::size_t dot = path.find('.'); dot != std::string::npos) path[dot] = '/';
    w.key("external_references").begin_array().begin_object();
    w.field("source_name", "mitre-attack").field("external_id", t.id);
    w.field("url", "https://attack.mitre.org/techniques/" + path + "/");
    w.end_object().end_array();
    w.key("kill_chain_phases").begin_array();
    for (const auto& tactic : t.tactics)
        w.begin_object().field("kill_chain_name", "mitre-attack").field("phase_name", tactic).end_object();
    w.end_array();
    w.end_object();
}

void indicator(JsonWriter& w, const IocRow& r, const std::string& id, const std::string& producer) {
    w.begin_object();
    stix_head(w, "indicator", id, producer, r.first, r.last);
    w.field("name", r.type + ": " + r.value);
    w.field("description", description(r));
    w.key("indicator_types").begin_array().value("malicious-activity").end_array();
    w.field("pattern", stix_pattern(r)).field("pattern_type", "stix").field("pattern_version", "2.1");
    w.field("valid_from", stix_time(r.first));
    w.end_object();
}

// What an indicator's objects are named by: its type, value and first sighting. STIX keeps
// `created` fixed for an id, so an older log that moves the first sighting makes a new object.
std::string indicator_key(const IocRow& r) { return r.type + "|" + r.value + "|" + std::to_string(r.first); }

// What an export is named by (the bundle, the MISP event): every indicator with its counts.
std::string export_key(const std::vector<IocRow>& rows, Micros t0) {
    std::string k = std::to_string(t0);
    for (const auto& r : rows)
        k += "\n" + indicator_key(r) + "|" + std::to_string(r.last) + "|" + std::to_string(r.sessions);
    return k;
}

Micros earliest(const std::vector<IocRow>& rows, Micros fallback) {
    Micros t = INT64_MAX;
    for (const auto& r : rows) t = std::min(t, r.first);
    return t == INT64_MAX ? fallback : t;
}

}  // namespace

std::string iocs_csv(const std::vector<IocRow>& rows) {
    Table t{"iocs", "", {}, {}};
    for (const char* c :
         {"type", "value", "first_seen", "last_seen", "sessions", "src_ips", "sensors", "campaigns", "techniques"})
        t.columns.push_back({c, ColumnType::Text, ""});
    for (const auto& r : rows) {
        std::vector<std::string> sensors;
        for (const auto& s : r.sensors) sensors.push_back(sensor_name(s.sensor));
        t.rows.push_back({r.type, r.value, format_timestamp(r.first), format_timestamp(r.last),
                          static_cast<std::int64_t>(r.sessions), static_cast<std::int64_t>(r.src_ips),
                          join(sensors, ";"), join(r.campaigns, ";"), join(r.techniques, ";")});
    }
    return to_csv(t);
}

std::string iocs_stix2_json(const std::vector<IocRow>& rows, const AttackRules& rules, Micros run_start) {
    const Micros t0 = earliest(rows, run_start == INT64_MAX ? 0 : run_start);
    const std::string producer = stix_id("identity", "cowrie-batch");
    // the ids of the sensors' identities and of the techniques' attack patterns, made once: the
    // indicators' sightings and relationships name them again and again
    std::map<std::string, std::string> sensors, techniques;
    for (const auto& r : rows) {
        for (const auto& s : r.sensors)
            if (!sensors.count(s.sensor)) sensors.emplace(s.sensor, stix_id("identity", "sensor|" + s.sensor));
        for (const auto& t : r.techniques)
            if (!techniques.count(t) && rules.find(t)) techniques.emplace(t, stix_id("attack-pattern", t));
    }
    std::string out;
    JsonWriter w(out);
    w.begin_object().field("type", "bundle");
    w.field("id", stix_id("bundle", export_key(rows, t0)));
    w.key("objects").begin_array();
    w.begin_object();
    stix_head(w, "identity", producer, "", t0, t0);
    w.field("name", "cowrie-batch").field("identity_class", "system").end_object();
    for (const auto& [s, id] : sensors) {
        w.begin_object();
        stix_head(w, "identity", id, producer, t0, t0);
        w.field("name", sensor_name(s)).field("description", "Cowrie honeypot sensor");
        w.field("identity_class", "system").end_object();
    }
    for (const auto& [t, id] : techniques) attack_pattern(w, *rules.find(t), id, producer, t0);
    for (const auto& r : rows) {
        const std::string key = indicator_key(r), id = stix_id("indicator", key);
        indicator(w, r, id, producer);
        for (const auto& s : r.sensors) {
            w.begin_object();
            stix_head(w, "sighting", stix_id("sighting", key, s.sensor), producer, s.first, s.last);
            w.field("first_seen", stix_time(s.first)).field("last_seen", stix_time(s.last));
            w.field("count", std::min<std::uint64_t>(s.sessions, 999999999));
            w.field("sighting_of_ref", id);
            w.key("where_sighted_refs").begin_array().value(sensors.at(s.sensor)).end_array();
            w.end_object();
        }
        for (const auto& t : r.techniques) {
            const auto pattern = techniques.find(t);
            if (pattern == techniques.end()) continue;
            w.begin_object();
            stix_head(w, "relationship", stix_id("relationship", key, t), producer, r.first, r.last);
            w.field("relationship_type", "indicates").field("source_ref", id);
            w.field("target_ref", pattern->second).end_object();
        }
    }
    w.end_array().end_object();
    out.push_back('\n');
    return out;
}

std::string iocs_misp_json(const std::vector<IocRow>& rows, const AttackRules& rules, Micros run_start,
                           Micros run_end) {
    const Micros t0 = earliest(rows, run_start == INT64_MAX ? 0 : run_start);
    Micros t1 = run_end == INT64_MIN ? t0 : run_end;
    for (const auto& r : rows) t1 = std::max(t1, r.last);
    std::set<std::string> sensors, techniques;
    for (const auto& r : rows) {
        for (const auto& s : r.sensors) sensors.insert(sensor_name(s.sensor));
        techniques.insert(r.techniques.begin(), r.techniques.end());
    }
    auto epoch = [](Micros t) { return std::to_string(t / 1000000); };
    std::string out;
    JsonWriter w(out);
    w.begin_object().key("Event").begin_object();
    w.field("uuid", uuid_v5(kNamespace, "misp-event|" + export_key(rows, t0)));
    w.field("info", "cowrie-batch: indicators from " + std::to_string(sensors.size()) + " Cowrie honeypot sensors, " +
                        format_timestamp(t0) + " .. " + format_timestamp(t1));
    w.field("date", format_day(t1)).field("timestamp", epoch(t1));
    w.field("threat_level_id", "3").field("analysis", "2").field("distribution", "0").field("published", false);
    w.key("Attribute").begin_array();
    for (const auto& r : rows) {
        std::string type = r.type, category = "Network activity", value = r.value;
        if (r.type == "sha256") {
            category = "Payload delivery";
        } else if (r.type == "src_ip") {
            type = "ip-src";
        } else if (r.type == "forward_target" || r.type == "c2") {
            const auto [host, port] = host_port(r.value);
            type = address_family(host) ? "ip-dst|port" : "hostname|port";
            value = host + "|" + port;
        }
        w.begin_object();
        w.field("uuid", uuid_v5(kNamespace, "misp-attribute|" + indicator_key(r)));
        w.field("type", type).field("category", category).field("value", value).field("to_ids", true);
        w.field("distribution", "5").field("comment", description(r));
        w.field("first_seen", format_timestamp(r.first)).field("last_seen", format_timestamp(r.last));
        w.field("timestamp", epoch(r.last));
        w.key("Sighting").begin_array();
        for (const auto& s : r.sensors)
            w.begin_object()
                .field("type", "0")
                .field("source", sensor_name(s.sensor))
                .field("date_sighting", epoch(s.last))
                .end_object();
        w.end_array();
        w.end_object();
    }
    w.end_array();
    w.key("Tag").begin_array();
    for (const auto& t : techniques)
        if (const AttackTechnique* a = rules.find(t))
            w.begin_object()
                .field("name", "misp-galaxy:mitre-attack-pattern=\"" + a->name + " - " + t + "\"")
                .end_object();
    w.end_array();
    w.end_object().end_object();
    out.push_back('\n');
    return out;
}

}  // namespace cb
