#include "cb/util/time.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

namespace cb {

namespace {

namespace chr = std::chrono;

// A day's calendar date, from std::chrono's calendar. Its year type holds +-32767 years only,
// so far-off days (not from a parsed timestamp, but any Micros can be formatted) are first
// brought into range by whole 400-year cycles, which the Gregorian calendar repeats exactly.
struct Civil {
    std::int64_t y;
    unsigned m, d;
    std::int64_t day_of_year;  // 0 for January 1
};

Civil civil_from_days(std::int64_t days) {
    constexpr std::int64_t kCycleDays = 146097, kCycleYears = 400;
    std::int64_t cycles = days / kCycleDays;
    if (days % kCycleDays < 0) --cycles;
    const chr::sys_days day{chr::days{days - cycles * kCycleDays}};
    const chr::year_month_day ymd{day};
    const chr::sys_days jan1{ymd.year() / chr::January / 1};
    return {static_cast<int>(ymd.year()) + cycles * kCycleYears, static_cast<unsigned>(ymd.month()),
            static_cast<unsigned>(ymd.day()), (day - jan1).count()};
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        const char c = s[i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    out = v;
    return true;
}

}  // namespace

namespace {

// Days since the epoch of a valid "YYYY-MM-DD" prefix (the caller checked s.size() >= 19).
std::optional<std::int64_t> parse_date(std::string_view s) {
    int y, mo, d;
    if (!digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' || !digits(s, 8, 2, d))
        return std::nullopt;
    const chr::year_month_day ymd{chr::year{y}, chr::month{static_cast<unsigned>(mo)},
                                  chr::day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) return std::nullopt;  // month 0 or 13, February 30, ...
    return chr::sys_days{ymd}.time_since_epoch().count();
}

// Everything after the date, given its day number.
std::optional<Micros> parse_time_of_day(std::string_view s, std::int64_t days) {
    int h, mi, sec;
    if ((s[10] != 'T' && s[10] != ' ') || !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) ||
        s[16] != ':' || !digits(s, 17, 2, sec))
        return std::nullopt;
    if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
    std::size_t pos = 19;
    std::int64_t frac = 0;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        int n = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (n < 6) frac = frac * 10 + (s[pos] - '0');
            ++n;
            ++pos;
        }
        if (n == 0) return std::nullopt;
        for (; n < 6; ++n) frac *= 10;
    }
    std::int64_t offset_s = 0;
    if (pos < s.size()) {
        const char c = s[pos];
        if (c == 'Z' || c == 'z') {
            ++pos;
        } else if (c == '+' || c == '-') {
            int oh, om;
            if (!digits(s, pos + 1, 2, oh)) return std::nullopt;
            std::size_t p2 = pos + 3;
            if (p2 < s.size() && s[p2] == ':') ++p2;
            if (!digits(s, p2, 2, om)) return std::nullopt;
            offset_s = (oh * 3600 + om * 60) * (c == '-' ? -1 : 1);
            pos = p2 + 2;
        } else {
            return std::nullopt;
        }
    }
    if (pos != s.size()) return std::nullopt;
    const std::int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_s;
    return secs * kMicrosPerSecond + frac;
}

}  // namespace

std::optional<Micros> parse_timestamp(std::string_view s) {
    if (s.size() < 19) return std::nullopt;
    const auto days = parse_date(s);
    if (!days) return std::nullopt;
    return parse_time_of_day(s, *days);
}

std::optional<Micros> parse_timestamp(std::string_view s, TimestampCache& cache) {
    if (s.size() < 19) return std::nullopt;
    if (!cache.valid || std::memcmp(s.data(), cache.date, sizeof cache.date) != 0) {
        const auto days = parse_date(s);
        if (!days) return std::nullopt;
        std::memcpy(cache.date, s.data(), sizeof cache.date);
        cache.days = *days;
        cache.valid = true;
    }
    return parse_time_of_day(s, cache.days);
}

std::int64_t day_number(Micros t) {
    std::int64_t secs = t / kMicrosPerSecond;
    if (t % kMicrosPerSecond < 0) --secs;
    std::int64_t days = secs / 86400;
    if (secs % 86400 < 0) --days;
    return days;
}

namespace {
void put2(char* p, unsigned v) {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
}
}  // namespace

// Hand-rolled: this runs several times per session in every writer, and snprintf was
// a measurable share of a whole run.
std::size_t format_timestamp(Micros t, char* out) {
    if (t == kNoTime) return 0;
    std::int64_t secs = t / kMicrosPerSecond;
    std::int64_t us = t % kMicrosPerSecond;
    if (us < 0) {
        us += kMicrosPerSecond;
        --secs;
    }
    std::int64_t days = secs / 86400;
    std::int64_t rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        --days;
    }
    // Writers go through sessions in time order: the date of the last call is usually this
    // one's, so it is kept per thread.
    thread_local std::int64_t last_day = INT64_MIN;
    thread_local char last_date[10];
    if (days != last_day) {
        const Civil c = civil_from_days(days);
        if (c.y < 0 || c.y > 9999) {
            const int n = std::snprintf(out, kTimestampBufSize, "%lld-%02u-%02uT00:00:00.000000Z",
                                        static_cast<long long>(c.y), c.m, c.d);
            return n < 0 ? 0 : std::min<std::size_t>(static_cast<std::size_t>(n), kTimestampBufSize - 1);
        }
        const auto y = static_cast<unsigned>(c.y);
        put2(last_date, y / 100);
        put2(last_date + 2, y % 100);
        last_date[4] = '-';
        put2(last_date + 5, c.m);
        last_date[7] = '-';
        put2(last_date + 8, c.d);
        last_day = days;
    }
    char* p = out;
    std::memcpy(p, last_date, 10);
    p[10] = 'T';
    put2(p + 11, static_cast<unsigned>(rem / 3600));
    p[13] = ':';
    put2(p + 14, static_cast<unsigned>(rem / 60 % 60));
    p[16] = ':';
    put2(p + 17, static_cast<unsigned>(rem % 60));
    p[19] = '.';
    auto u = static_cast<unsigned>(us);
    for (int i = 25; i >= 20; --i) {
        p[i] = static_cast<char>('0' + u % 10);
        u /= 10;
    }
    p[26] = 'Z';
    return 27;
}

std::string format_timestamp(Micros t) {
    char buf[kTimestampBufSize];
    return std::string(buf, format_timestamp(t, buf));
}

void append_timestamp(std::string& out, Micros t) {
    char buf[kTimestampBufSize];
    out.append(buf, format_timestamp(t, buf));
}

std::string format_day(Micros t) {
    if (t == kNoTime) return {};
    const Civil c = civil_from_days(day_number(t));
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(c.y), c.m, c.d);
    return buf;
}

std::string format_iso_week(Micros t) {
    if (t == kNoTime) return {};
    const std::int64_t days = day_number(t);
    // 1970-01-01 was a Thursday; ISO weekday 1=Mon..7=Sun.
    const int wd = static_cast<int>(((days % 7) + 7 + 3) % 7) + 1;
    const std::int64_t thursday = days - wd + 4;  // the Thursday of this ISO week decides the year
    const Civil tc = civil_from_days(thursday);
    const int week = static_cast<int>(tc.day_of_year / 7) + 1;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04lld-W%02d", static_cast<long long>(tc.y), week);
    return buf;
}

}  // namespace cb
