"""Importers: every format, dtype and layout read back exactly; every header
field made wrong in turn gives its message; files that end early are errors;
DIRECTONLY holds; a 1 GiB file streams in flat memory.

Run by tests/run.py with Debian's /usr/bin/python3 (python3-numpy). The
fixtures are written here, with numpy and small writers, into a temporary
folder.
"""
import json
import os
import resource
import sqlite3
import struct
import subprocess
import sys
import tempfile

import numpy as np

from reference import Checker, connect, expect_error


def rows_of(db, sql, args=()):
    return db.execute(sql, args).fetchall()


def matrix(rows, col=-1):
    return np.array([np.frombuffer(r[col], dtype="<f4") for r in rows]).reshape(len(rows), -1)


def write_safetensors(path, tensors, header=None, meta=None):
    hdr, off, blobs = {}, 0, []
    if meta is not None:
        hdr["__metadata__"] = meta
    for name, dt, shape, data in tensors:
        hdr[name] = {"dtype": dt, "shape": list(shape), "data_offsets": [off, off + len(data)]}
        off += len(data)
        blobs.append(data)
    h = header if header is not None else json.dumps(hdr).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def npy_bytes(arr, version=(1, 0)):
    import io
    b = io.BytesIO()
    np.lib.format.write_array(b, arr, version=version)
    return b.getvalue()


