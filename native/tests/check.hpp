// The one assertion of the C++ tests: CHECK(cond) reports a failed condition and counts it in
// `failures` (each test program defines it), so a run lists every failure, not just the first.
#pragma once

#include <cstdio>

extern int failures;

#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            ++failures;                                                                 \
        }                                                                               \
    } while (0)
