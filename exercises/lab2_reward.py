"""Lab 2 — Reward modeling: learning a score from pairwise human preferences.

Labellers find it much easier to say which of two responses is better than to give either one a
number. This lab turns such comparisons into a reward model. Every response is a feature vector
`x`, a linear reward model scores it `r(x) = w @ x`, and the Bradley–Terry model links rewards to
choices: the labeller prefers the chosen response with probability `sigmoid(r_chosen -
r_rejected)`. You implement that probability, the regularised negative log-likelihood of a set
of comparisons and its gradient, fit the weights with Newton's method, and measure how often a
model agrees with the labels. The demo fits the seed's four comparisons, then simulated noisy
annotators show how much data a reward model needs, why no model beats the annotators' noise on
their own labels while one can beat every single annotator against the true ordering, what it
learns from annotators who disagree, and how an AI judge's bias carries into it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

import labkit


def preference_probability(r_chosen: ArrayLike, r_rejected: ArrayLike) -> np.ndarray:
    """Bradley–Terry probability that the labeller prefers the first response.

    Bradley–Terry gives each response a hidden reward `r` and says the labeller picks the chosen
    response over the rejected one with probability

        exp(r_chosen) / (exp(r_chosen) + exp(r_rejected)) = sigmoid(r_chosen - r_rejected).

    Only the difference `r_chosen - r_rejected` (chosen minus rejected) matters: adding the same
    constant to every reward changes no probability. Swapping the arguments gives the opposite
    preference, `preference_probability(b, a) = 1 - preference_probability(a, b)`. A reward gap of
    0 means a coin flip, so a tie gives exactly 0.5, however large the rewards. Compute the
    sigmoid without ever exponentiating a large positive number: differences up to ±1e6 must
    saturate to 1.0 or 0.0 with no overflow warning and no nan.

    Args:
        r_chosen: Rewards of the chosen responses; anything `np.asarray` accepts.
        r_rejected: Rewards of the rejected responses, broadcastable against `r_chosen`
            (numpy broadcasting rules, e.g. one array against a scalar).

    Returns:
        A float64 array of the broadcast shape (0-d for two scalars) holding
        `sigmoid(r_chosen - r_rejected)`, each value in [0, 1].

    Raises:
        ValueError: If the shapes of `r_chosen` and `r_rejected` cannot be broadcast together.
            The message names the argument.

    Example:
        >>> preference_probability(2.0, 0.0)
        array(0.88079708)
        >>> preference_probability([3.0, 0.0], [3.0, 1e6])
        array([0.5, 0. ])
    """
    raise NotImplementedError("Lab 2: preference_probability")


def preference_loss(w: ArrayLike, x_chosen: ArrayLike, x_rejected: ArrayLike, l2: float = 0.0) -> float:
    """Regularised Bradley–Terry negative log-likelihood of a linear reward model.

    With rewards `r(x) = w @ x`, comparison `i` has the margin
    `m_i = w @ (x_chosen[i] - x_rejected[i])` (chosen minus rejected) and the model gives the
    observed label the probability `sigmoid(m_i)`. The loss is the **mean** over the `n`
    comparisons (not the sum) of `-log sigmoid(m_i)`, plus an L2 penalty with a factor one half:

        L(w) = mean_i -log sigmoid(m_i) + (l2 / 2) * ||w||^2.

    A comparison the model gets confidently right costs almost nothing, a confident mistake costs
    about `|m_i|`, and a margin of 0 costs `log 2`. Write `-log sigmoid(m)` as
    `log(1 + exp(-m)) = np.logaddexp(0, -m)`: the naive `-np.log(sigmoid(m))` returns `inf` for
    `m = -1e6`, and the loss must stay finite and warning-free for margins up to ±1e6.
    A reward model has no bias term: a constant added to every reward cancels in each margin.

    Args:
        w: Reward weights, shape (d,).
        x_chosen: Features of the preferred responses, shape (n, d); row `i` is comparison `i`.
        x_rejected: Features of the other responses, shape (n, d).
        l2: Strength of the L2 penalty, >= 0 (default 0: the plain mean negative log-likelihood).

    Returns:
        The loss as a Python float.

    Raises:
        ValueError: If `x_chosen` is not 2-D, `x_rejected` has another shape than `x_chosen`,
            `w` is not a vector of length d, there are no comparisons (n = 0), or `l2` < 0. The
            message names the argument.

    Example:
        >>> preference_loss([1.0, 0.0], [[2.0, 5.0]], [[2.0, -5.0]])  # margin 0: log 2
        0.6931471805599453
    """
    raise NotImplementedError("Lab 2: preference_loss")


def preference_loss_grad(
    w: ArrayLike, x_chosen: ArrayLike, x_rejected: ArrayLike, l2: float = 0.0
) -> np.ndarray:
    """Gradient of `preference_loss` with respect to the weights `w`.

    Differentiating `-log sigmoid(m)` gives `-sigmoid(-m)`, and `sigmoid(-m_i)` is the
    probability the model gives to the *opposite* of label `i`. So

        grad = -mean_i sigmoid(-m_i) * (x_chosen[i] - x_rejected[i]) + l2 * w,

    with `m_i = w @ (x_chosen[i] - x_rejected[i])`: each comparison pulls `w` towards its
    feature difference, in proportion to how wrong the model still is about it, and the penalty
    pulls `w` towards 0. The mean over comparisons and the factor one half in the penalty are
    the same as in `preference_loss`.

    Args:
        w: Reward weights, shape (d,).
        x_chosen: Features of the preferred responses, shape (n, d).
        x_rejected: Features of the other responses, shape (n, d).
        l2: Strength of the L2 penalty, >= 0.

    Returns:
        The gradient, a float64 array of shape (d,).

    Raises:
        ValueError: The same as `preference_loss`: `x_chosen` not 2-D, `x_rejected` of another
            shape, `w` not of shape (d,), n = 0, or `l2` < 0. The message names the argument.

    Example:
        >>> preference_loss_grad([0.0], [[1.0], [3.0]], [[0.0], [0.0]])  # -mean(0.5 * [1, 3])
        array([-1.])
    """
    raise NotImplementedError("Lab 2: preference_loss_grad")


def fit_reward_model(
    x_chosen: ArrayLike, x_rejected: ArrayLike, l2: float = 1e-3, tol: float = 1e-9, max_iter: int = 100
) -> np.ndarray:
    """Fit a linear reward model to comparisons by minimising `preference_loss` with Newton's method.

    Why `l2` must be > 0: when the labels are perfectly consistent (some `w` puts every chosen
    response above its rejected one, as with a few careful labellers), doubling that `w` makes
    every margin larger and the unpenalised loss smaller, forever: the loss tends to 0 as
    `||w||` grows, so no finite minimiser exists and any optimiser just inflates the weights.
    The penalty `(l2 / 2) * ||w||^2` makes the loss strictly convex with a unique finite
    minimiser. Because the data only ever constrain reward *differences*, `l2` also sets how
    large (how confident) the fitted rewards are.

    Newton's method uses the exact Hessian of the loss,

        H(w) = mean_i p_i * (1 - p_i) * d_i d_i^T + l2 * I,
        d_i = x_chosen[i] - x_rejected[i],  p_i = sigmoid(w @ d_i),

    which is positive definite for `l2 > 0`. Starting from `w = 0`, each iteration solves
    `H step = -grad` and moves along `step`; a backtracking line search halves the step until
    the loss decreases enough, which keeps the method from overshooting when the data are
    (nearly) separable. Near the optimum the full step is taken and convergence is quadratic:
    a handful of iterations reach machine precision.

    Stopping criterion (stationarity): the iterations stop as soon as
    `np.linalg.norm(preference_loss_grad(w, x_chosen, x_rejected, l2)) <= tol`, or after
    `max_iter` Newton steps. What is checked, with the default arguments, is that the returned
    `w` is stationary on well-conditioned inputs: `||grad|| <= 1e-6` (loose enough for a
    first-order method; Newton's method reaches the default `tol`), not the route you take.
    Perfectly consistent labels, such as the seed's four comparisons, must work too: there the
    finite minimiser exists only thanks to `l2`, and a Hessian without its `l2 * I` term becomes
    singular as `w` grows.

    Args:
        x_chosen: Features of the preferred responses, shape (n, d).
        x_rejected: Features of the other responses, shape (n, d).
        l2: Strength of the L2 penalty, must be > 0 (default 1e-3).
        tol: Stop once the Euclidean norm of the gradient is <= tol (default 1e-9).
        max_iter: At most this many Newton steps (default 100).

    Returns:
        The fitted weights, a float64 array of shape (d,).

    Raises:
        ValueError: If `l2` <= 0, `x_chosen` is not 2-D, `x_rejected` has another shape than
            `x_chosen`, or there are no comparisons (n = 0). The message names the argument.

    Example:
        >>> x_chosen, x_rejected = [[1.0, 0.0], [0.0, 1.0]], [[0.0, 0.0], [0.0, 0.0]]
        >>> w = fit_reward_model(x_chosen, x_rejected, l2=0.1)
        >>> bool(np.linalg.norm(preference_loss_grad(w, x_chosen, x_rejected, l2=0.1)) <= 1e-9)
        True
    """
    raise NotImplementedError("Lab 2: fit_reward_model")


def pairwise_accuracy(w: ArrayLike, x_chosen: ArrayLike, x_rejected: ArrayLike) -> float:
    """Fraction of comparisons on which the reward model agrees with the label.

    Comparison `i` counts 1 when the chosen response scores strictly higher,
    `w @ x_chosen[i] > w @ x_rejected[i]`, 0 when it scores strictly lower, and 1/2 on a tie
    (a tied model predicts a coin flip, `sigmoid(0) = 0.5`, so it is right half the time).
    Compare the two scores themselves, not `sigmoid` of their difference, which rounds a tiny
    gap to exactly 0.5. The result is the mean over the `n` comparisons, so swapping `x_chosen`
    and `x_rejected` turns an accuracy `a` into `1 - a`.

    Args:
        w: Reward weights, shape (d,).
        x_chosen: Features of the preferred responses, shape (n, d).
        x_rejected: Features of the other responses, shape (n, d).

    Returns:
        The accuracy as a Python float in [0, 1].

    Raises:
        ValueError: If `x_chosen` is not 2-D, `x_rejected` has another shape than `x_chosen`,
            `w` is not of shape (d,), or n = 0. The message names the argument.

    Example:
        >>> pairwise_accuracy([1.0, 0.0], [[2.0, 0.0], [1.0, 5.0]], [[1.0, 0.0], [1.0, 0.0]])
        0.75
    """
    raise NotImplementedError("Lab 2: pairwise_accuracy")


# ---------------------------------------------------------------------------------------------
# Demo (not graded)
# ---------------------------------------------------------------------------------------------

DEMO_SHOWS = ("83.5", "73.5", "63.0", "56.5")
"""What the demo prints, checked by tests/test_demos.py: the seed's numbers it reproduces, or its tables' labels."""
FEATURES = ("helpfulness", "clarity", "safety")
HUMAN_WEIGHTS = np.array([0.4, 0.3, 0.3])
SEED_HAND_SET_WEIGHTS = np.array([0.35, 0.35, 0.30])
RESPONSES = {
    "A (Generic)": (60.0, 50.0, 80.0),
    "B (Detailed)": (85.0, 90.0, 75.0),
    "C (Too Long)": (75.0, 65.0, 80.0),
    "D (Unsafe)": (70.0, 75.0, 20.0),
}
COMPARISONS = (
    ("B (Detailed)", "A (Generic)"),
    ("B (Detailed)", "C (Too Long)"),
    ("C (Too Long)", "D (Unsafe)"),
    ("B (Detailed)", "D (Unsafe)"),
)
SEED_L2 = 0.01

SIMULATED_FEATURES = ("helpfulness", "clarity", "safety", "length")
SIMULATED_WEIGHTS = np.array([0.4, 0.3, 0.3, 0.0])
DATA_SIZES = (10, 30, 100, 300, 1000, 3000, 10000)
TEMPERATURES = (1.0, 3.0, 10.0, 30.0, 100.0)
BASE_TEMPERATURE = 10.0
NOISE_TABLE_SIZE = 1000
HELD_OUT_SIZE = 100_000
REPEATS = 20
ANNOTATORS = {  # name: (weights on the simulated features, share of the comparisons labelled)
    "helpfulness-first": (np.array([0.7, 0.1, 0.2, 0.0]), 0.5),
    "clarity-first": (np.array([0.2, 0.6, 0.2, 0.0]), 0.3),
    "safety-first": (np.array([0.2, 0.1, 0.7, 0.0]), 0.2),
}
CONSTITUTION = np.array([0.4, 0.3, 0.3, 0.0])  # the written principles: the labellers' own weights
JUDGE_LENGTH_BIAS = 0.15  # what the AI judge adds per point of length, on top of the constitution
PANEL_SIZE = 10_000


def _ranking(scores: dict[str, float]) -> list[str]:
    """Response names from the highest score to the lowest."""
    return sorted(scores, key=scores.__getitem__, reverse=True)


def _scores(weights: np.ndarray) -> dict[str, float]:
    """Score of every seed response on the 0-100 scale."""
    return {name: float(weights @ np.array(features)) for name, features in RESPONSES.items()}


def _mean_abs_error(scores: dict[str, float], human: dict[str, float]) -> float:
    """Average absolute difference between model and human scores over the seed responses."""
    return float(np.mean([abs(scores[name] - human[name]) for name in RESPONSES]))


def _seed_comparisons() -> tuple[np.ndarray, np.ndarray]:
    """The seed's four comparisons as (chosen, rejected) feature rows scaled to [0, 1]."""
    chosen = np.array([RESPONSES[winner] for winner, _ in COMPARISONS]) / 100.0
    rejected = np.array([RESPONSES[loser] for _, loser in COMPARISONS]) / 100.0
    return chosen, rejected


def _show_human_ranking() -> dict[str, float]:
    """Print the seed's responses with their human scores; return the scores."""
    labkit.heading("Lab 2 — the seed's responses, scored by humans (0.4 help + 0.3 clarity + 0.3 safety)")
    human = _scores(HUMAN_WEIGHTS)
    rows = [(rank, name, *RESPONSES[name], human[name]) for rank, name in enumerate(_ranking(human), 1)]
    labkit.print_table(
        ("rank", "response", *FEATURES, "human score"), rows, ("d", "", ".0f", ".0f", ".0f", ".1f")
    )
    print("\nThe labellers only report comparisons (chosen > rejected):")
    print("  " + ",  ".join(f"{winner[0]} > {loser[0]}" for winner, loser in COMPARISONS))
    return human


def _show_seed_fit(human: dict[str, float]) -> None:
    """Fit the seed's four comparisons and compare the result with the human scores."""
    labkit.heading(f"A reward model fitted on those four comparisons (features / 100, l2 = {SEED_L2})")
    chosen, rejected = _seed_comparisons()
    weights = fit_reward_model(chosen, rejected, l2=SEED_L2)
    normalised = weights / weights.sum()
    print(
        "l2 > 0 is required: all four labels are consistent, so without it the weights would grow\n"
        "forever. The penalty acts as a Gaussian prior on w of standard deviation 1/sqrt(n * l2) = 5\n"
        "per weight (n = 4): a 20-point lead in one feature may move the log-odds by about 1, which\n"
        "keeps the model from being ~99 % sure after four labels (try l2 = 1e-4 below)."
    )
    grad_norm = np.linalg.norm(preference_loss_grad(weights, chosen, rejected, SEED_L2))
    print(f"\nfitted w = {np.round(weights, 3)}, ||grad|| = {grad_norm:.1e}, ", end="")
    print(f"training accuracy {pairwise_accuracy(weights, chosen, rejected):.2f}")
    confidence = preference_probability(chosen @ weights, rejected @ weights)
    pairs = (
        f"{winner[0]}>{loser[0]} {p:.2f}" for (winner, loser), p in zip(COMPARISONS, confidence, strict=True)
    )
    print("P(chosen > rejected): " + ",  ".join(pairs))

    print()
    weight_rows = [
        ("human (ground truth)", *HUMAN_WEIGHTS),
        ("fitted, normalised to sum 1", *normalised),
        ("seed's hand-set model", *SEED_HAND_SET_WEIGHTS),
    ]
    labkit.print_table(("weights", *FEATURES), weight_rows, ("", ".3f", ".3f", ".3f"))

    print()
    model = _scores(normalised)
    hand_set = _scores(SEED_HAND_SET_WEIGHTS)
    human_order, model_order = _ranking(human), _ranking(model)
    rows = [
        (
            name,
            human[name],
            model[name],
            abs(model[name] - human[name]),
            model_order.index(name) + 1,
            hand_set[name],
        )
        for name in RESPONSES
    ]
    labkit.print_table(
        ("response", "human", "fitted model", "|error|", "fitted rank", "seed's hand-set"),
        rows,
        ("", ".2f", ".2f", ".2f", "d", ".2f"),
    )
    print(
        f"\naverage |error|: fitted {_mean_abs_error(model, human):.3f} points; "
        f"the seed's hand-set 0.35/0.35/0.30 {_mean_abs_error(hand_set, human):.3f}"
    )
    verdict = "the same as" if model_order == human_order else "different from"
    print(f"fitted ranking {' > '.join(name[0] for name in model_order)}: {verdict} the human ranking")

    print("\nHow the choice of l2 moves the answer (same four comparisons):")
    rows = []
    for l2 in (1e-4, 1e-3, 1e-2, 1e-1, 1.0):
        fitted = fit_reward_model(chosen, rejected, l2=l2)
        fitted_normalised = fitted / fitted.sum()
        scores = _scores(fitted_normalised)
        lowest = preference_probability(chosen @ fitted, rejected @ fitted).min()
        same = "yes" if _ranking(scores) == human_order else "no"
        rows.append((l2, *fitted_normalised, lowest, _mean_abs_error(scores, human), same))
    labkit.print_table(
        ("l2", *FEATURES, "min P(chosen)", "avg |error|", "human order"),
        rows,
        (".0e", ".3f", ".3f", ".3f", ".2f", ".2f", ""),
    )

    odd = np.array([-2.0, 1.5, 1.0])
    odd_order = " > ".join(name[0] for name in _ranking(_scores(odd)))
    print(
        "\nWhat four comparisons cannot determine. They only say that w lies in the cone\n"
        "{w : w @ (chosen - rejected) > 0 for all four pairs}: they fix neither the scale of w (l2\n"
        "does) nor its direction inside the cone, and they never compare A with C or D. The weights\n"
        f"(-2, 1.5, 1), which *penalise* helpfulness, also reach training accuracy "
        f"{pairwise_accuracy(odd, chosen, rejected):.2f}, yet rank\n"
        f"{odd_order}. The fit puts A in the human place because the penalty favours moderate\n"
        "positive weights, under which C (ahead of A on every feature) beats A. More comparisons,\n"
        "aimed at the pairs the data leave open, are what pin the weights down."
    )


def _simulated_comparisons(
    rng: np.random.Generator, n: int, temperature: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Comparisons of random response pairs labelled by noisy Bradley–Terry annotators.

    Returns `(chosen, rejected, gap)`: features scaled to [0, 1] and the true reward gap (in
    points) between the first and second response of each pair.
    """
    first = rng.uniform(0.0, 100.0, size=(n, len(SIMULATED_WEIGHTS)))
    second = rng.uniform(0.0, 100.0, size=(n, len(SIMULATED_WEIGHTS)))
    gap = (first - second) @ SIMULATED_WEIGHTS
    first_wins = (rng.random(n) < preference_probability(gap / temperature, 0.0))[:, None]
    chosen = np.where(first_wins, first, second) / 100.0
    rejected = np.where(first_wins, second, first) / 100.0
    return chosen, rejected, gap


def _label_pairs(
    rng: np.random.Generator, first: np.ndarray, second: np.ndarray, weights: np.ndarray, temperature: float
) -> tuple[np.ndarray, np.ndarray]:
    """Label pairs with Bradley–Terry annotators; `weights` is (d,) or one row per pair (n, d).

    Returns `(chosen, rejected)`, features scaled to [0, 1].
    """
    gap = np.sum((first - second) * weights, axis=-1)
    first_wins = (rng.random(len(gap)) < preference_probability(gap / temperature, 0.0))[:, None]
    return np.where(first_wins, first, second) / 100.0, np.where(first_wins, second, first) / 100.0


def _true_order(chosen: np.ndarray, rejected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same pairs, each put in the order of the true reward (the better response first)."""
    right = ((chosen - rejected) @ SIMULATED_WEIGHTS > 0)[:, None]
    return np.where(right, chosen, rejected), np.where(right, rejected, chosen)


def _normalised(weights: np.ndarray) -> np.ndarray:
    """Weights rescaled to sum 1 (comparisons fix only the direction of w)."""
    return weights / weights.sum()


def _angle_degrees(fitted: np.ndarray) -> float:
    """Angle between the fitted and the true weight direction."""
    cosine = fitted @ SIMULATED_WEIGHTS / (np.linalg.norm(fitted) * np.linalg.norm(SIMULATED_WEIGHTS))
    return float(np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0))))


