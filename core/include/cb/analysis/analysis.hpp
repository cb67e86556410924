// Analyses as mergeable aggregates: map (add one session), combine (merge two partial
// states of the same analysis), reduce (finish into tables and findings).
//
// Contract for every Analysis:
//  - add() sees each finished session exactly once, in any order, on any thread.
//  - merge(other) folds a partial state built from a disjoint set of sessions; for any split
//    of the sessions, add-all-then-finish equals add-parts, merge, finish, byte for byte.
//  - finish() runs once on the fully merged state, in the order of make_analyses(), and may
//    read what earlier analyses published in Findings.
//  - State keeps owned copies (std::string) of what it keeps: SessionFacts views die after add().
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cb/analysis/attack.hpp"
#include "cb/analysis/findings.hpp"
#include "cb/analysis/geoip.hpp"
#include "cb/analysis/table.hpp"
#include "cb/session/session.hpp"
#include "cb/session/steps.hpp"
#include "cb/util/archive.hpp"

namespace cb {

// One session as analyses see it: the record plus per-command templates.
struct SessionFacts {
    const Session* s = nullptr;
    std::vector<std::string_view> commands;       // raw input lines, in order
    std::vector<std::string_view> templates;      // command_template() of each
    std::vector<bool> failed;                     // per command: Cowrie reported part of it as not found
    std::vector<std::string_view> failed_inputs;  // cowrie.command.failed inputs (the unknown commands)
    std::vector<std::size_t> failed_owner;        // per failed input: index of the command line it belongs to
    std::string id;                               // "sensor/session"
    // Steps (steps.hpp): command lines without markers, exit and empty lines.
    Steps steps;
    std::vector<std::string_view> step_templates;  // command_template() of each step
    std::vector<bool> step_failed;                 // per step: its line had a command Cowrie did not know
    bool left = false;  // session_left(): a shell session the attacker closed right after its last step
};

struct AnalysisConfig {
    int novelty_days = 7;           // "new in the last N days", counted back from the last event
    double change_threshold = 4.0;  // robust score that flags a day in changes.csv
    int change_window_days = 14;    // trailing baseline length
    int min_fork_sessions = 5;      // a prefix must be reached by this many sessions to be a fork
    int max_path_depth = 30;        // prefix-tree depth limit (commands)
    int top_n = 20;                 // top templates/credentials followed over time, examples per row
    double idle_timeout_s = 180;
    // The sensor's cowrie.cfg ("section.key" -> value), when given with --cowrie-cfg.
    std::map<std::string, std::string> cowrie_cfg;
    bool have_cowrie_cfg = false;
    // The ATT&CK rules (attack.hpp): the ones built in, or --attack-rules.
    std::shared_ptr<const AttackRules> attack_rules = AttackRules::builtin();
    // The --geoip databases (geoip.hpp), or null: no country or AS is looked up.
    std::shared_ptr<const GeoIp> geoip;
    // How many threads a finish may spread its own work over (AnalysisRunner::finish_beside()
    // sets it); what it finds is the same for any.
    unsigned threads = 1;
};

class Analysis {
public:
    virtual ~Analysis() = default;
    virtual std::string_view name() const = 0;
    virtual void add(const SessionFacts& f) = 0;
    virtual void merge(Analysis&& other) = 0;  // other has the same dynamic type
    virtual void finish(const AnalysisConfig& cfg, Findings& out) = 0;
    // Whether finish() reads nothing of what the analyses before it found, and those after it read
    // nothing of what it finds: it may then run beside them, into a Findings of its own that joins
    // theirs once all have finished (AnalysisRunner::finish_beside()).
    virtual bool finishes_alone() const { return false; }
    // The partial state as bytes, and back (for Hadoop Streaming). load() returns false on
    // damaged input; a loaded state merges like any other.
    virtual void save(std::string& out) = 0;
    virtual bool load(std::string_view in) = 0;
    // Whether an incremental run's checkpoint keeps the state in pieces (AnalysisRunner::save()):
    // the pieces of the last runs as they were, and a new one of what this run added. For a state
    // that grows with every session (outliers: a record each), which would otherwise be saved
    // and compressed whole every day.
    virtual bool saved_in_pieces() const { return false; }
};

// Implements save() and load() from one member template `template <class Ar> void io(Ar&)`.
template <class Derived>
class ArchivedAnalysis : public Analysis {
public:
    void save(std::string& out) override {
        OutArchive ar(out);
        static_cast<Derived*>(this)->io(ar);
    }
    bool load(std::string_view in) override {
        InArchive ar(in);
        static_cast<Derived*>(this)->io(ar);
        return ar.ok();
    }
};

// Every analysis, in finish order.
std::vector<std::unique_ptr<Analysis>> make_analyses();

// The sorted, de-duplicated template set of a session joined by '\n' (campaign key).
std::string template_set_key(const SessionFacts& f);

class TemplateCache;
class StatesLoad;
// Fills f for session s (templates come from, and point into, cache).
void build_session_facts(const Session& s, const MarkerSet& markers, TemplateCache& cache, SessionFacts& f);

// Runs every analysis over a run's sessions handed over in consecutive chunks of any size
// (issue 13): add() builds SessionFacts and feeds each worker's own analyses (parallel map over
// the chunk, up to `threads` workers, one per 1000 sessions of the chunk); the workers' states
// live across chunks. finish() merges them and finishes every analysis in make_analyses() order,
// once. A chunk's strings need to live only until its add() returns (analyses keep owned
// copies; each worker's TemplateCache keeps the command lines it has seen). `markers` must
// outlive the runner. The findings are the same for any chunking (the Analysis contract).
class AnalysisRunner {
public:
    AnalysisRunner(const MarkerSet& markers, const AnalysisConfig& cfg, unsigned threads);
    ~AnalysisRunner();
    AnalysisRunner(const AnalysisRunner&) = delete;
    AnalysisRunner& operator=(const AnalysisRunner&) = delete;
    void add(const std::vector<Session>& chunk);
    void add(const SessionRefs& chunk);
    // The analyses' states so far, one per analysis in make_analyses() order (the workers'
    // states merged first), and back: load() replaces every state and returns false, leaving
    // none, on damaged input or another list of analyses. An incremental run's checkpoint
    // (engine/state.hpp) keeps them; sessions added after a load merge like any others.
    // `unpack`, when given, turns each of `states` into the states of its pieces (the checkpoint
    // keeps them compressed, one or more pieces each) on the thread that loads it; false: damaged.
    // A state in pieces loads as the merge of its pieces.
    //
    // After a load with `unpack`, save() gives an analysis saved_in_pieces() only what was added
    // since, and `kept` its packed state as loaded: the next checkpoint keeps that, then the new
    // piece packed. With kMaxPieces pieces already (or without `unpack`), it saves the state whole.
    static constexpr std::size_t kMaxPieces = 32;
    using Unpack = std::function<bool(std::string_view, std::vector<std::string>*)>;
    struct Saved {
        std::vector<std::string> states;  // one per analysis: its state, or what was added to `kept`
        std::vector<std::string> kept;    // one per analysis: its packed pieces that stay, or ""
    };
    Saved save();
    bool load(const std::vector<std::string>& states, const Unpack& unpack = {});
    // The same from states whose load may have begun on other threads (StatesLoad): the
    // runner's threads take the ones left, then wait for the others.
    bool load(StatesLoad& states);
    // `seed` carries what was found outside the analyses (e.g. recording_findings) for hints.
    Findings finish(Findings seed = {});
    // With memory to spare, finish() runs the analyses that finish alone on threads of their own
    // beside the others, and lets each finish spread its own work over the runner's threads but
    // the one that finishes the others meanwhile (AnalysisConfig::threads; one thread of two: a
    // helper would take the caller's core, whose finishes the run waits for): their working
    // memory then adds up. By default they finish one after another on one thread each, each
    // one's state freed, and given back to the system (malloc_trim()), before the next one
    // finishes.
    void finish_beside(bool on) {
        beside_ = on;
        cfg_.threads = on ? std::max(1U, threads_ - 1) : 1;  // the calling thread finishes the others
    }
    // Starts the finishes that run beside the others now (with finish_beside), so that they run
    // while the caller does other work before finish(), which completes them. No add(), save()
    // or load() after it.
    void begin_finish();

private:
    struct Worker;
    Worker& worker(std::size_t w);                // made on first use
    Worker& merge_workers(std::size_t into = 0);  // the states of every worker after `into` into its

