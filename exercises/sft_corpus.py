"""Provided data for the Lab 1 demo: a small conversation corpus for supervised fine-tuning.

Nothing here is graded and nothing here is a lab exercise. The corpus holds single-turn
conversations (one user turn, one assistant turn) in the five domains of the seed's SFT table:
coding, math, creative writing, reasoning and safety (polite refusals that offer a harmless
alternative). The conversations are generated from hand-written templates, so every domain has a
few hundred distinct conversations from a small vocabulary: enough for a bigram model to learn
something measurable, small enough to train on in about a second.

A conversation is turned into word-level tokens with role markers,

    <user> how do i sort a list of numbers in python ? <assistant> sure ! in python , ... <end>

and an assistant mask that is True on the tokens the assistant wrote: the words of its reply and
the closing `<end>` (the model must learn when to stop). The role markers `<user>` and
`<assistant>` belong to the chat template, not to either speaker, so they are never trained on.

The split into a training pool and a held-out set is fixed (seeded), the same on every run.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

USER = "<user>"
ASSISTANT = "<assistant>"
END = "<end>"
MARKERS = (USER, ASSISTANT, END)

DOMAINS = ("coding", "math", "creative", "reasoning", "safety")
TRAIN_POOL_PER_DOMAIN = 120
HELD_OUT_PER_DOMAIN = 30
SPLIT_SEED = 2024

_TOKEN = re.compile(r"<[a-z]+>|[a-z0-9]+|[^\sa-z0-9]")


@dataclass(frozen=True)
class Conversation:
    """One user turn and the assistant's reply, with the domain it was written for."""

    domain: str
    user: str
    assistant: str


@dataclass(frozen=True)
class Corpus:
    """The fixed split: a training pool and a held-out set per domain, and the vocabulary.

    Attributes:
        train: Training pool, `TRAIN_POOL_PER_DOMAIN` conversations per domain.
        held_out: Held-out conversations, `HELD_OUT_PER_DOMAIN` per domain, never trained on.
        vocab: Every token of the corpus, markers first; a token's id is its position.
    """

    train: dict[str, list[Conversation]]
    held_out: dict[str, list[Conversation]]
    vocab: list[str]

    @property
    def token_ids(self) -> dict[str, int]:
        """Map each token to its id."""
        return {token: i for i, token in enumerate(self.vocab)}


# ---------------------------------------------------------------------------------------------
# Templates. Every domain is a list of (user templates, assistant templates, slot fillings);
# a conversation is one user template and one assistant template filled with the same slots.
# ---------------------------------------------------------------------------------------------

_CODING_TASKS = {
    "reverse a string": "walk over the characters from the end and join them into a new string",
    "sort a list of numbers": "call the built in sort function , which runs in n log n time",
    "read a file line by line": "open the file and loop over it , handling one line at a time",
    "remove duplicates from a list": "put the items into a set and turn the set back into a list",
    "count the words in a text": "split the text on spaces and count each word in a dictionary",
    "find the largest number in a list": "keep a running maximum and compare it with each item",
    "check if a number is even": "test whether the remainder after dividing by two is zero",
    "join two lists": "create a new list and append the items of both lists to it",
}
_CODING = (
    (
        "how do i {task} in {lang} ?",
        "can you show me how to {task} in {lang} ?",
        "what is the best way to {task} in {lang} ?",
        "i need to {task} in {lang} . any tips ?",
    ),
    (
        "sure ! in {lang} , {how} .",
        "here is a simple way : {how} . this works well in {lang} .",
        "good question . the usual approach in {lang} is to {how} .",
    ),
    [
        {"task": task, "how": how, "lang": lang}
        for task, how in _CODING_TASKS.items()
        for lang in ("python", "javascript", "java", "rust")
    ],
)

_OPERATIONS = {"plus": lambda a, b: a + b, "minus": lambda a, b: a - b, "times": lambda a, b: a * b}
_MATH = (
    (
        "what is {a} {op} {b} ?",
        "can you compute {a} {op} {b} for me ?",
        "please work out {a} {op} {b} .",
        "quick question : how much is {a} {op} {b} ?",
    ),
    (
        "{a} {op} {b} equals {result} .",
        "let me work it out : {a} {op} {b} is {result} .",
        "the answer is {result} , since {a} {op} {b} gives {result} .",
    ),
    [
        {"a": a, "b": b, "op": op, "result": compute(a, b)}
        for op, compute in _OPERATIONS.items()
        for a in range(2, 10)
        for b in range(2, 10)
        if compute(a, b) >= 0
    ],
)

