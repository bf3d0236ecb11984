"""The concept chapters' figures, drawn at build time by `docs/build_site.py` (never committed).

    python docs/figures.py DIR    # write the five PNG files into DIR

- `concept-pipeline.png`: the post-training pipeline, base model to SFT to preference tuning
  (reward model + RLHF, or DPO) to RL with verifiable rewards (GRPO).
- `concept-loss-mask.png`: a short conversation as tokens coloured by role, the next-token
  targets and the loss mask that says which positions are trained (Lab 1's convention).
- `concept-bradley-terry.png`: P(chosen > rejected) = sigmoid(reward difference), and the
  loss -log sigmoid that a reward model minimises.
- `concept-reward-kl.png`: the reward-KL frontier of the KL-regularised optimum
  pi* ∝ pi_ref * exp(r / beta) over beta, on a six-response example, against a naive mixture.
- `concept-rl-pass-at-k.png`: pass@k against k for a toy base model and the same model after
  RL-like sharpening (problems it solves often gain, problems it solves rarely lose), the
  crossing that Yue et al. (2025) measured on real models.

Every figure is drawn 8 inches wide at `DPI`, with text of at least `MIN_FONT_PT` points, so at
the site's text width (about 720 px) no text is smaller than 11 px; the browser test checks it.
Axis labels are plain ASCII, and series differ by line style and marker as well as colour.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

DPI = 100
WIDTH_IN = 8.0
MIN_FONT_PT = 12  # 12 pt at 100 dpi is 16.7 px in the PNG: still >= 11 px when shown 66 % size
# Colour-blind-safe pairs (Okabe-Ito), always paired with a second cue (hatch, marker, dash).
BLUE, ORANGE, GREEN, GREY = "#0072B2", "#E69F00", "#009E73", "#777777"

# The reward-KL example: six candidate responses, the reference policy's probabilities and the
# reward of each (the best response is one the reference rarely gives).
REF_PROBS = np.array([0.30, 0.25, 0.20, 0.15, 0.07, 0.03])
REWARDS = np.array([0.2, 0.5, 0.1, 0.8, 0.4, 1.0])
BETAS = np.geomspace(0.03, 10.0, 60)
MARKED_BETAS = (0.05, 0.1, 0.3, 1.0)

# The pass@k toy: 200 problems whose base success rates are spread like q**3 (most are hard), and
# RL modelled as sharpening on the logit scale around SHARPEN_AT: logit(p') = SHARPEN * (logit(p)
# - logit(c)) + logit(c). An illustration of the mechanism, not a measurement.
BASE_RATES = ((np.arange(200) + 0.5) / 200) ** 3
SHARPEN, SHARPEN_AT = 2.0, 0.05
PASS_KS = np.unique(np.geomspace(1, 1024, 41).round())


def sharpened(p: np.ndarray) -> np.ndarray:
    """The toy RL model's success rates: p's log-odds stretched by SHARPEN around SHARPEN_AT."""
    at = np.log(SHARPEN_AT / (1 - SHARPEN_AT))
    return 1 / (1 + np.exp(-(SHARPEN * (np.log(p / (1 - p)) - at) + at)))


def pass_curve(rates: np.ndarray) -> np.ndarray:
    """pass@k for each k of PASS_KS: the mean over problems of 1 - (1 - p)**k (exact, k independent draws)."""
    return np.array([np.mean(1 - (1 - rates) ** k) for k in PASS_KS])


def kl(p: np.ndarray, q: np.ndarray) -> float:
    """KL(p || q) of two distributions with full support."""
    return float(np.sum(p * (np.log(p) - np.log(q))))


def tilted(beta: float) -> np.ndarray:
    """The KL-regularised optimum pi*(y) ∝ pi_ref(y) * exp(r(y) / beta), computed stably."""
    logits = np.log(REF_PROBS) + REWARDS / beta
    weights = np.exp(logits - logits.max())
    return weights / weights.sum()


def frontier(betas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(KL(pi* || pi_ref), E_pi*[r]) for each beta."""
    policies = [tilted(float(b)) for b in betas]
    return np.array([kl(p, REF_PROBS) for p in policies]), np.array([p @ REWARDS for p in policies])


