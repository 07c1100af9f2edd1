"""Rewrites a checkpoint's model source (replacing OLD by NEW) and re-hashes
it, as a tampered checkpoint would: python3 edit_model_source.py IN OUT OLD NEW"""
import json
import struct
import sys

src, dst, old, new = sys.argv[1:5]
data = open(src, "rb").read()
(n,) = struct.unpack("<Q", data[:8])
header = json.loads(data[8:8 + n])
meta = header["__metadata__"]
meta["model_source"] = meta["model_source"].replace(old, new)
h = 14695981039346656037
for byte in meta["model_source"].encode("utf-8"):
    h = ((h ^ byte) * 1099511628211) % (1 << 64)
meta["model_hash"] = "fnv1a64:%016x" % h
text = json.dumps(header, ensure_ascii=False).encode("utf-8")
text += b" " * (-len(text) % 8)
open(dst, "wb").write(struct.pack("<Q", len(text)) + text + data[8 + n:])
