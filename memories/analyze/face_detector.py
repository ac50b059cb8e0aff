"""MTCNN face detection (P-Net, R-Net, O-Net) run through torch: the `mtcnn` package's
networks and pipeline (ipazc's, MIT), built from the weights that ship inside that package, so
that its faces, boxes, scores and five landmarks come out here without TensorFlow, batched
over photos, on torch's CPU kernels or on a GPU.

This module owns the networks (the package's Keras weights laid out for torch), and the
package's pipeline, reproduced as it is written there: the normalisation ((x - 127.5) / 128),
the image pyramid (its scale count; its levels averaged down by OpenCV on the CPU, each from
the one before, where the package uses TensorFlow's area resize: the same faces, boxes within a
few per cent, `tests/test_face_detector.py`), P-Net's proposals (the cell grid, the
regression, the two rounds of suppression), the crops for R-Net and O-Net (TensorFlow's
`crop_and_resize`: bilinear, boxes mapped by (size - 1) / size, samples off the image 0), the
box regression with its +1 sizes, the squaring, the landmarks, the package's suppression (a
box goes when any higher-scoring box overlaps it past the threshold, kept or not) and the final
clipping of boxes to the image.

`mtcnn` itself is never imported (its `__init__` imports TensorFlow): its weight files are
found through `importlib` and read with `joblib`, which the package depends on.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SCALE_FACTOR = 0.709
"""Each level of the image pyramid is this much smaller than the one before."""
WINDOW = 12
"""P-Net's window: a face `min_face` wide is looked for at the scale that makes it this wide."""
THRESHOLDS = (0.6, 0.7, 0.8)
"""Face probability a candidate needs from P-Net, R-Net and O-Net (the package's defaults)."""
NMS_PNET_SCALE, NMS_PNET, NMS_RNET, NMS_ONET = 0.5, 0.7, 0.7, 0.7
"""Overlap past which the package suppresses a box: within each pyramid level, across levels,
after R-Net (these by intersection over union), after O-Net (over the smaller box's area)."""
CHUNKS = {"cpu": (256, 64), "other": (4096, 1024)}
"""Crops run through R-Net and O-Net at a time: on the CPU about 16 MB of activations (more
gains nothing there), on a GPU about 220 and 280 MB."""
NMS_CHUNK = 2048
"""Boxes compared with all earlier ones at a time in the suppression."""
STRIP_BYTES = 4 << 20
"""About the size of P-Net's first feature map over a strip of rows on the CPU (see
`_pnet_strips`)."""
WEIGHT_FILES = ("pnet.lz4", "rnet.lz4", "onet.lz4")


@dataclass(frozen=True, slots=True)
class Detection:
    box: tuple[float, float, float, float]
    """Left, top, right, bottom in the given image's pixels (clipped to the image's first and
    last pixel, as the package clips them; the landmarks are not)."""
    score: float
    """O-Net's face probability."""
    landmarks: tuple[tuple[float, float], ...]
    """Five points (x, y): left eye, right eye, nose, mouth left, mouth right ("left" as seen
    in the image)."""


def weights_dir() -> Path | None:
    """The installed `mtcnn` package's weights folder, found without importing the package."""
    spec = importlib.util.find_spec("mtcnn")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "assets" / "weights"
    return folder if all((folder / name).is_file() for name in WEIGHT_FILES) else None


def pyramid_scales(width: int, height: int, min_face: int) -> list[float]:
    """The pyramid: from the scale that makes a `min_face` face P-Net's window wide, down by
    `SCALE_FACTOR` while the image's short side stays at least the window (the package counts
    its levels from the image alone, as if `min_face` were 20, so that a smaller `min_face`
    stops short of the largest faces and a larger one runs past the smallest level)."""
    scale = WINDOW / min_face
    scales = []
    while min(width, height) * scale >= WINDOW:
        scales.append(scale)
        scale *= SCALE_FACTOR
    return scales


