"""Peer (c): JAX/XLA, the closest thing to rnnc — a static-graph compiler.

`jax.jit` of one whole train step: a `lax.scan` over the d2l 6.4 cell
(one-hot @ W_xh + h @ W_hh + b_h, tanh, output projection), mean
cross-entropy, `jax.value_and_grad`, global-norm clipping to 0.01 and SGD
with lr = 100. The first call compiles (reported as compile_ms); timed calls
wait for the result (block_until_ready). Runs in the venv run.sh makes.
--threads 1 pins the process to one core; 0 or 2 leave XLA its default.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

args, _, vocab, batches = common.setup(__doc__)
if args.threads == 1:  # pin to one core before jax starts its thread pool
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

import time  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402


def init_params(key, vocab, hidden):
    k1, k2, k3 = jax.random.split(key, 3)
    return {
        "W_xh": 0.01 * jax.random.normal(k1, (vocab, hidden), jnp.float32),
        "W_hh": 0.01 * jax.random.normal(k2, (hidden, hidden), jnp.float32),
        "b_h": jnp.zeros((hidden,), jnp.float32),
        "W_hq": 0.01 * jax.random.normal(k3, (hidden, vocab), jnp.float32),
        "b_q": jnp.zeros((vocab,), jnp.float32),
    }


def loss_fn(params, X, Y):  # X, Y: (T, B) token ids
    def cell(h, x):
        xo = jax.nn.one_hot(x, vocab, dtype=jnp.float32)
        h = jnp.tanh(xo @ params["W_xh"] + h @ params["W_hh"] + params["b_h"])
        return h, h @ params["W_hq"] + params["b_q"]

    h0 = jnp.zeros((X.shape[1], args.hidden), jnp.float32)
    _, logits = lax.scan(cell, h0, X)  # (T, B, V)
    logp = jax.nn.log_softmax(logits, axis=-1)
    return -jnp.mean(jnp.take_along_axis(logp, Y[..., None], axis=-1))


@jax.jit
def train_step(params, X, Y):
    loss, grads = jax.value_and_grad(loss_fn)(params, X, Y)
    leaves = jax.tree_util.tree_leaves(grads)
    norm = jnp.sqrt(sum(jnp.sum(g * g) for g in leaves))
    scale = jnp.minimum(1.0, args.clip / norm)
    params = jax.tree_util.tree_map(lambda p, g: p - args.lr * scale * g, params, grads)
    return params, loss


def main():
    state = {"params": init_params(jax.random.PRNGKey(args.seed), vocab, args.hidden)}

    def step(xs, ys):
        X = jnp.asarray(xs, jnp.int32).T
        Y = jnp.asarray(ys, jnp.int32).T
        state["params"], loss = train_step(state["params"], X, Y)
        loss.block_until_ready()

    start = time.perf_counter()
    step(*next(batches))
    compile_ms = (time.perf_counter() - start) * 1e3
    median, times = common.time_iterations(step, batches, args.warmup, args.iters)
    common.report("jax_scan", args, vocab, median, times,
                  compile_ms=round(compile_ms, 1), jax_version=jax.__version__)


if __name__ == "__main__":
    main()
