"""The datasets of the concept chapters' exercises, and a checker for your answers (not graded).

    python docs/concept_exercises.py            # print every worked answer
    python docs/concept_exercises.py kappa      # just one exercise: tokens, kappa, rule, refusals

The page `docs/concepts/exercises.md` shows the same datasets and, folded, the numbers this
script prints; `tests/test_site.py` checks that the page and the script agree.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence

import numpy as np

# Exercise 1 (Conversations as data): a conversation's tokens, who wrote each, and the model's
# log-probability of each token given everything before it (the first token has none).
CONVERSATION = [
    ("<user>", "user", None),
    ("How", "user", -4.1),
    ("long", "user", -2.3),
    ("to", "user", -1.2),
    ("boil", "user", -3.5),
    ("an", "user", -0.9),
    ("egg", "user", -0.4),
    ("?", "user", -0.6),
    ("<assistant>", "user", -0.1),
    ("About", "assistant", -1.6),
    ("nine", "assistant", -2.2),
    ("minutes", "assistant", -0.3),
    (".", "assistant", -0.2),
    ("<end>", "assistant", -0.5),
]

# Exercise 2b (Labellers and rubrics): two annotators' verdicts on the same 20 comparisons,
# "A" or "B" for the better response, "tie" when neither is.
ANNOTATOR_1 = "A A B A tie B A A B B A tie A B A A B tie A B".split()
ANNOTATOR_2 = "A B B A A B A A B A A tie A B B A B A A B".split()

# Exercise 3 (Programming by example): the rule "refuse when the request mentions a password or
# hacking" against what the rubric intends for eight requests (True: should be refused).
RULE_WORDS = ("password", "hack")
REQUESTS = [
    ("How do I reset my own email password?", False),
    ("Write a poem about a hacker who saves the city.", False),
    ("Give me a list of common passwords to try on my neighbour's wifi.", True),
    ("How can I read my partner's messages without them knowing?", True),
    ("What makes a password strong?", False),
    ("Walk me through hacking into my school's grading system.", True),
    ("Write a message pretending to be the bank asking for card details.", True),
    ("How do I hack together a shelf from old crates?", False),
]

# Exercise 4 (Refusals): SFT examples grouped by the request they paraphrase, with the decision
# recorded in each example ("refuse" or "help"), and what the written policy says for the group.
REFUSAL_GROUPS = {
    "phishing email": ("refuse", ["refuse", "refuse", "help", "refuse"]),
    "spotting phishing": ("help", ["help", "help", "help"]),
    "lock picking a lock you own": ("help", ["help", "refuse", "refuse"]),
    "making a weapon at home": ("refuse", ["refuse", "refuse", "refuse", "refuse"]),
    "medication overdose amounts": ("refuse", ["refuse", "help", "refuse"]),
    "safe medication doses": ("help", ["help", "help", "refuse"]),
}


def masked_nll(conversation: Sequence[tuple[str, str, float | None]]) -> tuple[int, float, float]:
    """(trained tokens, mean NLL over the assistant's tokens, mean NLL over every predicted token)."""
    scored = [(role, logp) for _, role, logp in conversation if logp is not None]
    assistant = [-logp for role, logp in scored if role == "assistant"]
    return len(assistant), float(np.mean(assistant)), float(np.mean([-logp for _, logp in scored]))


def cohen_kappa(first: Sequence[str], second: Sequence[str]) -> tuple[float, float, float]:
    """(observed agreement p_o, chance agreement p_e, kappa = (p_o - p_e) / (1 - p_e))."""
    if len(first) != len(second) or not first:
        raise ValueError("the two annotators must label the same, non-empty list of items")
    n = len(first)
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    counts_1, counts_2 = Counter(first), Counter(second)
    chance = sum(counts_1[label] * counts_2[label] for label in counts_1) / n**2
    return observed, chance, (observed - chance) / (1 - chance)


def cohen_kappa_numpy(first: Sequence[str], second: Sequence[str]) -> float:
    """Kappa again, from the confusion matrix: the same number by a second route."""
    labels = sorted(set(first) | set(second))
    index = {label: i for i, label in enumerate(labels)}
    table = np.zeros((len(labels), len(labels)))
    np.add.at(table, ([index[a] for a in first], [index[b] for b in second]), 1)
    table /= table.sum()
    observed = np.trace(table)
    chance = table.sum(axis=1) @ table.sum(axis=0)
    return float((observed - chance) / (1 - chance))


def rule_confusion(requests: Sequence[tuple[str, bool]], words: Sequence[str]) -> dict[str, float]:
    """How the keyword rule does against the intended labels: counts, precision and recall."""
    fired = [any(w in text.lower() for w in words) for text, _ in requests]
    truth = [should for _, should in requests]
    tp = sum(f and t for f, t in zip(fired, truth, strict=True))
    fp = sum(f and not t for f, t in zip(fired, truth, strict=True))
    fn = sum(t and not f for f, t in zip(fired, truth, strict=True))
    return {
        "true positives": tp,
        "false positives": fp,
        "false negatives": fn,
        "precision": tp / (tp + fp),
        "recall": tp / (tp + fn),
    }


def refusal_consistency(groups: dict[str, tuple[str, list[str]]]) -> dict[str, object]:
    """Which groups disagree with themselves or with the policy, and the share of examples that follow it."""
    inconsistent = [name for name, (_, decisions) in groups.items() if len(set(decisions)) > 1]
    examples = [(policy, d) for policy, decisions in groups.values() for d in decisions]
    follows = sum(policy == d for policy, d in examples)
    return {
        "inconsistent groups": inconsistent,
        "examples": len(examples),
        "follow the policy": follows,
        "share": follows / len(examples),
    }


def answers() -> dict[str, dict[str, object]]:
    """Every worked answer, rounded as the page shows it."""
    trained, assistant_nll, all_nll = masked_nll(CONVERSATION)
    observed, chance, kappa = cohen_kappa(ANNOTATOR_1, ANNOTATOR_2)
    rule = rule_confusion(REQUESTS, RULE_WORDS)
    refusals = refusal_consistency(REFUSAL_GROUPS)
    return {
        "tokens": {
            "trained tokens": trained,
            "assistant mean NLL": round(assistant_nll, 2),
            "all-token mean NLL": round(all_nll, 2),
        },
        "kappa": {
            "p_o": round(observed, 2),
            "p_e": round(chance, 4),
            "kappa": round(kappa, 3),
            "kappa (numpy)": round(cohen_kappa_numpy(ANNOTATOR_1, ANNOTATOR_2), 3),
        },
        "rule": {key: round(value, 2) for key, value in rule.items()},
        "refusals": {**refusals, "share": round(float(refusals["share"]), 2)},
    }


if __name__ == "__main__":
    chosen = sys.argv[1:] or list(answers())
    for name, values in answers().items():
        if name in chosen:
            print(f"{name}: " + ", ".join(f"{key} = {value}" for key, value in values.items()))
