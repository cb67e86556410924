#include "cb/analysis/analysis.hpp"

#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <future>
#include <new>
#include <utility>

#include "cb/parse/command_template.hpp"
#include "cb/util/parallel.hpp"
#include "factories.hpp"

namespace cb {

namespace {

using Factory = std::unique_ptr<Analysis> (*)();
constexpr Factory kFactories[] = {
    analyses::make_action_paths, analyses::make_predisconnect, analyses::make_failed_commands,
    analyses::make_campaigns,    analyses::make_forks,         analyses::make_novelty,
    analyses::make_changes,      analyses::make_outliers,      analyses::make_weird_strings,
    analyses::make_attack,       analyses::make_sources_geo,   analyses::make_iocs,
    analyses::make_hints};

}  // namespace

std::vector<std::unique_ptr<Analysis>> make_analyses() {
    std::vector<std::unique_ptr<Analysis>> v;
    for (Factory make : kFactories) v.push_back(make());
    return v;
}

std::string template_set_key(const SessionFacts& f) {
    std::vector<std::string_view> t(f.templates.begin(), f.templates.end());
    std::sort(t.begin(), t.end());
    t.erase(std::unique(t.begin(), t.end()), t.end());
    std::string key;
    for (auto x : t) {
        if (!key.empty()) key.push_back('\n');
        key.append(x);
    }
    return key;
}

Interval wilson(std::uint64_t k, std::uint64_t n) {
    if (n == 0) return {0, 1};
    const double z = 1.959963984540054;
    const double p = static_cast<double>(k) / static_cast<double>(n);
    const double nn = static_cast<double>(n);
    const double denom = 1 + z * z / nn;
    const double centre = (p + z * z / (2 * nn)) / denom;
    const double half = z * std::sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / denom;
    return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

void keep_smallest(std::vector<std::string>& v, const std::string& id, std::size_t limit) {
    if (std::find(v.begin(), v.end(), id) != v.end()) return;
    v.insert(std::upper_bound(v.begin(), v.end(), id), id);
    if (v.size() > limit) v.pop_back();
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) out.append(sep);
        out.append(v[i]);
    }
    return out;
}

std::string top_counts(const std::map<std::string, std::uint64_t>& m, std::size_t limit) {
    std::vector<std::pair<std::string_view, std::uint64_t>> v(m.begin(), m.end());
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    std::string out;
    for (std::size_t i = 0; i < v.size() && i < limit; ++i) {
        if (!out.empty()) out.push_back(';');
        out.append(v[i].first);
        out.push_back(':');
        out.append(std::to_string(v[i].second));
    }
    return out;
}

namespace {

// The command line an unknown command came from: the latest line so far that contains it
// (a few lines back at most), else the latest line.
std::size_t failed_owner(const std::vector<std::string_view>& lines, std::string_view failed) {
    if (lines.empty()) return 0;
    const std::string_view needle = failed.substr(0, failed.find_first_of(" \t"));
    for (std::size_t back = 0; back < lines.size() && back < 8; ++back) {
        const std::size_t i = lines.size() - 1 - back;
        if (!needle.empty() && lines[i].find(needle) != std::string_view::npos) return i;
    }
    return lines.size() - 1;
}

}  // namespace

void build_session_facts(const Session& s, const MarkerSet& markers, TemplateCache& cache, SessionFacts& f) {
    f.s = &s;
    f.commands.clear();
    f.templates.clear();
    f.failed.clear();
    f.failed_inputs.clear();
    f.failed_owner.clear();
    f.id.assign(s.sensor);
    f.id.push_back('/');
    f.id.append(s.session);
    f.left = session_left(s);
    std::size_t ci = 0;
    for (const Item& it : s.items) {
        if (it.kind == ItemKind::Command) {
            f.commands.push_back(it.a);
            f.failed.push_back(s.cmd_failed[ci++] != 0);
        } else if (it.kind == ItemKind::CommandFailed) {
            f.failed_inputs.push_back(it.a);
            f.failed_owner.push_back(failed_owner(f.commands, it.a));
        }
    }
    // Templates after the loop: the cache may rehash while we insert.
    for (auto c : f.commands) f.templates.push_back(cache.get(c));
    session_steps(s, markers, cache, f.steps);
    f.step_templates.clear();
    f.step_failed.clear();
    for (std::size_t i = 0; i < f.steps.text.size(); ++i) {
        f.step_templates.push_back(cache.get(f.steps.text[i]));
        f.step_failed.push_back(f.failed[f.steps.line[i]]);
    }
}

// One worker's analyses and scratch, kept from chunk to chunk.
struct AnalysisRunner::Worker {
    std::vector<std::unique_ptr<Analysis>> analyses = make_analyses();
    TemplateCache cache;
    SessionFacts facts;
};

