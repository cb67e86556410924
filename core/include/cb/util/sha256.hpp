// SHA-256, for matching TTY recordings by the hash Cowrie names them with: OpenSSL's
// libcrypto (EVP) behind a small streaming interface.
#pragma once

#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of this header

namespace cb {

class Sha256 {
public:
    Sha256();
    void update(std::string_view data);
    std::string hex();  // finishes the hash; lower-case hex

private:
    struct Free {
        void operator()(evp_md_ctx_st* ctx) const;
    };
    std::unique_ptr<evp_md_ctx_st, Free> ctx_;
};

// A name-based UUID (RFC 4122 version 5: SHA-1 of the namespace's 16 bytes and the name), as
// lower-case text: the same name always gives the same id (STIX ids of report objects).
std::string uuid_v5(const unsigned char (&ns)[16], std::string_view name);

}  // namespace cb
