"""What is kept: Rasa's tracker store with masking (tracker_store.py), the lock store (lock_store.py), retention
(retention.py) and the masking of personal data itself (privacy.py).
May import assistant.settings only; never policy, understanding, conversation, channels or tools."""
