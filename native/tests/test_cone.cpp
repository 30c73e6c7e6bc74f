// C++ tests of the cone engine, built with AddressSanitizer and UBSan by native/tests/run.sh.
//
// The yardstick is a brute-force computation that shares nothing with the engine: the
// Vietoris-Rips filtration of the doubled matrix [[0, w], [w, mu]] (rounded to float32, as the
// engine and giotto-ph round it) with every simplex listed, sorted, and the boundary matrix
// reduced by the textbook algorithm over Z/2. Tiny sizes only (2n <= 14 vertices).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../cone_internal.hpp"
#include "../cone_engine.hpp"
#include "brute_force.hpp"
#include "check.hpp"

int failures = 0;

namespace {

using Matrix = std::vector<double>;  // n x n, row-major

// The doubled matrix [[0, w], [w, mu]] in float32.
std::vector<float> doubled(const Matrix& w, const Matrix& mu, int n) {
    const int m = 2 * n;
    std::vector<float> d(static_cast<std::size_t>(m) * m, 0.0f);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) {
            const float a = static_cast<float>(w[i * n + j]);
            d[i * m + n + j] = d[(n + j) * m + i] = a;
            d[(n + i) * m + n + j] = static_cast<float>(mu[i * n + j]);
        }
    return d;
}

Bars engine_bars(const rtdcone::Result& r, int dim) {
    Bars out;
    for (const rtdcone::Bar& b : r.bars[dim])
        if (b.death > b.birth) out.emplace_back(b.birth, b.death);
    std::sort(out.begin(), out.end());
    return out;
}

std::string show(const Bars& bars) {
    std::string s;
    for (const auto& [b, d] : bars) s += "[" + std::to_string(b) + "," + std::to_string(d) + ")";
    return s;
}

// Cases in which an addition removed edges from a working cochain (their neighbours' iterators
// restart), in which the cut shortcut paired a column, and in which a reduction needed a
// shortcut column's cut: these paths must be exercised, not only compiled.
int removal_cases = 0;
int shortcut_cases = 0;
int materialised_cases = 0;

// Compares the engine with the brute force on (w, min(w, w_tilde)); returns false on a mismatch.
bool agrees(const Matrix& w, const Matrix& w_tilde, int n, int maxdim, const char* what) {
    Matrix mu(w.size());
    for (std::size_t i = 0; i < w.size(); ++i) mu[i] = std::min(w[i], w_tilde[i]);
    const rtdcone::Result ours = rtdcone::compute(w.data(), mu.data(), n, maxdim, 1);
    const std::vector<Bars> theirs = brute_force_barcode(doubled(w, mu, n), 2 * n, maxdim);
    // the float32 entry point (mu read in place) must give the same bars
    const std::vector<float> w32(w.begin(), w.end()), mu32(mu.begin(), mu.end());
    const rtdcone::Result ours32 = rtdcone::compute(w32.data(), mu32.data(), n, maxdim, 1);
    bool ok = ours.stats.essential == 0 && ours.bars[0].empty() && theirs[0].empty();
    removal_cases += ours.stats.removals > 0;
    shortcut_cases += ours.stats.shortcut > 0;
    materialised_cases += ours.stats.materialised > 0;
    for (int dim = 1; dim <= maxdim; ++dim) {
        const Bars a = engine_bars(ours, dim);
        if (engine_bars(ours32, dim) != a) {
            std::fprintf(stderr, "%s n=%d H%d: float32 input differs\n", what, n, dim);
            ok = false;
        }
        if (a != theirs[dim]) {
            std::fprintf(stderr, "%s n=%d H%d:\n  engine      %s\n  brute force %s\n", what, n,
                         dim, show(a).c_str(), show(theirs[dim]).c_str());
            ok = false;
        }
    }
    return ok;
}

Matrix random_symmetric(int n, std::mt19937_64& rng, int levels) {
    Matrix m(static_cast<std::size_t>(n) * n, 0.0);
    std::uniform_int_distribution<int> level(0, levels);
    std::uniform_real_distribution<double> real(0.0, 1.0);
    for (int i = 0; i < n; ++i)
        for (int j = i + 1; j < n; ++j)
            m[i * n + j] = m[j * n + i] = levels > 0 ? level(rng) : real(rng);
    return m;
}

Matrix euclidean(const std::vector<std::vector<double>>& points) {
    const int n = static_cast<int>(points.size());
    Matrix m(static_cast<std::size_t>(n) * n, 0.0);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) {
            double s = 0.0;
            for (std::size_t k = 0; k < points[i].size(); ++k)
                s += (points[i][k] - points[j][k]) * (points[i][k] - points[j][k]);
            m[i * n + j] = std::sqrt(s);
        }
    return m;
}

// ---- tests ------------------------------------------------------------------------------------