def _bayes_accuracy(gap: np.ndarray, temperature: float) -> float:
    """Expected accuracy of the true reward on noisy labels of these pairs: mean sigmoid(|gap| / T)."""
    return float(np.mean(preference_probability(np.abs(gap) / temperature, 0.0)))


def _learning_curve(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, float]:
    """Print held-out accuracy and weight error against the data size; return (accuracy, Bayes)."""
    labkit.heading(f"Simulated annotators: Bradley–Terry with temperature T = {BASE_TEMPERATURE:.0f} points")
    reward = " + ".join(f"{w:.1f} {f}" for w, f in zip(SIMULATED_WEIGHTS, SIMULATED_FEATURES, strict=True))
    print(
        "Responses have four features drawn uniformly from [0, 100]; the true reward is\n"
        f"  r = {reward}\n"
        "(length is ignored). An annotator prefers a over b with probability sigmoid((r(a) - r(b)) / T).\n"
        "Models are fitted with the defaults (l2 = 1e-3) on features / 100 and scored on\n"
        f"{HELD_OUT_SIZE:,} held-out comparisons labelled by the same annotators; every figure is the\n"
        f"mean over {REPEATS} independent training sets."
    )
    held_out_chosen, held_out_rejected, held_out_gap = _simulated_comparisons(
        rng, HELD_OUT_SIZE, BASE_TEMPERATURE
    )
    bayes = _bayes_accuracy(held_out_gap, BASE_TEMPERATURE)
    true_reward = pairwise_accuracy(SIMULATED_WEIGHTS, held_out_chosen, held_out_rejected)
    truth_ordered = _true_order(held_out_chosen, held_out_rejected)
    accuracy = np.zeros((REPEATS, len(DATA_SIZES)))
    agreement = np.zeros_like(accuracy)
    angle = np.zeros_like(accuracy)
    direction = np.zeros((REPEATS, len(DATA_SIZES), len(SIMULATED_WEIGHTS)))
    for repeat in range(REPEATS):
        for column, n in enumerate(DATA_SIZES):
            chosen, rejected, _ = _simulated_comparisons(rng, n, BASE_TEMPERATURE)
            fitted = fit_reward_model(chosen, rejected)
            accuracy[repeat, column] = pairwise_accuracy(fitted, held_out_chosen, held_out_rejected)
            agreement[repeat, column] = pairwise_accuracy(fitted, *truth_ordered)
            angle[repeat, column] = _angle_degrees(fitted)
            direction[repeat, column] = fitted / np.linalg.norm(fitted) * np.linalg.norm(SIMULATED_WEIGHTS)
    print(
        f"\nCeiling on these held-out labels: Bayes accuracy {bayes:.3f} (expected), the true reward\n"
        f"measured on the sampled labels {true_reward:.3f}; label sampling moves measured accuracies\n"
        f"by about ±{np.sqrt(bayes * (1 - bayes) / HELD_OUT_SIZE):.3f}.\n"
    )
    beats = next(n for n, a in zip(DATA_SIZES, agreement.mean(axis=0), strict=True) if a > true_reward)
    rows = [
        (
            n,
            accuracy[:, column].mean(),
            agreement[:, column].mean(),
            angle[:, column].mean(),
            *direction[:, column].mean(axis=0),
        )
        for column, n in enumerate(DATA_SIZES)
    ]
    labkit.print_table(
        ("comparisons", "held-out acc", "vs true order", "angle to true w (deg)", *SIMULATED_FEATURES),
        rows,
        ("d", ".3f", ".3f", ".1f", "+.3f", "+.3f", "+.3f", "+.3f"),
    )
    print(
        "held-out acc: agreement with the annotators' held-out labels; vs true order: agreement with\n"
        f"the ordering of the true reward on the same pairs. A single label agrees with that ordering\n"
        f"{true_reward:.3f} of the time; from {beats} comparisons on, the fitted model agrees with it more\n"
        "often than one annotator does: fitting averages the annotators' independent errors away.\n"
        "(fitted weights rescaled to the norm of the true weights: comparisons carry no unit,\n"
        " only the direction of w can be learnt from them.)"
    )
    return accuracy, agreement, bayes


