"""Style transfer's optimisers: each is a generator yielding (image [1, H, W, 3] float32, loss terms)
once per step, driving a :class:`~genart.style.losses.Compiled` function.

``args`` are what ``loss_and_grad`` takes after the image (targets, weights, and the mask's
tensors when there is one); see :class:`~genart.style.losses.Compiled`.
"""

from __future__ import annotations

import queue
import threading

import numpy as np

#: L-BFGS-B history length (SciPy's default).
LBFGS_MEMORY = 10


def adam(fns, x0: np.ndarray, steps: int, args, cfg):
    """The tutorial's loop: Adam step on the gradient, then clip to [0, 1]."""
    import keras
    import tensorflow as tf

    image = tf.Variable(x0)
    opt = keras.optimizers.Adam(learning_rate=cfg.learning_rate, beta_1=cfg.beta_1, epsilon=cfg.epsilon)
    for _ in range(steps):
        terms, grad = fns.loss_and_grad(image, *args)
        opt.apply_gradients([(grad, image)])
        image.assign(tf.clip_by_value(image, 0.0, 1.0))
        yield image.numpy(), terms.numpy()


class _Stop(Exception):
    """Raised inside SciPy's callback when the consumer closed the generator."""


def lbfgs(fns, x0: np.ndarray, steps: int, args, cfg):
    """SciPy L-BFGS-B with [0, 1] bounds, one yield per iteration.

    SciPy runs in a worker thread in lock-step with this generator: after each iteration its
    callback hands the iterate over and waits, so nothing is computed while the consumer holds
    the frame, and closing the generator stops SciPy before its next evaluation.
    """
    from scipy.optimize import Bounds, minimize

    shape = x0.shape
    last: dict = {}
    handoff: queue.Queue = queue.Queue(maxsize=1)
    resume: queue.Queue = queue.Queue(maxsize=1)

    def value_and_grad(x):
        terms, grad = fns.loss_and_grad(x.reshape(shape).astype(np.float32), *args)
        terms = terms.numpy()
        last["terms"], last["x"] = terms, x.copy()  # SciPy may reuse the array it passed
        return float(terms.sum()), grad.numpy().ravel().astype(np.float64)

    def callback(intermediate_result):
        x = intermediate_result.x
        if not np.array_equal(last["x"], x):  # L-BFGS-B's last evaluation is normally the iterate
            value_and_grad(x)
        handoff.put(("step", x.reshape(shape).astype(np.float32), last["terms"]))
        if resume.get() == "stop":
            raise _Stop

    def work():
        try:
            minimize(value_and_grad, x0.astype(np.float64).ravel(), jac=True, method="L-BFGS-B",
                     bounds=Bounds(0.0, 1.0), callback=callback,
                     options=dict(maxiter=steps, maxfun=steps * 4, maxcor=LBFGS_MEMORY, ftol=0.0, gtol=0.0))
            handoff.put(("done", None, None))
        except _Stop:
            pass
        except BaseException as exc:  # re-raised in the consumer's thread
            handoff.put(("error", exc, None))

    worker = threading.Thread(target=work, name="genart-lbfgs", daemon=True)
    worker.start()
    try:
        while True:
            kind, x, terms = handoff.get()
            if kind == "error":
                raise x
            if kind == "done":
                return
            yield x, terms
            resume.put("go")
    finally:
        if worker.is_alive():
            resume.put("stop")
            worker.join()


OPTIMIZERS = {"adam": adam, "lbfgs": lbfgs}
