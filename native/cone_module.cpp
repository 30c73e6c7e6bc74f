// nanobind binding of the cone engine:
// rtdkit.engines._cone.compute(w, mu, maxdim, n_threads, progress).
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <stdexcept>
#include <string>

#include "binding.hpp"
#include "cone_engine.hpp"

namespace nb = nanobind;

using rtdbind::bars_arrays;
using rtdbind::InMatrix;
using rtdbind::Indexing;
using rtdbind::python_progress;

namespace {

template <typename T>
nb::tuple compute(InMatrix<T> w, InMatrix<T> mu, int maxdim, int n_threads, nb::object progress) {
    if (w.shape(0) != w.shape(1) || mu.shape(0) != w.shape(0) || mu.shape(1) != w.shape(1))
        throw std::invalid_argument("cone engine: w and mu must be square matrices of one shape");
    const int n = static_cast<int>(w.shape(0));
    const rtdcone::Progress report = python_progress(progress);
    rtdcone::Result res;
    {
        nb::gil_scoped_release release;
        res = rtdcone::compute(w.data(), mu.data(), n, maxdim, n_threads, report);
    }
    nb::list bars, edges;
    for (const auto& dim_bars : res.bars) {
        const nb::tuple arrays = bars_arrays(dim_bars, n, Indexing::kDoubled);
        bars.append(arrays[0]);
        edges.append(arrays[1]);
    }
    const rtdcone::Stats& s = res.stats;
    nb::dict stats;
    stats["alpha"] = s.alpha;
    stats["columns"] = s.columns;
    stats["trivial"] = s.trivial;
    stats["emergent"] = s.emergent;
    stats["shortcut"] = s.shortcut;
    stats["reduced"] = s.reduced;
    stats["additions"] = s.additions;
    stats["visited"] = s.visited;
    stats["removals"] = s.removals;
    stats["materialised"] = s.materialised;
    stats["essential"] = s.essential;
    stats["higher_columns"] = s.higher_columns;
    stats["peak_bytes"] = s.peak_bytes;
    return nb::make_tuple(bars, edges, stats);
}

}  // namespace

NB_MODULE(_cone, m) {
    m.doc() = "Native R-Cross-Barcode engine on the mapping cone (see rtdkit.engines.cone).";
    m.attr("MAX_POINTS") = rtdcone::kMaxPoints;
    m.attr("MAX_DIM") = rtdcone::kMaxDim;
    const char* doc =
        "Bars and critical edges of the doubled matrix [[0, w], [w, mu]] in dimensions "
        "0..maxdim, as float32 values; returns (bars, edges, stats). w and mu are both float64 "
        "or both float32 (then mu, fully symmetric, is read in place). progress(done, total) "
        "is called about every 0.2 s; Ctrl-C interrupts the computation.";
    m.def("compute", &compute<double>, nb::arg("w"), nb::arg("mu"), nb::arg("maxdim"),
          nb::arg("n_threads") = 1, nb::arg("progress") = nb::none(), doc);
    m.def("compute", &compute<float>, nb::arg("w"), nb::arg("mu"), nb::arg("maxdim"),
          nb::arg("n_threads") = 1, nb::arg("progress") = nb::none(), doc);
}
