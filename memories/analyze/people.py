"""Group faces into people: average-linkage clustering under a distance cap that keeps the
user's decisions, and person ids that stay the same from one run to the next.

Pure functions: encodings and labels in, groupings out; the catalog applies them.

Average linkage joins two groups only when their faces are close *on average*, so one
lookalike pair cannot chain two people together the way single-linkage methods (DBSCAN,
chinese whispers) can; `benchmarks/faces_eval.py` compares them. Joining two people is worse
than leaving one split in two (a split is fixed with `people merge`, and a wrong join puts a
stranger in someone's memories), so the cap sits well under the model's 0.6.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from memories.model import KnownFace

CLUSTER_DISTANCE = 0.55
"""Two groups of faces are one person when their faces are on average closer than this."""
MIN_FACES = 2
"""A new person needs this many faces; a lone face stays unassigned until others match it."""
SPLIT_DISTANCE = 0.45
"""`people split` cuts a person into sub-groups whose faces are on average this close."""
TRUSTED_SHARPNESS = 80.0
"""Faces blurrier than this (the Laplacian variance of the face at 64x64 grey) do not vote:
they form and join no person by themselves. Chosen on the devdata faces and blurred copies
of them (`benchmarks/faces_eval.py --hard`): sharp faces measure 490 and more at their 10th
percentile, and every face whose encoding strayed beyond 0.5 from its person's measured
under 60."""
TRUSTED_WIDTH = 40
"""Faces narrower than this (pixels of the photo) do not vote either. On the devdata faces
shrunk step by step, a face's encoding strays from its own full-size one by 0.08 at 72 px,
0.16 at 45 px and 0.24-0.34 under 36 px (medians), a third of the way to another person."""
TRUSTED_TURN = 0.35
"""Faces turned further than this from the camera (see `face_turn`) do not vote either: the
encoder was trained on faces seen from the front, and a face in profile strays."""
NEARBY_DAYS = 550
"""A face that may join a person is compared with that person's faces from within this many
days of it, when there are `NEARBY_FACES` of them: a child of 2019 and of 2024 may be far
apart while each year's faces are close."""
NEARBY_FACES = 3
_APART = 1e9
"""The distance given to faces that must stay apart: it outweighs any average it is part of."""
_BLOCK = 2048


@dataclass
class Grouping:
    """Who each face belongs to after (re)grouping."""

    people: dict[int, list[int]] = field(default_factory=dict)
    """Existing person id -> ids of its faces."""
    new_people: list[list[int]] = field(default_factory=list)
    """Face ids of each new person, largest first: the catalog gives them fresh ids."""
    unassigned: list[int] = field(default_factory=list)


