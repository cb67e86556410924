// Where attacks come from, offline (issue 15): the country and autonomous system of each session's
// source address, from MaxMind DB files (`--geoip FILE`, repeatable: MaxMind GeoLite2/GeoIP2 or
// DB-IP, Country, City and ASN layouts) read with libmaxminddb. No network: an address never
// leaves the machine. Sessions get country, asn and as_org (Session fields); the sources_geo
// analysis counts them (tables/sources_by_country.csv, sources_by_asn.csv).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cb/analysis/compact_state.hpp"
#include "cb/session/session.hpp"
#include "cb/util/string_pool.hpp"

namespace cb {

class GeoIp {
public:
    // What the databases say about one address; empty country/as_org and asn -1 when nothing.
    struct Answer {
        std::string country;  // ISO 3166-1 alpha-2: country.iso_code, registered_country.iso_code, country_code
        std::int64_t asn = -1;
        std::string as_org;
    };
    struct Database {
        std::string path, type;  // type: the file's database_type ("GeoLite2-ASN", "DBIP-Country-Lite")
        std::uint64_t build_epoch = 0;
    };

    ~GeoIp();
    GeoIp(const GeoIp&) = delete;
    GeoIp& operator=(const GeoIp&) = delete;

    // Opens every file; null with *error naming the file and the reason when one cannot be read
    // or is no MaxMind DB.
    static std::shared_ptr<const GeoIp> open(const std::vector<std::string>& paths, std::string* error);

    // Each field comes from the first database (in the order given) that has it. Thread-safe.
    Answer lookup(std::string_view address) const;
    const std::vector<Database>& databases() const { return dbs_; }
    // "type@epoch" of each database, joined by ';': the same files on another machine give the same.
    std::string fingerprint() const;

private:
    GeoIp() = default;
    struct Handle;
    std::vector<std::unique_ptr<Handle>> handles_;
    std::vector<Database> dbs_;
};

// Sets country, asn and as_org of every session from its src_ip, on up to `threads` threads (each
// address looked up once per thread); the texts go into new pools appended to `pools`.
void assign_geo(std::vector<Session>& sessions, const GeoIp& geo, unsigned threads, std::vector<StringPool>& pools);

// The same for one session at a time, with a cache of answers by address; the texts go into
// `pool`, which must outlive the sessions. One per thread.
class GeoMatcher {
public:
    GeoMatcher(const GeoIp& geo, StringPool& pool) : geo_(geo), pool_(pool) {}
    void assign(Session& s);

private:
    const GeoIp& geo_;
    StringPool& pool_;
    struct Cached {
        std::string_view country, as_org;
        std::int64_t asn = -1;
    };
    std::unordered_map<std::string, Cached, SvHash, SvEq> cache_;  // by address; strings in the caller's pool
};

}  // namespace cb
