// rtdkit "score" engine: the three terms of the RTD_1 identity (see score_engine.hpp and
// docs/score.md for the mathematics). What is the identity's own lives here: Prim's minimum
// spanning tree, the Kruskal clearing of H1 Rips(mu), its bars and cocycles, and the image
// reduction; the H1 reduction itself is rips_core's H1Reducer<PlainRips>, the one shared with
// the cone engine (same filtration order: Ripser's, by value, ties by index descending).

#include "score_engine.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <type_traits>
#include <utility>

#include "parallel.hpp"
#include "rips_core.hpp"

namespace rtdscore {
namespace {

using rtdcore::edge_index;
using rtdcore::edge_vertices;
using rtdcore::i64;
using rtdcore::Ticker;
using rtdcore::u32;
using rtdcore::u64;

// Full float32 rows of a symmetric matrix: a float32 input is read in place (no copy: the
// whole-cloud identity holds three float32 N x N matrices and nothing else of that size), a
// float64 one is rounded into the engine's own copy.
class Rows {
   public:
    Rows(const double* m, int n) : n_(n), copy_(rtdcore::full_rows_f32(m, n)), a_(copy_.data()) {}
    Rows(const float* m, int n) : n_(n), a_(m) {}
    float operator()(u32 i, u32 j) const { return a_[static_cast<std::size_t>(i) * n_ + j]; }
    const float* row(u32 i) const { return a_ + static_cast<std::size_t>(i) * n_; }
    const float* data() const { return a_; }
    int size() const { return n_; }

   private:
    int n_;
    std::vector<float> copy_;  // empty for a float32 input
    const float* a_;
};

std::string entry(const char* name, int i, int j) {
    return std::string(name) + "[" + std::to_string(i) + "," + std::to_string(j) + "]";
}

// Always on (not assert): the size, then every entry, before anything is allocated. A float32
// input is read in place, so it must hold no -0.0 (its bit pattern would sort first).
template <typename T>
void check_matrix(const T* m, int n, const char* name) {
    constexpr bool kInPlace = std::is_same_v<T, float>;
    if (n < 1 || n > kMaxPoints)
        throw std::invalid_argument("score engine supports 1 to " + std::to_string(kMaxPoints) +
                                    " points (its edge indices are 32-bit), got " +
                                    std::to_string(n) + "; use fewer points (batch=)");
    for (int i = 0; i < n; ++i) {
        if (m[static_cast<std::size_t>(i) * n + i] != 0.0)
            throw std::invalid_argument("score engine needs a zero diagonal in " +
                                        std::string(name) + " (entry " + entry(name, i, i) + ")");
        for (int j = i + 1; j < n; ++j) {
            const T v = m[static_cast<std::size_t>(i) * n + j];
            if (m[static_cast<std::size_t>(j) * n + i] != v)
                throw std::invalid_argument("score engine needs a symmetric " + std::string(name) +
                                            " (entry " + entry(name, i, j) + ")");
            if (!(v >= 0.0) || (kInPlace && std::signbit(v)) ||
                !std::isfinite(static_cast<float>(v)))
                throw std::invalid_argument(
                    "score engine needs finite non-negative entries that fit in float32, in "
                    "which the engines compute (got " + entry(name, i, j) + "=" +
                    std::to_string(static_cast<double>(v)) + "); rescale the data or use normalize='quantile'");
        }
    }
}

template <typename T>
void check_dominates(const T* w, const T* mu, int n) {
    for (int i = 0; i < n; ++i)
        for (int j = i + 1; j < n; ++j) {
            const std::size_t ij = static_cast<std::size_t>(i) * n + j;
            if (!(w[ij] >= mu[ij]))
                throw std::invalid_argument("score engine needs w >= mu (got " +
                                            entry("w", i, j) + "=" +
                                            std::to_string(static_cast<double>(w[ij])) + ", mu=" +
                                            std::to_string(static_cast<double>(mu[ij])) + ")");
        }
}

// Prim's algorithm on the complete graph, O(n^2): the minimum spanning tree's edges.
std::vector<Edge> minimum_spanning_tree(const Rows& m, const Progress& progress) {
    const int n = m.size();
    std::vector<Edge> tree;
    if (n < 2) return tree;
    tree.reserve(n - 1);
    std::vector<float> best(n, std::numeric_limits<float>::infinity());
    std::vector<int> parent(n, 0);
    std::vector<char> done(n, 0);
    Ticker ticker(progress, n - 1);
    int current = 0;
    done[0] = 1;
    for (int step = 1; step < n; ++step) {
        ticker.tick(step);
        const float* r = m.row(current);
        int next = -1;
        for (int x = 0; x < n; ++x) {
            if (done[x]) continue;
            if (r[x] < best[x]) {
                best[x] = r[x];
                parent[x] = current;
            }
            if (next < 0 || best[x] < best[next]) next = x;
        }
        done[next] = 1;
        tree.push_back(Edge{best[next], std::min(parent[next], next), std::max(parent[next], next)});
        current = next;
    }
    return tree;
}

// ---------------------------------------------------------------------------------------------
// H1 of Rips(mu): the edges up to the enclosing radius in reverse filtration order; those of
// the minimum spanning tree (found by Kruskal in filtration order) are negative in dimension 0
// and cleared; the others are reduced by the shared H1Reducer<PlainRips> (apparent pairs,
// truncation at the enclosing radius: there Rips(mu) is a cone, so every class dies by then).
// Each bar keeps its representative cocycle (the column's edge plus the columns added to it):
// a cocycle of K_t for t below the death, supported on edges no earlier than the birth, and
// the cocycles of the bars alive at t form a basis of H^1(K_t).
class RipsH1 {
   public:
    RipsH1(const Rows& mu, MuSide& out) : mu_(mu), out_(out) {}

