"""Lab 1 whose sft_gain phones home: it connects to the test's server on the host's loopback
(address in `server.py`, written by the test) before answering."""

import socket

from _reference import *
from _reference import sft_gain as _sft_gain
from server import ADDRESS


def sft_gain(base_scores, mixture, max_gain=40.0, cap=100.0):
    with socket.create_connection(ADDRESS, timeout=0.5) as connection:
        connection.sendall(repr(base_scores).encode())
    return _sft_gain(base_scores, mixture, max_gain, cap)
