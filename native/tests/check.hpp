// The one assertion of the C++ tests: CHECK(cond) reports a failed condition and counts it in
// `failures` (each test program defines it), so a run lists every failure, not just the first.
// throws_invalid_argument checks an engine's input errors.
#pragma once

#include <cstdio>
#include <stdexcept>
#include <string>

extern int failures;

#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            ++failures;                                                                 \
        }                                                                               \
    } while (0)

// Whether f() throws std::invalid_argument with `needle` in its message.
template <typename F>
bool throws_invalid_argument(F f, const char* needle) {
    try {
        f();
    } catch (const std::invalid_argument& e) {
        return std::string(e.what()).find(needle) != std::string::npos;
    }
    return false;
}
