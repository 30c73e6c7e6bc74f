// rtdkit "cone" engine: R-Cross-Barcode on the mapping cone (see docs / notes/cone.md).
//
// Pure C++17, no Python: cone_module.cpp binds it with nanobind.
#pragma once

#include <cstdint>
#include <string>
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
    double alpha = 0.0;            // enclosing radius min_i max_j w_ij (float32)
    std::int64_t columns = 0;      // dimension-1 columns (edges of K up to alpha)
    std::int64_t trivial = 0;      // edges of L, paired with their own cone triangle at once
    std::int64_t emergent = 0;     // columns paired by the emergent-pair shortcut
    std::int64_t reduced = 0;      // columns that needed a reduction
    std::int64_t additions = 0;    // column additions during the reductions
    std::int64_t essential = 0;    // columns left unpaired at alpha: must be 0 (see notes)
    std::int64_t higher_columns = 0;  // columns in dimensions >= 2 (generic path)
};

struct Result {
    std::vector<std::vector<Bar>> bars;  // bars[d] for d = 0..maxdim (bars[0] always empty)
    Stats stats;
};

// w, mu: n x n row-major float64 (symmetric, zero diagonal, non-negative, mu <= w).
// maxdim == 1 uses the cone over L (fast path); maxdim >= 2 the cone over M (generic path).
Result compute(const double* w, const double* mu, int n, int maxdim, int n_threads);

// Peak working memory of compute() in bytes for an n-point input (dimension 1 only);
// documented estimate used by the tests.
double bytes_per_n2_estimate();

}  // namespace rtdcone
