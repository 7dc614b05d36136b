"""The channels: Rasa input channels (REST, WeChat, the web chat and console, review), their guard and state.
They translate between a channel and the conversation; may import every package of `assistant` but the actions."""
