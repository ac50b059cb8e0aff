"""How well faces are grouped into people, against labelled photos (folder name = person).

    python benchmarks/faces_eval.py [--faces ../shared/devdata/faces] [--variants] [--hard]
                                    [--device auto|cpu|cuda|dlib]

Finds faces with our face stage (the largest face of each photo is the labelled person),
then groups the encodings with several methods and scores each against the labels:
  - pairwise precision/recall/F1: over all pairs of faces, is "same person" right?
  - BCubed precision/recall/F: per face, how much of its cluster is its person, and how much
    of its person is in its cluster (a lone unassigned face is a cluster of its own).
Methods: ours (average linkage under a distance cap, with the minimum size of a new person),
the same at other caps, complete linkage, chinese whispers (dlib), DBSCAN with a core count,
and the baseline: face_recognition-style DBSCAN at the model's 0.6 threshold.
--variants adds flipped, cropped, recoloured and scaled copies of every photo; --hard adds
degraded ones (blurred twice as much and more, shrunk, half hidden), where a face that cannot be
trusted must not glue people together: ours is scored as it groups (blurred, small and turned
faces do not vote: `analyze.people.trusted`) and with every face voting. --device chooses the
face engine (`face_device`), so that the engines can be compared on the same faces.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from memories.analyze.faces import FaceEngine, find_faces, pick_engine
from memories.analyze.people import CLUSTER_DISTANCE, MIN_FACES, cluster, trusted
from memories.model import Face, FileEntry, KnownFace, Photo
from memories.scan.metadata import read_media

DEVDATA_FACES = Path(__file__).resolve().parents[2] / "shared" / "devdata" / "faces"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=Path, default=DEVDATA_FACES)
    parser.add_argument("--variants", action="store_true")
    parser.add_argument("--hard", action="store_true")
    parser.add_argument("--device", default="auto", help="the face engine: auto, cpu, cuda, dlib")
    args = parser.parse_args()

    engine = pick_engine(args.device)
    print(f"faces by {engine.describe()}")
    encodings, labels, missed, voting = encode_labelled(args.faces, args.variants, args.hard,
                                                        engine)  # fmt: skip
    extra = " (with variants)" if args.variants else ""
    extra += " (with degraded copies)" if args.hard else ""
    print(
        f"{len(labels)} faces of {len(set(labels))} people from {args.faces}{extra}; "
        f"no face found in {missed} photos; {int((~voting).sum())} faces too blurred, small "
        f"or turned to vote\n"
    )
    truth = np.array([sorted(set(labels)).index(label) for label in labels])
    print(f"{'method':44} {'pair P':>7} {'pair R':>7} {'pair F1':>7} {'BCubed F':>8} {'people':>6}")
    gated = "ours, untrusted faces left out"
    every = {gated: lambda e: trusted_only(e, voting), **methods()}
    for name, method in every.items():
        predicted = method(encodings)
        pair = pairwise_scores(truth, predicted)
        bcubed = bcubed_f(truth, predicted)
        print(
            f"{name:44} {pair[0]:7.3f} {pair[1]:7.3f} {pair[2]:7.3f} {bcubed:8.3f} "
            f"{len(set(predicted.tolist())):6d}"
        )


def methods() -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    ours = f"ours: average linkage < {CLUSTER_DISTANCE}, new person >= {MIN_FACES}"
    found: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        ours: lambda e: average_linkage(e, CLUSTER_DISTANCE, MIN_FACES),
        "baseline: DBSCAN eps 0.6 (face_recognition)": lambda e: dbscan(e, 0.6, 1),
    }
    for cap in (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7):
        found[f"average linkage < {cap}"] = lambda e, cap=cap: average_linkage(e, cap, 1)
    for cap in (0.5, 0.6, 0.7):
        found[f"complete linkage < {cap}"] = lambda e, cap=cap: scipy_linkage(e, cap, "complete")
    for cap in (0.5, 0.6):
        found[f"chinese whispers < {cap} (dlib)"] = lambda e, cap=cap: chinese_whispers(e, cap)
    for eps, core in ((0.5, 3), (0.6, 3), (0.5, 2)):
        found[f"DBSCAN eps {eps}, core >= {core}"] = lambda e, p=eps, c=core: dbscan(e, p, c)
    return found


def encode_labelled(
    root: Path, variants: bool, hard: bool = False, engine: FaceEngine | None = None
) -> tuple[np.ndarray, list[str], int, np.ndarray]:
    """Each labelled face's encoding and person, the photos without a face, and whether each
    face is trusted to vote."""
    encodings, labels, voting, missed = [], [], [], 0
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        images = [Image.open(path).convert("RGB")]
        images += make_variants(path) if variants else []
        images += degraded(path) if hard else []
        for image in images:
            face = largest_face(image, path, engine)
            if face is None:
                missed += 1
                continue
            encodings.append(face.encoding)
            known = KnownFace(0, "", face.box, face.encoding, None, False, face.sharpness,
                              face.landmarks)  # fmt: skip
            voting.append(trusted(known))
            labels.append(path.parent.name)
    return np.stack(encodings), labels, missed, np.array(voting, dtype=bool)


def degraded(path: Path) -> list[Image.Image]:
    """Copies a camera gets wrong: out of focus or shaken, far away, half hidden."""
    image = Image.open(path).convert("RGB")
    width, height = image.size
    edge = max(width, height)
    return [
        image.filter(ImageFilter.GaussianBlur(edge / 120)),
        image.filter(ImageFilter.GaussianBlur(edge / 60)),
        image.resize((max(8, width * 90 // edge), max(8, height * 90 // edge))),
        image.crop((0, 0, width, height * 55 // 100)),
    ]


def trusted_only(encodings: np.ndarray, voting: np.ndarray) -> np.ndarray:
    """Ours as it groups: untrusted faces stay out of every person (clusters of their own)."""
    keep = np.flatnonzero(voting)
    # below the labels average_linkage gives its own faces left out (-1 down to -len)
    labels = -1 - len(encodings) - np.arange(len(encodings))
    labels[keep] = average_linkage(encodings[keep], CLUSTER_DISTANCE, MIN_FACES)
    return labels


def largest_face(image: Image.Image, source: Path, engine: FaceEngine | None = None
                 ) -> Face | None:  # fmt: skip
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".png") as file:
        image.save(file.name)
        stat = Path(file.name).stat()
        photo = read_media(FileEntry(file.name, stat.st_size, stat.st_mtime_ns))
        assert isinstance(photo, Photo), f"{source}: {photo}"
        faces = find_faces(photo, engine=engine)
    return faces[0] if faces else None


def make_variants(path: Path) -> list[Image.Image]:
    image = Image.open(path).convert("RGB")
    width, height = image.size
    return [
        ImageOps.mirror(image),
        image.crop((width // 10, height // 10, width - width // 10, height - height // 12)),
        ImageEnhance.Color(ImageOps.autocontrast(image)).enhance(0.3),
        image.resize((width * 2, height * 2), Image.Resampling.BICUBIC),
    ]


# Methods -----------------------------------------------------------------------------------


def average_linkage(encodings: np.ndarray, cap: float, min_faces: int) -> np.ndarray:
    labels = cluster(encodings, [None] * len(encodings), cap)
    sizes = Counter(labels.tolist())
    # Faces left out of any person count as clusters of their own.
    singles = iter(range(-1, -len(labels) - 1, -1))
    return np.array([label if sizes[label] >= min_faces else next(singles) for label in labels])


def scipy_linkage(encodings: np.ndarray, cap: float, method: str) -> np.ndarray:
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    return fcluster(linkage(pdist(encodings), method=method), t=cap, criterion="distance")


def chinese_whispers(encodings: np.ndarray, cap: float) -> np.ndarray:
    import dlib

    vectors = [dlib.vector(encoding.astype(float).tolist()) for encoding in encodings]
    return np.array(dlib.chinese_whispers_clustering(vectors, cap))


def dbscan(encodings: np.ndarray, eps: float, core: int) -> np.ndarray:
    """DBSCAN: faces with `core` neighbours (themselves included) within eps are cores; cores
    within eps of each other share a cluster; other faces join a near core or stay alone."""
    from scipy.spatial.distance import cdist

    near = cdist(encodings, encodings) <= eps
    is_core = near.sum(axis=1) >= core
    labels = np.full(len(encodings), -1)
    next_label = 0
    for start in np.flatnonzero(is_core):
        if labels[start] >= 0:
            continue
        labels[start], frontier = next_label, [start]
        while frontier:
            point = frontier.pop()
            for neighbour in np.flatnonzero(near[point]):
                if labels[neighbour] < 0:
                    labels[neighbour] = next_label
                    if is_core[neighbour]:
                        frontier.append(neighbour)
        next_label += 1
    noise = labels < 0
    labels[noise] = next_label + np.arange(noise.sum())
    return labels


# Scores ------------------------------------------------------------------------------------


def pairwise_scores(truth: np.ndarray, predicted: np.ndarray) -> tuple[float, float, float]:
    same_truth = same_predicted = both = 0
    for i, j in itertools.combinations(range(len(truth)), 2):
        t, p = truth[i] == truth[j], predicted[i] == predicted[j]
        same_truth += t
        same_predicted += p
        both += t and p
    precision = both / same_predicted if same_predicted else 1.0
    recall = both / same_truth if same_truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def bcubed_f(truth: np.ndarray, predicted: np.ndarray) -> float:
    precision = recall = 0.0
    for index in range(len(truth)):
        in_cluster = predicted == predicted[index]
        in_person = truth == truth[index]
        correct = np.sum(in_cluster & in_person)
        precision += correct / np.sum(in_cluster)
        recall += correct / np.sum(in_person)
    precision, recall = precision / len(truth), recall / len(truth)
    return 2 * precision * recall / (precision + recall)


if __name__ == "__main__":
    main()
