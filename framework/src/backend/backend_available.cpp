// Which backends this build and machine can run.
#include "rnnlab/backend.h"

namespace rnnlab {

#ifdef RNNLAB_HAVE_CUDA
int cuda_device_count(std::string* why_not);  // cuda/cuda_probe.cu
DeviceInfo cuda_device_info();                 // cuda/cuda_probe.cu
#endif

bool backend_available(Device device, std::string* why_not) {
  if (device == Device::cpu) return true;
#ifdef RNNLAB_HAVE_CUDA
  std::string why;
  int n = cuda_device_count(&why);
  if (n <= 0 && why_not) *why_not = why;
  return n > 0;
#else
  if (why_not) *why_not = "this rnnlab was built without the CUDA toolkit";
  return false;
#endif
}

DeviceInfo device_info(Device device) {
  if (device == Device::cpu || !backend_available(device)) return {};
#ifdef RNNLAB_HAVE_CUDA
  return cuda_device_info();
#else
  return {};
#endif
}

}  // namespace rnnlab
