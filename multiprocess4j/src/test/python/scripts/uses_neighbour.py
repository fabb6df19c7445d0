"""A script that imports a module beside it, as one run with python3 uses_neighbour.py can."""
import neighbour


def check(n):
    n.value = neighbour.ANSWER
