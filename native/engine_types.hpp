// Types shared by the public interfaces of the two native engines (cone_engine.hpp,
// score_engine.hpp): the size limit, the one bar type and the progress callback.
#pragma once

#include <cstdint>
#include <functional>

namespace rtdcore {

// Largest number of points of either engine. rips_core.hpp ties it by static_assert to the
// index widths: vertex numbers (the cone's apex, n, included) are packed three to a triangle
// index in 21 bits each, and edge indices n(n-1)/2 (columns, pivots, cocycles) are 32-bit.
constexpr int kMaxPoints = 90000;

// An edge of the input: the pair of points (u, v), 0 <= u, v < n, and the matrix that gives its
// value, w (in_w) or mu.
struct CriticalEdge {
    std::int32_t u;
    std::int32_t v;
    bool in_w;
};

// One finite bar and its critical edges: `born` realises the birth value, `dies` the death.
struct Bar {
    float birth;
    float death;
    CriticalEdge born;
    CriticalEdge dies;
};

// Called about every 0.2 s with (work done, work in total) of the current step. It may throw
// to cancel the computation: the exception leaves the engine unchanged and nothing leaks.
using Progress = std::function<void(std::int64_t done, std::int64_t total)>;

}  // namespace rtdcore
