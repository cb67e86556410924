// The change detector behind changes.csv: a robust z-score of each day against the median of a
// trailing window of earlier days, scaled by a robust spread of that window (see
// docs/ARCHITECTURE.md, "Why a median/MAD score for changes.csv, and not CUSUM or Page-Hinkley?").
//
//   spread = max(1.4826 * MAD, (Q3 - median) / 0.6745 when value >= median,
//                              (median - Q1) / 0.6745 when value <  median)
#pragma once

#include <cstdint>
#include <vector>

namespace cb {

struct ChangeParams {
    int window_days = 14;          // trailing baseline: the last window_days days before d (in `days`) ...
    int lookback_days = 56;        // ... that are at most this many calendar days before d
    int min_history = 7;           // days needed in that window to score day d
    double threshold = 4.0;        // |score| that flags a day
    double min_abs_count = 5;      // and |value - baseline| of at least this many events (counts)
    double min_abs_rate = 0.2;     // or this much (rates)
    std::uint64_t min_rate_n = 5;  // a rate is scored (and used as history) only with this many trials
};

struct ScoredDay {
    std::int64_t day = 0;    // days since 1970-01-01
    bool has_value = false;  // rates: false on days without trials
    double value = 0;
    std::uint64_t n = 0;        // rates: trials that day
    int history = 0;            // days in the baseline window
    bool has_baseline = false;  // history >= min_history (and, for rates, n >= min_rate_n)
    double baseline = 0;        // median of the window (quartiles: linear interpolation)
    double scale = 0;           // the denominator of the score
    double score = 0;           // (value - baseline) / scale
    bool flag = false;
};

// A count per day. days: ascending day numbers (the days the data covers; a gap between them is
// "no data", skipped by the window, not a run of zeros); values: one per day.
//   scale = max(spread, sqrt(median), 1)
//   flag  = |score| >= threshold and |value - median| >= min_abs_count
std::vector<ScoredDay> score_counts(const std::vector<std::int64_t>& days, const std::vector<double>& values,
                                    const ChangeParams& p);

// A rate k/n per day (days with n = 0 have no value; days with n < min_rate_n are not scored
// and not used as history).
//   scale = max(spread, sqrt(median * (1 - median) / n), 0.05)
//   flag  = |score| >= threshold and |value - median| >= min_abs_rate
std::vector<ScoredDay> score_rates(const std::vector<std::int64_t>& days, const std::vector<std::uint64_t>& k,
                                   const std::vector<std::uint64_t>& n, const ChangeParams& p);

}  // namespace cb
