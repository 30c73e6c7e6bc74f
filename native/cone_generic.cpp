// Dimensions >= 2 of the cone engine: persistent cohomology with clearing on the cone over M,
// simplices of any dimension by colex index. docs/engine.md gives the maths.
#include <algorithm>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>

#include "cone_internal.hpp"

namespace rtdcone {
namespace detail {
namespace {

// Generic path (maxdim >= 2): cone over M, simplices of any dimension by colex index over the
// n + 1 vertices 0..n-1, * = n. Value of a simplex s = T (+ *):
//   no apex: f_mu(T);  apex, |T| <= 1: 0;
//   apex: max(f_mu(T), m(T)) with m(T) = min_l max_{j in T} w_lj.
//
// Limits: simplex indices are colex ranks C(n+1, k) in 63 bits (checked when the binomial table
// is built) and a column's position in its dimension is stored in 31 bits, the top bit of the
// pivot map's value marking emergent pairs (checked when the columns are listed).

constexpr u32 kEmergentBit = 0x80000000u;
constexpr int kMaxVertices = kMaxDim + 2;  // vertices of a cofacet of the top dimension

// Working column of the reduction: a binary min-heap of priorities with Z/2 cancellation.
class WorkingColumn {
   public:
    void clear() { heap_.clear(); }
    void push(Priority p) {
        heap_.push_back(p);
        std::push_heap(heap_.begin(), heap_.end(), std::greater<Priority>());
    }
    // Removes and returns the pivot (the earliest entry of odd multiplicity); false if empty.
    bool pop_pivot(Priority& out, i64& visited) {
        while (!heap_.empty()) {
            const Priority top = heap_.front();
            pop();
            ++visited;
            if (!heap_.empty() && heap_.front() == top) {
                pop();
                ++visited;
                continue;
            }
            out = top;
            return true;
        }
        return false;
    }

