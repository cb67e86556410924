// ATT&CK rules (attack.hpp): the TOML rules file, the command-line splitter the rules see, the
// per-session matcher and the Navigator layer. toml++ (Debian's libtomlplusplus-dev) is used
// header-only in this one file, so the static build for Hadoop nodes needs no shared library.
#include "cb/analysis/attack.hpp"

#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_map>

#include "cb/analysis/compact_state.hpp"
#include "cb/util/json_writer.hpp"
#include "cb/util/parallel.hpp"
#include "cb/util/text.hpp"

namespace cb {

extern const char kAttackRulesToml[];  // rules/attack.toml, generated at build time (embed_text.cmake)

namespace {

// ---- Splitting a command line into simple commands ----

std::string_view base_name_of(std::string_view w) {
    const std::size_t slash = w.rfind('/');
    return slash == std::string_view::npos ? w : w.substr(slash + 1);
}

bool is_assignment(std::string_view w) {
    const std::size_t eq = w.find('=');
    if (eq == 0 || eq == std::string_view::npos) return false;
    for (std::size_t i = 0; i < eq; ++i) {
        const char c = w[i];
        const bool ok = c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (i > 0 && c >= '0' && c <= '9');
        if (!ok) return false;
    }
    return true;
}

bool is_wrapper(std::string_view program) {
    for (std::string_view w : {"sudo", "busybox", "env", "nohup", "exec", "command", "nice", "time"})
        if (program == w) return true;
    return false;
}

bool is_shell(std::string_view program) {
    for (std::string_view w : {"sh", "bash", "ash", "dash", "zsh", "ksh", "$SHELL", "${SHELL}"})
        if (program == w) return true;
    return false;
}

constexpr int kMaxShellDepth = 3;  // sh -c "bash -c '...'" nests rarely deeper
void split_line(std::string_view line, std::vector<SimpleCommand>& out, int depth);

// words -> program and arguments: VAR=value words and wrappers (with their options) skipped.
// `piped_from`: the program before a `|` that feeds this command. A shell given `-c SCRIPT` gets
// the script's own simple commands after it (Cowrie does not always log them as lines).
void add_command(std::vector<std::string>& words, std::string piped_from, std::vector<SimpleCommand>& out, int depth) {
    if (words.empty()) return;
    std::size_t i = 0;
    while (i < words.size() && is_assignment(words[i])) ++i;
    SimpleCommand c;
    c.piped_from = std::move(piped_from);
    if (i == words.size()) {  // assignments only: no program, the assignments are the arguments
        c.args = std::move(words);
        out.push_back(std::move(c));
        words.clear();
        return;
    }
    while (i + 1 < words.size() && is_wrapper(base_name_of(words[i]))) {
        ++i;  // the wrapper's options (sudo -u root, nice -n 10) and env's assignments
        while (i + 1 < words.size() && (words[i].starts_with('-') || is_assignment(words[i])))
            i += words[i].size() == 2 && std::string_view("ugnCp").find(words[i][1]) != std::string_view::npos ? 2 : 1;
    }
    if (i >= words.size()) i = words.size() - 1;
    c.program = std::string(base_name_of(words[i]));
    if (c.program == "$SHELL" || c.program == "${SHELL}") c.program = "sh";
    c.args.assign(std::make_move_iterator(words.begin() + static_cast<std::ptrdiff_t>(i) + 1),
                  std::make_move_iterator(words.end()));
    words.clear();
    std::string script;
    if (is_shell(c.program) && depth < kMaxShellDepth)
        for (std::size_t a = 0; a + 1 < c.args.size(); ++a)
            if (c.args[a] == "-c") {
                script = c.args[a + 1];
                break;
            }
    out.push_back(std::move(c));
    if (!script.empty()) split_line(script, out, depth + 1);
}

void split_line(std::string_view line, std::vector<SimpleCommand>& out, int depth) {
    std::vector<std::string> words;
    std::string word, piped_from;
    bool in_word = false;
    bool var_brace = false;  // the word holds a ${ (its } stay in the word)
    char quote = 0;
    auto end_word = [&] {
        if (in_word) words.push_back(std::move(word));
        word.clear();
        in_word = false;
        var_brace = false;
    };
    // Ends the command; `pipe`: a single | feeds the next one.
    auto end_command = [&](bool pipe = false) {
        end_word();
        const std::size_t before = out.size();
        add_command(words, std::move(piped_from), out, depth);
        piped_from = pipe && out.size() > before ? out[before].program : std::string();
    };
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        const char next = i + 1 < line.size() ? line[i + 1] : '\0';
        if (quote == '\'') {
            if (c == '\'')
                quote = 0;
            else
                word.push_back(c);
            continue;
        }
        if (quote == '"') {
            if (c == '"')
                quote = 0;
            else if (c == '\\' && (next == '"' || next == '\\' || next == '$' || next == '`'))
                word.push_back(line[++i]);
            else
                word.push_back(c);
            continue;
        }
        switch (c) {
            case '\'':
            case '"':
                quote = c;
                in_word = true;
                break;
            case '\\':
                if (next) word.push_back(line[++i]);
                in_word = true;
                break;
            case ' ':
            case '\t':
            case '\r':
                end_word();
                break;
            case '&':  // `2>&1` and `&>file` are redirections, part of a word
                if ((i > 0 && line[i - 1] == '>') || next == '>') {
                    word.push_back(c);
                    in_word = true;
                } else {
                    end_command();
                    if (next == '&') ++i;
                }
                break;
            case '|':
                end_command(next != '|');
                if (next == '|') ++i;
                break;
            case '$':
                if (next == '(') {
                    end_command();
                    ++i;
                } else {
                    word.push_back(c);
                    in_word = true;
                }
                break;
            case '{':
            case '}':  // ${VAR} stays a word
                if (c == '{' && i > 0 && line[i - 1] == '$') {
                    word.push_back(c);
                    in_word = true;
                    var_brace = true;
                } else if (c == '}' && in_word && var_brace) {
                    word.push_back(c);
                } else {
                    end_command();
                }
                break;
            case '\n':
            case ';':
            case '(':
            case ')':
            case '`':
                end_command();
                break;
            default:
                word.push_back(c);
                in_word = true;
        }
    }
    end_command();
}

}  // namespace