def test_npy(c, db, tmp, rng):
    a = rng.normal(size=(7, 5)) * 10.0 ** rng.integers(-3, 4, size=(7, 5))
    path = os.path.join(tmp, "a.npy")
    for dt in ("<f2", ">f2", "<f4", ">f4", "<f8", ">f8"):
        for order in "CF":
            for ver in ((1, 0), (2, 0), (3, 0)):
                x = np.asarray(a.astype(dt), order=order)
                with open(path, "wb") as f:
                    f.write(npy_bytes(x, ver))
                got = rows_of(db, "SELECT i, vec FROM emb_read_npy(?)", (path,))
                ok = [r[0] for r in got] == list(range(7)) and \
                    np.array_equal(matrix(got), x.astype(np.float32))
                c.check(ok, f"npy {dt} {order} {ver}", "values differ")
    # Fortran order across several chunks (4 MiB of rows each), n = 0, d = 1
    x = np.asfortranarray(rng.normal(size=(5000, 300)))
    np.save(path, x)
    got = rows_of(db, "SELECT vec FROM emb_read_npy(?)", (path,))
    c.check(np.array_equal(matrix(got, 0), x.astype(np.float32)), "npy fortran chunks", "")
    np.save(path, np.zeros((0, 4), dtype="<f4"))
    c.check(rows_of(db, "SELECT count(*) FROM emb_read_npy(?)", (path,))[0][0] == 0, "npy empty", "")
    np.save(path, np.arange(3, dtype="<f4").reshape(3, 1))
    got = rows_of(db, "SELECT vec FROM emb_read_npy(?)", (path,))
    c.check(np.array_equal(matrix(got, 0).ravel(), [0, 1, 2]), "npy d=1", "")

    # every header field wrong in turn
    good = npy_bytes(np.ones((2, 3), dtype="<f4"))
    hlen = good[8] | good[9] << 8
    head = good[10:10 + hlen].decode()

    def with_header(text, data=np.ones((2, 3), dtype="<f4").tobytes(), version=b"\x01\x00"):
        t = text.encode()
        return b"\x93NUMPY" + version + struct.pack("<H", len(t)) + t + data

    q = "SELECT * FROM emb_read_npy(?)"
    KEY = "'shape'"
    cases = [
        ("magic", b"\x93NUMPZ" + good[6:], "byte 0: not a .npy file: it does not begin with \"\\x93NUMPY\""),
        ("version", good[:6] + b"\x04\x00" + good[8:], "byte 6: .npy format version 4.0; expected 1.0, 2.0 or 3.0"),
        ("minor version", good[:6] + b"\x01\x05" + good[8:], "byte 6: .npy format version 1.5; expected 1.0, 2.0 or 3.0"),
        ("header length", good[:8] + struct.pack("<H", 5000) + good[10:],
         f"byte {len(good)}: the file ends inside the header ({5000 - len(good) + 10} more bytes expected)"),
        ("truncated magic", good[:5], "byte 5: the file ends inside the magic and version (3 more bytes expected)"),
        ("not a dict", with_header("['descr', '<f4']"), "byte 10: header: expected '{' opening the header dict, found '['descr', '<'"),
        ("descr type", with_header(head.replace("<f4", "<i4")),
         "byte 10: descr '<i4' is not a float type that can be read; expected '<f2', '<f4' or '<f8' (or '>' for big-endian)"),
        ("descr complex", with_header(head.replace("<f4", "<c8")),
         "byte 10: descr '<c8' is not a float type that can be read; expected '<f2', '<f4' or '<f8' (or '>' for big-endian)"),
        ("fortran_order", with_header(head.replace("False", "maybe")),
         f"byte {10 + head.index('False')}: header: expected True or False for 'fortran_order', found 'maybe, 'shap'"),
        ("shape 1-D", with_header(head.replace("(2, 3)", "(6,)")),
         "byte 10: shape has 1 dimensions; expected a 2-D array (n, d) with d >= 1"),
        ("shape 3-D", with_header(head.replace("(2, 3)", "(1, 2, 3)")),
         "byte 10: shape has 3 dimensions; expected a 2-D array (n, d) with d >= 1"),
        ("shape d=0", with_header(head.replace("(2, 3)", "(2, 0)"), b""),
         "byte 10: shape has 2 dimensions and d = 0; expected a 2-D array (n, d) with d >= 1"),
        ("shape text", with_header(head.replace("(2, 3)", "(2, x)")),
         f"byte {10 + head.index('(2, 3)') + 4}: header: expected a non-negative integer in 'shape', found 'x), }}'"),
        ("missing shape", with_header("{'descr': '<f4', 'fortran_order': False, }"),
         "byte 51: header: no 'shape' key"),
        ("unknown key", with_header(head.replace("'shape'", "'shapes'")),
         f"byte {10 + head.index(KEY)}: header: key 'shapes' is unknown or repeated; expected 'descr', 'fortran_order' and 'shape' once each"),
        ("data short", good[:-1], f"byte {len(good) - 1}: the file ends early: shape (2, 3) of 4-byte values needs 2*3*4 bytes of data from byte {10 + hlen}, and it has 23"),
        ("data long", good + b"\0", f"byte {len(good)}: the file goes on after the data: shape (2, 3) of 4-byte values needs 24 bytes from byte {10 + hlen}, and it has 25"),
        ("nan", good[:-4] + struct.pack("<f", float("nan")),
         f"byte {len(good) - 4}: row 1, column 2 is NaN, infinite or beyond float32's range; expected finite values"),
        ("f8 out of float32 range", npy_bytes(np.array([[1.0, 1e300]])),
         f"byte {len(npy_bytes(np.array([[1.0, 1e300]]))) - 8}: row 0, column 1 is NaN, infinite or beyond float32's range; expected finite values"),
    ]
    for name, data, msg in cases:
        with open(path, "wb") as f:
            f.write(data)
        expect_error(c, db, f"npy error {name}", q, (path,), f"emb_read_npy(): {path}: {msg}")
    # Fortran NaN: its offset is column-major
    x = np.asfortranarray(np.ones((3, 2), dtype="<f4"))
    x[2, 1] = np.inf
    with open(path, "wb") as f:
        f.write(npy_bytes(x))
    n = len(npy_bytes(x))
    expect_error(c, db, "npy error inf fortran", q, (path,),
                 f"emb_read_npy(): {path}: byte {n - 4}: row 2, column 1 is NaN, infinite or beyond float32's range; expected finite values")


