"""Grouping faces into people (pure functions, on synthetic encodings): the distance cap, the
user's decisions as constraints, incremental joins, full regrouping with stable ids, splits."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from memories.analyze.people import CLUSTER_DISTANCE, cluster, doubts, regroup, split
from memories.model import KnownFace


def people_like(counts: list[int], seed: int = 0, spread: float = 0.08) -> np.ndarray:
    """Encodings of several people: a centre each, 1.0 apart, faces scattered around it."""
    rng = np.random.default_rng(seed)
    rows = []
    for index, count in enumerate(counts):
        centre = np.zeros(128)
        centre[index] = 1.0
        rows += [centre + rng.normal(0, spread / np.sqrt(128), 128) for _ in range(count)]
    return np.array(rows, dtype=np.float32)


def faces_from(encodings, people=None, pinned=None) -> list[KnownFace]:
    count = len(encodings)
    people = people or [None] * count
    pinned = pinned or [False] * count
    return [
        KnownFace(index + 1, f"photo{index}", (0, 100, 100, 0), encodings[index], people[index],
                  pinned[index])
        for index in range(count)
    ]  # fmt: skip


def test_two_people_are_two_clusters():
    labels = cluster(people_like([5, 4]), [None] * 9)
    assert len(set(labels[:5])) == 1 and len(set(labels[5:])) == 1
    assert labels[0] != labels[5]


def test_nothing_joins_beyond_the_cap():
    encodings = np.array([[0.0] * 128, [0.0] * 127 + [CLUSTER_DISTANCE]], dtype=np.float32)
    labels = cluster(encodings, [None, None])
    assert labels[0] != labels[1]


def test_a_lookalike_cannot_chain_two_people_together():
    # A and B are 0.9 apart; a face halfway between is close to each, not to both groups.
    a, b = people_like([6, 6])[:6], people_like([6, 6])[6:]
    middle = (a[0] + b[0]) / 2
    labels = cluster(np.vstack([a, b, middle[None, :]]), [None] * 13)
    assert labels[0] != labels[6]


@settings(max_examples=40, deadline=None)
@given(
    counts=st.lists(st.integers(1, 5), min_size=1, max_size=4),
    data=st.data(),
)
def test_fixed_faces_stay_with_their_label_and_apart_from_other_labels(counts, data):
    encodings = people_like(counts, seed=len(counts), spread=0.6)
    fixed = data.draw(st.lists(st.sampled_from([None, 1, 2, 3]), min_size=len(encodings),
                               max_size=len(encodings)))  # fmt: skip
    labels = cluster(encodings, fixed)
    for i, left in enumerate(fixed):
        for j, right in enumerate(fixed):
            if left is not None and right is not None:
                assert (labels[i] == labels[j]) == (left == right)


def average_linkage_of_every_face(encodings, fixed) -> np.ndarray:
    """The clustering `cluster` must give, the plain way: average linkage over the matrix of
    every face, a person's faces 0 apart and different people's far apart."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import cdist, squareform

    if len(encodings) < 2:
        return np.arange(len(encodings))
    distances = cdist(encodings, encodings)
    for i, left in enumerate(fixed):
        for j, right in enumerate(fixed):
            if left is not None and right is not None:
                distances[i, j] = 0.0 if left == right else 1e9
    np.fill_diagonal(distances, 0.0)
    tree = linkage(squareform(distances, checks=False), method="average")
    return fcluster(tree, t=np.nextafter(CLUSTER_DISTANCE, 0), criterion="distance")


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(1, 12), min_size=1, max_size=4),
    spread=st.floats(0.2, 0.9),
    data=st.data(),
)
def test_people_weigh_as_many_faces_as_they_have(counts, spread, data):
    """Each person is one node as heavy as its faces; the partition is the same as average
    linkage over every face."""
    encodings = people_like(counts, seed=sum(counts), spread=spread)
    fixed = data.draw(st.lists(st.sampled_from([None, None, 1, 2]), min_size=len(encodings),
                               max_size=len(encodings)))  # fmt: skip
    ours, plain = cluster(encodings, fixed), average_linkage_of_every_face(encodings, fixed)
    assert len(set(zip(ours, plain, strict=True))) == len(set(ours)) == len(set(plain))


def test_new_faces_join_the_person_they_match_and_form_new_people():
    encodings = people_like([4, 3, 3])
    people = [7, 7, 7, None, 9, 9, None, None, None, None]
    grouping = regroup(faces_from(encodings, people))
    assert grouping.people == {7: [1, 2, 3, 4], 9: [5, 6, 7]}
    assert grouping.new_people == [[8, 9, 10]]


def test_a_lone_face_stays_unassigned():
    encodings = people_like([3, 1])
    grouping = regroup(faces_from(encodings))
    assert grouping.new_people == [[1, 2, 3]] and grouping.unassigned == [4]


