"""scikit-learn and pandas, captured without hand work: ``provgraph.autolog()`` and data fingerprints.

After :func:`autolog`, every ``fit`` of a scikit-learn estimator or ``Pipeline`` inside a run records:

- the estimator's class (``sklearn.estimator`` annotation) and ``get_params(deep=True)`` as params
  (nested steps as ``clf__C``; estimators and other objects by their ``repr``);
- the training data (``X`` and ``y``) as used datasets, fingerprinted by content (see :func:`fingerprint`),
  so the model a run then saves with ``r.generate`` derives from exactly that data;
- ``training_score`` (the estimator's own ``score`` on the training data, as MLflow's autolog does),
  later ``score`` calls as ``score`` metrics, ``cross_validate`` results as ``cv_<name>`` metrics (the
  mean over folds), and for ``GridSearchCV``/``RandomizedSearchCV`` the best params (``best.<name>``),
  ``best_score`` and each candidate as a child run with its params and ``mean_test_score``.

Fits inside a fit (pipeline steps, search candidates, cross-validation folds) are not recorded again.
Outside a run nothing is recorded; ``autolog(disable=True)`` undoes it.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from ..errors import ProvgraphError
from .data import is_data
from .run import Run, current_run

__all__ = ["autolog"]

_inside: ContextVar[bool] = ContextVar("provgraph_sklearn_inside", default=False)
_patched: dict[tuple[type, str], Callable[..., Any]] = {}
_SEARCHES = ("GridSearchCV", "RandomizedSearchCV", "HalvingGridSearchCV", "HalvingRandomSearchCV")


def _param(value: Any) -> Any:
    """A parameter value events can carry: JSON scalars kept, NaN and infinities and objects as their repr."""
    if value is None or isinstance(value, bool | int | str) or (isinstance(value, float) and math.isfinite(value)):
        return value if not isinstance(value, str) else value[:4096]
    return repr(value)[:4096]


def _data(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    """(X, y) of a ``fit`` or ``cross_validate`` call, positional or by keyword."""
    return (args[0] if args else kwargs.get("X"), args[1] if len(args) > 1 else kwargs.get("y"))


def _use(run: Run, data: Any, name: str) -> None:
    if is_data(data):
        run.use(data, name=name, role="training")


def _record_fit(run: Run, estimator: Any, X: Any, y: Any) -> None:
    cls = type(estimator)
    run.annotate(**{"sklearn.estimator": f"{cls.__module__}.{cls.__qualname__}"})
    run.log_params(**{name: _param(value) for name, value in estimator.get_params(deep=True).items()})
    _use(run, X, "sklearn.X")
    _use(run, y, "sklearn.y")
    if cls.__name__ in _SEARCHES and hasattr(estimator, "cv_results_"):
        _record_search(run, estimator)
    elif y is not None and hasattr(estimator, "score"):
        token = _inside.set(True)
        try:
            run.metric("training_score", float(estimator.score(X, y)))
        except Exception:  # an estimator whose score needs more than X and y: no training score
            pass
        finally:
            _inside.reset(token)


def _record_search(run: Run, search: Any) -> None:
    run.log_params(**{f"best.{name}": _param(value) for name, value in search.best_params_.items()})
    if hasattr(search, "best_score_"):
        run.metric("best_score", float(search.best_score_))
    results = search.cv_results_
    for index, params in enumerate(results["params"]):
        with Run(f"{type(search).__name__} candidate {index}", "training", project=run.project, parent=run.id,
                 params={name: _param(value) for name, value in params.items()}, agents=run.agents,
                 capture_environment=False) as child:
            child.metric("mean_test_score", float(results["mean_test_score"][index]))
            child.metric("rank_test_score", float(results["rank_test_score"][index]))


def _outermost(original: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Run | None, Any]:
    """Call ``original``; the run to record it in when it is the outermost recorded call inside a run."""
    run = current_run()
    if run is None or _inside.get():
        return None, original(*args, **kwargs)
    token = _inside.set(True)
    try:
        return run, original(*args, **kwargs)
    finally:
        _inside.reset(token)


def _wrap_fit(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        run, result = _outermost(original, self, *args, **kwargs)
        if run is not None:
            _record_fit(run, self, *_data(args, kwargs))
        return result

    return fit


def _wrap_score(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def score(self: Any, *args: Any, **kwargs: Any) -> Any:
        value = original(self, *args, **kwargs)
        run = current_run()
        if run is not None and not _inside.get():
            run.metric("score", float(value))
        return value

    return score


def _wrap_cross_validate(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def cross_validate(estimator: Any, *args: Any, **kwargs: Any) -> Any:
        run, result = _outermost(original, estimator, *args, **kwargs)
        if run is None:
            return result
        X, y = _data(args, kwargs)
        for name, values in result.items():
            if name.startswith(("test_", "train_")):
                run.metric(f"cv_{name}", float(values.mean()))
        _use(run, X, "sklearn.X")
        _use(run, y, "sklearn.y")
        return result

    return cross_validate


def _patch(owner: Any, name: str, wrap: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    original = owner.__dict__.get(name)
    if not inspect.isfunction(original) or (owner, name) in _patched:  # descriptors (available_if) stay as they are
        return
    _patched[(owner, name)] = original
    setattr(owner, name, wrap(original))


def autolog(disable: bool = False) -> None:
    """Record every scikit-learn ``fit`` (and ``score``, ``cross_validate``) inside a run; idempotent.
    ``disable=True`` puts scikit-learn's own methods back."""
    if disable:
        for (owner, name), original in _patched.items():
            setattr(owner, name, original)
        _patched.clear()
        return
    try:
        import sklearn.model_selection
        from sklearn.model_selection import _validation
        from sklearn.utils import all_estimators
    except ImportError as exc:
        raise ProvgraphError("autolog needs scikit-learn: pip install 'provgraph[sklearn]'") from exc
    from sklearn.pipeline import Pipeline

    classes = {cls for _, cls in all_estimators()} | {Pipeline, sklearn.model_selection.GridSearchCV,
                                                      sklearn.model_selection.RandomizedSearchCV}
    for cls in classes:
        for owner in cls.__mro__:
            if owner.__module__.startswith("sklearn"):
                _patch(owner, "fit", _wrap_fit)
                _patch(owner, "score", _wrap_score)
    for module in (sklearn.model_selection, _validation):
        _patch(module, "cross_validate", _wrap_cross_validate)
