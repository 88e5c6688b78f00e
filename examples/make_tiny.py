"""Writes examples/tiny/: one small file per format the importers read, for
README's "Getting your embeddings in" (tests/readme.py runs those examples,
tests/importers.py checks that these files are what this script writes).

    python3 examples/make_tiny.py [examples/tiny]

Standard library only. The "model" is a made-up 64-token vocabulary with
8-dimensional token embeddings, built so that its token classes differ in
shape the way real ones do: the ten digits lie close to one line (a number
direction), capitalized words spread over a few directions, lowercase words
fill all eight.

  model.safetensors  wte.weight F32 [64, 8], wpe.weight F32 [16, 8]
  tokenizer.json     Hugging Face BPE layout: model.vocab, added_tokens
  wte.npy            wte.weight as a NumPy .npy (float32, C order)
  glove.txt          the word rows of wte.weight, GloVe text (no header)
  fasttext.vec       the same with a header "n d", fastText style
  word2vec.bin       the same, word2vec binary
"""
import json
import os
import random
import struct
import sys

DIGITS = [str(i) for i in range(10)]
CAPITAL = ["Paris", "London", "Tokyo", "Berlin", "Madrid", "Rome", "Cairo",
           "Lima", "Oslo", "Delhi", "Alice", "Bob", "Carol", "Dave", "Eve",
           "Frank", "Grace", "Heidi", "Ivan", "Judy"]
LOWER = ["the", "of", "and", "to", "in", "is", "that", "for", "it", "was",
         "on", "with", "as", "be", "at", "by", "this", "had", "not", "are",
         "but", "from", "or", "have", "an", "they", "which", "one", "you",
         "were"]
PUNCT = [",", ".", "!"]
SPECIAL = "<|endoftext|>"
D = 8


def vectors():
    rng = random.Random(20261127)
    tokens = DIGITS + CAPITAL + LOWER + PUNCT + [SPECIAL]
    rows = []
    number = [rng.gauss(0, 1) for _ in range(D)]
    names = [[rng.gauss(0, 1) for _ in range(D)] for _ in range(3)]
    for t in tokens:
        if t in DIGITS:
            s = rng.gauss(0, 2)
            v = [s * number[j] + 0.05 * rng.gauss(0, 1) for j in range(D)]
        elif t in CAPITAL:
            c = [rng.gauss(0, 1) for _ in range(3)]
            v = [sum(c[k] * names[k][j] for k in range(3)) + 0.1 * rng.gauss(0, 1) for j in range(D)]
        else:
            v = [rng.gauss(0, 1) for _ in range(D)]
        # round to float32 so that every format holds the same values
        rows.append([struct.unpack("<f", struct.pack("<f", x))[0] for x in v])
    return tokens, rows


def f32(rows):
    return b"".join(struct.pack(f"<{len(r)}f", *r) for r in rows)


def main(out):
    os.makedirs(out, exist_ok=True)
    tokens, wte = vectors()
    rng = random.Random(7)
    wpe = [[struct.unpack("<f", struct.pack("<f", rng.gauss(0, 0.1)))[0] for _ in range(D)]
           for _ in range(16)]
    a, b = f32(wte), f32(wpe)
    header = {"__metadata__": {"format": "pt"},
              "wte.weight": {"dtype": "F32", "shape": [len(wte), D], "data_offsets": [0, len(a)]},
              "wpe.weight": {"dtype": "F32", "shape": [len(wpe), D],
                             "data_offsets": [len(a), len(a) + len(b)]}}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(os.path.join(out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + a + b)

    vocab = {t: i for i, t in enumerate(tokens) if t != SPECIAL}
    tok = {"version": "1.0",
           "added_tokens": [{"id": len(tokens) - 1, "content": SPECIAL, "special": True}],
           "model": {"type": "BPE", "vocab": vocab, "merges": []}}
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, indent=1)
        f.write("\n")

    hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (len(wte), D)
    hdr += " " * (-(10 + len(hdr) + 1) % 64) + "\n"
    with open(os.path.join(out, "wte.npy"), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode() + a)

    words = [(t, r) for t, r in zip(tokens, wte) if t.isalpha()]
    line = lambda w, r: w + " " + " ".join(repr(x) for x in r)
    with open(os.path.join(out, "glove.txt"), "w", encoding="utf-8") as f:
        f.write("".join(line(w, r) + "\n" for w, r in words))
    with open(os.path.join(out, "fasttext.vec"), "w", encoding="utf-8") as f:
        f.write(f"{len(words)} {D}\n" + "".join(line(w, r) + " \n" for w, r in words))
    with open(os.path.join(out, "word2vec.bin"), "wb") as f:
        f.write(f"{len(words)} {D}\n".encode())
        f.write(b"".join(w.encode() + b" " + f32([r]) + b"\n" for w, r in words))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "tiny"))