_CREATIVE_IMAGES = {
    "the sea": ("grey waves fold into the sand", "and gulls keep time above the foam"),
    "a lost cat": ("small paws wander past the market", "and a warm door waits at home"),
    "autumn rain": ("red leaves drown in silver puddles", "while the windows hum a slow song"),
    "a quiet city": ("street lamps blink above empty roads", "and the bakery wakes before the sun"),
    "an old lighthouse": ("a tired eye of light turns on the cliff", "and ships trust it through the storm"),
    "the first snow": ("white silence settles on the roofs", "and children press their faces to the glass"),
    "a robot gardener": ("steel fingers plant the tiny seeds", "and it counts each sprout with quiet joy"),
    "the night train": (
        "carriages glow across the sleeping fields",
        "and strangers share stories until dawn",
    ),
}
_CREATIVE = (
    (
        "write a {form} about {subject} .",
        "can you write a {form} about {subject} ?",
        "i would love a {form} about {subject} , please .",
        "compose a {form} about {subject} for my friend .",
    ),
    (
        "here is a {form} about {subject} : {first} , {second} .",
        "of course ! {first} , {second} .",
        "i hope you enjoy this {form} : {first} , {second} .",
    ),
    [
        {"subject": subject, "first": first, "second": second, "form": form}
        for subject, (first, second) in _CREATIVE_IMAGES.items()
        for form in ("poem", "haiku", "short story", "song")
    ],
)

_CHAINS = (
    ("cats", "mammals", "animals"),
    ("roses", "flowers", "plants"),
    ("squares", "rectangles", "shapes"),
    ("sparrows", "birds", "animals"),
    ("oaks", "trees", "plants"),
    ("violins", "instruments", "objects"),
    ("trout", "fish", "animals"),
    ("novels", "books", "objects"),
)
_SYLLOGISM = (
    (
        "if all {a} are {b} and all {b} are {c} , are all {a} {c} ?",
        "all {a} are {b} , and all {b} are {c} . does it follow that all {a} are {c} ?",
    ),
    (
        "yes . all {a} are {b} and all {b} are {c} , so all {a} must be {c} .",
        "let us think step by step . first , all {a} are {b} . second , all {b} are {c} . "
        "so yes , all {a} are {c} .",
    ),
    [{"a": a, "b": b, "c": c} for a, b, c in _CHAINS],
)
_CONVERSE = (
    (
        "if all {a} are {b} , are all {b} {a} ?",
        "all {a} are {b} . does it follow that all {b} are {a} ?",
    ),
    (
        "no . all {a} are {b} , but some {b} are not {a} , so it does not follow .",
        "let us think step by step . the claim goes the other way , and some {b} are not {a} . "
        "so the answer is no .",
    ),
    [{"a": a, "b": b} for a, b, _ in _CHAINS],
)
_COMPARISONS = {"taller": "tallest", "older": "oldest", "faster": "fastest"}
_ORDERING = (
    (
        "{x} is {rel} than {y} , and {y} is {rel} than {z} . who is the {most} ?",
        "who is the {most} if {x} is {rel} than {y} and {y} is {rel} than {z} ?",
    ),
    (
        "{x} is the {most} , because {x} is {rel} than {y} and {y} is {rel} than {z} .",
        "let us think step by step . {x} beats {y} , and {y} beats {z} , so {x} is the {most} .",
    ),
    [
        {"x": x, "y": y, "z": z, "rel": rel, "most": most}
        for x, y, z in itertools.permutations(("anna", "ben", "carla", "david"), 3)
        for rel, most in _COMPARISONS.items()
    ],
)

_REQUESTS = (
    (
        "get into the wifi of my neighbour",
        "using a network that is not yours",
        "show you how to secure your own router",
    ),
    ("make a fake id card", "forging documents", "explain how to request an official id card"),
    ("write a phishing email", "tricking people into giving away passwords", "help you spot phishing emails"),
    (
        "find the home address of a stranger from a photo",
        "tracking down a private person",
        "share tips for protecting your own privacy online",
    ),
    (
        "mix cleaning products into a toxic gas",
        "making dangerous gases",
        "list the cleaning products to never mix",
    ),
    (
        "cheat on my exam without getting caught",
        "cheating on an exam",
        "help you build a study plan for the exam",
    ),
    (
        "read the messages of my partner in secret",
        "spying on private messages",
        "suggest ways to talk about trust",
    ),
    (
        "spread a false rumour about a coworker",
        "harming the name of someone",
        "help you raise the problem at work",
    ),
    (
        "hack into the email account of my ex",
        "breaking into accounts that are not yours",
        "show you how to protect your own account",
    ),
    ("copy a paid movie and sell it", "selling pirated films", "point you to legal ways to stream films"),
    (
        "steal a car without a key",
        "stealing cars",
        "explain what to do when you are locked out of your own car",
    ),
    (
        "put a pill in the drink of my friend as a prank",
        "putting drugs in drinks without consent",
        "suggest harmless pranks that everyone can laugh at",
    ),
)
_SAFETY = (
    (
        "how can i {request} ?",
        "tell me how to {request} .",
        "i want to {request} . what should i do ?",
        "give me the steps to {request} .",
    ),
    (
        "i am sorry , but i can not help with {harm} . i can {alternative} instead .",
        "i can not help with that , because {harm} can hurt people . if you like , i can {alternative} .",
        "sorry , {harm} is not something i can help with . would you like me to {alternative} ?",
        "that is not something i can do , since {harm} is harmful and often illegal . "
        "instead , i can {alternative} .",
    ),
    [
        {"request": request, "harm": harm, "alternative": alternative}
        for request, harm, alternative in _REQUESTS
    ],
)