def test_incremental_grouping_never_merges_existing_people():
    encodings = people_like([3, 3])
    encodings[3:] = encodings[:3] + 0.001  # the same person, already split by the user
    grouping = regroup(faces_from(encodings, [1, 1, 1, 2, 2, 2]))
    assert grouping.people == {1: [1, 2, 3], 2: [4, 5, 6]}


def test_full_regrouping_keeps_ids_and_pinned_faces():
    encodings = people_like([4, 4])
    # Person 5 was wrongly given one of the second person's faces; person 6 was unpinned.
    people = [5, 5, 5, 5, 5, 6, 6, 6]
    grouping = regroup(faces_from(encodings, people), full=True)
    assert grouping.people == {5: [1, 2, 3, 4], 6: [5, 6, 7, 8]}
    pinned = [True] * 5 + [False] * 3
    grouping = regroup(faces_from(encodings, people, pinned), full=True)
    assert grouping.people[5] == [1, 2, 3, 4, 5]  # the user's decision stands


def test_split_finds_the_two_people_in_one():
    labels = split(people_like([4, 3]))
    assert len(set(labels[:4])) == 1 and len(set(labels[4:])) == 1 and labels[0] != labels[4]


def test_split_of_one_tight_group_still_gives_two_parts():
    labels = split(people_like([5], spread=0.01))
    assert sorted(set(labels.tolist())) == [0, 1]


# Two faces in one photo are two people ------------------------------------------------------