    const MarkerSet& markers_;
    AnalysisConfig cfg_;
    unsigned threads_;
    bool beside_ = false;
    std::vector<std::unique_ptr<Worker>> workers_;
    // After a load with pieces: worker 0 holds the loaded states and sessions go to the workers
    // after it (first_worker_ 1), so that save() can tell what was added; kept_: save()'s `kept`.
    std::size_t first_worker_ = 0;
    std::vector<std::string> kept_;
    // From begin_finish(): every analysis, merged, and the finishes started beside (by position).
    std::vector<std::unique_ptr<Analysis>> finishing_;
    std::vector<std::future<Findings>> alone_;
    bool begun_ = false;
};

// The analyses' states of a checkpoint (AnalysisRunner::load()), each loaded by whichever
// thread takes it first: a thread of a daily run begins while the run still plans its tail
// (engine/state.hpp, Incremental::load_states_ahead()), and the runner's threads take the ones
// left when they need them. The states are taken largest first (the outliers' records).
class StatesLoad {
public:
    // The states moved in, or (a load on the runner's threads alone) read where they are.
    StatesLoad(std::vector<std::string>&& states, AnalysisRunner::Unpack unpack);
    StatesLoad(const std::vector<std::string>& states, AnalysisRunner::Unpack unpack);
    StatesLoad(const StatesLoad&) = delete;
    StatesLoad& operator=(const StatesLoad&) = delete;
    // Loads states until none is left to take (others may still be loading theirs).
    void work();
    // No state is taken from now on (a run that does not use them, or a load that failed):
    // waits for the ones being loaded, then frees every loaded state.
    void cancel();

private:
    friend class AnalysisRunner;
    void order_largest_first();
    void load(std::size_t k);
    bool load_pieces(std::size_t k, const std::vector<std::string>& pieces);
    // Waits for every state to be loaded; false when one did not (damaged, or another list of
    // analyses), or when the load was cancelled.
    bool wait();

