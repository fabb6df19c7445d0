"""The module beside uses_neighbour.py."""
ANSWER = 42
