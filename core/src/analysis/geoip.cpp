// GeoIP/ASN lookups (geoip.hpp) with libmaxminddb (Debian's libmaxminddb-dev): the files are
// memory-mapped, and lookups on an open database are thread-safe.
#include "cb/analysis/geoip.hpp"

#include <maxminddb.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "cb/util/parallel.hpp"

namespace cb {

struct GeoIp::Handle {
    MMDB_s db{};
    bool open = false;
    ~Handle() {
        if (open) MMDB_close(&db);
    }
};

GeoIp::~GeoIp() = default;

std::shared_ptr<const GeoIp> GeoIp::open(const std::vector<std::string>& paths, std::string* error) {
    std::shared_ptr<GeoIp> geo(new GeoIp());
    for (const std::string& path : paths) {
        auto h = std::make_unique<Handle>();
        errno = 0;
        const int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &h->db);
        if (status != MMDB_SUCCESS) {
            const bool os_error = (status == MMDB_IO_ERROR || status == MMDB_FILE_OPEN_ERROR) && errno != 0;
            *error = "cannot read the GeoIP database " + path + ": " +
                     (os_error ? std::string(std::strerror(errno)) : std::string(MMDB_strerror(status)));
            return nullptr;
        }
        h->open = true;
        const auto& meta = h->db.metadata;
        geo->dbs_.push_back({path, meta.database_type ? meta.database_type : "", meta.build_epoch});
        geo->handles_.push_back(std::move(h));
    }
    return geo;
}

std::string GeoIp::fingerprint() const {
    std::string f;
    for (const auto& d : dbs_) {
        if (!f.empty()) f.push_back(';');
        f += d.type + "@" + std::to_string(d.build_epoch);
    }
    return f;
}

namespace {

// The entry's string at path (a null-terminated list of keys), or "".
std::string string_at(MMDB_entry_s* entry, const char* const* path) {
    MMDB_entry_data_s data{};
    if (MMDB_aget_value(entry, &data, path) != MMDB_SUCCESS || !data.has_data ||
        data.type != MMDB_DATA_TYPE_UTF8_STRING)
        return {};
    return std::string(data.utf8_string, data.data_size);
}

std::int64_t number_at(MMDB_entry_s* entry, const char* const* path) {
    MMDB_entry_data_s data{};
    if (MMDB_aget_value(entry, &data, path) != MMDB_SUCCESS || !data.has_data) return -1;
    switch (data.type) {
        case MMDB_DATA_TYPE_UINT16:
            return data.uint16;
        case MMDB_DATA_TYPE_UINT32:
            return data.uint32;
        case MMDB_DATA_TYPE_INT32:
            return data.int32;
        case MMDB_DATA_TYPE_UINT64:
            return static_cast<std::int64_t>(std::min<std::uint64_t>(data.uint64, INT64_MAX));
        default:
            return -1;
    }
}

}  // namespace

GeoIp::Answer GeoIp::lookup(std::string_view address) const {
    Answer a;
    if (address.empty() || address.size() > 64) return a;
    const std::string ip(address);
    static const char* const kCountry[] = {"country", "iso_code", nullptr};
    static const char* const kRegistered[] = {"registered_country", "iso_code", nullptr};
    static const char* const kCountryCode[] = {"country_code", nullptr};  // ip-location-db's layout
    static const char* const kAsn[] = {"autonomous_system_number", nullptr};
    static const char* const kAsOrg[] = {"autonomous_system_organization", nullptr};
    for (const auto& h : handles_) {
        int gai_error = 0, mmdb_error = 0;
        MMDB_lookup_result_s r = MMDB_lookup_string(&h->db, ip.c_str(), &gai_error, &mmdb_error);
        if (gai_error != 0) return a;  // not an address (Cowrie logs them as given)
        if (mmdb_error != MMDB_SUCCESS || !r.found_entry) continue;
        if (a.country.empty()) a.country = string_at(&r.entry, kCountry);
        if (a.country.empty()) a.country = string_at(&r.entry, kRegistered);
        if (a.country.empty()) a.country = string_at(&r.entry, kCountryCode);
        if (a.asn < 0) a.asn = number_at(&r.entry, kAsn);
        if (a.as_org.empty()) a.as_org = string_at(&r.entry, kAsOrg);
    }
    return a;
}

void GeoMatcher::assign(Session& s) {
    constexpr std::size_t kMaxCached = 1 << 16;
    auto it = cache_.find(s.src_ip);
    if (it == cache_.end()) {
        if (cache_.size() >= kMaxCached) cache_.clear();
        const GeoIp::Answer a = geo_.lookup(s.src_ip);
        it =
            cache_.emplace(std::string(s.src_ip), Cached{pool_.intern(a.country), pool_.intern(a.as_org), a.asn}).first;
    }
    s.country = it->second.country;
    s.as_org = it->second.as_org;
    s.asn = it->second.asn;
    s.geo = true;
}

void assign_geo(std::vector<Session>& sessions, const GeoIp& geo, unsigned threads, std::vector<StringPool>& pools) {
    const std::size_t first = pools.size();
    pools.resize(first + std::max(1u, worker_threads(threads)));
    for_slices(sessions.size(), worker_threads(threads), [&](unsigned w, std::size_t lo, std::size_t hi) {
        GeoMatcher m(geo, pools[first + w]);
        for (std::size_t i = lo; i < hi; ++i) m.assign(sessions[i]);
    });
}

}  // namespace cb
