// Asks the CUDA runtime how many devices there are, with the reason when there are none
// (on a machine without a driver cudaGetDeviceCount returns 35, "insufficient driver"), and
// what the run file records about the device in use (name, driver and runtime versions).
#include <cuda_runtime.h>

#include <string>

#include "rnnlab/backend.h"
#include "rnnlab/cuda_kernel.h"

namespace rnnlab {

int cuda_device_count(std::string* why_not) {
  int n = 0;
  cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess) {
    if (why_not)
      *why_not = std::string("no usable CUDA device: cudaGetDeviceCount returned ") +
                 std::to_string(static_cast<int>(err)) + " (" + cudaGetErrorString(err) + ")";
    return 0;
  }
  if (n == 0 && why_not) *why_not = "no CUDA device found";
  return n;
}

namespace {
std::string version_str(int v) {  // 12080 -> "12.8"
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}
}  // namespace

// Only called when cuda_device_count() > 0: the current device (the one the backend uses).
DeviceInfo cuda_device_info() {
  int device = 0, driver = 0, runtime = 0;
  RNNLAB_CUDA_CHECK(cudaGetDevice(&device));
  cudaDeviceProp prop{};
  RNNLAB_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  RNNLAB_CUDA_CHECK(cudaDriverGetVersion(&driver));
  RNNLAB_CUDA_CHECK(cudaRuntimeGetVersion(&runtime));
  return {prop.name, version_str(driver), version_str(runtime)};
}

}  // namespace rnnlab
