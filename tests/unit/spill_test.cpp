// Spilling (engine/spill.hpp): sessions that went through key runs, the merge by key and the
// order runs are the sessions built in memory, in the same order, with the same marker statistics.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "cb/engine/analyze.hpp"
#include "cb/engine/spill.hpp"
#include "cb/engine/state.hpp"
#include "cb/output/outputs.hpp"
#include "cb/util/interrupt_cleanup.hpp"

using namespace cb;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> as_json(const std::vector<Session>& sessions) {
    std::vector<std::string> out;
    for (const Session& s : sessions) append_session_json(out.emplace_back(), s);
    return out;
}

struct Spilled {
    std::vector<std::string> key_runs;
    SpillStats stats;
};

// Ingests dir with a worker budget small enough that every worker spills several times.
Spilled spill_dir_logs(const std::string& dir, SpillDir& spill_dir, std::uint64_t budget) {
    InputSet in = scan_inputs({dir});
    PartialSpill spill(spill_dir, budget);
    IngestOptions io;
    io.threads = 2;
    io.spill = &spill;
    IngestResult r = ingest(in.files, io);
    EXPECT_TRUE(spill.error().empty()) << spill.error();
    for (const auto& shard : r.shards) EXPECT_EQ(shard.size(), 0u) << "a spilled ingest keeps nothing in memory";
    return {spill.files(), spill.stats()};
}

std::vector<std::string> read_all(SpilledSessions& source, std::size_t* chunks) {
    std::vector<std::string> out;
    std::vector<Session> chunk;
    StringPool pool;
    *chunks = 0;
    while (source.next_chunk(chunk, pool)) {
        ++*chunks;
        for (auto& j : as_json(chunk)) out.push_back(std::move(j));
    }
    EXPECT_TRUE(source.error().empty()) << source.error();
    return out;
}

struct InMemory {
    std::vector<std::string> sessions;
    std::string markers;
};

InMemory in_memory(const std::string& dir) {
    InputSet in = scan_inputs({dir});
    IngestOptions io;
    io.threads = 2;
    IngestResult r = ingest(in.files, io);
    std::vector<Session> sessions = build_sessions(r.shards, SessionOptions{}, 2);
    return {as_json(sessions), collect_markers(sessions, 2).finish().encode()};
}

const std::string kShipped = std::string(CB_SOURCE_DIR) + "/tests/data";

// The key hashes of the sessions in key runs, sorted, once each.
std::vector<std::uint64_t> unique_keys(const std::vector<std::string>& key_runs) {
    std::vector<std::uint64_t> all;
    EXPECT_EQ(key_run_hashes(key_runs, &all), "");
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    return all;
}

}  // namespace

TEST(Spill, SessionsThroughRunsEqualSessionsInMemory) {
    const InMemory want = in_memory(kShipped);
    ASSERT_GT(want.sessions.size(), 100u);
    const fs::path tmp = fs::temp_directory_path() / "cb-spill-test";
    fs::create_directories(tmp);
    SpillDir dir(tmp.string());
    const Spilled s = spill_dir_logs(kShipped, dir, 16 << 10);
    EXPECT_GE(s.key_runs.size(), 4u);
    OrderRuns order = merge_key_runs(s.key_runs, dir, SessionOptions{}, 32 << 10);
    ASSERT_TRUE(order.error.empty()) << order.error;
    EXPECT_GE(order.files.size(), 2u) << "the batches must have been cut";
    EXPECT_EQ(order.sessions, want.sessions.size());
    EXPECT_EQ(order.markers.finish().encode(), want.markers);
    SpilledSessions source(order.files, SessionOptions{}, 8 << 10);
    std::size_t chunks = 0;
    EXPECT_EQ(read_all(source, &chunks), want.sessions);
    EXPECT_GE(chunks, 3u);
    source.rewind();
    EXPECT_EQ(read_all(source, &chunks), want.sessions) << "a second pass reads the same sessions";
}

