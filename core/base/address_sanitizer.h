#pragma once
// GYRUS_ADDRESS_SANITIZER is 1 in an AddressSanitizer build, else 0. GCC defines
// __SANITIZE_ADDRESS__ there; Clang (Debian's 14, the sanitizer build's compiler) does not and
// answers __has_feature(address_sanitizer) instead: code that tested the first macro alone
// never saw ASan under Clang.

#if defined(__SANITIZE_ADDRESS__)
#define GYRUS_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GYRUS_ADDRESS_SANITIZER 1
#endif
#endif
#ifndef GYRUS_ADDRESS_SANITIZER
#define GYRUS_ADDRESS_SANITIZER 0
#endif
