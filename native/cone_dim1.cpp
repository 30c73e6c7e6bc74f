// Dimension 1 of the cone engine: persistent cohomology with clearing on the cone over L.
// docs/engine.md explains why this complex has the doubled matrix's H1 barcode.
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "cone_core.hpp"

namespace rtdcone {
namespace detail {
namespace {

// Dimension 1, cone over L.
//
// Columns: the edges uv of K with mu_uv <= alpha, in reverse filtration order. Coboundary of uv:
// the triangles uvx of K at max(mu_uv, mu_ux, mu_vx) and the single cone triangle *uv at w_uv.
// An edge of L (w_uv == mu_uv) is paired at once with *uv (an apparent pair of zero length)
// and, since *uv is a coface of no other column, is never needed again: it is not even listed.
//
// Apparent pairs (sigma, tau): tau is the earliest cofacet of sigma and sigma the latest facet
// of tau. They are persistence pairs whatever the order of the reduction, and no other column
// can end with pivot tau, so they are not stored: a pivot that misses the hash map is tested
// for being apparent on the spot (three mu look-ups and one row scan, which also starts the
// lazy enumeration of sigma's coboundary). The hash map holds only the reduced columns.
//
// Triangle index: packed (c << 42 | b << 21 | a) for a < b < c, which orders like the colex
// index; the apex is vertex n. Edge index: colex v(v-1)/2 + u for u < v.

constexpr int kVertexBits = 21;
constexpr u64 kVertexMask = (u64(1) << kVertexBits) - 1;

inline u64 tri_index(u64 a, u64 b, u64 c) { return (c << 42) | (b << 21) | a; }
inline u64 cofacet_index(u32 u, u32 v, u32 x) {  // u < v, x not in {u, v}
    if (x > v) return tri_index(u, v, x);
    if (x > u) return tri_index(u, x, v);
    return tri_index(x, u, v);
}
inline u32 edge_index(u32 u, u32 v) {  // u < v
    return static_cast<u32>(static_cast<u64>(v) * (v - 1) / 2 + u);
}

struct Edge {
    float mu;
    float w;
    u32 u;
    u32 v;
};

class Dim1Cone {
   public:
    template <typename T>
    Dim1Cone(const T* w, const T* mu, int n) : n_(n) {
        // triangle indices pack three vertex numbers (the apex n included) in 21 bits each,
        // edge indices n(n-1)/2 in 32 bits
        static_assert(kMaxPoints < (1 << kVertexBits), "vertex numbers must fit in 21 bits");
        static_assert(static_cast<u64>(kMaxPoints) * (kMaxPoints - 1) / 2 < kNone,
                      "edge indices must fit in 32 bits");
        assert(n >= 2 && n <= kMaxPoints);
        alpha_ = enclosing_radius(w, n);
        if constexpr (std::is_same_v<T, float>) {
            mu_ = mu;  // already float32 full rows (checked symmetric): read in place
        } else {
            mu_store_ = full_rows_f32(mu, n);
            mu_ = mu_store_.data();
        }
        w_.resize(static_cast<std::size_t>(n) * (n - 1) / 2);
        for (int v = 1; v < n; ++v)
            for (int u = 0; u < v; ++u)
                w_[edge_index(u, v)] =
                    static_cast<float>(w[static_cast<std::size_t>(u) * n + v]) + 0.0f;
        build_order();
        nbr_.resize(static_cast<std::size_t>(n) * (n - 1));
        nbr_ready_.assign(n, 0);
        member_.assign((static_cast<std::size_t>(n) * (n - 1) / 2 + 63) / 64, 0);
        touched_.assign(n, 0);
    }

