#!/usr/bin/env bash
# Offline route to the ONNX Runtime CUDA execution provider for onnxruntime-node (issue #8).
#
# onnxruntime-node's own route (ONNXRUNTIME_NODE_INSTALL=cuda12) downloads Microsoft.ML.OnnxRuntime.Gpu.Linux
# from nuget.org at install time. Where only the npm registry is reachable, the same provider libraries, built
# for ONNX Runtime 1.29.0 against CUDA 13, ship in the npm package com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9
# (asus4/onnxruntime-unity; its README: "ONNX Runtime: 1.29.0"). This script copies them next to
# onnxruntime_binding.node, where ORT's provider bridge looks for them (src/inference/session.ts,
# ortBinaryDirectory / assertCudaProviderPresent).
#
# Versions are pinned together: the provider checks the core's version at load ("onnxruntime version mismatch"),
# so onnxruntime-node must be exactly ORT_VERSION. Change both pins together or not at all.
#
# What the CUDA provider then needs at run time (readelf -d, and strings for dlopen'ed names):
#   DT_NEEDED: libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libcuda.so.1 (the driver)
#   dlopen:    libcudnn.so.9 (cuDNN 9 for CUDA 13); libnvrtc.so.13 only for NVRTC-compiled kernels
# Those come from a CUDA 13 install or NVIDIA's Python wheels (docs/gpu.md); put their directories on LD_LIBRARY_PATH.
#
# Usage: scripts/install-cuda-provider.sh [ORT_BINARY_DIR]
#   ORT_BINARY_DIR   default: node_modules/onnxruntime-node/bin/napi-v6/linux/x64 of this repository
#   PROVIDER_TGZ=F   use an already downloaded package tarball instead of `npm pack` (air-gapped machines)
#   WITH_TENSORRT=1  also copy libonnxruntime_providers_tensorrt.so (needs TensorRT 10; the service does not use it)
# Idempotent: files already present with the expected sha256 are left alone.
set -euo pipefail

readonly PROVIDER_PACKAGE='com.github.asus4.onnxruntime.linux-x64-gpu'
readonly PROVIDER_VERSION='0.4.9'
readonly ORT_VERSION='1.29.0'
# sha256 of the libraries inside ${PROVIDER_PACKAGE}@${PROVIDER_VERSION} (read from the package on 2026-11-22).
declare -A EXPECTED_SHA256=(
  [libonnxruntime_providers_cuda.so]=56cf3254b118ad837ccc4ed8f6d1b23504bbf7ef91b34cbc0b289cb7f10b3037
  [libonnxruntime_providers_shared.so]=c6a12593396095f5670160e284c35d1700b7708cf3037b7042e2a5200ccae772
  [libonnxruntime_providers_tensorrt.so]=ef6071798a339038ad66c428fb1a809cf8e499bffc3b6870e4e8bc4f4c6a6320
)

repo_root="$(cd "$(dirname "$0")/.." && pwd)"
target="${1:-$repo_root/node_modules/onnxruntime-node/bin/napi-v6/linux/x64}"

if [ "$(uname -s)/$(uname -m)" != "Linux/x86_64" ]; then
  echo "install-cuda-provider: ${PROVIDER_PACKAGE} holds Linux x86-64 libraries; this is $(uname -s)/$(uname -m)" >&2
  exit 1
fi
if [ ! -f "$target/onnxruntime_binding.node" ]; then
  echo "install-cuda-provider: no onnxruntime_binding.node in $target (run npm ci first, or pass the directory)" >&2
  exit 1
fi

# The binding's package.json is three levels up from bin/napi-v6/<platform>/<arch>.
ort_package_json="$(cd "$target/../../../.." && pwd)/package.json"
installed_version="$(node -p "require(process.argv[1]).version" "$ort_package_json")"
if [ "$installed_version" != "$ORT_VERSION" ]; then
  echo "install-cuda-provider: onnxruntime-node is $installed_version, but ${PROVIDER_PACKAGE}@${PROVIDER_VERSION} is built for ORT $ORT_VERSION" >&2
  exit 1
fi

libraries=(libonnxruntime_providers_shared.so libonnxruntime_providers_cuda.so)
[ "${WITH_TENSORRT:-0}" = 1 ] && libraries+=(libonnxruntime_providers_tensorrt.so)

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

pending=()
for lib in "${libraries[@]}"; do
  if [ -f "$target/$lib" ] && [ "$(sha_of "$target/$lib")" = "${EXPECTED_SHA256[$lib]}" ]; then
    echo "install-cuda-provider: $lib already installed (sha256 matches)"
  else
    pending+=("$lib")
  fi
done
if [ ${#pending[@]} -eq 0 ]; then
  echo "install-cuda-provider: nothing to do in $target"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ -n "${PROVIDER_TGZ:-}" ]; then
  tgz="$PROVIDER_TGZ"
else
  echo "install-cuda-provider: npm pack ${PROVIDER_PACKAGE}@${PROVIDER_VERSION} (about 180 MB)"
  (cd "$work" && npm pack --silent "${PROVIDER_PACKAGE}@${PROVIDER_VERSION}" >/dev/null)
  tgz="$(ls "$work"/*.tgz)"
fi
tar -xzf "$tgz" -C "$work" --wildcards 'package/Plugins/Linux/x64/*.so'

for lib in "${pending[@]}"; do
  source_file="$work/package/Plugins/Linux/x64/$lib"
  actual="$(sha_of "$source_file")"
  if [ "$actual" != "${EXPECTED_SHA256[$lib]}" ]; then
    echo "install-cuda-provider: $lib: expected sha256 ${EXPECTED_SHA256[$lib]}, got $actual" >&2
    exit 1
  fi
  # Copy to a temporary name, then rename, so an interrupted run never leaves a half-written library behind.
  cp "$source_file" "$target/.$lib.tmp"
  mv -f "$target/.$lib.tmp" "$target/$lib"
  echo "install-cuda-provider: installed $lib ($(stat -c %s "$target/$lib") bytes) in $target"
done

echo "install-cuda-provider: ORT $ORT_VERSION CUDA provider in place. At run time it needs on LD_LIBRARY_PATH:"
echo "  libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libcudnn.so.9 (+ the driver's libcuda.so.1)"
echo "  then: EXECUTION_PROVIDER=cuda npm start   (see docs/gpu.md)"
