// Dimension 1 of the cone engine: persistent cohomology with clearing on the cone over L, by the
// shared H1 reducer of rips_core (H1Reducer<ConeOverL>). This file holds what is the cone's own:
// its columns and their order, and its bars. docs/engine.md explains why this complex has the
// doubled matrix's H1 barcode.
#include <algorithm>
#include <type_traits>

#include "cone_internal.hpp"

namespace rtdcone {
namespace detail {
namespace {

// Columns: the edges uv of K with mu_uv <= alpha, in reverse filtration order. Coboundary of uv:
// the triangles uvx of K and the single cone triangle *uv at w_uv. An edge of L (w_uv == mu_uv)
// is paired at once with *uv (an apparent pair of zero length) and, since *uv is a coface of no
// other column, is never needed again: it is not even listed.
class Dim1Cone {
   public:
    template <typename T>
    Dim1Cone(const T* w, const T* mu, int n) : n_(n) {
        alpha_ = enclosing_radius(w, n);
        if constexpr (std::is_same_v<T, float>) {
            mu_ = mu;  // already float32 full rows (checked symmetric): read in place
        } else {
            mu_store_ = full_rows_f32(mu, n);
            mu_ = mu_store_.data();
        }
        w_.resize(static_cast<std::size_t>(n) * (n - 1) / 2);
        for (int v = 1; v < n; ++v)
            for (int u = 0; u < v; ++u) {
                const std::size_t uv = static_cast<std::size_t>(u) * n + v;
                const float wuv = static_cast<float>(w[uv]) + 0.0f;
                w_[edge_index(u, v)] = wuv;
                trivial_ += mu_[uv] <= alpha_ && wuv == mu_[uv];  // an edge of L
            }
        order_ = edges_in_reverse_order(mu_, n, alpha_,
                                        [&](u32 e, float m) { return w_[e] != m; });
    }

    void run(std::vector<Bar>& bars, Stats& stats, const Progress& progress) {
        stats.alpha = alpha_;
        stats.columns = static_cast<i64>(order_.size()) + trivial_;
        stats.trivial = trivial_;
        H1Reducer<ConeOverL> reducer(mu_, n_, alpha_, w_.data());
        Ticker ticker(progress, static_cast<i64>(order_.size()));
        for (std::size_t done = 0; done < order_.size(); ++done) {
            ticker.tick(static_cast<i64>(done));
            const auto [u, v] = edge_vertices(record_edge(order_[done]));
            if (reducer.apparent_at_start(u, v)) {
                ++stats.emergent;
                continue;
            }
            ++stats.reduced;
            Priority pivot;
            u32 position;
            if (!reducer.reduce(u, v, ticker, static_cast<i64>(done), pivot, position)) {
                ++stats.essential;
                continue;
            }
            const float birth = record_value(order_[done]);
            if (pivot.value() > birth) bars.push_back(make_bar(reducer, u, v, birth, pivot));
        }
        ticker.finish();
        const ReducerCounters& counters = reducer.counters();
        stats.additions = counters.additions;
        stats.visited = counters.visited;
        stats.removals = counters.removals;
        stats.peak_bytes = static_cast<i64>(mu_store_.capacity() * sizeof(float) +
                                            w_.capacity() * sizeof(float) +
                                            order_.capacity() * sizeof(u64) + reducer.bytes());
    }

   private:
    // Birth at the edge uv of K; death at the cone triangle *ab (the entry w_ab) or at a
    // triangle of K (its latest facet: largest mu, ties: smallest index).
    Bar make_bar(const H1Reducer<ConeOverL>& reducer, u32 u, u32 v, float birth,
                 Priority pivot) const {
        const u64 t = pivot.index();
        const u32 a = static_cast<u32>(t & kVertexMask);
        const u32 b = static_cast<u32>((t >> kVertexBits) & kVertexMask);
        CriticalEdge dies{static_cast<std::int32_t>(a), static_cast<std::int32_t>(b), true};
        if ((t >> (2 * kVertexBits)) != static_cast<u64>(n_)) {
            const auto [s, e] = edge_vertices(reducer.latest_facet(t).second);
            dies = CriticalEdge{static_cast<std::int32_t>(s), static_cast<std::int32_t>(e), false};
        }
        return Bar{birth, pivot.value(),
                   CriticalEdge{static_cast<std::int32_t>(u), static_cast<std::int32_t>(v), false},
                   dies};
    }

    int n_;
    float alpha_ = 0.0f;
    const float* mu_ = nullptr;  // n x n, full rows: mu_store_ or the caller's float32 matrix
    std::vector<float> mu_store_;
    std::vector<float> w_;      // compressed lower triangle, by edge index
    std::vector<u64> order_;    // the columns, in processing order
    i64 trivial_ = 0;
};

}  // namespace

template <typename T>
void run_dim1(const T* w, const T* mu, int n, std::vector<Bar>& bars, Stats& stats,
              const Progress& progress) {
    Dim1Cone engine(w, mu, n);
    engine.run(bars, stats, progress);
}
template void run_dim1(const double*, const double*, int, std::vector<Bar>&, Stats&,
                       const Progress&);
template void run_dim1(const float*, const float*, int, std::vector<Bar>&, Stats&,
                       const Progress&);

}  // namespace detail
}  // namespace rtdcone
