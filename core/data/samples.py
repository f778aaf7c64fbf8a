"""Built-in datasets, so the whole workflow can be tried without a file of one's own.

The heart sample is SYNTHETIC: it has the columns, value ranges and integer codes of the
Kaggle "Heart Attack Analysis & Prediction" file, and its target follows a noisy risk score
built from clinically sensible effects, so models learn about as well as on the real data.
It is not patient data. The breast-cancer sample is the real UCI (Wisconsin diagnostic)
dataset that ships with scikit-learn, so loading it needs no download.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["HEART_COLUMNS", "SAMPLES", "SampleInfo", "breast_cancer_sample", "heart_sample"]

HEART_COLUMNS = [
    "age",
    "sex",
    "cp",
    "trtbps",
    "chol",
    "fbs",
    "restecg",
    "thalachh",
    "exng",
    "oldpeak",
    "slp",
    "caa",
    "thall",
    "output",
]

# Shares of each code in the Kaggle file (303 rows), used as sampling probabilities.
_CP = (0.47, 0.17, 0.29, 0.07)  # chest pain type 0-3
_RESTECG = (0.485, 0.50, 0.015)  # resting ECG 0-2
_CAA = (0.58, 0.21, 0.125, 0.068, 0.017)  # major vessels coloured 0-4
_THALL = (0.01, 0.06, 0.54, 0.39)  # thalassemia 0-3
_RISK_INTERCEPT = 0.4  # puts the share of output = 1 near the real file's 54%
_RISK_SCALE = 2.5  # how strongly the features decide the outcome (higher: less noise)


@dataclass(frozen=True)
class SampleInfo:
    title: str
    description: str  # honest about where the data comes from
    loader: Callable[[], pd.DataFrame]
    target: str  # the default target column


def _codes(rng: np.random.Generator, n_rows: int, probs: tuple[float, ...]) -> np.ndarray:
    """Integer codes 0..k-1 drawn with the given shares; every code appears when n_rows >= k.

    Rare codes (restecg 2, caa 4, thall 0) could otherwise be missing from a draw, and a
    column's typing (categorical, not binary) depends on how many codes it has.
    """
    p = np.asarray(probs) / sum(probs)
    codes = rng.choice(len(p), size=n_rows, p=p)
    absent = [code for code in range(len(p)) if not np.any(codes == code)]
    if absent and n_rows >= len(p):
        counts = np.bincount(codes, minlength=len(p))
        for code in absent:  # take a row from the most common code
            donor = int(np.argmax(counts))
            row = int(rng.choice(np.flatnonzero(codes == donor)))
            codes[row] = code
            counts[donor] -= 1
            counts[code] += 1
    return codes


def _bounded_ints(values: np.ndarray, low: int, high: int) -> np.ndarray:
    return np.clip(np.round(values), low, high).astype(np.int64)


def heart_sample(n_rows: int = 303, seed: int = 42) -> pd.DataFrame:
    """A synthetic dataset with the Kaggle heart file's schema; the same frame for the same seed.

    ``output`` = 1 (the class the Kaggle file calls "more chance of a heart attack") follows a
    logistic risk score: raised by chest pain (cp > 0), a high maximum heart rate (thalachh),
    a flat ST segment (low oldpeak), an up-sloping peak (slp 2), no coloured vessels (caa 0)
    and a normal thallium scan (thall 2); lowered by exercise angina (exng 1), male sex and age.
    """
    if n_rows < 1:
        raise ValueError("n_rows must be at least 1")
    rng = np.random.default_rng(seed)
    age = _bounded_ints(rng.normal(54.4, 9.0, n_rows), 29, 77)
    sex = (rng.random(n_rows) < 0.68).astype(np.int64)
    cp = _codes(rng, n_rows, _CP)
    trtbps = _bounded_ints(rng.normal(131.6, 17.5, n_rows) + 0.3 * (age - 54), 94, 200)
    chol = _bounded_ints(np.exp(rng.normal(np.log(242), 0.2, n_rows)), 126, 564)
    fbs = (rng.random(n_rows) < 0.15).astype(np.int64)
    restecg = _codes(rng, n_rows, _RESTECG)
    exng = (rng.random(n_rows) < 0.33).astype(np.int64)
    thalachh = _bounded_ints(rng.normal(204, 18, n_rows) - 0.95 * age - 8 * exng, 71, 202)
    st_raised = rng.random(n_rows) < 0.68  # a third of the real file has oldpeak 0.0
    oldpeak = np.where(st_raised, rng.gamma(1.6, 0.95, n_rows) + 0.1 * exng, 0.0)
    oldpeak = np.clip(np.round(oldpeak, 1), 0.0, 6.2)
    slp_probs = np.where(oldpeak[:, None] < 1.0, [0.03, 0.32, 0.65], [0.12, 0.63, 0.25])
    slp = (rng.random(n_rows)[:, None] > np.cumsum(slp_probs, axis=1)).sum(axis=1).clip(0, 2)
    slp[: min(3, n_rows)] = np.arange(min(3, n_rows))  # every slope code appears
    caa = _codes(rng, n_rows, _CAA)
    thall = _codes(rng, n_rows, _THALL)

    risk = _RISK_INTERCEPT + _RISK_SCALE * (  # each effect centred on its typical value
        np.array([-1.0, 0.6, 0.9, 0.5])[cp]
        + 0.035 * (thalachh - 150)
        - 0.75 * (oldpeak - 1.0)
        + 0.9 * ((slp == 2) - 0.47)
        - 0.9 * (caa - 0.7)
        + np.array([-0.7, -0.9, 1.0, -1.0])[thall]
        - 1.1 * (exng - 0.33)
        - 0.8 * (sex - 0.68)
        - 0.02 * (age - 54)
    )
    output = (rng.random(n_rows) < 1 / (1 + np.exp(-risk))).astype(np.int64)
    columns = [age, sex, cp, trtbps, chol, fbs, restecg, thalachh, exng, oldpeak, slp, caa, thall, output]
    frame = pd.DataFrame(dict(zip(HEART_COLUMNS, columns, strict=True)))
    return frame.astype({name: np.int64 for name in HEART_COLUMNS if name != "oldpeak"})


def breast_cancer_sample() -> pd.DataFrame:
    """scikit-learn's copy of the UCI Wisconsin diagnostic data: 30 measurements, ``target`` last.

    target: 0 = malignant, 1 = benign (scikit-learn's coding). scikit-learn is imported here,
    not at module import, because it takes seconds to load.
    """
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    frame: pd.DataFrame = bunch.frame.copy()
    frame["target"] = frame["target"].astype(np.int64)
    return frame[[*(c for c in frame.columns if c != "target"), "target"]]


SAMPLES: dict[str, SampleInfo] = {
    "heart": SampleInfo(
        title="Heart attack (synthetic)",
        description=(
            "SYNTHETIC data generated by this app with the schema of the Kaggle 'Heart Attack Analysis & "
            "Prediction' dataset: 303 rows, 13 features (age, sex, chest pain type, blood pressure, "
            "cholesterol, ...) and the target 'output' (1 = more chance of a heart attack). Values follow "
            "the real file's ranges and a noisy risk score, so models learn about as well as on the real "
            "data; no row describes a real patient."
        ),
        loader=heart_sample,
        target="output",
    ),
    "breast-cancer": SampleInfo(
        title="Breast cancer (real, UCI Wisconsin)",
        description=(
            "Real data: the UCI Breast Cancer Wisconsin (Diagnostic) dataset bundled with scikit-learn, "
            "569 tumours described by 30 numeric measurements of cell nuclei. Target 'target': "
            "0 = malignant, 1 = benign."
        ),
        loader=breast_cancer_sample,
        target="target",
    ),
}
