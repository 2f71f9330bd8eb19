"""Support vector machines: SVC, SVR, LinearSVC."""

from __future__ import annotations

from tunesmith.space import Categorical, Condition, Float, Forbidden, Int, Space

__all__ = ["linear_svc", "svc", "svr"]


def _kernel_space(prefix: str, extra: dict) -> Space:
    p = prefix
    return Space(
        {
            f"{p}C": Float(1e-3, 1e3, log=True),
            f"{p}kernel": Categorical(["rbf", "poly", "sigmoid", "linear"]),
            f"{p}gamma": Float(1e-4, 1.0, log=True),
            f"{p}degree": Int(2, 4),
            f"{p}coef0": Float(0.0, 1.0),
            **extra,
        },
        conditions=[
            # gamma scales the rbf, poly and sigmoid kernels; degree is poly's;
            # coef0 the constant of poly and sigmoid: elsewhere they are ignored.
            Condition(f"{p}gamma", f"{p}kernel", ["rbf", "poly", "sigmoid"]),
            Condition(f"{p}degree", f"{p}kernel", ["poly"]),
            Condition(f"{p}coef0", f"{p}kernel", ["poly", "sigmoid"]),
        ],
    )


def svc(prefix: str = "") -> Space:
    """C and gamma on log scales, the kernel, and each kernel's own parameters.

    gamma stops at 1: with a degree-4 polynomial, larger values make libsvm crawl.
    Scale the features first (a Pipeline with StandardScaler).
    """
    return _kernel_space(prefix, {f"{prefix}class_weight": Categorical([None, "balanced"])})


def svr(prefix: str = "") -> Space:
    """As :func:`svc`, plus the width of the epsilon tube on a log scale."""
    return _kernel_space(prefix, {f"{prefix}epsilon": Float(1e-3, 1.0, log=True)})


def linear_svc(prefix: str = "") -> Space:
    """C on a log scale, penalty and loss (L1 with the hinge loss is unsupported).

    ``dual`` stays ``"auto"``, which picks the formulation each pair supports.
    """
    p = prefix
    return Space(
        {
            f"{p}C": Float(1e-4, 1e3, log=True),
            f"{p}class_weight": Categorical([None, "balanced"]),
            f"{p}loss": Categorical(["squared_hinge", "hinge"]),
            f"{p}penalty": Categorical(["l2", "l1"]),
        },
        forbidden=[Forbidden({f"{p}penalty": ["l1"], f"{p}loss": ["hinge"]})],
    )
