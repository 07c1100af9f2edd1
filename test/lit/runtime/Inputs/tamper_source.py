"""Edits the model source kept in a checkpoint without re-hashing it.
usage: tamper_source.py IN OUT"""
import sys
from rnnc_ckpt import read_checkpoint, write_checkpoint

meta, tensors = read_checkpoint(sys.argv[1])
meta["model_source"] = meta["model_source"].replace("tanh", "sigmoid")
write_checkpoint(sys.argv[2], meta, tensors)