AnalysisRunner::AnalysisRunner(const MarkerSet& markers, const AnalysisConfig& cfg, unsigned threads)
    : markers_(markers), cfg_(cfg), threads_(threads) {
    cfg_.threads = 1;
}

AnalysisRunner::~AnalysisRunner() = default;

AnalysisRunner::Worker& AnalysisRunner::worker(std::size_t w) {
    if (workers_.size() <= w) workers_.resize(w + 1);
    if (!workers_[w]) workers_[w] = std::make_unique<Worker>();
    return *workers_[w];
}

void AnalysisRunner::add(const std::vector<Session>& chunk) { add(session_refs(chunk)); }

void AnalysisRunner::add(const SessionRefs& chunk) {
    const unsigned width = std::max(
        1u, std::min<unsigned>(threads_, static_cast<unsigned>(std::max<std::size_t>(1, chunk.size() / 1000))));
    for (unsigned w = 0; w < width; ++w) worker(first_worker_ + w);  // before the threads start: no resizing under them
    auto work = [&](std::size_t w) {
        Worker& k = *workers_[first_worker_ + w];
        const std::size_t lo = chunk.size() * w / width, hi = chunk.size() * (w + 1) / width;
        for (std::size_t i = lo; i < hi; ++i) {
            build_session_facts(*chunk[i], markers_, k.cache, k.facts);
            for (auto& a : k.analyses) a->add(k.facts);
        }
    };
    parallel_for(width, width, work);  // one item per worker: each has its own analyses
}

AnalysisRunner::Worker& AnalysisRunner::merge_workers(std::size_t into) {
    Worker& first = worker(into);
    for (std::size_t w = into + 1; w < workers_.size(); ++w) {
        if (!workers_[w]) continue;
        for (std::size_t k = 0; k < first.analyses.size(); ++k) {
            first.analyses[k]->merge(std::move(*workers_[w]->analyses[k]));
            workers_[w]->analyses[k].reset();  // its memory serves the next merge
        }
        workers_[w].reset();
    }
    return first;
}

// Each analysis saves and loads its own state: they run side by side. After a load with
// pieces, what the workers after worker 0 added is merged into worker 1 first: an analysis with
// its pieces kept saves that alone, then every state joins worker 0's.
AnalysisRunner::Saved AnalysisRunner::save() {
    Saved out;
    const std::size_t first = first_worker_;
    Worker& added = merge_workers(first);
    out.states.resize(added.analyses.size());
    out.kept = std::move(kept_);
    out.kept.resize(added.analyses.size());
    kept_.clear();
    auto& analyses = worker(0).analyses;
    parallel_for(analyses.size(), threads_, [&](std::size_t k) {
        if (!out.kept[k].empty()) added.analyses[k]->save(out.states[k]);
        if (first > 0) analyses[k]->merge(std::move(*added.analyses[k]));
        if (out.kept[k].empty()) analyses[k]->save(out.states[k]);
    });
    if (first > 0) workers_[first].reset();
    return out;
}

bool AnalysisRunner::load(const std::vector<std::string>& states, const Unpack& unpack) {
    StatesLoad load(states, unpack);
    return this->load(load);
}

bool AnalysisRunner::load(StatesLoad& states) {
    workers_.clear();
    first_worker_ = 0;
    kept_.clear();
    parallel_for(threads_, threads_, [&](std::size_t) { states.work(); });
    if (!states.wait()) {
        states.cancel();  // what did load is freed, as it was before
        return false;
    }
    worker(0).analyses = std::move(states.analyses_);
    if (states.unpack_) {
        first_worker_ = 1;
        kept_.resize(states.states_.size());
        const bool owned = &states.states_ == &states.owned_;
        for (std::size_t k = 0; k < kept_.size(); ++k) {
            if (!worker(0).analyses[k]->saved_in_pieces() || states.pieces_[k] >= kMaxPieces) continue;
            if (owned)
                kept_[k] = std::move(states.owned_[k]);
            else
                kept_[k] = states.states_[k];
        }
    }
    return true;
}

StatesLoad::StatesLoad(std::vector<std::string>&& states, AnalysisRunner::Unpack unpack)
    : owned_(std::move(states)), states_(owned_), unpack_(std::move(unpack)) {
    order_largest_first();
}

StatesLoad::StatesLoad(const std::vector<std::string>& states, AnalysisRunner::Unpack unpack)
    : states_(states), unpack_(std::move(unpack)) {
    order_largest_first();
}

void StatesLoad::order_largest_first() {
    loaded_.assign(states_.size(), 0);
    pieces_.assign(states_.size(), 1);
    if (states_.size() != analyses_.size()) return;  // another list of analyses: none loads
    for (std::size_t k = 0; k < states_.size(); ++k) order_.push_back(k);
    std::stable_sort(order_.begin(), order_.end(),
                     [&](std::size_t a, std::size_t b) { return states_[a].size() > states_[b].size(); });
}

