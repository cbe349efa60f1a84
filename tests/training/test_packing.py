import numpy as np

from lmforge.training.packing import PackedTokens, write_packed_tokens


def test_documents_round_trip_through_the_memory_map(tmp_path):
    docs = [[5, 6, 7], [8], [], [9, 10]]
    meta = write_packed_tokens(tmp_path / "p", iter([docs[:2], docs[2:]]), vocab_size=100, sep_id=3)
    packed = PackedTokens(tmp_path / "p")
    assert meta["n_docs"] == 3 and packed.n_tokens == 9  # empty documents are skipped
    assert isinstance(packed.tokens, np.memmap) and packed.tokens.dtype == np.uint16
    assert packed.tokens.tolist() == [5, 6, 7, 3, 8, 3, 9, 10, 3]
    assert packed.offsets.tolist() == [0, 4, 6, 9]
    assert packed.window(1, 10).tolist() == [8, 3, 9, 10, 3]
    assert packed.window(0, 10, limit=6).tolist() == [5, 6, 7, 3, 8, 3]
    assert not list(tmp_path.glob(".p.tmp-*"))


def test_large_vocabularies_use_uint32_and_pickle_by_path(tmp_path):
    import pickle

    write_packed_tokens(tmp_path / "p", [[[70_000, 1]]], vocab_size=80_000, sep_id=2)
    packed = PackedTokens(tmp_path / "p")
    assert packed.tokens.dtype == np.uint32 and packed.tokens.tolist() == [70_000, 1, 2]
    assert len(pickle.dumps(packed)) < 2_000
    assert pickle.loads(pickle.dumps(packed)).tokens.tolist() == [70_000, 1, 2]


def test_a_generator_streams_without_materializing(tmp_path):
    def batches():
        for start in range(0, 10_000, 1_000):
            yield [[i % 50 + 5] * 3 for i in range(start, start + 1_000)]

    meta = write_packed_tokens(tmp_path / "p", batches(), vocab_size=60, sep_id=1)
    assert meta["n_docs"] == 10_000 and meta["n_tokens"] == 40_000
