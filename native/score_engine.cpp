// rtdkit "score" engine: the three terms of the RTD_1 identity (see score_engine.hpp and
// docs/score.md for the mathematics).
//
// Filtration order of Rips(mu), used consistently: edges by (value, colex index), triangles by
// (value, packed index); at equal value an edge comes before a triangle. Any consistent total
// order gives the same barcode; the order only decides which representative cocycles we get.

#include "score_engine.hpp"

#include "cone_core.hpp"  // the progress ticker

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

namespace rtdscore {
namespace {

using u32 = std::uint32_t;
using u64 = std::uint64_t;
using Ticker = rtdcone::detail::Ticker;

constexpr int kMaxPoints = 1 << 21;  // triangles pack three 21-bit vertex numbers
// Below this many neighbours within an edge's value, its value-a cofacets are found from the
// sorted neighbour list instead of a scan by vertex number.
constexpr std::uint32_t kShortPrefix = 64;

inline float to_f32(double x) { return static_cast<float>(x) + 0.0f; }  // -0 -> +0

inline u64 edge_index(u32 u, u32 v) {  // u < v, colex
    return static_cast<u64>(v) * (v - 1) / 2 + u;
}

inline u64 tri_index(u32 a, u32 b, u32 c) {  // a < b < c
    return (static_cast<u64>(c) << 42) | (static_cast<u64>(b) << 21) | a;
}

inline u64 cofacet_index(u32 u, u32 v, u32 x) {  // u < v, x not in {u, v}
    if (x > v) return tri_index(u, v, x);
    if (x > u) return tri_index(u, x, v);
    return tri_index(x, u, v);
}

// A simplex in filtration order: value first, then index.
struct Key {
    float value;
    u64 index;
    bool operator<(const Key& o) const {
        return value < o.value || (value == o.value && index < o.index);
    }
    bool operator==(const Key& o) const { return value == o.value && index == o.index; }
};

// Symmetric float32 copy of a float64 matrix (upper triangle read), full rows for fast scans.
class Matrix32 {
   public:
    Matrix32(const double* m, int n) : n_(n), a_(static_cast<std::size_t>(n) * n, 0.0f) {
        for (int i = 0; i < n; ++i)
            for (int j = i + 1; j < n; ++j) {
                const float v = to_f32(m[static_cast<std::size_t>(i) * n + j]);
                a_[static_cast<std::size_t>(i) * n + j] = v;
                a_[static_cast<std::size_t>(j) * n + i] = v;
            }
    }
    float operator()(u32 i, u32 j) const { return a_[static_cast<std::size_t>(i) * n_ + j]; }
    const float* row(u32 i) const { return a_.data() + static_cast<std::size_t>(i) * n_; }
    int size() const { return n_; }

    // min_i max_j a_ij: at this scale the Rips complex is a cone on vertex i, so nothing in
    // H1 survives it.
    float enclosing_radius() const {
        float best = std::numeric_limits<float>::infinity();
        for (int i = 0; i < n_; ++i) {
            const float* r = row(i);
            best = std::min(best, *std::max_element(r, r + n_));
        }
        return n_ > 0 ? best : 0.0f;
    }