    void run(std::vector<Bar>& bars, Stats& stats, const Progress& progress) {
        stats.alpha = alpha_;
        stats.columns = static_cast<i64>(order_.size()) + trivial_;
        stats.trivial = trivial_;
        PivotMap pivots(1024);
        ReducedColumns reduced;
        Work work;
        std::size_t work_bytes = 0;
        Ticker ticker(progress, static_cast<i64>(order_.size()));

        for (std::size_t done = 0; done < order_.size(); ++done) {
            ticker.tick(static_cast<i64>(done));
            Edge e = edge_of_record(order_[done]);
            const int x = next_in_block(e, n_);
            if (x >= 0) {
                // apparent pair (e, t) if e is also the latest facet of t; the usual case is
                // that e is its only facet of that value (the rows are in cache already)
                const bool unique = mu(e.u, static_cast<u32>(x)) < e.mu &&
                                    mu(e.v, static_cast<u32>(x)) < e.mu;
                if (unique || latest_facet(cofacet_index(e.u, e.v, static_cast<u32>(x))).second ==
                                  edge_index(e.u, e.v)) {
                    ++stats.emergent;
                    continue;
                }
            }
            ++stats.reduced;
            e.w = w_[edge_index(e.u, e.v)];
            reduce_column(e, work, pivots, reduced, bars, stats, ticker, done);
            work_bytes = std::max(work_bytes, work.bytes());
        }
        ticker.finish();
        stats.visited = visited_;
        stats.removals = removals_;
        const std::size_t bytes = mu_store_.capacity() * sizeof(float) + w_.capacity() * sizeof(float) +
                                  order_.capacity() * sizeof(u64) + pivots.bytes() +
                                  nbr_.capacity() * sizeof(u32) + sort_buf_.capacity() * 8 +
                                  reduced.bytes() + work_bytes;
        stats.peak_bytes = static_cast<i64>(bytes);
    }

   private:
    float mu(u32 a, u32 b) const { return mu_[static_cast<std::size_t>(a) * n_ + b]; }

    static std::pair<u32, u32> edge_vertices(u32 index) {
        // invert index = v(v-1)/2 + u
        u32 v = static_cast<u32>((1.0 + std::sqrt(1.0 + 8.0 * index)) / 2.0);
        while (static_cast<u64>(v) * (v - 1) / 2 > index) --v;
        while (static_cast<u64>(v + 1) * v / 2 <= index) ++v;
        return {index - edge_index(0, v), v};
    }
    Edge edge(u32 index) const {
        const auto [u, v] = edge_vertices(index);
        return Edge{mu(u, v), w_[index], u, v};
    }
    // From a column record (mu read from its bits; w is filled in only when needed).
    static Edge edge_of_record(u64 rec) {
        const auto [u, v] = edge_vertices(static_cast<u32>(rec));
        return Edge{bits_float(~static_cast<u32>(rec >> 32)), 0.0f, u, v};
    }

    // The latest facet of the triangle t of K (largest mu; ties: smallest colex index, which
    // comes latest in the filtration) as (third vertex, edge index).
    std::pair<int, u32> latest_facet(u64 t) const {
        const u32 a = static_cast<u32>(t & kVertexMask);
        const u32 b = static_cast<u32>((t >> 21) & kVertexMask);
        const u32 c = static_cast<u32>(t >> 42);
        const float ab = mu(a, b), ac = mu(a, c), bc = mu(b, c);
        const float top = std::max(ab, std::max(ac, bc));
        if (ab == top) return {static_cast<int>(c), edge_index(a, b)};
        if (ac == top) return {static_cast<int>(b), edge_index(a, c)};
        return {static_cast<int>(a), edge_index(b, c)};
    }

