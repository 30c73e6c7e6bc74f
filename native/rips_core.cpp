// The dimension-1 core of both native engines (see rips_core.hpp): shared structures and the one
// H1 reducer, H1Reducer, instantiated for the cone over L (cone engine) and plain Rips(mu)
// (score engine).
#include "rips_core.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

namespace rtdcore {

PivotMap::PivotMap(std::size_t expected) {
    std::size_t cap = 16;
    while (cap * 5 < expected * 8) cap <<= 1;  // load factor <= 0.625
    slots_.assign(cap, Slot{0, 0});
    mask_ = cap - 1;
    shift_ = 64;
    for (std::size_t c = cap; c > 1; c >>= 1) --shift_;
}

void PivotMap::insert(u64 key, u32 value) {
    assert(key != 0 && find(key) == kNone);
    if ((size_ + 1) * 8 > slots_.size() * 5) grow();
    place(key, value);
    ++size_;
}

void PivotMap::place(u64 key, u32 value) {
    std::size_t i = slot_of(key);
    while (slots_[i].key != 0) i = (i + 1) & mask_;
    slots_[i] = Slot{key, value};
}

void PivotMap::grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(old.size() * 2, Slot{0, 0});
    mask_ = slots_.size() - 1;
    --shift_;
    for (const Slot& s : old)
        if (s.key != 0) place(s.key, s.value);
}

u32 ReducedColumns::store(u32 self, std::vector<u32>& comb) {
    std::sort(comb.begin(), comb.end());
    assert(pool.size() + comb.size() < kNone && cols.size() + 1 < kNone);
    const u32 offset = static_cast<u32>(pool.size());
    for (std::size_t i = 0; i < comb.size();) {
        std::size_t j = i;
        while (j < comb.size() && comb[j] == comb[i]) ++j;
        if ((j - i) & 1) pool.push_back(comb[i]);
        i = j;
    }
    cols.push_back(Col{self, offset, static_cast<u32>(pool.size() - offset)});
    return static_cast<u32>(cols.size() - 1);
}

template <typename T>
float enclosing_radius(const T* w, int n) {
    double best = std::numeric_limits<double>::infinity();
    for (int i = 0; i < n; ++i) {
        const T* row = w + static_cast<std::size_t>(i) * n;
        double m = 0.0;
        for (int j = 0; j < n; ++j) m = std::max(m, static_cast<double>(row[j]));
        best = std::min(best, m);
    }
    // rounding to float32 is monotone, so this equals min_i max_j float(w_ij)
    return n > 0 ? static_cast<float>(best) : 0.0f;
}
template float enclosing_radius(const double*, int);
template float enclosing_radius(const float*, int);

template <typename T>
std::vector<float> full_rows_f32(const T* m, int n) {
    std::vector<float> out(static_cast<std::size_t>(n) * n, 0.0f);
    for (int i = 0; i < n; ++i) {
        for (int j = i + 1; j < n; ++j) {
            const float v = static_cast<float>(m[static_cast<std::size_t>(i) * n + j]) + 0.0f;
            out[static_cast<std::size_t>(i) * n + j] = v;
            out[static_cast<std::size_t>(j) * n + i] = v;
        }
    }
    return out;
}
template std::vector<float> full_rows_f32(const double*, int);
template std::vector<float> full_rows_f32(const float*, int);

