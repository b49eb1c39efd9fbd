"""Short handlers: each takes a neutral command and a context and returns a Reply."""