    void build_order() {
        // Edges of K up to alpha that are not in L, as records (~bits(mu) << 32 | index):
        // ascending records = value desc, then colex index asc = reverse filtration order.
        // Bucketed by their top 16 bits in place (counting pass + scatter), then each bucket
        // sorted.
        auto record = [&](u32 u, u32 v, float m) {
            return (static_cast<u64>(~float_bits(m)) << 32) | edge_index(u, v);
        };
        std::vector<std::size_t> start(65537, 0);
        for (int v = 1; v < n_; ++v)
            for (int u = 0; u < v; ++u) {
                const float m = mu(u, v);
                if (m > alpha_) continue;
                if (w_[edge_index(u, v)] == m) {
                    ++trivial_;  // edge of L: paired with its cone triangle *uv, zero length
                    continue;
                }
                ++start[(record(u, v, m) >> 48) + 1];
            }
        for (std::size_t k = 0; k < 65536; ++k) start[k + 1] += start[k];
        order_.resize(start[65536]);
        std::vector<std::size_t> fill(start.begin(), start.end() - 1);
        for (int v = 1; v < n_; ++v)
            for (int u = 0; u < v; ++u) {
                const float m = mu(u, v);
                if (m > alpha_ || w_[edge_index(u, v)] == m) continue;
                const u64 r = record(u, v, m);
                order_[fill[r >> 48]++] = r;
            }
        // within a bucket the records are in generation (= index) order; a stable radix sort
        // on the remaining 16 value bits finishes the job
        std::vector<u64> tmp;
        for (std::size_t k = 0; k < 65536; ++k) {
            const std::size_t len = start[k + 1] - start[k];
            if (len < 2) continue;
            if (tmp.size() < len) tmp.resize(len);
            radix_sort_by_high_bits(order_.data() + start[k], tmp.data(), len, 32, 48);
        }
    }

    // Lazy coboundary of an added column j = uv, enumerated in filtration order:
    //  phase 0: its block, the cofacets uvx of value exactly mu_j (mu_ux, mu_vx <= mu_j), which
    //           come in decreasing x (= decreasing index), found by a scan of rows u and v;
    //  phase 1: the rest, value > mu_j: a merge of the neighbour lists of u and v (each sorted
    //           by mu, then by decreasing x) from the first value above mu_j; a vertex x is
    //           emitted where it is met the second time, i.e. at max(mu_ux, mu_vx), so the
    //           merge yields the cofacets in filtration order; the cone triangle *uv (largest
    //           index) is slotted in at w_uv. Each step is O(1): nothing is scanned or sorted,
    //           and only the part of a coboundary up to the pivot is ever read.
    struct ColIter {
        Priority head;  // priority of the current cofacet
        Edge e;
        int x;      // phase 0: third vertex of the current cofacet; -1 in phase 1
        u32 iu;     // phase 1: positions in the neighbour lists of u and v
        u32 iv;
        bool cone;  // phase 1: the cone triangle *uv is still to come
        u32 third;  // the current cofacet's vertex other than u and v (n for the cone triangle)
        enum State : unsigned char { kLive, kDone, kStopped } state;  // kDone: exhausted
    };

    // The heap holds (priority of the current cofacet, iterator slot) only: 24 bytes to move
    // per level instead of the whole iterator.
    struct HeapEntry {
        Priority head;
        u32 slot;  // an entry whose iterator was stopped is dropped when it comes up
    };

    struct Work {
        std::vector<HeapEntry> heap;  // one entry per live iterator, earliest cofacet on top
        std::vector<ColIter> iters;   // every iterator started for this column, by slot
        u32 self = kNone;             // the column being reduced
        std::vector<u32> comb;        // columns added (the reduction matrix column)
        void clear() {
            heap.clear();
            iters.clear();
            comb.clear();
        }
        void push(ColIter it) {
            it.state = ColIter::kLive;
            heap.push_back(HeapEntry{it.head, static_cast<u32>(iters.size())});
            iters.push_back(it);
            std::push_heap(heap.begin(), heap.end(), later);
        }
        static bool later(const HeapEntry& a, const HeapEntry& b) { return a.head > b.head; }
        std::size_t bytes() const {
            return heap.capacity() * sizeof(HeapEntry) + iters.capacity() * sizeof(ColIter) +
                   comb.capacity() * sizeof(u32);
        }
    };