def test_safetensors(c, db, tmp, rng):
    path = os.path.join(tmp, "m.safetensors")
    a = rng.normal(size=(9, 6)).astype(np.float32)
    bf_bits = (a.view(np.uint32) >> 16).astype("<u2")
    tensors = [("wte.weight", "F32", a.shape, a.astype("<f4").tobytes()),
               ("half", "F16", a.shape, a.astype("<f2").tobytes()),
               ("brain", "BF16", a.shape, bf_bits.tobytes()),
               ("double", "F64", a.shape, a.astype("<f8").tobytes()),
               ("ids", "I64", (4,), np.arange(4, dtype="<i8").tobytes()),
               ("cube", "F32", (2, 2, 2), np.zeros(8, dtype="<f4").tobytes())]
    write_safetensors(path, tensors, meta={"format": "pt"})
    got = rows_of(db, "SELECT name, dtype, shape, bytes FROM emb_tensors(?)", (path,))
    want = [(n, d, json.dumps(list(s)).replace(" ", ""), len(b)) for n, d, s, b in tensors]
    c.check(got == want, "emb_tensors lists every tensor", str(got))
    expect_rows = {
        "wte.weight": a,
        "half": a.astype("<f2").astype(np.float32),
        "brain": (bf_bits.astype(np.uint32) << 16).view(np.float32),
        "double": a.astype(np.float64).astype(np.float32),
    }
    for name, want_m in expect_rows.items():
        got = rows_of(db, "SELECT i, vec FROM emb_read_safetensors(?, ?)", (path, name))
        ok = [r[0] for r in got] == list(range(9)) and np.array_equal(matrix(got), want_m)
        c.check(ok, f"safetensors {name} exact", "")
    q = "SELECT * FROM emb_read_safetensors(?, ?)"
    pre = f"emb_read_safetensors(): {path}: "
    expect_error(c, db, "safetensors non-float", q, (path, "ids"), pre + "byte 8: tensor 'ids' is I64; expected F16, BF16, F32 or F64")
    expect_error(c, db, "safetensors 3-D", q, (path, "cube"), pre + "byte 8: tensor 'cube' has shape [2,2,2]; expected a 2-D tensor [rows, dims] with dims >= 1")
    expect_error(c, db, "safetensors missing", q, (path, "wpe"), pre + "byte 8: no tensor 'wpe' in the header; emb_tensors() lists the 6 it has")
    expect_error(c, db, "safetensors TENSOR type", q, (path, 3), "emb_read_safetensors(): TENSOR is not TEXT; expected a tensor's name")

    good = open(path, "rb").read()
    n = struct.unpack("<Q", good[:8])[0]
    header = good[8:8 + n]
    bad = [
        ("header size past the end", struct.pack("<Q", len(good)) + good[8:],
         f"byte 0: header size {len(good)} runs past the end of the file (the file has {len(good)} bytes)"),
        ("header size over the limit", struct.pack("<Q", 10 ** 9) + good[8:],
         f"byte 0: header size 1000000000 is over the format's limit of 100000000 bytes (the file has {len(good)} bytes)"),
        ("short size", good[:5], "byte 5: the file ends inside the 8-byte header size (3 more bytes expected)"),
        ("not JSON", good[:8] + b"{\"a\" 1" + header[6:] + good[8 + n:],
         "byte 14: header is not valid JSON: ':' expected near '1'"),
        ("not an object", struct.pack("<Q", 2) + b"[]", "byte 8: header is not a JSON object"),
        ("entry not an object", None, "byte 8: header: tensor 'wte.weight' is not an object with a \"dtype\" string, a \"shape\" array and \"data_offsets\" [begin, end]"),
        ("negative shape", None, "byte 8: header: tensor 'wte.weight' has a shape entry that is not a non-negative integer (or the product overflows)"),
        ("offsets past data", None, f"byte 8: header: tensor 'wte.weight' has data_offsets [0, 100000]; the data after the header are {len(good) - 8 - n} bytes"),
        ("offsets vs shape", None, "byte 8: header: tensor 'wte.weight' has data_offsets [0, 216], 216 bytes, but its shape of F32 holds 48 values of 4 bytes"),
    ]
    for name, data, msg in bad:
        if data is None:
            h = json.loads(header)
            if name == "entry not an object":
                h["wte.weight"] = [1, 2]
            elif name == "negative shape":
                h["wte.weight"]["shape"] = [-9, 6]
            elif name == "offsets past data":
                h["wte.weight"]["data_offsets"] = [0, 100000]
            else:
                h["wte.weight"]["shape"] = [8, 6]
            hb = json.dumps(h).encode()
            data = struct.pack("<Q", len(hb)) + hb + good[8 + n:]
        with open(path, "wb") as f:
            f.write(data)
        expect_error(c, db, f"safetensors error {name}", q, (path, "wte.weight"), pre + msg)
    # truncated data and a NaN
    write_safetensors(path, tensors)
    good = open(path, "rb").read()
    n = struct.unpack("<Q", good[:8])[0]
    with open(path, "wb") as f:
        f.write(good[:8 + n + 100])
    expect_error(c, db, "safetensors truncated", "SELECT * FROM emb_tensors(?)", (path,),
                 f"emb_tensors(): {path}: byte 8: header: tensor 'wte.weight' has data_offsets [0, 216]; the data after the header are 100 bytes")
    a2 = a.copy()
    a2[3, 4] = np.nan
    write_safetensors(path, [("w", "F32", a2.shape, a2.tobytes())])
    n = struct.unpack("<Q", open(path, "rb").read()[:8])[0]
    expect_error(c, db, "safetensors nan", q, (path, "w"),
                 pre + f"byte {8 + n + (3 * 6 + 4) * 4}: row 3, column 4 is NaN, infinite or beyond float32's range; expected finite values")