    void run(const Progress& progress, int threads) {
        rtdcore::H1Reducer<rtdcore::PlainRips> reducer(mu_.data(), mu_.size(), out_.radius,
                                                       nullptr);
        const std::vector<u64> columns = columns_to_reduce(reducer, progress, threads);
        Ticker ticker(progress, static_cast<i64>(columns.size()));
        for (std::size_t k = 0; k < columns.size(); ++k) {
            ticker.tick(static_cast<i64>(k));
            ++out_.counters.h1_reduced;
            const auto [u, v] = edge_vertices(rtdcore::record_edge(columns[k]));
            rtdcore::Priority pivot;
            u32 position;
            if (!reducer.reduce(u, v, ticker, static_cast<i64>(k), pivot, position))
                // Unreachable in theory: Rips(mu) is a cone at the radius.
                throw std::logic_error(
                    "score engine: an H1 class of Rips(mu) outlived the enclosing radius");
            const float birth = rtdcore::record_value(columns[k]);
            if (!(pivot.value() > birth)) continue;  // zero length: no bar, no coordinate
            const auto [du, dv] = edge_vertices(reducer.latest_facet(pivot.index()).second);
            out_.bars.push_back(Bar{birth, pivot.value(), point_edge(u, v), point_edge(du, dv)});
            out_.cocycles.push_back(reducer.reduced().cocycle(position));
        }
        out_.counters.h1_additions = reducer.counters().additions;
    }

   private:
    // The columns that need a reduction, in reverse filtration order (records as
    // edges_in_reverse_order's). Every edge up to the radius is listed (8 bytes each, up to
    // 4 bytes per N²), cleared or checked for an apparent pair here, and the list is freed
    // before the first reduction: the reducer's neighbour lists, built during the reductions
    // (up to 4 bytes per N² more), never coexist with it.
    std::vector<u64> columns_to_reduce(const rtdcore::H1Reducer<rtdcore::PlainRips>& reducer,
                                       const Progress& progress, int threads) {
        const std::vector<u64> order = rtdcore::edges_in_reverse_order(
            mu_.data(), mu_.size(), out_.radius, [](u32, float) { return true; });
        Ticker ticker(progress, static_cast<i64>(order.size()));
        std::vector<char> kind = kruskal(order, ticker);
        mark_apparent(order, reducer, kind, progress, threads);
        std::vector<u64> columns;
        for (std::size_t k = 0; k < order.size(); ++k) {
            if (kind[k] == kTree) continue;  // cleared: negative in dimension 0
            ++out_.counters.h1_columns;
            if (kind[k] == kApparent)  // a bar of length 0: nothing to record
                ++out_.counters.h1_apparent;
            else
                columns.push_back(order[k]);
        }
        return columns;
    }