    // Largest x < below, not u or v, with mu_ux <= mu_uv and mu_vx <= mu_uv; -1 if none.
    int next_in_block(const Edge& e, int below) const {
        const float* ru = &mu_[static_cast<std::size_t>(e.u) * n_];
        const float* rv = &mu_[static_cast<std::size_t>(e.v) * n_];
        const float d = e.mu;
        constexpr int kBlock = 32;
        int hi = below;
        while (hi > 0) {
            const int lo = hi > kBlock ? hi - kBlock : 0;
            int hits = 0;
            for (int x = lo; x < hi; ++x) hits += int(ru[x] <= d) & int(rv[x] <= d);
            // u and v pass the test themselves (mu_uu = 0, mu_uv = d)
            hits -= int(lo <= int(e.u) && int(e.u) < hi) + int(lo <= int(e.v) && int(e.v) < hi);
            if (hits > 0) {
                for (int x = hi - 1; x >= lo; --x)
                    if (ru[x] <= d && rv[x] <= d && x != int(e.u) && x != int(e.v)) return x;
            }
            hi = lo;
        }
        return -1;
    }

    // Neighbour list of u: the n - 1 other vertices by (mu_ux asc, x desc); built on demand.
    const u32* neighbours(u32 u) {
        u32* list = &nbr_[static_cast<std::size_t>(u) * (n_ - 1)];
        if (!nbr_ready_[u]) {
            // stable LSD radix sort of (value bits, x) with x entered in decreasing order
            const float* row = &mu_[static_cast<std::size_t>(u) * n_];
            const std::size_t len = static_cast<std::size_t>(n_ - 1);
            sort_buf_.resize(2 * len);
            u64* src = sort_buf_.data();
            u64* dst = src + len;
            std::size_t k = 0;
            for (int x = n_ - 1; x >= 0; --x)
                if (x != static_cast<int>(u))
                    src[k++] = (static_cast<u64>(float_bits(row[x])) << 32) | static_cast<u32>(x);
            radix_sort_by_high_bits(src, dst, len, 32, 64);
            for (k = 0; k < len; ++k) list[k] = static_cast<u32>(src[k]);
            nbr_ready_[u] = 1;
        }
        return list;
    }

