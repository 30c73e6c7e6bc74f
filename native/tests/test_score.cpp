// C++ tests of the score engine (score_engine.cpp): on many small random matrices, with ties and
// duplicate points, the identity MST(w) - MST(mu) + TL(H1 mu) - TL(image) must equal the total of
// the cone engine's barcode (an independent computation, itself tested against brute force in
// test_cone.cpp), and every term's critical edges must give back its values. Built with
// AddressSanitizer + UBSan by run.sh.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "../cone_engine.hpp"
#include "../score_engine.hpp"
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

}  // namespace

int main() {
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
