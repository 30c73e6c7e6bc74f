// Declarations shared by the files of the cone engine (cone_engine.cpp, cone_dim1.cpp,
// cone_generic.cpp); the dimension-1 machinery they use is rips_core's.
#pragma once

#include <stdexcept>
#include <vector>

#include "cone_engine.hpp"
#include "rips_core.hpp"

namespace rtdcone {
namespace detail {

using namespace rtdcore;  // NOLINT: the engine is written in the core's vocabulary

// Throws std::invalid_argument, naming the limit, for sizes the indices cannot represent.
void check_limits(int n, int maxdim);

// The two reductions. bars[d] receives the bars of dimension d.
template <typename T>
void run_dim1(const T* w, const T* mu, int n, std::vector<Bar>& bars, Stats& stats,
              const Progress& progress);
template <typename T>
void run_generic(const T* w, const T* mu, int n, int maxdim, std::vector<std::vector<Bar>>& bars,
                 Stats& stats, const Progress& progress);

}  // namespace detail
}  // namespace rtdcone
