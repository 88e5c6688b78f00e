"""Writes the fuzzers' seed corpus, tests/fuzz/corpus/<target>/: small valid
inputs of every kind each target reads, for the fuzzer to mutate. Inputs
the fuzzers found that once failed are kept beside them (named crash-*,
leak-*, ...) and are not touched here.

    /usr/bin/python3 tests/fuzz/make_corpus.py dist/svd
"""
import json
import os
import sqlite3
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def main(ext):
    put("vector", "json", "[0.25, -1, 3e-2]")
    put("vector", "json-ws", " [ 1 ,2.5e+3,\n-0.0 ] ")
    put("vector", "blob", struct.pack("<4f", 1.0, -2.5, 3e-38, 1e38))
    put("vector", "spectrum", "[3.0,2.0,1.0,0.0]")
    put("vector", "subnormal", struct.pack("<2f", 1e-45, 1e-40))
    put("options", "center", "center=false")
    put("options", "method", " method = gram , center=true")
    put("options", "log", "log=true")
    db = sqlite3.connect(":memory:")
    db.enable_load_extension(True)
    db.load_extension(ext)
    rows = "SELECT '[1, 2, 3]' AS v UNION ALL SELECT '[3, 1, 2]' UNION ALL SELECT '[0, 5, 1]'"
    put("basis", "k2", db.execute(f"SELECT svd_basis(v, 2) FROM ({rows})").fetchone()[0])
    put("basis", "raw", db.execute(f"SELECT svd_basis(v, 3, 'center=false') FROM ({rows})").fetchone()[0])
    put("basis", "state", db.execute(f"SELECT svd_state(v) FROM ({rows})").fetchone()[0])
    put("basis", "state-gram", db.execute(f"SELECT svd_state(v, 'method=gram') FROM ({rows})").fetchone()[0])
    npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", 54) + \
        b"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }".ljust(53) + b"\n" + \
        struct.pack("<4f", 1, 2, 3, 4)
    put("files", "npy", b"\x00" + npy)
    h = json.dumps({"w": {"dtype": "F16", "shape": [2, 2], "data_offsets": [0, 8]},
                    "__metadata__": {"a": "b"}}).encode()
    st = struct.pack("<Q", len(h)) + h + struct.pack("<4e", 1, 2, 3, 4)
    put("files", "tensors", b"\x01" + st)
    put("files", "safetensors", b"\x02" + st)
    put("files", "glove", b"\x03the 1 2 3\nnew york 4 5 6\n")
    put("files", "fasttext", b"\x032 2\na 1 2 \nb 3 4 \n")
    put("files", "word2vec", b"\x042 2\na " + struct.pack("<2f", 1, 2) + b"\nb " + struct.pack("<2f", 3, 4))
    put("files", "vocab", b"\x05" + json.dumps({"model": {"vocab": {"a": 0, "b": 1}},
                                                "added_tokens": [{"id": 2, "content": "<s>"}]}).encode())
    put("files", "unigram", b"\x05" + json.dumps({"model": {"vocab": [["a", 0], ["b", -1]]}}).encode())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "dist/svd")
