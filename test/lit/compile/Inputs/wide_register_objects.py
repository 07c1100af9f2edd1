"""Prints, one per line and sorted, the members of a static library whose
code uses a 256- or 512-bit register (ymm, zmm): code that runs only on a
CPU with AVX or AVX-512."""
import os, re, subprocess, sys, tempfile

library = os.path.abspath(sys.argv[1])
with tempfile.TemporaryDirectory() as work:
    subprocess.run(["llvm-ar", "x", library], cwd=work, check=True)
    for member in sorted(os.listdir(work)):
        text = subprocess.run(["llvm-objdump", "-d", "--no-show-raw-insn", member],
                              cwd=work, check=True, capture_output=True, text=True).stdout
        if re.search(r"%[yz]mm\d", text):
            print(member)
