// The system's OpenSSL libcrypto, for SHA-256 (EVP digests): one C library the host already has, instead of
// compiling a copy of BoringSSL with the package.
#include <openssl/evp.h>
