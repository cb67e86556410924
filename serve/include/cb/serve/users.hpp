// The users of `cowrie-batch serve` (issue 14): a text file of `name:hash` lines, the hash an
// Argon2id string from libsodium (crypto_pwhash_str, its "interactive" cost: 64 MiB, 2 passes).
// Passwords are never stored, logged or compared in clear. `cowrie-batch user add|del|list`
// edits the file; serve reads it once at start. docs/SERVE.md describes both.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cb::serve {

// Letters, digits and . _ @ - only, 1 to 64 of them: a name that is safe in the file, in logs and
// in a cookie-less URL.
bool valid_user_name(std::string_view name);

class Users {
public:
    // Reads path. A missing file is an empty list when `missing_ok`, else an error; a line that is
    // not `name:$argon2id$...` is an error naming path and line.
    static bool load(const std::string& path, bool missing_ok, Users* out, std::string* err);
    // Writes the list to path (PATH.tmp, mode 0600, then renamed); "" or the problem.
    std::string save(const std::string& path) const;

    // Adds name with the Argon2id hash of password; false (with *err) if the name is taken or
    // invalid, the password empty, or hashing failed.
    bool add(const std::string& name, std::string_view password, std::string* err);
    bool remove(const std::string& name);
    std::vector<std::string> names() const;
    bool empty() const { return users_.empty(); }

    // True when name exists and password is its password. An unknown name costs the same
    // Argon2id verification as a known one, so timing does not tell which names exist.
    bool verify(std::string_view name, std::string_view password) const;

private:
    struct User {
        std::string name, hash;
    };
    std::vector<User> users_;
};

}  // namespace cb::serve
