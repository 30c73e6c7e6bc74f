// C++ tests of the score engine's threads (parallel.hpp, compute_terms): on random matrices with
// ties and duplicate points, every bar, critical edge, cocycle, tree edge and counter is the same
// on 1, 2, 3 and 8 threads as the serial compute_mu_side + compute_w_side; run_tasks reports the
// first task's error and stops every task once the caller's progress throws. Built by run.sh
// with AddressSanitizer + UBSan (test_threads) and with ThreadSanitizer (test_threads_tsan).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../parallel.hpp"
#include "../score_engine.hpp"
#include "check.hpp"

int failures = 0;

namespace {

using Matrix = std::vector<float>;

// Distances of n points on a few integer levels (many ties); `duplicates` copies the first
// point's row onto the next few (zero distances off the diagonal).
Matrix random_matrix(int n, int levels, std::mt19937& rng, int duplicates) {
    std::uniform_int_distribution<int> pick(1, levels);
    Matrix m(static_cast<std::size_t>(n) * n, 0.0f);
    for (int i = 0; i < n; ++i)
        for (int j = i + 1; j < n; ++j)
            m[static_cast<std::size_t>(i) * n + j] = m[static_cast<std::size_t>(j) * n + i] =
                static_cast<float>(pick(rng)) / static_cast<float>(levels);
    for (int d = 1; d <= duplicates && d < n; ++d)
        for (int j = 0; j < n; ++j)
            if (j != d && j != 0)
                m[static_cast<std::size_t>(d) * n + j] = m[static_cast<std::size_t>(j) * n + d] =
                    m[static_cast<std::size_t>(j)];
    for (int d = 1; d <= duplicates && d < n; ++d)
        m[static_cast<std::size_t>(d)] = m[static_cast<std::size_t>(d) * n] = 0.0f;
    return m;
}

bool same_edge(const rtdscore::CriticalEdge& a, const rtdscore::CriticalEdge& b) {
    return a.u == b.u && a.v == b.v && a.in_w == b.in_w;
}

bool same_bars(const std::vector<rtdscore::Bar>& a, const std::vector<rtdscore::Bar>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t k = 0; k < a.size(); ++k)
        if (a[k].birth != b[k].birth || a[k].death != b[k].death ||
            !same_edge(a[k].born, b[k].born) || !same_edge(a[k].dies, b[k].dies))
            return false;
    return true;
}

bool same_tree(const std::vector<rtdscore::Edge>& a, const std::vector<rtdscore::Edge>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t k = 0; k < a.size(); ++k)
        if (a[k].value != b[k].value || a[k].u != b[k].u || a[k].v != b[k].v) return false;
    return true;
}

bool same_counters(const rtdscore::Counters& a, const rtdscore::Counters& b) {
    return a.h1_columns == b.h1_columns && a.h1_apparent == b.h1_apparent &&
           a.h1_reduced == b.h1_reduced && a.h1_additions == b.h1_additions &&
           a.image_classes == b.image_classes && a.image_columns == b.image_columns;
}

// compute_terms on `threads` threads against the serial functions, field by field.
bool threads_agree(const Matrix& w, const Matrix& wt, int n, int threads) {
    Matrix mu(w.size());
    for (std::size_t k = 0; k < w.size(); ++k) mu[k] = std::min(w[k], wt[k]);
    const rtdscore::MuSide serial = rtdscore::compute_mu_side(mu.data(), n);
    const rtdscore::WSide fwd = rtdscore::compute_w_side(w.data(), mu.data(), n, serial);
    const rtdscore::WSide bwd = rtdscore::compute_w_side(wt.data(), mu.data(), n, serial);
    const rtdscore::Terms t = rtdscore::compute_terms<float>(mu.data(), {w.data(), wt.data()}, n,
                                                             threads);
    bool ok = t.mu.radius == serial.radius && same_tree(t.mu.mst, serial.mst) &&
              same_bars(t.mu.bars, serial.bars) && t.mu.cocycles == serial.cocycles &&
              same_counters(t.mu.counters, serial.counters) && t.ws.size() == 2;
    for (std::size_t k = 0; ok && k < 2; ++k) {
        const rtdscore::WSide& one = k == 0 ? fwd : bwd;
        ok = same_tree(t.ws[k].mst, one.mst) && same_bars(t.ws[k].image, one.image) &&
             same_counters(t.ws[k].counters, one.counters);
    }
    if (!ok) std::fprintf(stderr, "n=%d, %d threads: the terms differ from the serial ones\n", n, threads);
    return ok;
}

void test_threads_give_the_serial_terms() {
    std::mt19937 rng(2024);
    int cases = 0;
    for (int n : {2, 3, 9, 40, 90})
        for (int levels : {2, 5, 1000})
            for (int duplicates : {0, 3}) {
                const Matrix w = random_matrix(n, levels, rng, duplicates);
                const Matrix wt = random_matrix(n, levels, rng, 0);
                for (int threads : {1, 2, 3, 8}) CHECK(threads_agree(w, wt, n, threads));
                ++cases;
            }
    std::printf("threads 1, 2, 3, 8 against the serial engine: %d cases\n", cases);
}

// A task that reports progress until it is stopped (bounded: 10 s of 1 ms waits).
void poll_until_stopped(const rtdpar::Progress& report, std::atomic<int>& stopped) {
    try {
        for (int i = 0; i < 10000; ++i) {
            report(i, 10000);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    } catch (const rtdpar::Stopped&) {
        ++stopped;
        throw;
    }
}

void test_a_failing_task_stops_the_others() {
    std::atomic<int> stopped{0}, ran{0};
    std::string message;
    try {
        rtdpar::run_tasks(4, 4, {}, [&](std::size_t k, const rtdpar::Progress& report) {
            if (k == 2) throw std::runtime_error("task 2");
            ++ran;
            poll_until_stopped(report, stopped);
        });
    } catch (const std::runtime_error& e) {
        message = e.what();
    }
    CHECK(message == "task 2");
    CHECK(ran >= 2);  // tasks are taken in order: 0 and 1 before 2 (3 may never start)
    CHECK(stopped == ran);
}

void test_the_callers_progress_stops_every_task() {
    std::atomic<int> stopped{0}, calls{0};
    std::string message;
    const rtdpar::Progress interrupt = [&](std::int64_t, std::int64_t) {
        ++calls;
        throw std::runtime_error("interrupted");
    };
    try {
        rtdpar::run_tasks(3, 2, interrupt, [&](std::size_t, const rtdpar::Progress& report) {
            poll_until_stopped(report, stopped);
        });
    } catch (const std::runtime_error& e) {
        message = e.what();
    }
    CHECK(message == "interrupted");
    CHECK(calls == 1);
    CHECK(stopped == 2);  // the third task never started
}

void test_one_thread_is_a_plain_loop() {
    std::vector<std::size_t> order;
    const std::thread::id caller = std::this_thread::get_id();
    bool same_thread = true;
    rtdpar::run_tasks(5, 1, {}, [&](std::size_t k, const rtdpar::Progress&) {
        order.push_back(k);
        same_thread = same_thread && std::this_thread::get_id() == caller;
    });
    CHECK((order == std::vector<std::size_t>{0, 1, 2, 3, 4}));
    CHECK(same_thread);
}

}  // namespace

int main() {
    test_threads_give_the_serial_terms();
    test_a_failing_task_stops_the_others();
    test_the_callers_progress_stops_every_task();
    test_one_thread_is_a_plain_loop();
    std::printf("score engine threads: %d failures\n", failures);
    return failures == 0 ? 0 : 1;
}