void simple_commands(std::string_view line, std::vector<SimpleCommand>& out) {
    out.clear();
    split_line(line, out, 0);
}

namespace {

// ---- Rules ----

struct CommandRule {
    std::vector<std::string> programs, not_programs, args, not_args, arg_is, piped_from;
    std::size_t min_args = 0;
    bool ignore_case = false;

    static bool listed(const std::vector<std::string>& v, std::string_view s) {
        return std::find(v.begin(), v.end(), s) != v.end();
    }
    static bool any_in(const std::vector<std::string>& needles, std::string_view hay) {
        for (const auto& n : needles)
            if (hay.find(n) != std::string_view::npos) return true;
        return false;
    }
    // `joined`: the arguments joined by single spaces (lower-cased when ignore_case).
    bool matches(const SimpleCommand& c, std::string_view joined) const {
        if (!programs.empty() && !listed(programs, c.program)) return false;
        if (listed(not_programs, c.program)) return false;
        if (c.args.size() < min_args) return false;
        if (!piped_from.empty() && !listed(piped_from, c.piped_from)) return false;
        if (!arg_is.empty() &&
            std::none_of(c.args.begin(), c.args.end(), [&](const auto& a) { return listed(arg_is, a); }))
            return false;
        if (!args.empty() && !any_in(args, joined)) return false;
        return !any_in(not_args, joined);
    }
};

struct TechniqueRules {
    std::vector<CommandRule> commands;
    bool downloads = false, uploads = false, tcpip = false;
    std::vector<std::string> file_writes, file_write_paths;
    std::uint64_t min_login_attempts = 0;  // 0: no rule on logins
};

std::string lower(std::string_view s) {
    std::string r(s);
    for (char& c : r)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return r;
}

std::string where(const toml::source_region& r, const std::string& source) {
    return source + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column) + ": ";
}

