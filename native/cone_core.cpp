// Shared structures of the cone engine (see cone_core.hpp).
#include "cone_core.hpp"

#include <algorithm>
#include <limits>

namespace rtdcone {
namespace detail {

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

}  // namespace detail
}  // namespace rtdcone