def cluster(
    encodings: np.ndarray,
    fixed: Sequence[int | None],
    distance: float = CLUSTER_DISTANCE,
    photos: Sequence[str] | None = None,
    days: Sequence[int | None] | None = None,
) -> np.ndarray:
    """A cluster label per face. Faces with the same `fixed` label end up together, faces with
    different ones apart, and free faces (None) join a cluster while the average distance
    between the two clusters' faces stays under `distance`. Two faces of one photo (`photos`
    gives each face's) are two people: a free face never joins a cluster holding a face of its
    photo (only the user's decisions, the fixed labels, may put them together). With `days`
    (each face's photo's day), a free face is compared with a fixed group's faces of about
    its own time when it has enough of them (`NEARBY_DAYS`)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    count = len(encodings)
    labels = np.arange(count)
    if count < 2:
        return labels
    # Average linkage only joins clusters with at least one pair of faces under `distance`,
    # so it can run separately on each connected piece of that "close pair" graph.
    rows, columns = _close_pairs(encodings, fixed, distance)
    graph = coo_matrix((np.ones(len(rows)), (rows, columns)), shape=(count, count))
    _, pieces = connected_components(graph, directed=False)
    next_label = count
    for piece in _members_of_each(pieces):
        if len(piece) < 2:
            continue
        if all(fixed[index] is not None for index in piece):
            # One fixed group that no free face came near: nothing to decide.
            labels[piece] = next_label
            next_label += 1
            continue
        nodes, distances, weights = _nodes_of(piece, encodings, fixed, photos, days)
        flat = _average_linkage(distances, weights, distance)
        for members, label in zip(nodes, flat, strict=True):
            labels[members] = next_label + label
        next_label += int(flat.max()) + 1
    return labels


def _nodes_of(
    piece: np.ndarray,
    encodings: np.ndarray,
    fixed: Sequence[int | None],
    photos: Sequence[str] | None = None,
    days: Sequence[int | None] | None = None,
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """The piece as nodes to cluster: each fixed group as one node, as heavy as its faces
    (average linkage would join its faces first anyway, at distance 0), then each free
    face. Returns the faces of each node, the average distances between the nodes' faces,
    and the weights. The matrix grows with the new faces, not with the people they may join:
    a run that brings ten photos of someone with 20,000 faces compares 10 faces with one."""

    by_label: dict[int, list[int]] = defaultdict(list)
    free: list[int] = []
    for index in piece:
        label = fixed[index]
        if label is None:
            free.append(int(index))
        else:
            by_label[label].append(int(index))
    groups = [np.array(members) for members in by_label.values()]
    free_faces = encodings[free]
    size = len(groups) + len(free)
    distances = np.full((size, size), _APART)
    distances[len(groups) :, len(groups) :] = _pairwise(free_faces)
    when = np.array([np.nan if d is None else d for d in days], dtype=float) if days else None
    for index, members in enumerate(groups):
        mean = _distance_to_group(encodings, members, free, when)
        distances[index, len(groups) :] = distances[len(groups) :, index] = mean
    if photos is not None:
        _keep_photo_mates_apart(distances, groups, free, photos)
    weights = np.array([len(members) for members in groups] + [1] * len(free), dtype=float)
    nodes = groups + [np.array([index]) for index in free]
    return nodes, distances, weights


def _distance_to_group(
    encodings: np.ndarray, members: np.ndarray, free: list[int], when: np.ndarray | None
) -> np.ndarray:
    """Each free face's average distance to the group's faces: to those from within
    `NEARBY_DAYS` of it when there are `NEARBY_FACES` of them, else to all."""
    from scipy.spatial.distance import cdist

    total = np.zeros(len(free))
    near_total, near_count = np.zeros(len(free)), np.zeros(len(free))
    for start in range(0, len(members), _BLOCK):  # a big person, a block at a time
        block = members[start : start + _BLOCK]
        between = cdist(encodings[free], encodings[block])
        total += between.sum(axis=1)
        if when is not None:
            with np.errstate(invalid="ignore"):
                near = np.abs(when[free][:, None] - when[block][None, :]) <= NEARBY_DAYS
            near_total += (between * near).sum(axis=1)
            near_count += near.sum(axis=1)
    overall = total / len(members)
    enough = near_count >= NEARBY_FACES
    return np.where(enough, near_total / np.maximum(near_count, 1), overall)


def _keep_photo_mates_apart(
    distances: np.ndarray, groups: list[np.ndarray], free: list[int], photos: Sequence[str]
) -> None:
    """Put the free faces of one photo, and a free face and a group holding a face of its
    photo, at `_APART`: average linkage then never joins them, however close they look (two
    siblings side by side)."""
    nodes_in: dict[str, list[int]] = defaultdict(list)  # photo -> free nodes showing it
    for offset, index in enumerate(free):
        nodes_in[photos[index]].append(len(groups) + offset)
    for nodes in nodes_in.values():
        if len(nodes) > 1:
            block = np.ix_(nodes, nodes)
            distances[block] = _APART
    for group, members in enumerate(groups):
        for photo in {photos[index] for index in members}:
            for node in nodes_in.get(photo, ()):
                distances[group, node] = distances[node, group] = _APART


def _average_linkage(distances: np.ndarray, weights: np.ndarray, cap: float) -> np.ndarray:
    """Flat clusters (labels from 0) of weighted average linkage (UPGMA): the two closest
    clusters are joined, their distance to any other being the weighted mean of theirs,
    while the closest pair is nearer than `cap`."""
    from scipy.cluster.hierarchy import fcluster, linkage

    if np.all(weights == 1):  # faces only: SciPy's linkage gives the same, much faster
        tree = linkage(_condensed(distances), method="average")
        # The cut sits just under `cap` so that a pair exactly at the cap stays apart.
        return fcluster(tree, t=np.nextafter(cap, 0), criterion="distance") - 1
    size = len(distances)
    distances = distances.copy()
    np.fill_diagonal(distances, np.inf)
    weights = weights.copy()
    root = np.arange(size)
    while True:  # ends once the closest pair left is at the cap (or everything is joined: inf)
        nearest = int(np.argmin(distances))
        first, second = divmod(nearest, size)
        if distances[first, second] >= cap:
            break
        joined = distances[first] * weights[first] + distances[second] * weights[second]
        joined /= weights[first] + weights[second]
        distances[first, :] = distances[:, first] = joined
        distances[second, :] = distances[:, second] = np.inf
        distances[first, first] = np.inf
        weights[first] += weights[second]
        root[root == second] = first
    return np.unique(root, return_inverse=True)[1]


def regroup(
    faces: Sequence[KnownFace],
    *,
    full: bool = False,
    distance: float = CLUSTER_DISTANCE,
    min_faces: int = MIN_FACES,
) -> Grouping:
    """Decide who each face is.

    Incremental (default): every assigned face stays with its person; unassigned faces join
    the person they match, or form new people among themselves. Full: only faces the user
    placed (pinned) stay put and everything else is clustered again; each cluster then keeps
    the id of the person most of its faces had, so ids and names survive.
    """
    if not faces:
        return Grouping()
    everyone = [(face, face.person if (face.pinned or not full) else None) for face in faces]
    # A blurred face's encoding strays between people: it does not vote, and stays
    # unassigned until the user places it.
    voters = [(face, person) for face, person in everyone if person is not None or trusted(face)]
    blurred = sorted(face.id for face, person in everyone if person is None and not trusted(face))
    if not voters:
        return Grouping(unassigned=blurred)
    fixed = [person for _, person in voters]
    encodings = np.stack([face.encoding for face, _ in voters])
    labels = cluster(encodings, fixed, distance, [face.content_hash for face, _ in voters],
                     [face.day for face, _ in voters])  # fmt: skip
    clusters: dict[int, list[KnownFace]] = defaultdict(list)
    for (face, _), label in zip(voters, labels, strict=True):
        clusters[int(label)].append(face)
    fixed_faces = {face.id for face, person in voters if person is not None}
    grouping = _name_clusters(list(clusters.values()), fixed_faces, min_faces)
    grouping.unassigned = sorted(grouping.unassigned + blurred)
    return grouping


def trusted(face: KnownFace) -> bool:
    """Whether the face is good enough for its encoding to place it: sharp, large enough and
    facing the camera (what was not measured is trusted)."""
    _, right, _, left = face.box
    return (
        (face.sharpness is None or face.sharpness >= TRUSTED_SHARPNESS)
        and right - left >= TRUSTED_WIDTH
        and ((turn := face_turn(face.landmarks)) is None or turn <= TRUSTED_TURN)
    )


def face_turn(landmarks: Sequence[Sequence[float]]) -> float | None:
    """How far a face is turned, from dlib's five landmarks (two corners of each eye, then
    the base of the nose): how far the nose sits from the middle of the eyes, along the line
    between them, in eye-to-eye distances. 0 is a face seen from the front."""
    if len(landmarks) != 5:
        return None
    points = np.asarray(landmarks, dtype=float)
    first, second, nose = points[:2].mean(axis=0), points[2:4].mean(axis=0), points[4]
    across = second - first
    span = float(np.hypot(*across))
    if span == 0:
        return None
    return round(abs(float(np.dot(nose - (first + second) / 2, across))) / span**2, 3)


def split(encodings: np.ndarray, distance: float = SPLIT_DISTANCE) -> np.ndarray:
    """A sub-group label per face of one person, for `people split`: the groups that hold
    together at a tighter `distance`, or the two halves of its clustering tree when it holds
    together even then."""
    from scipy.cluster.hierarchy import fcluster, linkage

    if len(encodings) < 2:
        return np.zeros(len(encodings), dtype=int)
    tree = linkage(_condensed(_pairwise(encodings)), method="average")
    labels = fcluster(tree, t=distance, criterion="distance")
    if labels.max() == 1:
        labels = fcluster(tree, t=2, criterion="maxclust")
    return labels - 1


DOUBT_GROUP = 3
"""Faces each of two groups needs before a person whose faces fall into them is doubted."""
_DOUBT_SAMPLE = 400
"""At most this many faces of a person are compared (an even spread of them): enough to see
two groups, and it keeps the listing quick for a person with thousands of faces."""


def doubts(faces: Sequence[KnownFace]) -> dict[int, str]:
    """The people who may be two, by id, and why in words: two of their faces in one photo
    (unless the user put both there), or faces that fall into two groups farther apart than
    grouping would join today (a person grown by many small joins)."""
    by_person: dict[int, list[KnownFace]] = defaultdict(list)
    for face in faces:
        if face.person is not None:
            by_person[face.person].append(face)
    found: dict[int, str] = {}
    for person, members in by_person.items():
        in_photo = Counter(face.content_hash for face in members)
        shared = [photo for photo, number in in_photo.items() if number > 1
                  and not all(f.pinned for f in members if f.content_hash == photo)]  # fmt: skip
        if shared:
            found[person] = f"{len(shared)} photo{'s' * (len(shared) > 1)} show two of their faces"
            continue
        apart = _two_groups(members)
        if apart:
            found[person] = f"their faces fall into two groups ({apart[0]} and {apart[1]} faces)"
    return found


def _two_groups(members: Sequence[KnownFace]) -> tuple[int, int] | None:
    """The sizes of a person's two largest sub-groups when those are, on average, farther
    apart than CLUSTER_DISTANCE; None when the person holds together."""
    if len(members) < 2 * DOUBT_GROUP:
        return None
    step = max(1, len(members) // _DOUBT_SAMPLE)
    encodings = np.stack([face.encoding for face in members[::step]])
    labels = split(encodings)
    sizes = Counter(labels.tolist()).most_common(2)
    if len(sizes) < 2 or sizes[1][1] < DOUBT_GROUP:
        return None
    (first, first_size), (second, second_size) = sizes
    between = _pairwise(encodings)[np.ix_(labels == first, labels == second)].mean()
    if between < CLUSTER_DISTANCE:
        return None
    return first_size * step, second_size * step


def _name_clusters(
    clusters: list[list[KnownFace]], fixed_faces: set[int], min_faces: int
) -> Grouping:
    """Give each cluster a person: the one its fixed faces belong to (`cluster` never puts
    two people's fixed faces together), else the previous person of most of its faces (each
    person to one cluster, biggest overlap first), else a new one when it is big enough."""
    grouping = Grouping()
    open_clusters: list[list[KnownFace]] = []
    for members in clusters:
        owners = {face.person for face in members if face.id in fixed_faces}
        if owners:
            [person] = owners
            assert person is not None
            grouping.people[person] = sorted(face.id for face in members)
        else:
            open_clusters.append(members)
    overlaps = sorted(
        (
            (-count, min(face.id for face in members), person, index)
            for index, members in enumerate(open_clusters)
            for person, count in Counter(f.person for f in members if f.person is not None).items()
        )
    )
    claimed: set[int] = set()
    for _, _, person, index in overlaps:
        if person in grouping.people or index in claimed:
            continue
        grouping.people[person] = sorted(face.id for face in open_clusters[index])
        claimed.add(index)
    for index, members in enumerate(open_clusters):
        if index in claimed:
            continue
        ids = sorted(face.id for face in members)
        if len(ids) >= min_faces:
            grouping.new_people.append(ids)
        else:
            grouping.unassigned.extend(ids)
    grouping.new_people.sort(key=lambda ids: (-len(ids), ids[0]))
    grouping.unassigned.sort()
    return grouping


def _close_pairs(
    encodings: np.ndarray, fixed: Sequence[int | None], distance: float
) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (free face, any face) closer than `distance`, plus a chain through each
    fixed group: the edges of the graph whose pieces are clustered separately."""
    free = np.array([label is None for label in fixed])
    free_index = np.flatnonzero(free)
    rows: list[np.ndarray] = []
    columns: list[np.ndarray] = []
    squares = np.einsum("ij,ij->i", encodings, encodings)
    for start in range(0, len(free_index), _BLOCK):
        block = free_index[start : start + _BLOCK]
        squared = squares[block, None] + squares[None, :] - 2 * encodings[block] @ encodings.T
        near_row, near_column = np.nonzero(squared < distance * distance)
        rows.append(block[near_row])
        columns.append(near_column)
    by_label: dict[int, list[int]] = defaultdict(list)
    for index, label in enumerate(fixed):
        if label is not None:
            by_label[label].append(index)
    for members in by_label.values():
        rows.append(np.array(members[:-1], dtype=int))
        columns.append(np.array(members[1:], dtype=int))
    if not rows:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    return np.concatenate(rows), np.concatenate(columns)


def _members_of_each(pieces: np.ndarray) -> list[np.ndarray]:
    order = np.argsort(pieces, kind="stable")
    boundaries = np.flatnonzero(np.diff(pieces[order])) + 1
    return np.split(order, boundaries)


def _pairwise(encodings: np.ndarray) -> np.ndarray:
    from scipy.spatial.distance import cdist

    return cdist(encodings, encodings)


def _condensed(square: np.ndarray) -> np.ndarray:
    from scipy.spatial.distance import squareform

    return squareform(square, checks=False)
