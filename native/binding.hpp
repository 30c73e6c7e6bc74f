// Helpers shared by the nanobind bindings of the native engines (cone_module.cpp,
// score_module.cpp): input matrices, owned numpy outputs, and interruptible progress.
#pragma once

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "engine_types.hpp"

namespace rtdbind {

namespace nb = nanobind;

template <typename T>
using InMatrix = nb::ndarray<const T, nb::ndim<2>, nb::c_contig, nb::device::cpu>;

// A numpy array that owns `data` (allocated with new[]).
template <typename T>
nb::object owned_array(T* data, std::size_t rows, std::size_t cols) {
    nb::capsule owner(data, [](void* p) noexcept { delete[] static_cast<T*>(p); });
    return nb::ndarray<nb::numpy, T, nb::ndim<2>>(data, {rows, cols}, owner).cast();
}

// How the critical edges of the bars are written for Python: as pairs of points (the score
// engine), or as entries of the doubled matrix [[0, w], [w, mu]] (the barcode engines' common
// indexing): (u, v) in mu -> (N + u, N + v), (u, v) in w -> (u, N + v).
enum class Indexing { kPoints, kDoubled };

inline void write_edge(const rtdcore::CriticalEdge& e, std::int64_t n, Indexing indexing,
                       std::int64_t* out) {
    const bool shift = indexing == Indexing::kDoubled && e.u >= 0;  // -1: no edge
    out[0] = e.u + (shift && !e.in_w ? n : 0);
    out[1] = e.v + (shift ? n : 0);
}

// (k, 2) float64 values and (k, 4) int64 critical edges (birth edge, death edge) of bars.
inline nb::tuple bars_arrays(const std::vector<rtdcore::Bar>& bars, std::int64_t n,
                             Indexing indexing) {
    const std::size_t k = bars.size();
    auto* values = new double[2 * k + 1];
    auto* edges = new std::int64_t[4 * k + 1];
    for (std::size_t i = 0; i < k; ++i) {
        values[2 * i] = bars[i].birth;
        values[2 * i + 1] = bars[i].death;
        write_edge(bars[i].born, n, indexing, edges + 4 * i);
        write_edge(bars[i].dies, n, indexing, edges + 4 * i + 2);
    }
    return nb::make_tuple(owned_array(values, k, 2), owned_array(edges, k, 4));
}

// The engines run without the GIL; about every 0.2 s they call this, which takes the GIL back
// only to let Python handle pending signals (Ctrl-C raises KeyboardInterrupt here) and to call
// the user's progress callable, if any (None: none). A Python exception unwinds the engine as a
// C++ exception and reaches the caller unchanged. `callback` must outlive the engine's run.
inline std::function<void(std::int64_t, std::int64_t)> python_progress(const nb::object& callback) {
    return [&callback](std::int64_t done, std::int64_t total) {
        nb::gil_scoped_acquire acquire;
        if (PyErr_CheckSignals() != 0) throw nb::python_error();
        if (!callback.is_none()) callback(done, total);
    };
}

}  // namespace rtdbind
