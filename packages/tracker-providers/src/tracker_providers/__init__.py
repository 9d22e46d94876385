"""LLM provider adapters for tracker (anthropic, openai, gemini, openai-compat)."""
