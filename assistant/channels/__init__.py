"""Rasa input channels of the assistant."""
