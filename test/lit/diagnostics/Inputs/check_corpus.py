"""Runs `rnnc check` on every file of a fuzzer corpus directory.

Each input must end with exit 0 (accepted) or exit 1 with a located first
diagnostic (`file:line:col: error: ...`); anything else (a crash, a signal,
an unlocated message) is printed and fails the test.
Usage: check_corpus.py RNNC CORPUS_DIR
"""
import os
import re
import subprocess
import sys

rnnc, corpus = sys.argv[1], sys.argv[2]
failures = 0
files = sorted(os.listdir(corpus))
for name in files:
    path = os.path.join(corpus, name)
    r = subprocess.run([rnnc, "check", path], capture_output=True, timeout=20)
    first = r.stderr.decode("utf-8", "replace").split("\n")[0]
    located = re.match(re.escape(path) + r":\d+:\d+: error: ", first)
    if r.returncode == 0 and not r.stderr or r.returncode == 1 and located:
        continue
    failures += 1
    print("%s: exit %d: %s" % (name, r.returncode, first[:200]))
print("%d inputs, %d failures" % (len(files), failures))
sys.exit(1 if failures else 0)