def mixture(ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(KL, E[r]) of (1 - t) * pi_ref + t * (all mass on the best response), a naive policy."""
    best = np.eye(len(REWARDS))[np.argmax(REWARDS)]
    policies = [(1 - t) * REF_PROBS + t * best for t in ts]
    return np.array([kl(p, REF_PROBS) for p in policies]), np.array([p @ REWARDS for p in policies])


def style(plt) -> None:
    """Fonts large enough to read at page width."""
    plt.rcParams.update(
        {
            "font.size": 13,
            "axes.titlesize": 14,
            "axes.labelsize": 13,
            "xtick.labelsize": MIN_FONT_PT,
            "ytick.labelsize": MIN_FONT_PT,
            "legend.fontsize": MIN_FONT_PT,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )


def pipeline(plt):
    """Boxes and arrows: base -> SFT -> (RM + RLHF | DPO) -> RLVR."""
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 3.6))
    ax.set_xlim(0, 10.9)
    ax.set_ylim(0, 4.7)
    ax.axis("off")
    width, height = 2.1, 1.2
    boxes = [  # x, y, text, colour, hatch
        (0.1, 1.7, "Base model", GREY, ""),
        (2.75, 1.7, "SFT", BLUE, ""),
        (5.45, 3.0, "Reward model\n+ RLHF (PPO)", ORANGE, "//"),
        (5.45, 0.4, "DPO", ORANGE, ".."),
        (8.7, 1.7, "RLVR (GRPO)", GREEN, "xx"),
    ]
    for x, y, text, colour, hatch in boxes:
        ax.add_patch(
            plt.Rectangle((x, y), width, height, facecolor=colour + "33", edgecolor=colour, hatch=hatch, lw=2)
        )
        ax.text(
            x + width / 2,
            y + height / 2,
            text,
            ha="center",
            va="center",
            fontsize=13,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5},
        )
    arrows = [
        ((2.2, 2.3), (2.75, 2.3)),
        ((4.85, 2.6), (5.45, 3.4)),
        ((4.85, 2.0), (5.45, 1.0)),
        ((7.55, 3.6), (8.7, 2.7)),
        ((7.55, 1.0), (8.7, 1.9)),
    ]
    for start, end in arrows:
        ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "-|>", "lw": 1.8, "color": "black"})
    ax.text(3.8, 1.35, "demonstrations", ha="center", va="top", fontsize=MIN_FONT_PT, color=BLUE)
    ax.text(6.5, 4.35, "comparisons (human or AI)", ha="center", fontsize=MIN_FONT_PT, color="#8a5a00")
    ax.text(6.5, 2.3, "or", ha="center", va="center", fontsize=13, style="italic")
    ax.text(
        9.75,
        1.35,
        "checked answers\n(verifiable rewards)",
        ha="center",
        va="top",
        fontsize=MIN_FONT_PT,
        color="#006e50",
    )
    ax.text(
        1.15, 1.35, "pre-trained\non documents", ha="center", va="top", fontsize=MIN_FONT_PT, color="#444444"
    )
    return fig


def loss_mask(plt):
    """A conversation's tokens coloured by role, the shifted targets and the loss mask."""
    tokens = ["<user>", "Safe", "?", "<asst>", "Yes", "if", "cooked", "<end>"]
    assistant = [False] * 4 + [True] * 4
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 3.3))
    n = len(tokens)
    ax.set_xlim(-2.0, n)
    ax.set_ylim(-0.2, 3.4)
    ax.axis("off")
    cell = 0.92
    for i, (token, is_asst) in enumerate(zip(tokens, assistant, strict=True)):
        colour, hatch = (ORANGE, "//") if is_asst else (BLUE, "")
        ax.add_patch(
            plt.Rectangle((i, 2.2), cell, 0.8, facecolor=colour + "44", edgecolor=colour, hatch=hatch)
        )
        ax.text(i + cell / 2, 2.6, token, ha="center", va="center", fontsize=MIN_FONT_PT)
    for t in range(n - 1):  # position t reads token t and predicts token t + 1
        trained = assistant[t + 1]
        ax.text(t + cell / 2, 1.5, tokens[t + 1], ha="center", va="center", fontsize=MIN_FONT_PT)
        ax.add_patch(
            plt.Rectangle(
                (t, 0.2),
                cell,
                0.8,
                facecolor=(ORANGE + "44") if trained else "white",
                edgecolor="black",
                lw=1.2 if trained else 0.8,
                ls="-" if trained else "--",
            )
        )
        ax.text(
            t + cell / 2,
            0.6,
            "1" if trained else "0",
            ha="center",
            va="center",
            fontsize=13,
            weight="bold" if trained else "normal",
        )
    for y, label in ((2.6, "tokens"), (1.5, "targets"), (0.6, "loss mask")):
        ax.text(-0.2, y, label, ha="right", va="center", fontsize=13)
    ax.text(0, 3.25, "user tokens (plain)", color=BLUE, fontsize=MIN_FONT_PT, va="center")
    ax.text(4, 3.25, "assistant tokens (hatched)", color="#8a5a00", fontsize=MIN_FONT_PT, va="center")
    return fig