class FaceDetector:
    """The three networks on one device; `detect` takes RGB images."""

    def __init__(self, device: str = "cpu") -> None:
        import joblib

        torch = _torch()
        self.torch = torch
        self.device = torch.device(device)
        folder = weights_dir()
        if folder is None:
            raise FileNotFoundError("the mtcnn package's weights (pip install mtcnn)")
        pnet, rnet, onet = (joblib.load(folder / name) for name in WEIGHT_FILES)
        self.pnet = _pnet_weights(torch, pnet, self.device)
        self.rnet = _dense_net_weights(torch, rnet, self.device, convs=3, heads=(4, 2), side=3)
        self.onet = _dense_net_weights(torch, onet, self.device, convs=4, heads=(4, 10, 2),
                                       side=3)  # fmt: skip
        self._on_cpu = self.device.type == "cpu"
        self._chunks = CHUNKS["cpu" if self._on_cpu else "other"]
        self.pad_batches = not self._on_cpu
        """Whether P-Net runs each pyramid level of all the images as one batch, their maps
        padded to the largest (on a GPU, where fewer and larger batches pay), or image by image
        in strips of rows (on the CPU, where the cache is what pays). Both give the same."""

    def detect(self, images: list[np.ndarray], min_face: int = 20) -> list[list[Detection]]:
        """Faces in each RGB uint8 image (H, W, 3); images may differ in size. Each pyramid
        level runs through P-Net for all the images (together where `pad_batches`), and R-Net
        and O-Net see the candidates of all the images at once, in chunks. Each image's faces
        come highest score first; faces smaller than `min_face` pixels are not looked for."""
        if not images:
            return []
        torch = self.torch
        with torch.inference_mode(), _full_float32(torch, self._on_cpu):
            prepared = [self._prepare(image) for image in images]
            boxes = self._propose(prepared, min_face)
            boxes = self._refine(prepared, boxes)
            found = self._output(prepared, boxes)
        return [_detections(rows) for rows in found]

    # -- the image --------------------------------------------------------------------------

    def _prepare(self, image: np.ndarray) -> _Prepared:
        torch = self.torch
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an RGB uint8 image (H, W, 3), got {image.shape} "
                             f"{image.dtype}")  # fmt: skip
        image = np.ascontiguousarray(image)
        if not image.flags.writeable:
            image = image.copy()  # torch wants a writable array, even to read it
        # the CPU crops and averages the image as it is; a GPU wants it there, as floats
        pixels = None if self._on_cpu else torch.from_numpy(image).to(self.device).float()
        return _Prepared(image, pixels, image.shape[0], image.shape[1])

    def _pyramid(self, image: _Prepared, sizes: list[tuple[int, int]]) -> list[Any]:
        """The image averaged down to each (height, width), largest first (each output pixel
        the mean of the input over its footprint, as TensorFlow's area resize in the package),
        normalised, as channels-last (1, 3, height, width) batches. On the CPU with OpenCV,
        each level from the one before (a sixth of the work of each from the image); on a GPU
        with torch's adaptive average pool, each from the image."""
        torch = self.torch
        levels = []
        if self._on_cpu:
            import cv2

            current = image.array
            for height, width in sizes:
                while current.shape[0] >= 2 * height and current.shape[1] >= 2 * width:
                    # whole halvings first: OpenCV's fast path for integer factors
                    current = cv2.resize(current, (current.shape[1] // 2, current.shape[0] // 2),
                                         interpolation=cv2.INTER_AREA)  # fmt: skip
                current = cv2.resize(current, (width, height), interpolation=cv2.INTER_AREA)
                levels.append(torch.from_numpy(current).float().unsqueeze(0).permute(0, 3, 1, 2))
        else:
            assert image.pixels is not None
            source = image.pixels.unsqueeze(0).permute(0, 3, 1, 2)
            levels = [torch.nn.functional.interpolate(source, size=size, mode="area")
                      for size in sizes]  # fmt: skip
        return [((x - 127.5) / 128).contiguous(memory_format=torch.channels_last)
                for x in levels]  # fmt: skip

    # -- stage 1: P-Net over the pyramid ------------------------------------------------------

    def _propose(self, images: list[_Prepared], min_face: int) -> list[Any]:
        """P-Net's candidates for each image, after the package's two rounds of suppression,
        squared: (n, 5) float64 rows of x1, y1, x2, y2, score."""
        torch = self.torch
        scales = []
        pyramids = []
        for image in images:
            usable = [scale for scale in pyramid_scales(image.width, image.height, min_face)
                      if _cells(min(int(image.height * scale), int(image.width * scale))) >= 1]
            # P-Net has no cell on smaller levels (the package fails on some such sizes)
            scales.append(usable)
            sizes = [(int(image.height * scale), int(image.width * scale)) for scale in usable]
            pyramids.append(self._pyramid(image, sizes))
        per_level: list[list[Any]] = [[] for _ in images]
        for level in range(max(map(len, scales), default=0)):
            batch = [(index, scales[index][level], pyramids[index][level])
                     for index in range(len(images)) if level < len(scales[index])]  # fmt: skip
            for index, found in self._pnet_level(batch):
                keep = _nms(torch, found[:, :4], NMS_PNET_SCALE, "union", NMS_CHUNK)
                per_level[index].append(found[keep])
        proposals: list[Any] = []
        for levels in per_level:
            if not levels:
                proposals.append(None)
                continue
            found = _sorted(torch, torch.cat(levels))
            found = found[_nms(torch, found[:, :4], NMS_PNET, "union", NMS_CHUNK)]
            proposals.append(_square(found) if len(found) else None)
        return proposals

    def _pnet_level(self, batch: list[tuple[int, float, Any]]) -> list[tuple[int, Any]]:
        """P-Net on one pyramid level of several images: each image's candidates scored past
        the threshold, in its pixels, by score. On the CPU each image runs alone, in strips of
        rows that stay in the cache through all the layers; on a GPU the images run together,
        their first pooled maps padded to the largest (so that no image's cells see another's
        padding: that is the only layer where an image's edge is special)."""
        torch = self.torch
        weights = self.pnet
        results: list[tuple[int, Any]] = []
        if not self.pad_batches:
            for index, scale, x in batch:
                cells, out = _pnet_strips(torch, weights, x)
                found = _pnet_boxes(torch, cells, out, scale)
                if found is not None:
                    results.append((index, found))
            return results
        if not batch:
            return results
        pooled = [_pnet_pooled(torch, weights, x) for _, _, x in batch]
        rows = max(p.shape[2] for p in pooled)
        cols = max(p.shape[3] for p in pooled)
        functional = torch.nn.functional
        x = torch.cat([functional.pad(p, (0, cols - p.shape[3], 0, rows - p.shape[2]))
                       for p in pooled]).contiguous(memory_format=torch.channels_last)  # fmt: skip
        features = _pnet_features(torch, weights, x)
        for slot, (index, scale, image) in enumerate(batch):
            height, width = _cells(image.shape[2]), _cells(image.shape[3])
            cells, out = _pnet_heads(torch, weights, features[slot : slot + 1, :height, :width])
            found = _pnet_boxes(torch, cells, out, scale)
            if found is not None:
                results.append((index, found))
        return results

    # -- stages 2 and 3: R-Net and O-Net on crops ----------------------------------------------

    def _refine(self, images: list[_Prepared], proposals: list[Any]) -> list[Any]:
        """R-Net on P-Net's squares: boxes moved by its regression, kept past its threshold,
        suppressed, squared."""
        torch = self.torch
        outputs = self._run_on_crops(images, proposals, 24, self._chunks[0], self._rnet)
        refined: list[Any] = []
        for boxes, output in zip(proposals, outputs, strict=True):
            if boxes is None:
                refined.append(None)
                continue
            regression, probability = output[:, :4], output[:, 4]
            boxes = torch.cat([_regressed(boxes, regression), probability[:, None]], 1)
            boxes = _sorted(torch, boxes[boxes[:, 4] > THRESHOLDS[1]])
            boxes = boxes[_nms(torch, boxes[:, :4], NMS_RNET, "union", NMS_CHUNK)]
            refined.append(_square(boxes) if len(boxes) else None)
        return refined

    def _output(self, images: list[_Prepared], proposals: list[Any]) -> list[Any]:
        """O-Net on R-Net's squares: (n, 15) float64 rows of the box (clipped to the image),
        the score, and the landmarks' x then y."""
        torch = self.torch
        outputs = self._run_on_crops(images, proposals, 48, self._chunks[1], self._onet)
        found: list[Any] = []
        for image, boxes, output in zip(images, proposals, outputs, strict=True):
            if boxes is None:
                found.append(None)
                continue
            regression, points, probability = output[:, :4], output[:, 4:14], output[:, 14]
            width = (boxes[:, 2] - boxes[:, 0] + 1)[:, None]
            height = (boxes[:, 3] - boxes[:, 1] + 1)[:, None]
            xs = width * points[:, :5] + boxes[:, 0:1] - 1
            ys = height * points[:, 5:] + boxes[:, 1:2] - 1
            rows = torch.cat([_regressed(boxes, regression), probability[:, None], xs, ys], 1)
            rows = _sorted(torch, rows[rows[:, 4] > THRESHOLDS[2]])
            rows = rows[_nms(torch, rows[:, :4], NMS_ONET, "min", NMS_CHUNK)]
            rows[:, 0:4:2] = rows[:, 0:4:2].clamp(0, image.width - 1)
            rows[:, 1:4:2] = rows[:, 1:4:2].clamp(0, image.height - 1)
            found.append(rows)
        return found

    def _run_on_crops(self, images: list[_Prepared], boxes: list[Any], size: int, chunk: int,
                      network: Any) -> list[Any]:  # fmt: skip
        """A network's outputs (float64) for the crops of all images' boxes, run together in
        chunks, split back per image."""
        torch = self.torch
        crops = [_crops(torch, image, b, size) for image, b in zip(images, boxes, strict=True)
                 if b is not None]  # fmt: skip
        if not crops:
            return [None] * len(images)
        everything = torch.cat(crops)
        outputs = torch.cat([network(everything[start:start + chunk])
                             for start in range(0, len(everything), chunk)]).double()  # fmt: skip
        split = iter(torch.split(outputs, [len(c) for c in crops]))
        return [next(split) if b is not None else None for b in boxes]

    def _rnet(self, x: Any) -> Any:
        """R-Net on (n, 3, 24, 24) normalised crops: (n, 5) regression and face probability."""
        w = self.rnet
        x = self._trunk(w, x, pools=((3, 2, True), (3, 2, False)))
        probability = self.torch.softmax(_linear(self.torch, w, x, "head1"), 1)
        return self.torch.cat([_linear(self.torch, w, x, "head0"), probability[:, 1:]], 1)

    def _onet(self, x: Any) -> Any:
        """O-Net on (n, 3, 48, 48) normalised crops: (n, 15) regression, landmarks and face
        probability."""
        torch, w = self.torch, self.onet
        x = self._trunk(w, x, pools=((3, 2, True), (3, 2, False), (2, 2, True)))
        probability = torch.softmax(_linear(torch, w, x, "head2"), 1)
        return torch.cat([_linear(torch, w, x, "head0"), _linear(torch, w, x, "head1"),
                          probability[:, 1:]], 1)  # fmt: skip

    def _trunk(self, w: dict[str, Any], x: Any, pools: tuple[tuple[int, int, bool], ...]) -> Any:
        """R-Net's or O-Net's trunk: a convolution and PReLU per layer, max-pooled after
        each but the last as `pools` says (kernel, stride, ceil), then the fully connected
        layer both heads read."""
        torch = self.torch
        functional = torch.nn.functional
        x = x.contiguous(memory_format=torch.channels_last)
        for layer, (kernel, stride, ceil) in enumerate(pools, 1):
            x = functional.max_pool2d(_conv_prelu(torch, w, x, layer), kernel, stride,
                                      ceil_mode=ceil)  # fmt: skip
        x = _conv_prelu(torch, w, x, len(pools) + 1).contiguous().flatten(1)
        return functional.prelu(_linear(torch, w, x, "fc"), w["fc_prelu"])


@dataclass(frozen=True, slots=True)
class _Prepared:
    """An image as given (H, W, 3 uint8) and, on a GPU, there as floats."""

    array: np.ndarray
    pixels: Any | None
    height: int
    width: int


@functools.cache
def face_detector(device: str = "cpu") -> FaceDetector:
    """The detector on `device`, loaded once per process from the mtcnn package's weights."""
    return FaceDetector(device)


# -- weights ---------------------------------------------------------------------------------


def _conv(torch: Any, kernel: np.ndarray, device: Any) -> Any:
    """A Keras kernel (kh, kw, in, out) as torch's (out, in, kh, kw)."""
    return torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))).to(device)


