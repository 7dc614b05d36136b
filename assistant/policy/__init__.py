"""The policy: the rule data (these yml files and texts/), their loading and checking (rules.py), a resident's
profile (profile.py), the engine that assesses a profile (engine/) and the rules sheet (sheet.py).
Imports nothing else of `assistant`: no Rasa, no understanding, no conversation, no channel."""