void radix_sort_by_high_bits(u64* data, u64* scratch, std::size_t len, int lo_bit, int hi_bit) {
    assert(lo_bit % 8 == 0 && hi_bit % 8 == 0 && lo_bit < hi_bit && hi_bit <= 64);
    if (len == 0) return;
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

std::pair<u32, u32> edge_vertices(u32 index) {
    // invert index = v(v-1)/2 + u
    u32 v = static_cast<u32>((1.0 + std::sqrt(1.0 + 8.0 * index)) / 2.0);
    while (static_cast<u64>(v) * (v - 1) / 2 > index) --v;
    while (static_cast<u64>(v + 1) * v / 2 <= index) ++v;
    return {index - edge_index(0, v), v};
}

void sort_bucket(std::vector<u64>& order, const std::vector<std::size_t>& start, std::size_t k,
                 std::vector<u64>& tmp) {
    const std::size_t len = start[k + 1] - start[k];
    if (len < 2) return;
    if (tmp.size() < len) tmp.resize(len);
    radix_sort_by_high_bits(order.data() + start[k], tmp.data(), len, 32, 48);
}

bool EdgesInOrder::next(u64& record) {
    if (pos_ == 0) return false;
    --pos_;
    const bool first = bucket_ == 65536;
    if (first) bucket_ = 65535;
    if (first || pos_ < start_[bucket_]) {
        // entering the next bucket towards smaller values (larger ~bits): the last bucket that
        // starts at or before pos_; sort it
        while (start_[bucket_] > pos_) --bucket_;
        sort_bucket(order_, start_, bucket_, tmp_);
    }
    record = order_[pos_];
    return true;
}

std::vector<u32> ReducedColumns::cocycle(u32 position) const {
    const Col& c = cols[position];
    std::vector<u32> out(1, c.self);
    out.insert(out.end(), pool.begin() + c.offset, pool.begin() + c.offset + c.length);
    return out;
}

int highest_bit(u64 word) {
    assert(word != 0);
    int bit = 0;
    for (int step = 32; step > 0; step >>= 1)
        if (word >> step) {
            word >>= step;
            bit += step;
        }
    return bit;
}

// ---- the H1 reducer ---------------------------------------------------------------------------
//
// Columns: edges uv, in reverse filtration order, given by the caller. Coboundary of uv: the
// triangles uvx of Rips(mu) at max(mu_uv, mu_ux, mu_vx) and, for the cone over L, the cone
// triangle *uv at w_uv; all truncated at the threshold.
//
// Apparent pairs (sigma, tau): tau is the earliest cofacet of sigma and sigma the latest facet
// of tau. They are persistence pairs whatever the order of the reduction, and no other column
// can end with pivot tau, so they are not stored: a pivot that misses the hash map is tested
// for being apparent on the spot (three mu look-ups and one row scan, which also starts the
// lazy enumeration of sigma's coboundary). The hash map holds only the reduced columns.
template <typename Faces>
struct H1Reducer<Faces>::State {
    static constexpr bool kCone = Faces::kConeTriangles;

    struct Edge {
        float mu;
        float w;  // value of the cone triangle *uv (+inf without cone triangles)
        u32 u;
        u32 v;
    };

    // Lazy coboundary of an added column j = uv, enumerated in filtration order:
    //  phase 0: its block, the cofacets uvx of value exactly mu_j (mu_ux, mu_vx <= mu_j), which
    //           come in decreasing x (= decreasing index), found by a scan of rows u and v;
    //  phase 1: the rest, value > mu_j: a merge of the neighbour lists of u and v (each sorted
    //           by mu, then by decreasing x) from the first value above mu_j; a vertex x is
    //           emitted where it is met the second time, i.e. at max(mu_ux, mu_vx), so the
    //           merge yields the cofacets in filtration order; the cone triangle *uv (largest
    //           index) is slotted in at w_uv, or comes before phase 0 when w_uv = mu_uv (an
    //           edge of L, which only a cut brings in). Each step is O(1): nothing is scanned
    //           or sorted, and only the part of a coboundary up to the pivot is ever read.
    struct ColIter {
        Priority head;  // priority of the current cofacet
        Edge e;
        int x;      // phase 0: third vertex of the current cofacet; -1 in phase 1
        u32 iu;     // phase 1: positions in the neighbour lists of u and v
        u32 iv;
        bool cone;  // phase 1: the cone triangle *uv is still to come
        u32 third;  // the current cofacet's vertex other than u and v (n for the cone triangle)
        enum Status : unsigned char { kLive, kDone, kStopped } status;  // kDone: exhausted
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
        std::vector<u32> cuts;        // deferred columns added (their edges are in comb too)
        std::size_t stopped = 0;      // iterators in iters whose status is kStopped
        void clear() {
            heap.clear();
            iters.clear();
            comb.clear();
            cuts.clear();
            stopped = 0;
        }
        void push(ColIter it) {
            it.status = ColIter::kLive;
            heap.push_back(HeapEntry{it.head, static_cast<u32>(iters.size())});
            iters.push_back(it);
            std::push_heap(heap.begin(), heap.end(), later);
        }
        static bool later(const HeapEntry& a, const HeapEntry& b) { return a.head > b.head; }
        std::size_t bytes() const {
            return heap.capacity() * sizeof(HeapEntry) + iters.capacity() * sizeof(ColIter) +
                   (comb.capacity() + cuts.capacity()) * sizeof(u32);
        }
    };

    State(const float* mu, int n, float threshold, const float* cone)
        : n_(n), alpha_(threshold), mu_(mu), cone_(cone), pivots_(1024) {
        assert(n >= 2 && n <= kMaxPoints && (cone != nullptr) == kCone);
        // not zeroed: a list is written in full when it is first needed (most never are on
        // easy pairs), and zeroing n(n-1) entries would cost as much as a pass over mu
        nbr_.reset(new u32[static_cast<std::size_t>(n) * (n - 1)]);
        nbr_ready_.assign(n, 0);
        member_.assign((static_cast<std::size_t>(n) * (n - 1) / 2 + 63) / 64, 0);
        kept_bits_.assign(member_.size(), 0);
        touched_.assign(n, 0);
    }

    float mu(u32 a, u32 b) const { return mu_[static_cast<std::size_t>(a) * n_ + b]; }
    float cone_value(u32 index) const {
        if constexpr (kCone) return cone_[index];
        return std::numeric_limits<float>::infinity();
    }
    Edge edge(u32 index) const {
        const auto [u, v] = edge_vertices(index);
        return Edge{mu(u, v), cone_value(index), u, v};
    }

    std::pair<u32, u32> latest_facet(u64 t) const {
        const u32 a = static_cast<u32>(t & kVertexMask);
        const u32 b = static_cast<u32>((t >> kVertexBits) & kVertexMask);
        const u32 c = static_cast<u32>(t >> (2 * kVertexBits));
        const float ab = mu(a, b), ac = mu(a, c), bc = mu(b, c);
        const float top = std::max(ab, std::max(ac, bc));
        if (ab == top) return {c, edge_index(a, b)};
        if (ac == top) return {b, edge_index(a, c)};
        return {a, edge_index(b, c)};
    }

    bool apparent_at_start(const Edge& e) const {
        const int x = next_in_block(e, n_);
        if (x < 0) return false;
        // apparent pair (e, t) if e is also the latest facet of t; the usual case is that e is
        // its only facet of that value (the rows are in cache already)
        const bool unique =
            mu(e.u, static_cast<u32>(x)) < e.mu && mu(e.v, static_cast<u32>(x)) < e.mu;
        return unique || latest_facet(cofacet_index(e.u, e.v, static_cast<u32>(x))).second ==
                             edge_index(e.u, e.v);
    }

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

    Priority cone_priority(const Edge& e) const {
        return Priority::of(e.w, tri_index(e.u, e.v, static_cast<u64>(n_)));
    }

    // Next cofacet of phase 1; false when the coboundary (up to the threshold) is exhausted.
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
            if (kCone && it.cone && e.w <= val) {  // *uv has the largest index: first among equals
                it.cone = false;
                it.head = cone_priority(e);
                it.third = static_cast<u32>(n_);
                return true;
            }
            // Both lists exhausted (val == inf) ends the coboundary whatever the threshold is:
            // the merge below must never read past a list.
            if (val > alpha_ || (it.iu == len && it.iv == len)) return false;
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
        it.cone = kCone && it.e.w <= alpha_ && it.e.w > it.e.mu;  // else it came first
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
    static bool bit(const std::vector<u64>& bits, u32 edge) {
        return (bits[edge >> 6] >> (edge & 63)) & 1;
    }
    static void set_bit(std::vector<u64>& bits, u32 edge, bool on) {
        const u64 mask = u64(1) << (edge & 63);
        bits[edge >> 6] = on ? (bits[edge >> 6] | mask) : (bits[edge >> 6] & ~mask);
    }
    bool member(u32 edge) const { return bit(member_, edge); }
    void set_member(u32 edge, bool on) { set_bit(member_, edge, on); }

    bool in_column(const ColIter& it) const {  // the iterator's cofacet is in the column
        if (kCone && it.third == static_cast<u32>(n_)) return true;  // the cone triangle
        return member(pair_index(it.e.u, it.third)) == member(pair_index(it.e.v, it.third));
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
    void start_after(const Edge& e, Priority p) {
        ColIter it;
        it.e = e;
        bool live;
        if (p.value() <= e.mu) {
            it.iu = it.iv = 0;
            it.cone = false;
            if (kCone && e.w == e.mu && e.w <= alpha_) {
                // an edge of L (a cut holds them): its cone triangle, of the largest index,
                // comes first in its block; advance() goes on with the block from the top
                it.x = n_;
                it.head = cone_priority(e);
                it.third = static_cast<u32>(n_);
                live = true;
            } else if ((it.x = next_in_block(e, n_)) >= 0) {
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
            it.cone = kCone && e.w <= alpha_ && p < cone_priority(e);
            live = next_merged(it);
        }
        while (live && (!(p < it.head) || !in_column(it))) live = advance(it);
        if (!live) return;
        work_.push(it);
    }

    // Add edges to c (each toggles: a stored column's edges, or the one edge of an apparent
    // pair) and their cofacets after p to the working column.
    void add_edges(const std::vector<u32>& edges, Priority p) {
        removed_.clear();
        for (const u32 j : edges) {
            work_.comb.push_back(j);
            set_member(j, !member(j));
            if (!member(j)) removed_.push_back(j);
        }
        if (!removed_.empty()) {
            remove_edges(p);  // restarts the new edges too
            return;
        }
        for (const u32 j : edges) start_after(edge(j), p);
    }

    // After the edges in removed_ left c: stop their iterators, and restart from just after p
    // those of the edges of c that share a vertex with one of them: the cofacets of a removed
    // edge changed membership, and these iterators may have stepped over them, or even
    // finished. Edges of c without an iterator (just added) are started.
    void remove_edges(Priority p) {
        counters_.removals += static_cast<i64>(removed_.size());
        for (const u32 j : removed_) {
            const auto [u, v] = edge_vertices(j);
            touched_[u] = touched_[v] = 1;
        }
        const auto touches = [&](u32 j) {
            const auto [u, v] = edge_vertices(j);
            return touched_[u] || touched_[v];
        };
        // edges of c keep their iterator (live or finished) unless they touch
        for (ColIter& it : work_.iters) {
            if (it.status == ColIter::kStopped) continue;
            const u32 j = edge_index(it.e.u, it.e.v);
            if (!member(j) || touched_[it.e.u] || touched_[it.e.v]) {
                it.status = ColIter::kStopped;
                ++work_.stopped;
            } else {
                kept_.push_back(j);
                set_bit(kept_bits_, j, true);
            }
        }
        restart_.clear();
        const auto needs_start = [&](u32 j) {
            return member(j) && (touches(j) || !bit(kept_bits_, j));
        };
        if (needs_start(work_.self)) restart_.push_back(work_.self);
        for (const u32 j : work_.comb)
            if (needs_start(j)) restart_.push_back(j);
        for (const u32 j : kept_) set_bit(kept_bits_, j, false);
        kept_.clear();
        if (2 * work_.stopped > work_.iters.size()) drop_stopped();
        for (const u32 j : removed_) {
            const auto [u, v] = edge_vertices(j);
            touched_[u] = touched_[v] = 0;
        }
        std::sort(restart_.begin(), restart_.end());
        restart_.erase(std::unique(restart_.begin(), restart_.end()), restart_.end());
        for (const u32 j : restart_) start_after(edge(j), p);
    }

    // Forgets the stopped iterators: a long reduction stops (and restarts) many, which would
    // otherwise stay in memory, and in the scans of remove_edges, until the column is done.
    void drop_stopped() {
        std::vector<ColIter>& iters = work_.iters;
        std::size_t kept = 0;
        for (const ColIter& it : iters)
            if (it.status != ColIter::kStopped) iters[kept++] = it;
        iters.resize(kept);
        work_.heap.clear();
        for (std::size_t slot = 0; slot < kept; ++slot)
            if (iters[slot].status == ColIter::kLive)
                work_.heap.push_back(HeapEntry{iters[slot].head, static_cast<u32>(slot)});
        std::make_heap(work_.heap.begin(), work_.heap.end(), Work::later);
        work_.stopped = 0;
    }

    // Removes and returns the pivot: the earliest cofacet in the column.
    bool pop_pivot(Priority& out) {
        std::vector<HeapEntry>& h = work_.heap;
        while (!h.empty()) {
            ColIter& top = work_.iters[h.front().slot];
            if (top.status == ColIter::kStopped) {
                drop_top(h);
                continue;
            }
            ++counters_.visited;
            const bool pivot = in_column(top);  // c may have changed since it was pushed
            const Priority head = top.head;
            if (advance_in_column(top)) {
                h.front().head = top.head;
                sift_down(h);
            } else {
                top.status = ColIter::kDone;
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

    // The edge sigma paired with the triangle t if (sigma, t) is an apparent pair (sigma a
    // column of the same value whose earliest cofacet is t), else kNone.
    u32 apparent_partner(Priority pivot) const {
        const u64 t = pivot.index();
        if (kCone && (t >> (2 * kVertexBits)) == static_cast<u64>(n_)) {
            // the cone triangle *ab of an edge ab of L is ab's earliest cofacet: an apparent
            // pair. Such edges are no columns, but the cuts hold them.
            const u32 ab = edge_index(static_cast<u32>(t & kVertexMask),
                                      static_cast<u32>((t >> kVertexBits) & kVertexMask));
            const Edge s = edge(ab);
            return s.w == s.mu ? ab : kNone;
        }
        const auto [x, sigma] = latest_facet(t);
        const Edge s = edge(sigma);
        // an edge of L (w == mu) is no column: its earliest cofacet is its cone triangle
        const bool column = !kCone || s.w != s.mu;
        if (column && s.mu == pivot.value() && next_in_block(s, n_) == static_cast<int>(x))
            return sigma;
        return kNone;
    }

    bool reduce(const Edge& e, Ticker& ticker, i64 done, Priority& pivot, u32& position) {
        work_.clear();
        const u32 self = work_.self = edge_index(e.u, e.v);
        set_member(self, true);
        start_after(e, Priority{});  // Priority{}: before everything
        bool dies = false;
        for (;;) {
            ticker.tick(done);  // one hard column can take seconds
            if (!pop_pivot(pivot)) break;
            const u32 c = pivots_.find(pivot.index());
            if (c == kNone) {
                const u32 sigma = apparent_partner(pivot);
                if (sigma != kNone) {
                    ++counters_.additions;
                    scratch_.assign(1, sigma);
                    add_edges(scratch_, pivot);
                    continue;
                }
                position = store(self, work_.comb, work_.cuts, pivot, false);
                dies = true;
                break;
            }
            ++counters_.additions;
            // The stored column's coboundary has nothing up to its pivot but the pivot itself,
            // which cancels with ours.
            const ReducedColumns::Col col = reduced_.cols[c];
            scratch_.assign(1, col.self);
            if (deferred_[c]) {
                write_cut(c, scratch_);
                work_.cuts.push_back(c);
            } else {
                scratch_.insert(scratch_.end(), reduced_.pool.begin() + col.offset,
                                reduced_.pool.begin() + col.offset + col.length);
                for (u32 k = 0; k < cuts_[c].length; ++k) {
                    const u32 cut = cut_pool_[cuts_[c].offset + k];
                    write_cut(cut, scratch_);
                    work_.cuts.push_back(cut);
                }
            }
            add_edges(scratch_, pivot);
        }
        set_member(self, false);
        for (const u32 j : work_.comb) set_member(j, false);
        work_bytes_ = std::max(work_bytes_, work_.bytes());
        return dies;
    }

    // Stores a column whose cochain is self + comb, comb holding the edges of the deferred
    // columns in `cuts` too: those are stored by reference (their edges cancel from comb).
    u32 store(u32 self, std::vector<u32>& comb, std::vector<u32>& cuts, Priority pivot,
              bool deferred) {
        std::sort(cuts.begin(), cuts.end());
        const u32 offset = static_cast<u32>(cut_pool_.size());
        for (std::size_t i = 0; i < cuts.size();) {
            std::size_t j = i;
            while (j < cuts.size() && cuts[j] == cuts[i]) ++j;
            if ((j - i) & 1) {
                cut_pool_.push_back(cuts[i]);
                write_cut(cuts[i], comb);
            }
            i = j;
        }
        const u32 position = reduced_.store(self, comb);
        pivots_.insert(pivot.index(), position);
        deferred_.push_back(deferred);
        cuts_.push_back(Span{offset, static_cast<u32>(cut_pool_.size() - offset)});
        return position;
    }

    // Appends the deferred column's cochain but its own edge, as the materialiser writes it.
    void write_cut(u32 position, std::vector<u32>& out) {
        ++counters_.materialised;
        const auto [u, v] = edge_vertices(reduced_.cols[position].self);
        materialise_(u, v, out);
    }

    // A deferred column is stored without its cochain (its added columns), which the caller's
    // materialiser supplies whenever a reduction adds the column.
    void defer(u32 self, Priority pivot) {
        scratch_.clear();
        cuts_scratch_.clear();
        store(self, scratch_, cuts_scratch_, pivot, true);
    }

    std::size_t bytes() const {
        const std::size_t lists = static_cast<std::size_t>(n_) * (n_ - 1);
        return pivots_.bytes() + lists * sizeof(u32) + sort_buf_.capacity() * 8 +
               reduced_.bytes() + deferred_.capacity() + cuts_.capacity() * sizeof(Span) +
               (cut_pool_.capacity() + scratch_.capacity()) * sizeof(u32) +
               2 * member_.capacity() * sizeof(u64) + work_bytes_;
    }

    int n_;
    float alpha_;
    const float* mu_;    // n x n, full rows (the caller's)
    const float* cone_;  // w by edge index (cone triangles), or nullptr
    std::unique_ptr<u32[]> nbr_;  // neighbour lists, n - 1 per vertex (built on demand)
    std::vector<char> nbr_ready_;
    std::vector<u64> sort_buf_;
    std::vector<u64> member_;  // the working column's cochain, a bit per edge
    std::vector<u64> kept_bits_;  // remove_edges: the edges whose iterator is kept (kept_)
    std::vector<char> touched_;  // endpoints of the removed edges, by vertex
    std::vector<u32> removed_, restart_, kept_, scratch_;
    Work work_;
    std::size_t work_bytes_ = 0;
    PivotMap pivots_;  // pivot triangle -> position in reduced_
    ReducedColumns reduced_;
    std::vector<char> deferred_;  // by position in reduced_: stored without its cochain
    // By position in reduced_: the deferred columns among those added (odd times), whose
    // edges the stored cochain leaves out: a cut can hold a quarter of all pairs, so it is
    // written out anew whenever it is added instead of being stored
    struct Span {
        u32 offset, length;
    };
    std::vector<Span> cuts_;
    std::vector<u32> cut_pool_, cuts_scratch_;
    Materialiser materialise_;
    ReducerCounters counters_;
};

template <typename Faces>
H1Reducer<Faces>::H1Reducer(const float* mu, int n, float threshold, const float* cone)
    : s_(new State(mu, n, threshold, cone)) {}
template <typename Faces>
H1Reducer<Faces>::~H1Reducer() {
    delete s_;
}
template <typename Faces>
bool H1Reducer<Faces>::apparent_at_start(u32 u, u32 v) const {
    return s_->apparent_at_start(s_->edge(edge_index(u, v)));
}
template <typename Faces>
bool H1Reducer<Faces>::reduce(u32 u, u32 v, Ticker& ticker, i64 done, Priority& pivot,
                              u32& position) {
    return s_->reduce(s_->edge(edge_index(u, v)), ticker, done, pivot, position);
}
template <typename Faces>
bool H1Reducer<Faces>::owns(Priority pivot) const {
    return s_->pivots_.find(pivot.index()) != kNone;
}
template <typename Faces>
void H1Reducer<Faces>::set_materialiser(Materialiser materialise) {
    s_->materialise_ = std::move(materialise);
}
template <typename Faces>
void H1Reducer<Faces>::defer(u32 u, u32 v, Priority pivot) {
    assert(s_->materialise_);
    s_->defer(edge_index(u, v), pivot);
}
template <typename Faces>
std::pair<u32, u32> H1Reducer<Faces>::latest_facet(u64 t) const {
    return s_->latest_facet(t);
}
template <typename Faces>
const ReducedColumns& H1Reducer<Faces>::reduced() const {
    return s_->reduced_;
}
template <typename Faces>
const ReducerCounters& H1Reducer<Faces>::counters() const {
    return s_->counters_;
}
template <typename Faces>
std::size_t H1Reducer<Faces>::bytes() const {
    return s_->bytes();
}

template class H1Reducer<PlainRips>;
template class H1Reducer<ConeOverL>;
}  // namespace rtdcore
