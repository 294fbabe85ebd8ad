#!/usr/bin/env bash
# The Debian 12 libraries rnnlab builds against, for a GPU machine whose image has nvcc, CMake,
# ninja and PyTorch but not Boost/TBB/HDF5/xtensor/OpenBLAS/doctest (and cannot download).
#
#   scripts/device_deps.sh fetch    here (Debian 12, network): apt-get download the .debs into
#                                   .device-deps/debs (~40 MB; git-ignored; carry it)
#   scripts/device_deps.sh unpack   there: dpkg-deb -x every .deb into .device-deps/root, drop
#                                   static libraries and docs, point the .pc files at the root
#   scripts/device_deps.sh env      prints the shell lines to use that root (eval "$(...)"):
#                                   RNNLAB_DEPS_CMAKE (arguments for cmake -S/-B) and
#                                   RNNLAB_DEPS_LD (LD_LIBRARY_PATH for rnnlab's own programs only:
#                                   libhdf5 pulls libcurl & co., which a runpath cannot reach)
# DIR: $RNNLAB_DEVICE_DEPS, default <repo>/.device-deps. Unpacking is never into /.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${RNNLAB_DEVICE_DEPS:-$repo/.device-deps}
root=$dir/root
multi=x86_64-linux-gnu

PACKAGES=(
  libboost1.74-dev libboost-program-options1.74-dev libboost-program-options1.74.0
  libtbb-dev libtbb12 libtbbmalloc2 libtbbbind-2-5 libhwloc15 libudev1
  libhdf5-dev libhdf5-103-1 libhdf5-hl-100 libaec0 libsz2 libaec-dev zlib1g zlib1g-dev
  libxtensor-dev libxsimd-dev xtl-dev doctest-dev
  libopenblas-dev libopenblas-pthread-dev libopenblas0-pthread libopenblas0 libgfortran5
  libquadmath0 pkgconf-bin libpkgconf3
  # libhdf5's own needs (libcurl and what it links), in case the image lacks them
  libcurl4 libnghttp2-14 librtmp1 libssh2-1 libpsl5 libldap-2.5-0 libsasl2-2 libbrotli1
  libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0 libkeyutils1 libcom-err2 libssl3
  libidn2-0 libunistring2 libgnutls30 libhogweed6 libnettle8 libgmp10 libp11-kit0 libtasn1-6
  libffi8 libzstd1
)

case "${1:-}" in
  fetch)
    mkdir -p "$dir/debs"
    cd "$dir/debs"
    apt-get download "${PACKAGES[@]}"
    du -sh "$dir/debs"
    ;;
  unpack)
    rm -rf "$root"
    mkdir -p "$root"
    for f in "$dir"/debs/*.deb; do
      if command -v dpkg-deb > /dev/null; then
        dpkg-deb -x "$f" "$root"
      else  # a .deb is an ar archive holding data.tar.*
        (t=$(mktemp -d) && cd "$t" && ar x "$f" && tar -xf data.tar.* -C "$root" && rm -rf "$t")
      fi
    done
    find "$root" -name '*.a' -delete
    rm -rf "$root/usr/share/doc" "$root/usr/share/man"
    # .pc files name /usr: make them name the root (pkgconf then hands CMake the right paths)
    find "$root" -name '*.pc' -exec sed -i "s|=/usr|=$root/usr|g; s|-I/usr|-I$root/usr|g; s|-L/usr|-L$root/usr|g" {} +
    du -sh "$root"
    ;;
  env)
    lib=$root/usr/lib/$multi
    ld=$lib:$lib/openblas-pthread:$lib/hdf5/serial
    cat <<EOF
export RNNLAB_DEPS_LD='$ld'
export RNNLAB_DEPS_CMAKE='-DCMAKE_PREFIX_PATH=$root/usr -DHDF5_ROOT=$root/usr -DHDF5_C_INCLUDE_DIR=$root/usr/include/hdf5/serial -DHDF5_hdf5_LIBRARY_RELEASE=$lib/hdf5/serial/libhdf5.so -DPKG_CONFIG_EXECUTABLE=$root/usr/bin/pkgconf -DCMAKE_BUILD_RPATH=$ld -DBoost_NO_SYSTEM_PATHS=ON -DBOOST_ROOT=$root/usr'
export PKG_CONFIG_LIBDIR='$lib/pkgconfig:$lib/openblas-pthread/pkgconfig:$root/usr/share/pkgconfig'
EOF
    ;;
  *)
    sed -n '2,13p' "${BASH_SOURCE[0]}"
    exit 2
    ;;
esac
