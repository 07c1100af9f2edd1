"""PyTorch's build and its single-product GFLOP/s: the MKL yardstick.

Prints one BENCH line with the build (torch version, BLAS, MKL and oneDNN
versions from `torch.__config__.show()`, whether oneDNN is usable, the CPU
capability ATen dispatches to), then one per thread count with the median
GFLOP/s of `torch.mm` on the bench's (M x K) @ (K x N) float32 product
(default 1120x256 @ 256x1027, the d2l output projection), as gemm_probe.cpp
does for Eigen and OpenBLAS. On PyPI's PyTorch 2 `torch.mm` is MKL's sgemm;
on Debian's 1.13 it is OpenBLAS's.

    torch_probe.py [--m M --k K --n N] [--repeats R] [--config-only]
"""

import argparse
import json
import re
import statistics
import time

import torch


def build_info():
    config = torch.__config__.show()

    def find(pattern):
        m = re.search(pattern, config)
        return m.group(1).strip() if m else None

    return {
        "name": "torch_config",
        "torch": torch.__version__,
        "blas": find(r"BLAS_INFO=([^,\n]+)"),
        "mkl": find(r"Math Kernel Library Version ([^\n]+?)(?: for Intel.*)?\n"),
        "onednn": find(r"(?:MKL-DNN|oneDNN) (v[\d.]+)"),
        "onednn_usable": torch.backends.mkldnn.is_available(),
        "mkl_usable": torch.backends.mkl.is_available(),
        "cpu_capability": (torch.backends.cpu.get_cpu_capability()
                           if hasattr(torch.backends, "cpu") else find(r"CPU capability usage: (\S+)")),
        "openmp": find(r"(OpenMP \d+)"),
    }


def median_gflops(m, k, n, repeats):
    a, b = torch.rand(m, k), torch.rand(k, n)
    c = torch.empty(m, n)
    for _ in range(3):
        torch.mm(a, b, out=c)
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b, out=c)
        rates.append(2.0 * m * k * n / (time.perf_counter() - start) / 1e9)
    return statistics.median(rates)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--m", type=int, default=1120)
    p.add_argument("--k", type=int, default=256)
    p.add_argument("--n", type=int, default=1027)
    p.add_argument("--repeats", type=int, default=100)
    p.add_argument("--config-only", action="store_true", help="the build line only")
    a = p.parse_args()
    print("BENCH " + json.dumps(build_info()), flush=True)
    if a.config_only:
        return
    for threads in (1, 2):
        torch.set_num_threads(threads)
        record = {"name": "torch_mm", "threads": torch.get_num_threads(), "m": a.m, "k": a.k,
                  "n": a.n, "gflops": round(median_gflops(a.m, a.k, a.n, a.repeats), 1)}
        print("BENCH " + json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