    // First position in the list of u whose value exceeds d (or_equal: is at least d).
    u32 first_above(u32 u, float d, bool or_equal = false) {
        const u32* list = neighbours(u);
        const float* row = &mu_[static_cast<std::size_t>(u) * n_];
        u32 lo = 0, hi = static_cast<u32>(n_ - 1);
        while (lo < hi) {
            const u32 mid = (lo + hi) / 2;
            const float value = row[list[mid]];
            if (value < d || (value == d && !or_equal))
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }

    // Next cofacet of phase 1; false when the coboundary (up to alpha) is exhausted.
    bool next_merged(ColIter& it) const {
        const Edge& e = it.e;
        const u32 len = static_cast<u32>(n_ - 1);
        const u32* lu = &nbr_[static_cast<std::size_t>(e.u) * len];
        const u32* lv = &nbr_[static_cast<std::size_t>(e.v) * len];
        const float* ru = &mu_[static_cast<std::size_t>(e.u) * n_];
        const float* rv = &mu_[static_cast<std::size_t>(e.v) * n_];
        constexpr float kInf = std::numeric_limits<float>::infinity();
        for (;;) {
            const float a = it.iu < len ? ru[lu[it.iu]] : kInf;
            const float b = it.iv < len ? rv[lv[it.iv]] : kInf;
            const float val = std::min(a, b);
            assert(val <= kInf);
            if (it.cone && e.w <= val) {  // *uv has the largest index: first among equals
                it.cone = false;
                it.head = Priority::of(e.w, tri_index(e.u, e.v, static_cast<u64>(n_)));
                it.third = static_cast<u32>(n_);
                return true;
            }
            // Both lists exhausted (val == inf) ends the coboundary whatever alpha is: the
            // merge below must never read past a list.
            if (val > alpha_ || (it.iu == len && it.iv == len)) return false;
            assert(it.iu < len || it.iv < len);
            // the smaller head; among equal values the larger x first
            const bool from_u = a < b || (a == b && lu[it.iu] >= lv[it.iv]);
            if (from_u) {
                const u32 x = lu[it.iu++];
                if (rv[x] <= a) {  // second meeting (or a tie: emitted from the u side)
                    it.head = Priority::of(a, cofacet_index(e.u, e.v, x));
                    it.third = x;
                    return true;
                }
            } else {
                const u32 x = lv[it.iv++];
                if (ru[x] < b) {
                    it.head = Priority::of(b, cofacet_index(e.u, e.v, x));
                    it.third = x;
                    return true;
                }
            }
        }
    }

    bool start_merged(ColIter& it) {
        it.x = -1;
        it.iu = first_above(it.e.u, it.e.mu);
        it.iv = first_above(it.e.v, it.e.mu);
        it.cone = it.e.w <= alpha_;
        return next_merged(it);
    }

    // Move the iterator to its next cofacet; false when exhausted.
    bool advance(ColIter& it) {
        if (it.x >= 0) {
            it.x = next_in_block(it.e, it.x);
            if (it.x >= 0) {
                const u64 t = cofacet_index(it.e.u, it.e.v, static_cast<u32>(it.x));
                it.head = Priority::of(it.e.mu, t);
                it.third = static_cast<u32>(it.x);
                return true;
            }
            return start_merged(it);
        }
        return next_merged(it);
    }

    // The working column of a reduction is the coboundary of a cochain c: the column's own edge
    // and the edges of the columns added to it (Z/2), kept as one bit per edge. Whether a
    // cofacet is in the column is then known on the spot: the triangle uvx iff an odd number of
    // uv, ux, vx are in c, the cone triangle *uv iff uv is. So an iterator steps over the
    // cofacets that are not in the column when it reaches them, without touching the heap, and
    // the heap only sees candidates, which are checked again when they come up. On the hard
    // pairs most cofacets have two facets in c (the cocycles are cuts), so most are never
    // pushed. Nothing in the column is missed: a cofacet's membership changes only when one of
    // its facets enters or leaves c. An edge entering c gets an iterator from the current pivot
    // on; when an edge leaves c, the iterators of the edges that share a vertex with it (the
    // other facets of its cofacets) restart from the current pivot (remove_edges).
    bool member(u32 edge) const { return (member_[edge >> 6] >> (edge & 63)) & 1; }
    void set_member(u32 edge, bool on) {
        const u64 bit = u64(1) << (edge & 63);
        member_[edge >> 6] = on ? (member_[edge >> 6] | bit) : (member_[edge >> 6] & ~bit);
    }
    static u32 pair_index(u32 a, u32 b) { return a < b ? edge_index(a, b) : edge_index(b, a); }

    // The two other facets of the current cofacet of it (a triangle of K) as edge indices.
    static std::pair<u32, u32> other_facets(const ColIter& it) {
        return {pair_index(it.e.u, it.third), pair_index(it.e.v, it.third)};
    }
    bool is_cone(const ColIter& it) const { return it.third == static_cast<u32>(n_); }

    bool in_column(const ColIter& it) const {  // the iterator's edge is in c
        if (is_cone(it)) return true;
        const auto [ux, vx] = other_facets(it);
        return member(ux) == member(vx);
    }

    // Next cofacet that is in the column; false when the coboundary is exhausted.
    bool advance_in_column(ColIter& it) {
        while (advance(it))
            if (in_column(it)) return true;
        return false;
    }

    // Start an iterator over the cofacets of e (an edge of c) that come after p in the
    // filtration, at the first that is in the column. Cofacets of a larger value than e's are
    // reached by binary searches in the neighbour lists instead of being read one by one.
    void start_after(Work& work, const Edge& e, Priority p) {
        ColIter it;
        it.e = e;
        bool live;
        if (p.value() <= e.mu) {
            it.iu = it.iv = 0;
            it.cone = false;
            it.x = next_in_block(e, n_);
            if (it.x >= 0) {
                it.head = Priority::of(e.mu, cofacet_index(e.u, e.v, static_cast<u32>(it.x)));
                it.third = static_cast<u32>(it.x);
                live = true;
            } else {
                live = start_merged(it);
            }
        } else {
            it.x = -1;
            it.iu = first_above(e.u, p.value(), true);
            it.iv = first_above(e.v, p.value(), true);
            it.cone = e.w <= alpha_ &&
                      p < Priority::of(e.w, tri_index(e.u, e.v, static_cast<u64>(n_)));
            live = next_merged(it);
        }
        while (live && (!(p < it.head) || !in_column(it))) live = advance(it);
        if (!live) return;
        work.push(it);
    }

    // Add edges to c (each toggles: a stored column's edges, or the one edge of an apparent
    // pair) and their cofacets after p to the working column.
    void add_edges(Work& work, const std::vector<u32>& edges, Priority p) {
        removed_.clear();
        for (const u32 j : edges) {
            work.comb.push_back(j);
            set_member(j, !member(j));
            if (!member(j)) removed_.push_back(j);
        }
        if (!removed_.empty()) {
            remove_edges(work, p);  // restarts the new edges too
            return;
        }
        for (const u32 j : edges) start_after(work, edge(j), p);
    }

    // After the edges in removed_ left c: stop their iterators, and restart from just after p
    // those of the edges of c that share a vertex with one of them: the cofacets of a removed
    // edge changed membership, and these iterators may have stepped over them, or even
    // finished. Edges of c without an iterator (just added) are started.
    void remove_edges(Work& work, Priority p) {
        removals_ += static_cast<i64>(removed_.size());
        for (const u32 j : removed_) {
            const auto [u, v] = edge_vertices(j);
            touched_[u] = touched_[v] = 1;
        }
        const auto touches = [&](u32 j) {
            const auto [u, v] = edge_vertices(j);
            return touched_[u] || touched_[v];
        };
        // edges of c keep their iterator (live or finished) unless they touch
        for (ColIter& it : work.iters) {
            if (it.state == ColIter::kStopped) continue;
            const u32 j = edge_index(it.e.u, it.e.v);
            if (!member(j) || touched_[it.e.u] || touched_[it.e.v])
                it.state = ColIter::kStopped;
            else
                kept_.push_back(j);
        }
        std::sort(kept_.begin(), kept_.end());
        restart_.clear();
        const auto needs_start = [&](u32 j) {
            return member(j) && (touches(j) || !std::binary_search(kept_.begin(), kept_.end(), j));
        };
        if (needs_start(work.self)) restart_.push_back(work.self);
        for (const u32 j : work.comb)
            if (needs_start(j)) restart_.push_back(j);
        kept_.clear();
        for (const u32 j : removed_) {
            const auto [u, v] = edge_vertices(j);
            touched_[u] = touched_[v] = 0;
        }
        std::sort(restart_.begin(), restart_.end());
        restart_.erase(std::unique(restart_.begin(), restart_.end()), restart_.end());
        for (const u32 j : restart_) start_after(work, edge(j), p);
    }

    // Removes and returns the pivot: the earliest cofacet in the column.
    bool pop_pivot(Work& work, Priority& out) {
        std::vector<HeapEntry>& h = work.heap;
        while (!h.empty()) {
            ColIter& top = work.iters[h.front().slot];
            if (top.state == ColIter::kStopped) {
                drop_top(h);
                continue;
            }
            ++visited_;
            const bool pivot = in_column(top);  // c may have changed since it was pushed
            const Priority head = top.head;
            if (advance_in_column(top)) {
                h.front().head = top.head;
                sift_down(h);
            } else {
                top.state = ColIter::kDone;
                drop_top(h);
            }
            if (pivot) {
                out = head;
                return true;
            }
        }
        return false;
    }

    static void drop_top(std::vector<HeapEntry>& h) {
        h.front() = h.back();
        h.pop_back();
        sift_down(h);
    }

    // Restore the heap after its top changed: one pass instead of pop_heap + push_heap.
    static void sift_down(std::vector<HeapEntry>& h) {
        const std::size_t size = h.size();
        if (size < 2) return;
        const HeapEntry moving = h.front();
        std::size_t i = 0;
        for (;;) {
            std::size_t child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && h[child + 1].head < h[child].head) ++child;
            if (!(h[child].head < moving.head)) break;
            h[i] = h[child];
            i = child;
        }
        h[i] = moving;
    }

