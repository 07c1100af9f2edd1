"""Runs a command and checks its exit code (lit's shell has no `$?`).

usage: expect_exit.py CODE COMMAND [ARG...]
"""
import subprocess
import sys

expected, command = int(sys.argv[1]), sys.argv[2:]
code = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
if code != expected:
    sys.exit(f"{' '.join(command)}: exit code {code}, expected {expected}")