def test_text(c, db, tmp, rng):
    path = os.path.join(tmp, "v.txt")
    words = ["the", "new york", ",", "São Paulo", "a b c", "x"]
    m = (rng.normal(size=(6, 4)) * 10.0 ** rng.integers(-5, 5, size=(6, 4))).astype(np.float32)
    fmt = lambda row: " ".join(repr(float(v)) for v in row)
    variants = {
        "glove": "".join(f"{w} {fmt(r)}\n" for w, r in zip(words[:1] + words[1:], m)),
        "word2vec text": f"6 4\n" + "".join(f"{w} {fmt(r)}\n" for w, r in zip(words, m)),
        "fasttext": f"6 4\n" + "".join(f"{w} {fmt(r)} \n" for w, r in zip(words, m)),
        "crlf and tabs": "".join(f"{w}\t{fmt(r)}\r\n" for w, r in zip(words, m)),
    }
    for name, text in variants.items():
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        got = rows_of(db, "SELECT i, word, vec FROM emb_read_text(?)", (path,))
        ok = [r[0] for r in got] == list(range(6)) and [r[1] for r in got] == words \
            and np.array_equal(matrix(got), m)
        c.check(ok, f"text {name}", str([r[1] for r in got]))
    # a NUL byte inside the first line's word (no header: that line is a row)
    with open(path, "wb") as f:
        f.write(b"a\0b 1 2\nc 3 4\n")
    got = rows_of(db, "SELECT hex(word), emb_json(vec) FROM emb_read_text(?)", (path,))
    c.check(got == [("610062", "[1.0,2.0]"), ("63", "[3.0,4.0]")], "text NUL in the first word", str(got))
    q = "SELECT * FROM emb_read_text(?)"
    pre = f"emb_read_text(): {path}: "
    bad = [
        ("empty", "", "line 1: the file is empty; expected GloVe, word2vec or fastText text vectors"),
        ("one field", "word\n", "line 1: 1 field; expected a word and its numbers, or a header \"n d\""),
        ("not a number", "a 1 2\nb 1 x\n", "line 2: number 2, 'x', is not a finite number in float32's range"),
        ("too few fields", "a 1 2\nb 1\n", "line 2: 2 fields; expected a word and 2 numbers"),
        ("empty line", "a 1 2\n\nb 1 2\n", "line 2: 0 fields; expected a word and 2 numbers"),
        ("beyond float32", "a 1 2\nb 1 1e39\n", "line 2: number 2, '1e39', is not a finite number in float32's range"),
        ("nan", "a 1 nan\n", "line 1: number 2, 'nan', is not a finite number in float32's range"),
        ("ends early", "3 2\na 1 2\nb 3 4\n", "line 4: the file ends early, after 2 rows; the header says 3"),
        ("too many rows", "1 2\na 1 2\nb 3 4\n", "line 3: more rows than the header's 1"),
    ]
    for name, text, msg in bad:
        with open(path, "w") as f:
            f.write(text)
        expect_error(c, db, f"text error {name}", q, (path,), pre + msg)

    # word2vec binary
    path = os.path.join(tmp, "v.bin")
    body = b"".join(w.encode() + b" " + r.astype("<f4").tobytes() + b"\n" for w, r in zip(["the", "São", "<s>"], m))
    with open(path, "wb") as f:
        f.write(b"3 4\n" + body)
    got = rows_of(db, "SELECT i, word, vec FROM emb_read_word2vec(?)", (path,))
    c.check([r[1] for r in got] == ["the", "São", "<s>"] and np.array_equal(matrix(got), m[:3]),
            "word2vec binary", str([r[1] for r in got]))
    with open(path, "wb") as f:   # no newlines between rows
        f.write(b"3 4\n" + b"".join(w.encode() + b" " + r.astype("<f4").tobytes()
                                     for w, r in zip(["the", "São", "<s>"], m)))
    got = rows_of(db, "SELECT vec FROM emb_read_word2vec(?)", (path,))
    c.check(np.array_equal(matrix(got, 0), m[:3]), "word2vec binary without newlines", "")
    q = "SELECT * FROM emb_read_word2vec(?)"
    pre = f"emb_read_word2vec(): {path}: "
    r0 = 3 + 1 + 16 + 1            # "the", a space, 4 float32, "\n"
    w1 = len("São".encode()) + 1   # row 1's word and its space
    bad = [
        ("header", b"three 4\n" + body, "byte 0: the first line is not a header \"n d\" of two integers (d >= 1)"),
        ("ends in a vector", b"3 4\n" + body[:r0 + w1 + 5], f"byte {4 + r0 + w1 + 5}: the file ends inside a row's vector (11 more bytes expected)"),
        ("ends in a word", b"3 4\n" + body[:r0 + 2], f"byte {4 + r0 + 2}: the file ends early, inside row 1 of 3 (its word)"),
        ("more than n", b"2 4\n" + body, f"byte {4 + r0 + w1 + 17}: the file goes on after the header's 2 rows"),
    ]
    for name, data, msg in bad:
        with open(path, "wb") as f:
            f.write(data)
        expect_error(c, db, f"word2vec error {name}", q, (path,), pre + msg)