    // What each position of the reverse order is: a tree edge (cleared), a column that forms
    // an apparent pair at once, or a column to reduce.
    enum Kind : char { kColumn = 0, kTree = 1, kApparent = 2 };

    // Whether a column forms an apparent pair depends on mu alone, not on the reduction, so
    // the columns are checked before it, in chunks on `threads` threads (each chunk writes
    // its own flags; the reducer is only read): the same flags for any number of threads.
    // One thread checks them all in one pass, with the caller's progress.
    static void mark_apparent(const std::vector<u64>& order,
                              const rtdcore::H1Reducer<rtdcore::PlainRips>& reducer,
                              std::vector<char>& kind, const Progress& progress, int threads) {
        const std::size_t size = order.size();
        // several chunks per thread (apparent checks vary in cost), none so long that a stop
        // waits for it, none so short that taking it costs more than its work
        const std::size_t per_thread = rtdpar::chunk_count(size, 4 * std::size_t(threads));
        const std::size_t chunk =
            threads > 1 ? std::clamp<std::size_t>(per_thread, 64, std::size_t(1) << 14)
                        : std::max<std::size_t>(size, 1);
        rtdpar::run_tasks(rtdpar::chunk_count(size, chunk), threads, progress,
                          [&](std::size_t c, const Progress& report) {
                              Ticker ticker(report, static_cast<i64>(size));
                              const auto [begin, end] = rtdpar::chunk_bounds(c, chunk, size);
                              for (std::size_t k = begin; k < end; ++k) {
                                  ticker.tick(static_cast<i64>(k));
                                  if (kind[k] != kColumn) continue;
                                  const auto [u, v] = edge_vertices(rtdcore::record_edge(order[k]));
                                  if (reducer.apparent_at_start(u, v)) kind[k] = kApparent;
                              }
                              // short chunks never reach the ticker's 0.2 s: report each end
                              if (report) report(static_cast<i64>(end), static_cast<i64>(size));
                          });
    }

    static CriticalEdge point_edge(u32 u, u32 v) {
        return CriticalEdge{static_cast<std::int32_t>(u), static_cast<std::int32_t>(v), false};
    }

    // Kruskal in filtration order (the records from the back): the edges that join two
    // components are the minimum spanning tree of mu, exactly the edges that are negative in
    // dimension 0 for this order (the radius does not cut the tree: there the graph is
    // connected). Returns the kinds by position in `order`: kTree or kColumn.
    std::vector<char> kruskal(const std::vector<u64>& order, Ticker& ticker) {
        std::vector<u32> parent(static_cast<std::size_t>(mu_.size()));
        std::iota(parent.begin(), parent.end(), 0u);
        auto find = [&](u32 x) {
            while (parent[x] != x) x = parent[x] = parent[parent[x]];
            return x;
        };
        std::vector<char> kind(order.size(), kColumn);
        const std::size_t tree_size = parent.size() - 1;
        for (std::size_t k = order.size(); k-- > 0 && out_.mst.size() < tree_size;) {
            ticker.tick(0);
            const auto [u, v] = edge_vertices(rtdcore::record_edge(order[k]));
            const u32 a = find(u), b = find(v);
            if (a == b) continue;
            parent[a] = b;
            kind[k] = kTree;
            out_.mst.push_back(Edge{rtdcore::record_value(order[k]), static_cast<std::int32_t>(u),
                                    static_cast<std::int32_t>(v)});
        }
        return kind;
    }

    const Rows& mu_;
    MuSide& out_;
};

// ---------------------------------------------------------------------------------------------
// The image of H1(L_t) -> H1(K_t). Its rank is the rank of the pairing between the cocycles
// of the H1(mu) bars alive at t and the cycles of L_t. The fundamental cycles of the minimum
// spanning tree T of w (a non-tree edge plus the tree path between its ends) with w <= t span
// the cycles of L_t, and the pairing of cocycle phi with the cycle of edge uv is
// phi(uv) + p(u) + p(v), p the sum of phi along the tree path from the root. So each non-tree
// edge gives a bit vector over the bars; coordinates are ordered by death, and the vectors are
// reduced in w-order with the pivot at the latest-dying coordinate: a vector that keeps pivot
// i opens an image bar [w_uv, death_i), and at every t the number of open bars is the rank.
class ImageReduction {
   public:
    ImageReduction(const Rows& w, const std::vector<Edge>& tree, const MuSide& mu, WSide& out)
        : w_(w), n_(static_cast<u32>(w.size())), tree_(tree), mu_(mu), out_(out) {}

