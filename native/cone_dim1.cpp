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

// The cut shortcut (docs/engine.md, "The cuts"). Call an edge e of K a forest edge if it joins two
// components of K_<e, the edges of K before e in the filtration (Kruskal in filtration order:
// the minimum spanning tree of mu in the Priority order). For such an e = uv let T_e be the
// minimum spanning tree of all pairs ab weighted by their cone triangle *ab (w_ab, ties in
// Priority order), except that the edges of the spanning forest of K_<e weigh -inf; xy the
// heaviest edge on the path from u to v in T_e and S the side of u once xy is removed. Every
// pair that crosses S is an edge of K at or after e, e crosses, no triangle of K has an odd
// number of crossing edges, and *xy is the earliest cone triangle of a crossing pair (the cut
// property): the cut of S is a cochain "e plus edges processed before e" whose coboundary
// starts at *xy. If no column processed before e owns *xy, that is e's pivot.
class Cuts {
   public:
    // w: by edge index; mu: n x n full rows. O(n^2) time, O(n) memory besides the sides kept.
    Cuts(const float* w, const float* mu, int n, Ticker& ticker)
        : w_(w), mu_(mu), n_(n), words_((static_cast<std::size_t>(n) + 63) / 64) {
        std::vector<TreeEdge> forest = spanning_tree(
            [&](u32 a, u32 b) { return Priority::of(this->mu(a, b), pair_index(a, b)); }, ticker);
        std::sort(forest.begin(), forest.end(),
                  [](const TreeEdge& a, const TreeEdge& b) { return a.key < b.key; });
        tree_ = spanning_tree([&](u32 a, u32 b) { return cone_priority(a, b); }, ticker);
        adjacent_.assign(n, {});
        for (u32 id = 0; id < tree_.size(); ++id) link(id);
        for (const TreeEdge& e : forest) {
            ticker.tick(0);
            join(e);
        }
        std::sort(by_edge_.begin(), by_edge_.end());
    }

    // The pivot *xy of the cut of `edge` if it is a forest edge and xy is no edge of L (whose
    // cone triangle is paired with it); false otherwise.
    bool candidate(u32 edge, Priority& pivot) const {
        const u32 position = find(edge);
        if (position == kNone) return false;
        const Found& f = found_[position];
        pivot = cone_priority(f.x, f.y);
        return w_[edge_index(f.x, f.y)] != mu(f.x, f.y);
    }

    // Appends to `out` the cut of the forest edge uv, truncated at its pivot *xy: the pairs
    // other than uv that cross its side S with mu up to w_xy. Up to the pivot their coboundary
    // (with uv's) is the whole cut's, which is the pivot alone.
    void cochain(u32 u, u32 v, std::vector<u32>& out) const {
        const u32 edge = edge_index(u, v);
        const u32 position = find(edge);
        assert(position != kNone);
        const u64* side = &sides_[static_cast<std::size_t>(position) * words_];
        const auto in_side = [&](u32 a) { return (side[a >> 6] >> (a & 63)) & 1; };
        std::vector<u32> inside, outside;
        for (u32 a = 0; a < static_cast<u32>(n_); ++a) (in_side(a) ? inside : outside).push_back(a);
        const float death = w_[edge_index(found_[position].x, found_[position].y)];
        for (const u32 a : inside)
            for (const u32 b : outside)
                if (mu(a, b) <= death) {
                    const u32 ab = pair_index(a, b);
                    if (ab != edge) out.push_back(ab);
                }
    }

    std::size_t bytes() const {
        return tree_.capacity() * sizeof(TreeEdge) + found_.capacity() * sizeof(Found) +
               by_edge_.capacity() * sizeof(by_edge_[0]) + sides_.capacity() * sizeof(u64) +
               3 * static_cast<std::size_t>(n_) * sizeof(u32);
    }

   private:
    struct TreeEdge {
        u32 a, b;
        Priority key;  // Priority{} (before everything) once it is an edge of the K forest
    };
    struct Found {
        u32 edge;  // the forest edge uv, a column
        u32 x, y;  // its cut's pivot *xy, x < y
    };

    u32 find(u32 edge) const {  // position in found_, or kNone
        const auto it = std::lower_bound(
            by_edge_.begin(), by_edge_.end(), edge,
            [](const std::pair<u32, u32>& a, u32 b) { return a.first < b; });
        return it != by_edge_.end() && it->first == edge ? it->second : kNone;
    }
    float mu(u32 a, u32 b) const { return mu_[static_cast<std::size_t>(a) * n_ + b]; }
    Priority cone_priority(u32 a, u32 b) const {
        if (a > b) std::swap(a, b);
        return Priority::of(w_[edge_index(a, b)], tri_index(a, b, static_cast<u64>(n_)));
    }

