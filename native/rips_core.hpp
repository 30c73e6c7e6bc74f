// The dimension-1 machinery of both native engines, held once: simplex priorities in Ripser's
// filtration order, index packing, the pivot hash map, the column store that keeps cocycles,
// the progress ticker, the float32 conversions of the input, and H1Reducer, the one reduction
// of H1 (persistent cohomology with clearing) parametrised by its faces: the cone over L for
// the cone engine's barcode (cone_dim1.cpp), plain Rips(mu) for the score engine's identity
// (score_engine.cpp). See docs/engine.md and docs/score.md.
#pragma once

#include <cassert>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <utility>
#include <vector>

#include "engine_types.hpp"

namespace rtdcore {

using u32 = std::uint32_t;
using u64 = std::uint64_t;
using i64 = std::int64_t;

constexpr u32 kNone = 0xFFFFFFFFu;

// ---- index packing ----------------------------------------------------------------------------
// Edge index: colex v(v-1)/2 + u for u < v (32-bit). Triangle index: packed c << 42 | b << 21 | a
// for a < b < c, which orders like the colex index; the cone engine's apex is vertex n.
constexpr int kVertexBits = 21;
constexpr u64 kVertexMask = (u64(1) << kVertexBits) - 1;
static_assert(kMaxPoints < (1 << kVertexBits), "vertex numbers (apex n included) need 21 bits");
static_assert(static_cast<u64>(kMaxPoints) * (kMaxPoints - 1) / 2 < kNone,
              "edge indices must fit in 32 bits below the kNone marker");

inline u64 tri_index(u64 a, u64 b, u64 c) { return (c << 42) | (b << 21) | a; }
inline u64 cofacet_index(u32 u, u32 v, u32 x) {  // u < v, x not in {u, v}
    if (x > v) return tri_index(u, v, x);
    if (x > u) return tri_index(u, x, v);
    return tri_index(x, u, v);
}
inline u32 edge_index(u32 u, u32 v) {  // u < v
    return static_cast<u32>(static_cast<u64>(v) * (v - 1) / 2 + u);
}
inline u32 pair_index(u32 a, u32 b) { return a < b ? edge_index(a, b) : edge_index(b, a); }
std::pair<u32, u32> edge_vertices(u32 index);  // inverse of edge_index: (u, v), u < v

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

// Position of a simplex in the filtration: by value ascending, then by index *descending*
// (Ripser's order). Filtration values are finite non-negative floats, whose bit patterns order
// like the values, so the comparison is on integers only.
struct Priority {
    u64 bits = 0;       // float bits of the value (< 2^32)
    u64 inv_index = 0;  // ~index: a larger index comes earlier among equal values

    static Priority of(float value, u64 index) {
        assert(value >= 0.0f && value <= 3.4028235e38f);  // finite, non-negative (no -0.0)
        return Priority{float_bits(value + 0.0f), ~index};
    }
    float value() const { return bits_float(static_cast<u32>(bits)); }
    u64 index() const { return ~inv_index; }

    // Lexicographic on (bits, inv_index), computed like a two-word subtraction: the borrow of
    // the low words decides a tie of the high words (bits < 2^32, so bits + 1 cannot wrap).
    // Measured: as fast as a 128-bit integer compare, where the short-circuit form (a.bits <
    // b.bits || (a.bits == b.bits && ...)) made the dimension-1 reduction 25% slower.
    friend bool operator<(const Priority& a, const Priority& b) {
        return a.bits < b.bits + static_cast<u64>(a.inv_index < b.inv_index);
    }
    friend bool operator>(const Priority& a, const Priority& b) { return b < a; }
    friend bool operator==(const Priority& a, const Priority& b) {
        return ((a.bits ^ b.bits) | (a.inv_index ^ b.inv_index)) == 0;
    }
};

// Open-addressing hash map u64 -> u32 (key 0 is reserved for "empty").
class PivotMap {
   public:
    explicit PivotMap(std::size_t expected);
    u32 find(u64 key) const {
        assert(key != 0);
        std::size_t i = slot_of(key);
        for (;;) {
            const Slot& s = slots_[i];
            if (s.key == key) return s.value;
            if (s.key == 0) return kNone;
            i = (i + 1) & mask_;
        }
    }
    void insert(u64 key, u32 value);  // key must be absent
    std::size_t bytes() const { return slots_.size() * sizeof(Slot); }

   private:
    struct Slot {
        u64 key;
        u32 value;
    };
    std::size_t slot_of(u64 key) const {
        return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_) & mask_;
    }
    void place(u64 key, u32 value);
    void grow();
    std::vector<Slot> slots_;
    std::size_t mask_ = 0;
    int shift_ = 64;
    std::size_t size_ = 0;
};

