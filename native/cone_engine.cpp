// rtdkit "cone" engine: persistent cohomology with clearing over Z/2 on the mapping cone.
//
// The complex (notes/cone.md): vertices 0..n-1 and an apex * = n at 0; every simplex s of K
// (flag complex of mu) at f_mu(s); the cone edges *v at 0; and *+s for the simplices s of the
// w-side complex: L (f_w) in the dimension-1 fast path, M (max(f_mu(s), min_l max_j w_lj)) in
// the generic path used for dimensions >= 2. Its persistent (reduced) homology is the
// R-Cross-Barcode of the doubled matrix [[0, w], [w, mu]] in the dimensions noted there.
//
// Filtration order, used consistently everywhere: by value, then by dimension, then among
// simplices of equal value and dimension by *decreasing* colexicographic index (as Ripser).
// The apex is the largest vertex, so at value 0 the cone edges *v come before every edge of K:
// they form a spanning tree, all of them die in dimension 0, and clearing removes them; hence
// no finite H0 bar exists and the dimension-1 columns are exactly the edges of K.
//
// Truncation: at alpha = min_i max_j w_ij both K and L (and M) are cones on a vertex i, so the
// mapping cone is acyclic from alpha on and no bar reaches past alpha. Simplices with a value
// above alpha are never enumerated; a column left unpaired would contradict this and is counted
// in Stats::essential (the tests require 0).

#include "cone_engine.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace rtdcone {
namespace {

using u32 = std::uint32_t;
using u64 = std::uint64_t;
using i64 = std::int64_t;
using u128 = unsigned __int128;

constexpr u32 kNone = 0xFFFFFFFFu;
constexpr u32 kEmergentBit = 0x80000000u;

inline u32 float_bits(float x) {
    u32 b;
    std::memcpy(&b, &x, sizeof b);
    return b;
}
inline float bits_float(u32 b) {
    float x;
    std::memcpy(&x, &b, sizeof x);
    return x;
}

// Heap priority of a simplex: smaller = earlier in the filtration (value asc, index desc).
// Values are non-negative floats, whose bit patterns order like the values.
inline u128 make_prio(float value, u64 index) {
    return (static_cast<u128>(float_bits(value)) << 64) | static_cast<u128>(~index);
}
inline float prio_value(u128 p) { return bits_float(static_cast<u32>(p >> 64)); }
inline u64 prio_index(u128 p) { return ~static_cast<u64>(p); }

// Open-addressing hash map u64 -> u32 (key 0 is reserved for "empty").
class PivotMap {
   public:
    explicit PivotMap(std::size_t expected) {
        std::size_t cap = 16;
        while (cap * 5 < expected * 8) cap <<= 1;  // load factor <= 0.625
        slots_.assign(cap, Slot{0, 0});
        mask_ = cap - 1;
        shift_ = 64;
        for (std::size_t c = cap; c > 1; c >>= 1) --shift_;
    }
    u32 find(u64 key) const {
        std::size_t i = slot_of(key);
        for (;;) {
            const Slot& s = slots_[i];
            if (s.key == key) return s.value;
            if (s.key == 0) return kNone;
            i = (i + 1) & mask_;
        }
    }
    void insert(u64 key, u32 value) {  // key must be absent
        if ((size_ + 1) * 8 > slots_.size() * 5) grow();
        place(key, value);
        ++size_;
    }
    std::size_t bytes() const { return slots_.size() * sizeof(Slot); }

   private:
    struct Slot {
        u64 key;
        u32 value;
    };
    std::size_t slot_of(u64 key) const {
        return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_) & mask_;
    }
    void place(u64 key, u32 value) {
        std::size_t i = slot_of(key);
        while (slots_[i].key != 0) i = (i + 1) & mask_;
        slots_[i] = Slot{key, value};
    }
    void grow() {
        std::vector<Slot> old;
        old.swap(slots_);
        slots_.assign(old.size() * 2, Slot{0, 0});
        mask_ = slots_.size() - 1;
        --shift_;
        for (const Slot& s : old)
            if (s.key != 0) place(s.key, s.value);
    }
    std::vector<Slot> slots_;
    std::size_t mask_ = 0;
    int shift_ = 64;
    std::size_t size_ = 0;
};