    // Prim's algorithm on the complete graph under a strict total order of the pairs (so the
    // tree is unique). O(n^2).
    template <typename Key>
    std::vector<TreeEdge> spanning_tree(Key key, Ticker& ticker) const {
        const u32 n = static_cast<u32>(n_);
        std::vector<Priority> best(n);
        std::vector<u32> from(n, 0);
        std::vector<char> in_tree(n, 0);
        std::vector<TreeEdge> tree;
        tree.reserve(n - 1);
        in_tree[0] = 1;
        for (u32 b = 1; b < n; ++b) best[b] = key(0, b);
        for (u32 added = 1; added < n; ++added) {
            ticker.tick(0);
            u32 next = 0;  // a vertex outside the tree with the smallest key (vertex 0 is in)
            for (u32 b = 1; b < n; ++b)
                if (!in_tree[b] && (next == 0 || best[b] < best[next])) next = b;
            in_tree[next] = 1;
            tree.push_back(TreeEdge{std::min(from[next], next), std::max(from[next], next),
                                    best[next]});
            for (u32 b = 0; b < n; ++b)
                if (!in_tree[b]) {
                    const Priority k = key(next, b);
                    if (k < best[b]) {
                        best[b] = k;
                        from[b] = next;
                    }
                }
        }
        return tree;
    }

    void link(u32 id) {
        adjacent_[tree_[id].a].push_back(id);
        adjacent_[tree_[id].b].push_back(id);
    }
    void unlink(u32 id) {
        for (const u32 end : {tree_[id].a, tree_[id].b}) {
            std::vector<u32>& list = adjacent_[end];
            list.erase(std::find(list.begin(), list.end(), id));
        }
    }
    u32 other(u32 id, u32 vertex) const {
        return tree_[id].a == vertex ? tree_[id].b : tree_[id].a;
    }

    // Walks the tree from `root`, not crossing `avoid`; via_[x] is the tree edge by which x was
    // reached (kNone for the root). Returns the vertices reached.
    const std::vector<u32>& walk(u32 root, u32 avoid) {
        via_.assign(n_, kNone);
        reached_.assign(1, root);
        for (std::size_t i = 0; i < reached_.size(); ++i) {
            const u32 x = reached_[i];
            for (const u32 id : adjacent_[x]) {
                const u32 y = other(id, x);
                if (id == avoid || y == root || via_[y] != kNone) continue;
                via_[y] = id;
                reached_.push_back(y);
            }
        }
        return reached_;
    }

    // The forest edge e = uv in filtration order: find the heaviest tree edge xy on the path
    // from u to v (never a forest edge: u and v are in different components of K_<e), record
    // the cut if e is a column (not an edge of L), and replace xy by e at -inf (T_e -> the
    // next tree: lowering an edge's weight swaps it for the heaviest edge of its cycle).
    void join(const TreeEdge& e) {
        walk(e.a, kNone);
        u32 heaviest = kNone;
        for (u32 x = e.b; x != e.a; x = other(via_[x], x))
            if (heaviest == kNone || tree_[heaviest].key < tree_[via_[x]].key) heaviest = via_[x];
        assert(heaviest != kNone && Priority{} < tree_[heaviest].key);
        const u32 edge = edge_index(e.a, e.b);
        if (w_[edge] != mu(e.a, e.b)) {
            by_edge_.emplace_back(edge, static_cast<u32>(found_.size()));
            found_.push_back(Found{edge, tree_[heaviest].a, tree_[heaviest].b});
            sides_.resize(sides_.size() + words_, 0);
            u64* side = &sides_[sides_.size() - words_];
            for (const u32 x : walk(e.a, heaviest)) side[x >> 6] |= u64(1) << (x & 63);
        }
        unlink(heaviest);
        tree_[heaviest] = TreeEdge{e.a, e.b, Priority{}};
        link(heaviest);
    }

    const float* w_;
    const float* mu_;
    int n_;
    std::size_t words_;  // 64-bit words per side
    std::vector<TreeEdge> tree_;
    std::vector<std::vector<u32>> adjacent_;  // by vertex: its tree edges
    std::vector<u32> via_, reached_;
    std::vector<Found> found_;  // the forest edges that are columns, in filtration order
    std::vector<std::pair<u32, u32>> by_edge_;  // (edge, position in found_), sorted
    std::vector<u64> sides_;  // the side S of each found_ entry, a bit per vertex
};

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
        const Cuts cuts(w_.data(), mu_, n_, ticker);
        reducer.set_materialiser(
            [&cuts](u32 u, u32 v, std::vector<u32>& out) { cuts.cochain(u, v, out); });
        for (std::size_t done = 0; done < order_.size(); ++done) {
            ticker.tick(static_cast<i64>(done));
            const u32 edge = record_edge(order_[done]);
            const auto [u, v] = edge_vertices(edge);
            if (reducer.apparent_at_start(u, v)) {
                ++stats.emergent;
                continue;
            }
            Priority pivot;
            u32 position;
            if (cuts.candidate(edge, pivot) && !reducer.owns(pivot)) {
                reducer.defer(u, v, pivot);
                ++stats.shortcut;
            } else {
                ++stats.reduced;
                if (!reducer.reduce(u, v, ticker, static_cast<i64>(done), pivot, position)) {
                    ++stats.essential;
                    continue;
                }
            }
            const float birth = record_value(order_[done]);
            if (pivot.value() > birth) bars.push_back(make_bar(reducer, u, v, birth, pivot));
        }
        ticker.finish();
        const ReducerCounters& counters = reducer.counters();
        stats.additions = counters.additions;
        stats.visited = counters.visited;
        stats.removals = counters.removals;
        stats.materialised = counters.materialised;
        stats.peak_bytes = static_cast<i64>(mu_store_.capacity() * sizeof(float) +
                                            w_.capacity() * sizeof(float) +
                                            order_.capacity() * sizeof(u64) + reducer.bytes() +
                                            cuts.bytes());
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