def siblings(count: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Two children who look alike (0.3 apart, well under the cap) and are photographed
    together: `count` photos, each with both."""
    rng = np.random.default_rng(seed)
    first = np.zeros(128)
    first[0] = 1.0
    second = first.copy()
    second[1] = 0.3
    jitter = 0.03 / np.sqrt(128)
    faces = [[centre + rng.normal(0, jitter, 128) for centre in (first, second)]
             for _ in range(count)]  # fmt: skip
    pairs = np.array(faces, dtype=np.float32)
    return pairs[:, 0], pairs[:, 1]


def together(a: np.ndarray, b: np.ndarray, **options) -> list[KnownFace]:
    """Faces of two people, the n-th face of each in photo n."""
    people = options.get("people") or [None] * (len(a) + len(b))
    pinned = options.get("pinned") or [False] * (len(a) + len(b))
    encodings = np.vstack([a, b])
    return [
        KnownFace(index + 1, f"photo{index % len(a)}", (0, 100, 100, 0), encodings[index],
                  people[index], pinned[index])
        for index in range(len(encodings))
    ]  # fmt: skip


def test_lookalikes_who_stand_together_are_two_people():
    a, b = siblings(4)
    assert regroup(faces_from(np.vstack([a, b]))).new_people == [[1, 2, 3, 4, 5, 6, 7, 8]]
    grouping = regroup(together(a, b))
    assert sorted(grouping.new_people) == [[1, 2, 3, 4], [5, 6, 7, 8]]


def test_a_face_never_joins_a_person_already_in_its_photo():
    a, b = siblings(4)
    people = [3, 3, 3, 3, None, None, None, None]
    grouping = regroup(together(a, b, people=people))
    assert grouping.people == {3: [1, 2, 3, 4]}
    assert grouping.new_people == [[5, 6, 7, 8]]


def test_full_regrouping_takes_apart_what_stood_together_unless_the_user_merged_it():
    a, b = siblings(3)
    people = [4] * 6  # grouped into one person before photos were told apart
    grouping = regroup(together(a, b, people=people), full=True)
    assert sorted(grouping.people.values()) + grouping.new_people in (
        [[1, 2, 3], [4, 5, 6]], [[4, 5, 6], [1, 2, 3]])  # fmt: skip
    merged = regroup(together(a, b, people=people, pinned=[True] * 6), full=True)
    assert merged.people == {4: [1, 2, 3, 4, 5, 6]}  # a merge by the user holds


# Doubts: a person who may be two ------------------------------------------------------------


def test_a_person_with_two_of_their_faces_in_one_photo_is_doubted():
    a, b = siblings(3)
    faces = together(a, b, people=[2] * 6)
    assert doubts(faces) == {2: "3 photos show two of their faces"}
    decided = together(a, b, people=[2] * 6, pinned=[True] * 6)  # the user merged them
    assert doubts(decided) == {}


def test_a_person_whose_faces_fall_into_two_groups_is_doubted():
    encodings = people_like([5, 4])  # two people 1.0 apart, grown into one by small joins
    faces = faces_from(encodings, [8] * 9)
    assert doubts(faces) == {8: "their faces fall into two groups (5 and 4 faces)"}
    assert doubts(faces_from(people_like([9]), [8] * 9)) == {}


# Faces that cannot be trusted do not vote ----------------------------------------------------


def test_blurred_faces_form_and_join_no_person():
    encodings = people_like([4, 2])
    faces = faces_from(encodings, [5, 5, 5, None, None, None])
    blurred = [face if face.id < 4 else replace(face, sharpness=20.0) for face in faces]
    sharp = [face if face.id < 4 else replace(face, sharpness=900.0) for face in faces]
    assert regroup(sharp).people == {5: [1, 2, 3, 4]}
    grouping = regroup(blurred)
    assert grouping.people == {5: [1, 2, 3]}
    assert grouping.new_people == [] and grouping.unassigned == [4, 5, 6]


def test_a_blurred_face_placed_by_the_user_stays():
    faces = faces_from(people_like([3]), [5, 5, 5], pinned=[True] * 3)
    faces = [replace(face, sharpness=5.0) for face in faces]
    assert regroup(faces, full=True).people == {5: [1, 2, 3]}


# Faces that cannot be trusted, and people who change with age -------------------------------


def test_small_and_turned_faces_do_not_vote():
    from memories.analyze.people import TRUSTED_TURN, TRUSTED_WIDTH, face_turn, trusted

    frontal = [(60, 40), (45, 40), (15, 40), (30, 40), (37.5, 60)]  # dlib's order: eyes, nose
    turned = [(60, 40), (45, 40), (15, 40), (30, 40), (56, 60)]
    assert face_turn(frontal) == 0.0
    assert face_turn(turned) > TRUSTED_TURN
    face = faces_from(people_like([1]))[0]
    assert trusted(face)
    assert not trusted(replace(face, box=(0, TRUSTED_WIDTH - 1, TRUSTED_WIDTH - 1, 0)))
    assert trusted(replace(face, landmarks=tuple(frontal)))
    assert not trusted(replace(face, landmarks=tuple(turned)))


def growing_up(years: int, per_year: int, seed: int = 0) -> tuple[np.ndarray, list[int]]:
    """Encodings of a child photographed every year whose face drifts 0.25 a year: each
    year's faces lie close together, the first year's and the last's far beyond the cap."""
    rng = np.random.default_rng(seed)
    rows, days = [], []
    for year in range(years):
        centre = np.zeros(128)
        centre[0], centre[1] = 1.0, 0.25 * year
        rows += [centre + rng.normal(0, 0.05 / np.sqrt(128), 128) for _ in range(per_year)]
        days += [738000 + 365 * year + day for day in range(per_year)]
    return np.array(rows, dtype=np.float32), days


def run_every_year(encodings, days, photos, years) -> list[int | None]:
    """Faces arriving a year at a time (`years` gives each face's), as nightly builds see
    them: the assigned stay assigned, each year's faces join people or form new ones.
    Returns the final person of each face."""
    person: list[int | None] = [None] * len(encodings)
    next_id = 1
    for year in sorted(set(years)):
        arrived = [index for index, y in enumerate(years) if y <= year]
        faces = [
            KnownFace(index + 1, photos[index], (0, 100, 100, 0), encodings[index],
                      person[index], False, day=days[index])
            for index in arrived
        ]  # fmt: skip
        grouping = regroup(faces)
        for person_id, ids in grouping.people.items():
            for face_id in ids:
                person[face_id - 1] = person_id
        for ids in grouping.new_people:
            for face_id in ids:
                person[face_id - 1] = next_id
            next_id += 1
    return person


def test_a_child_growing_up_stays_one_person():
    encodings, days = growing_up(years=6, per_year=4)
    assert np.linalg.norm(encodings[0] - encodings[-1]) > 2 * CLUSTER_DISTANCE
    photos = [f"photo{index}" for index in range(len(encodings))]
    years = [index // 4 for index in range(len(encodings))]
    assert len(set(run_every_year(encodings, days, photos, years))) == 1
    # without the days, the person's faces as a whole drift out of reach of the later years
    undated = run_every_year(encodings, [None] * len(days), photos, years)
    assert len(set(undated)) > 1


def test_a_sibling_who_looks_as_the_child_did_stays_apart():
    # The older child drifts year by year; from the fourth year on, the younger one stands
    # beside them in every photo, looking as the older one did three years before.
    older, days = growing_up(years=6, per_year=4)
    rng = np.random.default_rng(1)
    younger = older[:12] + rng.normal(0, 0.02 / np.sqrt(128), (12, 128)).astype(np.float32)
    encodings = np.vstack([older, younger])
    photos = [f"photo{index}" for index in range(24)] + [f"photo{12 + i}" for i in range(12)]
    all_days = days + days[12:]
    years = [index // 4 for index in range(24)] + [3 + index // 4 for index in range(12)]
    person = run_every_year(encodings, all_days, photos, years)
    assert len(set(person[:24])) == 1
    assert len(set(person[24:])) == 1 and person[24] != person[0]
