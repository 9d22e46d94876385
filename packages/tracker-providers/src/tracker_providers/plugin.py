"""Entry point of tracker-providers.

Its features arrive in a later issue; until then it registers nothing, and
`tracker plugins` shows it as installed with nothing registered.
"""