   private:
    void pop() {
        std::pop_heap(heap_.begin(), heap_.end(), std::greater<Priority>());
        heap_.pop_back();
    }
    std::vector<Priority> heap_;
};

std::string too_large(int n, int maxdim, const std::string& what) {
    return "cone engine: maxdim=" + std::to_string(maxdim) + " on " + std::to_string(n) +
           " points exceeds " + what + "; lower maxdim or use fewer points (batch=)";
}

class GenericCone {
   public:
    template <typename T>
    GenericCone(const T* w, const T* mu, int n, int maxdim)
        : n_(n), maxdim_(maxdim) {
        alpha_ = enclosing_radius(w, n);
        mu_ = full_rows_f32(mu, n);
        w_ = full_rows_f32(w, n);
        assert(maxdim >= 2 && maxdim <= kMaxDim && n >= 2);
        const int kmax = maxdim + 2;
        binom_.assign(static_cast<std::size_t>(n + 2) * (kmax + 1), 0);
        [[maybe_unused]] constexpr i64 kMaxIndex = std::numeric_limits<i64>::max() - 1;
        for (int v = 0; v <= n + 1; ++v) {
            B(v, 0) = 1;
            for (int k = 1; k <= std::min(v, kmax); ++k) {
                const i64 a = B(v - 1, k - 1), b = (k == v) ? 0 : B(v - 1, k);
                assert(a <= kMaxIndex - b);  // check_limits() refused larger n
                B(v, k) = a + b;
            }
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

    void run(std::vector<std::vector<Bar>>& bars, Stats& stats, const Progress& progress) {
        stats.alpha = alpha_;
        // dimension-1 columns: edges of K up to alpha (cone edges are cleared, see top)
        std::vector<Priority> columns;
        for (int v = 1; v < n_; ++v)
            for (int u = 0; u < v; ++u) {
                const float m = mu(u, v);
                if (m <= alpha_) add_column(columns, Priority::of(m, B(v, 2) + u));
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
            std::sort(columns.begin(), columns.end(), std::greater<Priority>());
            maps.emplace_back(columns.size());
            reduce(dim, columns, maps.back(), bars[dim], stats, progress);
            previous = &maps.back();
        }
        stats.visited = visited_;
    }

   private:
    // Appends a column, refusing more than its 31-bit position can hold.
    void add_column(std::vector<Priority>& columns, Priority p) const {
        if (columns.size() >= kEmergentBit)
            throw std::invalid_argument(too_large(n_, maxdim_, "2^31 columns in one dimension"));
        columns.push_back(p);
    }

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

    // Critical edge of a simplex: the entry of mu or w that realises its value.
    CriticalEdge value_edge(const int* s, int count, float val) const {
        const bool apex = s[count - 1] == n_;
        const int tc = apex ? count - 1 : count;
        if (!apex || fmu(s, tc) == val) {
            for (int j = tc - 1; j >= 1; --j)
                for (int i = j - 1; i >= 0; --i)
                    if (mu(s[i], s[j]) == val) return CriticalEdge{s[i], s[j], false};
        }
        if (apex && tc >= 1) {
            for (int l = 0; l < n_; ++l) {
                float a = 0.0f;
                for (int i = 0; i < tc; ++i) a = std::max(a, wv(s[i], l));
                if (a == val) {
                    for (int i = 0; i < tc; ++i)
                        if (wv(s[i], l) == val) return CriticalEdge{l, s[i], true};
                }
            }
        }
        return CriticalEdge{-1, -1, false};  // a value 0 cone simplex (never a bar end)
    }

    // All cofacets with value <= alpha, in decreasing index order (apex first).
    struct Cofacet {
        float value;
        u64 index;
    };
    void cofacets(u64 idx, int count, std::vector<Cofacet>& out) {
        out.clear();
        int s[kMaxVertices];
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
            const u64 cone_index = above + static_cast<u64>(Bc(n_, p + 1)) + below;
            if (cv <= alpha_) out.push_back(Cofacet{cv, cone_index});
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
    std::vector<Priority> assemble(int dim, const PivotMap& cleared) {
        std::vector<Priority> out;
        const int count = dim + 1;
        const u64 total = static_cast<u64>(Bc(n_ + 1, count));
        int s[kMaxVertices];
        for (u64 idx = 0; idx < total; ++idx) {
            if (cleared.find(idx + 1) != kNone) continue;
            vertices(idx, count, s);
            if (s[count - 1] == n_ && count <= 2) continue;
            const float val = value(s, count);
            if (val <= alpha_) add_column(out, Priority::of(val, idx));
        }
        return out;
    }

    void push_all(WorkingColumn& work, u64 idx, int count) {
        cofacets(idx, count, buf_);
        for (const Cofacet& c : buf_) work.push(Priority::of(c.value, c.index));
    }

    void reduce(int dim, const std::vector<Priority>& columns, PivotMap& pivots,
                std::vector<Bar>& bars, Stats& stats, const Progress& progress) {
        const int count = dim + 1;
        assert(count + 1 <= kMaxVertices && columns.size() < kEmergentBit);
        Ticker ticker(progress, static_cast<i64>(columns.size()));
        ReducedColumns reduced;
        WorkingColumn work;
        std::vector<u32> comb;
        std::vector<u64> col_index(columns.size());
        for (std::size_t i = 0; i < columns.size(); ++i) col_index[i] = columns[i].index();
        // pivot map keys are cofacet index + 1 (0 is reserved)
        for (u32 i = 0; i < columns.size(); ++i) {
            ticker.tick(i);
            const u64 idx = col_index[i];
            const float val = columns[i].value();
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
            for (const Cofacet& c : buf_) work.push(Priority::of(c.value, c.index));
            Priority pivot;
            for (;;) {
                if (!work.pop_pivot(pivot, visited_)) {
                    ++stats.essential;
                    break;
                }
                const u64 t = pivot.index();
                const u32 c = pivots.find(t + 1);
                if (c == kNone) {
                    const float death = pivot.value();
                    if (death > val) bars.push_back(make_bar(idx, count, val, t, death));
                    pivots.insert(t + 1, reduced.store(i, comb));
                    break;
                }
                ++stats.additions;
                ticker.tick(i);
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
        ticker.finish();
    }

    Bar make_bar(u64 idx, int count, float birth, u64 t, float death) const {
        int s[kMaxVertices];
        vertices(idx, count, s);
        const CriticalEdge born = value_edge(s, count, birth);
        vertices(t, count + 1, s);
        return Bar{birth, death, born, value_edge(s, count + 1, death)};
    }

    int n_;
    int maxdim_;
    float alpha_ = 0.0f;
    std::vector<float> mu_, w_, h2_;
    std::vector<i64> binom_;
    std::vector<Cofacet> buf_;
    std::vector<float> a_;
    i64 visited_ = 0;  // entries popped off the working column (coboundary entries read)
};

}  // namespace

template <typename T>
void run_generic(const T* w, const T* mu, int n, int maxdim, std::vector<std::vector<Bar>>& bars,
                 Stats& stats, const Progress& progress) {
    GenericCone engine(w, mu, n, maxdim);
    engine.run(bars, stats, progress);
}
template void run_generic(const double*, const double*, int, int, std::vector<std::vector<Bar>>&,
                          Stats&, const Progress&);
template void run_generic(const float*, const float*, int, int, std::vector<std::vector<Bar>>&,
                          Stats&, const Progress&);

}  // namespace detail
}  // namespace rtdcone