def _vector(torch: Any, values: np.ndarray, device: Any) -> Any:
    """A bias, or a PReLU's slopes (shared over rows and columns: one per channel)."""
    return torch.from_numpy(np.ascontiguousarray(values.reshape(-1))).to(device)


def _pnet_weights(torch: Any, arrays: list[np.ndarray], device: Any) -> dict[str, Any]:
    weights = _conv_weights(torch, arrays, device, 3)
    # the two 1x1 heads (regression, 2-way softmax) as one (32, 6) matrix
    regression, regression_bias, classes, classes_bias = arrays[9:13]
    head = np.concatenate([regression[0, 0], classes[0, 0]], 1)
    weights["head"] = torch.from_numpy(np.ascontiguousarray(head)).to(device)
    weights["head_bias"] = torch.from_numpy(np.concatenate([regression_bias, classes_bias]))
    weights["head_bias"] = weights["head_bias"].to(device)
    # face minus not-face logit: what the threshold is first tested on, at every cell
    weights["logit"] = weights["head"][:, 5] - weights["head"][:, 4]
    weights["logit_bias"] = float(classes_bias[1] - classes_bias[0])
    return weights


def _conv_weights(torch: Any, arrays: list[np.ndarray], device: Any, layers: int
                  ) -> dict[str, Any]:  # fmt: skip
    """The convolutions' kernels, biases and PReLU slopes. A layer whose channels are not a
    multiple of 16 (P-Net's 10, R-Net's 28) gets zero channels up to one, and the next layer
    zero inputs for them: oneDNN's kernels run twice as fast on such counts, and the zero
    channels stay zero through the PReLU and the pool."""
    weights = {}
    padding = 0
    for layer in range(layers):
        kernel, bias, slopes = arrays[3 * layer : 3 * layer + 3]
        kernel = np.pad(kernel, ((0, 0), (0, 0), (0, padding), (0, 0)))
        outputs = kernel.shape[3]
        padding = -outputs % 16 if layer < layers - 1 else 0
        kernel = np.pad(kernel, ((0, 0), (0, 0), (0, 0), (0, padding)))
        weights[f"conv{layer + 1}"] = _conv(torch, kernel, device)
        weights[f"bias{layer + 1}"] = _vector(torch, np.pad(bias.reshape(-1), (0, padding)), device)
        weights[f"prelu{layer + 1}"] = _vector(torch, np.pad(slopes.reshape(-1), (0, padding)),
                                               device)  # fmt: skip
    return weights