TEST(Spill, PartitionedMergesEqualOneMerge) {
    const InMemory want = in_memory(kShipped);
    const fs::path tmp = fs::temp_directory_path() / "cb-spill-test-parts";
    fs::create_directories(tmp);
    SpillDir dir(tmp.string());
    const Spilled s = spill_dir_logs(kShipped, dir, 16 << 10);
    for (unsigned threads : {2u, 3u}) {
        // 32 MiB: read buffers for every partition's key runs (a smaller batch folds them first,
        // which removes them)
        OrderRuns order = merge_key_runs(s.key_runs, dir, SessionOptions{}, 32 << 20, threads);
        ASSERT_TRUE(order.error.empty()) << order.error;
        EXPECT_GE(order.files.size(), threads) << "each partition writes its own order runs";
        EXPECT_EQ(order.sessions, want.sessions.size());
        EXPECT_EQ(order.markers.finish().encode(), want.markers) << threads << " partitions";
        SpilledSessions source(order.files, SessionOptions{}, 8 << 10);
        std::size_t chunks = 0;
        EXPECT_EQ(read_all(source, &chunks), want.sessions) << threads << " partitions";
    }
}

TEST(Spill, PartitionsStayWithinOpenFilesAndReadBuffers) {
    EXPECT_EQ(merge_partitions(12, 2, 64 << 20), 2u) << "the 4 GiB benchmark at 512M";
    EXPECT_EQ(merge_partitions(0, 4, 64 << 20), 4u);
    EXPECT_EQ(merge_partitions(12, 8, 1 << 20), 1u) << "16 read buffers of 256 KiB at most: not 2 x 12";
    EXPECT_EQ(merge_partitions(5, 8, 1 << 20), 1u) << "8 read buffers (kMinFanIn): not 2 x 5";
    EXPECT_EQ(merge_partitions(5, 8, 8 << 20), 6u) << "32 read buffers";
    rlimit files{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &files), 0);
    if (files.rlim_cur != RLIM_INFINITY) {
        const std::size_t runs = files.rlim_cur / 8 + 1;  // two partitions would hold over a quarter
        EXPECT_EQ(merge_partitions(runs, 8, std::uint64_t{1} << 40), 1u);
    }
}

// A lower --memory-limit opens fewer spill files at once, not more: each holds a 256 KiB read
// buffer (a run at 1M merged 40,639 key runs 5,000 at a time, 1.3 GiB, when the open-file limit
// alone bounded them).
TEST(Spill, FanInFollowsTheMemoryForReadBuffers) {
    EXPECT_EQ(merge_fan_in(0), kMinFanIn);
    EXPECT_EQ(merge_fan_in(1 << 20), kMinFanIn);
    rlimit files{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &files), 0);
    rlimit low = files;
    low.rlim_cur = 4096;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
    EXPECT_EQ(merge_fan_in(16 << 20), 64u);
    EXPECT_EQ(merge_fan_in(std::uint64_t{1} << 40), 1024u);
    ::setrlimit(RLIMIT_NOFILE, &files);
}

TEST(Spill, RunsFoldedIntoATreeGiveTheSameSessions) {
    const InMemory want = in_memory(kShipped);
    const fs::path tmp = fs::temp_directory_path() / "cb-spill-test-fold";
    fs::create_directories(tmp);
    SpillDir dir(tmp.string());
    const Spilled s = spill_dir_logs(kShipped, dir, 4 << 10);
    ASSERT_GE(s.key_runs.size(), 9u);
    std::string error;
    const std::vector<std::string> keys = fold_runs(s.key_runs, dir, 3, true, &error);
    ASSERT_TRUE(error.empty()) << error;
    EXPECT_LE(keys.size(), 3u);
    for (const auto& f : s.key_runs) EXPECT_FALSE(fs::exists(f)) << "merged spill files are removed";
    OrderRuns order = merge_key_runs(keys, dir, SessionOptions{}, 4 << 10, 2);
    ASSERT_TRUE(order.error.empty()) << order.error;
    EXPECT_EQ(order.markers.finish().encode(), want.markers);
    ASSERT_GE(order.files.size(), 3u);  // at most kMinFanIn: folded in merge_key_runs() already
    const std::vector<std::string> ordered = fold_runs(order.files, dir, 2, false, &error);
    ASSERT_TRUE(error.empty()) << error;
    EXPECT_LE(ordered.size(), 2u);
    SpilledSessions source(ordered, SessionOptions{}, 8 << 10);
    std::size_t chunks = 0;
    EXPECT_EQ(read_all(source, &chunks), want.sessions);
}