def _noise_table(rng: np.random.Generator) -> list[tuple]:
    """Print, across annotator temperatures, agreement with the labels and with the true order."""
    labkit.heading(f"Annotator noise: {NOISE_TABLE_SIZE} training comparisons per model")
    rows = []
    for temperature in TEMPERATURES:
        held_out_chosen, held_out_rejected, held_out_gap = _simulated_comparisons(
            rng, HELD_OUT_SIZE, temperature
        )
        truth_ordered = _true_order(held_out_chosen, held_out_rejected)
        accuracy, agreement, angle, recovered = [], [], [], []
        for _ in range(REPEATS):
            chosen, rejected, _ = _simulated_comparisons(rng, NOISE_TABLE_SIZE, temperature)
            fitted = fit_reward_model(chosen, rejected)
            accuracy.append(pairwise_accuracy(fitted, held_out_chosen, held_out_rejected))
            agreement.append(pairwise_accuracy(fitted, *truth_ordered))
            angle.append(_angle_degrees(fitted))
            recovered.append(100.0 * np.linalg.norm(SIMULATED_WEIGHTS) / np.linalg.norm(fitted))
        annotator = pairwise_accuracy(SIMULATED_WEIGHTS, held_out_chosen, held_out_rejected)
        bayes = _bayes_accuracy(held_out_gap, temperature)
        rows.append(
            (
                temperature,
                np.mean(accuracy),
                bayes,
                annotator,
                np.mean(agreement),
                np.mean(angle),
                np.mean(recovered),
            )
        )
    labkit.print_table(
        (
            "T (points)",
            "model vs labels",
            "Bayes acc",
            "label vs truth",
            "model vs truth",
            "angle (deg)",
            "T from |w|",
        ),
        rows,
        (".0f", ".3f", ".3f", ".3f", ".3f", ".1f", ".1f"),
    )
    print(
        "model vs labels: the fitted model against held-out labels. Bayes acc = mean sigmoid(|true gap| / T)\n"
        "over the held-out pairs: the expected accuracy of the true reward itself on those labels, the best\n"
        "any model can reach. label vs truth: how often one annotator's label follows the true reward (the\n"
        "true reward's accuracy on the sampled labels). model vs truth: how often the fitted model does.\n"
        "Against the labels no model beats the Bayes ceiling; against the truth a model fitted on many\n"
        "noisy labels beats every single annotator. Noisier labels still cost: the same data pin the\n"
        "direction of w down less well. The size of w measures the noise: unpenalised, w is about\n"
        "100 * w_true / T, so 100 |w_true| / |w| estimates T. The penalty l2 = 1e-3 shrinks large\n"
        "weights, so for nearly noiseless annotators (T = 1, 3) that estimate comes out too high."
    )
    return rows