// The place of the first byte above 0x7F, as "LINE:COLUMN", or "". toml++ 3.3.0 reaches
// __builtin_unreachable() (undefined behaviour) when it asks whether some such characters are
// whitespace (found by fuzz/targets.cpp's attack_rules, with the character outside a string), and
// which bytes its parser takes as outside a string on a broken file cannot be told beforehand. So
// rules files are ASCII: other characters go into strings as \uXXXX escapes.
std::string first_non_ascii(std::string_view s) {
    std::size_t line = 1, col = 0;
    for (char c : s) {
        ++col;
        if (static_cast<unsigned char>(c) > 0x7F) return std::to_string(line) + ":" + std::to_string(col);
        if (c == '\n') {
            ++line;
            col = 0;
        }
    }
    return {};
}

// Reads the TOML of one rules file; every problem names the place.
class RulesReader {
public:
    explicit RulesReader(std::string source) : source_(std::move(source)) {}
    const std::string& error() const { return error_; }

    bool fail(const toml::node& n, const std::string& what) {
        if (error_.empty()) error_ = where(n.source(), source_) + what;
        return false;
    }

    bool strings(const toml::table& t, std::string_view key, std::vector<std::string>& out, bool lowered = false) {
        const toml::node* n = t.get(key);
        if (!n) return true;
        const toml::array* a = n->as_array();
        if (!a) return fail(*n, std::string(key) + " must be a list of strings");
        for (const toml::node& e : *a) {
            const auto v = e.value<std::string>();
            if (!v || v->empty()) return fail(e, std::string(key) + " must hold non-empty strings");
            out.push_back(lowered ? lower(*v) : *v);
        }
        return true;
    }

    bool flag(const toml::table& t, std::string_view key, bool& out) {
        const toml::node* n = t.get(key);
        if (!n) return true;
        const auto v = n->value<bool>();
        if (!v) return fail(*n, std::string(key) + " must be true or false");
        out = *v;
        return true;
    }

    bool count(const toml::table& t, std::string_view key, std::uint64_t& out) {
        const toml::node* n = t.get(key);
        if (!n) return true;
        const auto v = n->value<std::int64_t>();
        if (!v || *v < 0) return fail(*n, std::string(key) + " must be a whole number, 0 or more");
        out = static_cast<std::uint64_t>(*v);
        return true;
    }

    bool text(const toml::table& t, std::string_view key, std::string& out, const toml::node& owner) {
        const toml::node* n = t.get(key);
        if (!n) return fail(owner, "missing " + std::string(key));
        const auto v = n->value<std::string>();
        if (!v || v->empty()) return fail(*n, std::string(key) + " must be a non-empty string");
        out = *v;
        return true;
    }

    bool only_keys(const toml::table& t, std::initializer_list<std::string_view> allowed) {
        for (const auto& [k, v] : t)
            if (std::find(allowed.begin(), allowed.end(), k.str()) == allowed.end())
                return fail(v, "unknown key " + std::string(k.str()));
        return true;
    }

    bool command(const toml::table& t, CommandRule& r) {
        std::uint64_t min_args = 0;
        if (!only_keys(t, {"programs", "not_programs", "args", "not_args", "arg_is", "piped_from", "min_args",
                           "ignore_case"}) ||
            !flag(t, "ignore_case", r.ignore_case) || !strings(t, "programs", r.programs) ||
            !strings(t, "arg_is", r.arg_is) || !strings(t, "piped_from", r.piped_from) ||
            !strings(t, "not_programs", r.not_programs) || !strings(t, "args", r.args, r.ignore_case) ||
            !strings(t, "not_args", r.not_args, r.ignore_case) || !count(t, "min_args", min_args))
            return false;
        r.min_args = min_args;
        return true;
    }