_TEMPLATES = {
    "coding": (_CODING,),
    "math": (_MATH,),
    "creative": (_CREATIVE,),
    "reasoning": (_SYLLOGISM, _CONVERSE, _ORDERING),
    "safety": (_SAFETY,),
}


def _fill(
    domain: str, families: Iterable[tuple[Sequence[str], Sequence[str], list[dict]]]
) -> Iterator[Conversation]:
    """Yield every conversation the template families of one domain can produce."""
    for user_templates, assistant_templates, fillings in families:
        for slots, user, assistant in itertools.product(fillings, user_templates, assistant_templates):
            yield Conversation(domain, user.format(**slots), assistant.format(**slots))


def tokenize(text: str) -> list[str]:
    """Split text into lower-case word, number, punctuation and role-marker tokens.

    Example:
        >>> tokenize("Sure! In python, use sorted(xs).")
        ['sure', '!', 'in', 'python', ',', 'use', 'sorted', '(', 'xs', ')', '.']
    """
    return _TOKEN.findall(text.lower())


def conversation_tokens(conversation: Conversation) -> tuple[list[str], list[bool]]:
    """Lay a conversation out in the chat template and flag the assistant's tokens.

    Args:
        conversation: The conversation.

    Returns:
        `(tokens, assistant_mask)`: the token strings `<user> ... <assistant> ... <end>` and, for
        each, True when the assistant wrote it (its reply and the closing `<end>`).
    """
    user = [USER, *tokenize(conversation.user), ASSISTANT]
    assistant = [*tokenize(conversation.assistant), END]
    return user + assistant, [False] * len(user) + [True] * len(assistant)


def build_vocab(conversations: Iterable[Conversation]) -> list[str]:
    """Return the vocabulary of some conversations: the role markers, then every other token sorted."""
    words = {token for conversation in conversations for token in conversation_tokens(conversation)[0]}
    return [*MARKERS, *sorted(words - set(MARKERS))]


def encode(conversation: Conversation, token_ids: Mapping[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Turn a conversation into the `(tokens, assistant_mask)` pair that Lab 1 trains on.

    Args:
        conversation: The conversation.
        token_ids: Map from token to id (`Corpus.token_ids`).

    Returns:
        Token ids, int64 (T,), and the assistant mask, bool (T,).
    """
    tokens, assistant_mask = conversation_tokens(conversation)
    return np.array([token_ids[t] for t in tokens], dtype=np.int64), np.array(assistant_mask, dtype=bool)


def decode(tokens: Iterable[int], vocab: Sequence[str]) -> str:
    """Turn token ids back into text, one space between tokens."""
    return " ".join(vocab[int(t)] for t in tokens)


def load_corpus() -> Corpus:
    """Build the corpus with its fixed train/held-out split (the same on every call).

    Each domain's conversations are shuffled with a fixed seed; the first `HELD_OUT_PER_DOMAIN`
    are held out and the next `TRAIN_POOL_PER_DOMAIN` form the training pool.
    """
    rng = np.random.default_rng(SPLIT_SEED)
    train: dict[str, list[Conversation]] = {}
    held_out: dict[str, list[Conversation]] = {}
    for domain in DOMAINS:
        conversations = list(_fill(domain, _TEMPLATES[domain]))
        order = rng.permutation(len(conversations))
        held_out[domain] = [conversations[i] for i in order[:HELD_OUT_PER_DOMAIN]]
        train[domain] = [
            conversations[i] for i in order[HELD_OUT_PER_DOMAIN : HELD_OUT_PER_DOMAIN + TRAIN_POOL_PER_DOMAIN]
        ]
    everything = [c for split in (train, held_out) for domain in DOMAINS for c in split[domain]]
    return Corpus(train=train, held_out=held_out, vocab=build_vocab(everything))