void test_random_matrices_against_brute_force() {
    std::mt19937_64 rng(12345);
    int cases = 0;
    for (int rep = 0; rep < 60; ++rep)
        for (int n = 2; n <= 7; ++n)
            for (int levels : {0, 1, 2, 4}) {  // 0: continuous values; else few values, ties
                const int maxdim = n <= 4 ? 3 : (n <= 6 ? 2 : 1);
                const Matrix w = random_symmetric(n, rng, levels);
                const Matrix wt = random_symmetric(n, rng, levels);
                CHECK(agrees(w, wt, n, 1, "random (dimension-1 path)"));
                if (maxdim >= 2 && rep % 3 == 0)
                    CHECK(agrees(w, wt, n, maxdim, "random (general path)"));
                ++cases;
            }
    std::printf("random matrices: %d cases\n", cases);
}

void test_point_clouds_against_brute_force() {
    std::mt19937_64 rng(7);
    std::normal_distribution<double> normal;
    for (int rep = 0; rep < 40; ++rep) {
        const int n = 5 + rep % 3;
        std::vector<std::vector<double>> p(n, std::vector<double>(4)), q(n, std::vector<double>(2));
        for (int i = 0; i < n; ++i) {
            for (double& x : p[i]) x = normal(rng);
            q[i][0] = p[i][0] + p[i][1] + 0.1 * normal(rng);  // a noisy 2-d image of p
            q[i][1] = p[i][2] - p[i][3] + 0.1 * normal(rng);
        }
        CHECK(agrees(euclidean(p), euclidean(q), n, 1, "cloud vs image"));
        CHECK(agrees(euclidean(q), euclidean(p), n, n <= 6 ? 2 : 1, "image vs cloud"));
    }
}

// The pairs on which the cut shortcut pairs most columns and some cuts are materialised: a
// cloud against a noisy image of it in one or two dimensions, with coordinates rounded to a few
// levels in half the cases (ties among the distances of both sides, and pairs with w = mu,
// edges of L, inside the cuts).
void test_cut_shortcut_against_brute_force() {
    std::mt19937_64 rng(21);
    std::normal_distribution<double> normal;
    for (int rep = 0; rep < 160; ++rep) {
        const int n = 8 + rep % 5, width = 1 + rep % 2;
        const bool rounded = rep % 4 >= 2;
        std::vector<std::vector<double>> p(n, std::vector<double>(4)),
            q(n, std::vector<double>(width));
        for (int i = 0; i < n; ++i) {
            for (double& x : p[i]) x = rounded ? std::round(2.0 * normal(rng)) : normal(rng);
            for (int k = 0; k < width; ++k) {
                q[i][k] = p[i][k] - p[i][k + 2] + 0.05 * normal(rng);
                if (rounded) q[i][k] = std::round(2.0 * q[i][k]);
            }
        }
        CHECK(agrees(euclidean(p), euclidean(q), n, 1, "cloud vs image (cuts)"));
    }
}

// Hand-computed: three points pairwise 2 apart in P; in Q two of the edges shrink to 1. At 1, K
// is a tree on the three points and L has no edge, so H1(K, L) = ker(H0 L -> H0 K) has rank 2
// until L fills in at 2: two bars [1, 2).
void test_explicit_three_points() {
    const Matrix w = {0, 2, 2, 2, 0, 2, 2, 2, 0};
    const Matrix wt = {0, 1, 1, 1, 0, 2, 1, 2, 0};
    Matrix mu(9);
    for (int i = 0; i < 9; ++i) mu[i] = std::min(w[i], wt[i]);
    const rtdcone::Result r = rtdcone::compute(w.data(), mu.data(), 3, 1, 1);
    CHECK(engine_bars(r, 1) == (Bars{{1.0f, 2.0f}, {1.0f, 2.0f}}));
    CHECK(r.stats.alpha == 2.0);
    CHECK(agrees(w, wt, 3, 2, "three points"));
}

// Identical representations: K = L, every column is an edge of L, no bar at all.
void test_identical_representations() {
    std::mt19937_64 rng(3);
    const Matrix w = random_symmetric(7, rng, 0);
    Matrix mu = w;
    const rtdcone::Result r = rtdcone::compute(w.data(), mu.data(), 7, 1, 1);
    CHECK(r.bars[1].empty() && r.stats.reduced == 0 && r.stats.trivial == r.stats.columns);
}

// Distances at the very top of float32 (finite): the coboundary merge must stop at the end of
// the neighbour lists, not past them (the enclosing radius is then float32's largest value).
void test_values_at_the_top_of_float32() {
    std::mt19937_64 rng(5);
    const double top = static_cast<double>(std::numeric_limits<float>::max());
    for (int rep = 0; rep < 20; ++rep) {
        const int n = 4 + rep % 4;
        Matrix w = random_symmetric(n, rng, 2), wt = random_symmetric(n, rng, 2);
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < n; ++j)
                if (i != j && (i == 0 || j == 0)) w[i * n + j] = top;  // every row reaches the top
        CHECK(agrees(w, wt, n, 1, "top of float32"));
    }
}

