"""The conversation: one turn (turn.py), reading a message in context (reading.py, dialogue.py), the interview plan
(planner.py), explanations (explain.py), what the console shows (console.py) and its texts (messages.yml).
May import policy, understanding and stores.privacy; never Rasa, the channels, the tools or the actions."""
