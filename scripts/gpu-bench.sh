#!/usr/bin/env bash
# The GPU benchmarks of docs/gpu.md, on a CUDA 13 machine without Node or a network, from the payload that
# scripts/stage-gpu-carry.sh made here (Node, production node_modules with the CUDA provider, the built models, a few
# bench images). Run from the repository root there:
#
#   scripts/gpu-bench.sh STAGE_DIR SHA256SUMS OUT_DIR
#
# STAGE_DIR holds part.00 … part.NN (the payload cut in pieces), SHA256SUMS is .gpu-carry/SHA256SUMS, OUT_DIR gets the
# reports (at most 6 files: log.txt, models-cuda.md, speed-cuda.md, speed-cpu.md, where-cuda.md, machine.txt).
# GPU_BENCHES picks the benches (default "models speed where"). CUDA's libraries are looked for in the Python wheels of the machine's Python (nvidia-* packages) and the driver's
# folder. Every bench has its own time limit, so one that hangs leaves the others' reports.
set -uo pipefail
stage="$1"
sums="$2"
out="$3"
mkdir -p "$out"
exec > >(tee "$out/log.txt") 2>&1

set -e
cat "$stage"/part.* >"$stage/payload.tgz"
rm -f "$stage"/part.*
(cd "$stage" && sha256sum -c "$(cd "$OLDPWD" && realpath "$sums")")
tar -xzf "$stage/payload.tgz" -C "$stage"
rm -f "$stage/payload.tgz"
rm -rf node_modules models/*.onnx
mv "$stage/repo/node_modules" node_modules
cp -a "$stage/repo/models/." models/
mkdir -p ../shared
cp -a "$stage/shared/data" ../shared/
export PATH="$stage/node:$PATH"
set +e

site="$(python3 -c 'import site; print(site.getsitepackages()[0])' 2>/dev/null)"
libs="$(find "$site/nvidia" /usr/local/nvidia \( -name 'libcudart.so.13*' -o -name 'libcublas*.so.13*' -o -name 'libcurand.so.10*' -o -name 'libcudnn.so.9*' -o -name 'libcuda.so.1' \) 2>/dev/null | xargs -rn1 dirname | sort -u | paste -sd:)"
export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
{
  date -u
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  nproc
  node --version
  python3 -m pip list 2>/dev/null | grep -E '^nvidia-(cuda-runtime|cublas|cudnn|curand)'
  ldd node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so | grep -E 'cuda|cublas|curand|not found'
} >"$out/machine.txt" 2>&1
cat "$out/machine.txt"

bench="node node_modules/tsx/dist/cli.mjs bench/cli.ts"
tmp="$(mktemp -d)"
benches=" ${GPU_BENCHES:-models speed where} "
if [[ $benches == *" models "* ]]; then
  echo "== models, CUDA (latency, batches, placement, parity with the CPU)"
  timeout 180 $bench models --provider=cuda --batches=1,8,32 --runs=20 >"$out/models-cuda.md"
  echo "rc=$?"
fi
if [[ $benches == *" speed "* ]]; then
  echo "== speed, CUDA"
  timeout 120 $bench speed --provider=cuda --runs=10 --out="$tmp/speed-cuda" && cp "$tmp/speed-cuda/speed.md" "$out/speed-cuda.md"
  echo "rc=$?"
  echo "== speed, CPU (same machine)"
  timeout 100 $bench speed --provider=cpu --runs=10 --out="$tmp/speed-cpu" && cp "$tmp/speed-cpu/speed.md" "$out/speed-cpu.md"
  echo "rc=$?"
fi
if [[ $benches == *" where "* ]]; then
  echo "== where, CUDA"
  timeout "${WHERE_TIMEOUT:-150}" $bench where --provider=cuda --threads=worker --max-batch=1,32 --concurrency=1,8,32 --rounds=2 --out="$tmp/where" && cp "$tmp/where/where.md" "$out/where-cuda.md"
  echo "rc=$?"
fi