    void run(const Progress& progress) {
        const float first_cycle = earliest_non_tree_value();
        choose_coordinates(first_cycle);
        if (coords_.empty()) return;
        words_ = (coords_.size() + 63) / 64;
        build_potentials();
        reduce_columns(progress);
    }

   private:
    using Bits = std::vector<u64>;

    float earliest_non_tree_value() {
        in_tree_.assign((static_cast<std::size_t>(n_) * (n_ - 1) / 2 + 63) / 64, 0);
        for (const Edge& e : tree_) {
            const u32 j = rtdcore::pair_index(static_cast<u32>(e.u), static_cast<u32>(e.v));
            in_tree_[j >> 6] |= u64(1) << (j & 63);
        }
        float first = std::numeric_limits<float>::infinity();
        for (u32 v = 1; v < n_; ++v)
            for (u32 u = 0; u < v; ++u)
                if (!tree(edge_index(u, v))) first = std::min(first, w_(u, v));
        return first;
    }
    bool tree(u32 edge) const { return (in_tree_[edge >> 6] >> (edge & 63)) & 1; }

    // Only bars that die after the first cycle of L can meet one.
    void choose_coordinates(float first_cycle) {
        for (std::size_t i = 0; i < mu_.bars.size(); ++i)
            if (mu_.bars[i].death > first_cycle) coords_.push_back(i);
        std::sort(coords_.begin(), coords_.end(), [&](std::size_t a, std::size_t b) {
            return mu_.bars[a].death < mu_.bars[b].death;
        });
        out_.counters.image_classes = static_cast<std::int64_t>(coords_.size());
    }

    void build_potentials() {
        for (std::size_t c = 0; c < coords_.size(); ++c)
            for (const u32 edge : mu_.cocycles[coords_[c]]) {
                Bits& bits = cochain_[edge];
                if (bits.empty()) bits.assign(words_, 0);
                bits[c / 64] ^= u64(1) << (c % 64);
            }
        std::vector<std::vector<u32>> adjacent(n_);
        for (const Edge& e : tree_) {
            adjacent[e.u].push_back(static_cast<u32>(e.v));
            adjacent[e.v].push_back(static_cast<u32>(e.u));
        }
        potential_.assign(static_cast<std::size_t>(n_) * words_, 0);
        std::vector<char> seen(n_, 0);
        std::vector<u32> stack{0};
        seen[0] = 1;
        while (!stack.empty()) {
            const u32 x = stack.back();
            stack.pop_back();
            for (const u32 y : adjacent[x]) {
                if (seen[y]) continue;
                seen[y] = 1;
                u64* py = &potential_[static_cast<std::size_t>(y) * words_];
                const u64* px = &potential_[static_cast<std::size_t>(x) * words_];
                std::memcpy(py, px, words_ * sizeof(u64));
                xor_cochain(py, std::min(x, y), std::max(x, y));
                stack.push_back(y);
            }
        }
    }

    void xor_cochain(u64* bits, u32 u, u32 v) const {
        auto it = cochain_.find(static_cast<u32>(edge_index(u, v)));
        if (it == cochain_.end()) return;
        for (std::size_t k = 0; k < words_; ++k) bits[k] ^= it->second[k];
    }

    int highest_bit(const u64* bits) const {
        for (std::size_t k = words_; k-- > 0;)
            if (bits[k]) return static_cast<int>(k * 64) + rtdcore::highest_bit(bits[k]);
        return -1;
    }

