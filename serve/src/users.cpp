#include "cb/serve/users.hpp"

#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>

namespace cb::serve {

namespace {

bool sodium_ready() {
    static const bool ok = sodium_init() >= 0;
    return ok;
}

// The hash an unknown name is verified against: made once, from random bytes nobody knows.
const std::string& decoy_hash() {
    static const std::string h = [] {
        unsigned char pw[32];
        randombytes_buf(pw, sizeof pw);
        char out[crypto_pwhash_STRBYTES] = {};
        if (crypto_pwhash_str_alg(out, reinterpret_cast<const char*>(pw), sizeof pw, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                  crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
            return std::string();
        return std::string(out);
    }();
    return h;
}

}  // namespace

bool valid_user_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
               c == '@' || c == '-';
    });
}

bool Users::load(const std::string& path, bool missing_ok, Users* out, std::string* err) {
    out->users_.clear();
    std::ifstream in(path);
    if (!in) {
        if (missing_ok && errno == ENOENT) return true;
        *err = "cannot read the users file " + path + ": " + std::strerror(errno);
        return false;
    }
    std::string line;
    for (std::size_t n = 1; std::getline(in, line); ++n) {
        if (line.empty() || line[0] == '#') continue;
        const std::size_t colon = line.find(':');
        const std::string name = line.substr(0, colon);
        if (colon == std::string::npos || !valid_user_name(name) || line.compare(colon + 1, 10, "$argon2id$") != 0) {
            *err = path + ":" + std::to_string(n) +
                   ": not a user line (name:$argon2id$...; made by cowrie-batch user add)";
            return false;
        }
        out->users_.push_back({name, line.substr(colon + 1)});
    }
    return true;
}

std::string Users::save(const std::string& path) const {
    const std::string tmp = path + ".tmp";
    const mode_t old = ::umask(077);
    std::FILE* f = std::fopen(tmp.c_str(), "w");
    ::umask(old);
    if (!f) return "cannot write " + tmp + ": " + std::strerror(errno);
    std::fputs("# cowrie-batch serve users: name:Argon2id hash (cowrie-batch user add|del|list)\n", f);
    for (const User& u : users_) std::fprintf(f, "%s:%s\n", u.name.c_str(), u.hash.c_str());
    const bool ok = std::fflush(f) == 0 && ::fchmod(fileno(f), 0600) == 0 && std::ferror(f) == 0;
    if (std::fclose(f) != 0 || !ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        std::remove(tmp.c_str());
        return "cannot write " + path + ": " + why;
    }
    return {};
}

bool Users::add(const std::string& name, std::string_view password, std::string* err) {
    if (!valid_user_name(name)) {
        *err = "a user name is 1 to 64 letters, digits, '.', '_', '@' or '-'";
        return false;
    }
    if (password.empty()) {
        *err = "the password is empty";
        return false;
    }
    if (std::any_of(users_.begin(), users_.end(), [&](const User& u) { return u.name == name; })) {
        *err = "user " + name + " exists; remove it first (cowrie-batch user del)";
        return false;
    }
    char out[crypto_pwhash_STRBYTES] = {};
    if (!sodium_ready() ||
        crypto_pwhash_str_alg(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        *err = "cannot hash the password (out of memory?)";
        return false;
    }
    users_.push_back({name, out});
    return true;
}

bool Users::remove(const std::string& name) {
    const auto it = std::remove_if(users_.begin(), users_.end(), [&](const User& u) { return u.name == name; });
    const bool found = it != users_.end();
    users_.erase(it, users_.end());
    return found;
}

std::vector<std::string> Users::names() const {
    std::vector<std::string> out;
    for (const User& u : users_) out.push_back(u.name);
    return out;
}

bool Users::verify(std::string_view name, std::string_view password) const {
    if (!sodium_ready()) return false;
    const User* found = nullptr;
    for (const User& u : users_)
        if (u.name.size() == name.size() && sodium_memcmp(u.name.data(), name.data(), name.size()) == 0) found = &u;
    const std::string& hash = found ? found->hash : decoy_hash();
    const bool match = !hash.empty() && crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
    return found && match;
}

}  // namespace cb::serve
