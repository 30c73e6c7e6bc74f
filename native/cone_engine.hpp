// rtdkit "cone" engine: the R-Cross-Barcode computed on the mapping cone of the inclusion
// L -> K (dimension 1) or M -> K (dimensions >= 2), see docs and notes/cone.md.
//
// Pure C++17 without Python; cone_module.cpp binds it with nanobind.
#pragma once

#include <cstdint>
#include <vector>

namespace rtdcone {

using value_t = float;

// One finite bar and its critical edges in the indexing of the doubled matrix
// [[0, w], [w, mu]]: vertices 0..n-1 are the copies A', n..2n-1 the originals A.
struct Bar {
    value_t birth;
    value_t death;
    std::int64_t edge[4];  // birth edge (edge[0], edge[1]), death edge (edge[2], edge[3])
};

struct Stats {
    double alpha = 0.0;               // enclosing radius min_i max_j w_ij (in float32)
    std::int64_t columns = 0;         // dimension-1 columns: edges of K with mu <= alpha
    std::int64_t trivial = 0;         // edges of L, paired with their own cone triangle at once
    std::int64_t emergent = 0;        // columns paired by the apparent/emergent-pair shortcut
    std::int64_t reduced = 0;         // columns that needed a reduction
    std::int64_t additions = 0;       // column additions during the reductions
    std::int64_t essential = 0;       // columns left unpaired at alpha: must be 0
    std::int64_t higher_columns = 0;  // columns in dimensions >= 2
    std::int64_t peak_bytes = 0;      // bytes held by the main work arrays
};

struct Result {
    std::vector<std::vector<Bar>> bars;  // bars[d] for d = 0..maxdim (bars[0] always empty)
    Stats stats;
};

// w, mu: n x n row-major float64, symmetric, zero diagonal, 0 <= mu <= w; only the upper
// triangles are read. maxdim == 1 uses the cone over L (fast path, O(n^2) memory);
// maxdim >= 2 the cone over M (generic path). Throws std::invalid_argument on bad input.
Result compute(const double* w, const double* mu, int n, int maxdim, int n_threads);

}  // namespace rtdcone
