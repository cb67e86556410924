// changes.csv: daily series (sessions, login attempts, successful logins, the top command
// templates and credentials, and the disconnect-after rate of the top templates) with a robust
// change score against a trailing baseline (median/MAD; see cb/change_score.hpp).
//
// State is exact counts per (day, key), so merging partial states is plain addition.
#include <algorithm>
#include <cmath>
#include <tuple>

#include "cb/analysis/change_score.hpp"
#include "cb/analysis/compact_state.hpp"
#include "cb/util/text.hpp"
#include "factories.hpp"

namespace cb {

namespace {

constexpr double kMadToSigma = 1.4826;       // MAD -> standard deviation for normal data
constexpr double kQuartileToSigma = 0.6745;  // (Q3 - median) of a normal distribution, in sd

// Quantile of sorted values, linear interpolation between order statistics (R's type 7).
double quantile(const std::vector<double>& sorted, double q) {
    const double pos = q * static_cast<double>(sorted.size() - 1);
    const auto lo = static_cast<std::size_t>(pos);
    const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

// Baseline of day i from the last `window` usable days before it (no older than lookback_days):
// the median, and the robust spread on the side of today's value: max(1.4826 * MAD,
// (Q3 - median) / 0.6745 above the median, (median - Q1) / 0.6745 below it). The side spread matters for bursty
// (right-skewed) series, where MAD alone underestimates how far up a quiet day can go. The caller applies its floor.
template <typename Usable>
void baseline_at(const std::vector<std::int64_t>& days, std::size_t i, const std::vector<double>& values, Usable usable,
                 const ChangeParams& p, ScoredDay& out, std::vector<double>& scratch) {
    scratch.clear();
    const auto window = static_cast<std::size_t>(std::max(1, p.window_days));
    for (std::size_t j = i; j-- > 0 && scratch.size() < window;) {
        if (days[j] < days[i] - p.lookback_days) break;
        if (usable(j)) scratch.push_back(values[j]);
    }
    out.history = static_cast<int>(scratch.size());
    if (out.history < std::max(1, p.min_history)) return;
    std::sort(scratch.begin(), scratch.end());
    const double med = quantile(scratch, 0.5);
    const double side = values[i] >= med ? quantile(scratch, 0.75) - med : med - quantile(scratch, 0.25);
    for (double& x : scratch) x = std::fabs(x - med);
    std::sort(scratch.begin(), scratch.end());
    const double mad = quantile(scratch, 0.5);
    out.has_baseline = true;
    out.baseline = med;
    out.scale = std::max(kMadToSigma * mad, side / kQuartileToSigma);
}

}  // namespace

std::vector<ScoredDay> score_counts(const std::vector<std::int64_t>& days, const std::vector<double>& values,
                                    const ChangeParams& p) {
    std::vector<ScoredDay> out(days.size());
    std::vector<double> scratch;
    for (std::size_t i = 0; i < days.size(); ++i) {
        ScoredDay& d = out[i];
        d.day = days[i];
        d.has_value = true;
        d.value = values[i];
        baseline_at(
            days, i, values, [](std::size_t) { return true; }, p, d, scratch);
        if (!d.has_baseline) continue;
        d.scale = std::max({d.scale, std::sqrt(std::max(0.0, d.baseline)), 1.0});
        d.score = (d.value - d.baseline) / d.scale;
        d.flag = std::fabs(d.score) >= p.threshold && std::fabs(d.value - d.baseline) >= p.min_abs_count;
    }
    return out;
}

std::vector<ScoredDay> score_rates(const std::vector<std::int64_t>& days, const std::vector<std::uint64_t>& k,
                                   const std::vector<std::uint64_t>& n, const ChangeParams& p) {
    std::vector<ScoredDay> out(days.size());
    std::vector<double> values(days.size(), 0.0), scratch;
    for (std::size_t i = 0; i < days.size(); ++i)
        if (n[i] > 0) values[i] = static_cast<double>(k[i]) / static_cast<double>(n[i]);
    const std::uint64_t min_n = std::max<std::uint64_t>(1, p.min_rate_n);
    for (std::size_t i = 0; i < days.size(); ++i) {
        ScoredDay& d = out[i];
        d.day = days[i];
        d.n = n[i];
        d.has_value = n[i] > 0;
        d.value = values[i];
        if (n[i] < min_n) continue;
        baseline_at(
            days, i, values, [&](std::size_t j) { return n[j] >= min_n; }, p, d, scratch);
        if (!d.has_baseline) continue;
        const double b = d.baseline;
        d.scale = std::max({d.scale, std::sqrt(b * (1 - b) / static_cast<double>(n[i])), 0.05});
        d.score = (d.value - b) / d.scale;
        d.flag = std::fabs(d.score) >= p.threshold && std::fabs(d.value - b) >= p.min_abs_rate;
    }
    return out;
}

namespace analyses {

namespace {

struct TemplateDays {
    DayCounts sessions;    // sessions that ran the template
    DayCounts left_after;  // ... whose last command it was and that ended by exit/disconnect
    template <class Ar>
    void io(Ar& ar) {
        ar(sessions, left_after);
    }
};

// varint(len(username)) + username + password: unambiguous whatever the strings hold.
void credential_key(std::string& out, std::string_view user, std::string_view pass) {
    out.clear();
    std::size_t v = user.size();
    while (v >= 0x80) {
        out.push_back(static_cast<char>(0x80 | (v & 0x7F)));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
    out.append(user);
    out.append(pass);
}

std::string credential_label(std::string_view key) {
    std::size_t ulen = 0, shift = 0, i = 0;
    while (i < key.size()) {
        const auto b = static_cast<unsigned char>(key[i++]);
        ulen |= static_cast<std::size_t>(b & 0x7F) << shift;
        if (!(b & 0x80)) break;
        shift += 7;
    }
    std::string out(key.substr(i, ulen));
    out.push_back('/');
    out.append(key.substr(i + ulen));
    return out;
}

template <typename V, typename Total>
std::vector<std::pair<const std::string*, const V*>> top_keys(const StrMap<V>& m, std::size_t n, Total total) {
    std::vector<std::tuple<std::uint64_t, const std::string*, const V*>> all;
    all.reserve(m.size());
    for (const auto& [k, v] : m) all.emplace_back(total(v), &k, &v);
    auto better = [](const auto& a, const auto& b) {
        if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) > std::get<0>(b);
        return *std::get<1>(a) < *std::get<1>(b);
    };
    const std::size_t keep = std::min(n, all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(), better);
    std::vector<std::pair<const std::string*, const V*>> out;
    for (std::size_t i = 0; i < keep; ++i) out.emplace_back(std::get<1>(all[i]), std::get<2>(all[i]));
    return out;
}

class Changes : public ArchivedAnalysis<Changes> {
public:
    template <class Ar>
    void io(Ar& ar) {
        ar(sessions_, logins_, successes_, templates_, creds_);
    }
    std::string_view name() const override { return "changes"; }

