// The counts behind three basic tables (source_tables.cpp): per source address (src_ips), per
// port-forwarding target (forwarding) and per sensor and UTC hour (sensors_hourly). Private to
// core/src/analysis: BasicTableBuilder (basic_tables.hpp) feeds it.
#pragma once

#include <memory>
#include <vector>

#include "cb/analysis/table.hpp"
#include "cb/session/session.hpp"
#include "cb/util/archive.hpp"
#include "cb/util/string_pool.hpp"

namespace cb {

// A session's URL fetches, failed ones included (src_ips.csv and sources_by_*.csv count them).
std::uint64_t downloads_of(const Session& s);

class SourceCounts {
public:
    // Keys are copied into `strings`, which must outlive this.
    explicit SourceCounts(StringPool& strings);
    ~SourceCounts();
    void add(const Session& s);
    // The counts as bytes, and back (BasicTableBuilder::save and load): the keys read back are
    // views into the archive's bytes, which must outlive this.
    void save(OutArchive& ar);
    void load(InArchive& ar);
    // Appends src_ips, forwarding and sensors_hourly, in this order.
    void append_tables(std::vector<Table>& out);

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace cb
