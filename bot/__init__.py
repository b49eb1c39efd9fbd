"""The platform-neutral core: grammar, commands, handlers, impact arithmetic and replies."""