    std::vector<std::string> owned_;
    const std::vector<std::string>& states_;  // packed, as the checkpoint keeps them (owned_, or the caller's)
    AnalysisRunner::Unpack unpack_;
    std::vector<std::unique_ptr<Analysis>> analyses_ = make_analyses();
    std::vector<std::size_t> order_;  // largest state first; none when the lists differ
    std::vector<std::uint8_t> loaded_;
    std::vector<std::size_t> pieces_;  // each state's pieces
    std::mutex mu_;                    // over the three below
    std::condition_variable done_cv_;
    std::size_t next_ = 0, done_ = 0;  // states taken (in order_) and loaded
    bool cancelled_ = false;
};

// All sessions in one chunk: AnalysisRunner's add() then finish().
Findings run_analyses(const std::vector<Session>& sessions, const MarkerSet& markers, const AnalysisConfig& cfg,
                      unsigned threads, Findings seed = {});

// Helpers shared by analyses.
struct Interval {
    double low, high;
};
// Wilson score interval (95 %) for k successes in n trials.
Interval wilson(std::uint64_t k, std::uint64_t n);
// Keeps the `limit` smallest distinct ids in v (sorted): deterministic examples whatever the
// order in which sessions arrive or partial states merge.
void keep_smallest(std::vector<std::string>& v, const std::string& id, std::size_t limit);

// The strings joined by sep.
std::string join(const std::vector<std::string>& v, std::string_view sep);

// "a:3;b:1" from counts, highest first (ties by key), at most `limit` entries.
std::string top_counts(const std::map<std::string, std::uint64_t>& m, std::size_t limit);

}  // namespace cb