def test_vocab(c, db, tmp):
    path = os.path.join(tmp, "tokenizer.json")
    bpe = {"model": {"type": "BPE", "vocab": {"a": 0, "Ġthe": 1, "12": 2, "<|endoftext|>": 3}},
           "added_tokens": [{"id": 3, "content": "<|endoftext|>"}, {"id": 4, "content": "<pad>"}]}
    uni = {"model": {"type": "Unigram", "vocab": [["<unk>", 0.0], ["▁x", -1.5], ["\u0000", -9.0]]}}
    vj = {"hello": 7, "world": 2}
    for name, doc, want in [
            ("tokenizer.json BPE", bpe, [(0, "a"), (1, "Ġthe"), (2, "12"), (3, "<|endoftext|>"), (4, "<pad>")]),
            ("tokenizer.json Unigram", uni, [(0, "<unk>"), (1, "▁x"), (2, "\u0000")]),
            ("vocab.json", vj, [(7, "hello"), (2, "world")])]:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)
        got = rows_of(db, "SELECT id, token FROM emb_read_vocab(?)", (path,))
        c.check(got == want, f"vocab {name}", str(got))
    q = "SELECT * FROM emb_read_vocab(?)"
    pre = f"emb_read_vocab(): {path}: "
    bad = [
        ("syntax", '{"a": 1,\n "b" 2}', "line 2: column 6 (byte 15): not valid JSON: ':' expected near '2'"),
        ("top level", "[1, 2]", "the top level is not a JSON object; expected tokenizer.json (with model.vocab) or vocab.json (an object of token: id)"),
        ("id not integer", '{"a": "1"}', "the object['a'] is not an integer id from 0 to 2147483647; expected tokenizer.json (with model.vocab) or vocab.json (an object of token: id)"),
        ("negative id", '{"model": {"vocab": {"a": -1}}}', "model.vocab['a'] is not an integer id from 0 to 2147483647; expected tokenizer.json (with model.vocab) or vocab.json (an object of token: id)"),
        ("vocab kind", '{"model": {"vocab": 5}}', "model.vocab is neither an object of token: id nor an array of [token, score] pairs"),
        ("unigram entry", '{"model": {"vocab": [["a", 0], 7]}}', "model.vocab[1] is not a [token, score] pair"),
        ("added tokens", '{"model": {"vocab": {"a": 0}}, "added_tokens": [{"id": "x"}]}', "added_tokens[0] has no integer \"id\" from 0 to 2147483647 and string \"content\""),
        ("duplicate key", '{"a": 1, "a": 2}', "line 1: column 12 (byte 12): not valid JSON: duplicate object key near '\"a\"'"),
    ]
    for name, text, msg in bad:
        with open(path, "w") as f:
            f.write(text)
        expect_error(c, db, f"vocab error {name}", q, (path,), pre + msg)


