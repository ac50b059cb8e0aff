"""dlib's face encoder (the ResNet behind `face_recognition_model_v1`) run through torch: the
same network, built from the same weights file, so its 128 numbers are dlib's own (tested
against dlib on real faces), but batched, on torch's fast CPU kernels or on a GPU.

The weights file is read as dlib wrote it: each layer's parameters follow its name ("con_4",
"affine_", "fc_2"), in the network's forward order, as a tensor header (version and four
sizes, dlib's variable-length integers) and little-endian float32s.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

CHIP_SIZE = 150
CHIP_PADDING = 0.25
"""The aligned face crop dlib's encoder reads (dlib.get_face_chip's size and padding)."""
CHANNEL_MEANS = (122.782, 117.001, 104.298)
"""What dlib's input layer subtracts from red, green and blue before dividing by 256."""
LEVELS = [(32, 3, False), (64, 4, True), (128, 3, True), (256, 3, True), (256, 1, True)]
"""The network's residual levels: channels, blocks, whether the first block halves the size."""


@dataclass(frozen=True, slots=True)
class _Conv:
    weight: np.ndarray
    bias: np.ndarray
    stride: int
    padding: int


def read_dlib_weights(path: Path) -> tuple[list[_Conv], list[np.ndarray], np.ndarray]:
    """The convolutions, the per-channel affine (scale, shift) pairs and the final matrix."""
    data = Path(path).read_bytes()
    convs, affines, final = [], [], None
    for match in re.finditer(rb"\x05con_4|\x07affine_|\x04fc_2", data):
        at = match.end()
        if match.group() == b"\x04fc_2":
            outputs, at = _integer(data, at)
            inputs, at = _integer(data, at)
            values, at = _tensor(data, at)
            final = values.reshape(inputs, outputs)
            continue
        values, at = _tensor(data, at)
        if match.group() == b"\x07affine_":
            affines.append(values.reshape(2, -1))
            continue
        filters, at = _integer(data, at)
        rows, at = _integer(data, at)
        cols, at = _integer(data, at)
        stride, at = _integer(data, at)
        _, at = _integer(data, at)
        padding, at = _integer(data, at)
        weight = values[: values.size - filters].reshape(filters, -1, rows, cols)
        convs.append(_Conv(weight, values[-filters:], stride, padding))
    if final is None or len(convs) != 29 or len(affines) != 29:
        raise ValueError(f"{path} is not dlib's face recognition ResNet")
    return convs, affines, final


def _integer(data: bytes, at: int) -> tuple[int, int]:
    """dlib's variable-length integer: a byte with the sign (0x80) and the length, then the
    value's bytes, least significant first."""
    head = data[at]
    length = head & 0x0F
    value = int.from_bytes(data[at + 1 : at + 1 + length], "little")
    return (-value if head & 0x80 else value), at + 1 + length


def _tensor(data: bytes, at: int) -> tuple[np.ndarray, int]:
    version, at = _integer(data, at)
    if version != 2:
        raise ValueError(f"unknown dlib tensor version {version}")
    size = 1
    for _ in range(4):
        dimension, at = _integer(data, at)
        size *= dimension
    values = np.frombuffer(data, dtype="<f4", count=size, offset=at).astype(np.float32)
    return values, at + 4 * size


class FaceEncoder:
    """The encoder as a torch module on one device; `encode` takes face chips."""

    def __init__(self, weights: Path, device: str = "cpu") -> None:
        torch = _torch()
        self.device = device
        self.torch = torch
        convs, affines, final = read_dlib_weights(weights)
        self.network = _build(torch, convs, affines, final).to(device).eval()

    def encode(self, chips: list[np.ndarray]) -> np.ndarray:
        """128 numbers per 150x150 RGB chip (uint8), as dlib's `compute_face_descriptor`."""
        if not chips:
            return np.zeros((0, 128), dtype=np.float32)
        torch = self.torch
        batch = torch.from_numpy(np.stack(chips)).to(self.device).permute(0, 3, 1, 2).float()
        means = torch.tensor(CHANNEL_MEANS, device=self.device).view(1, 3, 1, 1)
        with torch.inference_mode():
            encodings = self.network((batch - means) / 256)
        return encodings.float().cpu().numpy()


def _build(torch: Any, convs: list[_Conv], affines: list[np.ndarray], final: np.ndarray) -> Any:
    nn = torch.nn
    functional = torch.nn.functional
    layers = iter(zip(convs, affines, strict=True))

    def conv_affine() -> Any:
        conv, affine = next(layers)
        module = nn.Conv2d(conv.weight.shape[1], conv.weight.shape[0], conv.weight.shape[2],
                           stride=conv.stride, padding=conv.padding)  # fmt: skip
        # the affine (a batch norm folded by dlib) folded again, into the convolution
        scale, shift = affine
        module.weight.data = torch.from_numpy(conv.weight * scale[:, None, None, None])
        module.bias.data = torch.from_numpy(conv.bias * scale + shift)
        return module

    class Block(nn.Module):  # type: ignore[misc,name-defined]
        """Two 3x3 convolutions and the input added back (averaged down when it shrinks;
        dlib adds tensors of unequal size by padding the smaller with zeros)."""

        def __init__(self, down: bool) -> None:
            super().__init__()
            self.down = down
            self.first, self.second = conv_affine(), conv_affine()

        def forward(self, x: Any) -> Any:
            out = self.second(functional.relu(self.first(x)))
            skip = functional.avg_pool2d(x, 2, 2) if self.down else x
            return functional.relu(_add_padded(functional, out, skip))

    class Network(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.stem = conv_affine()
            self.blocks = nn.Sequential(*[
                Block(down and index == 0)
                for _, count, down in LEVELS
                for index in range(count)
            ])  # fmt: skip
            self.final = nn.Linear(final.shape[0], final.shape[1], bias=False)
            self.final.weight.data = torch.from_numpy(np.ascontiguousarray(final.T))

        def forward(self, x: Any) -> Any:
            x = functional.max_pool2d(functional.relu(self.stem(x)), 3, 2)
            x = self.blocks(x)
            return self.final(x.mean(dim=(2, 3)))

    return Network()


def _add_padded(functional: Any, a: Any, b: Any) -> Any:
    """a + b where either may have fewer channels, rows or columns: the missing ones are 0."""
    channels = max(a.shape[1], b.shape[1])
    rows, cols = max(a.shape[2], b.shape[2]), max(a.shape[3], b.shape[3])

    def grown(t: Any) -> Any:
        missing = (0, cols - t.shape[3], 0, rows - t.shape[2], 0, channels - t.shape[1])
        return functional.pad(t, missing) if any(missing) else t

    return grown(a) + grown(b)


@functools.cache
def face_encoder(device: str = "cpu") -> FaceEncoder:
    """The encoder on `device`, loaded once per process from face_recognition_models."""
    import face_recognition_models as files

    return FaceEncoder(Path(files.face_recognition_model_location()), device)


def _torch() -> Any:
    import torch

    return torch
