#!/usr/bin/env bash
# Idempotent set-up for a Debian 12 machine with the .NET 10 SDK and Node.js:
# Debian packages the project needs (only those missing), then the pinned npm artefacts (ONNX Runtime)
# under .deps/. Quiet when everything is already in place; then it touches no network.
# Usage: scripts/setup.sh [--gpu]     (--gpu also fetches the CUDA/TensorRT execution providers)
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
  libturbojpeg0      # JPEG decode (inference/WsssOnnx.Imaging)
  libspng0           # PNG decode/encode (inference/WsssOnnx.Imaging)
  python3-onnx       # onnx.checker and shape inference in tests
  libonnx-testdata   # ONNX's own node tests, run through our runtime layer
  python3-grpcio     # an independent gRPC client (Python, C core) for the interop tests
  python3-torch      # torch.onnx.export and autograd: the reference of the bring-your-own-classifier tests
  python3-torchvision # the ResNet-50 and MobileNetV2 those tests export
  libpcre2-8-0       # nginx (load-balancer test): regular expressions
  libssl3            # nginx: OpenSSL
)

sudo=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then sudo="sudo"; fi

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ] && [ -z "$sudo" ]; then echo "setup: need root (or sudo) to install ${missing[*]}" >&2; exit 1; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Files out of a Debian package without installing it (apt-get download, dpkg-deb -x): extract_deb PACKAGE DIR.
extract_deb() {
  local tmp
  tmp=$(mktemp -d)
  chmod 755 "$tmp"  # apt's download sandbox user must be able to write there
  if ! (cd "$tmp" && apt-get download -qq "$1" >/dev/null 2>&1); then
    $sudo apt-get update -qq
    (cd "$tmp" && apt-get download -qq "$1" >/dev/null)
  fi
  dpkg-deb -x "$tmp/$1"_*.deb "$2"
  rm -rf "$tmp"
}

# Real photos for the ImageNet-backbone equivalence test: Debian's darknet package ships a few. Only the photos are
# taken out of the .deb, so none of darknet's OpenCV dependencies get installed.
photos=.deps/photos
if [ ! -f "$photos/person.jpg" ]; then
  echo "setup: extracting test photos from Debian's darknet package into $photos"
  root=$(mktemp -d)
  extract_deb darknet "$root"
  mkdir -p "$photos"
  for p in dog eagle giraffe horses kite scream person; do cp "$root/usr/share/darknet/data/$p.jpg" "$photos/"; done
  rm -rf "$root"
fi

# nginx for the load-balancer test (grpc_pass to several `wsss serve` replicas): only its binary is taken out of
# Debian's package, so no web server is installed or started. Its libraries (pcre2, OpenSSL, zlib) are listed above.
if [ ! -x .deps/nginx/nginx ]; then
  echo "setup: extracting nginx from Debian's package into .deps/nginx"
  root=$(mktemp -d)
  extract_deb nginx "$root"
  mkdir -p .deps/nginx
  cp "$root/usr/sbin/nginx" .deps/nginx/nginx
  rm -rf "$root"
fi

command -v node >/dev/null || { echo "setup: Node.js (node, npm) is required to fetch ONNX Runtime" >&2; exit 1; }
command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
node scripts/fetch-npm-deps.mjs "$@"