    bool technique(const toml::table& t, AttackTechnique& tech, TechniqueRules& r) {
        if (!only_keys(t, {"id", "name", "tactics", "command", "downloads", "uploads", "tcpip", "file_writes",
                           "file_write_paths", "min_login_attempts"}) ||
            !text(t, "id", tech.id, t) || !text(t, "name", tech.name, t) || !strings(t, "tactics", tech.tactics) ||
            !flag(t, "downloads", r.downloads) || !flag(t, "uploads", r.uploads) || !flag(t, "tcpip", r.tcpip) ||
            !strings(t, "file_writes", r.file_writes) || !strings(t, "file_write_paths", r.file_write_paths) ||
            !count(t, "min_login_attempts", r.min_login_attempts))
            return false;
        if (tech.tactics.empty()) return fail(t, "technique " + tech.id + " has no tactics");
        if (!valid_id(tech.id)) return fail(t, "technique id " + tech.id + " is not of the form T1234 or T1234.001");
        for (const auto& k : r.file_writes)
            if (k != "ssh_key" && k != "cron" && k != "init" && k != "shell_profile")
                return fail(t, "file_writes: unknown persistence kind " + k);
        if (const toml::node* n = t.get("command")) {
            const toml::array* a = n->as_array();
            if (!a) return fail(*n, "command must be written [[technique.command]]");
            for (const toml::node& e : *a) {
                const toml::table* ct = e.as_table();
                if (!ct) return fail(e, "command must be written [[technique.command]]");
                if (!command(*ct, r.commands.emplace_back())) return false;
            }
        }
        const bool any = !r.commands.empty() || r.downloads || r.uploads || r.tcpip || !r.file_writes.empty() ||
                         !r.file_write_paths.empty() || r.min_login_attempts > 0;
        if (!any) return fail(t, "technique " + tech.id + " has no rule: it could never match");
        return true;
    }

    static bool valid_id(std::string_view id) {
        auto digits = [](std::string_view s, std::size_t n) {
            return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
        };
        if (id.size() < 5 || id[0] != 'T' || !digits(id.substr(1, 4), 4)) return false;
        return id.size() == 5 || (id.size() == 9 && id[5] == '.' && digits(id.substr(6), 3));
    }

private:
    std::string source_, error_;
};

}  // namespace

struct AttackRules::Rules {
    std::string text, version;
    std::vector<AttackTechnique> techniques;
    std::vector<TechniqueRules> rules;  // per technique
};

AttackRules::AttackRules() : rules_(std::make_unique<Rules>()) {}
AttackRules::~AttackRules() = default;
AttackRules::AttackRules(AttackRules&&) noexcept = default;
AttackRules& AttackRules::operator=(AttackRules&&) noexcept = default;

const std::string& AttackRules::attack_version() const { return rules_->version; }
const std::string& AttackRules::text() const { return rules_->text; }
const std::vector<AttackTechnique>& AttackRules::techniques() const { return rules_->techniques; }

const AttackTechnique* AttackRules::find(std::string_view id) const {
    for (const auto& t : rules_->techniques)
        if (t.id == id) return &t;
    return nullptr;
}

std::string_view AttackRules::builtin_text() { return kAttackRulesToml; }

std::shared_ptr<const AttackRules> AttackRules::builtin() {
    static const std::shared_ptr<const AttackRules> rules = [] {
        std::string error;
        auto r = parse(builtin_text(), "rules/attack.toml (built in)", &error);
        if (!r) throw std::logic_error(error);  // a build that ships broken rules: tests fail first
        return r;
    }();
    return rules;
}

std::shared_ptr<const AttackRules> AttackRules::parse(std::string_view toml, const std::string& source,
                                                      std::string* error) {
    if (const std::string at = first_non_ascii(toml); !at.empty()) {
        *error = source + ":" + at +
                 ": a byte above 0x7F; rules files are ASCII (write other characters in strings as \\uXXXX)";
        return nullptr;
    }
    toml::parse_result parsed = toml::parse(toml, source);
    if (!parsed) {
        const toml::parse_error& e = parsed.error();
        *error = where(e.source(), source) + std::string(e.description());
        return nullptr;
    }
    const toml::table& root = parsed.table();
    RulesReader rd(source);
    auto out = std::make_shared<AttackRules>();
    Rules& r = *out->rules_;
    r.text = std::string(toml);
    if (!rd.only_keys(root, {"attack_version", "technique"}) || !rd.text(root, "attack_version", r.version, root)) {
        *error = rd.error();
        return nullptr;
    }
    const toml::array* list = root.get_as<toml::array>("technique");
    if (!list || list->empty()) {
        *error = source + ": no [[technique]]";
        return nullptr;
    }
    std::set<std::string> ids;
    for (const toml::node& n : *list) {
        const toml::table* t = n.as_table();
        if (!t) {
            rd.fail(n, "technique must be written [[technique]]");
            break;
        }
        AttackTechnique& tech = r.techniques.emplace_back();
        if (!rd.technique(*t, tech, r.rules.emplace_back())) break;
        if (!ids.insert(tech.id).second) {
            rd.fail(*t, "technique " + tech.id + " appears twice");
            break;
        }
    }
    if (!rd.error().empty()) {
        *error = rd.error();
        return nullptr;
    }
    if (r.techniques.size() > 0xFFFF) {
        *error = source + ": more than 65535 techniques";
        return nullptr;
    }
    return out;
}

