"""Lab 1 that imports a package the grading environment does not have."""

from _reference import *
from scipy.special import logsumexp
