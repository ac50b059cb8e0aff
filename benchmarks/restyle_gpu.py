"""Restyle speed on a GPU: an img2img pipeline of SD-Turbo's real architecture with random
weights (nothing is downloaded), fp16, 512x512 at 2 steps.

    python benchmarks/restyle_gpu.py [--device cuda] [--size 512] [--runs 5]

Reports the latency of one image at batch 1 and the time per image at batch 8, first as
`memories` runs it (fp16, PyTorch's scaled-dot-product attention) and then with each speed-up
added on top: channels-last memory, torch.compile of the UNet, VAE tiling. The published
anchor is about 69 ms per image for 4 steps on an A100 with ONNX Runtime; the target here is
under 40 ms per image at batch 8 on an H100/H200.

`--device cpu --size 128 --runs 1` checks that the script works on a machine without a GPU
(the figures then mean nothing).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from tiny_diffusion import byte_vocabulary


def sd_turbo_architecture(folder: Path, dtype):
    """SD-Turbo's UNet, VAE and text encoder (SD 2.1 sizes), randomly initialised."""
    import json

    import torch
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionImg2ImgPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    torch.manual_seed(0)
    vocabulary = byte_vocabulary()
    (folder / "vocab.json").write_text(json.dumps(vocabulary))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"),
                              model_max_length=77)  # fmt: skip
    text_encoder = CLIPTextModel(CLIPTextConfig(
        vocab_size=49408, hidden_size=1024, intermediate_size=4096, num_attention_heads=16,
        num_hidden_layers=23, projection_dim=1024, hidden_act="gelu",
        max_position_embeddings=77, bos_token_id=vocabulary["<|startoftext|>"],
        eos_token_id=vocabulary["<|endoftext|>"], pad_token_id=vocabulary["<|endoftext|>"],
    ))  # fmt: skip
    unet = UNet2DConditionModel(
        sample_size=64, in_channels=4, out_channels=4, layers_per_block=2,
        block_out_channels=(320, 640, 1280, 1280), attention_head_dim=(5, 10, 20, 20),
        down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
        up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
        cross_attention_dim=1024, use_linear_projection=True,
    )  # fmt: skip
    vae = AutoencoderKL(
        block_out_channels=(128, 256, 512, 512), layers_per_block=2, latent_channels=4,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
    )  # fmt: skip
    scheduler = EulerDiscreteScheduler(timestep_spacing="trailing")
    pipeline = StableDiffusionImg2ImgPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
        scheduler=scheduler, safety_checker=None, feature_extractor=None,
        requires_safety_checker=False,
    )  # fmt: skip
    pipeline.set_progress_bar_config(disable=True)
    return pipeline.to(dtype=dtype)


def timed(pipeline, images, runs: int, device: str) -> float:
    """Median seconds of `runs` calls, after one warm-up call."""
    import torch

    def call() -> None:
        pipeline(prompt=["watercolor painting"] * len(images), image=images, strength=1.0,
                 num_inference_steps=2, guidance_scale=0.0, output_type="pil")  # fmt: skip

    call()
    seconds = []
    for _ in range(runs):
        if device == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        call()
        if device == "cuda":
            torch.cuda.synchronize()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=8)
    args = parser.parse_args()

    import torch

    dtype = torch.float16 if args.device != "cpu" else torch.float32
    if args.device == "cuda":
        print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}")
    with tempfile.TemporaryDirectory() as scratch:
        pipeline = sd_turbo_architecture(Path(scratch), dtype).to(args.device)
    photo = Image.new("RGB", (args.size, args.size), (180, 120, 70))
    print(f"img2img {args.size}x{args.size}, 2 steps, {dtype}; median of {args.runs} runs")
    speedups = [
        ("as memories runs it (fp16, SDPA)", lambda p: None),
        ("+ channels-last", lambda p: p.unet.to(memory_format=torch.channels_last)),
        ("+ torch.compile(unet)", lambda p: setattr(
            p, "unet", torch.compile(p.unet, mode="max-autotune", fullgraph=True))),
        ("+ VAE tiling", lambda p: p.vae.enable_tiling()),
    ]  # fmt: skip
    for label, apply in speedups:
        apply(pipeline)
        one = timed(pipeline, [photo], args.runs, args.device)
        batch = timed(pipeline, [photo] * args.batch, args.runs, args.device)
        print(f"  {label:<36} batch 1: {one * 1000:7.1f} ms/image   "
              f"batch {args.batch}: {batch / args.batch * 1000:7.1f} ms/image")  # fmt: skip


if __name__ == "__main__":
    main()
