"""rasa-sdk actions (thin adapters over assistant/). Run with `rasa run actions`."""