void StatesLoad::work() {
    for (;;) {
        std::size_t k = 0;
        {
            std::lock_guard lock(mu_);
            if (cancelled_ || next_ == order_.size()) return;
            k = order_[next_++];
        }
        load(k);
        std::lock_guard lock(mu_);
        ++done_;
        done_cv_.notify_all();
    }
}

void StatesLoad::cancel() {
    std::unique_lock lock(mu_);
    cancelled_ = true;
    done_cv_.wait(lock, [&] { return done_ == next_; });
    lock.unlock();
    for (auto& a : analyses_) a.reset();
    std::vector<std::string>().swap(owned_);
}

bool StatesLoad::wait() {
    std::unique_lock lock(mu_);
    done_cv_.wait(lock, [&] { return done_ == next_; });
    return !cancelled_ && !order_.empty() && done_ == order_.size() &&
           std::all_of(loaded_.begin(), loaded_.end(), [](std::uint8_t b) { return b != 0; });
}

void StatesLoad::load(std::size_t k) {
    try {  // a damaged state may claim more memory than there is (std::bad_alloc): not loaded
        if (!unpack_) {
            loaded_[k] = analyses_[k]->load(states_[k]);
            return;
        }
        std::vector<std::string> unpacked;
        loaded_[k] = unpack_(states_[k], &unpacked) && load_pieces(k, unpacked);
        pieces_[k] = unpacked.size();
    } catch (...) {  // any other failure too: a thread of its own must still count the state done
        loaded_[k] = 0;
    }
}

// The merge of the states of one analysis's pieces, into analysis k.
bool StatesLoad::load_pieces(std::size_t k, const std::vector<std::string>& pieces) {
    Analysis& into = *analyses_[k];
    // more than save() ever leaves is damage (a piece twice would count its sessions twice)
    if (pieces.size() > (into.saved_in_pieces() ? AnalysisRunner::kMaxPieces : 1)) return false;
    if (pieces.empty() || !into.load(pieces[0])) return false;
    for (std::size_t i = 1; i < pieces.size(); ++i) {
        const std::unique_ptr<Analysis> piece = kFactories[k]();
        if (!piece->load(pieces[i])) return false;
        into.merge(std::move(*piece));
    }
    return true;
}

void AnalysisRunner::begin_finish() {
    if (std::exchange(begun_, true)) return;
    std::vector<std::string>().swap(kept_);  // a run that saved no checkpoint: not needed
    merge_workers();
    finishing_ = std::move(worker(0).analyses);
    workers_.clear();  // the template caches too: the states hold owned copies
    alone_.resize(finishing_.size());
    for (std::size_t k = 0; beside_ && threads_ > 1 && k < finishing_.size(); ++k)
        if (finishing_[k]->finishes_alone())
            alone_[k] = std::async(std::launch::async, [this, a = finishing_[k].get()] {
                Findings own;
                a->finish(cfg_, own);
                return own;
            });
}

// Those that finish alone first, on threads of their own (begin_finish()); the others finish
// meanwhile, and what each one alone found then joins `out` in its place in the list (its
// tables where they would have been), so the tables come in the same order either way.
Findings AnalysisRunner::finish(Findings seed) {
    begin_finish();
    std::vector<std::unique_ptr<Analysis>> all = std::move(finishing_);
    std::vector<std::future<Findings>> alone = std::move(alone_);
    Findings out = std::move(seed);
    std::vector<std::pair<std::size_t, std::size_t>> places;  // (k, where its tables go in out.tables)
    for (std::size_t k = 0; k < all.size(); ++k) {
        if (alone[k].valid()) {
            places.emplace_back(k, out.tables.size());
            continue;
        }
        // short of memory, the freed states go back to the system before the next finish
        // allocates; with memory to spare they serve it (pages given back cost a fault each
        // when taken again: 13,000 of a daily run's 145,000)
        if (!beside_) ::malloc_trim(0);
        all[k]->finish(cfg_, out);
        all[k].reset();  // what it found is in `out`: its state goes before the next one finishes
    }
    for (auto it = places.rbegin(); it != places.rend(); ++it) {  // the last first: the places before stay
        out.absorb(alone[it->first].get(), it->second);
        all[it->first].reset();
    }
    begun_ = false;
    return out;
}

Findings run_analyses(const std::vector<Session>& sessions, const MarkerSet& markers, const AnalysisConfig& cfg,
                      unsigned threads, Findings seed) {
    AnalysisRunner runner(markers, cfg, threads);
    runner.add(sessions);
    return runner.finish(std::move(seed));
}

}  // namespace cb