def _held_out_truth(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Held-out pairs in the order of the true reward, to score models against the truth."""
    chosen, rejected, _ = _simulated_comparisons(rng, HELD_OUT_SIZE, BASE_TEMPERATURE)
    return _true_order(chosen, rejected)


def _annotator_blend(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Print what a reward model learns from annotators who weigh the features differently."""
    labkit.heading(f"Annotators who disagree: {PANEL_SIZE:,} comparisons, each labelled by one of three")
    first = rng.uniform(0.0, 100.0, size=(PANEL_SIZE, len(SIMULATED_WEIGHTS)))
    second = rng.uniform(0.0, 100.0, size=(PANEL_SIZE, len(SIMULATED_WEIGHTS)))
    weights = np.array([weights for weights, _ in ANNOTATORS.values()])
    shares = np.array([share for _, share in ANNOTATORS.values()])
    who = rng.choice(len(ANNOTATORS), size=PANEL_SIZE, p=shares)
    chosen, rejected = _label_pairs(rng, first, second, weights[who], BASE_TEMPERATURE)
    fitted = _normalised(fit_reward_model(chosen, rejected))
    blend = shares @ weights
    rows = [(f"{name} ({share:.0%} of labels)", *w) for name, (w, share) in ANNOTATORS.items()]
    rows += [("blend: share-weighted mean", *blend), ("fitted on all labels, normalised", *fitted)]
    labkit.print_table(("weights", *SIMULATED_FEATURES), rows, ("", ".3f", ".3f", ".3f", ".3f"))
    print(
        f"Each annotator follows Bradley–Terry with T = {BASE_TEMPERATURE:.0f} on their own weights. One reward model\n"
        "fitted on the pooled labels lands near the blend of the annotators, weighted by how many labels\n"
        f"each gave (largest gap {np.max(np.abs(fitted - blend)):.3f}): it is the average labeller, not any one of them. (Not\n"
        "exactly the blend: a mixture of sigmoids is not the sigmoid of the mixed weights.)"
    )
    return {"blend of the annotators": blend, "fitted on their labels": fitted}


def _ai_feedback(rng: np.random.Generator, truth: tuple[np.ndarray, np.ndarray]) -> dict[str, np.ndarray]:
    """Print reward models fitted on human labels and on labels from a length-biased AI judge."""
    labkit.heading("AI feedback: a judge applies a written constitution, with a bias for length")
    judge = CONSTITUTION + JUDGE_LENGTH_BIAS * np.eye(len(CONSTITUTION))[SIMULATED_FEATURES.index("length")]
    runs = (
        ("human labellers", SIMULATED_WEIGHTS, NOISE_TABLE_SIZE),
        ("AI judge, constitution only", CONSTITUTION, NOISE_TABLE_SIZE),
        ("AI judge + length bias", judge, NOISE_TABLE_SIZE),
        ("AI judge + length bias", judge, PANEL_SIZE),
    )
    rows: list[tuple] = [
        ("judge's own preference, normalised", "", *_normalised(judge), pairwise_accuracy(judge, *truth))
    ]
    fits = []
    for labeller, weights, n in runs:
        first = rng.uniform(0.0, 100.0, size=(n, len(SIMULATED_WEIGHTS)))
        second = rng.uniform(0.0, 100.0, size=(n, len(SIMULATED_WEIGHTS)))
        chosen, rejected = _label_pairs(rng, first, second, weights, BASE_TEMPERATURE)
        fitted = fit_reward_model(chosen, rejected)
        rows.append((labeller, f"{n:,}", *_normalised(fitted), pairwise_accuracy(fitted, *truth)))
        fits.append(_normalised(fitted))
    labkit.print_table(
        ("labels from", "comparisons", *SIMULATED_FEATURES, "vs true order"),
        rows,
        ("", "", ".3f", ".3f", ".3f", ".3f", ".3f"),
    )
    print(
        f"Constitution: {' + '.join(f'{w:.1f} {f}' for w, f in zip(CONSTITUTION, SIMULATED_FEATURES, strict=True))}"
        " (the labellers' own weights, written down).\n"
        f"The judge applies it but adds {JUDGE_LENGTH_BIAS} per point of length, with the same noise as the humans\n"
        f"(T = {BASE_TEMPERATURE:.0f}). The reward model fitted on its labels learns the length weight as if it were a\n"
        "preference, and more AI labels only pin the bias down more precisely: they do not remove it.\n"
        "vs true order: agreement with the labellers' true ordering on held-out pairs."
    )
    return {
        "judge's own preference": _normalised(judge),
        f"fitted on human labels ({runs[0][2]:,})": fits[0],
        f"fitted on the judge's labels ({runs[-1][2]:,})": fits[-1],
    }


def _plot_learning_curve(folder: Path, accuracy: np.ndarray, agreement: np.ndarray, bayes: float) -> None:
    """Write held-out accuracy (against labels and against the true order) against the data size."""
    plt = labkit.plotting()
    if plt is None:
        print("\nmatplotlib is not importable: no figure written.")
        return
    with plt.rc_context({"font.size": 13, "legend.fontsize": 11}):
        fig, ax = plt.subplots(figsize=(7, 5), constrained_layout=True)
        sizes = np.array(DATA_SIZES)
        low, high = np.percentile(accuracy, [10, 90], axis=0)
        ax.fill_between(sizes, low, high, alpha=0.25, label=f"10-90 % of {REPEATS} training sets")
        ax.plot(sizes, accuracy.mean(axis=0), "o-", label="model vs held-out labels (mean)")
        ax.plot(sizes, agreement.mean(axis=0), "s--", label="model vs true order (mean)")
        ax.axhline(
            bayes, color="black", linestyle=":", label=f"one annotator vs true order = Bayes {bayes:.3f}"
        )
        ax.set_xscale("log")
        ax.set_xlabel("training comparisons")
        ax.set_ylabel("held-out pairwise agreement")
        ax.set_title(f"Reward model vs data, annotator temperature T = {BASE_TEMPERATURE:.0f}")
        ax.legend(loc="lower right")
        print(f"\nwrote {labkit.save_figure(fig, folder, 'lab2_accuracy_vs_data')}")


def _plot_weights(folder: Path, panels: dict[str, dict[str, np.ndarray]]) -> None:
    """Write grouped bars of normalised weights per feature, one panel per experiment."""
    plt = labkit.plotting()
    if plt is None:
        return
    hatches = ("", "//", "..", "xx")
    with plt.rc_context({"font.size": 13, "legend.fontsize": 11}):
        fig, axes = plt.subplots(len(panels), 1, figsize=(7, 4.2 * len(panels)), constrained_layout=True)
        positions = np.arange(len(SIMULATED_FEATURES))
        for ax, (title, series) in zip(axes, panels.items(), strict=True):
            width = 0.8 / len(series)
            for i, ((label, weights), hatch) in enumerate(zip(series.items(), hatches, strict=False)):
                ax.bar(
                    positions + (i - (len(series) - 1) / 2) * width,
                    weights,
                    width,
                    label=label,
                    hatch=hatch,
                    edgecolor="black",
                )
            ax.set_xticks(positions, SIMULATED_FEATURES)
            ax.set_ylabel("weight (normalised to sum 1)")
            ax.set_title(title)
            ax.axhline(0.0, color="black", linewidth=0.8)
            ax.set_ylim(top=1.5 * max(max(weights) for weights in series.values()))
            ax.legend(loc="upper right")
        print(f"wrote {labkit.save_figure(fig, folder, 'lab2_weights')}")


def main(argv: list[str] | None = None) -> None:
    """Run the Lab 2 demo: the seed's ranking, a fitted reward model, simulated annotators, AI feedback."""
    args = labkit.demo_arguments("Lab 2 demo: reward modeling from pairwise preferences.", argv)
    human = _show_human_ranking()
    _show_seed_fit(human)
    rng = np.random.default_rng(2024)
    accuracy, agreement, bayes = _learning_curve(rng)
    _noise_table(rng)
    blend = _annotator_blend(rng)
    feedback = _ai_feedback(rng, _held_out_truth(rng))
    if args.plots is not None:
        _plot_learning_curve(args.plots, accuracy, agreement, bayes)
        _plot_weights(
            args.plots,
            {
                "Annotators who disagree: the model learns their blend": blend,
                "AI feedback: the judge's length bias is learnt": feedback,
            },
        )


if __name__ == "__main__":
    labkit.run_demo(main)
