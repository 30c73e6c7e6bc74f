// rtdkit "cone" engine: persistent cohomology with clearing over Z/2 on the mapping cone.
// Entry point: input checks and the choice between the two reductions. docs/engine.md gives
// the maths; cone_dim1.cpp (cone over L, dimension 1) and cone_generic.cpp (cone over M,
// dimensions >= 2) the algorithms.
#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "cone_internal.hpp"

namespace rtdcone {
namespace {

std::string entry(int i, int j) {
    return "[" + std::to_string(i) + "," + std::to_string(j) + "]";
}

template <typename T>
void check_input(const T* w, const T* mu, int n) {
    for (int i = 0; i < n; ++i) {
        const std::size_t ii = static_cast<std::size_t>(i) * n + i;
        if (w[ii] != 0.0 || mu[ii] != 0.0)
            throw std::invalid_argument("cone engine needs a zero diagonal in w and mu (entry " +
                                        std::to_string(i) + ")");
        for (int j = i + 1; j < n; ++j) {
            const double a = w[static_cast<std::size_t>(i) * n + j];
            const double b = mu[static_cast<std::size_t>(i) * n + j];
            // float32 mu is read in place as full rows: it must be symmetric, without -0.0
            // (whose bit pattern would not order like the value)
            if (std::is_same_v<T, float> &&
                (std::signbit(b) || mu[static_cast<std::size_t>(j) * n + i] != b))
                throw std::invalid_argument("cone engine needs a symmetric float32 mu without "
                                            "-0.0 (entry " + entry(i, j) + ")");
            if (!(b >= 0.0) || !(a >= b) || !std::isfinite(a))
                throw std::invalid_argument("cone engine needs finite w >= mu >= 0 (got w" +
                                            entry(i, j) + "=" + std::to_string(a) +
                                            ", mu=" + std::to_string(b) + ")");
            // The engine computes in float32 (as the reference does): a distance that rounds
            // to infinity there has no place in the filtration.
            if (std::isinf(static_cast<float>(a)))
                throw std::invalid_argument(
                    "the distances do not fit in float32, in which the engines compute: w" +
                    entry(i, j) + "=" + std::to_string(a) +
                    " exceeds 3.4e38; rescale the data or use normalize='quantile'");
        }
    }
}

}  // namespace

namespace detail {

void check_limits(int n, int maxdim) {
    if (n < 0 || maxdim < 0) throw std::invalid_argument("cone engine: n and maxdim must be >= 0");
    if (n > kMaxPoints)
        throw std::invalid_argument("cone engine supports at most " + std::to_string(kMaxPoints) +
                                    " points (its edge indices are 32-bit), got " +
                                    std::to_string(n) + "; use fewer points (batch=)");
    if (maxdim > kMaxDim)
        throw std::invalid_argument("cone engine supports maxdim <= " + std::to_string(kMaxDim));
    if (maxdim >= 2) {
        // The general path ranks simplices of up to maxdim + 2 of the n + 1 vertices by colex
        // index: C(n + 1, maxdim + 2) must stay below 2^63 - 1 (pivot keys are index + 1).
        const int k = maxdim + 2;
        double bound = 1.0;  // C(n + 1, k), in floating point to see the overflow coming
        for (int i = 0; i < k; ++i) bound = bound * (n + 1 - i) / (i + 1);
        if (bound >= 9.0e18)
            throw std::invalid_argument(
                "cone engine: maxdim=" + std::to_string(maxdim) + " on " + std::to_string(n) +
                " points needs simplex indices C(n+1, " + std::to_string(k) +
                ") beyond 63 bits; lower maxdim or use fewer points (batch=)");
    }
}

}  // namespace detail

namespace {

template <typename T>
Result compute_any(const T* w, const T* mu, int n, int maxdim, const Progress& progress) {
    detail::check_limits(n, maxdim);  // before anything is read or allocated
    check_input(w, mu, n);
    Result res;
    res.bars.resize(static_cast<std::size_t>(maxdim) + 1);
    if (maxdim == 0 || n < 2) {
        res.stats.alpha = detail::enclosing_radius(w, n);
        return res;
    }
    if (maxdim == 1)
        detail::run_dim1(w, mu, n, res.bars[1], res.stats, progress);
    else
        detail::run_generic(w, mu, n, maxdim, res.bars, res.stats, progress);
    return res;
}

}  // namespace

// n_threads is accepted and ignored: the reduction is single-threaded (see the Python docs).
Result compute(const double* w, const double* mu, int n, int maxdim, int /*n_threads*/,
               const Progress& progress) {
    return compute_any(w, mu, n, maxdim, progress);
}

Result compute(const float* w, const float* mu, int n, int maxdim, int /*n_threads*/,
               const Progress& progress) {
    return compute_any(w, mu, n, maxdim, progress);
}

}  // namespace rtdcone