def _dense_net_weights(torch: Any, arrays: list[np.ndarray], device: Any, convs: int,
                       heads: tuple[int, ...], side: int) -> dict[str, Any]:  # fmt: skip
    """R-Net's or O-Net's weights. Their Keras models permute the last feature map to
    (columns, rows, channels) before flattening it; the first dense layer's rows are put in
    torch's (channels, rows, columns) order instead, so that a plain flatten feeds it."""
    weights = _conv_weights(torch, arrays, device, convs)
    dense, dense_bias, dense_slopes = arrays[3 * convs : 3 * convs + 3]
    channels = dense.shape[0] // (side * side)
    dense = (
        dense.reshape(side, side, channels, -1).transpose(3, 2, 1, 0).reshape(-1, dense.shape[0])
    )
    weights["fc"] = torch.from_numpy(np.ascontiguousarray(dense)).to(device)
    weights["fc_bias"] = _vector(torch, dense_bias, device)
    weights["fc_prelu"] = _vector(torch, dense_slopes, device)
    rest = arrays[3 * convs + 3 :]
    for index, outputs in enumerate(heads):
        kernel, bias = rest[2 * index : 2 * index + 2]
        assert kernel.shape[1] == outputs
        weights[f"head{index}"] = torch.from_numpy(np.ascontiguousarray(kernel.T)).to(device)
        weights[f"head{index}_bias"] = _vector(torch, bias, device)
    return weights