    void add(const SessionFacts& f) override {
        const Session& s = *f.s;
        if (s.start == kNoTime) return;
        const auto day = static_cast<std::int32_t>(day_number(s.start));
        sessions_.add(day);
        if (s.login_attempts) logins_.add(day, s.login_attempts);
        if (s.login_successes) successes_.add(day, s.login_successes);

        if (!f.templates.empty()) {
            tmpl_.assign(f.templates.begin(), f.templates.end());
            std::sort(tmpl_.begin(), tmpl_.end());
            tmpl_.erase(std::unique(tmpl_.begin(), tmpl_.end()), tmpl_.end());
            // Leaving is attributed to the last step (no marker or exit), as in predisconnect.
            const std::string_view last = f.step_templates.empty() ? std::string_view() : f.step_templates.back();
            for (std::string_view t : tmpl_) {
                auto it = templates_.find(t);
                if (it == templates_.end()) it = templates_.emplace(std::string(t), TemplateDays{}).first;
                it->second.sessions.add(day);
                if (f.left && !last.empty() && t == last) it->second.left_after.add(day);
            }
        }

        if (s.login_attempts) {
            keybuf_.clear();
            creds_seen_.clear();
            for (const Item& it : s.items) {
                if (it.kind != ItemKind::Login || !it.c.empty()) continue;  // password logins only
                credential_key(key_, it.a, it.b);
                creds_seen_.emplace_back(keybuf_.size(), key_.size());
                keybuf_.append(key_);
            }
            auto view = [&](const std::pair<std::size_t, std::size_t>& r) {
                return std::string_view(keybuf_).substr(r.first, r.second);
            };
            std::sort(creds_seen_.begin(), creds_seen_.end(),
                      [&](const auto& a, const auto& b) { return view(a) < view(b); });
            for (std::size_t i = 0; i < creds_seen_.size(); ++i) {
                const std::string_view k = view(creds_seen_[i]);
                if (i > 0 && view(creds_seen_[i - 1]) == k) continue;
                auto it = creds_.find(k);
                if (it == creds_.end()) it = creds_.emplace(std::string(k), DayCounts{}).first;
                it->second.add(day);
            }
        }
    }

