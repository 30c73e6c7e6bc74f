// C++ tests of the score engine (score_engine.cpp): on many small random matrices, with ties and
// duplicate points, the identity MST(w) - MST(mu) + TL(H1 mu) - TL(image) must equal the total of
// the cone engine's barcode (an independent computation, itself tested against brute force in
// test_cone.cpp), and every term's critical edges must give back its values. The H1 barcode of
// Rips(mu) (the shared reducer on plain Rips faces) is checked bar for bar against the brute
// force, and each bar's cocycle against the definition. Built with AddressSanitizer + UBSan by
// run.sh.
#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "../cone_engine.hpp"
#include "../rips_core.hpp"
#include "../score_engine.hpp"
#include "brute_force.hpp"
#include "check.hpp"

int failures = 0;

namespace {

int with_image = 0;  // cases where the image term is not empty: the tests must exercise it

using Matrix = std::vector<double>;

Matrix random_matrix(int n, int levels, std::mt19937& rng, bool zeros) {
    std::uniform_int_distribution<int> pick(zeros ? 0 : 1, levels);
    Matrix m(static_cast<std::size_t>(n) * n, 0.0);
    for (int i = 0; i < n; ++i)
        for (int j = i + 1; j < n; ++j)
            m[static_cast<std::size_t>(i) * n + j] = m[static_cast<std::size_t>(j) * n + i] =
                pick(rng) / static_cast<double>(levels);
    return m;
}

double entry(const Matrix& m, int n, int i, int j) {
    return static_cast<float>(m[static_cast<std::size_t>(i) * n + j]);
}

double tree_total(const std::vector<rtdscore::Edge>& tree, const Matrix& m, int n) {
    double total = 0.0;
    for (const auto& e : tree) {
        CHECK(static_cast<float>(entry(m, n, e.u, e.v)) == e.value);
        total += e.value;
    }
    return total;
}

// RTD_1(w -> w~) by the identity, checking each critical edge on the way.
double identity_total(const Matrix& w, const Matrix& mu, int n) {
    const rtdscore::MuSide mu_side = rtdscore::compute_mu_side(mu.data(), n);
    const rtdscore::WSide w_side = rtdscore::compute_w_side(w.data(), mu.data(), n, mu_side);
    double total = tree_total(w_side.mst, w, n) - tree_total(mu_side.mst, mu, n);
    for (const auto& b : mu_side.bars) {
        CHECK(b.death > b.birth);
        CHECK(!b.born.in_w && !b.dies.in_w);
        CHECK(entry(mu, n, b.born.u, b.born.v) == b.birth &&
              entry(mu, n, b.dies.u, b.dies.v) == b.death);
        total += static_cast<double>(b.death) - b.birth;
    }
    with_image += !w_side.image.empty();
    for (const auto& b : w_side.image) {
        CHECK(b.death > b.birth);
        CHECK(b.born.in_w && !b.dies.in_w);
        CHECK(entry(w, n, b.born.u, b.born.v) == b.birth &&
              entry(mu, n, b.dies.u, b.dies.v) == b.death);
        total -= static_cast<double>(b.death) - b.birth;
    }
    CHECK(mu_side.cocycles.size() == mu_side.bars.size());
    return total;
}

double barcode_total(const Matrix& w, const Matrix& mu, int n) {
    const rtdcone::Result r = rtdcone::compute(w.data(), mu.data(), n, 1, 1);
    double total = 0.0;
    for (const auto& b : r.bars[1]) total += static_cast<double>(b.death) - b.birth;
    return total;
}

bool agrees(const Matrix& w, const Matrix& wt, int n) {
    Matrix mu(w.size());
    for (std::size_t k = 0; k < w.size(); ++k) mu[k] = std::min(w[k], wt[k]);
    const double ours = identity_total(w, mu, n), theirs = barcode_total(w, mu, n);
    if (std::fabs(ours - theirs) <= 1e-5 * std::fmax(1.0, std::fabs(theirs))) return true;
    std::fprintf(stderr, "n=%d: identity %.9g vs barcode %.9g\n", n, ours, theirs);
    return false;
}

// The H1 bars of Rips(mu) against the brute force, and each bar's cocycle: it holds the birth
// edge, only edges no earlier than the birth, and is a cocycle of every complex before the
// death (an even number of its edges on each triangle of value below the death).
bool rips_h1_agrees(const Matrix& mu, int n) {
    const rtdscore::MuSide side = rtdscore::compute_mu_side(mu.data(), n);
    std::vector<float> d(mu.begin(), mu.end());
    Bars ours;
    for (const auto& b : side.bars) ours.emplace_back(b.birth, b.death);
    std::sort(ours.begin(), ours.end());
    bool ok = ours == brute_force_barcode(d, n, 1)[1];
    const auto value = [&](rtdcore::u32 u, rtdcore::u32 v) { return d[u * n + v]; };
    for (std::size_t k = 0; k < side.bars.size(); ++k) {
        const rtdscore::Bar& b = side.bars[k];
        std::vector<char> in(static_cast<std::size_t>(n) * n, 0);
        for (const rtdcore::u32 e : side.cocycles[k]) {
            const auto [u, v] = rtdcore::edge_vertices(e);
            ok = ok && value(u, v) >= b.birth;
            in[u * n + v] = in[v * n + u] ^= 1;
        }
        ok = ok && in[b.born.u * n + b.born.v];
        for (int x = 0; x < n; ++x)
            for (int y = x + 1; y < n; ++y)
                for (int z = y + 1; z < n; ++z) {
                    const float t = std::max({value(x, y), value(x, z), value(y, z)});
                    const int odd = in[x * n + y] ^ in[x * n + z] ^ in[y * n + z];
                    ok = ok && !(t < b.death && odd);
                }
    }
    if (!ok) std::fprintf(stderr, "n=%d: H1 of Rips(mu) or its cocycles differ\n", n);
    return ok;
}

void test_rips_h1_against_brute_force() {
    std::mt19937 rng(99);
    int cases = 0, bars = 0;
    for (int n = 3; n <= 11; ++n)
        for (int levels : {1, 2, 3, 6, 1000})
            for (int repeat = 0; repeat < 6; ++repeat) {
                const Matrix mu = random_matrix(n, levels, rng, repeat % 3 == 0);
                CHECK(rips_h1_agrees(mu, n));
                bars += static_cast<int>(rtdscore::compute_mu_side(mu.data(), n).bars.size());
                ++cases;
            }
    CHECK(bars > cases);  // the cases really have H1
    std::printf("H1 of Rips(mu) against brute force: %d cases, %d bars\n", cases, bars);
}

// Always-on checks (not assert): sizes are refused before the matrices are read (these
// pointers hold 4 entries only), bad entries name the problem.
void test_input_errors_and_limits() {
    const Matrix ok = {0, 1, 1, 0}, above = {0, 2, 2, 0};
    CHECK(throws_invalid_argument(
        [&] { rtdscore::compute_mu_side(ok.data(), rtdscore::kMaxPoints + 1); },
        "1 to 90000 points"));
    CHECK(throws_invalid_argument([&] { rtdscore::compute_mu_side(ok.data(), 0); }, "points"));
    const rtdscore::MuSide side = rtdscore::compute_mu_side(above.data(), 2);
    CHECK(throws_invalid_argument(
        [&] { rtdscore::compute_w_side(ok.data(), above.data(), 2, side); }, "w >= mu"));
    const Matrix asym = {0, 1, 2, 0}, diag = {1, 1, 1, 0}, huge = {0, 1e39, 1e39, 0};
    CHECK(throws_invalid_argument([&] { rtdscore::compute_mu_side(asym.data(), 2); },
                                  "symmetric mu"));
    CHECK(throws_invalid_argument([&] { rtdscore::compute_mu_side(diag.data(), 2); },
                                  "zero diagonal"));
    CHECK(throws_invalid_argument(
        [&] { rtdscore::compute_w_side(huge.data(), ok.data(), 2, side); }, "float32"));
}

}  // namespace

int main() {
    test_rips_h1_against_brute_force();
    test_input_errors_and_limits();
    std::mt19937 rng(12345);
    int cases = 0;
    for (int n = 3; n <= 24; ++n)
        for (int levels : {2, 3, 5, 40})
            for (int repeat = 0; repeat < 8; ++repeat) {
                const Matrix w = random_matrix(n, levels, rng, false);
                const Matrix wt = random_matrix(n, levels, rng, repeat % 2 == 0);
                CHECK(agrees(w, wt, n));
                CHECK(agrees(wt, w, n));
                cases += 2;
            }
    // identical matrices: L = K, so the image is all of H1 and the total is 0
    const Matrix w = random_matrix(15, 7, rng, false);
    CHECK(std::fabs(identity_total(w, w, 15)) < 1e-12);
    CHECK(with_image > cases / 10);
    std::printf("score engine: %d cases (%d with an image term), %d failures\n", cases + 1,
                with_image, failures);
    return failures == 0 ? 0 : 1;
}