# -- the networks' pieces --------------------------------------------------------------------


def _linear(torch: Any, w: dict[str, Any], x: Any, name: str) -> Any:
    """The fully connected layer `name` of a network's weights."""
    return torch.nn.functional.linear(x, w[name], w[f"{name}_bias"])


def _conv_prelu(torch: Any, weights: dict[str, Any], x: Any, layer: int) -> Any:
    functional = torch.nn.functional
    x = functional.conv2d(x, weights[f"conv{layer}"], weights[f"bias{layer}"])
    return functional.prelu(x, weights[f"prelu{layer}"])


def _pool2_ceil(torch: Any, x: Any) -> Any:
    """2x2 max pooling, stride 2, a last odd row or column pooled alone (Keras' "same"), as
    maxima of strided views (several times faster than max_pool2d on the CPU)."""
    rows, cols = x.shape[2], x.shape[3]
    if rows % 2:
        x = torch.cat([x, x[:, :, -1:]], 2)
    x = torch.maximum(x[:, :, 0::2], x[:, :, 1::2])
    if cols % 2:
        x = torch.cat([x, x[:, :, :, -1:]], 3)
    return torch.maximum(x[:, :, :, 0::2], x[:, :, :, 1::2])


def _pnet_pooled(torch: Any, weights: dict[str, Any], x: Any) -> Any:
    """P-Net's first convolution, PReLU and pool on a (n, 3, h, w) batch."""
    functional = torch.nn.functional
    y = functional.conv2d(x, weights["conv1"], weights["bias1"])
    return _pool2_ceil(torch, functional.prelu(y, weights["prelu1"]))