def test_common(c, db, tmp):
    path = os.path.join(tmp, "x.npy")
    np.save(path, np.ones((2, 2), dtype="<f4"))
    c.check(rows_of(db, "SELECT count(*) FROM emb_read_npy(NULL)")[0][0] == 0, "NULL path gives no rows", "")
    expect_error(c, db, "missing argument", "SELECT * FROM emb_read_npy()", (),
                 "emb_read_npy(): missing argument; expected emb_read_npy(PATH)")
    expect_error(c, db, "missing tensor argument", "SELECT * FROM emb_read_safetensors(?)", (path,),
                 "emb_read_safetensors(): missing argument; expected emb_read_safetensors(PATH, TENSOR)")
    expect_error(c, db, "path not text", "SELECT * FROM emb_read_text(1)", (),
                 "emb_read_text(): PATH is not TEXT; expected a file name")
    expect_error(c, db, "no such file", "SELECT * FROM emb_read_vocab(?)", (path + ".no",),
                 f"emb_read_vocab(): cannot open '{path}.no': No such file or directory")
    expect_error(c, db, "a folder", "SELECT * FROM emb_read_word2vec(?)", (tmp,),
                 f"emb_read_word2vec(): '{tmp}' is not a regular file")
    # the hidden argument column, and a join passing paths row by row
    got = rows_of(db, "SELECT path, count(*) FROM emb_read_npy(?)", (path,))
    c.check(got == [(path, 2)], "path column", str(got))
    db.execute("CREATE TEMP TABLE files(p)")
    db.executemany("INSERT INTO files VALUES (?)", [(path,), (path,)])
    got = rows_of(db, "SELECT count(*) FROM files, emb_read_npy(files.p)")
    c.check(got == [(4,)], "join over files", str(got))
    # DIRECTONLY: not from a view, not from a trigger (of the main schema;
    # SQLite trusts the TEMP schema, which only the application can write)
    for fn, args in [("emb_read_npy", f"'{path}'"), ("emb_tensors", f"'{path}'"),
                     ("emb_read_safetensors", f"'{path}', 'w'"), ("emb_read_text", f"'{path}'"),
                     ("emb_read_word2vec", f"'{path}'"), ("emb_read_vocab", f"'{path}'")]:
        db.execute(f"CREATE VIEW v AS SELECT * FROM {fn}({args})")
        expect_error(c, db, f"{fn} not in a view", "SELECT * FROM v", (),
                     f"unsafe use of virtual table \"{fn}\"")
        db.execute("DROP VIEW v")
    db.execute("CREATE TABLE t(x)")
    db.execute(f"CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT * FROM emb_read_npy('{path}'); END")
    expect_error(c, db, "not in a trigger", "INSERT INTO t VALUES (1)", (),
                 "unsafe use of virtual table \"emb_read_npy\"")


def first_step_error(db, sql, args):
    """The error of the statement's first step (Python's execute runs it),
    or None when that step gives a row or the end."""
    try:
        db.execute(sql, args)
    except sqlite3.Error as e:
        return str(e)
    return None


