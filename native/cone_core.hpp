// Structures shared by the two reductions of the cone engine (cone_dim1.cpp, cone_generic.cpp):
// simplex priorities, the pivot hash map, the working column, the stored reduction matrix, the
// progress ticker and the conversions of the float64 input. See docs/engine.md.
#pragma once

#include <cassert>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <vector>

#include "cone_engine.hpp"

namespace rtdcone {
namespace detail {

using u32 = std::uint32_t;
using u64 = std::uint64_t;
using i64 = std::int64_t;

constexpr u32 kNone = 0xFFFFFFFFu;

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

// Reduction matrix of the reduced columns: column -> the other columns added to it (Z/2).
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

// The input matrices come as float64 or float32 (T); the engine computes in float32.

// min_i max_j float32(w_ij): from this value on the mapping cone is acyclic.
template <typename T>
float enclosing_radius(const T* w, int n);

// Full symmetric float32 copy of the upper triangle of a matrix.
template <typename T>
std::vector<float> full_rows_f32(const T* m, int n);

// Stable LSD radix sort of data[0..len) by bits [lo_bit, hi_bit) (a multiple of 8 apart), with
// a scratch buffer of len entries; the result ends up in data.
void radix_sort_by_high_bits(u64* data, u64* scratch, std::size_t len, int lo_bit, int hi_bit);

// Throws std::invalid_argument, naming the limit, for sizes the indices cannot represent.
void check_limits(int n, int maxdim);

// The two reductions. bars[d] receives the bars of dimension d.
template <typename T>
void run_dim1(const T* w, const T* mu, int n, std::vector<Bar>& bars, Stats& stats,
              const Progress& progress);
template <typename T>
void run_generic(const T* w, const T* mu, int n, int maxdim, std::vector<std::vector<Bar>>& bars,
                 Stats& stats, const Progress& progress);

}  // namespace detail
}  // namespace rtdcone