std::shared_ptr<const AttackRules> AttackRules::load(const std::string& path, std::string* error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        *error = "cannot read the ATT&CK rules file " + path;
        return nullptr;
    }
    std::ostringstream s;
    s << in.rdbuf();
    return parse(s.str(), path, error);
}

namespace {

// Matches sessions against the rules; remembers what each distinct command line shows.
class SessionMatcher : public AttackRules::Matcher {
public:
    SessionMatcher(const std::vector<AttackTechnique>& techniques, const std::vector<TechniqueRules>& rules)
        : techniques_(techniques), rules_(rules), seen_(rules.size(), false) {}

    std::string_view match(const Session& s) override {
        order_.clear();
        std::fill(seen_.begin(), seen_.end(), false);
        std::uint64_t logins = 0;
        for (const Item& it : s.items) switch (it.kind) {
                case ItemKind::Login:
                    ++logins;
                    for_each_rule([&](const TechniqueRules& r) {
                        return r.min_login_attempts > 0 && logins >= r.min_login_attempts;
                    });
                    break;
                case ItemKind::Command:
                    for (std::uint16_t t : line_techniques(it.a)) add(t);
                    break;
                case ItemKind::Download:
                case ItemKind::DownloadFailed:
                    for_each_rule([](const TechniqueRules& r) { return r.downloads; });
                    break;
                case ItemKind::Upload:
                    for_each_rule([](const TechniqueRules& r) { return r.uploads; });
                    break;
                case ItemKind::Tcpip:
                    for_each_rule([](const TechniqueRules& r) { return r.tcpip; });
                    break;
                case ItemKind::FileWrite:
                    for_each_rule([&](const TechniqueRules& r) { return file_write_matches(r, it.a); });
                    break;
                default:
                    break;
            }
        text_.clear();
        for (std::uint16_t t : order_) {
            if (!text_.empty()) text_.push_back(',');
            text_.append(techniques_[t].id);
        }
        return text_;
    }

private:
    static bool file_write_matches(const TechniqueRules& r, std::string_view path) {
        if (!r.file_writes.empty()) {
            const std::string_view kind = persistence_kind(path);
            if (!kind.empty() && CommandRule::listed(r.file_writes, kind)) return true;
        }
        return CommandRule::any_in(r.file_write_paths, path);
    }

    void add(std::uint16_t t) {
        if (seen_[t]) return;
        seen_[t] = true;
        order_.push_back(t);
    }

    template <typename Test>
    void for_each_rule(Test test) {
        for (std::size_t t = 0; t < rules_.size(); ++t)
            if (!seen_[t] && test(rules_[t])) add(static_cast<std::uint16_t>(t));
    }

    // The techniques a command line shows, in rules order (cached: bots repeat lines).
    const std::vector<std::uint16_t>& line_techniques(std::string_view line) {
        constexpr std::size_t kMaxCached = 1 << 16, kMaxCachedLine = 4096;  // at most 256 MiB of lines
        if (auto it = cache_.find(line); it != cache_.end()) return it->second;
        if (cache_.size() >= kMaxCached) cache_.clear();
        std::vector<std::uint16_t> found;
        simple_commands(line, commands_);
        for (const SimpleCommand& c : commands_) {
            joined_.clear();
            for (const auto& a : c.args) {
                if (!joined_.empty()) joined_.push_back(' ');
                joined_.append(a);
            }
            const std::string lowered = lower(joined_);
            for (std::size_t t = 0; t < rules_.size(); ++t)
                for (const CommandRule& r : rules_[t].commands)
                    if (r.matches(c, r.ignore_case ? std::string_view(lowered) : std::string_view(joined_))) {
                        found.push_back(static_cast<std::uint16_t>(t));
                        break;
                    }
        }
        std::sort(found.begin(), found.end());
        found.erase(std::unique(found.begin(), found.end()), found.end());
        if (line.size() > kMaxCachedLine) {  // long lines are rarely repeated: not kept
            uncached_ = std::move(found);
            return uncached_;
        }
        return cache_.emplace(std::string(line), std::move(found)).first->second;
    }

