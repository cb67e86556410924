// Binary encoding of SessionPartial, for partials that cross process boundaries.
#include "cb/session/session.hpp"
#include "cb/util/archive.hpp"

namespace cb {

namespace {

constexpr std::uint8_t kVersion = 2;  // 2: channels

void put_sv(OutArchive& ar, std::string_view s) { ar(s); }

bool get_sv(InArchive& ar, StringPool& pool, std::string_view* out, Strings strings) {
    std::string_view s;
    ar(s);
    if (ar.failed()) return false;
    *out = strings == Strings::Interned ? pool.intern(s) : pool.store(s);
    return true;
}

void put_tagged(OutArchive& ar, const Tagged& t) {
    ar(t.ts);
    put_sv(ar, t.value);
}
bool get_tagged(InArchive& ar, StringPool& pool, Tagged* t, Strings strings) {
    ar(t->ts);
    return get_sv(ar, pool, &t->value, strings);
}

}  // namespace

void encode_partial(const SessionPartial& p, std::string& out) {
    OutArchive ar(out);
    ar(kVersion);
    put_sv(ar, p.key.sensor);
    put_sv(ar, p.key.session);
    for (const Tagged* t : {&p.protocol, &p.src_ip, &p.dst_ip, &p.client_version, &p.hassh, &p.arch})
        put_tagged(ar, *t);
    for (const TaggedInt* t : {&p.src_port, &p.dst_port, &p.term_width, &p.term_height}) ar(t->ts, t->value);
    ar(p.first_ts, p.last_ts, p.last_activity, p.connect_ts, p.close_ts, p.close_duration_us, p.events, p.late_events,
       p.tcpip_data, p.channels);
    ar.varint(p.items.size());
    for (const Item& it : p.items) {
        ar(it.ts, it.num, it.kind, it.flag);
        put_sv(ar, it.a);
        put_sv(ar, it.b);
        put_sv(ar, it.c);
    }
}

bool decode_partial(std::string_view in, StringPool& pool, SessionPartial* p, Strings strings) {
    InArchive ar(in);
    std::uint8_t version = 0;
    ar(version);
    if (version != kVersion) return false;
    if (!get_sv(ar, pool, &p->key.sensor, strings) || !get_sv(ar, pool, &p->key.session, Strings::Copied)) return false;
    for (Tagged* t : {&p->protocol, &p->src_ip, &p->dst_ip, &p->client_version, &p->hassh, &p->arch})
        if (!get_tagged(ar, pool, t, strings)) return false;
    for (TaggedInt* t : {&p->src_port, &p->dst_port, &p->term_width, &p->term_height}) ar(t->ts, t->value);
    ar(p->first_ts, p->last_ts, p->last_activity, p->connect_ts, p->close_ts, p->close_duration_us, p->events,
       p->late_events, p->tcpip_data, p->channels);
    const std::uint64_t n = ar.varint();
    if (ar.failed() || n > in.size()) return false;
    p->items.clear();
    p->items.reserve(n);
    for (std::uint64_t i = 0; i < n; ++i) {
        Item it;
        ar(it.ts, it.num, it.kind, it.flag);
        if (!get_sv(ar, pool, &it.a, strings) || !get_sv(ar, pool, &it.b, strings) || !get_sv(ar, pool, &it.c, strings))
            return false;
        if (static_cast<unsigned>(it.kind) > static_cast<unsigned>(kLastItemKind)) return false;
        p->items.push_back(it);
    }
    return ar.ok();
}

}  // namespace cb
