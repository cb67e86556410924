// MITRE ATT&CK techniques by what a session did (issue 15). Editable rules (rules/attack.toml,
// compiled into the binary; `--attack-rules FILE` for another file, docs/ATTACK.md) map command
// lines and logged events to technique ids. Each session gets `attack`, its techniques in the
// order it first showed them; the attack analysis counts them (tables/attack.csv and
// attack_weekly.csv) and attack_layer.json shows them as an ATT&CK Navigator layer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cb/analysis/table.hpp"
#include "cb/session/session.hpp"
#include "cb/util/string_pool.hpp"

namespace cb {

struct AttackTechnique {
    std::string id, name;              // "T1105", "Ingress Tool Transfer"
    std::vector<std::string> tactics;  // short names: "command-and-control"
};

// One simple command of a command line as the rules see it: the program's base name (after
// VAR=value words and wrappers such as sudo and busybox) and its arguments, quotes removed.
struct SimpleCommand {
    std::string program;
    std::vector<std::string> args;
    std::string piped_from;  // the program whose output a | feeds into this one; "" if none
};
// The simple commands of a line: split at ; & && || | newlines ( ) { } ` and $( outside quotes;
// a shell's `-c SCRIPT` (sh, bash, $SHELL, ...) adds the script's simple commands after it.
void simple_commands(std::string_view line, std::vector<SimpleCommand>& out);

class AttackRules {
public:
    AttackRules();
    ~AttackRules();
    AttackRules(AttackRules&&) noexcept;
    AttackRules& operator=(AttackRules&&) noexcept;

    // The rules shipped with the tool (rules/attack.toml), and that file's text.
    static std::shared_ptr<const AttackRules> builtin();
    static std::string_view builtin_text();
    // Parses rules written in TOML. On a problem returns null with *error naming the source,
    // the line and what is wrong ("my.toml:12:3: ...").
    static std::shared_ptr<const AttackRules> parse(std::string_view toml, const std::string& source,
                                                    std::string* error);
    // Reads and parses a rules file (the same errors, or that it cannot be read).
    static std::shared_ptr<const AttackRules> load(const std::string& path, std::string* error);

    const std::string& attack_version() const;
    // The TOML the rules were parsed from (to hand them to Hadoop tasks).
    const std::string& text() const;
    const std::vector<AttackTechnique>& techniques() const;
    // The technique with this id, or null.
    const AttackTechnique* find(std::string_view id) const;

    // The ids of the techniques session s shows, in the order it first showed them, joined by
    // ','; "" for none. Not thread-safe: one Matcher per thread.
    class Matcher;
    std::unique_ptr<Matcher> matcher() const;

private:
    struct Rules;
    std::unique_ptr<Rules> rules_;
};

class AttackRules::Matcher {
public:
    virtual ~Matcher() = default;
    virtual std::string_view match(const Session& s) = 0;
};

// Calls f(id) for each technique id of a Session::attack text, in order.
template <typename F>
void for_each_attack_id(std::string_view ids, F&& f) {
    while (!ids.empty()) {
        const std::size_t comma = ids.find(',');
        f(ids.substr(0, comma));
        ids = comma == std::string_view::npos ? std::string_view() : ids.substr(comma + 1);
    }
}

// Sets Session::attack of every session, on up to `threads` threads; the texts go into new
// pools appended to `pools`.
void assign_attack(std::vector<Session>& sessions, const AttackRules& rules, unsigned threads,
                   std::vector<StringPool>& pools);

// attack_layer.json: an ATT&CK Navigator layer (layer format 4.5, domain enterprise-attack) of
// tables/attack.csv, a score per technique (its sessions). "" when the table is absent.
std::string attack_layer_json(const Table* attack, const AttackRules& rules);

}  // namespace cb
