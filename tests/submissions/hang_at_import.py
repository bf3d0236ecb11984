"""Lab 1 that never finishes importing."""

while True:
    pass