    const std::vector<AttackTechnique>& techniques_;
    const std::vector<TechniqueRules>& rules_;
    std::vector<bool> seen_;
    std::vector<std::uint16_t> order_;
    std::string text_, joined_;
    std::vector<SimpleCommand> commands_;
    std::unordered_map<std::string, std::vector<std::uint16_t>, SvHash, SvEq> cache_;
    std::vector<std::uint16_t> uncached_;  // the techniques of the last long line
};

}  // namespace

std::unique_ptr<AttackRules::Matcher> AttackRules::matcher() const {
    return std::make_unique<SessionMatcher>(rules_->techniques, rules_->rules);
}

void assign_attack(std::vector<Session>& sessions, const AttackRules& rules, unsigned threads,
                   std::vector<StringPool>& pools) {
    const std::size_t first = pools.size();
    pools.resize(first + std::max(1u, worker_threads(threads)));
    for_slices(sessions.size(), worker_threads(threads), [&](unsigned w, std::size_t lo, std::size_t hi) {
        auto m = rules.matcher();
        StringPool& pool = pools[first + w];
        for (std::size_t i = lo; i < hi; ++i) {
            const std::string_view ids = m->match(sessions[i]);
            sessions[i].attack = ids.empty() ? std::string_view() : pool.intern(ids);
        }
    });
}

std::string attack_layer_json(const Table* attack, const AttackRules& rules) {
    if (!attack) return {};
    auto column = [&](std::string_view name) {
        for (std::size_t i = 0; i < attack->columns.size(); ++i)
            if (attack->columns[i].name == name) return i;
        return attack->columns.size();
    };
    const std::size_t c_id = column("technique"), c_sessions = column("sessions"), c_first = column("first_seen"),
                      c_last = column("last_seen");
    auto text_of = [](const Cell& c) {
        const auto* s = std::get_if<std::string>(&c);
        return s ? *s : std::string();
    };
    std::int64_t max_score = 0;
    for (const auto& row : attack->rows)
        if (const auto* v = std::get_if<std::int64_t>(&row[c_sessions])) max_score = std::max(max_score, *v);
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    w.field("name", "cowrie-batch: techniques seen on the honeypots");
    w.key("versions").begin_object();
    const std::string& v = rules.attack_version();
    w.field("attack", std::string_view(v).substr(0, v.find('.')));
    w.field("navigator", "5.1.0").field("layer", "4.5");
    w.end_object();
    w.field("domain", "enterprise-attack");
    w.field("description", "Score: sessions that showed the technique (cowrie-batch rules, ATT&CK " + v +
                               "). Comment: first and last seen (UTC).");
    w.field("sorting", 3);
    w.key("gradient").begin_object();
    w.key("colors").begin_array().value("#ffffff").value("#ff6666").end_array();
    w.field("minValue", 0).field("maxValue", max_score > 0 ? max_score : 1);
    w.end_object();
    w.key("techniques").begin_array();
    for (const auto& row : attack->rows) {
        const std::string id = text_of(row[c_id]);
        const auto* sessions = std::get_if<std::int64_t>(&row[c_sessions]);
        const AttackTechnique* t = rules.find(id);
        if (!t || !sessions) continue;
        for (const auto& tactic : t->tactics) {  // one entry per tactic: the Navigator shows it in each column
            w.begin_object();
            w.field("techniqueID", id).field("tactic", tactic).field("score", *sessions);
            w.field("comment", text_of(row[c_first]) + " .. " + text_of(row[c_last]));
            w.field("enabled", true);
            w.end_object();
        }
    }
    w.end_array();
    w.end_object();
    out.push_back('\n');
    return out;
}

}  // namespace cb