    void merge(Analysis&& other) override {
        auto& o = static_cast<Changes&>(other);
        sessions_.merge(o.sessions_);
        logins_.merge(o.logins_);
        successes_.merge(o.successes_);
        for (auto& [k, v] : o.templates_) {
            auto it = templates_.find(k);
            if (it == templates_.end()) {
                templates_.emplace(k, std::move(v));
                continue;
            }
            it->second.sessions.merge(v.sessions);
            it->second.left_after.merge(v.left_after);
        }
        for (auto& [k, v] : o.creds_) {
            auto it = creds_.find(k);
            if (it == creds_.end())
                creds_.emplace(k, std::move(v));
            else
                it->second.merge(v);
        }
        o.templates_.clear();
        o.creds_.clear();
    }

    void finish(const AnalysisConfig& cfg, Findings& out) override {
        const std::vector<Series> all = series(cfg);
        std::uint64_t flagged = 0;
        for (const Series& s : all)
            for (const ScoredDay& d : s.days) flagged += d.flag;
        out.tables.push_back(table(all));
        out.changes_flagged = flagged;
        StrMap<TemplateDays>().swap(templates_);  // release the state before later analyses finish
        StrMap<DayCounts>().swap(creds_);
    }

private:
    struct Series {
        std::string name;
        std::vector<ScoredDay> days;
        bool rate;
    };

    // Every series scored on the day axis, in table order: sessions, logins, successful
    // logins, the top templates, the top credentials, the disconnect-after rate of the top
    // templates. The day axis holds every day with at least one session: a day without any is
    // a gap in collection (a sensor down, a missing log file), not a day of zero attacks.
    std::vector<Series> series(const AnalysisConfig& cfg) const {
        ChangeParams p;
        p.window_days = std::max(1, cfg.change_window_days);
        p.min_history = std::min(7, p.window_days);
        p.lookback_days = 4 * p.window_days;
        p.threshold = cfg.change_threshold;
        std::vector<std::int64_t> days;
        for (const auto& e : sessions_) days.push_back(e.day);
        auto counts_of = [&](const DayCounts& c) {
            std::vector<double> v(days.size());
            for (std::size_t i = 0; i < days.size(); ++i) v[i] = c.at(static_cast<std::int32_t>(days[i]));
            return v;
        };
        std::vector<Series> all;
        all.push_back({"sessions", score_counts(days, counts_of(sessions_), p), false});
        all.push_back({"logins", score_counts(days, counts_of(logins_), p), false});
        all.push_back({"logins_success", score_counts(days, counts_of(successes_), p), false});
        const std::size_t top_n = static_cast<std::size_t>(std::max(0, cfg.top_n));
        const auto top_t = top_keys(templates_, top_n, [](const TemplateDays& v) { return v.sessions.total(); });
        for (const auto& [k, v] : top_t)
            all.push_back({"template:" + *k, score_counts(days, counts_of(v->sessions), p), false});
        const auto top_c = top_keys(creds_, top_n, [](const DayCounts& v) { return v.total(); });
        for (const auto& [k, v] : top_c)
            all.push_back({"credential:" + credential_label(*k), score_counts(days, counts_of(*v), p), false});
        for (const auto& [k, v] : top_t) {
            std::vector<std::uint64_t> kk(days.size()), nn(days.size());
            for (std::size_t i = 0; i < days.size(); ++i) {
                kk[i] = v->left_after.at(static_cast<std::int32_t>(days[i]));
                nn[i] = v->sessions.at(static_cast<std::int32_t>(days[i]));
            }
            all.push_back({"disconnect_after:" + *k, score_rates(days, kk, nn, p), true});
        }
        return all;
    }

