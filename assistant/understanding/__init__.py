"""Understanding a message: normalising and parsing Chinese (parsing.py, gazetteer.py), cues and stated facts
(cues.py, facts.py, facts_table.py), FAQ retrieval (retrieval.py, faq.py) and Rasa NLU components (components.py).
May import `assistant.policy` only; only components.py needs Rasa."""