// Working column of the reduction: a binary min-heap of priorities with Z/2 cancellation.
class WorkingColumn {
   public:
    void clear() { heap_.clear(); }
    void push(u128 p) {
        heap_.push_back(p);
        std::push_heap(heap_.begin(), heap_.end(), std::greater<u128>());
    }
    // Removes and returns the pivot (the earliest entry of odd multiplicity); false if empty.
    bool pop_pivot(u128& out) {
        while (!heap_.empty()) {
            u128 top = heap_.front();
            pop();
            if (!heap_.empty() && heap_.front() == top) {
                pop();
                continue;
            }
            out = top;
            return true;
        }
        return false;
    }
    std::size_t capacity_bytes() const { return heap_.capacity() * sizeof(u128); }

   private:
    void pop() {
        std::pop_heap(heap_.begin(), heap_.end(), std::greater<u128>());
        heap_.pop_back();
    }
    std::vector<u128> heap_;
};

// Reduction matrix of the non-trivial columns: column -> the other columns added to it.
struct ReducedColumns {
    struct Col {
        u32 self;
        u32 offset;
        u32 length;
    };
    std::vector<Col> cols;
    std::vector<u32> pool;

    u32 store(u32 self, std::vector<u32>& comb) {
        // Z/2: an index added twice cancels.
        std::sort(comb.begin(), comb.end());
        u32 offset = static_cast<u32>(pool.size());
        for (std::size_t i = 0; i < comb.size();) {
            std::size_t j = i;
            while (j < comb.size() && comb[j] == comb[i]) ++j;
            if ((j - i) & 1) pool.push_back(comb[i]);
            i = j;
        }
        cols.push_back(Col{self, offset, static_cast<u32>(pool.size() - offset)});
        return static_cast<u32>(cols.size() - 1);
    }
    std::size_t bytes() const {
        return cols.capacity() * sizeof(Col) + pool.capacity() * sizeof(u32);
    }
};

float enclosing_radius(const double* w, int n) {
    double best = std::numeric_limits<double>::infinity();
    for (int i = 0; i < n; ++i) {
        const double* row = w + static_cast<std::size_t>(i) * n;
        double m = 0.0;
        for (int j = 0; j < n; ++j) m = std::max(m, row[j]);
        best = std::min(best, m);
    }
    // rounding to float32 is monotone, so this equals min_i max_j float(w_ij)
    return n > 0 ? static_cast<float>(best) : 0.0f;
}

void check_input(const double* w, const double* mu, int n) {
    for (int i = 0; i < n; ++i) {
        const std::size_t ii = static_cast<std::size_t>(i) * n + i;
        if (w[ii] != 0.0 || mu[ii] != 0.0)
            throw std::invalid_argument("cone engine needs a zero diagonal in w and mu (entry " +
                                        std::to_string(i) + ")");
        for (int j = i + 1; j < n; ++j) {
            double a = w[static_cast<std::size_t>(i) * n + j];
            double b = mu[static_cast<std::size_t>(i) * n + j];
            if (!(b >= 0.0) || !(a >= b) || !std::isfinite(a))
                throw std::invalid_argument(
                    "cone engine needs finite w >= mu >= 0 (got w[" + std::to_string(i) + "," +
                    std::to_string(j) + "]=" + std::to_string(a) + ", mu=" + std::to_string(b) +
                    ")");
        }
    }
}

// Full symmetric float32 copy of the upper triangle of a float64 matrix.
std::vector<float> full_rows_f32(const double* m, int n) {
    std::vector<float> out(static_cast<std::size_t>(n) * n, 0.0f);
    for (int i = 0; i < n; ++i) {
        for (int j = i + 1; j < n; ++j) {
            float v = static_cast<float>(m[static_cast<std::size_t>(i) * n + j]) + 0.0f;
            out[static_cast<std::size_t>(i) * n + j] = v;
            out[static_cast<std::size_t>(j) * n + i] = v;
        }
    }
    return out;
}

// Stable LSD radix sort of data[0..len) by bits [lo_bit, hi_bit) (a multiple of 8 apart), with
// a scratch buffer of len entries; the result ends up in data.
void radix_sort_by_high_bits(u64* data, u64* scratch, std::size_t len, int lo_bit, int hi_bit) {
    u64* src = data;
    u64* dst = scratch;
    for (int shift = lo_bit; shift < hi_bit; shift += 8) {
        std::size_t count[257] = {0};
        for (std::size_t i = 0; i < len; ++i) ++count[((src[i] >> shift) & 0xFF) + 1];
        if (count[((src[0] >> shift) & 0xFF) + 1] == len) continue;  // one bucket: no-op
        for (int b = 0; b < 256; ++b) count[b + 1] += count[b];
        for (std::size_t i = 0; i < len; ++i) dst[count[(src[i] >> shift) & 0xFF]++] = src[i];
        std::swap(src, dst);
    }
    if (src != data) std::memcpy(data, src, len * sizeof(u64));
}

