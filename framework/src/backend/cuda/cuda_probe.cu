// Asks the CUDA runtime how many devices there are, with the reason when there are none
// (on a machine without a driver cudaGetDeviceCount returns 35, "insufficient driver").
#include <cuda_runtime.h>

#include <string>

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

}  // namespace rnnlab