def bradley_terry(plt):
    """P(chosen > rejected) and its negative log-likelihood against the reward difference."""
    gap = np.linspace(-6, 6, 241)
    prob = 1 / (1 + np.exp(-gap))
    fig, (left, right) = plt.subplots(1, 2, figsize=(WIDTH_IN, 3.6))
    left.plot(gap, prob, color=BLUE, lw=2.2, label="sigmoid(r_c - r_r)")
    marks = np.array([-2.0, 0.0, 2.0])
    left.plot(marks, 1 / (1 + np.exp(-marks)), "o", color=BLUE, ms=7)
    for g in marks:
        left.annotate(
            f"{1 / (1 + np.exp(-g)):.2f}",
            (g, 1 / (1 + np.exp(-g))),
            textcoords="offset points",
            xytext=(8, -14),
            fontsize=MIN_FONT_PT,
        )
    left.axhline(0.5, color=GREY, ls=":", lw=1.2)
    left.set_xlabel("reward difference r_c - r_r")
    left.set_ylabel("P(chosen preferred)")
    left.set_title("Bradley-Terry probability")
    right.plot(gap, np.logaddexp(0, -gap), color=ORANGE, lw=2.2, ls="--", label="-log sigmoid(r_c - r_r)")
    right.set_xlabel("reward difference r_c - r_r")
    right.set_ylabel("loss of one comparison")
    right.set_title("Its negative log-likelihood")
    for ax in (left, right):
        ax.legend(loc="upper left", frameon=False)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def reward_kl(plt):
    """The frontier of pi* over beta against a naive mixture, on the six-response example."""
    kls, rewards = frontier(BETAS)
    mix_kl, mix_reward = mixture(np.linspace(0, 0.97, 40))
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 4.4))
    ax.plot(kls, rewards, color=BLUE, lw=2.4, label="optimum pi* over beta (the frontier)")
    ax.plot(
        mix_kl,
        mix_reward,
        color=ORANGE,
        lw=2,
        ls="--",
        marker="s",
        markevery=6,
        ms=6,
        label="mixture of pi_ref and the best response",
    )
    for beta in MARKED_BETAS:
        policy = tilted(beta)
        point = (kl(policy, REF_PROBS), float(policy @ REWARDS))
        ax.plot(*point, "o", color=BLUE, ms=7)
        ax.annotate(
            f"beta={beta:g}", point, textcoords="offset points", xytext=(8, -16), fontsize=MIN_FONT_PT
        )
    ax.axhline(REWARDS.max(), color=GREY, ls=":", lw=1.2)
    ax.text(0.02, REWARDS.max() + 0.01, "best single response", fontsize=MIN_FONT_PT, color="#444444")
    ax.set_xlabel("KL(pi || pi_ref)  (nats)")
    ax.set_ylabel("expected reward E_pi[r]")
    ax.set_title("Reward-KL trade-off: smaller beta buys reward with KL")
    ax.set_ylim(REF_PROBS @ REWARDS - 0.05, REWARDS.max() + 0.08)
    ax.legend(loc="lower right", frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def rl_pass_at_k(plt):
    """pass@k of the toy base model and its sharpened (RL) version, and the sharpening itself."""
    tuned = sharpened(BASE_RATES)
    base_curve, tuned_curve = pass_curve(BASE_RATES), pass_curve(tuned)
    fig, (left, right) = plt.subplots(1, 2, figsize=(WIDTH_IN, 3.8))
    left.plot(PASS_KS, base_curve, color=BLUE, lw=2.2, label="base model")
    left.plot(PASS_KS, tuned_curve, color=ORANGE, lw=2.2, ls="--", label="after RL (toy)")
    left.set_xscale("log", base=2)
    left.set_xlabel("k (samples per problem)")
    left.set_ylabel("pass@k")
    left.set_title("RL wins at k = 1, loses at large k")
    left.legend(loc="lower right", frameon=False)
    right.plot(BASE_RATES, tuned, "o", color=ORANGE, ms=3.5, label="one problem")
    right.plot([0, 1], [0, 1], color=GREY, ls=":", lw=1.2, label="unchanged")
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("base success rate")
    right.set_ylabel("success rate after RL")
    right.set_title("Sharpening")
    right.legend(loc="upper left", frameon=False)
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


FIGURES = {
    "concept-pipeline.png": pipeline,
    "concept-loss-mask.png": loss_mask,
    "concept-bradley-terry.png": bradley_terry,
    "concept-reward-kl.png": reward_kl,
    "concept-rl-pass-at-k.png": rl_pass_at_k,
}


def draw(folder: Path) -> list[Path]:
    """Write every concept figure into `folder` (needs matplotlib); return the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    style(plt)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, function in FIGURES.items():
        fig = function(plt)
        path = folder / name
        fig.savefig(path, dpi=DPI)
        plt.close(fig)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in draw(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/figures")):
        print(path)
