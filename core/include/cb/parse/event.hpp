// One event model for every Cowrie generation (1.x in 2016 to v3 in 2026).
//
// String views point into the parser's buffers and are valid only until the next
// line is parsed; the session builder interns what it keeps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cb/util/time.hpp"

namespace cb {

enum class EventType : std::uint8_t {
    Other,  // a valid event we do not model (telnet.option, client.var, ...): counted only
    SessionConnect,
    SessionClosed,
    ClientVersion,
    ClientKex,
    ClientFingerprint,
    ClientSize,
    LoginSuccess,
    LoginFailed,
    CommandInput,
    CommandFailed,
    CommandSuccess,
    SessionParams,
    FileDownload,
    FileDownloadFailed,
    FileUpload,
    LogClosed,
    TcpipRequest,
    TcpipData,
};
inline constexpr std::size_t kEventTypeCount = static_cast<std::size_t>(EventType::TcpipData) + 1;

EventType event_type_from_id(std::string_view eventid);
// "cowrie.session.connect" for SessionConnect; empty for Other.
std::string_view event_id_name(EventType t);

struct Event {
    EventType type = EventType::Other;
    std::string_view eventid;
    Micros ts = kNoTime;
    std::string_view sensor, session, src_ip, dst_ip, protocol;
    std::int32_t src_port = -1, dst_port = -1;
    // login.*, client.fingerprint
    std::string_view username, password, fingerprint, key_type;
    // command.*, session.input
    std::string_view input;
    // client.version / client.kex
    std::string_view version, hassh;
    // files
    std::string_view url, shasum, outfile, destfile, filename;
    // log.closed
    std::string_view ttylog;
    std::int64_t size = -1;
    // session.closed: microseconds from duration_ms (v3.0.4+) or duration (float or string)
    std::int64_t duration_us = -1;
    // direct-tcpip (v3.0.6+ also orig_ip/orig_port)
    std::string_view orig_ip;
    std::int32_t orig_port = -1;
    // session.params
    std::string_view arch;
    std::int32_t width = -1, height = -1;
    bool duplicate = false;
    bool late = false;
};

}  // namespace cb
