"""Rasa NLU components of the assistant. Importing this package needs Rasa; the rest of `assistant` does not."""