   private:
    int n_;
    std::vector<float> a_;
};

void check_matrix(const double* m, int n, const char* name) {
    if (n < 1 || n >= kMaxPoints)
        throw std::invalid_argument(std::string("score engine: ") + name + " must have between 1 and " +
                                    std::to_string(kMaxPoints - 1) + " rows");
    for (int i = 0; i < n; ++i)
        for (int j = i + 1; j < n; ++j) {
            const double v = m[static_cast<std::size_t>(i) * n + j];
            if (!(v >= 0.0) || !std::isfinite(to_f32(v)))
                throw std::invalid_argument(std::string("score engine: ") + name +
                                            " needs finite non-negative entries that fit in "
                                            "float32 (entry " + std::to_string(i) + "," +
                                            std::to_string(j) + ")");
        }
}

// Edges listed by increasing colex index (v outer, u inner), sorted stably by value: then they
// are in filtration order (value, index) without comparing indices.
void sort_in_filtration_order(std::vector<Edge>& edges) {
    std::stable_sort(edges.begin(), edges.end(),
                     [](const Edge& a, const Edge& b) { return a.value < b.value; });
}

// Prim's algorithm on the complete graph, O(n^2): the minimum spanning tree's edges.
std::vector<Edge> minimum_spanning_tree(const Matrix32& m) {
    const int n = m.size();
    std::vector<Edge> tree;
    if (n < 2) return tree;
    tree.reserve(n - 1);
    std::vector<float> best(n, std::numeric_limits<float>::infinity());
    std::vector<int> parent(n, 0);
    std::vector<char> done(n, 0);
    int current = 0;
    done[0] = 1;
    for (int step = 1; step < n; ++step) {
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
// H1 of Rips(mu) by persistent cohomology (columns: edges in reverse filtration order; pivot of
// a coboundary: its earliest triangle), with clearing (minimum-spanning-tree edges kill H0 and
// have no column), apparent pairs (paired without reduction and never stored) and truncation at
// the enclosing radius. Each bar keeps its representative cocycle V (the sum of the columns
// added to the edge): it is a cocycle of K_t for t below the death, supported on edges no
// earlier than the birth, and the cocycles of the bars alive at t form a basis of H^1(K_t).
class MuCohomology {
   public:
    MuCohomology(const Matrix32& mu, MuSide& out) : mu_(mu), n_(static_cast<u32>(mu.size())), out_(out) {
        out_.radius = mu.enclosing_radius();
    }

    void run(const rtdcone::Progress& progress) {
        std::vector<Edge> edges = edges_below_radius();
        std::vector<char> in_tree = kruskal(edges);
        Ticker ticker(progress, static_cast<std::int64_t>(edges.size()));
        for (std::size_t k = edges.size(); k-- > 0;) {
            ticker.tick(static_cast<std::int64_t>(edges.size() - k));
            if (in_tree[k]) continue;  // cleared: negative in dimension 0
            ++out_.counters.h1_columns;
            reduce(edges[k]);
        }
    }

   private:
    Key edge_key(u32 u, u32 v) const { return Key{mu_(u, v), edge_index(u, v)}; }

    std::vector<Edge> edges_below_radius() const {
        std::vector<Edge> edges;
        for (u32 v = 1; v < n_; ++v)
            for (u32 u = 0; u < v; ++u)
                if (mu_(u, v) <= out_.radius)
                    edges.push_back(Edge{mu_(u, v), static_cast<std::int32_t>(u), static_cast<std::int32_t>(v)});
        sort_in_filtration_order(edges);
        return edges;
    }

    // Kruskal in filtration order: the edges that join two components are the minimum
    // spanning tree of mu (the radius does not cut it: at the radius the graph is connected).
    std::vector<char> kruskal(const std::vector<Edge>& edges) {
        std::vector<u32> parent(n_);
        std::iota(parent.begin(), parent.end(), 0u);
        auto find = [&](u32 x) {
            while (parent[x] != x) x = parent[x] = parent[parent[x]];
            return x;
        };
        std::vector<char> in_tree(edges.size(), 0);
        for (std::size_t k = 0; k < edges.size(); ++k) {
            const u32 a = find(edges[k].u), b = find(edges[k].v);
            if (a == b) continue;
            parent[a] = b;
            in_tree[k] = 1;
            out_.mst.push_back(edges[k]);
        }
        return in_tree;
    }

    // Earliest cofacet of the edge uv (value > radius if it has none). The packed index of the
    // triangle uvx grows with x, so among the cofacets of the edge's own value a (those x with
    // mu_ux, mu_vx <= a) the earliest is the one of smallest x. When u or v has few neighbours
    // within a (a short edge), those are a short prefix of its sorted neighbour list and are
    // all checked; otherwise a scan by increasing x stops at the first one, which comes soon
    // because there are many. With no cofacet of value a, it is the first of the lazy stream.
    Key earliest_cofacet(u32 u, u32 v) {
        const float a = mu_(u, v);
        const u32 ku = first_above(u, a), kv = first_above(v, a);
        const u32 near = ku <= kv ? u : v, far = ku <= kv ? v : u;
        const u32 k = std::min(ku, kv);
        u32 best = n_;
        if (k <= kShortPrefix) {
            const std::vector<u32>& list = neighbours(near);
            const float* row = mu_.row(far);
            for (u32 i = 0; i < k; ++i)
                if (list[i] != far && row[list[i]] <= a) best = std::min(best, list[i]);
        } else {
            const float* ru = mu_.row(u);
            const float* rv = mu_.row(v);
            for (u32 x = 0; x < n_ && best == n_; ++x)
                if (x != u && x != v && ru[x] <= a && rv[x] <= a) best = x;
        }
        if (best < n_) return Key{a, cofacet_index(u, v, best)};
        Cofacets rest{std::min(u, v), std::max(u, v), a, true};
        rest.iu = first_above(rest.u, a);
        rest.iv = first_above(rest.v, a);
        if (advance(rest)) return rest.head;
        return Key{std::numeric_limits<float>::infinity(), 0};
    }

    // The latest facet of a triangle: its edge with the largest key.
    std::pair<u32, u32> latest_facet(u64 t) const {
        const u32 a = static_cast<u32>(t & 0x1FFFFF), b = static_cast<u32>((t >> 21) & 0x1FFFFF),
                  c = static_cast<u32>(t >> 42);
        std::pair<u32, u32> best{a, b};
        Key bk = edge_key(a, b);
        for (const auto& e : {std::pair<u32, u32>{a, c}, std::pair<u32, u32>{b, c}}) {
            const Key k = edge_key(e.first, e.second);
            if (bk < k) {
                bk = k;
                best = e;
            }
        }
        return best;
    }

    // ---- Lazy coboundaries -------------------------------------------------------------
    // The cofacets uvx of an edge uv (value a) in filtration order, produced one at a time so
    // that a column addition only reads its coboundary up to the current pivot:
    //  phase 0: x with max(mu_ux, mu_vx) <= a, all of value a, by increasing x (= index);
    //  phase 1: the rest by (max(mu_ux, mu_vx), x): a merge of the neighbour lists of u and v,
    //           each sorted by (mu, x) and cut at the radius; x is emitted from the list of the
    //           larger of its two distances (from v's on a tie), so exactly once.
    struct Cofacets {
        u32 u, v;
        float a;
        bool merging = false;
        u32 x = 0;         // phase 0: next vertex to test
        u32 iu = 0, iv = 0;  // phase 1: positions in the neighbour lists
        Key head{};
    };

    const std::vector<u32>& neighbours(u32 u) {
        std::vector<u32>& list = neighbours_[u];
        if (!list.empty() || sorted_[u]) return list;
        sorted_[u] = 1;
        const float* row = mu_.row(u);
        for (u32 x = 0; x < n_; ++x)
            if (x != u && row[x] <= out_.radius) list.push_back(x);
        std::sort(list.begin(), list.end(), [row](u32 p, u32 q) {
            return row[p] < row[q] || (row[p] == row[q] && p < q);
        });
        return list;
    }

    // First position in u's list whose distance exceeds a.
    u32 first_above(u32 u, float a) {
        const std::vector<u32>& list = neighbours(u);
        const float* row = mu_.row(u);
        return static_cast<u32>(
            std::upper_bound(list.begin(), list.end(), a,
                             [row](float value, u32 x) { return value < row[x]; }) -
            list.begin());
    }

    // Moves c.head to the next cofacet; false when the coboundary is exhausted.
    bool advance(Cofacets& c) {
        if (!c.merging) {
            const float* ru = mu_.row(c.u);
            const float* rv = mu_.row(c.v);
            for (; c.x < n_; ++c.x) {
                if (c.x == c.u || c.x == c.v || ru[c.x] > c.a || rv[c.x] > c.a) continue;
                c.head = Key{c.a, cofacet_index(c.u, c.v, c.x)};
                ++c.x;
                return true;
            }
            c.merging = true;
            c.iu = first_above(c.u, c.a);
            c.iv = first_above(c.v, c.a);
        }
        const std::vector<u32>& lu = neighbours(c.u);
        const std::vector<u32>& lv = neighbours(c.v);
        // skip the entries that the other list emits (or that are the other end of the edge)
        while (c.iu < lu.size() && (lu[c.iu] == c.v || !(mu_(c.v, lu[c.iu]) < mu_(c.u, lu[c.iu]))))
            ++c.iu;
        while (c.iv < lv.size() && (lv[c.iv] == c.u || mu_(c.u, lv[c.iv]) > mu_(c.v, lv[c.iv])))
            ++c.iv;
        const bool has_u = c.iu < lu.size(), has_v = c.iv < lv.size();
        if (!has_u && !has_v) return false;
        bool take_u = has_u;
        if (has_u && has_v) {
            const u32 xu = lu[c.iu], xv = lv[c.iv];
            const float fu = mu_(c.u, xu), fv = mu_(c.v, xv);
            take_u = fu < fv || (fu == fv && xu < xv);
        }
        const u32 x = take_u ? lu[c.iu++] : lv[c.iv++];
        c.head = Key{std::max(mu_(c.u, x), mu_(c.v, x)), cofacet_index(c.u, c.v, x)};
        return true;
    }

    // The working column: a heap of lazy coboundaries (by their heads) plus pivots put back.
    struct Working {
        std::vector<Cofacets> streams;
        std::vector<Key> extra;
    };
    static bool stream_later(const Cofacets& a, const Cofacets& b) { return b.head < a.head; }
    static bool later(const Key& a, const Key& b) { return b < a; }

    void add_stream(Working& work, u32 u, u32 v) {
        Cofacets c{std::min(u, v), std::max(u, v), mu_(u, v)};
        if (!advance(c)) return;
        work.streams.push_back(c);
        std::push_heap(work.streams.begin(), work.streams.end(), stream_later);
    }

    bool peek(const Working& work, Key& key) const {
        const bool s = !work.streams.empty(), e = !work.extra.empty();
        if (!s && !e) return false;
        if (s && (!e || work.streams.front().head < work.extra.front()))
            key = work.streams.front().head;
        else
            key = work.extra.front();
        return true;
    }

    void pop(Working& work) {
        const bool from_stream =
            !work.streams.empty() &&
            (work.extra.empty() || work.streams.front().head < work.extra.front());
        if (!from_stream) {
            std::pop_heap(work.extra.begin(), work.extra.end(), later);
            work.extra.pop_back();
            return;
        }
        std::pop_heap(work.streams.begin(), work.streams.end(), stream_later);
        if (advance(work.streams.back()))
            std::push_heap(work.streams.begin(), work.streams.end(), stream_later);
        else
            work.streams.pop_back();
    }

    // Pop the earliest triangle with an odd multiplicity; false if the column is zero.
    bool pop_pivot(Working& work, Key& pivot) {
        while (peek(work, pivot)) {
            pop(work);
            bool odd = true;
            Key next{};
            while (peek(work, next) && next == pivot) {
                pop(work);
                odd = !odd;
            }
            if (odd) return true;
        }
        return false;
    }

    void record(u32 u, u32 v, const Key& death, std::vector<u32> cocycle) {
        const float birth = mu_(u, v);
        if (!(death.value > birth)) return;  // zero length: no bar, no coordinate
        const auto [du, dv] = latest_facet(death.index);
        out_.bars.push_back(ScoreBar{birth, death.value, static_cast<std::int32_t>(u),
                                     static_cast<std::int32_t>(v), static_cast<std::int32_t>(du),
                                     static_cast<std::int32_t>(dv)});
        out_.cocycles.push_back(std::move(cocycle));
    }

    void reduce(const Edge& e) {
        const u32 u = static_cast<u32>(e.u), v = static_cast<u32>(e.v);
        const u64 self = edge_index(u, v);
        const Key first = earliest_cofacet(u, v);
        if (first.value <= out_.radius) {
            const auto f = latest_facet(first.index);
            if (edge_index(f.first, f.second) == self) {  // apparent pair
                ++out_.counters.h1_apparent;
                record(u, v, first, {static_cast<u32>(self)});
                return;
            }
        }
        ++out_.counters.h1_reduced;
        Working work;
        add_stream(work, u, v);
        std::vector<u32> cocycle{static_cast<u32>(self)};
        Key pivot{};
        while (pop_pivot(work, pivot)) {
            const std::vector<u32>* added = nullptr;
            std::vector<u32> apparent;
            auto hit = pivots_.find(pivot.index);
            if (hit != pivots_.end()) {
                added = &stored_[hit->second];
            } else {
                const auto f = latest_facet(pivot.index);
                const u64 fi = edge_index(f.first, f.second);
                if (fi != self && earliest_cofacet(f.first, f.second) == pivot) {
                    apparent.push_back(static_cast<u32>(fi));  // (f, pivot) is an apparent pair
                    added = &apparent;
                }
            }
            if (added == nullptr) {  // a new pivot: (e, pivot) is a persistence pair
                std::sort(cocycle.begin(), cocycle.end());
                cocycle = cancel_pairs(cocycle);
                pivots_.emplace(pivot.index, stored_.size());
                stored_.push_back(cocycle);
                record(u, v, pivot, std::move(cocycle));
                return;
            }
            ++out_.counters.h1_additions;
            work.extra.push_back(pivot);  // cancels against the added column's own pivot
            std::push_heap(work.extra.begin(), work.extra.end(), later);
            for (const u32 edge : *added) {
                const auto [a, b] = edge_vertices(edge);
                add_stream(work, a, b);
                cocycle.push_back(edge);
            }
        }
        // Unreachable in theory: K is a cone at the radius, so every class dies by then.
        throw std::logic_error("score engine: an H1 class of Rips(mu) outlived the enclosing radius");
    }

    static std::vector<u32> cancel_pairs(const std::vector<u32>& sorted) {  // Z/2 sum
        std::vector<u32> out;
        for (std::size_t i = 0; i < sorted.size();) {
            std::size_t j = i;
            while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
            if ((j - i) & 1) out.push_back(sorted[i]);
            i = j;
        }
        return out;
    }

    static std::pair<u32, u32> edge_vertices(u64 index) {  // inverse of edge_index
        u32 v = static_cast<u32>((1.0 + std::sqrt(1.0 + 8.0 * static_cast<double>(index))) / 2.0);
        while (static_cast<u64>(v) * (v - 1) / 2 > index) --v;
        while (static_cast<u64>(v + 1) * v / 2 <= index) ++v;
        return {static_cast<u32>(index - edge_index(0, v)), v};
    }

    const Matrix32& mu_;
    u32 n_;
    MuSide& out_;
    std::unordered_map<u64, std::size_t> pivots_;  // death triangle -> stored cocycle
    std::vector<std::vector<u32>> stored_;
    std::vector<std::vector<u32>> neighbours_ = std::vector<std::vector<u32>>(n_);  // by mu
    std::vector<char> sorted_ = std::vector<char>(n_, 0);
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
    ImageReduction(const Matrix32& w, const std::vector<Edge>& tree, const MuSide& mu, WSide& out)
        : w_(w), n_(static_cast<u32>(w.size())), tree_(tree), mu_(mu), out_(out) {}

    void run(const rtdcone::Progress& progress) {
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
        in_tree_.assign(static_cast<std::size_t>(n_) * n_, 0);
        for (const Edge& e : tree_) {
            in_tree_[static_cast<std::size_t>(e.u) * n_ + e.v] = 1;
            in_tree_[static_cast<std::size_t>(e.v) * n_ + e.u] = 1;
        }
        float first = std::numeric_limits<float>::infinity();
        for (u32 v = 1; v < n_; ++v)
            for (u32 u = 0; u < v; ++u)
                if (!tree(u, v)) first = std::min(first, w_(u, v));
        return first;
    }
    bool tree(u32 u, u32 v) const { return in_tree_[static_cast<std::size_t>(u) * n_ + v] != 0; }

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
            if (bits[k]) return static_cast<int>(k * 64 + 63 - __builtin_clzll(bits[k]));
        return -1;
    }

    void reduce_columns(const rtdcone::Progress& progress) {
        const float last_death = mu_.bars[coords_.back()].death;
        std::vector<Edge> columns;
        for (u32 v = 1; v < n_; ++v)
            for (u32 u = 0; u < v; ++u)
                if (!tree(u, v) && w_(u, v) < last_death)
                    columns.push_back(Edge{w_(u, v), static_cast<std::int32_t>(u), static_cast<std::int32_t>(v)});
        sort_in_filtration_order(columns);
        const std::size_t r = coords_.size();
        std::vector<Bits> pivot_of(r);
        std::size_t first_alive = 0;  // coordinates below it died at or before the current w
        std::size_t alive_pivots = 0;
        Bits vec(words_);
        Ticker ticker(progress, static_cast<std::int64_t>(columns.size()));
        std::int64_t done = 0;
        for (const Edge& col : columns) {
            ticker.tick(++done);
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
                    const ScoreBar& dying = mu_.bars[coords_[p]];
                    out_.image.push_back(ScoreBar{col.value, dying.death, col.u, col.v, dying.du, dying.dv});
                    break;
                }
                const Bits& other = pivot_of[p];
                for (std::size_t k = 0; k < words_; ++k) vec[k] ^= other[k];
            }
        }
    }

    const Matrix32& w_;
    u32 n_;
    const std::vector<Edge>& tree_;
    const MuSide& mu_;
    WSide& out_;
    std::vector<char> in_tree_;
    std::vector<std::size_t> coords_;                // indices into mu_.bars, by death
    std::size_t words_ = 0;
    std::unordered_map<u32, Bits> cochain_;          // edge -> which cocycles contain it
    std::vector<u64> potential_;                     // n x words_
};

}  // namespace

MuSide compute_mu_side(const double* mu, int n, const Progress& progress) {
    check_matrix(mu, n, "mu");
    const Matrix32 m(mu, n);
    MuSide out;
    MuCohomology(m, out).run(progress);
    return out;
}

WSide compute_w_side(const double* w, int n, const MuSide& mu_side, const Progress& progress) {
    check_matrix(w, n, "w");
    const Matrix32 m(w, n);
    WSide out;
    out.mst = minimum_spanning_tree(m);
    ImageReduction(m, out.mst, mu_side, out).run(progress);
    return out;
}

}  // namespace rtdscore