TEST(Spill, OneSegmentHoldsEverySession) {
    const InMemory want = in_memory(kShipped);
    const fs::path tmp = fs::temp_directory_path() / "cb-spill-test-merged";
    fs::create_directories(tmp);
    SpillDir dir(tmp.string());
    const Spilled s = spill_dir_logs(kShipped, dir, 16 << 10);
    const std::string merged = (tmp / "all-sessions").string();
    std::vector<std::string> runs = s.key_runs;
    ASSERT_EQ(write_segment(&runs, dir, merged, 1 << 20), "");
    // The segment is compressed and is a key run like any other: merged again, alone or with
    // nothing new, it gives the same sessions.
    OrderRuns again = merge_key_runs({merged}, dir, SessionOptions{}, 1 << 20);
    ASSERT_TRUE(again.error.empty()) << again.error;
    SpilledSessions source(again.files, SessionOptions{}, 1 << 20);
    std::size_t chunks = 0;
    EXPECT_EQ(read_all(source, &chunks), want.sessions);
    EXPECT_LT(fs::file_size(merged), s.stats.key_run_bytes / 2) << "zstd should at least halve it";
    fs::remove(merged);
}

TEST(Spill, KeyRunsLoadedOnSeveralDecodersGiveTheSameSessions) {
    const InMemory want = in_memory(kShipped);
    const fs::path tmp = fs::temp_directory_path() / "cb-spill-test-load";
    fs::create_directories(tmp);
    SpillDir dir(tmp.string());
    const Spilled s = spill_dir_logs(kShipped, dir, 16 << 10);
    ASSERT_GE(s.key_runs.size(), 4u) << "a session's partials must be in several runs";
    for (std::size_t decoders : {1u, 3u}) {
        std::vector<SessionMap> shards(64);
        std::vector<StringPool> pools(decoders);
        std::vector<StringPool*> ptrs;
        for (auto& p : pools) ptrs.push_back(&p);
        ASSERT_EQ(load_key_runs(s.key_runs, shards, ptrs), "");
        EXPECT_EQ(as_json(build_sessions(shards, SessionOptions{}, 2)), want.sessions) << decoders << " decoders";
    }
    // A filtered load decodes the partials of the keys asked for only (every one of their
    // partials, from every run); the others, loaded after, complete the same sessions.
    const std::vector<std::uint64_t> all = unique_keys(s.key_runs);
    std::vector<std::uint64_t> half;
    for (std::size_t i = 0; i < all.size(); i += 2) half.push_back(all[i]);
    std::vector<SessionMap> parts(64);
    std::vector<StringPool> part_pools(2);
    ASSERT_EQ(load_key_runs(s.key_runs, parts, {&part_pools[0]}, {&half}), "");
    std::vector<std::uint64_t> loaded;
    for (const SessionMap& shard : parts)
        for (std::size_t i = 0; i < shard.size(); ++i)
            loaded.push_back(session_key_hash(shard.at(i).second.key.sensor, shard.at(i).second.key.session));
    std::sort(loaded.begin(), loaded.end());
    EXPECT_EQ(loaded, half);
    ASSERT_EQ(load_key_runs(s.key_runs, parts, {&part_pools[1]}, {&half, true}), "");
    EXPECT_EQ(as_json(build_sessions(parts, SessionOptions{}, 2)), want.sessions);
    std::vector<SessionMap> shards(8);
    StringPool pool;
    const std::string damaged = (tmp / "damaged").string();
    std::FILE* f = std::fopen(damaged.c_str(), "wb");
    const char bytes[] = {5, 0, 0, 0, 'x', 'y', 'z', 'w', 'v'};  // one record, too short to hold a key
    std::fwrite(bytes, 1, sizeof bytes, f);
    std::fclose(f);
    EXPECT_NE(load_key_runs({damaged}, shards, {&pool}).find("damaged record"), std::string::npos);
    fs::remove(damaged);
}

