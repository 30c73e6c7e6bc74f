// nanobind binding of the score engine: rtdkit.engines._score.compute(mu, ws, progress, threads).
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/vector.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "binding.hpp"
#include "score_engine.hpp"

namespace nb = nanobind;

using rtdbind::owned_array;

namespace {

// (k, 2) values and (k, 4) critical edges (pairs of points) of a list of bars.
nb::tuple bars_arrays(const std::vector<rtdscore::Bar>& bars, std::size_t n) {
    return rtdbind::bars_arrays(bars, static_cast<std::int64_t>(n), rtdbind::Indexing::kPoints);
}

// (k, 1) values and (k, 2) vertex pairs of a spanning tree.
nb::tuple tree_arrays(const std::vector<rtdscore::Edge>& tree) {
    const std::size_t k = tree.size();
    auto* values = new double[k + 1];
    auto* edges = new std::int64_t[2 * k + 1];
    for (std::size_t i = 0; i < k; ++i) {
        values[i] = tree[i].value;
        edges[2 * i] = tree[i].u;
        edges[2 * i + 1] = tree[i].v;
    }
    return nb::make_tuple(owned_array(values, k, 1), owned_array(edges, k, 2));
}

nb::dict counters_dict(const rtdscore::Counters& c) {
    nb::dict d;
    d["h1_columns"] = c.h1_columns;
    d["h1_apparent"] = c.h1_apparent;
    d["h1_reduced"] = c.h1_reduced;
    d["h1_additions"] = c.h1_additions;
    d["image_classes"] = c.image_classes;
    d["image_columns"] = c.image_columns;
    return d;
}

template <typename T>
void check_square(const rtdbind::InMatrix<T>& m, std::size_t n, const char* name) {
    if (m.shape(0) != n || m.shape(1) != n)
        throw std::invalid_argument(std::string("score engine: ") + name +
                                    " must be a square matrix of the same size as mu");
}

// float64 matrices are rounded into the engine's float32 copies; float32 ones are read in place.
template <typename T>
nb::tuple compute(rtdbind::InMatrix<T> mu, std::vector<rtdbind::InMatrix<T>> ws,
                  nb::object progress, int threads) {
    const std::size_t n = mu.shape(0);
    check_square(mu, n, "mu");
    for (const auto& w : ws) check_square(w, n, "w");
    if (n > static_cast<std::size_t>(rtdscore::kMaxPoints))  // before the int conversion
        throw std::invalid_argument("score engine supports at most " +
                                    std::to_string(rtdscore::kMaxPoints) + " points, got " +
                                    std::to_string(n) + "; use fewer points (batch=)");
    if (threads < 1) throw std::invalid_argument("score engine: threads must be at least 1");
    const rtdscore::Progress report = rtdbind::python_progress(progress);
    std::vector<const T*> w_data;
    for (const auto& w : ws) w_data.push_back(w.data());
    rtdscore::Terms terms;
    {
        nb::gil_scoped_release release;
        terms = rtdscore::compute_terms(mu.data(), w_data, static_cast<int>(n), threads, report);
    }
    const rtdscore::MuSide& mu_side = terms.mu;
    const std::vector<rtdscore::WSide>& w_sides = terms.ws;
    nb::dict mu_out;
    mu_out["radius"] = mu_side.radius;
    mu_out["mst"] = tree_arrays(mu_side.mst);
    mu_out["h1"] = bars_arrays(mu_side.bars, n);
    mu_out["counters"] = counters_dict(mu_side.counters);
    nb::list w_out;
    for (const auto& side : w_sides) {
        nb::dict d;
        d["mst"] = tree_arrays(side.mst);
        d["image"] = bars_arrays(side.image, n);
        d["counters"] = counters_dict(side.counters);
        w_out.append(d);
    }
    return nb::make_tuple(mu_out, w_out);
}

}  // namespace

NB_MODULE(_score, m) {
    m.doc() = "Native terms of the RTD_1 identity (see rtdkit.engines.score).";
    m.attr("MAX_POINTS") = rtdscore::kMaxPoints;
    m.def("compute", &compute<float>, nb::arg("mu"), nb::arg("ws"),
          nb::arg("progress") = nb::none(), nb::arg("threads") = 1);
    m.def("compute", &compute<double>, nb::arg("mu"), nb::arg("ws"), nb::arg("progress") = nb::none(),
          nb::arg("threads") = 1,
          "The minimum spanning tree and H1 bars of Rips(mu) and, for each w in ws, the minimum "
          "spanning tree of w and the image bars of H1 Rips(w) -> H1 Rips(mu); returns "
          "(mu_terms, [w_terms, ...]) with float32 values as float64 and critical edges (pairs "
          "of points). mu and ws are all float64 or all float32 (read in place, no -0.0). progress(done, total) is called about every 0.2 s; Ctrl-C interrupts "
          "the computation. threads (>= 1): the apparent pairs of Rips(mu) are found in chunks on "
          "that many threads, with the same results for any number. Bad input raises "
          "ValueError.");
}
