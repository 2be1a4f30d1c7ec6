"""The trained models: the exported logistic regressions give sklearn's probabilities, and the shipped file says
how it was made."""
import numpy as np
import pytest

from factcheck.learned import Logistic, checker_model, events_model, model_meta


def _fit(x, y, names, classes, positive=()):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    import train_checker

    return train_checker._fit_logistic(x, y, names, classes, 1.0, positive=positive)


def test_a_bounded_feature_never_lowers_the_probability_and_the_others_are_sklearns_fit():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(600, 3))
    y = (x[:, 0] - 1.5 * x[:, 1] + 0.5 * rng.normal(size=600) > 0).astype(int)   # f2 lowers the odds
    free = _fit(x, y, ["f1", "f2", "f3"], ["no", "yes"])
    bounded = _fit(x, y, ["f1", "f2", "f3"], ["no", "yes"], positive=("f2",))
    assert free.coef[0][1] < -0.5
    assert bounded.coef[0][1] == pytest.approx(0.0, abs=1e-6)
    unbounded_too = _fit(x, y, ["f1", "f2", "f3"], ["no", "yes"], positive=("f1",))  # bound not active
    assert np.allclose(unbounded_too.coef, free.coef, rtol=1e-2)


@pytest.mark.parametrize("classes", [["no", "yes"], ["a", "b", "c", "d"]])
def test_exported_model_gives_sklearns_probabilities(classes):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(7)
    x = rng.normal(size=(400, 3)) * [1.0, 5.0, 0.1] + [0.0, 2.0, 1.0]
    y = np.array(classes)[(x[:, 0] + 0.2 * x[:, 1] > 0.3).astype(int) + (len(classes) > 2) * (x[:, 2] > 1.0) * 2]
    names = ["f1", "f2", "f3"]
    exported = Logistic.from_dict(_fit(x, y, names, classes).to_dict())
    mean, scale = x.mean(axis=0), x.std(axis=0)
    reference = LogisticRegression(C=1.0, max_iter=5000).fit((x - mean) / scale, y)
    expected = reference.predict_proba((x - mean) / scale)[:, [list(reference.classes_).index(c) for c in classes]]
    got = exported.proba([dict(zip(names, row)) for row in x])
    assert np.allclose(got, expected, atol=1e-4)


def test_shipped_model_has_both_variants_and_says_how_it_was_made():
    for with_vectors in (True, False):
        model = checker_model(with_vectors)
        assert model.verdict.classes == ["SUPPORTED", "REFUTED", "CONFLICTING", "NOT_ENOUGH_EVIDENCE"]
        assert ("cos" in model.gate.features) == with_vectors
        assert len(model.verdict_weights) == 4
        assert events_model(with_vectors).classes == ["other", "same_event"]
    meta = model_meta()
    assert len(meta["data_sha256"]) == 64
    assert meta["cv_vectors"]["news"]["n"] == 180 and 0 < meta["cv_vectors"]["news"]["macro_f1"] <= 1
