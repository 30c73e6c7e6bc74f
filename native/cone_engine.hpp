// rtdkit "cone" engine: the R-Cross-Barcode computed on the mapping cone of the inclusion
// L -> K (dimension 1) or M -> K (dimensions >= 2); the maths is in docs/engine.md.
//
// Pure C++17 without Python; cone_module.cpp binds it with nanobind.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "engine_types.hpp"

namespace rtdcone {

// Largest number of points (rips_core.hpp ties it to the index widths).
using rtdcore::kMaxPoints;
constexpr int kMaxDim = 3;

// One finite bar and its critical edges in point indexing: an edge of K is an entry of mu, a
// cone simplex reports an entry of w (in the doubled matrix [[0, w], [w, mu]], (u, v) in w is
// the entry (u, N + v) and (u, v) in mu the entry (N + u, N + v)).
using rtdcore::Bar;
using rtdcore::CriticalEdge;

struct Stats {
    double alpha = 0.0;               // enclosing radius min_i max_j w_ij (in float32)
    std::int64_t columns = 0;         // dimension-1 columns: edges of K with mu <= alpha
    std::int64_t trivial = 0;         // edges of L, paired with their own cone triangle at once
    std::int64_t emergent = 0;        // columns paired by the apparent/emergent-pair shortcut
    std::int64_t shortcut = 0;        // columns paired by their cut, without a reduction
    std::int64_t reduced = 0;         // columns that needed a reduction
    std::int64_t additions = 0;       // column additions during the reductions
    std::int64_t visited = 0;         // coboundary entries produced (read) by the reductions
    std::int64_t removals = 0;        // edges that an addition removed from a working cochain
    std::int64_t materialised = 0;    // shortcut columns whose cochain a reduction needed
    std::int64_t essential = 0;       // columns left unpaired at alpha: must be 0
    std::int64_t higher_columns = 0;  // columns in dimensions >= 2
    std::int64_t peak_bytes = 0;      // bytes held by the main work arrays
};

struct Result {
    std::vector<std::vector<Bar>> bars;  // bars[d] for d = 0..maxdim (bars[0] always empty)
    Stats stats;
};

// Called about every 0.2 s during a reduction with the columns done and the columns in total
// (of the dimension being reduced). It may throw to cancel the computation: the exception
// leaves compute() unchanged and nothing leaks.
using rtdcore::Progress;

// w, mu: n x n row-major float64, symmetric, zero diagonal, 0 <= mu <= w, w finite in float32;
// only the upper triangles are read. maxdim == 1 uses the cone over L (fast path, O(n^2)
// memory); maxdim >= 2 the cone over M (generic path). Throws std::invalid_argument on bad
// input or on sizes the engine's indices cannot represent (the message names the limit).
Result compute(const double* w, const double* mu, int n, int maxdim, int n_threads,
               const Progress& progress = Progress());

// The same on float32 matrices (already rounded as the engine would round them). The dimension-1
// path reads mu in place instead of copying it, saving 4 bytes per n^2; mu must then be fully
// symmetric and free of -0.0.
Result compute(const float* w, const float* mu, int n, int maxdim, int n_threads,
               const Progress& progress = Progress());

}  // namespace rtdcone
