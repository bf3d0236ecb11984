"""The process boundary's limits hold on the grader's side, whatever the learner's side sends."""

from __future__ import annotations

import json
import struct
import time

import numpy as np
import pytest

from autograder import codec, sandbox
from autograder.formatting import describe, short
from autograder.outcome import Outcome


def frame(skeleton: object, blobs: list[bytes] = ()) -> bytes:
    """A message as a learner process could write it, bypassing `encode`'s checks."""
    body = (skeleton if isinstance(skeleton, str) else json.dumps(skeleton)).encode()
    header = json.dumps([len(b) for b in blobs]).encode()
    return struct.pack("<II", len(body), len(header)) + body + header + b"".join(blobs)


def nested(depth: int) -> str:
    """The skeleton of lists nested `depth` deep, as JSON text."""
    return '["l", [' * depth + '["l", []]' + "]]" * depth


def test_decode_refuses_what_encode_would_not_send():
    assert codec.decode(frame(nested(10))) == [[[[[[[[[[[]]]]]]]]]]]
    with pytest.raises(ValueError):
        codec.decode(frame(nested(1000)))
    with pytest.raises(ValueError):
        codec.decode(frame(["l", [["n"]] * (codec.MAX_ITEMS + 1)]))
    with pytest.raises(ValueError):
        codec.decode(b"\0" * (codec.MAX_BYTES + 1))
    with pytest.raises(ValueError):  # a shape that claims more than the buffer holds
        codec.decode(frame(["a", "<f8", [10**6], 0], [b"\0" * 8]))


@pytest.mark.parametrize("value", [10**5000, "deep", object()], ids=["5000 digits", "deep", "object"])
def test_encode_turns_what_it_cannot_carry_into_unsendable(value):
    if value == "deep":
        value = []
        for _ in range(100):
            value = [value]
    with pytest.raises(codec.Unsendable):
        codec.encode(value)


def test_an_outcome_from_the_wire_is_checked_and_its_texts_cut():
    wire = ("raised", None, "ValueError", ("ValueError", "Exception"), "x" * 10**6, (), (), ())
    outcome = Outcome.from_wire(wire)
    assert outcome.raised("ValueError") and len(outcome.message) < 3000
    for bad in (("ok",), ("forged", *wire[1:]), ("ok", 1, 2, 3, 4, 5, 6, 7)):
        with pytest.raises(ValueError):
            Outcome.from_wire(bad)


def test_formatting_a_huge_value_builds_only_what_it_shows():
    huge = np.ones(128 * 2**20, dtype=bool)
    started = time.perf_counter()
    text = short(huge) + describe(huge) + short({i: "x" for i in range(10**5)}) + short("y" * 10**7)
    assert time.perf_counter() - started < 1.0 and len(text) < 2000


def test_workers_get_only_an_allow_list_of_the_environment(monkeypatch):
    for name in ("GITHUB_ENV", "GITHUB_STEP_SUMMARY", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "/tmp/secret")
    assert not any(v == "/tmp/secret" for v in sandbox._worker_environment().values())