// Reduction matrix of the reduced columns: column -> the other columns added to it (Z/2). In
// dimension 1, self plus the added columns is the column's representative cocycle.
struct ReducedColumns {
    struct Col {
        u32 self;
        u32 offset;
        u32 length;
    };
    std::vector<Col> cols;
    std::vector<u32> pool;

    // Stores `comb` (an index added twice cancels) and returns the new column's position.
    u32 store(u32 self, std::vector<u32>& comb);
    // self followed by the added columns: the cocycle of a dimension-1 column.
    std::vector<u32> cocycle(u32 position) const;
    std::size_t bytes() const {
        return cols.capacity() * sizeof(Col) + pool.capacity() * sizeof(u32);
    }
};

// Calls the Progress callback about every 0.2 s. tick() is cheap: the clock is read only every
// 256 ticks, so it may be called once per column or per column addition.
class Ticker {
   public:
    Ticker(const Progress& progress, i64 total) : progress_(progress), total_(total) {}
    void tick(i64 done) {
        if (!progress_ || (++count_ & 255) != 0) return;
        const auto now = std::chrono::steady_clock::now();
        if (now - last_ < std::chrono::milliseconds(200)) return;
        last_ = now;
        progress_(done, total_);
    }
    void finish() {
        if (progress_) progress_(total_, total_);
    }

   private:
    const Progress& progress_;
    i64 total_;
    u64 count_ = 0;
    std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// The input matrices come as float64 or float32 (T); the engines compute in float32.

// min_i max_j float32(m_ij): from this value on the Rips complex of m is a cone on vertex i.
template <typename T>
float enclosing_radius(const T* m, int n);

// Full symmetric float32 copy of the upper triangle of a matrix.
template <typename T>
std::vector<float> full_rows_f32(const T* m, int n);

// Stable LSD radix sort of data[0..len) by bits [lo_bit, hi_bit) (a multiple of 8 apart), with
// a scratch buffer of len entries; the result ends up in data.
void radix_sort_by_high_bits(u64* data, u64* scratch, std::size_t len, int lo_bit, int hi_bit);

// Index of the highest set bit of a non-zero word (portable: no compiler builtin).
int highest_bit(u64 word);

// The edges uv with mu_uv <= threshold and keep(edge index, mu_uv), as records
// ~bits(mu) << 32 | edge index, sorted ascending: value descending, then index ascending, which
// is the reverse of Ripser's filtration order (the order in which cohomology reduces columns).
template <typename Keep>
std::vector<u64> edges_in_reverse_order(const float* mu, int n, float threshold, Keep keep);

// The same records handed out in filtration order (value ascending), each bucket of equal top
// 16 bits sorted only when it is first reached: a consumer that stops early (the score
// engine's image reduction) pays for the sort of what it reads only.
class EdgesInOrder {
   public:
    template <typename Keep>
    EdgesInOrder(const float* mu, int n, float threshold, Keep keep);
    std::size_t size() const { return order_.size(); }
    bool next(u64& record);  // false when every record has been handed out

   private:
    std::vector<u64> order_;         // bucketed by top 16 bits; sorted up to the current bucket
    std::vector<std::size_t> start_;  // bucket k is order_[start_[k], start_[k + 1])
    std::size_t pos_;                // records at positions >= pos_ have been handed out
    std::size_t bucket_ = 65536;     // the bucket pos_ is in (65536: none yet)
    std::vector<u64> tmp_;
};

// Counting pass and scatter of edges_in_reverse_order: order receives the records bucketed by
// their top 16 bits (in index order within a bucket), start the 65537 bucket bounds.
template <typename Keep>
void bucket_edges(const float* mu, int n, float threshold, Keep keep, std::vector<u64>& order,
                  std::vector<std::size_t>& start);

// Sorts one bucket of bucket_edges' output by the remaining 16 value bits (stable: index order
// is kept among equal values).
void sort_bucket(std::vector<u64>& order, const std::vector<std::size_t>& start, std::size_t k,
                 std::vector<u64>& tmp);

inline u32 record_edge(u64 record) { return static_cast<u32>(record); }
inline float record_value(u64 record) { return bits_float(~static_cast<u32>(record >> 32)); }

// ---- the H1 reducer ---------------------------------------------------------------------------

// The faces of the complex whose H1 is reduced. Both have the triangles uvx of Rips(mu) at
// max(mu_uv, mu_ux, mu_vx); the cone over L (the cone engine's complex) also has, for each edge
// uv, the cone triangle *uv at w_uv, whose only facet among the columns is uv.
struct PlainRips {
    static constexpr bool kConeTriangles = false;
};
struct ConeOverL {
    static constexpr bool kConeTriangles = true;
};

struct ReducerCounters {
    i64 additions = 0;  // column additions (stored columns and apparent pairs)
    i64 visited = 0;    // coboundary entries popped by the reductions
    i64 removals = 0;   // edges that an addition removed from a working cochain
    i64 materialised = 0;  // deferred columns' cochains written out (added or cancelled)
};

// Persistent cohomology over Z/2 of dimension 1 with clearing, as Ripser: columns (edges) in
// reverse filtration order, given one by one by the caller, which clears the columns that are
// negative in dimension 0; coboundaries enumerated lazily in filtration order from the rows of
// mu, truncated at `threshold`; apparent pairs never stored; the reduced columns kept (their
// cocycles) with a hash map from pivot to column. The algorithms are described in
// docs/engine.md; rips_core.cpp has them.
template <typename Faces>
class H1Reducer {
   public:
    // mu: n x n float32 full rows, symmetric, read in place (it must outlive the reducer);
    // cone: w by edge index (the cone triangles' values), ConeOverL only, else nullptr.
    H1Reducer(const float* mu, int n, float threshold, const float* cone);
    ~H1Reducer();
    H1Reducer(const H1Reducer&) = delete;
    H1Reducer& operator=(const H1Reducer&) = delete;

