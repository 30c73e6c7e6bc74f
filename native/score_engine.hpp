// rtdkit "score" engine: RTD_1 = total length of R-Cross-Barcode_1 without the barcode.
//
// With L the Rips filtration of w and K that of mu = min(w, w~) (mu <= w, so L_t is a
// subcomplex of K_t at every scale t), the exact sequence of the pair (K, L) gives, after
// integrating dimensions over t (docs/score.md):
//
//   RTD_1(P, P~) = [MST(w) - MST(mu)] + TL(H1 Rips(mu)) - TL(image of H1 Rips(w) -> H1 Rips(mu))
//
// (TL = total bar length). This module computes the three terms exactly on the float32
// filtration used by every engine:
//   * the minimum spanning trees of w and mu;
//   * the H1 barcode of Rips(mu), by the H1 reducer shared with the cone engine
//     (rips_core.hpp: persistent cohomology with clearing, apparent pairs and the
//     enclosing-radius truncation), keeping a representative cocycle for each bar;
//   * the image barcode, by evaluating those cocycles on the fundamental cycles of the
//     minimum spanning tree of w and reducing the resulting bit vectors in w-order.
// Every bar comes with its critical edges (for the gradient of the differentiable loss).
//
// Pure C++17 without Python; score_module.cpp binds it with nanobind.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "engine_types.hpp"

namespace rtdscore {

// Largest number of points (rips_core.hpp ties it to the index widths).
using rtdcore::kMaxPoints;

// One finite bar and its critical edges (rtdcore::Bar, in point indexing).
using rtdcore::Bar;
using rtdcore::CriticalEdge;

// An edge of a minimum spanning tree and its value.
struct Edge {
    float value;
    std::int32_t u, v;
};

struct Counters {
    std::int64_t h1_columns = 0;      // dimension-1 columns of Rips(mu) (non-tree edges <= radius)
    std::int64_t h1_apparent = 0;     // paired by the apparent-pair shortcut, no reduction
    std::int64_t h1_reduced = 0;      // columns that needed a reduction
    std::int64_t h1_additions = 0;    // column additions during those reductions
    std::int64_t image_classes = 0;   // H1(mu) bars that can meet an H1(w) class (coordinates)
    std::int64_t image_columns = 0;   // fundamental cycles of w reduced in the image step
};

// The H1 part shared by both directions of a symmetric score: Rips(mu) and its cocycles.
struct MuSide {
    float radius = 0.0f;                        // enclosing radius of mu (float32)
    std::vector<Edge> mst;                      // minimum spanning tree of mu
    std::vector<Bar> bars;                 // finite H1 bars of Rips(mu), death > birth
    std::vector<std::vector<std::uint32_t>> cocycles;  // each bar's cocycle: edge indices (colex)
    Counters counters;
};

// The terms that depend on w as well.
struct WSide {
    std::vector<Edge> mst;          // minimum spanning tree of w
    std::vector<Bar> image;    // bars of the image of H1 Rips(w) -> H1 Rips(mu)
    Counters counters;
};

// Called about every 0.2 s with (work done, work in this step); an exception it throws (the
// binding raises KeyboardInterrupt on Ctrl-C) stops the computation.
using rtdcore::Progress;

// mu: n x n row-major float64 or float32 (T), symmetric, zero diagonal, finite and
// non-negative in float32, no -0.0; a float64 input is rounded into a float32 copy, a float32
// one is read in place. Throws std::invalid_argument (naming the problem) otherwise, or for
// n outside 1..kMaxPoints. With threads > 1 the apparent pairs of Rips(mu) are found on that
// many threads (parallel.hpp); the result is the same for any number of threads.
template <typename T>
MuSide compute_mu_side(const T* mu, int n, const Progress& progress = {}, int threads = 1);

// w: n x n row-major, as mu, with w >= mu entrywise; mu and mu_side as given to and returned
// by compute_mu_side. Throws std::invalid_argument otherwise.
template <typename T>
WSide compute_w_side(const T* w, const T* mu, int n, const MuSide& mu_side,
                     const Progress& progress = {});

// The mu side (on `threads` threads, as compute_mu_side) and then the side of each w (ws:
// n x n, as for compute_w_side) in turn: the same results for any number of threads.
struct Terms {
    MuSide mu;
    std::vector<WSide> ws;
};
template <typename T>
Terms compute_terms(const T* mu, const std::vector<const T*>& ws, int n, int threads,
                    const Progress& progress = {});

}  // namespace rtdscore