// What a filtered load takes, copied out with copy_records() (a state's `likely`), loads as the
// same partials: a key's records from several runs stay in their order, and only the keys asked
// for are copied.
TEST(Spill, RecordsTakenByALoadCopyToAFileThatLoadsTheSame) {
    const fs::path tmp = fs::temp_directory_path() / "cb-spill-test-copy";
    fs::create_directories(tmp);
    SpillDir dir(tmp.string());
    const Spilled s = spill_dir_logs(kShipped, dir, 16 << 10);
    const std::vector<std::uint64_t> all = unique_keys(s.key_runs);
    std::vector<std::uint64_t> half, quarter;
    for (std::size_t i = 0; i < all.size(); i += 2) half.push_back(all[i]);
    for (std::size_t i = 0; i < half.size(); i += 2) quarter.push_back(half[i]);
    std::vector<SessionMap> direct(64);
    StringPool direct_pool;
    TakenRecords taken;
    std::vector<std::vector<std::uint64_t>> keys_of;  // every record's key, taken or not, by file
    ASSERT_EQ(load_key_runs(s.key_runs, direct, {&direct_pool}, {&half}, &taken, &keys_of), "");
    ASSERT_TRUE(taken.complete);
    ASSERT_EQ(keys_of.size(), s.key_runs.size());
    for (std::size_t i = 0; i < s.key_runs.size(); ++i) {
        std::vector<std::uint64_t> in_file;
        ASSERT_EQ(key_run_hashes({s.key_runs[i]}, &in_file), "");
        EXPECT_EQ(keys_of[i], in_file) << s.key_runs[i];
    }
    const std::string likely = (tmp / "likely").string();
    std::vector<std::uint64_t> copied;
    ASSERT_EQ(copy_records(likely, taken.bytes, {}, quarter, &copied), "");
    EXPECT_EQ(copied, quarter);
    std::vector<SessionMap> from_copy(64), from_runs(64);
    StringPool a, b;
    ASSERT_EQ(load_key_runs({likely}, from_copy, {&a}), "");
    ASSERT_EQ(load_key_runs(s.key_runs, from_runs, {&b}, {&quarter}), "");
    const std::vector<std::string> sessions = as_json(build_sessions(from_copy, SessionOptions{}, 1));
    EXPECT_EQ(sessions.size(), quarter.size());
    EXPECT_EQ(sessions, as_json(build_sessions(from_runs, SessionOptions{}, 1)));
    // from the runs themselves too: the same records
    std::vector<std::uint64_t> copied_again;
    const std::string again = (tmp / "likely-from-runs").string();
    ASSERT_EQ(copy_records(again, {}, s.key_runs, quarter, &copied_again), "");
    EXPECT_EQ(copied_again, quarter);
    std::vector<SessionMap> from_again(64);
    StringPool c;
    ASSERT_EQ(load_key_runs({again}, from_again, {&c}), "");
    EXPECT_EQ(as_json(build_sessions(from_again, SessionOptions{}, 1)), sessions);
    // past its limit, a load keeps none of the records (and says so)
    TakenRecords few;
    few.limit = taken.bytes.size() / 2;
    std::vector<SessionMap> again_shards(64);
    StringPool d;
    ASSERT_EQ(load_key_runs(s.key_runs, again_shards, {&d}, {&half}, &few), "");
    EXPECT_FALSE(few.complete);
    EXPECT_TRUE(few.bytes.empty());
    fs::remove_all(tmp);
}

