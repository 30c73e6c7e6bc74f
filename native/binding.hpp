// Helpers shared by the nanobind bindings of the native engines (cone_module.cpp,
// score_module.cpp): input matrices, owned numpy outputs, and interruptible progress.
#pragma once

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <cstddef>
#include <cstdint>
#include <functional>

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