void test_input_errors_and_limits() {
    const Matrix w = {0, 1e39, 1e39, 0};  // finite in float64, infinite in float32
    const Matrix mu = {0, 1, 1, 0};
    CHECK(throws_invalid_argument([&] { rtdcone::compute(w.data(), mu.data(), 2, 1, 1); },
                                  "float32"));
    const std::vector<float> asym = {0, 1, 1, 0}, asym_mu = {0, 1, 0.5f, 0};
    CHECK(throws_invalid_argument(
        [&] { rtdcone::compute(asym.data(), asym_mu.data(), 2, 1, 1); }, "symmetric float32"));
    const std::vector<float> negzero = {0, 1, 1, 0}, negzero_mu = {0, -0.0f, -0.0f, 0};
    CHECK(throws_invalid_argument(
        [&] { rtdcone::compute(negzero.data(), negzero_mu.data(), 2, 1, 1); }, "-0.0"));
    const Matrix bad = {0, 1, 1, 0}, above = {0, 2, 2, 0};
    CHECK(throws_invalid_argument(
        [&] { rtdcone::compute(bad.data(), above.data(), 2, 1, 1); }, "w >= mu"));
    // sizes are refused before the matrices are read (these pointers hold 4 entries only)
    CHECK(throws_invalid_argument(
        [&] { rtdcone::compute(bad.data(), bad.data(), rtdcone::kMaxPoints + 1, 1, 1); },
        "at most 90000 points"));
    CHECK(throws_invalid_argument(
        [&] { rtdcone::compute(bad.data(), bad.data(), 20000, 3, 1); }, "beyond 63 bits"));
    CHECK(throws_invalid_argument([&] { rtdcone::compute(bad.data(), bad.data(), 2, 4, 1); },
                                  "maxdim <= 3"));
    rtdcone::detail::check_limits(2000, 3);  // C(2001, 5) fits: no throw
}

void test_priority_order() {
    using rtdcore::Priority;
    // by value ascending, then by index descending (Ripser's filtration order)
    CHECK(Priority::of(1.0f, 5) < Priority::of(2.0f, 9));
    CHECK(Priority::of(1.0f, 9) < Priority::of(1.0f, 5));
    CHECK(Priority::of(0.0f, 0) > Priority::of(0.0f, ~0ull >> 1));
    CHECK(Priority::of(3.5f, 42).value() == 3.5f && Priority::of(3.5f, 42).index() == 42);
    CHECK(Priority::of(1e-45f, 0) > Priority::of(0.0f, 0));  // subnormals order too
}

void test_progress_ticker_and_cancellation() {
    std::vector<std::pair<std::int64_t, std::int64_t>> calls;
    const rtdcone::Progress record = [&](std::int64_t done, std::int64_t total) {
        calls.emplace_back(done, total);
    };
    rtdcore::Ticker ticker(record, 1000);
    const auto start = std::chrono::steady_clock::now();
    std::int64_t done = 0;
    while (calls.empty() && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
        ticker.tick(++done % 1000);
        if (done % 256 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    CHECK(!calls.empty() && calls.back().second == 1000);
    ticker.finish();
    CHECK(calls.back() == std::make_pair(std::int64_t{1000}, std::int64_t{1000}));

    // a callback that throws cancels compute() (ASan reports any leak on the way out)
    const rtdcone::Progress cancel = [](std::int64_t, std::int64_t) {
        throw std::runtime_error("cancelled");
    };
    std::mt19937_64 rng(9);
    const Matrix w = random_symmetric(30, rng, 0), wt = random_symmetric(30, rng, 0);
    Matrix mu(w.size());
    for (std::size_t i = 0; i < w.size(); ++i) mu[i] = std::min(w[i], wt[i]);
    bool cancelled = false;
    try {
        rtdcone::compute(w.data(), mu.data(), 30, 1, 1, cancel);  // finish() calls it at least
    } catch (const std::runtime_error&) {
        cancelled = true;
    }
    CHECK(cancelled);
}

}  // namespace

int main() {
    test_priority_order();
    test_explicit_three_points();
    test_identical_representations();
    test_random_matrices_against_brute_force();
    test_point_clouds_against_brute_force();
    test_cut_shortcut_against_brute_force();
    test_values_at_the_top_of_float32();
    test_input_errors_and_limits();
    test_progress_ticker_and_cancellation();
    std::printf("cases with edges removed from a working cochain: %d\n", removal_cases);
    CHECK(removal_cases > 0);
    std::printf("cases paired by cuts: %d, with a cut materialised: %d\n", shortcut_cases,
                materialised_cases);
    CHECK(shortcut_cases > 0 && materialised_cases > 0);
    if (failures) {
        std::fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    std::printf("all C++ engine tests passed\n");
    return 0;
}
