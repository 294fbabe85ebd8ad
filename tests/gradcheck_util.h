// Test helper: a loss function's gradient checked in float64 by central differences
// (rnnlab/gradcheck.h), as doctest checks that name the case and its worst element.
#pragma once

#include <doctest/doctest.h>

#include <vector>

#include "rnnlab/gradcheck.h"

namespace rnnlab::test {

inline void check_gradient(const char* what, const LossFn& f, const std::vector<Tensor>& inputs) {
  GradCheckResult res = gradcheck(f, inputs);
  INFO(what << ": max error " << res.max_error << " at " << res.worst);
  CHECK(res.checked > 0);
  CHECK(res.passed);
}

}  // namespace rnnlab::test
