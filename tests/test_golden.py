"""The golden corpus (tests/tools/golden/corpus.py) stays usable: its documents load and replay.

The byte-for-byte comparison against a commit is a tool run (``python tests/tools/golden/corpus.py
check --ref COMMIT``), not part of the suite; this keeps the corpus from rotting meanwhile."""

import json

import engine
from tests.tools.golden import corpus


def test_the_corpus_holds_three_conventions_and_every_scenario_file():
    docs = corpus.load_docs()
    conventions = [d["doc"]["convention"] for d in docs if "doc" in d]
    for rid in ("cdg62-demat", "cdg62-medecine", "cdg62-assurance"):
        assert conventions.count(rid) == 3000
    files = {d["file"] for d in docs if "file" in d}
    assert files == {f"scenarios/{p.name}" for p in (corpus.ROOT / "scenarios").glob("*.yaml")}


def test_a_sample_of_the_corpus_replays():
    docs = corpus.load_docs()
    for d in docs[::300]:
        if "doc" not in d:
            continue
        t = engine.replay(engine.load_scenario(d["doc"]))
        assert json.loads(t.to_json())["convention"] == d["doc"]["convention"]
