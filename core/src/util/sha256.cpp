#include "cb/util/sha256.hpp"

#include <openssl/evp.h>

#include <memory>
#include <new>

#include "cb/util/text.hpp"

namespace cb {

void Sha256::Free::operator()(evp_md_ctx_st* ctx) const { EVP_MD_CTX_free(ctx); }

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) throw std::bad_alloc();
}

void Sha256::update(std::string_view data) { EVP_DigestUpdate(ctx_.get(), data.data(), data.size()); }

std::string Sha256::hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_.get(), digest, &n);
    std::string out;
    append_hex(out, std::string_view(reinterpret_cast<const char*>(digest), n));
    return out;
}

std::string uuid_v5(const unsigned char (&ns)[16], std::string_view name) {
    // The digest is fetched once and each thread keeps a context: exports name thousands of
    // objects, and EVP_Digest() fetches SHA-1 and allocates a context on every call.
    static EVP_MD* const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
    thread_local const std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!sha1 || !ctx || EVP_DigestInit_ex(ctx.get(), sha1, nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), ns, sizeof ns) != 1 || EVP_DigestUpdate(ctx.get(), name.data(), name.size()) != 1 ||
        EVP_DigestFinal_ex(ctx.get(), d, &n) != 1 || n < 16)
        throw std::bad_alloc();
    d[6] = static_cast<unsigned char>((d[6] & 0x0F) | 0x50);  // version 5
    d[8] = static_cast<unsigned char>((d[8] & 0x3F) | 0x80);  // RFC 4122 variant
    std::string out;                                          // 8-4-4-4-12 hex digits
    out.reserve(36);
    for (std::size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
        out.push_back("0123456789abcdef"[d[i] >> 4]);
        out.push_back("0123456789abcdef"[d[i] & 15]);
    }
    return out;
}

}  // namespace cb