    void reduce_column(const Edge& e, Work& work, PivotMap& pivots, ReducedColumns& reduced,
                       std::vector<Bar>& bars, Stats& stats, Ticker& ticker, std::size_t done) {
        work.clear();
        const u32 self = work.self = edge_index(e.u, e.v);
        set_member(self, true);
        start_after(work, e, Priority{});  // Priority{}: before everything
        Priority pivot;
        for (;;) {
            ticker.tick(static_cast<i64>(done));  // one hard column can take seconds
            if (!pop_pivot(work, pivot)) {
                ++stats.essential;
                break;
            }
            const u64 t = pivot.index();
            const u32 c = pivots.find(t);
            if (c == kNone) {
                // apparent pair (sigma, t)? Only a triangle of K with the value of sigma.
                if ((t >> 42) != static_cast<u64>(n_)) {
                    const auto [x, sigma] = latest_facet(t);
                    const Edge s = edge(sigma);
                    if (s.w != s.mu && s.mu == pivot.value() && next_in_block(s, n_) == x) {
                        ++stats.additions;
                        scratch_.assign(1, sigma);
                        add_edges(work, scratch_, pivot);
                        continue;
                    }
                }
                const float death = pivot.value();
                if (death > e.mu) bars.push_back(make_bar(e, t, death));
                pivots.insert(t, reduced.store(self, work.comb));
                break;
            }
            ++stats.additions;
            // The stored column's coboundary has nothing up to its pivot but the pivot itself,
            // which cancels with ours.
            const ReducedColumns::Col col = reduced.cols[c];
            scratch_.assign(1, col.self);
            scratch_.insert(scratch_.end(), reduced.pool.begin() + col.offset,
                            reduced.pool.begin() + col.offset + col.length);
            add_edges(work, scratch_, pivot);
        }
        set_member(self, false);
        for (const u32 j : work.comb) set_member(j, false);
    }