def _pnet_strips(torch: Any, weights: dict[str, Any], x: Any) -> tuple[Any, Any]:
    """P-Net on one (1, 3, h, w) image in strips of cell rows, each strip from its own rows of
    the image (ten more than twice its cells, about 4% more work in all): the whole image's
    maps would be tens of MB, slow to allocate and to walk through, where a strip's stay in the
    cache. The same cells and outputs as `_pnet_heads` on the whole image."""
    rows = _cells(x.shape[2])
    step = max(1, STRIP_BYTES // (128 * x.shape[3]))
    found = []
    for start in range(0, rows, step):
        stop = min(start + step, rows)
        # the last strip runs to the image's edge, where the pool may take a row alone
        end = 2 * stop + 10 if stop < rows else x.shape[2]
        pooled = _pnet_pooled(torch, weights, x[:, :, 2 * start : end])
        cells, out = _pnet_heads(torch, weights, _pnet_features(torch, weights, pooled))
        cells[:, 1] += start
        found.append((cells, out))
    if len(found) == 1:
        return found[0]
    return torch.cat([c for c, _ in found]), torch.cat([o for _, o in found])


def _cells(size: int) -> int:
    """P-Net's cells along a side of `size` pixels: 3x3 convolution, 2x2 "same" pool, two
    3x3 convolutions (so 11 pixels give one cell, its window one pixel past the edge)."""
    return (size - 2 + 1) // 2 - 4


def _pnet_features(torch: Any, weights: dict[str, Any], pooled: Any) -> Any:
    """P-Net after its first pool: (n, rows, cols, 32) features for the heads."""
    x = _conv_prelu(torch, weights, pooled.contiguous(memory_format=torch.channels_last), 2)
    x = _conv_prelu(torch, weights, x, 3)
    return x.permute(0, 2, 3, 1)


def _pnet_heads(torch: Any, weights: dict[str, Any], features: Any) -> tuple[Any, Any]:
    """The cells (image, row, column) whose face probability passes P-Net's threshold, in
    row-major order, and the heads' six outputs there (regression, two logits). The logit
    difference, one number a cell, picks them (with a margin: the softmax decides)."""
    logit = features @ weights["logit"] + weights["logit_bias"]
    threshold = math.log(THRESHOLDS[0] / (1 - THRESHOLDS[0])) - 1e-3
    cells = torch.nonzero(logit > threshold)
    out = features[cells[:, 0], cells[:, 1], cells[:, 2]] @ weights["head"] + weights["head_bias"]
    return cells, out


def _pnet_boxes(torch: Any, cells: Any, out: Any, scale: float) -> Any:
    """One image's P-Net candidates as the package builds them: the cell's 12-pixel window
    (x from 2 * column + 1 to 2 * column + 12), moved by the regression times 11, divided by
    the scale; (n, 5) float64 rows with the score, highest first. None if there are none."""
    probability = torch.softmax(out[:, 4:6], 1)[:, 1]
    keep = probability > THRESHOLDS[0]
    if not bool(keep.any()):
        return None
    cells, out, probability = cells[keep], out[keep].double(), probability[keep].double()
    y = (cells[:, 1] * 2).double()
    x = (cells[:, 2] * 2).double()
    boxes = torch.stack([x + 1 + out[:, 0] * 11, y + 1 + out[:, 1] * 11,
                         x + 12 + out[:, 2] * 11, y + 12 + out[:, 3] * 11], 1) / scale  # fmt: skip
    return _sorted(torch, torch.cat([boxes, probability[:, None]], 1))


# -- boxes -----------------------------------------------------------------------------------


def _sorted(torch: Any, rows: Any) -> Any:
    """Rows by score (column 4), highest first, as the package sorts them: numpy's default
    argsort, reversed. Equal scores are common (P-Net's probability saturates at 1.0 in
    float32) and the suppression keeps the first of them, so their order is numpy's own; the
    scores are a few hundred numbers, cheap to sort on the CPU."""
    order = np.argsort(rows[:, 4].cpu().numpy())[::-1].copy()
    return rows[torch.from_numpy(order).to(rows.device)]


def _nms(torch: Any, boxes: Any, threshold: float, method: str, chunk: int) -> Any:
    """The package's suppression of boxes sorted by score: a box goes when any box before it
    overlaps it by more than `threshold`, whether that box is kept or not (its IoU matrix's
    upper triangle, not greedy NMS), overlap over the union or over the smaller area. A mask
    of the kept boxes."""
    count = len(boxes)
    keep = torch.ones(count, dtype=torch.bool, device=boxes.device)
    if count < 2:
        return keep
    x1, y1, x2, y2 = boxes.unbind(1)
    area = (x2 - x1) * (y2 - y1)
    for start in range(1, count, chunk):
        stop = min(start + chunk, count)
        # boxes start..stop against every box before stop; earlier ones only count
        width = (
            torch.minimum(x2[:stop, None], x2[None, start:stop])
            - torch.maximum(x1[:stop, None], x1[None, start:stop])
        ).clamp(min=0)
        height = (
            torch.minimum(y2[:stop, None], y2[None, start:stop])
            - torch.maximum(y1[:stop, None], y1[None, start:stop])
        ).clamp(min=0)
        inter = width * height
        if method == "union":
            overlap = inter / (area[:stop, None] + area[None, start:stop] - inter)
        else:
            overlap = inter / torch.minimum(area[:stop, None], area[None, start:stop])
        earlier = torch.arange(stop, device=boxes.device)[:, None] < torch.arange(
            start, stop, device=boxes.device)[None, :]  # fmt: skip
        keep[start:stop] = ~((overlap > threshold) & earlier).any(0)
    return keep


def _square(rows: Any) -> Any:
    """Boxes grown to squares on the same centre, sides the larger of width and height."""
    rows = rows.clone()
    width = rows[:, 2] - rows[:, 0]
    height = rows[:, 3] - rows[:, 1]
    side = width.maximum(height)
    rows[:, 0] += width * 0.5 - side * 0.5
    rows[:, 1] += height * 0.5 - side * 0.5
    rows[:, 2] = rows[:, 0] + side
    rows[:, 3] = rows[:, 1] + side
    return rows


def _regressed(rows: Any, regression: Any) -> Any:
    """Boxes moved by a network's regression, in units of the box's size plus one."""
    width = rows[:, 2] - rows[:, 0] + 1
    height = rows[:, 3] - rows[:, 1] + 1
    sizes = rows[:, :4].new_empty(len(rows), 4)
    sizes[:, 0::2] = width[:, None]
    sizes[:, 1::2] = height[:, None]
    return rows[:, :4] + regression * sizes


def _detections(rows: Any) -> list[Detection]:
    if rows is None:
        return []
    values = rows.cpu().numpy().tolist()
    return [Detection(box=(row[0], row[1], row[2], row[3]), score=row[4],
                      landmarks=tuple(zip(row[5:10], row[10:15], strict=True)))
            for row in values]  # fmt: skip


# -- resampling ------------------------------------------------------------------------------


def _crops(torch: Any, image: _Prepared, boxes: Any, size: int) -> Any:
    """TensorFlow's crop_and_resize of the normalised image to size x size per box, as the
    package calls it: the box divided by the image's size, which crop_and_resize multiplies
    by size - 1; bilinear samples, 0 for samples off the image. On the CPU each crop is an
    affine warp of the image as it is (OpenCV), on a GPU one grid sample of them all."""
    if image.pixels is None:
        return _crops_on_cpu(torch, image, boxes, size)
    functional = torch.nn.functional
    height, width = image.height, image.width
    sizes = torch.tensor([width, height, width, height], dtype=boxes.dtype, device=boxes.device)
    normalised = (boxes[:, :4] / sizes).float()
    steps = torch.arange(size, dtype=torch.float32, device=boxes.device)

    def samples(low: Any, high: Any, extent: int) -> Any:
        step = (high - low) * (extent - 1) / (size - 1)
        return low[:, None] * (extent - 1) + steps[None, :] * step[:, None]

    xs = samples(normalised[:, 0], normalised[:, 2], width)
    ys = samples(normalised[:, 1], normalised[:, 3], height)
    inside = (((ys >= 0) & (ys <= height - 1))[:, :, None]
              & ((xs >= 0) & (xs <= width - 1))[:, None, :])  # fmt: skip
    count = len(boxes)
    grid = torch.stack([
        (xs * (2 / max(width - 1, 1)) - 1)[:, None, :].expand(count, size, size),
        (ys * (2 / max(height - 1, 1)) - 1)[:, :, None].expand(count, size, size),
    ], 3).reshape(1, count * size, size, 2)  # fmt: skip
    source = image.pixels.unsqueeze(0).permute(0, 3, 1, 2)
    sampled = functional.grid_sample(source, grid, mode="bilinear", padding_mode="border",
                                     align_corners=True)  # fmt: skip
    sampled = sampled.view(3, count, size, size).permute(1, 0, 2, 3)
    return (sampled - 127.5) / 128 * inside[:, None]


def _crops_on_cpu(torch: Any, image: _Prepared, boxes: Any, size: int) -> Any:
    import cv2

    height, width = image.height, image.width
    scale = np.array([(width - 1) / width, (height - 1) / height] * 2)
    crops = np.empty((len(boxes), size, size, 3), np.uint8)
    for index, (left, top, right, bottom) in enumerate(boxes[:, :4].cpu().numpy() * scale):
        # output pixel (column j, row i) samples the image at (left + j * step, top + i * step)
        warp = np.array([[(right - left) / (size - 1), 0, left],
                         [0, (bottom - top) / (size - 1), top]])  # fmt: skip
        cv2.warpAffine(image.array, warp, (size, size), crops[index],
                       flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                       borderMode=cv2.BORDER_CONSTANT, borderValue=(128, 128, 128))  # fmt: skip
    sampled = torch.from_numpy(crops).permute(0, 3, 1, 2).float()
    return (sampled - 127.5) / 128


@contextlib.contextmanager
def _full_float32(torch: Any, on_cpu: bool) -> Iterator[None]:
    """cuDNN's convolutions (and cuBLAS's matrix products) in full float32 for the while: on
    recent GPUs torch lets cuDNN round convolutions' inputs to TF32 by default, which moves
    P-Net's probabilities by about 1e-3, enough to change which candidates pass."""
    if on_cpu:
        yield
        return
    conv, matmul = torch.backends.cudnn, torch.backends.cuda.matmul
    flags: list[tuple[Any, str, object]]
    if hasattr(conv, "conv") and hasattr(conv.conv, "fp32_precision"):
        flags = [(conv.conv, "fp32_precision", "ieee"), (matmul, "fp32_precision", "ieee")]
    else:  # torch before 2.9
        flags = [(conv, "allow_tf32", False), (matmul, "allow_tf32", False)]
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in flags]
    try:
        for owner, name, value in flags:
            setattr(owner, name, value)
        yield
    finally:
        for owner, name, value in saved:
            setattr(owner, name, value)


def _torch() -> Any:
    import torch

    return torch
