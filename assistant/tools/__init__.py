"""The staff's tools: conversation tests over REST (conversation_tests.py), batch assessment (batch.py), review of
conversations (review.py, review_store.py, review_report.py, reviewed_nlu.py).
May import policy, understanding, conversation and stores; never the channels or the actions."""