    Bar make_bar(const Edge& e, u64 t, float death) const {
        Bar b;
        b.birth = e.mu;
        b.death = death;
        b.edge[0] = n_ + static_cast<i64>(e.u);
        b.edge[1] = n_ + static_cast<i64>(e.v);
        const i64 a = static_cast<i64>(t & kVertexMask);
        const i64 bb = static_cast<i64>((t >> 21) & kVertexMask);
        const i64 c = static_cast<i64>(t >> 42);
        if (c == n_) {  // cone triangle *ab at w_ab: the entry (a, N + b) of the doubled matrix
            b.edge[2] = a;
            b.edge[3] = n_ + bb;
        } else {  // triangle abc of K: its latest facet (largest mu; ties: smallest index)
            const auto [x, sigma] = latest_facet(t);
            (void)x;
            const Edge s = edge(sigma);
            b.edge[2] = n_ + static_cast<i64>(s.u);
            b.edge[3] = n_ + static_cast<i64>(s.v);
        }
        return b;
    }

    int n_;
    float alpha_ = 0.0f;
    const float* mu_ = nullptr;    // n x n, full rows: mu_store_ or the caller's float32 matrix
    std::vector<float> mu_store_;
    std::vector<float> w_;      // compressed lower triangle, by edge index
    std::vector<u64> order_;    // the columns, in processing order
    std::vector<u32> nbr_;      // neighbour lists, n - 1 per vertex (built on demand)
    std::vector<char> nbr_ready_;
    std::vector<u64> sort_buf_;
    i64 trivial_ = 0;
    i64 visited_ = 0;
    i64 removals_ = 0;  // edges that left a working cochain
    std::vector<u32> removed_, restart_, kept_;
    std::vector<char> touched_;  // endpoints of the removed edges, by vertex
    std::vector<u64> member_;   // the working column's cochain, a bit per edge
    std::vector<u32> scratch_;
  // entries popped off the working column (coboundary entries read)
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