    // Whether the column uv (u < v, mu_uv <= threshold) forms an apparent pair with its
    // earliest cofacet of its own value: then it is paired (with a bar of length 0) at once.
    bool apparent_at_start(u32 u, u32 v) const;

    // Reduces the column uv (u < v); returns true with its pivot (the triangle that kills it)
    // and its position in reduced(), or false if the column is essential (no pivot up to the
    // threshold). ticker.tick(done) is called at every column addition.
    bool reduce(u32 u, u32 v, Ticker& ticker, i64 done, Priority& pivot, u32& position);

    // Whether a column given so far has the pivot `pivot`, among the reduced and deferred ones
    // (not the apparent pairs: the caller knows which of those can end at a triangle).
    bool owns(Priority pivot) const;

    // Appends to `cochain` the edges other than uv of a cochain for the deferred column uv
    // (u < v): uv plus edges given before uv, whose coboundary has nothing before the column's
    // pivot but the pivot itself. It must write the same edges each time.
    using Materialiser = std::function<void(u32 u, u32 v, std::vector<u32>& cochain)>;

    void set_materialiser(Materialiser materialise);

    // Pairs the column uv (u < v) with `pivot` without reducing it: the caller knows its pivot
    // and can produce a cochain for it (docs/engine.md: the cuts). The cochain is asked of the
    // materialiser, never stored, whenever a reduction adds the column (or a column that
    // added it).
    void defer(u32 u, u32 v, Priority pivot);

    // The latest facet of a triangle t of Rips(mu) (largest mu; ties: smallest colex index,
    // which comes latest in the filtration) as (third vertex, edge index).
    std::pair<u32, u32> latest_facet(u64 t) const;
    const ReducedColumns& reduced() const;
    const ReducerCounters& counters() const;
    std::size_t bytes() const;  // the reducer's own arrays

   private:
    struct State;
    State* s_;  // the working state (rips_core.cpp), kept out of this header
};

extern template class H1Reducer<PlainRips>;
extern template class H1Reducer<ConeOverL>;

// ---- template definitions ---------------------------------------------------------------------

template <typename Keep>
void bucket_edges(const float* mu, int n, float threshold, Keep keep, std::vector<u64>& order,
                  std::vector<std::size_t>& start) {
    const auto record = [](u32 e, float m) { return (static_cast<u64>(~float_bits(m)) << 32) | e; };
    start.assign(65537, 0);
    for (int v = 1; v < n; ++v)
        for (int u = 0; u < v; ++u) {
            const float m = mu[static_cast<std::size_t>(u) * n + v];
            const u32 e = edge_index(static_cast<u32>(u), static_cast<u32>(v));
            if (m <= threshold && keep(e, m)) ++start[(record(e, m) >> 48) + 1];
        }
    for (std::size_t k = 0; k < 65536; ++k) start[k + 1] += start[k];
    order.resize(start[65536]);
    std::vector<std::size_t> fill(start.begin(), start.end() - 1);
    for (int v = 1; v < n; ++v)
        for (int u = 0; u < v; ++u) {
            const float m = mu[static_cast<std::size_t>(u) * n + v];
            const u32 e = edge_index(static_cast<u32>(u), static_cast<u32>(v));
            if (m <= threshold && keep(e, m)) {
                const u64 r = record(e, m);
                order[fill[r >> 48]++] = r;
            }
        }
}

template <typename Keep>
std::vector<u64> edges_in_reverse_order(const float* mu, int n, float threshold, Keep keep) {
    std::vector<u64> order, tmp;
    std::vector<std::size_t> start;
    bucket_edges(mu, n, threshold, keep, order, start);
    for (std::size_t k = 0; k < 65536; ++k) sort_bucket(order, start, k, tmp);
    return order;
}

template <typename Keep>
EdgesInOrder::EdgesInOrder(const float* mu, int n, float threshold, Keep keep) {
    bucket_edges(mu, n, threshold, keep, order_, start_);
    pos_ = order_.size();
}

}  // namespace rtdcore
