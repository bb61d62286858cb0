"""The example in docs/dataset-metadata.md is valid and is what mlmarket writes."""

from __future__ import annotations

import re
from pathlib import Path

from mlmarket.datasets import DatasetMetadata, describe_sample

DOC = Path(__file__).resolve().parents[2] / "docs" / "dataset-metadata.md"


def example_json() -> str:
    match = re.search(r"```json\n(.*?)\n```", DOC.read_text("utf-8"), re.DOTALL)
    assert match is not None, "docs/dataset-metadata.md has no ```json example"
    return match.group(1)


def test_example_is_valid_and_canonical() -> None:
    text = example_json()
    meta = DatasetMetadata.from_json(text)
    expected, _ = describe_sample("iris", dataset_id=meta.dataset_id, created=meta.created)
    assert meta == expected
    assert meta.to_json() == text
