// The yardstick of the C++ tests: a brute-force persistence computation that shares nothing
// with the engines. Every simplex of the Vietoris-Rips filtration of a float32 matrix is
// listed, sorted, and the boundary matrix reduced by the textbook algorithm over Z/2. Tiny
// sizes only.
#pragma once

#include <algorithm>
#include <functional>
#include <iterator>
#include <stdexcept>
#include <utility>
#include <vector>

using Bars = std::vector<std::pair<float, float>>;

struct Simplex {
    float value;
    std::vector<int> vertices;
};

// Finite bars (death > birth) in dimensions 0..maxdim of the Rips filtration of d (m x m).
inline std::vector<Bars> brute_force_barcode(const std::vector<float>& d, int m, int maxdim) {
    std::vector<Simplex> simplices;
    std::vector<int> current;
    std::function<void(int)> extend = [&](int next) {
        if (!current.empty()) {
            float value = 0.0f;
            for (std::size_t i = 0; i < current.size(); ++i)
                for (std::size_t j = i + 1; j < current.size(); ++j)
                    value = std::max(value, d[current[i] * m + current[j]]);
            simplices.push_back(Simplex{value, current});
        }
        if (static_cast<int>(current.size()) == maxdim + 2) return;
        for (int v = next; v < m; ++v) {
            current.push_back(v);
            extend(v + 1);
            current.pop_back();
        }
    };
    extend(0);
    // a face comes before its cofaces: by value, then by dimension
    std::stable_sort(simplices.begin(), simplices.end(), [](const Simplex& a, const Simplex& b) {
        if (a.value != b.value) return a.value < b.value;
        return a.vertices.size() < b.vertices.size();
    });
    auto find = [&](const std::vector<int>& face) {
        for (std::size_t i = 0; i < simplices.size(); ++i)
            if (simplices[i].vertices == face) return static_cast<int>(i);
        throw std::logic_error("face not found");
    };
    // boundary columns as sorted row lists, reduced left to right
    std::vector<std::vector<int>> columns(simplices.size());
    for (std::size_t j = 0; j < simplices.size(); ++j) {
        const std::vector<int>& s = simplices[j].vertices;
        if (s.size() < 2) continue;
        for (std::size_t drop = 0; drop < s.size(); ++drop) {
            std::vector<int> face;
            for (std::size_t i = 0; i < s.size(); ++i)
                if (i != drop) face.push_back(s[i]);
            columns[j].push_back(find(face));
        }
        std::sort(columns[j].begin(), columns[j].end());
    }
    std::vector<int> owner(simplices.size(), -1);  // low row -> column
    std::vector<Bars> bars(maxdim + 1);
    for (std::size_t j = 0; j < columns.size(); ++j) {
        std::vector<int>& col = columns[j];
        while (!col.empty() && owner[col.back()] >= 0) {
            const std::vector<int>& other = columns[owner[col.back()]];
            std::vector<int> sum;
            std::set_symmetric_difference(col.begin(), col.end(), other.begin(), other.end(),
                                          std::back_inserter(sum));
            col.swap(sum);
        }
        if (col.empty()) continue;
        owner[col.back()] = static_cast<int>(j);
        const Simplex& born = simplices[col.back()];
        const int dim = static_cast<int>(born.vertices.size()) - 1;
        if (dim <= maxdim && simplices[j].value > born.value)
            bars[dim].emplace_back(born.value, simplices[j].value);
    }
    for (Bars& b : bars) std::sort(b.begin(), b.end());
    return bars;
}