// A sessions file's key list (FILE.keys): sorted and deduplicated when saved; any damaged byte
// or a cut makes it not load (a key missing from it would make a run skip that file wrongly).
TEST(Spill, KeyListsLoadSortedAndRefuseDamage) {
    const fs::path tmp = fs::temp_directory_path() / "cb-spill-test-keys";
    fs::create_directories(tmp);
    const std::string path = (tmp / "sessions.keys").string();
    ASSERT_EQ(save_key_list(path, {9, 3, 7, 3, 1}, 42), "");
    std::vector<std::uint64_t> keys;
    std::uint64_t tag = 0;
    ASSERT_TRUE(load_key_list(path, &keys, &tag));
    EXPECT_EQ(keys, (std::vector<std::uint64_t>{1, 3, 7, 9}));
    EXPECT_EQ(tag, 42u);
    std::string bytes;
    {
        std::ifstream in(path, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        std::string damaged = bytes;
        damaged[i] = static_cast<char>(damaged[i] ^ 0x10);
        std::ofstream(path, std::ios::binary | std::ios::trunc) << damaged;
        keys.clear();
        EXPECT_FALSE(load_key_list(path, &keys, &tag)) << "byte " << i;
    }
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() - 1);
    EXPECT_FALSE(load_key_list(path, &keys, &tag));
    EXPECT_FALSE(load_key_list((tmp / "missing.keys").string(), &keys, &tag));
    fs::remove_all(tmp);
}

TEST(Spill, FolderIsMadeOnDemandAndRemoved) {
    const fs::path tmp = fs::temp_directory_path() / "cb-spill-test-dir";
    fs::remove_all(tmp);
    fs::create_directories(tmp);
    std::string made;
    {
        SpillDir dir(tmp.string());
        EXPECT_TRUE(fs::is_empty(tmp)) << "nothing is made before a file is asked for";
        const std::string f = dir.next_file("keys");
        ASSERT_FALSE(f.empty());
        made = dir.path();
        EXPECT_TRUE(fs::is_directory(made));
    }
    EXPECT_FALSE(fs::exists(made));
    SpillDir bad((tmp / "missing" / "deeper").string());
    EXPECT_TRUE(bad.next_file("keys").empty());
    EXPECT_NE(bad.error().find("missing/deeper"), std::string::npos) << bad.error();
    fs::remove_all(tmp);
}

// Whether the folder's file system can punch holes (ext4, XFS, Btrfs and tmpfs can).
bool can_punch(const fs::path& dir) {
    const fs::path f = dir / "punch-probe";
    { std::ofstream(f) << std::string(1 << 16, 'x'); }
    const int fd = ::open(f.c_str(), O_WRONLY);
    const bool ok = fd >= 0 && ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 1 << 16) == 0;
    if (fd >= 0) ::close(fd);
    fs::remove(f);
    return ok;
}

std::uint64_t blocks_of(const fs::path& f) {
    struct stat st {};
    return ::stat(f.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_blocks) : 0;
}