// ============================================================================================
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
// ============================================================================================

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
    Dim1Cone(const double* w, const double* mu, int n) : n_(n) {
        alpha_ = enclosing_radius(w, n);
        mu_ = full_rows_f32(mu, n);
        w_.resize(static_cast<std::size_t>(n) * (n - 1) / 2);
        for (int v = 1; v < n; ++v)
            for (int u = 0; u < v; ++u)
                w_[edge_index(u, v)] =
                    static_cast<float>(w[static_cast<std::size_t>(u) * n + v]) + 0.0f;
        build_order();
        nbr_.resize(static_cast<std::size_t>(n) * (n - 1));
        nbr_ready_.assign(n, 0);
    }

    void run(std::vector<Bar>& bars, Stats& stats) {
        stats.alpha = alpha_;
        stats.columns = static_cast<i64>(order_.size()) + trivial_;
        stats.trivial = trivial_;
        PivotMap pivots(1024);
        ReducedColumns reduced;
        Work work;
        std::size_t work_bytes = 0;

        for (const u64 rec : order_) {
            Edge e = edge_of_record(rec);
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
            reduce_column(e, work, pivots, reduced, bars, stats);
            work_bytes = std::max(work_bytes, work.bytes());
        }
        const std::size_t bytes = mu_.capacity() * sizeof(float) + w_.capacity() * sizeof(float) +
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
        u128 head;  // priority of the current cofacet
        Edge e;
        int x;      // phase 0: third vertex of the current cofacet; -1 in phase 1
        u32 iu;     // phase 1: positions in the neighbour lists of u and v
        u32 iv;
        bool cone;  // phase 1: the cone triangle *uv is still to come
    };

    struct Work {
        std::vector<ColIter> iters;  // heap of the iterators of the added columns
        bool has_extra = false;      // one more entry (a pivot put back)
        u128 extra = 0;
        std::vector<u32> comb;       // columns added (the reduction matrix column)
        void clear() {
            iters.clear();
            has_extra = false;
            comb.clear();
        }
        std::size_t bytes() const {
            return iters.capacity() * sizeof(ColIter) + comb.capacity() * sizeof(u32);
        }
    };

    static bool iter_later(const ColIter& a, const ColIter& b) { return a.head > b.head; }

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
            if (hits) {
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

    // First position in the list of u whose value exceeds d.
    u32 first_above(u32 u, float d) {
        const u32* list = neighbours(u);
        const float* row = &mu_[static_cast<std::size_t>(u) * n_];
        u32 lo = 0, hi = static_cast<u32>(n_ - 1);
        while (lo < hi) {
            const u32 mid = (lo + hi) / 2;
            if (row[list[mid]] <= d)
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
            if (it.cone && e.w <= val) {  // *uv has the largest index: first among equals
                it.cone = false;
                it.head = make_prio(e.w, tri_index(e.u, e.v, static_cast<u64>(n_)));
                return true;
            }
            if (val > alpha_) return false;
            // the smaller head; among equal values the larger x first
            const bool from_u = a < b || (a == b && lu[it.iu] >= lv[it.iv]);
            if (from_u) {
                const u32 x = lu[it.iu++];
                if (rv[x] <= a) {  // second meeting (or a tie: emitted from the u side)
                    it.head = make_prio(a, cofacet_index(e.u, e.v, x));
                    return true;
                }
            } else {
                const u32 x = lv[it.iv++];
                if (ru[x] < b) {
                    it.head = make_prio(b, cofacet_index(e.u, e.v, x));
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
                it.head = make_prio(it.e.mu, cofacet_index(it.e.u, it.e.v, static_cast<u32>(it.x)));
                return true;
            }
            return start_merged(it);
        }
        return next_merged(it);
    }

    // Add the coboundary of edge e to the working column; first_x: the top of its block if
    // known already (-2: not known).
    void add_column(Work& work, const Edge& e, int first_x = -2) {
        ColIter it;
        it.e = e;
        it.iu = it.iv = 0;
        it.cone = false;
        it.x = first_x == -2 ? next_in_block(e, n_) : first_x;
        if (it.x >= 0) {
            it.head = make_prio(e.mu, cofacet_index(e.u, e.v, static_cast<u32>(it.x)));
        } else if (!start_merged(it)) {
            return;
        }
        work.iters.push_back(it);
        std::push_heap(work.iters.begin(), work.iters.end(), iter_later);
    }

    // Earliest entry of the working column; false if it is empty.
    static bool peek(const Work& work, u128& out) {
        if (work.iters.empty()) {
            out = work.extra;
            return work.has_extra;
        }
        out = work.iters.front().head;
        if (work.has_extra && work.extra < out) out = work.extra;
        return true;
    }

    void pop(Work& work) {
        if (work.has_extra && (work.iters.empty() || work.extra < work.iters.front().head)) {
            work.has_extra = false;
            return;
        }
        std::vector<ColIter>& h = work.iters;
        if (!advance(h.front())) {
            h.front() = h.back();
            h.pop_back();
            if (h.empty()) return;
        }
        // sift the (new) top down: one pass instead of pop_heap + push_heap
        const std::size_t size = h.size();
        const ColIter moving = h.front();
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

    // Removes and returns the pivot: the earliest entry of odd multiplicity.
    bool pop_pivot(Work& work, u128& out) {
        u128 top, next;
        while (peek(work, top)) {
            pop(work);
            if (peek(work, next) && next == top) {
                pop(work);
                continue;
            }
            out = top;
            return true;
        }
        return false;
    }

    void reduce_column(const Edge& e, Work& work, PivotMap& pivots, ReducedColumns& reduced,
                       std::vector<Bar>& bars, Stats& stats) {
        work.clear();
        add_column(work, e);
        u128 pivot;
        for (;;) {
            if (!pop_pivot(work, pivot)) {
                ++stats.essential;
                return;
            }
            const u64 t = prio_index(pivot);
            const u32 c = pivots.find(t);
            if (c == kNone) {
                // apparent pair (sigma, t)? Only a triangle of K with the value of sigma.
                if ((t >> 42) != static_cast<u64>(n_)) {
                    const auto [x, sigma] = latest_facet(t);
                    const Edge s = edge(sigma);
                    if (s.w != s.mu && s.mu == prio_value(pivot)) {
                        const int top = next_in_block(s, n_);
                        if (top == x) {
                            ++stats.additions;
                            work.has_extra = true;
                            work.extra = pivot;
                            add_column(work, s, top);
                            work.comb.push_back(sigma);
                            continue;
                        }
                    }
                }
                const float death = prio_value(pivot);
                if (death > e.mu) bars.push_back(make_bar(e, t, death));
                pivots.insert(t, reduced.store(edge_index(e.u, e.v), work.comb));
                return;
            }
            ++stats.additions;
            // the added column holds the pivot too: put it back so that they cancel
            work.has_extra = true;
            work.extra = pivot;
            const ReducedColumns::Col col = reduced.cols[c];
            add_column(work, edge(col.self));
            work.comb.push_back(col.self);
            for (u32 k = 0; k < col.length; ++k) {
                const u32 j = reduced.pool[col.offset + k];
                add_column(work, edge(j));
                work.comb.push_back(j);
            }
        }
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
    std::vector<float> mu_;     // n x n, full rows
    std::vector<float> w_;      // compressed lower triangle, by edge index
    std::vector<u64> order_;    // the columns, in processing order
    std::vector<u32> nbr_;      // neighbour lists, n - 1 per vertex (built on demand)
    std::vector<char> nbr_ready_;
    std::vector<u64> sort_buf_;
    i64 trivial_ = 0;
};

// ============================================================================================
// Generic path (maxdim >= 2): cone over M, simplices of any dimension by colex index over the
// n + 1 vertices 0..n-1, * = n. Value of a simplex s = T (+ *):
//   no apex: f_mu(T);  apex, |T| <= 1: 0;  apex: max(f_mu(T), m(T)), m(T) = min_l max_{j in T} w_lj.
// ============================================================================================

class GenericCone {
   public:
    GenericCone(const double* w, const double* mu, int n, int maxdim)
        : n_(n), maxdim_(maxdim) {
        alpha_ = enclosing_radius(w, n);
        mu_ = full_rows_f32(mu, n);
        w_ = full_rows_f32(w, n);
        const int kmax = maxdim + 2;
        binom_.assign(static_cast<std::size_t>(n + 2) * (kmax + 1), 0);
        for (int v = 0; v <= n + 1; ++v) {
            B(v, 0) = 1;
            for (int k = 1; k <= std::min(v, kmax); ++k)
                B(v, k) = (k == v) ? 1 : B(v - 1, k - 1) + B(v - 1, k);
        }
        // h2(u, v) = m({u, v}) for the cone triangles
        h2_.assign(static_cast<std::size_t>(n) * n, 0.0f);
        std::vector<float> tmp(n);
        for (int u = 0; u < n; ++u) {
            for (int v = u + 1; v < n; ++v) {
                const float* wu = row(w_, u);
                const float* wv = row(w_, v);
                float best = std::numeric_limits<float>::infinity();
                for (int l = 0; l < n; ++l) best = std::min(best, std::max(wu[l], wv[l]));
                h2_[static_cast<std::size_t>(u) * n + v] = best;
                h2_[static_cast<std::size_t>(v) * n + u] = best;
            }
        }
    }

    void run(std::vector<std::vector<Bar>>& bars, Stats& stats) {
        stats.alpha = alpha_;
        // dimension-1 columns: edges of K up to alpha (cone edges are cleared, see top)
        std::vector<u128> columns;
        for (int v = 1; v < n_; ++v)
            for (int u = 0; u < v; ++u) {
                const float m = mu(u, v);
                if (m <= alpha_) columns.push_back(make_prio(m, B(v, 2) + u));
            }
        stats.columns = static_cast<i64>(columns.size());
        PivotMap* previous = nullptr;
        std::vector<PivotMap> maps;
        maps.reserve(maxdim_);
        for (int dim = 1; dim <= maxdim_; ++dim) {
            if (dim >= 2) {
                columns = assemble(dim, *previous);
                stats.higher_columns += static_cast<i64>(columns.size());
            }
            // reverse filtration order: value desc, index asc = priority desc
            std::sort(columns.begin(), columns.end(), std::greater<u128>());
            maps.emplace_back(columns.size());
            reduce(dim, columns, maps.back(), bars[dim], stats);
            previous = &maps.back();
        }
    }

   private:
    i64& B(int v, int k) { return binom_[static_cast<std::size_t>(v) * (maxdim_ + 3) + k]; }
    i64 Bc(int v, int k) const {
        return (k < 0 || v < k) ? 0 : binom_[static_cast<std::size_t>(v) * (maxdim_ + 3) + k];
    }
    static const float* row(const std::vector<float>& m, int i, int n) {
        return &m[static_cast<std::size_t>(i) * n];
    }
    const float* row(const std::vector<float>& m, int i) const { return row(m, i, n_); }
    float mu(int a, int b) const { return mu_[static_cast<std::size_t>(a) * n_ + b]; }
    float wv(int a, int b) const { return w_[static_cast<std::size_t>(a) * n_ + b]; }

    // vertices ascending of the simplex with `count` vertices and colex index idx
    void vertices(u64 idx, int count, int* out) const {
        int top = n_;  // largest vertex possible is n (the apex)
        for (int k = count; k >= 1; --k) {
            // largest v <= top with C(v, k) <= idx
            int lo = k - 1, hi = top;
            while (lo < hi) {
                const int mid = (lo + hi + 1) / 2;
                if (static_cast<u64>(Bc(mid, k)) <= idx)
                    lo = mid;
                else
                    hi = mid - 1;
            }
            out[k - 1] = lo;
            idx -= static_cast<u64>(Bc(lo, k));
            top = lo - 1;
        }
    }
    u64 index_of(const int* v, int count) const {
        u64 idx = 0;
        for (int i = 0; i < count; ++i) idx += static_cast<u64>(Bc(v[i], i + 1));
        return idx;
    }

    float fmu(const int* t, int count) const {
        float f = 0.0f;
        for (int i = 0; i < count; ++i)
            for (int j = i + 1; j < count; ++j) f = std::max(f, mu(t[i], t[j]));
        return f;
    }
    // m(T) = min_l max_{j in T} w_lj
    float mcone(const int* t, int count) const {
        if (count <= 1) return 0.0f;
        if (count == 2) return h2_[static_cast<std::size_t>(t[0]) * n_ + t[1]];
        float best = std::numeric_limits<float>::infinity();
        for (int l = 0; l < n_; ++l) {
            float a = 0.0f;
            for (int i = 0; i < count; ++i) a = std::max(a, wv(t[i], l));
            best = std::min(best, a);
        }
        return best;
    }
    // value of a simplex given its vertices (ascending)
    float value(const int* s, int count) const {
        if (s[count - 1] == n_) {
            if (count <= 2) return 0.0f;
            return std::max(fmu(s, count - 1), mcone(s, count - 1));
        }
        return fmu(s, count);
    }

    // Critical edge of a simplex in the doubled matrix: the entry that realises its value.
    void value_edge(const int* s, int count, float val, i64* out) const {
        const bool apex = s[count - 1] == n_;
        const int tc = apex ? count - 1 : count;
        if (!apex || fmu(s, tc) == val) {
            for (int j = tc - 1; j >= 1; --j)
                for (int i = j - 1; i >= 0; --i)
                    if (mu(s[i], s[j]) == val) {
                        out[0] = n_ + s[i];
                        out[1] = n_ + s[j];
                        return;
                    }
        }
        if (apex && tc >= 1) {
            for (int l = 0; l < n_; ++l) {
                float a = 0.0f;
                for (int i = 0; i < tc; ++i) a = std::max(a, wv(s[i], l));
                if (a == val) {
                    for (int i = 0; i < tc; ++i)
                        if (wv(s[i], l) == val) {
                            out[0] = l;
                            out[1] = n_ + s[i];
                            return;
                        }
                }
            }
        }
        out[0] = out[1] = -1;  // a value 0 cone simplex (never a bar end)
    }

    // All cofacets with value <= alpha, in decreasing index order (apex first).
    struct Cofacet {
        float value;
        u64 index;
    };
    void cofacets(u64 idx, int count, std::vector<Cofacet>& out) {
        out.clear();
        int s[8];
        vertices(idx, count, s);
        const float val = value(s, count);
        const bool apex = s[count - 1] == n_;
        // index of s + y: sum_{i<p} C(s_i, i+1) + C(y, p+1) + sum_{i>=p} C(s_i, i+2)
        int p = count;
        u64 below = idx, above = 0;
        const int tc = apex ? count - 1 : count;
        if (apex) {
            // vertex n is in s: y starts below it
            --p;
            below -= static_cast<u64>(Bc(s[p], p + 1));
            above += static_cast<u64>(Bc(s[p], p + 2));
        } else {
            // y = n: the cone over s
            const float cv = std::max(val, count >= 2 ? mcone(s, count) : 0.0f);
            if (cv <= alpha_) out.push_back(Cofacet{cv, above + static_cast<u64>(Bc(n_, p + 1)) + below});
        }
        if (apex && tc >= 1) {
            a_.assign(n_, 0.0f);
            for (int i = 0; i < tc; ++i) {
                const float* wi = row(w_, s[i]);
                for (int l = 0; l < n_; ++l) a_[l] = std::max(a_[l], wi[l]);
            }
        }
        for (int y = n_ - 1; y >= 0; --y) {
            if (p > 0 && s[p - 1] == y) {
                --p;
                below -= static_cast<u64>(Bc(s[p], p + 1));
                above += static_cast<u64>(Bc(s[p], p + 2));
                continue;
            }
            float cv = val;
            const float* my = row(mu_, y);
            for (int i = 0; i < tc; ++i) cv = std::max(cv, my[s[i]]);
            if (cv > alpha_) continue;
            if (apex) {
                const float* wy = row(w_, y);
                float best = std::numeric_limits<float>::infinity();
                for (int l = 0; l < n_; ++l) best = std::min(best, std::max(a_[l], wy[l]));
                cv = std::max(cv, best);
                if (cv > alpha_) continue;
            }
            out.push_back(Cofacet{cv, above + static_cast<u64>(Bc(y, p + 1)) + below});
        }
    }

    // all simplices of dimension dim with value <= alpha that are not pivots of dim - 1
    std::vector<u128> assemble(int dim, const PivotMap& cleared) {
        std::vector<u128> out;
        const int count = dim + 1;
        const u64 total = static_cast<u64>(Bc(n_ + 1, count));
        int s[8];
        for (u64 idx = 0; idx < total; ++idx) {
            if (cleared.find(idx + 1) != kNone) continue;
            vertices(idx, count, s);
            if (s[count - 1] == n_ && count <= 2) continue;
            const float val = value(s, count);
            if (val <= alpha_) out.push_back(make_prio(val, idx));
        }
        return out;
    }

    void push_all(WorkingColumn& work, u64 idx, int count) {
        cofacets(idx, count, buf_);
        for (const Cofacet& c : buf_) work.push(make_prio(c.value, c.index));
    }

    void reduce(int dim, const std::vector<u128>& columns, PivotMap& pivots, std::vector<Bar>& bars,
                Stats& stats) {
        const int count = dim + 1;
        ReducedColumns reduced;
        WorkingColumn work;
        std::vector<u32> comb;
        std::vector<u64> col_index(columns.size());
        for (std::size_t i = 0; i < columns.size(); ++i) col_index[i] = prio_index(columns[i]);
        // pivot map keys are cofacet index + 1 (0 is reserved)
        for (u32 i = 0; i < columns.size(); ++i) {
            const u64 idx = col_index[i];
            const float val = prio_value(columns[i]);
            cofacets(idx, count, buf_);
            // emergent pair: the first cofacet with the column's value is its pivot
            if (!buf_.empty()) {
                // earliest cofacet: smallest value, then largest index (first in buf_ order)
                const Cofacet* first = nullptr;
                for (const Cofacet& c : buf_)
                    if (c.value == val) {
                        first = &c;
                        break;
                    }
                if (first != nullptr && pivots.find(first->index + 1) == kNone) {
                    pivots.insert(first->index + 1, i | kEmergentBit);
                    ++stats.emergent;
                    continue;
                }
            }
            ++stats.reduced;
            work.clear();
            comb.clear();
            for (const Cofacet& c : buf_) work.push(make_prio(c.value, c.index));
            u128 pivot;
            for (;;) {
                if (!work.pop_pivot(pivot)) {
                    ++stats.essential;
                    break;
                }
                const u64 t = prio_index(pivot);
                const u32 c = pivots.find(t + 1);
                if (c == kNone) {
                    const float death = prio_value(pivot);
                    if (death > val) bars.push_back(make_bar(idx, count, val, t, death));
                    pivots.insert(t + 1, reduced.store(i, comb));
                    break;
                }
                ++stats.additions;
                work.push(pivot);
                if (c & kEmergentBit) {
                    const u32 j = c & ~kEmergentBit;
                    push_all(work, col_index[j], count);
                    comb.push_back(j);
                } else {
                    const ReducedColumns::Col col = reduced.cols[c];
                    push_all(work, col_index[col.self], count);
                    comb.push_back(col.self);
                    for (u32 k = 0; k < col.length; ++k) {
                        const u32 j = reduced.pool[col.offset + k];
                        push_all(work, col_index[j], count);
                        comb.push_back(j);
                    }
                }
            }
        }
    }

    Bar make_bar(u64 idx, int count, float birth, u64 t, float death) const {
        Bar b;
        b.birth = birth;
        b.death = death;
        int s[8];
        vertices(idx, count, s);
        value_edge(s, count, birth, &b.edge[0]);
        vertices(t, count + 1, s);
        value_edge(s, count + 1, death, &b.edge[2]);
        return b;
    }

    int n_;
    int maxdim_;
    float alpha_ = 0.0f;
    std::vector<float> mu_, w_, h2_;
    std::vector<i64> binom_;
    std::vector<Cofacet> buf_;
    std::vector<float> a_;
};

}  // namespace

Result compute(const double* w, const double* mu, int n, int maxdim, int n_threads) {
    (void)n_threads;  // single-threaded: see the Python docstring
    if (n < 0 || maxdim < 0) throw std::invalid_argument("cone engine: n and maxdim must be >= 0");
    if (n > 90000)  // edge indices are 32-bit; the work arrays would take > 100 GB anyway
        throw std::invalid_argument("cone engine supports at most 90000 points");
    if (maxdim > 3) throw std::invalid_argument("cone engine supports maxdim <= 3");
    check_input(w, mu, n);
    Result res;
    res.bars.resize(static_cast<std::size_t>(maxdim) + 1);
    if (maxdim == 0 || n < 2) {
        res.stats.alpha = enclosing_radius(w, n);
        return res;
    }
    if (maxdim == 1) {
        Dim1Cone engine(w, mu, n);
        engine.run(res.bars[1], res.stats);
    } else {
        GenericCone engine(w, mu, n, maxdim);
        engine.run(res.bars, res.stats);
    }
    return res;
}

}  // namespace rtdcone