    static Table table(const std::vector<Series>& all) {
        Table t{"changes",
                "daily series with a robust change score (median/MAD of a trailing window): sessions, logins, "
                "successful logins, top templates and credentials, disconnect-after rates",
                {},
                {}};
        t.columns = {
            {"series", ColumnType::Text,
             "sessions, logins, logins_success, template:<t>, credential:<user>/<password>, disconnect_after:<t>"},
            {"day", ColumnType::Text, "UTC day (session start); only days with at least one session"},
            {"value", ColumnType::Real,
             "count that day (sessions; login events for logins*), or the rate for disconnect_after"},
            {"baseline", ColumnType::Real,
             "median of the trailing window (the last change_window_days days with data, within 4 times as many "
             "calendar days); empty with fewer than 7 such days"},
            {"score", ColumnType::Real, "(value - baseline) / scale; empty without enough history"},
            {"flag", ColumnType::Integer, "1 when |score| >= change_threshold and the difference is large enough"},
            {"kind", ColumnType::Text, "count or rate"},
            {"n", ColumnType::Integer, "rates: sessions that ran the template that day (the denominator)"},
            {"history", ColumnType::Integer, "days in the trailing window"},
            {"scale", ColumnType::Real,
             "the score's denominator: max(1.4826*MAD, quartile spread on the value's side, Poisson/binomial floor)"}};
        for (const Series& s : all)
            for (const ScoredDay& d : s.days) {
                std::vector<Cell> row;
                row.reserve(10);
                row.emplace_back(s.name);
                row.emplace_back(format_day(static_cast<Micros>(d.day) * 86400 * kMicrosPerSecond));
                row.emplace_back(d.has_value ? Cell{d.value} : Cell{});
                row.emplace_back(d.has_baseline ? Cell{d.baseline} : Cell{});
                row.emplace_back(d.has_baseline ? Cell{d.score} : Cell{});
                row.emplace_back(static_cast<std::int64_t>(d.flag ? 1 : 0));
                row.emplace_back(std::string(s.rate ? "rate" : "count"));
                row.emplace_back(s.rate ? Cell{static_cast<std::int64_t>(d.n)} : Cell{});
                row.emplace_back(static_cast<std::int64_t>(d.history));
                row.emplace_back(d.has_baseline ? Cell{d.scale} : Cell{});
                t.rows.push_back(std::move(row));
            }
        return t;
    }

    DayCounts sessions_, logins_, successes_;
    StrMap<TemplateDays> templates_;
    StrMap<DayCounts> creds_;  // key: credential_key()
    // scratch
    std::vector<std::string_view> tmpl_;
    std::string key_, keybuf_;
    std::vector<std::pair<std::size_t, std::size_t>> creds_seen_;
};

}  // namespace

std::unique_ptr<Analysis> make_changes() { return std::make_unique<Changes>(); }

}  // namespace analyses

}  // namespace cb