// A merge that consumes its key runs frees their bytes as every partition passes them (seen
// through hard links, which share the file's blocks) and removes them; a run from another folder
// (a state's sessions file) is read whole and kept. The folder then holds the order runs alone,
// and they give the sessions built in memory. `fold`: more key runs than one merge may open, so
// that they are first merged in groups (fold_runs), which consumes them the same way.
void check_consuming_merge(bool fold) {
    constexpr std::uint64_t kBatch = 8 << 20;
    rlimit files{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &files), 0);
    rlimit low = files;
    low.rlim_cur = 64;  // merge_fan_in() 16: the open files bound it, not the buffers of batch_bytes (8 MiB)
    if (fold) ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
    const fs::path tmp = fs::temp_directory_path() / (fold ? "cb-spill-test-consume-fold" : "cb-spill-test-consume");
    fs::remove_all(tmp);
    fs::create_directories(tmp / "links");
    SpillDir dir(tmp.string());
    Spilled s = spill_dir_logs(kShipped, dir, fold ? 1 << 10 : 16 << 10);
    if (fold)
        ASSERT_GT(s.key_runs.size(), merge_fan_in(kBatch)) << "too few key runs to fold";
    else
        ASSERT_LE(s.key_runs.size(), merge_fan_in(kBatch)) << "key runs that would be folded";
    const fs::path state_file = tmp / "state-sessions";  // outside the spill's folder
    fs::rename(s.key_runs.back(), state_file);
    s.key_runs.back() = state_file.string();
    const std::uint64_t state_blocks = blocks_of(state_file);
    std::vector<fs::path> links;
    std::uint64_t key_bytes = 0;  // what the spill's key runs take on disk, as dir counted them
    for (std::size_t i = 0; i + 1 < s.key_runs.size(); ++i) {
        key_bytes += blocks_of(s.key_runs[i]) * 512;
        fs::create_hard_link(s.key_runs[i], links.emplace_back(tmp / "links" / std::to_string(i)));
    }
    EXPECT_GE(dir.peak_bytes(), key_bytes) << "every key run counts from its close";
    OrderRuns order = merge_key_runs(s.key_runs, dir, SessionOptions{}, kBatch, 2, true);
    ::setrlimit(RLIMIT_NOFILE, &files);
    ASSERT_TRUE(order.error.empty()) << order.error;
    const bool punch = can_punch(tmp);
    std::uint64_t order_bytes = 0;
    for (const std::string& f : order.files) order_bytes += blocks_of(f) * 512;
    // The folder's peak: the key runs (and the folded ones), and with punching less than all of
    // them with every order run beside them.
    EXPECT_GE(dir.peak_bytes(), std::max(key_bytes, order_bytes));
    if (punch) EXPECT_LT(dir.peak_bytes(), key_bytes + order_bytes);
    for (const fs::path& l : links) {
        EXPECT_GT(fs::file_size(l), 0u) << "a punched file keeps its size";
        if (punch) EXPECT_EQ(blocks_of(l), 0u) << l << ": its bytes were not freed";
    }
    EXPECT_TRUE(fs::exists(state_file));
    EXPECT_EQ(blocks_of(state_file), state_blocks) << "a file of another folder is only read";
    std::vector<std::string> left;
    for (const auto& e : fs::directory_iterator(dir.path())) left.push_back(e.path().string());
    std::sort(left.begin(), left.end());
    std::vector<std::string> want = order.files;
    std::sort(want.begin(), want.end());
    EXPECT_EQ(left, want);
    SpilledSessions source(order.files, SessionOptions{}, 8 << 10);
    std::size_t chunks = 0;
    EXPECT_EQ(read_all(source, &chunks), in_memory(kShipped).sessions);
    fs::remove_all(tmp);
}

TEST(Spill, ConsumedKeyRunsAreFreedAndRemovedOthersKept) { check_consuming_merge(false); }
TEST(Spill, ConsumedKeyRunsFoldedFirstAreFreedAndRemovedOthersKept) { check_consuming_merge(true); }

// What a later run removes of the folders killed runs left: only names of this prefix whose
// process id is a possible one that no other process has (this process's own counts as gone: a
// container's runs all have the same one), with nothing after it but what the caller allows.
TEST(InterruptCleanup, OnlyFoldersOfProcessesThatAreGone) {
    long dead = 0;
    for (long pid = 30000; pid > 2 && !dead; --pid)
        if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) dead = pid;
    ASSERT_GT(dead, 0);
    const std::string gone = std::to_string(dead), me = std::to_string(::getpid());
    EXPECT_TRUE(left_by_a_dead_process("state.new-" + gone, "state.new-"));
    EXPECT_TRUE(left_by_a_dead_process("state.new-" + me, "state.new-"));
    EXPECT_TRUE(left_by_a_dead_process("cowrie-batch-spill-" + gone + ".Ab3xYz", "cowrie-batch-spill-", '.'));
    EXPECT_FALSE(left_by_a_dead_process("cowrie-batch-spill-" + gone + ".Ab3xYz", "cowrie-batch-spill-"));
    EXPECT_FALSE(left_by_a_dead_process("state.new-" + gone + ".bak", "state.new-")) << "a user's copy";
    EXPECT_FALSE(left_by_a_dead_process("state.old-20240101", "state.old-")) << "a date, above any pid_max";
    EXPECT_FALSE(left_by_a_dead_process("state.new-1", "state.new-")) << "init runs";
    EXPECT_FALSE(left_by_a_dead_process("state.new-", "state.new-"));
    EXPECT_FALSE(left_by_a_dead_process("state.new-12x", "state.new-"));
    EXPECT_FALSE(left_by_a_dead_process("state.new--5", "state.new-"));
    EXPECT_FALSE(left_by_a_dead_process("other.new-" + gone, "state.new-"));
}
