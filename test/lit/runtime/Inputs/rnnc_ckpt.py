"""Helpers for the resume and fault tests: read a safetensors checkpoint with
the standard library only, and run rnnc."""
import json, struct, subprocess


def read_checkpoint(path):
    """(metadata dict, {name: (dtype, shape, raw bytes)})."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        tensors[name] = (entry["dtype"], entry["shape"], body[begin:end])
    return meta, tensors


def parameters(path):
    """The model's own tensors (names not starting with '__')."""
    _, tensors = read_checkpoint(path)
    return {k: v for k, v in tensors.items() if not k.startswith("__")}


def metrics(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, **kw)


def write_checkpoint(path, meta, tensors):
    """Writes what read_checkpoint returned (for tampering tests)."""
    header = {"__metadata__": meta}
    offset, body = 0, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        body += raw
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + body)
