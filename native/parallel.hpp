// Tasks on a few std::threads for the native engines, with the engines' progress and
// cancellation contract kept: the caller's Progress is called about every 0.2 s from the
// calling thread only (it takes the GIL, checks Ctrl-C and the pool's cancel token), and an
// exception it throws stops every task at its next progress call.
//
// Determinism is the caller's: each task must compute the same thing whichever thread runs
// it and whatever runs beside it (disjoint outputs, read-only shared inputs); then the
// results do not depend on the number of threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "engine_types.hpp"

namespace rtdpar {

using rtdcore::Progress;

// Thrown by a task's progress once another task failed or the caller's progress threw; it
// never leaves run_tasks (the first real error does).
struct Stopped : std::exception {
    const char* what() const noexcept override { return "stopped"; }
};

// A task: its index and the Progress it must call about every 0.2 s (through a Ticker).
using Task = std::function<void(std::size_t index, const Progress& progress)>;

// task(k, progress) for k in [0, count), on up to `threads` threads. With one thread (or one
// task) they run in order in the calling thread with the caller's progress, exactly as a
// plain loop. Otherwise worker threads take the tasks in index order while the calling thread
// reports the latest (done, total) to `progress` every 0.2 s. The first error, by task index,
// is rethrown once every thread has been joined; an error of `progress` itself (Ctrl-C) wins.
inline void run_tasks(std::size_t count, int threads, const Progress& progress, const Task& task) {
    const std::size_t workers = std::min<std::size_t>(count, threads > 1 ? threads : 1);
    if (workers <= 1) {
        for (std::size_t k = 0; k < count; ++k) task(k, progress);
        return;
    }
    std::atomic<bool> stop{false};
    std::atomic<std::int64_t> done{0}, total{0};
    const Progress report = [&](std::int64_t d, std::int64_t t) {
        if (stop.load(std::memory_order_relaxed)) throw Stopped();
        done.store(d, std::memory_order_relaxed);
        total.store(t, std::memory_order_relaxed);
    };
    std::mutex mutex;
    std::condition_variable finished_cv;
    std::size_t finished = 0;
    std::exception_ptr error;
    std::size_t error_task = std::numeric_limits<std::size_t>::max();
    std::atomic<std::size_t> next{0};
    const auto work = [&] {
        for (std::size_t k; !stop.load() && (k = next.fetch_add(1)) < count;) {
            try {
                task(k, report);
            } catch (const Stopped&) {
                // another task's error or the caller's progress stopped this one
            } catch (...) {
                const std::lock_guard<std::mutex> lock(mutex);
                if (k < error_task) {
                    error = std::current_exception();
                    error_task = k;
                }
                stop.store(true);
            }
        }
        const std::lock_guard<std::mutex> lock(mutex);
        ++finished;
        finished_cv.notify_all();
    };
    std::vector<std::thread> pool;
    std::exception_ptr caller_error;
    try {
        for (std::size_t i = 0; i < workers; ++i) pool.emplace_back(work);
    } catch (...) {  // no thread could be started: stop the ones that were
        caller_error = std::current_exception();
        stop.store(true);
    }
    {
        std::unique_lock<std::mutex> lock(mutex);
        const auto all_done = [&] { return finished == pool.size(); };
        while (!finished_cv.wait_for(lock, std::chrono::milliseconds(200), all_done)) {
            if (!progress || caller_error) continue;
            lock.unlock();
            try {
                progress(done.load(), total.load());
            } catch (...) {
                caller_error = std::current_exception();
                stop.store(true);
            }
            lock.lock();
        }
    }
    for (std::thread& t : pool) t.join();
    if (caller_error) std::rethrow_exception(caller_error);
    if (error) std::rethrow_exception(error);
}

// [begin, end) of chunk k when `size` items are cut into chunks of `chunk` items.
inline std::pair<std::size_t, std::size_t> chunk_bounds(std::size_t k, std::size_t chunk,
                                                        std::size_t size) {
    return {k * chunk, std::min(size, (k + 1) * chunk)};
}

inline std::size_t chunk_count(std::size_t size, std::size_t chunk) {
    return (size + chunk - 1) / chunk;
}

}  // namespace rtdpar