    void reduce_columns(const Progress& progress) {
        const float last_death = mu_.bars[coords_.back()].death;
        // the non-tree edges of w below the last death, by increasing w, sorted as they are read
        rtdcore::EdgesInOrder columns(w_.data(), static_cast<int>(n_), last_death,
                                      [&](u32 e, float value) { return value < last_death && !tree(e); });
        const std::size_t r = coords_.size();
        std::vector<Bits> pivot_of(r);
        std::size_t first_alive = 0;  // coordinates below it died at or before the current w
        std::size_t alive_pivots = 0;
        Bits vec(words_);
        Ticker ticker(progress, static_cast<i64>(columns.size()));
        i64 done = 0;
        for (u64 record; columns.next(record);) {
            ticker.tick(++done);
            const auto [cu, cv] = edge_vertices(rtdcore::record_edge(record));
            const Edge col{rtdcore::record_value(record), static_cast<std::int32_t>(cu),
                           static_cast<std::int32_t>(cv)};
            while (first_alive < r && mu_.bars[coords_[first_alive]].death <= col.value) {
                if (!pivot_of[first_alive].empty()) --alive_pivots;
                ++first_alive;
            }
            if (alive_pivots == r - first_alive) break;  // every live class is already hit
            ++out_.counters.image_columns;
            const u32 u = static_cast<u32>(col.u), v = static_cast<u32>(col.v);
            const u64* pu = &potential_[static_cast<std::size_t>(u) * words_];
            const u64* pv = &potential_[static_cast<std::size_t>(v) * words_];
            for (std::size_t k = 0; k < words_; ++k) vec[k] = pu[k] ^ pv[k];
            xor_cochain(vec.data(), u, v);
            for (int p = highest_bit(vec.data()); p >= static_cast<int>(first_alive);
                 p = highest_bit(vec.data())) {
                if (pivot_of[p].empty()) {
                    pivot_of[p] = vec;
                    ++alive_pivots;
                    const Bar& dying = mu_.bars[coords_[p]];
                    out_.image.push_back(
                        Bar{col.value, dying.death, CriticalEdge{col.u, col.v, true}, dying.dies});
                    break;
                }
                const Bits& other = pivot_of[p];
                for (std::size_t k = 0; k < words_; ++k) vec[k] ^= other[k];
            }
        }
    }

    const Rows& w_;
    u32 n_;
    const std::vector<Edge>& tree_;
    const MuSide& mu_;
    WSide& out_;
    std::vector<u64> in_tree_;                       // edges of the tree, a bit per edge index
    std::vector<std::size_t> coords_;                // indices into mu_.bars, by death
    std::size_t words_ = 0;
    std::unordered_map<u32, Bits> cochain_;          // edge -> which cocycles contain it
    std::vector<u64> potential_;                     // n x words_
};

}  // namespace

template <typename T>
MuSide compute_mu_side(const T* mu, int n, const Progress& progress, int threads) {
    check_matrix(mu, n, "mu");
    const Rows m(mu, n);
    MuSide out;
    out.radius = rtdcore::enclosing_radius(mu, n);
    if (n >= 2) RipsH1(m, out).run(progress, threads);
    return out;
}

template <typename T>
WSide compute_w_side(const T* w, const T* mu, int n, const MuSide& mu_side,
                     const Progress& progress) {
    check_matrix(w, n, "w");
    check_dominates(w, mu, n);
    const Rows m(w, n);
    WSide out;
    out.mst = minimum_spanning_tree(m, progress);
    ImageReduction(m, out.mst, mu_side, out).run(progress);
    return out;
}

template <typename T>
Terms compute_terms(const T* mu, const std::vector<const T*>& ws, int n, int threads,
                    const Progress& progress) {
    Terms out;
    out.mu = compute_mu_side(mu, n, progress, threads);
    // The w sides one after the other: two image reductions at once could hold two lists of
    // w's edges (up to 4 bytes per N² each) where one did, and the faster side is the smaller
    // one (docs/score.md, "Threads").
    for (const T* w : ws) out.ws.push_back(compute_w_side(w, mu, n, out.mu, progress));
    return out;
}

template MuSide compute_mu_side(const double*, int, const Progress&, int);
template MuSide compute_mu_side(const float*, int, const Progress&, int);
template Terms compute_terms(const double*, const std::vector<const double*>&, int, int,
                             const Progress&);
template Terms compute_terms(const float*, const std::vector<const float*>&, int, int,
                             const Progress&);
template WSide compute_w_side(const double*, const double*, int, const MuSide&, const Progress&);
template WSide compute_w_side(const float*, const float*, int, const MuSide&, const Progress&);

}  // namespace rtdscore