def test_word2vec_text(c, db, tmp, rng):
    """emb_read_word2vec on a text file fails at its first row, pointing
    to emb_read_text; binary vectors that merely come close to looking
    like text are read."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    q = "SELECT i, word, vec FROM emb_read_word2vec(?)"
    hint = ", not binary float32; the file looks like word2vec text format: use emb_read_text()"

    def text_error(path):
        data = open(path, "rb").read()
        first = data.index(b"\n") + 1                  # after "n d\n"
        at = data.index(b" ", first) + 1              # after row 0's word
        # quoted up to the line's end; a tab, not printable, as '?'
        shown = data[at:at + 30].split(b"\n")[0].split(b"\r")[0].replace(b"\t", b"?").decode()
        return (f"emb_read_word2vec(): {path}: byte {at}: row 0's vector reads as text, "
                f"'{shown}'" + hint)

    tiny = os.path.join("examples", "tiny")
    path = os.path.join(root, tiny, "fasttext.vec")
    want = text_error(path)
    err = first_step_error(db, q, (path,))
    c.check(err == want, "word2vec on fasttext.vec: error at row 0", f"\n  got:  {err}\n  want: {want}")
    path = os.path.join(root, tiny, "glove.txt")
    err = first_step_error(db, q, (path,))
    want = f"emb_read_word2vec(): {path}: byte 0: the first line is not a header \"n d\" of two integers (d >= 1)"
    c.check(err == want, "word2vec on glove.txt: error at once", f"\n  got:  {err}\n  want: {want}")
    got = rows_of(db, q, (os.path.join(root, tiny, "word2vec.bin"),))
    ref = rows_of(db, "SELECT i, word, vec FROM emb_read_text(?)", (os.path.join(root, tiny, "glove.txt"),))
    c.check(got == ref and len(got) == 50, "word2vec.bin still read", f"{len(got)} rows")

    path = os.path.join(tmp, "w2v.txt")
    m = rng.normal(size=(5, 12)).astype(np.float32)
    texts = {
        "generated text": "5 12\n" + "".join(f"w{i} " + " ".join(repr(float(v)) for v in r) + "\n"
                                            for i, r in enumerate(m)),
        "short numbers (the line ends inside 4*d bytes)": "3 4\na 1 2 3 4\nb 5 6 7 8\nc -1 1e-3 +2 .5\n",
        "crlf and tabs": "2 3\nab 1\t2\t3\r\ncd 4\t5\t6\r\n",
    }
    for name, text in texts.items():
        with open(path, "w") as f:
            f.write(text)
        want = text_error(path)
        err = first_step_error(db, q, (path,))
        c.check(err == want, f"word2vec on {name}: error at row 0", f"\n  got:  {err}\n  want: {want}")

    # binary first vectors close to text: all number characters but one
    # byte; a newline after fewer than d numbers, or (d = 1) inside the
    # first value; no digit; real data
    path = os.path.join(tmp, "w2v.bin")
    for name, vec in [("one byte not a number character", b"0.25 0.5 -0.7e+x"),
                      ("a newline after two numbers", b"1 2\n" + bytes(range(200, 212))),
                      ("d = 1, a newline in the first value", b"7\n\x01\x02"),
                      ("spaces only", b" " * 16),
                      ("random normal", rng.normal(size=4).astype("<f4").tobytes())]:
        with open(path, "wb") as f:
            f.write(f"1 {len(vec) // 4}\nw ".encode() + vec + b"\n")
        got = rows_of(db, "SELECT word, vec FROM emb_read_word2vec(?)", (path,))
        c.check(got == [("w", vec)], f"word2vec binary, {name}", str(got))


def read_while_shrinking(db, sql, args, path, keep, before=3):
    """Steps sql; after Python has `before` rows the file is cut to `keep`
    bytes. Returns the i of every row SQLite yielded (sql calls seen(i),
    since Python's cursor steps a row ahead and drops the row it holds
    when the next step fails), how many of them came before the cut, the
    rows Python got and the error text (or None)."""
    seen = []
    db.create_function("seen", 1, lambda i: seen.append(i) or 1)
    cur = db.execute(sql, args)
    rows = [next(cur) for _ in range(before)]
    n_before = len(seen)
    os.truncate(path, keep)
    try:
        for r in cur:
            rows.append(r)
    except sqlite3.Error as e:
        return seen, n_before, rows, str(e)
    return seen, n_before, rows, None


def test_shrink(c, db, tmp, rng):
    """A file cut short while it is read (between sqlite3_step calls): the
    error names the byte where the file now ends, and no row comes from
    bytes the file no longer has (the reader's 1 MiB buffer still holds
    them). Files of 2 MB or more, so the cut lies inside the buffered part."""
    n, d = 2000, 256
    x = rng.normal(size=(n, d)).astype("<f4")
    words = [f"w{i}" for i in range(n)]
    tail = "; it had {} bytes when opened and got shorter while being read"

    def check(name, fn, path, sql, args, keep, n_rows, where):
        """n_rows: the rows wholly before byte keep, or None when the cut
        lies before the rows already read (then none may follow)."""
        size = os.path.getsize(path)
        seen, n_before, rows, err = read_while_shrinking(db, sql, args, path, keep)
        want = n_before if n_rows is None else n_rows
        ok = seen == list(range(want)) and np.array_equal(matrix(rows), x[:len(rows)])
        if len(rows[0]) == 3:
            ok = ok and [r[1] for r in rows] == words[:len(rows)]
        c.check(ok, f"shrink {name}: only rows still in the file", f"rows {seen[-3:]} yielded")
        want = f"{fn}(): {path}: byte {keep}: the file ends here, {where}" + tail.format(size)
        c.check(err == want, f"shrink {name}: error", f"\n  got:  {err}\n  want: {want}")

    path = os.path.join(tmp, "shrink.npy")
    q = "SELECT i, vec FROM emb_read_npy(?) WHERE seen(i)"
    np.save(path, x)
    iData = os.path.getsize(path) - n * d * 4
    check("npy inside row 10", "emb_read_npy", path, q, (path,), iData + 10 * d * 4 + 500,
          10, "inside a row")
    np.save(path, x)
    check("npy before the rows read", "emb_read_npy", path, q, (path,), iData + d * 4,
          None, "before a row")
    np.save(path, np.asfortranarray(x))
    # row r's last value is the last column's element r
    check("npy fortran", "emb_read_npy", path, q, (path,), iData + ((d - 1) * n + 10) * 4 + 2,
          10, "inside a row")

    path = os.path.join(tmp, "shrink.safetensors")
    write_safetensors(path, [("w", "F32", x.shape, x.tobytes())])
    iData = os.path.getsize(path) - n * d * 4
    check("safetensors", "emb_read_safetensors", path, "SELECT i, vec FROM emb_read_safetensors(?, 'w') WHERE seen(i)",
          (path,), iData + 10 * d * 4 + 7, 10, "inside a row")

    path = os.path.join(tmp, "shrink.txt")
    lines = [f"{w} " + " ".join(repr(float(v)) for v in r) + "\n" for w, r in zip(words, x)]
    ends = np.cumsum([len(s) for s in lines])
    q = "SELECT i, word, vec FROM emb_read_text(?) WHERE seen(i)"
    for cut, where in ((ends[9] + 20, "inside line 11"), (ends[9], "before line 11")):
        with open(path, "w") as f:
            f.writelines(lines)
        check(f"text {where}", "emb_read_text", path, q, (path,), int(cut), 10, where)

    path = os.path.join(tmp, "shrink.bin")
    body = [w.encode() + b" " + r.tobytes() for w, r in zip(words, x)]
    ends = np.cumsum([len(b) for b in body]) + len(f"{n} {d}\n")
    with open(path, "wb") as f:
        f.write(f"{n} {d}\n".encode() + b"".join(body))
    check("word2vec", "emb_read_word2vec", path, "SELECT i, word, vec FROM emb_read_word2vec(?) WHERE seen(i)",
          (path,), int(ends[9]) + len("w10 ") + 100, 10, "inside a row's vector")


STREAM = r"""
import resource, sqlite3, sys
db = sqlite3.connect(":memory:")
db.enable_load_extension(True)
db.load_extension(sys.argv[1])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
n, nbytes = db.execute(sys.argv[3], (sys.argv[2],)).fetchone()
print(n, nbytes, before * 1024, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def test_stream(c, ext, tmp):
    """1 GiB files (sparse on disk, so they cost no writing) stream in flat
    memory: peak RSS grows by a few MiB, not by the file's size. The .npy in
    both orders and a safetensors tensor; the text formats go through the
    same buffered reader, one line (or word and vector) at a time."""
    import io
    n, d = 1 << 20, 256
    files = []
    for order in ("C", "F"):
        path = os.path.join(tmp, f"big_{order}.npy")
        b = io.BytesIO()
        np.lib.format.write_array_header_1_0(b, {"descr": "<f4", "fortran_order": order == "F",
                                                 "shape": (n, d)})
        with open(path, "wb") as f:
            f.write(b.getvalue())
            f.truncate(len(b.getvalue()) + n * d * 4)
        files.append((f"1 GiB {order}-order .npy", path,
                      "SELECT count(*), sum(length(vec)) FROM emb_read_npy(?)"))
    path = os.path.join(tmp, "big.safetensors")
    h = json.dumps({"w": {"dtype": "F32", "shape": [n, d], "data_offsets": [0, n * d * 4]}}).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        f.truncate(8 + len(h) + n * d * 4)
    files.append(("1 GiB safetensors tensor", path,
                  "SELECT count(*), sum(length(vec)) FROM emb_read_safetensors(?, 'w')"))
    for name, path, sql in files:
        out = subprocess.run([sys.executable, "-c", STREAM, ext, path, sql], stdout=subprocess.PIPE,
                             text=True, check=True).stdout.split()
        rows, nbytes, before, after = map(int, out)
        grow = (after - before) / 2 ** 20
        c.check(rows == n and nbytes == n * d * 4, f"{name} read whole", f"{rows} rows, {nbytes} bytes")
        c.check(grow < 32, f"{name} in flat memory", f"peak RSS grew by {grow:.1f} MiB")
        os.remove(path)


def test_examples(c, tmp):
    """examples/tiny/ is what examples/make_tiny.py writes."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = os.path.join(tmp, "tiny")
    subprocess.run([sys.executable, os.path.join(root, "examples", "make_tiny.py"), out], check=True)
    for name in sorted(os.listdir(out)):
        with open(os.path.join(out, name), "rb") as f, \
                open(os.path.join(root, "examples", "tiny", name), "rb") as g:
            c.check(f.read() == g.read(), f"examples/tiny/{name} is current", "run examples/make_tiny.py")


def run(ext):
    c = Checker()
    rng = np.random.default_rng(606)
    db = connect(ext)
    with tempfile.TemporaryDirectory() as tmp:
        test_npy(c, db, tmp, rng)
        test_safetensors(c, db, tmp, rng)
        test_text(c, db, tmp, rng)
        test_vocab(c, db, tmp)
        test_common(c, db, tmp)
        test_shrink(c, db, tmp, rng)
        test_word2vec_text(c, db, tmp, rng)
        test_stream(c, ext, tmp)
        test_examples(c, tmp)
    db.close()
    return c.passed, c.failed


if __name__ == "__main__":
    p, f = run(sys.argv[1] if len(sys.argv) > 1 else "dist/svd")
    print(f"importers: {p} passed, {f} failed")
    sys.exit(1 if f else 0)
